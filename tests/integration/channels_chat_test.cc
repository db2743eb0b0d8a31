// The chat adapters end to end on loopback: the real adapter and the libcurl client against
// tests/fakes/chat_apis.py (Telegram, WhatsApp, Messenger/Instagram, Twilio, Slack, Discord,
// Teams, the webhook sink). Delivered with the far side's id, 429 -> retry with its wait, bad
// credentials -> failed, no answer -> unconfirmed, WhatsApp outside the window -> template.
#include <stdlib.h>

#include <chrono>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "channels/http.h"
#include "channels/registry.h"
#include "channels/testing_http.h"
#include "integration/support/chat_fakes.h"

namespace lifeline::channels {
namespace {

using namespace std::chrono_literals;
using channels::testing::Message;
using lifeline::testing::ChatFakes;

class ChatChannels : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fakes_ = new ChatFakes();
    std::string error;
    if (!fakes_->Start(&error)) {
      delete fakes_;
      fakes_ = nullptr;
      start_error_ = error;
    }
    setenv("LL_IT_TG_TOKEN", ChatFakes::kTelegramToken, 1);
    setenv("LL_IT_TG_WRONG", "123456789:AAHwrongwrongwrongwrongwrongwrong", 1);
    setenv("LL_IT_WA_TOKEN", ChatFakes::kWhatsAppToken, 1);
    setenv("LL_IT_PAGE_TOKEN", ChatFakes::kPageToken, 1);
    setenv("LL_IT_TWILIO_TOKEN", ChatFakes::kTwilioToken, 1);
    setenv("LL_IT_TWILIO_WRONG", "not-the-token", 1);
    setenv("LL_IT_HOOK_SECRET", ChatFakes::kWebhookSecret, 1);
  }
  static void TearDownTestSuite() {
    delete fakes_;
    fakes_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(fakes_, nullptr) << "chat_apis.py: " << start_error_;
    ASSERT_TRUE(fakes_->Reset());
    http_ = MakeCurlHttpClient();
  }

  // A channel from YAML, with api_base/webhook pointing at the fake.
  std::unique_ptr<Channel> Build(const std::string& type, const std::string& yaml,
                                 std::chrono::milliseconds timeout = 3000ms) {
    const Kind* kind = FindKind(type);
    EXPECT_NE(kind, nullptr) << type;
    if (kind == nullptr) return nullptr;
    auto ch = channels::testing::FromYaml(*kind, "type: " + type + "\n" + yaml, http_.get(), "it",
                                          timeout);
    EXPECT_TRUE(ch.ok()) << ch.error().message();
    return ch.ok() ? std::move(*ch) : nullptr;
  }

  std::unique_ptr<Channel> BuildUrl(const std::string& url) {
    auto parsed = ParseAppriseUrl(url);
    EXPECT_TRUE(parsed.ok());
    if (!parsed.ok()) return nullptr;
    const Kind* kind = FindScheme(parsed->scheme);
    EXPECT_NE(kind, nullptr) << parsed->scheme;
    if (kind == nullptr) return nullptr;
    auto ch = channels::testing::FromUrl(*kind, url, http_.get(), "it");
    EXPECT_TRUE(ch.ok()) << ch.error().message();
    return ch.ok() ? std::move(*ch) : nullptr;
  }

  std::string Base() const { return fakes_->Url(); }
  // Sets an environment variable to a URL on the fake (webhook URLs are secrets).
  void SetUrl(const char* name, const std::string& path) {
    setenv(name, fakes_->Url(path).c_str(), 1);
  }

  static ChatFakes* fakes_;
  static std::string start_error_;
  std::unique_ptr<HttpClient> http_;
};

ChatFakes* ChatChannels::fakes_ = nullptr;
std::string ChatChannels::start_error_;

// --- Telegram -----------------------------------------------------------------------------------

