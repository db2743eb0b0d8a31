// Unit tests of the Discord webhook adapter: config, discord:// URLs, escaping and the 2,000
// limit, the wait=true request, and the classification of Discord's answers. No network.
#include "channels/discord/discord.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <nlohmann/json.hpp>

#include "channels/testing_http.h"

namespace lifeline::channels::discord {
namespace {

using channels::testing::Answered;
using channels::testing::FakeHttp;
using channels::testing::Message;

const std::string kToken = "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-SECRET";

class DiscordTest : public channels::testing::AdapterTest {
 protected:
  DiscordTest()
      : AdapterTest({
            {"LL_TEST_DISCORD_URL",
             "https://discord.com/api/webhooks/112233445566778899/" + kToken},
            {"LL_TEST_DISCORD_OTHER", "https://example.com/hooks/1"},
        }) {}
};

TEST_F(DiscordTest, YamlGoodAndRequest) {
  auto ch = channels::testing::FromYaml(
      kKind, "type: discord\nwebhook: { env: LL_TEST_DISCORD_URL }\nusername: Lifeline\n", &http_);
  ASSERT_TRUE(ch.ok()) << ch.error().message();
  const Info& info = (*ch)->info();
  EXPECT_EQ(info.platform, "discord");
  EXPECT_EQ(info.recipient, "Discord webhook 112233445566778899");
  EXPECT_EQ(info.traits.max_chars, 2000u);
  http_.Answer(200, R"({"id":"1234567890123","channel_id":"42","content":"..."})");
  DeliveryResult r = (*ch)->Send(Message("@everyone *down*", "", "Outage"));
  EXPECT_EQ(r.outcome, Outcome::kDelivered);
  EXPECT_EQ(r.remote_id, "1234567890123");
  HttpRequest req = http_.last();
  EXPECT_EQ(req.url,
            "https://discord.com/api/webhooks/112233445566778899/" + kToken + "?wait=true");
  auto body = nlohmann::json::parse(req.body);
  EXPECT_EQ(body["content"], "**Outage**\n@everyone \\*down\\*");
  EXPECT_TRUE(body["allowed_mentions"]["parse"].empty());
  EXPECT_EQ(body["username"], "Lifeline");
}

TEST_F(DiscordTest, YamlErrors) {
  auto e = channels::testing::FromYaml(kKind, "type: discord\n", &http_);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message().find("test.yaml:3: channels.team: missing 'webhook'"),
            std::string::npos);
  e = channels::testing::FromYaml(kKind, "type: discord\nwebhook: { env: LL_TEST_DISCORD_OTHER }\n",
                                  &http_);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message().find("test.yaml:4: channels.team.webhook: the secret's URL is not "
                                     "a Discord webhook URL"),
            std::string::npos)
      << e.error().message();
}

TEST_F(DiscordTest, UrlForms) {
  auto ch = channels::testing::FromUrl(kKind, "discord://bot@112233445566778899/" + kToken, &http_);
  ASSERT_TRUE(ch.ok()) << ch.error().message();
  (*ch)->Send(Message("hi"));
  EXPECT_EQ(http_.last().url,
            "https://discord.com/api/webhooks/112233445566778899/" + kToken + "?wait=true");
  EXPECT_EQ(nlohmann::json::parse(http_.last().body)["username"], "bot");
  ExpectUrlsRefused(kKind,
                    {"discord://notdigits/" + kToken, "discord://123/short",
                     "discord://123/" + kToken + "/extra", "discord://123"},
                    "", {"SECRET"});
}

TEST(DiscordText, EscapingAndLimit) {
  EXPECT_EQ(Render(Message("# not a heading\n- not a list\n> no quote\na-b #c")),
            "\\# not a heading\n\\- not a list\n\\> no quote\na-b #c");
  EXPECT_EQ(Render(Message("[x](http://y) `c` ~s~ |sp| _i_")),
            "\\[x\\]\\(http://y\\) \\`c\\` \\~s\\~ \\|sp\\| \\_i\\_");
  FakeHttp http;
  setenv("LL_TEST_DISCORD_URL2", "https://discord.com/api/webhooks/1/tok", 1);
  auto ch = channels::testing::FromYaml(
      kKind, "type: discord\nwebhook: { env: LL_TEST_DISCORD_URL2 }\n", &http);
  ASSERT_TRUE(ch.ok());
  EXPECT_TRUE((*ch)->Check(Message(std::string(2000, 'a'))).ok());
  EXPECT_FALSE((*ch)->Check(Message(std::string(2001, 'a'))).ok());
  EXPECT_FALSE((*ch)->Check(Message(std::string(1001, '*'))).ok());  // 2,002 with escapes
  DeliveryResult r = (*ch)->Send(Message(std::string(2001, 'a')));
  EXPECT_EQ(r.outcome, Outcome::kFailed);
  EXPECT_TRUE(http.requests().empty());
}

TEST(DiscordClassify, EveryAnswer) {
  DeliveryResult r = Classify(Answered(
      429, R"({"message":"You are being rate limited.","retry_after":0.347,"global":false})",
      {{"retry-after", "1"}}));
  EXPECT_EQ(r.outcome, Outcome::kRetry);
  EXPECT_TRUE(r.rate_limited);
  EXPECT_EQ(r.retry_after, std::chrono::milliseconds(347));
  r = Classify(Answered(404, R"({"message":"Unknown Webhook","code":10015})"));
  EXPECT_EQ(r.outcome, Outcome::kFailed);
  EXPECT_EQ(r.far_code, "10015");
  EXPECT_NE(r.reason.find("Unknown Webhook"), std::string::npos);
  r = Classify(Answered(401, R"({"message":"Invalid Webhook Token","code":50027})"));
  EXPECT_EQ(r.outcome, Outcome::kFailed);
  r = Classify(Answered(400, R"({"code":50035,"message":"Invalid Form Body","errors":{}})"));
  EXPECT_EQ(r.outcome, Outcome::kFailed);
  EXPECT_EQ(r.far_code, "50035");
  EXPECT_EQ(Classify(Answered(204, "")).outcome, Outcome::kDelivered);
  EXPECT_EQ(Classify(Answered(502, "<html>")).outcome, Outcome::kRetry);
  EXPECT_EQ(Classify(channels::testing::NoAnswer(HttpResponse::Transport::kLost)).outcome,
            Outcome::kUnconfirmed);
}

}  // namespace
}  // namespace lifeline::channels::discord
