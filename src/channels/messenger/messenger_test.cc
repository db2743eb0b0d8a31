// Unit tests of the Messenger / Instagram Send API adapter: config (YAML and URLs), the request,
// the window-closed -> tagged resend path, limits, and the classification of Graph errors.
#include "channels/messenger/messenger.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "channels/testing_http.h"

namespace lifeline::channels::messenger {
namespace {

using channels::testing::Answered;
using channels::testing::Message;

std::string GraphError(int code, int subcode, const std::string& message) {
  nlohmann::json e = {
      {"error",
       {{"message", message}, {"type", "OAuthException"}, {"code", code}, {"fbtrace_id", "X"}}}};
  if (subcode != 0) e["error"]["error_subcode"] = subcode;
  return e.dump();
}

class MessengerTest : public channels::testing::AdapterTest {
 protected:
  MessengerTest() : AdapterTest({{"LL_TEST_PAGE_TOKEN", "EAAPagetoken"}}) {}
};

TEST_F(MessengerTest, YamlRequestAndDelivered) {
  auto ch = channels::testing::FromYaml(kKind,
                                        "type: messenger\n"
                                        "page_token: { env: LL_TEST_PAGE_TOKEN }\n"
                                        "page_id: \"1122334455\"\n"
                                        "to: \"6789012345\"\n"
                                        "messaging_type: update\n",
                                        &http_);
  ASSERT_TRUE(ch.ok()) << ch.error().message();
  EXPECT_EQ((*ch)->info().platform, "messenger");
  EXPECT_EQ((*ch)->info().traits.max_chars, 2000u);
  http_.Answer(200, R"({"recipient_id":"6789012345","message_id":"m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM"})");
  DeliveryResult r = (*ch)->Send(Message("We moved to Telegram", "", "Instagram DMs are down"));
  EXPECT_EQ(r.outcome, Outcome::kDelivered);
  EXPECT_EQ(r.remote_id, "m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM");
  HttpRequest req = http_.last();
  EXPECT_EQ(req.url, "https://graph.facebook.com/v21.0/1122334455/messages");
  EXPECT_EQ(req.url.find("EAAPagetoken"), std::string::npos);
  auto body = nlohmann::json::parse(req.body);
  EXPECT_EQ(body["recipient"]["id"], "6789012345");
  EXPECT_EQ(body["messaging_type"], "UPDATE");
  EXPECT_FALSE(body.contains("tag"));
  EXPECT_EQ(body["message"]["text"], "Instagram DMs are down\nWe moved to Telegram");
}

TEST_F(MessengerTest, WindowClosedResendsTagged) {
  auto ch = channels::testing::FromYaml(kKind,
                                        "type: messenger\n"
                                        "page_token: { env: LL_TEST_PAGE_TOKEN }\n"
                                        "to: \"6789012345\"\n"
                                        "outside_window_tag: human_agent\n",
                                        &http_);
  ASSERT_TRUE(ch.ok()) << ch.error().message();
  http_.Answer(400,
               GraphError(10, 2018278, "(#10) This message is sent outside of allowed window."));
  http_.Answer(200, R"({"recipient_id":"6789012345","message_id":"m_tagged"})");
  DeliveryResult r = (*ch)->Send(Message("hi"));
  EXPECT_EQ(r.outcome, Outcome::kDelivered) << r.reason;
  EXPECT_EQ(r.remote_id, "m_tagged");
  EXPECT_NE(r.reason.find("HUMAN_AGENT"), std::string::npos);
  auto reqs = http_.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].url, "https://graph.facebook.com/v21.0/me/messages");
  auto tagged = nlohmann::json::parse(reqs[1].body);
  EXPECT_EQ(tagged["messaging_type"], "MESSAGE_TAG");
  EXPECT_EQ(tagged["tag"], "HUMAN_AGENT");
}

TEST_F(MessengerTest, InstagramBytesAndTags) {
  auto ch = channels::testing::FromYaml(kInstagramKind,
                                        "type: instagram\n"
                                        "page_token: { env: LL_TEST_PAGE_TOKEN }\n"
                                        "account_id: \"17841400000000\"\n",
                                        &http_);
  ASSERT_TRUE(ch.ok()) << ch.error().message();
  EXPECT_EQ((*ch)->info().kind, "instagram");
  EXPECT_EQ((*ch)->info().platform, "instagram");
  EXPECT_TRUE((*ch)->info().traits.needs_recipient);
  EXPECT_TRUE((*ch)->Check(Message(std::string(1000, 'a'), "123")).ok());
  std::string accents;
  for (int i = 0; i < 501; ++i) accents += "\xC3\xA9";  // 501 characters, 1,002 bytes
  auto s = (*ch)->Check(Message(accents, "123"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message(), "team: 1,002 bytes of UTF-8; Instagram allows 1,000");
  EXPECT_FALSE((*ch)->Check(Message("x", "not-an-id")).ok());

  auto bad = channels::testing::FromYaml(kInstagramKind,
                                         "type: instagram\n"
                                         "page_token: { env: LL_TEST_PAGE_TOKEN }\n"
                                         "outside_window_tag: ACCOUNT_UPDATE\n",
                                         &http_);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("test.yaml:5: channels.team.outside_window_tag: "
                                       "'ACCOUNT_UPDATE' is not a message tag Instagram accepts"),
            std::string::npos)
      << bad.error().message();
}

