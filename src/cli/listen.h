// `lifeline listen`: listening from a terminal, through a running `lifeline serve`
// (cli/api_client.h): the sources' health and rate limits, the stored posts, the spike decisions.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace lifeline::cli {

// Adds the `listen` subcommand to `app`; returns a runner to call when it was chosen.
std::function<int()> AddListenCommand(CLI::App& app, CLI::App** command);

}  // namespace lifeline::cli
