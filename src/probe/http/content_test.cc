// Status expectations and content checks: what makes a 200 answer healthy or not.
#include "probe/http/content.h"

#include <gtest/gtest.h>

namespace lifeline::probe::http {
namespace {

namespace d = core::detail;

TEST(ProbeContentTest, DefaultStatusRangeIs200To399) {
  core::HttpExpect e;
  EXPECT_TRUE(StatusAccepted(e, 200));
  EXPECT_TRUE(StatusAccepted(e, 204));
  EXPECT_TRUE(StatusAccepted(e, 399));
  EXPECT_FALSE(StatusAccepted(e, 199));
  EXPECT_FALSE(StatusAccepted(e, 404));
  EXPECT_FALSE(StatusAccepted(e, 503));
}

TEST(ProbeContentTest, ExplicitStatusList) {
  core::HttpExpect e;
  e.status = {200, 401};
  EXPECT_TRUE(StatusAccepted(e, 401));
  EXPECT_FALSE(StatusAccepted(e, 302));
}

TEST(ProbeContentTest, FollowsRedirectsUnlessExpected) {
  core::HttpExpect e;
  for (int s : {301, 302, 303, 307, 308}) EXPECT_TRUE(ShouldFollow(e, s)) << s;
  for (int s : {200, 304, 300, 404}) EXPECT_FALSE(ShouldFollow(e, s)) << s;
  e.status = {301};
  EXPECT_FALSE(ShouldFollow(e, 301));  // the redirect itself is the healthy answer
  EXPECT_TRUE(ShouldFollow(e, 302));
}

TEST(ProbeContentTest, BodyContains) {
  core::HttpExpect e;
  e.body_contains = {"Instagram", "login"};
  EXPECT_FALSE(CheckContent(e, nullptr, "<title>Instagram</title> login"));
  auto f = CheckContent(e, nullptr, "<title>Instagram</title>");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->detail, d::kMissing);
  EXPECT_NE(f->message.find("login"), std::string::npos);
  EXPECT_FALSE(HasContentChecks(core::HttpExpect()));
  EXPECT_TRUE(HasContentChecks(e));
}

TEST(ProbeContentTest, Regex) {
  core::HttpExpect e;
  e.body_regex = "status: (ok|fine)";
  CompiledRegex re{std::regex(e.body_regex, std::regex::ECMAScript), ""};
  EXPECT_FALSE(CheckContent(e, &re, "x status: fine y"));
  auto f = CheckContent(e, &re, "status: broken");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->detail, d::kRegex);
}

TEST(ProbeContentTest, InvalidRegexIsAnErrorNotAPlatformFailure) {
  core::HttpExpect e;
  e.body_regex = "(unclosed";
  CompiledRegex re;
  re.error = "mismatched parenthesis";
  auto f = CheckContent(e, &re, "anything");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->detail, d::kError);
}

TEST(ProbeContentTest, JsonPointerAndEquals) {
  const std::string body = R"({"status":"ok","data":{"ok":true,"count":3,"name":"x"}})";
  core::HttpExpect e;
  e.json_pointer = "/data/ok";
  EXPECT_FALSE(CheckContent(e, nullptr, body));  // exists
  e.json_equals = "true";
  EXPECT_FALSE(CheckContent(e, nullptr, body));
  e.json_equals = "false";
  auto f = CheckContent(e, nullptr, body);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->detail, d::kJson);
  EXPECT_NE(f->message.find("/data/ok is true"), std::string::npos) << f->message;

  e.json_pointer = "/status";
  e.json_equals = "ok";  // a bare string
  EXPECT_FALSE(CheckContent(e, nullptr, body));
  e.json_equals = "\"ok\"";  // the same as JSON text
  EXPECT_FALSE(CheckContent(e, nullptr, body));
  e.json_pointer = "/data/count";
  e.json_equals = "3";
  EXPECT_FALSE(CheckContent(e, nullptr, body));
  e.json_equals = "4";
  EXPECT_TRUE(CheckContent(e, nullptr, body));
}

TEST(ProbeContentTest, JsonFailures) {
  core::HttpExpect e;
  e.json_pointer = "/data/missing";
  auto missing = CheckContent(e, nullptr, R"({"data":{}})");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->detail, d::kJson);
  auto not_json = CheckContent(e, nullptr, "<html>login</html>");
  ASSERT_TRUE(not_json);
  EXPECT_EQ(not_json->detail, d::kJson);
  e.json_pointer = "no-leading-slash";
  auto bad_pointer = CheckContent(e, nullptr, "{}");
  ASSERT_TRUE(bad_pointer);
  EXPECT_EQ(bad_pointer->detail, d::kError);
}

// For answers that go back to someone else (an agent's caller): the failure is named, the page
// is not quoted, so an `expect` cannot be used to read a page piece by piece.
TEST(ProbeContentTest, WithoutQuotingMessagesCarryNothingOfTheBody) {
  const std::string body = R"({"secret":"hunter2-and-more"})";
  core::HttpExpect e;
  e.json_pointer = "/secret";
  e.json_equals = "x";
  auto differs = CheckContent(e, nullptr, body, /*quote_body=*/false);
  ASSERT_TRUE(differs);
  EXPECT_EQ(differs->detail, d::kJson);
  EXPECT_EQ(differs->message, "JSON /secret is not x");
  auto quoted = CheckContent(e, nullptr, body);
  ASSERT_TRUE(quoted);
  EXPECT_NE(quoted->message.find("hunter2"), std::string::npos) << quoted->message;

  auto not_json = CheckContent(e, nullptr, "<html>internal admin page</html>", false);
  ASSERT_TRUE(not_json);
  EXPECT_EQ(not_json->detail, d::kJson);
  EXPECT_EQ(not_json->message, "answer is not JSON");
}

}  // namespace
}  // namespace lifeline::probe::http