TEST_F(MessengerTest, ConfigErrors) {
  const channels::testing::BadConfig cases[] = {
      {"type: messenger\n", "test.yaml:3: channels.team: missing 'page_token'"},
      {"type: messenger\npage_token: { env: LL_TEST_PAGE_TOKEN }\nmessaging_type: promo\n",
       "test.yaml:5: channels.team.messaging_type: 'PROMO' is not response, update or message_tag"},
      {"type: messenger\npage_token: { env: LL_TEST_PAGE_TOKEN }\nmessaging_type: message_tag\n",
       "channels.team.messaging_type: message_tag needs tag:"},
      {"type: messenger\npage_token: { env: LL_TEST_PAGE_TOKEN }\ntag: human_agent\n",
       "channels.team.tag: a tag needs messaging_type: message_tag"},
      {"type: messenger\npage_token: { env: LL_TEST_PAGE_TOKEN }\nto: \"abc\"\n",
       "channels.team.to: 'abc' is not a scoped id"},
      {"type: messenger\npage_token: { env: LL_TEST_PAGE_TOKEN }\naccount_id: \"1\"\n",
       "channels.team.account_id: unknown key 'account_id'"},
  };
  ExpectRefused(kKind, cases);
}

TEST_F(MessengerTest, UrlForms) {
  auto ch = channels::testing::FromUrl(
      kKind, "messenger://EAAtok@1122334455/6789012345?tag=HUMAN_AGENT", &http_);
  ASSERT_TRUE(ch.ok()) << ch.error().message();
  (*ch)->Send(Message("x"));
  auto body = nlohmann::json::parse(http_.last().body);
  EXPECT_EQ(body["messaging_type"], "MESSAGE_TAG");
  EXPECT_EQ(body["tag"], "HUMAN_AGENT");
  auto ig = channels::testing::FromUrl(kInstagramKind, "instagram://EAAtok@17841400000000", &http_);
  ASSERT_TRUE(ig.ok()) << ig.error().message();
  EXPECT_EQ((*ig)->info().platform, "instagram");
  for (const std::string& u :
       std::vector<std::string>{"messenger://1122334455/1", "messenger://tok@abc/1",
                                "messenger://tok@1/1/2", "messenger://tok@1/1?tag=NOPE"}) {
    EXPECT_FALSE(channels::testing::FromUrl(kKind, u, &http_).ok()) << u;
  }
}

TEST(MessengerClassify, ErrorCodes) {
  DeliveryResult r = Classify(Answered(400, GraphError(10, 2018278, "outside window")));
  EXPECT_EQ(r.outcome, Outcome::kFailed);
  EXPECT_TRUE(IsWindowClosed(r));
  EXPECT_TRUE(IsWindowClosed(Classify(Answered(400, GraphError(10, 2534022, "ig window")))));
  r = Classify(Answered(400, GraphError(613, 0, "Calls to this api have exceeded the rate limit")));
  EXPECT_EQ(r.outcome, Outcome::kRetry);
  EXPECT_TRUE(r.rate_limited);
  EXPECT_EQ(Classify(Answered(400, GraphError(80006, 0, "rate"))).outcome, Outcome::kRetry);
  EXPECT_EQ(Classify(Answered(500, GraphError(1200, 0, "Temporary send message failure"))).outcome,
            Outcome::kRetry);
  EXPECT_EQ(Classify(Answered(401, GraphError(190, 460, "token expired"))).outcome,
            Outcome::kFailed);
  EXPECT_EQ(Classify(Answered(400, GraphError(551, 1545041, "person isn't available"))).outcome,
            Outcome::kFailed);
  r = Classify(Answered(400, GraphError(100, 2018001, "No matching user found")));
  EXPECT_EQ(r.outcome, Outcome::kFailed);
  EXPECT_EQ(r.far_code, "100/2018001");
  EXPECT_EQ(Classify(Answered(200, "{}")).outcome, Outcome::kUnconfirmed);
  EXPECT_EQ(Classify(channels::testing::NoAnswer(HttpResponse::Transport::kLost)).outcome,
            Outcome::kUnconfirmed);
}

}  // namespace
}  // namespace lifeline::channels::messenger
