// `lifeline ads`: the ads guard from a terminal, through a running `lifeline serve`
// (cli/api_client.h): the campaigns as the platforms answer now, what Lifeline holds paused and
// when it resumes, and pausing or resuming campaigns by hand (recorded as who did it).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace lifeline::cli {

// Adds the `ads` subcommand to `app`; returns a runner to call when it was chosen.
std::function<int()> AddAdsCommand(CLI::App& app, CLI::App** command);

}  // namespace lifeline::cli
