// `lifeline check`: gathers evidence about the chosen platforms (probes here, vantage points,
// official status pages, this observer's own connection) on one event loop and prints verdicts.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/result.h"
#include "diagnose/diagnose.h"

namespace lifeline::cli {

struct CheckOptions {
  std::vector<std::string> platforms;  // ids; empty: every enabled platform
  bool progress = false;               // show a progress line on stderr while evidence arrives
};

// Picks the platforms to check. An unknown id is an Error naming it, with a suggestion.
core::Result<std::vector<core::Platform>> SelectPlatforms(const config::Config& config,
                                                          const std::vector<std::string>& ids);

// Runs the whole check. Fails only when our machinery fails (e.g. an unreadable CA file); every
// network failure is evidence inside the report.
core::Result<diagnose::CheckReport> RunCheck(const config::Config& config,
                                             const std::vector<core::Platform>& platforms,
                                             const CheckOptions& options);

// The human table: platform, verdict, failing layer, latency, one-line reason.
void PrintTable(const diagnose::CheckReport& report, std::ostream& out, bool color);

}  // namespace lifeline::cli
