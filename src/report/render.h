// The incident report's three forms: Markdown (to paste into a post-mortem document or a ticket),
// a self-contained HTML page with SVG charts (inline CSS, no script, no outside resource: it can
// be mailed or archived as one file), and JSON (the API's and scripts' form). docs/report.md
// describes what each holds and how each figure is computed.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "report/report.h"

namespace lifeline::report {

// Every text that came from outside (titles, messages, evidence, notes, names) is escaped
// (text.h), so it can neither format nor inject markup.
std::string RenderMarkdown(const Report& report);

// One HTML5 document. Its Content-Security-Policy allows inline styles only: even opened from a
// mail or a disk it loads nothing and runs nothing.
std::string RenderHtml(const Report& report);

// The report's data: times in RFC 3339 UTC, durations in milliseconds beside their words.
nlohmann::json ReportJson(const Report& report);

}  // namespace lifeline::report
