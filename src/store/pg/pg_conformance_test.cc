// The conformance suite (store_conformance_test.h) against a real PostgreSQL: a throw-away cluster
// this test process starts (test_cluster.h), one fresh database per test. Tests of slices the
// PostgreSQL store does not have yet are skipped, saying so.
#include <fmt/format.h>

#include <array>

#include "store/pg/pg_store.h"
#include "store/pg/test_cluster.h"
#include "store/store_conformance_test.h"

namespace lifeline::store {
namespace {

// Test name prefixes of the suite's files for the slices store/pg does not implement yet.
constexpr std::array<std::pair<std::string_view, std::string_view>, 5> kMissing = {{
    {"Playbook", "playbook"},
    {"Ad", "ads"},
    {"Calendar", "calendar"},
    {"Inbox", "inbox"},
    {"Listening", "listening"},
}};

StoreBackend PostgresBackend() {
  StoreBackend b;
  b.name = "postgresql";
  b.skip_reason = [](std::string_view test) -> std::string {
    if (pg::testing::FindPostgresBin().empty()) {
      return "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): run "
             "scripts/install-deps";
    }
    for (const auto& [prefix, slice] : kMissing) {
      if (test.starts_with(prefix)) {
        return fmt::format(
            "the PostgreSQL store has no {} slice yet (store/pg/pg_store.h "
            "MissingSlices)",
            slice);
      }
    }
    return "";
  };
  b.new_location = []() -> std::string {
    std::string why;
    pg::testing::TestCluster* cluster = pg::testing::SharedCluster(&why);
    if (cluster == nullptr) {
      ADD_FAILURE() << "the test PostgreSQL cluster did not start: " << why;
      return "";
    }
    auto url = cluster->CreateDatabase();
    if (!url.ok()) {
      ADD_FAILURE() << url.error().ToString();
      return "";
    }
    return *url;
  };
  b.remove_location = [](const std::string& url) {
    if (auto* cluster = pg::testing::SharedCluster(nullptr)) {
      auto s = cluster->DropDatabase(url);
      EXPECT_TRUE(s.ok()) << s.error().ToString();
    }
  };
  b.open = [](const std::string& url, const OpenOptions& o) {
    PostgresOptions pg;
    pg.url = url;
    return pg::OpenPostgresIncomplete(pg, o);
  };
  return b;
}

INSTANTIATE_TEST_SUITE_P(Postgres, StoreConformance, ::testing::Values(PostgresBackend()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace lifeline::store
