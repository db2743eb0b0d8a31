// The schema migrations compiled into the binary, one list per SQL dialect, generated at build time
// from src/store/migrations/<dialect>/NNNN_name.sql by embed_migrations.cmake.
#pragma once

#include <span>
#include <string_view>

namespace lifeline::store::migrations {

// One schema step. Versions start at 1 and are consecutive (the generator refuses gaps); a
// migration never changes once released: fix a mistake with a new one.
struct Migration {
  int version;
  std::string_view name;  // "0001_initial"
  std::string_view sql;   // one or more statements, run in one transaction
};

extern const std::span<const Migration> kSqliteMigrations;
extern const std::span<const Migration> kPostgresqlMigrations;

}  // namespace lifeline::store::migrations
