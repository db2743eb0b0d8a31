// A gtest fixture for PostgreSQL-only store tests: a fresh database in the test process's
// throw-away cluster (test_cluster.h) per test, and as many "instances" (separate Store objects,
// each with its own sessions) on it as a test wants. Skips, saying why, when PostgreSQL is not
// installed.
#pragma once

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "store/pg/pg_store.h"
#include "store/pg/test_cluster.h"
#include "store/store.h"

namespace lifeline::store::pg::testing {

template <typename T>
T MustOk(core::Result<T> r) {
  if (!r.ok()) {
    ADD_FAILURE() << r.error().ToString();
    std::abort();
  }
  return std::move(r).value();
}

class PgStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (FindPostgresBin().empty()) {
      GTEST_SKIP() << "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): run "
                      "scripts/install-deps";
    }
    std::string why;
    cluster_ = SharedCluster(&why);
    ASSERT_NE(cluster_, nullptr) << "the test PostgreSQL cluster did not start: " << why;
    url_ = MustOk(cluster_->CreateDatabase());
  }
  void TearDown() override {
    if (cluster_ != nullptr && !url_.empty()) (void)cluster_->DropDatabase(url_);
  }

  // One more instance: its own Store and sessions on the same database.
  std::unique_ptr<Store> Instance(std::size_t connections = 4) {
    PostgresOptions pg;
    pg.url = url_;
    pg.connections = connections;
    return MustOk(OpenPostgres(pg));
  }

  // A session of its own, outside any Store (to hold locks, or look at the schema).
  PGconn* Raw() {
    PGconn* c = PQconnectdb(url_.c_str());
    EXPECT_EQ(PQstatus(c), CONNECTION_OK) << PQerrorMessage(c);
    return c;
  }

  TestCluster* cluster_ = nullptr;
  std::string url_;
};

}  // namespace lifeline::store::pg::testing
