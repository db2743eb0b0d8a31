// Unit tests of the Slack incoming-webhook adapter: config, slack:// URLs, the request, and the
// classification of Slack's answers. No network.
#include "channels/slack/slack.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "channels/testing_http.h"

namespace lifeline::channels::slack {
namespace {

using channels::testing::Answered;
using channels::testing::Message;

class SlackTest : public channels::testing::AdapterTest {
 protected:
  SlackTest()
      : AdapterTest({
            {"LL_TEST_SLACK_URL", "https://hooks.slack.com/services/T000/B000/XXXXSECRETXXXX"},
            {"LL_TEST_SLACK_HTTP", "http://hooks.example.com/services/T000/B000/XXXXSECRETXXXX"},
        }) {}
};

TEST_F(SlackTest, YamlGoodAndRequest) {
  auto ch = channels::testing::FromYaml(
      kKind, "type: slack\nwebhook: { env: LL_TEST_SLACK_URL }\nchannel: \"#ops\"\n", &http_);
  ASSERT_TRUE(ch.ok()) << ch.error().message();
  EXPECT_EQ((*ch)->info().kind, "slack");
  EXPECT_EQ((*ch)->info().platform, "");
  EXPECT_EQ((*ch)->info().recipient, "#ops");
  EXPECT_EQ((*ch)->info().traits.max_chars, 40000u);
  http_.Answer(200, "ok");
  DeliveryResult r = (*ch)->Send(Message("a <b> & c", "", "Alert"));
  EXPECT_EQ(r.outcome, Outcome::kDelivered) << r.reason;
  HttpRequest req = http_.last();
  EXPECT_EQ(req.url, "https://hooks.slack.com/services/T000/B000/XXXXSECRETXXXX");
  auto body = nlohmann::json::parse(req.body);
  EXPECT_EQ(body["text"], "*Alert*\na &lt;b&gt; &amp; c");
  EXPECT_EQ(body["channel"], "#ops");
}

TEST_F(SlackTest, YamlErrors) {
  const channels::testing::BadConfig cases[] = {
      {"type: slack\n", "test.yaml:3: channels.team: missing 'webhook'"},
      {"type: slack\nwebhook: https://hooks.slack.com/services/a/b/c\n",
       "test.yaml:4: channels.team.webhook: expected { env: NAME } or { file: PATH }"},
      {"type: slack\nwebhook: { env: LL_TEST_SLACK_HTTP }\n",
       "test.yaml:4: channels.team.webhook: the URL must be https://"},
      {"type: slack\nwebhook: { env: LL_TEST_SLACK_URL }\nchanel: x\n",
       "channels.team.chanel: unknown key 'chanel' (did you mean 'channel'?)"},
  };
  ExpectRefused(kKind, cases, {"SECRET"});
}

TEST_F(SlackTest, UrlForms) {
  auto ch = channels::testing::FromUrl(
      kKind, "slack://lifeline@T1JJ3T3L2/A1BRTD4JD/TIiajkdnl/general", &http_);
  ASSERT_TRUE(ch.ok()) << ch.error().message();
  EXPECT_EQ((*ch)->info().recipient, "#general");
  (*ch)->Send(Message("hi"));
  EXPECT_EQ(http_.last().url, "https://hooks.slack.com/services/T1JJ3T3L2/A1BRTD4JD/TIiajkdnl");
  auto body = nlohmann::json::parse(http_.last().body);
  EXPECT_EQ(body["username"], "lifeline");

  auto local =
      channels::testing::FromUrl(kKind, "slack://T1/B1/C1?api_base=http://127.0.0.1:9999", &http_);
  ASSERT_TRUE(local.ok()) << local.error().message();
  (*local)->Send(Message("hi"));
  EXPECT_EQ(http_.last().url, "http://127.0.0.1:9999/services/T1/B1/C1");

  ExpectUrlsRefused(kKind,
                    {"slack://xoxb-1234-SECRET/#general", "slack://T1/B1", "slack://T1/B1/C1/#a/#b",
                     "slack://T1/B1/C1?channel=x"},
                    "channels.team.url: ", {"SECRET"});
}

TEST_F(SlackTest, Length) {
  auto ch = channels::testing::FromYaml(kKind, "type: slack\nwebhook: { env: LL_TEST_SLACK_URL }\n",
                                        &http_);
  ASSERT_TRUE(ch.ok());
  EXPECT_TRUE((*ch)->Check(Message(std::string(40000, 'a'))).ok());
  EXPECT_FALSE((*ch)->Check(Message(std::string(40001, 'a'))).ok());
  // Escapes count: Slack measures the text it receives.
  EXPECT_FALSE((*ch)->Check(Message(std::string(10000, '&'))).ok());
}

TEST(SlackClassify, EveryAnswer) {
  EXPECT_EQ(Classify(Answered(200, "ok")).outcome, Outcome::kDelivered);
  DeliveryResult r = Classify(Answered(429, "too many requests", {{"retry-after", "30"}}));
  EXPECT_EQ(r.outcome, Outcome::kRetry);
  EXPECT_TRUE(r.rate_limited);
  EXPECT_EQ(r.retry_after, std::chrono::milliseconds(30000));
  r = Classify(Answered(400, "invalid_payload"));
  EXPECT_EQ(r.outcome, Outcome::kFailed);
  EXPECT_EQ(r.far_code, "invalid_payload");
  r = Classify(Answered(404, "channel_not_found"));
  EXPECT_EQ(r.outcome, Outcome::kFailed);
  EXPECT_NE(r.reason.find("channel_not_found"), std::string::npos);
  r = Classify(Answered(403, "invalid_token"));
  EXPECT_EQ(r.outcome, Outcome::kFailed);
  EXPECT_NE(r.reason.find("create a new one"), std::string::npos);
  r = Classify(Answered(410, "channel_is_archived"));
  EXPECT_EQ(r.outcome, Outcome::kFailed);
  EXPECT_EQ(Classify(Answered(500, "rollup_error")).outcome, Outcome::kRetry);
  EXPECT_EQ(Classify(channels::testing::NoAnswer(HttpResponse::Transport::kLost)).outcome,
            Outcome::kUnconfirmed);
}

}  // namespace
}  // namespace lifeline::channels::slack
