// `lifeline recovery INCIDENT [--json]`: the incident's recovery checklist through a running
// `lifeline serve` (cli/api_client.h, GET /v1/recovery/{incident}): per campaign, whether it is
// back to normal after the restoration, and what needs a look (docs/recovery.md).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace lifeline::cli {

// Adds the `recovery` subcommand to `app`; returns a runner to call when it was chosen.
std::function<int()> AddRecoveryCommand(CLI::App& app, CLI::App** command);

}  // namespace lifeline::cli
