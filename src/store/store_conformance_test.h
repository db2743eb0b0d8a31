// The behavioural test suite every Store implementation must pass, parameterised by a backend
// factory: SQLite instantiates it in store_conformance_test.cc; PostgreSQL adds one
// INSTANTIATE_TEST_SUITE_P(Postgres, StoreConformance, ...) in its own test file.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>

#include "store/store.h"

namespace lifeline::store {

struct StoreBackend {
  std::string name;
  // A fresh, empty location for one test (a file path, a database URL) and its cleanup.
  std::function<std::string()> new_location;
  std::function<void(const std::string&)> remove_location;
  std::function<core::Result<std::unique_ptr<Store>>(const std::string&, const OpenOptions&)> open;
};

class StoreConformance : public ::testing::TestWithParam<StoreBackend> {
 protected:
  void SetUp() override {
    location_ = GetParam().new_location();
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    GetParam().remove_location(location_);
  }
  // Closes the store and opens the same location again (a restart).
  void Reopen(OpenOptions options = {}) {
    store_.reset();
    auto s = GetParam().open(location_, options);
    ASSERT_TRUE(s.ok()) << s.error().ToString();
    store_ = std::move(*s);
  }

  std::string location_;
  std::unique_ptr<Store> store_;
};

}  // namespace lifeline::store
