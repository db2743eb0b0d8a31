// `lifeline drill PLATFORM`: runs the contingency plan against a simulated outage — with
// --dry-run in a throw-away simulation (nothing sent, no serve needed), else for real through a
// running serve (POST /v1/drills) to the team and the plan's test audience — and writes the drill
// report. `lifeline drill report ID` writes a drill's report again; `lifeline drill end ID` ends a
// drill (restoration). docs/cli.md and docs/playbook.md "Drills".
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace lifeline::cli {

// Adds the `drill` subcommand to `app`; returns a runner to call when it was chosen.
std::function<int()> AddDrillCommand(CLI::App& app, CLI::App** command);

}  // namespace lifeline::cli
