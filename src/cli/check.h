// The human form of a `lifeline check` report.
#pragma once

#include <iosfwd>

#include "diagnose/diagnose.h"

namespace lifeline::cli {

// The table: platform, verdict, failing layer, latency, one-line reason; then correlated domain
// events, vantage points and notes. `color` adds ANSI colours to verdicts.
void PrintTable(const diagnose::CheckReport& report, std::ostream& out, bool color);

}  // namespace lifeline::cli
