// The conformance suite (store_conformance_test.h) against a real PostgreSQL: a throw-away cluster
// (test_cluster.h: ctest's shared one, or one this process starts), one fresh database per test.
#include "store/pg/pg_store.h"
#include "store/pg/test_cluster.h"
#include "store/store_conformance_test.h"

namespace lifeline::store {
namespace {

StoreBackend PostgresBackend() {
  StoreBackend b;
  b.name = "postgresql";
  b.skip_reason = [](std::string_view) -> std::string {
    if (pg::testing::FindPostgresBin().empty()) {
      return "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): run "
             "scripts/install-deps";
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
    return OpenPostgres(pg, o);
  };
  return b;
}

INSTANTIATE_TEST_SUITE_P(Postgres, StoreConformance, ::testing::Values(PostgresBackend()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace lifeline::store
