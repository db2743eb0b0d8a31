// Unit tests of the Teams Workflows adapter: config, workflows:// URLs (and msteams:// refused),
// the Adaptive Card request and its size limit, and the classification of answers. No network.
#include "channels/teams/teams.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "channels/testing_http.h"

namespace lifeline::channels::teams {
namespace {

using channels::testing::Answered;
using channels::testing::Message;

class TeamsTest : public channels::testing::AdapterTest {
 protected:
  TeamsTest()
      : AdapterTest({{"LL_TEST_TEAMS_URL",
                      "https://prod-00.westus.logic.azure.com:443/workflows/abc123/triggers/manual/"
                      "paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&"
                      "sig=SECRETSIG"}}) {}
};

TEST_F(TeamsTest, YamlGoodAndCard) {
  auto ch = channels::testing::FromYaml(kKind, "type: teams\nwebhook: { env: LL_TEST_TEAMS_URL }\n",
                                        &http_);
  ASSERT_TRUE(ch.ok()) << ch.error().message();
  EXPECT_EQ((*ch)->info().kind, "teams");
  EXPECT_EQ((*ch)->info().platform, "");
  http_.Answer(202, "", {{"x-ms-workflow-run-id", "08584"}});
  DeliveryResult r = (*ch)->Send(Message("WhatsApp is down", "", "Outage"));
  EXPECT_EQ(r.outcome, Outcome::kDelivered) << r.reason;
  EXPECT_EQ(r.remote_id, "08584");
  auto body = nlohmann::json::parse(http_.last().body);
  EXPECT_EQ(body["type"], "message");
  auto& att = body["attachments"][0];
  EXPECT_EQ(att["contentType"], "application/vnd.microsoft.card.adaptive");
  EXPECT_EQ(att["content"]["type"], "AdaptiveCard");
  EXPECT_EQ(att["content"]["body"][0]["text"], "Outage");
  EXPECT_EQ(att["content"]["body"][0]["weight"], "Bolder");
  EXPECT_EQ(att["content"]["body"][1]["text"], "WhatsApp is down");
  EXPECT_EQ(att["content"]["body"][1]["wrap"], true);
}

TEST_F(TeamsTest, Errors) {
  auto e = channels::testing::FromYaml(kKind, "type: teams\nwebhook: { env: LL_TEST_UNSET_X }\n",
                                       &http_);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message().find("channels.team.webhook: environment variable"),
            std::string::npos);
  e = channels::testing::FromUrl(kKind, "msteams://team/a@b/c/d", &http_);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message().find("retired"), std::string::npos);
  e = channels::testing::FromUrl(kKind, "workflows://host/onlyone", &http_);
  ASSERT_FALSE(e.ok());
}

TEST_F(TeamsTest, WorkflowsUrl) {
  auto ch = channels::testing::FromUrl(
      kKind, "workflows://prod-00.westus.logic.azure.com:443/abc123/SIG%2Bx", &http_);
  ASSERT_TRUE(ch.ok()) << ch.error().message();
  (*ch)->Send(Message("hi"));
  EXPECT_EQ(http_.last().url,
            "https://prod-00.westus.logic.azure.com/workflows/abc123/triggers/manual/paths/invoke"
            "?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=SIG%2Bx");
}

TEST_F(TeamsTest, SizeLimit) {
  auto ch = channels::testing::FromYaml(kKind, "type: teams\nwebhook: { env: LL_TEST_TEAMS_URL }\n",
                                        &http_);
  ASSERT_TRUE(ch.ok());
  EXPECT_TRUE((*ch)->Check(Message(std::string(20000, 'a'))).ok());
  auto s = (*ch)->Check(Message(std::string(29000, 'a')));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("Teams allows 28,672 bytes"), std::string::npos);
}

TEST(TeamsClassify, EveryAnswer) {
  DeliveryResult r = Classify(Answered(
      401, R"({"error":{"code":"DirectApiInvalidAuthorizationSignature","message":"bad sig"}})"));
  EXPECT_EQ(r.outcome, Outcome::kFailed);
  EXPECT_EQ(r.far_code, "DirectApiInvalidAuthorizationSignature");
  r = Classify(Answered(404, R"({"error":{"code":"WorkflowNotFound","message":"gone"}})"));
  EXPECT_EQ(r.outcome, Outcome::kFailed);
  EXPECT_NE(r.reason.find("does not exist"), std::string::npos);
  r = Classify(Answered(429, R"({"error":{"code":"WorkflowTriggerIsThrottled","message":"x"}})"));
  EXPECT_EQ(r.outcome, Outcome::kRetry);
  EXPECT_TRUE(r.rate_limited);
  EXPECT_EQ(Classify(Answered(400, R"({"error":{"code":"InvalidRequestContent"}})")).outcome,
            Outcome::kFailed);
  EXPECT_EQ(Classify(Answered(502, "")).outcome, Outcome::kRetry);
  EXPECT_EQ(Classify(channels::testing::NoAnswer(HttpResponse::Transport::kLost)).outcome,
            Outcome::kUnconfirmed);
}

}  // namespace
}  // namespace lifeline::channels::teams
