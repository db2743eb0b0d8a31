// `lifeline report INCIDENT`: an incident's report (Markdown, a self-contained HTML page, or
// JSON) from the database `lifeline serve` keeps, printed or written to a file.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace lifeline::cli {

// Adds the `report` subcommand to `app`; returns a runner to call when it was chosen.
std::function<int()> AddReportCommand(CLI::App& app, CLI::App** command);

}  // namespace lifeline::cli