std::string TelegramYaml(const std::string& base, const std::string& token_env = "LL_IT_TG_TOKEN",
                         const std::string& extra = "") {
  return "token: { env: " + token_env + " }\nchat: \"-1001234567890\"\napi_base: " + base + "\n" +
         extra;
}

TEST_F(ChatChannels, TelegramDeliveredWithMessageId) {
  auto ch = Build("telegram", TelegramYaml(Base()));
  ASSERT_TRUE(ch);
  DeliveryResult r = ch->Send(Message("1 < 2 & WhatsApp is down. Use t.me/brand!", "", "Outage"));
  ASSERT_EQ(r.outcome, Outcome::kDelivered) << r.reason;
  auto got = fakes_->Received("telegram");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(r.remote_id, got[0]["remote_id"]);
  EXPECT_EQ(r.http_status, 200);
  // The fake parses the HTML the way the Bot API does: what people see is the text as written.
  EXPECT_EQ(got[0]["visible_text"], "Outage\n1 < 2 & WhatsApp is down. Use t.me/brand!");
}

TEST_F(ChatChannels, TelegramMarkdownV2EscapingIsAccepted) {
  auto ch = Build("telegram", TelegramYaml(Base(), "LL_IT_TG_TOKEN", "parse_mode: markdownv2\n"));
  ASSERT_TRUE(ch);
  DeliveryResult r = ch->Send(Message("(a) [b] 1.5! #tag -x- a_b *c* ~d~ `e` {f} =g| >h \\i"));
  ASSERT_EQ(r.outcome, Outcome::kDelivered) << r.reason;
  EXPECT_EQ(fakes_->Received("telegram")[0]["visible_text"],
            "(a) [b] 1.5! #tag -x- a_b *c* ~d~ `e` {f} =g| >h \\i");
}

TEST_F(ChatChannels, TelegramRateLimitedRetriesAfterWhatItSays) {
  ASSERT_TRUE(fakes_->Control(
      {{"platform", "telegram"}, {"fault", {{"kind", "rate_limit"}, {"retry_after", 7}}}}));
  auto ch = Build("telegram", TelegramYaml(Base()));
  ASSERT_TRUE(ch);
  DeliveryResult r = ch->Send(Message("hi"));
  EXPECT_EQ(r.outcome, Outcome::kRetry) << r.reason;
  EXPECT_TRUE(r.rate_limited);
  EXPECT_EQ(r.retry_after, std::chrono::milliseconds(7000));
  EXPECT_EQ(r.http_status, 429);
  // The fault was for one request: the next one goes through.
  EXPECT_EQ(ch->Send(Message("hi")).outcome, Outcome::kDelivered);
}

TEST_F(ChatChannels, TelegramBadTokenFailsForGood) {
  auto ch = Build("telegram", TelegramYaml(Base(), "LL_IT_TG_WRONG"));
  ASSERT_TRUE(ch);
  DeliveryResult r = ch->Send(Message("hi"));
  EXPECT_EQ(r.outcome, Outcome::kFailed);
  EXPECT_EQ(r.http_status, 401);
  EXPECT_EQ(r.reason.find("AAHwrong"), std::string::npos) << r.reason;
}

TEST_F(ChatChannels, TelegramUnknownChatFails) {
  ASSERT_TRUE(fakes_->Control({{"platform", "telegram"}, {"unknown_chats", {"-1001234567890"}}}));
  auto ch = Build("telegram", TelegramYaml(Base()));
  ASSERT_TRUE(ch);
  DeliveryResult r = ch->Send(Message("hi"));
  EXPECT_EQ(r.outcome, Outcome::kFailed);
  EXPECT_NE(r.reason.find("chat not found"), std::string::npos) << r.reason;
}

