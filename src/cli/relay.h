// `lifeline send` and `lifeline outbox list|show|retry|cancel|decide`: the relay from the command
// line, on the same database `lifeline serve` uses (serve.data_dir of the config, or --data-dir).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace lifeline::cli {

// Adds the subcommands to `app`; each returns a runner to call when it was chosen.
std::function<int()> AddSendCommand(CLI::App& app, CLI::App** command);
std::function<int()> AddOutboxCommand(CLI::App& app, CLI::App** command);

}  // namespace lifeline::cli
