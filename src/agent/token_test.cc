// Tests for token files and the token comparison.
#include "agent/token.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace lifeline::agent {
namespace {

using ::testing::HasSubstr;

class TokenFileTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& content) {
    std::ofstream(path_, std::ios::binary) << content;
    return path_.string();
  }
  void TearDown() override { std::filesystem::remove(path_); }

  std::filesystem::path path_ = std::filesystem::temp_directory_path() /
                                ("lifeline-token-test-" + std::to_string(::getpid()));
};

TEST_F(TokenFileTest, TrailingNewlineAndSpacesAreDropped) {
  auto token = ReadTokenFile(Write("abc123-XYZ \r\n\n"));
  ASSERT_TRUE(token.ok()) << token.error().ToString();
  EXPECT_EQ(*token, "abc123-XYZ");
}

TEST_F(TokenFileTest, EmptyFileIsAnError) {
  std::string path = Write(" \n");
  auto token = ReadTokenFile(path);
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.error().message(), "token file " + path + " is empty");
}

TEST_F(TokenFileTest, MissingFileNamesThePathAndReason) {
  auto token = ReadTokenFile("/nonexistent/lifeline.token");
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.error().message(),
            "cannot read token file /nonexistent/lifeline.token: No such file or directory");
}

TEST_F(TokenFileTest, TokenWithInnerLineBreakIsRefusedWithoutShowingIt) {
  auto token = ReadTokenFile(Write("first-secret\nsecond-secret\n"));
  ASSERT_FALSE(token.ok());
  EXPECT_THAT(token.error().message(), HasSubstr("must be one line"));
  EXPECT_THAT(token.error().message(), ::testing::Not(HasSubstr("secret")));
}

TEST(TokenEqualsTest, OnlyTheExactTokenMatches) {
  EXPECT_TRUE(TokenEquals("s3cret", "s3cret"));
  EXPECT_FALSE(TokenEquals("s3cret", "s3creT"));
  EXPECT_FALSE(TokenEquals("s3cret", "s3cre"));
  EXPECT_FALSE(TokenEquals("s3cret", std::string_view("s3cret\0", 7)));
  EXPECT_FALSE(TokenEquals("s3cret", "s3cretX"));
  EXPECT_FALSE(TokenEquals("s3cret", ""));
  EXPECT_FALSE(TokenEquals("", ""));
}

}  // namespace
}  // namespace lifeline::agent
