// Regression tests for answers fuzz/ads_fuzz.cc found the ad clients could not survive: a field of
// another type than documented, a number past an int's range.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "ads/account.h"
#include "ads/meta/meta.h"
#include "channels/testing_http.h"

namespace lifeline::ads {
namespace {

using ::testing::HasSubstr;

AccountConfig MetaAccount() {
  AccountConfig c;
  c.name = "brand";
  c.kind = "meta";
  c.account_id = "act_1234567890";
  c.currency = "EUR";
  c.access_token = "token";
  return c;
}

// The fuzzer's input, reduced to what mattered: "error_subcode": 24460e79 is a double far past an
// int, and converting it was undefined behaviour (a garbage far code).
TEST(MetaAnswersTest, SubcodeThatIsNotAWholeNumberIsIgnored) {
  auto body = nlohmann::json::parse(R"({"error": {"message": "User request limit reached",
      "type": "OAuthException", "code": 17, "error_subcode": 24460e79,
      "fbtrace_id": "AfakeTrace1"}})");
  Failure f = meta::ClassifyGraphError(400, body, "");
  EXPECT_EQ(f.kind, FailureKind::kRateLimited);
  EXPECT_EQ(f.code, "17");
  Failure g = meta::ClassifyGraphError(400, nlohmann::json::parse(R"({"error": {"code": 1e300}})"),
                                       "", R"({"reset_time_duration": 1e300})");
  EXPECT_EQ(g.code, "0");
}

// A campaign whose name is a number made nlohmann throw type_error out of the client, which ended
// the process; now the operation fails as an answer that cannot be read.
TEST(MetaAnswersTest, FieldOfAnotherTypeIsAnUnreadableAnswerNotACrash) {
  channels::testing::FakeHttp http;
  http.Answer(200, R"({"data": [{"id": "120200000000001", "name": 5, "status": "ACTIVE"}]})");
  auto platform = MakeAdPlatform(MetaAccount(), http);
  ASSERT_TRUE(platform.ok());
  auto listed = (*platform)->ListCampaigns();
  EXPECT_EQ(listed.failure.kind, FailureKind::kUnavailable);
  EXPECT_THAT(listed.failure.message, HasSubstr("an answer that cannot be read"));
  EXPECT_FALSE(listed.failure.may_have_acted);

  http.Answer(200, R"({"data": [{"id": "120200000000001", "name": "x", "status": "ACTIVE",
                                 "daily_budget": "5000"}]})");
  http.Answer(200, R"(["not", "an", "object"])");
  auto changed = (*platform)->SetBudget("120200000000001", Money{"EUR", 60'000'000});
  EXPECT_NE(changed.failure.kind, FailureKind::kNone);
}

}  // namespace
}  // namespace lifeline::ads
