// `lifeline token create|list|revoke`: API tokens for `lifeline serve`, kept hashed in its store.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace lifeline::cli {

// Adds the `token` subcommand to `app`; returns a runner to call when it was chosen.
std::function<int()> AddTokenCommand(CLI::App& app, CLI::App** command);

}  // namespace lifeline::cli
