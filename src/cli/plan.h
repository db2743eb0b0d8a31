// `lifeline plan check` and `lifeline plan advise`: the contingency plan (src/playbook/) checked
// and weighed from the command line, without a database or a running serve.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace lifeline::cli {

// Adds `plan` with its subcommands to `app`; returns a runner to call when it was chosen.
std::function<int()> AddPlanCommand(CLI::App& app, CLI::App** command);

}  // namespace lifeline::cli