TEST_F(ChatChannels, TelegramNoAnswerIsUnconfirmed) {
  ASSERT_TRUE(
      fakes_->Control({{"platform", "telegram"}, {"fault", {{"kind", "hang"}, {"seconds", 4}}}}));
  auto ch = Build("telegram", TelegramYaml(Base()), 1000ms);
  ASSERT_TRUE(ch);
  auto start = std::chrono::steady_clock::now();
  DeliveryResult r = ch->Send(Message("hi"));
  EXPECT_EQ(r.outcome, Outcome::kUnconfirmed) << r.reason;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  EXPECT_EQ(fakes_->Received("telegram").size(), 1u);  // it did arrive
}

TEST_F(ChatChannels, TelegramConnectionClosedIsUnconfirmed) {
  ASSERT_TRUE(fakes_->Control({{"platform", "telegram"}, {"fault", {{"kind", "close"}}}}));
  auto ch = Build("telegram", TelegramYaml(Base()));
  ASSERT_TRUE(ch);
  EXPECT_EQ(ch->Send(Message("hi")).outcome, Outcome::kUnconfirmed);
}

TEST_F(ChatChannels, TelegramNothingListeningIsRetry) {
  auto ch = Build("telegram", TelegramYaml("http://127.0.0.1:1"));
  ASSERT_TRUE(ch);
  DeliveryResult r = ch->Send(Message("hi"));
  EXPECT_EQ(r.outcome, Outcome::kRetry) << r.reason;
  EXPECT_NE(r.reason.find("not sent"), std::string::npos);
}

TEST_F(ChatChannels, TelegramFromAppriseUrl) {
  auto ch = BuildUrl(std::string("tgram://") + ChatFakes::kTelegramToken +
                     "/@lifeline_status?api_base=" + Base());
  ASSERT_TRUE(ch);
  DeliveryResult r = ch->Send(Message("hello"));
  EXPECT_EQ(r.outcome, Outcome::kDelivered) << r.reason;
  EXPECT_EQ(fakes_->Received("telegram")[0]["json"]["chat_id"], "@lifeline_status");
}

// --- WhatsApp -----------------------------------------------------------------------------------

std::string WhatsAppYaml(const std::string& base, const std::string& extra = "") {
  return "token: { env: LL_IT_WA_TOKEN }\nphone_number_id: \"106540352242922\"\n"
         "to: \"+15551234567\"\napi_base: " +
         base + "\n" + extra;
}

TEST_F(ChatChannels, WhatsAppDeliveredWithWamid) {
  auto ch = Build("whatsapp", WhatsAppYaml(Base()));
  ASSERT_TRUE(ch);
  DeliveryResult r = ch->Send(Message("Instagram is down; we answer here.", "", "Outage"));
  ASSERT_EQ(r.outcome, Outcome::kDelivered) << r.reason;
  EXPECT_TRUE(r.remote_id.starts_with("wamid.")) << r.remote_id;
  auto got = fakes_->Received("whatsapp");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0]["auth"], "ok");
  EXPECT_EQ(got[0]["remote_id"], r.remote_id);
  EXPECT_EQ(got[0]["json"]["text"]["body"], "*Outage*\nInstagram is down; we answer here.");
}

TEST_F(ChatChannels, WhatsAppOutsideWindowSendsTemplate) {
  ASSERT_TRUE(fakes_->Control({{"platform", "whatsapp"}, {"window_closed", {"+15551234567"}}}));
  auto ch = Build("whatsapp",
                  WhatsAppYaml(Base(), "template: { name: lifeline_alert, language: en_US }\n"));
  ASSERT_TRUE(ch);
  DeliveryResult r = ch->Send(Message("Line one\nline two", "", "Outage"));
  ASSERT_EQ(r.outcome, Outcome::kDelivered) << r.reason;
  EXPECT_NE(r.reason.find("template 'lifeline_alert'"), std::string::npos) << r.reason;
  auto got = fakes_->Received("whatsapp");
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0]["error_code"], 131047);
  EXPECT_EQ(got[1]["type"], "template");
  EXPECT_EQ(got[1]["remote_id"], r.remote_id);
  EXPECT_EQ(got[1]["json"]["template"]["components"][0]["parameters"][0]["text"],
            "Outage: Line one | line two");
}

