// `lifeline vantage`: the fleet of vantage points from a terminal, through a running
// `lifeline serve` (cli/api_client.h, GET /v1/vantage-points): each agent's state, last answer,
// latency, version, own connection and last error.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace lifeline::cli {

// Adds the `vantage` subcommand to `app`; returns a runner to call when it was chosen.
std::function<int()> AddVantageCommand(CLI::App& app, CLI::App** command);

}  // namespace lifeline::cli
