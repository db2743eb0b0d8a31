// `lifeline inbox`: the customer conversations from a terminal, through a running `lifeline
// serve` (cli/api_client.h): list them (waiting first), show one with its messages, reply through
// the relay, assign, resolve, and the sweep after an incident.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace lifeline::cli {

// Adds the `inbox` subcommand to `app`; returns a runner to call when it was chosen.
std::function<int()> AddInboxCommand(CLI::App& app, CLI::App** command);

}  // namespace lifeline::cli