TEST_F(ChatChannels, WhatsAppOutsideWindowWithoutTemplateFails) {
  ASSERT_TRUE(fakes_->Control({{"platform", "whatsapp"}, {"window_closed", {"+15551234567"}}}));
  auto ch = Build("whatsapp", WhatsAppYaml(Base()));
  ASSERT_TRUE(ch);
  DeliveryResult r = ch->Send(Message("hi"));
  EXPECT_EQ(r.outcome, Outcome::kFailed);
  EXPECT_EQ(r.far_code, "131047");
}

TEST_F(ChatChannels, WhatsAppThroughputAndPairRateAreRetries) {
  auto ch = Build("whatsapp", WhatsAppYaml(Base()));
  ASSERT_TRUE(ch);
  ASSERT_TRUE(fakes_->Control({{"platform", "whatsapp"}, {"fault", {{"kind", "rate_limit"}}}}));
  DeliveryResult r = ch->Send(Message("hi"));
  EXPECT_EQ(r.outcome, Outcome::kRetry);
  EXPECT_EQ(r.far_code, "130429");
  EXPECT_TRUE(r.rate_limited);
  ASSERT_TRUE(fakes_->Control(
      {{"platform", "whatsapp"}, {"fault", {{"kind", "error_code"}, {"code", 131056}}}}));
  r = ch->Send(Message("hi"));
  EXPECT_EQ(r.outcome, Outcome::kRetry);
  EXPECT_EQ(r.retry_after, std::chrono::milliseconds(6000));
  ASSERT_TRUE(fakes_->Control(
      {{"platform", "whatsapp"}, {"fault", {{"kind", "error_code"}, {"code", 131026}}}}));
  EXPECT_EQ(ch->Send(Message("hi")).outcome, Outcome::kFailed);
}

TEST_F(ChatChannels, WhatsAppBadTokenFails) {
  setenv("LL_IT_WA_WRONG", "EAAG-wrong", 1);
  auto ch = Build("whatsapp",
                  "token: { env: LL_IT_WA_WRONG }\nphone_number_id: \"1065\"\n"
                  "to: \"+15551234567\"\napi_base: " +
                      Base() + "\n");
  ASSERT_TRUE(ch);
  DeliveryResult r = ch->Send(Message("hi"));
  EXPECT_EQ(r.outcome, Outcome::kFailed);
  EXPECT_EQ(r.far_code, "190");
}

TEST_F(ChatChannels, WhatsAppHangIsUnconfirmed) {
  ASSERT_TRUE(
      fakes_->Control({{"platform", "whatsapp"}, {"fault", {{"kind", "hang"}, {"seconds", 4}}}}));
  auto ch = Build("whatsapp", WhatsAppYaml(Base()), 1000ms);
  ASSERT_TRUE(ch);
  EXPECT_EQ(ch->Send(Message("hi")).outcome, Outcome::kUnconfirmed);
}

// --- Messenger and Instagram --------------------------------------------------------------------

TEST_F(ChatChannels, MessengerDeliveredAndTaggedOutsideWindow) {
  auto ch = Build("messenger",
                  "page_token: { env: LL_IT_PAGE_TOKEN }\npage_id: \"1122334455\"\n"
                  "to: \"6789012345\"\noutside_window_tag: HUMAN_AGENT\napi_base: " +
                      Base() + "\n");
  ASSERT_TRUE(ch);
  DeliveryResult r = ch->Send(Message("We moved to Telegram"));
  ASSERT_EQ(r.outcome, Outcome::kDelivered) << r.reason;
  EXPECT_TRUE(r.remote_id.starts_with("m_"));
  ASSERT_TRUE(fakes_->Control({{"platform", "messenger"}, {"window_closed", {"6789012345"}}}));
  r = ch->Send(Message("again"));
  ASSERT_EQ(r.outcome, Outcome::kDelivered) << r.reason;
  auto got = fakes_->Received("messenger");
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[1]["error_code"], 10);
  EXPECT_EQ(got[2]["json"]["messaging_type"], "MESSAGE_TAG");
  EXPECT_EQ(got[2]["json"]["tag"], "HUMAN_AGENT");
}

