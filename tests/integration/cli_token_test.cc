// `lifeline token create|list|revoke` as an operator runs them: the secret is printed once and
// never listed or stored in clear; bad input exits 2 naming the problem.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "integration/support/process.h"

namespace lifeline {
namespace {

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

TEST(CliTokenTest, CreateListRevoke) {
  testing::TempDir dir;
  std::string out;
  ASSERT_EQ(testing::RunCommand({LIFELINE_BINARY, "token", "create", "--name", "ci", "--role",
                                 "operator", "--data-dir", dir.path()},
                                &out),
            0)
      << out;
  auto at = out.find("llt_");
  ASSERT_NE(at, std::string::npos) << out;
  std::string secret = Trim(out.substr(at, 68));
  ASSERT_EQ(secret.size(), 68u) << out;

  std::string list;
  ASSERT_EQ(
      testing::RunCommand({LIFELINE_BINARY, "token", "list", "--data-dir", dir.path()}, &list), 0);
  EXPECT_NE(list.find("ci"), std::string::npos) << list;
  EXPECT_NE(list.find("operator"), std::string::npos) << list;
  EXPECT_EQ(list.find(secret), std::string::npos) << "a listing never shows a secret";
  EXPECT_EQ(testing::ReadFile(dir.File("lifeline.db")).find(secret), std::string::npos)
      << "the store keeps only a hash";

  // The same name twice while active is refused.
  EXPECT_EQ(
      testing::RunCommand(
          {LIFELINE_BINARY, "token", "create", "--name", "ci", "--data-dir", dir.path()}, &out),
      2);
  ASSERT_EQ(testing::RunCommand(
                {LIFELINE_BINARY, "token", "revoke", "ci", "--data-dir", dir.path()}, &out),
            0)
      << out;
  ASSERT_EQ(testing::RunCommand(
                {LIFELINE_BINARY, "token", "list", "--json", "--data-dir", dir.path()}, &list),
            0);
  EXPECT_NE(list.find("\"revoked_at\": \"20"), std::string::npos) << list;
}

TEST(CliTokenTest, BadInputExitsTwo) {
  testing::TempDir dir;
  std::string out;
  EXPECT_EQ(testing::RunCommand({LIFELINE_BINARY, "token", "create", "--name", "x", "--role",
                                 "boss", "--data-dir", dir.path()},
                                &out),
            2);
  EXPECT_NE(out.find("role 'boss'"), std::string::npos) << out;
  EXPECT_EQ(testing::RunCommand(
                {LIFELINE_BINARY, "token", "revoke", "nosuch", "--data-dir", dir.path()}, &out),
            2);
  EXPECT_NE(out.find("nosuch"), std::string::npos) << out;
  EXPECT_EQ(testing::RunCommand({LIFELINE_BINARY, "token"}, &out), 2);
}

}  // namespace
}  // namespace lifeline
