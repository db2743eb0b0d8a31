// The behavioural test suite every Store implementation must pass, parameterised by a backend
// factory: SQLite instantiates it in store_conformance_test.cc; PostgreSQL adds one
// INSTANTIATE_TEST_SUITE_P(Postgres, StoreConformance, ...) in its own test file.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "store/store.h"

namespace lifeline::store {

struct StoreBackend {
  std::string name;
  // A fresh, empty location for one test (a file path, a database URL) and its cleanup.
  std::function<std::string()> new_location;
  std::function<void(const std::string&)> remove_location;
  std::function<core::Result<std::unique_ptr<Store>>(const std::string&, const OpenOptions&)> open;
  // Why this backend cannot run the named test ("" = it can; unset = it runs every test): its
  // server is not installed, or it does not implement the slice the test is about yet. The test
  // is then skipped with this message.
  std::function<std::string(std::string_view test_name)> skip_reason;
};

class StoreConformance : public ::testing::TestWithParam<StoreBackend> {
 protected:
  void SetUp() override {
    if (GetParam().skip_reason) {
      std::string why =
          GetParam().skip_reason(::testing::UnitTest::GetInstance()->current_test_info()->name());
      if (!why.empty()) GTEST_SKIP() << why;
    }
    location_ = GetParam().new_location();
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    if (!location_.empty()) GetParam().remove_location(location_);
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