TEST_F(ChatChannels, InstagramDeliveredAndRateLimited) {
  auto ch = Build("instagram",
                  "page_token: { env: LL_IT_PAGE_TOKEN }\n"
                  "account_id: \"17841400000000\"\napi_base: " +
                      Base() + "\n");
  ASSERT_TRUE(ch);
  EXPECT_EQ(ch->info().platform, "instagram");
  DeliveryResult r = ch->Send(Message("hi", "4455667788"));
  ASSERT_EQ(r.outcome, Outcome::kDelivered) << r.reason;
  ASSERT_TRUE(fakes_->Control({{"platform", "instagram"}, {"fault", {{"kind", "rate_limit"}}}}));
  r = ch->Send(Message("hi", "4455667788"));
  EXPECT_EQ(r.outcome, Outcome::kRetry);
  EXPECT_TRUE(r.rate_limited);
}

// --- Twilio -------------------------------------------------------------------------------------

std::string TwilioYaml(const std::string& base,
                       const std::string& token_env = "LL_IT_TWILIO_TOKEN") {
  return std::string("account_sid: ") + ChatFakes::kTwilioSid +
         "\nauth_token: { env: " + token_env +
         " }\nfrom: \"+15017122661\"\nto: \"+15558675310\"\napi_base: " + base + "\n";
}

TEST_F(ChatChannels, TwilioDeliveredWithSid) {
  auto ch = Build("twilio", TwilioYaml(Base()));
  ASSERT_TRUE(ch);
  std::string text = "Instagram is down \xF0\x9F\x94\xA5 ";  // an emoji: UCS-2
  for (int i = 0; i < 5; ++i) text += "more words here ";
  DeliveryResult r = ch->Send(Message(text));
  ASSERT_EQ(r.outcome, Outcome::kDelivered) << r.reason;
  EXPECT_TRUE(r.remote_id.starts_with("SM"));
  auto got = fakes_->Received("twilio");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0]["auth"], "ok");
  EXPECT_EQ(got[0]["form"]["To"], "+15558675310");
  // Our count and the fake's (Twilio's) count agree.
  EXPECT_EQ(got[0]["encoding"], "UCS-2");
  EXPECT_NE(r.reason.find(std::to_string(got[0]["segments"].get<int>()) + " segments, UCS-2"),
            std::string::npos)
      << r.reason;
}

TEST_F(ChatChannels, TwilioBadTokenAndRateLimit) {
  auto bad = Build("twilio", TwilioYaml(Base(), "LL_IT_TWILIO_WRONG"));
  ASSERT_TRUE(bad);
  DeliveryResult r = bad->Send(Message("hi"));
  EXPECT_EQ(r.outcome, Outcome::kFailed);
  EXPECT_EQ(r.far_code, "20003");
  auto ch = Build("twilio", TwilioYaml(Base()));
  ASSERT_TRUE(ch);
  ASSERT_TRUE(fakes_->Control(
      {{"platform", "twilio"}, {"fault", {{"kind", "rate_limit"}, {"retry_after", 2}}}}));
  r = ch->Send(Message("hi"));
  EXPECT_EQ(r.outcome, Outcome::kRetry);
  EXPECT_EQ(r.retry_after, std::chrono::milliseconds(2000));
  ASSERT_TRUE(fakes_->Control({{"platform", "twilio"}, {"unsubscribed", {"+15558675310"}}}));
  r = ch->Send(Message("hi"));
  EXPECT_EQ(r.outcome, Outcome::kFailed);
  EXPECT_EQ(r.far_code, "21610");
}

