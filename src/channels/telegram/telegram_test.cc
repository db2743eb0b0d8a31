// Unit tests of the Telegram adapter: config (YAML and tgram:// URLs), escaping and length,
// the sendMessage request, and the classification of canned Bot API answers. No network.
#include "channels/telegram/telegram.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "channels/testing_http.h"

namespace lifeline::channels::telegram {
namespace {

using channels::testing::Answered;
using channels::testing::Message;

constexpr const char* kToken = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";

class TelegramTest : public channels::testing::AdapterTest {
 protected:
  TelegramTest() : AdapterTest({{"LL_TEST_TG_TOKEN", kToken}}) {}
};

TEST_F(TelegramTest, YamlGood) {
  auto ch = channels::testing::FromYaml(kKind,
                                        "type: telegram\n"
                                        "token: { env: LL_TEST_TG_TOKEN }\n"
                                        "chat: \"-1001234567890\"\n"
                                        "parse_mode: markdownv2\n"
                                        "silent: true\n",
                                        &http_);
  ASSERT_TRUE(ch.ok()) << ch.error().message();
  const Info& info = (*ch)->info();
  EXPECT_EQ(info.name, "team");
  EXPECT_EQ(info.kind, "telegram");
  EXPECT_EQ(info.platform, "telegram");
  EXPECT_EQ(info.recipient, "-1001234567890");
  EXPECT_EQ(info.traits.max_chars, 4096u);
  EXPECT_FALSE(info.traits.needs_recipient);
  EXPECT_FALSE(info.traits.deduplicates);
  EXPECT_NEAR(info.traits.rate_per_second, 20.0 / 60.0, 1e-9);
}

TEST_F(TelegramTest, YamlErrorsNameFileLineKey) {
  const channels::testing::BadConfig cases[] = {
      {"type: telegram\nchat: \"@lifeline_status\"\n",
       "test.yaml:3: channels.team: missing 'token'"},
      {"type: telegram\ntoken: { env: LL_TEST_UNSET_VAR }\n",
       "test.yaml:4: channels.team.token: environment variable LL_TEST_UNSET_VAR is not set"},
      {"type: telegram\ntoken: plain-token\n", "channels.team.token: expected { env: NAME }"},
      {"type: telegram\ntoken: { env: LL_TEST_TG_TOKEN }\nchat: \"12ab\"\n",
       "test.yaml:5: channels.team.chat: '12ab' is not a chat id"},
      {"type: telegram\ntoken: { env: LL_TEST_TG_TOKEN }\nchat: \"@abc\"\n",
       "channels.team.chat: '@abc' is not a channel username"},
      {"type: telegram\ntoken: { env: LL_TEST_TG_TOKEN }\nchatt: \"1\"\n",
       "channels.team.chatt: unknown key 'chatt' (did you mean 'chat'?)"},
      {"type: telegram\ntoken: { env: LL_TEST_TG_TOKEN }\nparse_mode: bbcode\n",
       "channels.team.parse_mode: 'bbcode' is not a parse mode"},
      {"type: telegram\ntoken: { env: LL_TEST_TG_TOKEN }\napi_base: http://example.com\n",
       "channels.team.api_base: the URL must be https://"},
  };
  ExpectRefused(kKind, cases);
}

TEST_F(TelegramTest, BadTokenIsNeverEchoed) {
  setenv("LL_TEST_TG_BAD", "not-a-token-XYZZY", 1);
  auto ch = channels::testing::FromYaml(kKind, "type: telegram\ntoken: { env: LL_TEST_TG_BAD }\n",
                                        &http_);
  ASSERT_FALSE(ch.ok());
  EXPECT_NE(ch.error().message().find("does not look like a bot token"), std::string::npos);
  EXPECT_EQ(ch.error().message().find("XYZZY"), std::string::npos);
}

TEST_F(TelegramTest, UrlForms) {
  auto ch = channels::testing::FromUrl(
      kKind, std::string("tgram://") + kToken + "/@lifeline_status?format=text&silent=yes", &http_);
  ASSERT_TRUE(ch.ok()) << ch.error().message();
  EXPECT_EQ((*ch)->info().recipient, "@lifeline_status");
  (*ch)->Send(Message("a <b> & c"));
  auto body = nlohmann::json::parse(http_.last().body);
  EXPECT_EQ(body["text"], "a <b> & c");
  EXPECT_FALSE(body.contains("parse_mode"));
  EXPECT_EQ(body["disable_notification"], true);
  EXPECT_EQ(http_.last().url,
            std::string("https://api.telegram.org/bot") + kToken + "/sendMessage");

  // "bot" prefix, no chat (the message names it), api_base for a local relay.
  auto ch2 = channels::testing::FromUrl(
      kKind, std::string("tgram://bot") + kToken + "?api_base=http://127.0.0.1:8081", &http_);
  ASSERT_TRUE(ch2.ok()) << ch2.error().message();
  EXPECT_TRUE((*ch2)->info().traits.needs_recipient);
  EXPECT_FALSE((*ch2)->Check(Message("hi")).ok());
  EXPECT_TRUE((*ch2)->Check(Message("hi", "123456")).ok());
  (*ch2)->Send(Message("hi", "123456"));
  EXPECT_EQ(http_.last().url, std::string("http://127.0.0.1:8081/bot") + kToken + "/sendMessage");
}

TEST_F(TelegramTest, UrlErrorsNeverQuoteTheUrl) {
  ExpectUrlsRefused(kKind,
                    {"tgram://SECRETPART/123", std::string("tgram://") + kToken + "/1/2",
                     std::string("tgram://") + kToken + "/12ab",
                     std::string("tgram://") + kToken + "/1?fromat=html"},
                    "test.yaml:2: channels.team.url: ", {"SECRETPART", "AAHdq"});
}

TEST(TelegramText, Escaping) {
  EXPECT_EQ(Escape("1 < 2 & 3 > 2", ParseMode::kHtml), "1 &lt; 2 &amp; 3 &gt; 2");
  EXPECT_EQ(Escape("a_b*c [x](y) 1.5! #t", ParseMode::kMarkdownV2),
            "a\\_b\\*c \\[x\\]\\(y\\) 1\\.5\\! \\#t");
  EXPECT_EQ(Escape("back\\slash", ParseMode::kMarkdownV2), "back\\\\slash");
  EXPECT_EQ(Escape("as is <b>", ParseMode::kNone), "as is <b>");
  OutgoingMessage m = Message("WhatsApp is down.", "", "Outage <now>");
  EXPECT_EQ(Render(m, ParseMode::kHtml), "<b>Outage &lt;now&gt;</b>\nWhatsApp is down.");
  EXPECT_EQ(Render(m, ParseMode::kMarkdownV2), "*Outage <now\\>*\nWhatsApp is down\\.");
}

TEST_F(TelegramTest, LengthIsCountedAsTelegramDoes) {
  auto ch = channels::testing::FromYaml(
      kKind, "type: telegram\ntoken: { env: LL_TEST_TG_TOKEN }\nchat: \"42\"\n", &http_);
  ASSERT_TRUE(ch.ok());
  EXPECT_TRUE((*ch)->Check(Message(std::string(4096, 'a'))).ok());
  // Escapes do not count: '&' becomes "&amp;" on the wire but shows as one character.
  EXPECT_TRUE((*ch)->Check(Message(std::string(4096, '&'))).ok());
  auto s = (*ch)->Check(Message(std::string(4097, 'a')));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message(), "team: 4,097 characters; Telegram allows 4,096");
  // An emoji outside the BMP is two UTF-16 units.
  std::string emoji = "\xF0\x9F\x98\x80";
  std::string text;
  for (int i = 0; i < 2049; ++i) text += emoji;
  EXPECT_FALSE((*ch)->Check(Message(text)).ok());
  EXPECT_FALSE((*ch)->Check(Message("bad \xFF utf8")).ok());
  EXPECT_FALSE((*ch)->Check(Message("")).ok());
}

TEST_F(TelegramTest, RequestShape) {
  auto ch = channels::testing::FromYaml(
      kKind, "type: telegram\ntoken: { env: LL_TEST_TG_TOKEN }\nchat: \"42\"\n", &http_);
  ASSERT_TRUE(ch.ok());
  http_.Answer(200, R"({"ok":true,"result":{"message_id":991,"chat":{"id":42}}})");
  DeliveryResult r = (*ch)->Send(Message("x < y", "", "Alert"));
  EXPECT_EQ(r.outcome, Outcome::kDelivered);
  EXPECT_EQ(r.remote_id, "991");
  HttpRequest req = http_.last();
  EXPECT_EQ(req.method, "POST");
  auto body = nlohmann::json::parse(req.body);
  EXPECT_EQ(body["chat_id"], "42");
  EXPECT_EQ(body["parse_mode"], "HTML");
  EXPECT_EQ(body["text"], "<b>Alert</b>\nx &lt; y");
  EXPECT_EQ(body["link_preview_options"]["is_disabled"], true);
  EXPECT_EQ(req.timeout, std::chrono::milliseconds(3000));
}

TEST(TelegramClassify, EveryAnswer) {
  DeliveryResult r = Classify(Answered(
      429, R"({"ok":false,"error_code":429,"description":"Too Many Requests: retry after 7",
                       "parameters":{"retry_after":7}})"));
  EXPECT_EQ(r.outcome, Outcome::kRetry);
  EXPECT_TRUE(r.rate_limited);
  EXPECT_EQ(r.retry_after, std::chrono::milliseconds(7000));
  EXPECT_EQ(r.far_code, "429");

  r = Classify(Answered(401, R"({"ok":false,"error_code":401,"description":"Unauthorized"})"));
  EXPECT_EQ(r.outcome, Outcome::kFailed);
  EXPECT_NE(r.reason.find("refused the bot token: Unauthorized"), std::string::npos);

  r = Classify(Answered(
      400, R"({"ok":false,"error_code":400,"description":"Bad Request: chat not found"})"));
  EXPECT_EQ(r.outcome, Outcome::kFailed);
  EXPECT_NE(r.reason.find("chat not found"), std::string::npos);
  EXPECT_EQ(r.http_status, 400);

  r = Classify(Answered(403, R"({"ok":false,"error_code":403,
                                 "description":"Forbidden: bot was blocked by the user"})"));
  EXPECT_EQ(r.outcome, Outcome::kFailed);

  r = Classify(Answered(400, R"({"ok":false,"error_code":400,
    "description":"Bad Request: group chat was upgraded to a supergroup chat",
    "parameters":{"migrate_to_chat_id":-1009}})"));
  EXPECT_EQ(r.outcome, Outcome::kFailed);
  EXPECT_NE(r.reason.find("-1009"), std::string::npos);

  r = Classify(Answered(404, R"({"ok":false,"error_code":404,"description":"Not Found"})"));
  EXPECT_EQ(r.outcome, Outcome::kFailed);

  r = Classify(Answered(502, "<html>Bad Gateway</html>"));
  EXPECT_EQ(r.outcome, Outcome::kRetry);

  r = Classify(Answered(500,
                        R"({"ok":false,"error_code":500,"description":"Internal Server Error"})",
                        {{"retry-after", "3"}}));
  EXPECT_EQ(r.outcome, Outcome::kRetry);
  EXPECT_EQ(r.retry_after, std::chrono::milliseconds(3000));

  r = Classify(Answered(200, "<html>proxy</html>"));
  EXPECT_EQ(r.outcome, Outcome::kUnconfirmed);

  r = Classify(channels::testing::NoAnswer(HttpResponse::Transport::kLost,
                                           "api.telegram.org:443: Operation timed out"));
  EXPECT_EQ(r.outcome, Outcome::kUnconfirmed);
  r = Classify(channels::testing::NoAnswer(HttpResponse::Transport::kNotSent,
                                           "api.telegram.org:443: Could not resolve host"));
  EXPECT_EQ(r.outcome, Outcome::kRetry);
  EXPECT_NE(r.reason.find("not sent"), std::string::npos);
}

}  // namespace
}  // namespace lifeline::channels::telegram
