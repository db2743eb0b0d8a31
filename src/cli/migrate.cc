// `lifeline migrate` (migrate.h).
#include "cli/migrate.h"

#include <fmt/format.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "store/pg/copy.h"

namespace lifeline::cli {
namespace {

constexpr int kExitUsage = 2;
constexpr int kExitFailed = 1;

struct Flags {
  std::string from;  // sqlite:PATH
  std::string to;    // postgresql://USER@HOST/DB
  std::string password_env;
  std::string password_file;
  bool json = false;
};

int Fail(const core::Error& e) {
  std::cerr << "lifeline migrate: " << e.message() << "\n";
  return e.code() == core::ErrorCode::kInvalidArgument ? kExitUsage : kExitFailed;
}

int Usage(std::string_view message) {
  std::cerr << "lifeline migrate: " << message << "\n";
  return kExitUsage;
}

// The password from --password-env or --password-file ("" for neither: libpq then uses
// PGPASSWORD or ~/.pgpass). Never printed.
core::Result<std::string> Password(const Flags& f) {
  if (!f.password_env.empty()) {
    const char* v = std::getenv(f.password_env.c_str());
    if (v == nullptr) {
      return core::MakeError(core::ErrorCode::kInvalidArgument,
                             "--password-env {}: the variable is not set", f.password_env);
    }
    return std::string(v);
  }
  if (!f.password_file.empty()) {
    std::ifstream in(f.password_file);
    if (!in) {
      return core::MakeError(core::ErrorCode::kInvalidArgument,
                             "--password-file {}: cannot read it", f.password_file);
    }
    std::string line;
    std::getline(in, line);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    return line;
  }
  return std::string();
}

int Run(const Flags& f) {
  if (!f.from.starts_with("sqlite:") || f.from.size() == 7) {
    return Usage(
        fmt::format("--from {}: give the SQLite store as sqlite:PATH (e.g. "
                    "sqlite:/var/lib/lifeline/lifeline.db)",
                    f.from));
  }
  if (!f.password_env.empty() && !f.password_file.empty()) {
    return Usage("--password-env and --password-file: give one, not both");
  }
  const std::string path = f.from.substr(7);
  auto password = Password(f);
  if (!password.ok()) return Fail(password.error());
  store::PostgresOptions pg;
  pg.url = f.to;
  pg.password = *password;
  pg.connections = 1;
  auto report = store::pg::CopyFromSqlite(path, pg);
  if (!report.ok()) return Fail(report.error());
  if (f.json) {
    nlohmann::json tables = nlohmann::json::object();
    for (const auto& t : report->tables) tables[t.name] = t.rows;
    std::cout << nlohmann::json{{"from", path},
                                {"schema_version", report->schema_version},
                                {"rows", report->rows},
                                {"tables", tables},
                                {"derived", report->derived}}
                     .dump(2)
              << "\n";
    return 0;
  }
  std::cout << fmt::format(
      "Copied {} rows from {} into PostgreSQL (schema {}), in one "
      "transaction:\n",
      report->rows, path, report->schema_version);
  for (const auto& t : report->tables) {
    if (t.rows > 0) std::cout << fmt::format("  {:<24} {:>9}\n", t.name, t.rows);
  }
  std::size_t empty = 0;
  for (const auto& t : report->tables) empty += t.rows == 0;
  if (empty > 0) std::cout << fmt::format("  ({} more tables were empty)\n", empty);
  if (!report->derived.empty()) {
    std::string names;
    for (const auto& d : report->derived) names += (names.empty() ? "" : ", ") + d;
    std::cout << "Rebuilt by the database from the rows copied: " << names << "\n";
  }
  std::cout << "Next: stop lifeline serve, set store: { url: ..., password: { env: ... } } in its "
               "config, and start it again (docs/serve.md, \"PostgreSQL\").\n";
  return 0;
}

}  // namespace

std::function<int()> AddMigrateCommand(CLI::App& app, CLI::App** command) {
  auto f = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand(
      "migrate", "Copy an SQLite store into a new, empty PostgreSQL database, all or nothing");
  cmd->add_option("--from", f->from, "The SQLite store: sqlite:PATH")->required();
  cmd->add_option("--to", f->to,
                  "The PostgreSQL database: postgresql://USER@HOST:PORT/DATABASE (no password "
                  "in it)")
      ->required();
  cmd->add_option("--password-env", f->password_env,
                  "Read the PostgreSQL password from this environment variable");
  cmd->add_option("--password-file", f->password_file,
                  "Read the PostgreSQL password from this file's first line");
  cmd->add_flag("--json", f->json, "Print what was copied as JSON");
  *command = cmd;
  return [f]() { return Run(*f); };
}

}  // namespace lifeline::cli