// --- Slack, Discord, Teams ----------------------------------------------------------------------

TEST_F(ChatChannels, SlackDeliveredRateLimitedAndRevoked) {
  SetUrl("LL_IT_SLACK_URL", std::string("/services/T000/B000/") + ChatFakes::kSlackSecret);
  auto ch = Build("slack", "webhook: { env: LL_IT_SLACK_URL }\n");
  ASSERT_TRUE(ch);
  DeliveryResult r = ch->Send(Message("a <b> & c", "", "Outage"));
  ASSERT_EQ(r.outcome, Outcome::kDelivered) << r.reason;
  EXPECT_EQ(fakes_->Received("slack")[0]["json"]["text"], "*Outage*\na &lt;b&gt; &amp; c");
  ASSERT_TRUE(fakes_->Control(
      {{"platform", "slack"}, {"fault", {{"kind", "rate_limit"}, {"retry_after", 30}}}}));
  r = ch->Send(Message("hi"));
  EXPECT_EQ(r.outcome, Outcome::kRetry);
  EXPECT_EQ(r.retry_after, std::chrono::milliseconds(30000));

  SetUrl("LL_IT_SLACK_BAD", "/services/T000/B000/revoked");
  auto revoked = Build("slack", "webhook: { env: LL_IT_SLACK_BAD }\n");
  ASSERT_TRUE(revoked);
  r = revoked->Send(Message("hi"));
  EXPECT_EQ(r.outcome, Outcome::kFailed);
  EXPECT_EQ(r.far_code, "invalid_token");
}

TEST_F(ChatChannels, DiscordDeliveredWithIdAndRateLimited) {
  SetUrl("LL_IT_DISCORD_URL",
         std::string("/api/webhooks/112233445566778899/") + ChatFakes::kDiscordToken);
  auto ch = Build("discord", "webhook: { env: LL_IT_DISCORD_URL }\n");
  ASSERT_TRUE(ch);
  DeliveryResult r = ch->Send(Message("@everyone WhatsApp is *down*"));
  ASSERT_EQ(r.outcome, Outcome::kDelivered) << r.reason;
  auto got = fakes_->Received("discord");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0]["remote_id"], r.remote_id);  // wait=true: Discord answered with the message
  EXPECT_FALSE(r.remote_id.empty());
  ASSERT_TRUE(fakes_->Control(
      {{"platform", "discord"}, {"fault", {{"kind", "rate_limit"}, {"retry_after", 1.25}}}}));
  r = ch->Send(Message("hi"));
  EXPECT_EQ(r.outcome, Outcome::kRetry);
  EXPECT_EQ(r.retry_after, std::chrono::milliseconds(1250));

  SetUrl("LL_IT_DISCORD_BAD", "/api/webhooks/112233445566778899/wrongtoken");
  auto bad = Build("discord", "webhook: { env: LL_IT_DISCORD_BAD }\n");
  ASSERT_TRUE(bad);
  r = bad->Send(Message("hi"));
  EXPECT_EQ(r.outcome, Outcome::kFailed);
  EXPECT_EQ(r.far_code, "50027");
}

TEST_F(ChatChannels, DiscordFromAppriseUrl) {
  auto ch = BuildUrl(std::string("discord://112233445566778899/") + ChatFakes::kDiscordToken +
                     "?api_base=" + Base());
  ASSERT_TRUE(ch);
  EXPECT_EQ(ch->Send(Message("hi")).outcome, Outcome::kDelivered);
}

