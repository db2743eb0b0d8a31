// `lifeline response`: the contingency plan's people's side from a terminal, through a running
// `lifeline serve` (cli/api_client.h) — an incident's response, the team's tasks, approvals and
// alerts, and acknowledging, completing, approving or refusing them, as the dashboard and the
// acknowledgement links do. It acts through serve's engine, so escalations stop and the steps
// after an approval run at once.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace lifeline::cli {

// Adds the `response` subcommand to `app`; returns a runner to call when it was chosen.
std::function<int()> AddResponseCommand(CLI::App& app, CLI::App** command);

}  // namespace lifeline::cli
