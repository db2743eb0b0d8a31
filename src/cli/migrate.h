// `lifeline migrate --from sqlite:PATH --to postgresql://...`: copies an installation's SQLite
// store into a new, empty PostgreSQL database (store/pg/copy.h) and says what it copied.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace lifeline::cli {

// Adds the `migrate` subcommand to `app`; returns a runner to call when it was chosen.
std::function<int()> AddMigrateCommand(CLI::App& app, CLI::App** command);

}  // namespace lifeline::cli
