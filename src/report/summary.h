// What the Markdown and HTML renderers share: the key figures as rows of plain text (escaped by
// each renderer), message totals, and the category of a timeline event.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "report/report.h"

namespace lifeline::report {

// One row of the key figures: plain, unescaped text.
struct FigureRow {
  std::string name;   // "Time to detect"
  std::string value;  // "1 min"
  std::string when;   // "09:59:00Z → 10:00:00Z"
  std::string how;    // how it was measured, for this incident
};

std::vector<FigureRow> KeyFigures(const Report& r);

struct MessageTotals {
  std::int64_t total = 0, delivered = 0, failed = 0, unconfirmed = 0, pending = 0, cancelled = 0,
               rerouted = 0, team = 0, audience = 0;
};
MessageTotals Totals(const Report& r);

// "incident" (opened, updated, evidence, closed), "playbook" (playbook_*), "relay" (relay_*),
// "note", or "other".
std::string_view EventCategory(std::string_view type);

// The lifecycle phases as spans: each transition's state from its time to the next one's (the last
// to `end`, or to the transition's own time when it comes later).
struct PhaseSpan {
  store::Lifecycle state;
  store::Time begin;
  store::Time end;
  std::string by;
};
std::vector<PhaseSpan> LifecyclePhases(const Report& r, store::Time end);

// "still open" or the closing time.
std::string ClosedText(const Report& r);

}  // namespace lifeline::report