TEST_F(ChatChannels, TeamsWorkflowAcceptedAndBadSignature) {
  SetUrl("LL_IT_TEAMS_URL", std::string("/workflows/abc123/triggers/manual/paths/invoke"
                                        "?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun"
                                        "&sv=1.0&sig=") +
                                ChatFakes::kTeamsSig);
  auto ch = Build("teams", "webhook: { env: LL_IT_TEAMS_URL }\n");
  ASSERT_TRUE(ch);
  DeliveryResult r = ch->Send(Message("WhatsApp is down", "", "Outage"));
  ASSERT_EQ(r.outcome, Outcome::kDelivered) << r.reason;
  EXPECT_EQ(r.http_status, 202);
  auto got = fakes_->Received("teams");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0]["card_ok"], true);
  EXPECT_EQ(got[0]["remote_id"], r.remote_id);

  SetUrl("LL_IT_TEAMS_BAD",
         "/workflows/abc123/triggers/manual/paths/invoke"
         "?api-version=2016-06-01&sig=wrong");
  auto bad = Build("teams", "webhook: { env: LL_IT_TEAMS_BAD }\n");
  ASSERT_TRUE(bad);
  r = bad->Send(Message("hi"));
  EXPECT_EQ(r.outcome, Outcome::kFailed);
  EXPECT_EQ(r.far_code, "DirectApiInvalidAuthorizationSignature");
}

// --- the generic webhook ------------------------------------------------------------------------

TEST_F(ChatChannels, WebhookSignedDeliveredAndRetriedSafely) {
  auto ch = Build("webhook", "endpoint: " + fakes_->Url("/hook/ops") +
                                 "\nsecret: { env: LL_IT_HOOK_SECRET }\n");
  ASSERT_TRUE(ch);
  EXPECT_TRUE(ch->info().traits.deduplicates);
  OutgoingMessage m = Message("WhatsApp is down", "ops", "Outage");
  m.idempotency_key = "incident-7/alert-1";
  DeliveryResult r = ch->Send(m);
  ASSERT_EQ(r.outcome, Outcome::kDelivered) << r.reason;
  auto got = fakes_->Received("webhook");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0]["auth"], "ok");  // the sink verified X-Lifeline-Signature
  EXPECT_EQ(got[0]["fresh"], true);
  EXPECT_EQ(got[0]["idempotency_key"], "incident-7/alert-1");
  EXPECT_EQ(got[0]["json"]["text"], "WhatsApp is down");
  EXPECT_EQ(r.remote_id, got[0]["remote_id"]);

  // The next one's answer is lost: the adapter says retry (the key makes it safe), and the
  // retry is recognised by the sink as the same message.
  ASSERT_TRUE(fakes_->Control({{"platform", "webhook"}, {"fault", {{"kind", "close"}}}}));
  OutgoingMessage m2 = Message("second", "ops");
  m2.idempotency_key = "incident-7/alert-2";
  r = ch->Send(m2);
  EXPECT_EQ(r.outcome, Outcome::kRetry) << r.reason;
  m2.attempt = 2;
  r = ch->Send(m2);
  ASSERT_EQ(r.outcome, Outcome::kDelivered) << r.reason;
  got = fakes_->Received("webhook");
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[2]["duplicate"], true);
}

TEST_F(ChatChannels, WebhookWrongSecretFails) {
  setenv("LL_IT_HOOK_WRONG", "not-the-secret", 1);
  auto ch = Build(
      "webhook", "endpoint: " + fakes_->Url("/hook/ops") + "\nsecret: { env: LL_IT_HOOK_WRONG }\n");
  ASSERT_TRUE(ch);
  DeliveryResult r = ch->Send(Message("hi"));
  EXPECT_EQ(r.outcome, Outcome::kFailed);
  EXPECT_EQ(r.http_status, 401);
}

TEST_F(ChatChannels, WebhookFromJsonUrl) {
  auto ch = BuildUrl("json://127.0.0.1:" + std::to_string(fakes_->port()) +
                     "/hook/ops?secret=" + ChatFakes::kWebhookSecret);
  ASSERT_TRUE(ch);
  EXPECT_EQ(ch->Send(Message("hi")).outcome, Outcome::kDelivered);
  EXPECT_EQ(fakes_->Received("webhook")[0]["auth"], "ok");
}

}  // namespace
}  // namespace lifeline::channels
