// `lifeline calendar`: the content calendar from a terminal, through a running `lifeline serve`
// (cli/api_client.h): the scheduled posts and what became of each on each channel, adding one,
// importing a CSV file, and holding or releasing a post by hand.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace lifeline::cli {

// Adds the `calendar` subcommand to `app`; returns a runner to call when it was chosen.
std::function<int()> AddCalendarCommand(CLI::App& app, CLI::App** command);

}  // namespace lifeline::cli
