// Result<T> and Error: value access, error propagation and code names.
#include "core/result.h"

#include <gtest/gtest.h>

namespace lifeline::core {
namespace {

Result<int> Half(int n) {
  if (n % 2) return MakeError(ErrorCode::kInvalidArgument, "{} is odd", n);
  return n / 2;
}

TEST(ResultTest, HoldsValueOrError) {
  auto ok = Half(4);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 2);
  auto bad = Half(3);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad.error().ToString(), "invalid_argument: 3 is odd");
}

TEST(ResultTest, StatusDefaultsToOk) {
  Status s;
  EXPECT_TRUE(s.ok());
  Status e = Error(ErrorCode::kNotFound, "x");
  EXPECT_FALSE(e.ok());
  EXPECT_STREQ(ErrorCodeName(e.error().code()), "not_found");
}

}  // namespace
}  // namespace lifeline::core
