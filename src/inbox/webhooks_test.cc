// The webhook shapes from the platforms' documented examples, and the signatures with known
// vectors (webhooks.h).
#include "inbox/webhooks.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace lifeline::inbox {
namespace {

using ::testing::HasSubstr;

// WhatsApp Cloud API, messages webhook (developers.facebook.com, webhooks reference: messages).
constexpr const char* kWhatsApp = R"({
  "object": "whatsapp_business_account",
  "entry": [{
    "id": "102290129340398",
    "changes": [{
      "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": "106540352242922"},
        "contacts": [{"profile": {"name": "Sheena Nelson"}, "wa_id": "16505551234"}],
        "messages": [
          {"from": "16505551234", "id": "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=",
           "timestamp": "1749416383", "type": "text", "text": {"body": "Does it come in another color?"}},
          {"from": "16505551234", "id": "wamid.IMG", "timestamp": "1749416390", "type": "image",
           "image": {"caption": "this one", "mime_type": "image/jpeg", "id": "1003383421387256"}}
        ]
      },
      "field": "messages"
    }, {
      "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": "106540352242922"},
        "statuses": [{"id": "wamid.OUT", "status": "delivered", "timestamp": "1749416400",
                      "recipient_id": "16505551234"}]
      },
      "field": "messages"
    }]
  }]
})";

TEST(WhatsAppWebhook, ReadsMessagesStatusesAndNames) {
  auto b = ParseWhatsApp(kWhatsApp);
  ASSERT_TRUE(b.ok()) << b.error().ToString();
  ASSERT_EQ(b->messages.size(), 2u);
  const auto& m = b->messages[0];
  EXPECT_EQ(m.account, "106540352242922");
  EXPECT_EQ(m.address, "16505551234");
  EXPECT_EQ(m.name, "Sheena Nelson");
  EXPECT_EQ(m.text, "Does it come in another color?");
  EXPECT_EQ(m.kind, "text");
  EXPECT_EQ(store::ToMillis(m.sent_at), 1749416383000);
  EXPECT_EQ(b->messages[1].kind, "image");
  EXPECT_EQ(b->messages[1].text, "this one");
  ASSERT_EQ(b->statuses.size(), 1u);
  EXPECT_EQ(b->statuses[0].status, "delivered");
  EXPECT_EQ(b->statuses[0].platform_id, "wamid.OUT");
}

// A failed status carries its error (the statuses webhook reference: errors[] with code, title,
// message, error_data.details); statuses that are not about delivery are ignored.
TEST(WhatsAppWebhook, ReadsAFailedStatusesErrorAndIgnoresOtherStatuses) {
  auto b = ParseWhatsApp(
      R"({"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages",
      "value":{"metadata":{"phone_number_id":"106540352242922"},"statuses":[
        {"id":"wamid.F","status":"failed","timestamp":"1749416401","recipient_id":"16505551234",
         "errors":[{"code":131047,"title":"Re-engagement message","message":"Re-engagement message",
                    "error_data":{"details":"Message failed to send because more than 24 hours have passed since the customer last replied to this number."}}]},
        {"id":"wamid.D","status":"deleted","timestamp":"1749416402","recipient_id":"16505551234"}
      ]}}]}]})");
  ASSERT_TRUE(b.ok()) << b.error().ToString();
  ASSERT_EQ(b->statuses.size(), 1u);
  EXPECT_EQ(b->statuses[0].status, "failed");
  EXPECT_THAT(b->statuses[0].error,
              ::testing::StartsWith("131047 Re-engagement message: Message failed to send because "
                                    "more than 24 hours"));
  EXPECT_EQ(b->ignored, 1u);
}

TEST(WhatsAppWebhook, RefusesWhatIsNotItsShape) {
  EXPECT_THAT(ParseWhatsApp("{not json").error().message(), HasSubstr("not valid JSON"));
  EXPECT_THAT(ParseWhatsApp(R"({"object":"page","entry":[]})").error().message(),
              HasSubstr("whatsapp_business_account"));
  auto no_id = ParseWhatsApp(
      R"({"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":
      {"metadata":{"phone_number_id":"1"},"messages":[{"from":"1","timestamp":"1"}]}}]}]})");
  ASSERT_FALSE(no_id.ok());
  EXPECT_THAT(no_id.error().message(), HasSubstr("messages[0]: 'id' and 'from' are required"));
  auto bad_ts = ParseWhatsApp(
      R"({"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":
      {"metadata":{"phone_number_id":"1"},"messages":[{"from":"1","id":"w","timestamp":"soon"}]}}]}]})");
  ASSERT_FALSE(bad_ts.ok());
  EXPECT_THAT(bad_ts.error().message(), HasSubstr("timestamp: expected Unix seconds"));
}

// Messenger (developers.facebook.com/docs/messenger-platform/webhooks): timestamps in ms, echoes
// of the page's own messages are not customer messages.
TEST(MessagingWebhook, ReadsMessengerAndSkipsEchoesAndReads) {
  auto b = ParseMessaging(R"({"object":"page","entry":[{"id":"1234","time":1458692752478,
    "messaging":[
      {"sender":{"id":"5678"},"recipient":{"id":"1234"},"timestamp":1458692752478,
       "message":{"mid":"m_abc","text":"hello, world!"}},
      {"sender":{"id":"1234"},"recipient":{"id":"5678"},"timestamp":1458692752479,
       "message":{"mid":"m_echo","is_echo":true,"text":"our reply"}},
      {"sender":{"id":"5678"},"recipient":{"id":"1234"},"timestamp":1458692752480,
       "read":{"watermark":1458668856253}},
      {"sender":{"id":"5678"},"recipient":{"id":"1234"},"timestamp":1458692752481,
       "message":{"mid":"m_img","attachments":[{"type":"image","payload":{"url":"https://x"}}]}}
    ]}]})",
                          "page");
  ASSERT_TRUE(b.ok()) << b.error().ToString();
  ASSERT_EQ(b->messages.size(), 2u);
  EXPECT_EQ(b->messages[0].account, "1234");
  EXPECT_EQ(b->messages[0].address, "5678");
  EXPECT_EQ(b->messages[0].platform_id, "m_abc");
  EXPECT_EQ(store::ToMillis(b->messages[0].sent_at), 1458692752478);
  EXPECT_EQ(b->messages[1].text, "[image]");
  EXPECT_EQ(b->ignored, 2u);
  EXPECT_FALSE(ParseMessaging(R"({"object":"page","entry":[]})", "instagram").ok());
  auto ig = ParseMessaging(R"({"object":"instagram","entry":[{"id":"17841400000000000","time":1,
    "messaging":[{"sender":{"id":"9"},"recipient":{"id":"17841400000000000"},"timestamp":1700000000000,
    "message":{"mid":"aWdfZ","text":"is the shop open?"}}]}]})",
                           "instagram");
  ASSERT_TRUE(ig.ok()) << ig.error().ToString();
  EXPECT_EQ(ig->messages[0].text, "is the shop open?");
}

// Found by fuzz/webhooks_fuzz.cc (its crash input, verbatim): an attachment without a "type" gave
// the message an empty kind, which the store refuses, failing the whole delivery.
TEST(MessagingWebhook, AttachmentWithoutATypeIsAnAttachment) {
  auto b = ParseMessaging(R"({"object":"page","entry":[{"id":"1234","time":1458692752478,
    "messaging":[
      {"sender":{"id":"5678"},"recipient":{"id":"1234"},"timestamp":1458692752478,
       "message":{"mid":"m_abc","text":"hello, world!"}},
      {"sender":{"id":"1234"},"recipient":{"id":"5678"},"timestamp":1458692752479,
       "message":{"mid":"m_echo","is_echo":true,"text":"our reply"}},
      {"sender":{"id":"5678"},"recipient":{"id":"1234"},"timestamp":1458692752481,
       "read":{"watermark":1458668856253}},
      {"sender":{"id":"5678"},"recipient":{"id":"1234"},"timestamp":1458692752481,
       "message":{"mid":"m_img","attachments":[{"type]":"image","payload":{"url":"https://x"}}]}}
    ]}]})",
                          "page");
  ASSERT_TRUE(b.ok()) << b.error().ToString();
  ASSERT_EQ(b->messages.size(), 2u);
  EXPECT_EQ(b->messages[1].platform_id, "m_img");
  EXPECT_EQ(b->messages[1].kind, "attachment");
  EXPECT_EQ(b->messages[1].text, "[attachment]");
}

// Telegram's Update (core.telegram.org/bots/api#update): message ids are per chat.
TEST(TelegramWebhook, ReadsAnUpdateAndGetUpdates) {
  auto b = ParseTelegramUpdate(R"({"update_id":10000,"message":{"message_id":1365,
    "from":{"id":1111111,"is_bot":false,"first_name":"Ana","last_name":"Ruiz","username":"ana"},
    "chat":{"id":1111111,"type":"private","first_name":"Ana"},"date":1441645532,"text":"/start llabcdefghij"}})");
  ASSERT_TRUE(b.ok()) << b.error().ToString();
  ASSERT_EQ(b->messages.size(), 1u);
  EXPECT_EQ(b->messages[0].platform_id, "1111111:1365");
  EXPECT_EQ(b->messages[0].address, "1111111");
  EXPECT_EQ(b->messages[0].name, "Ana Ruiz");
  EXPECT_EQ(store::ToMillis(b->messages[0].sent_at), 1441645532000);
  EXPECT_EQ(b->last_update_id, 10000);
  auto many = ParseTelegramUpdates(R"({"ok":true,"result":[
    {"update_id":5,"message":{"message_id":1,"chat":{"id":7},"date":1,"photo":[{"file_id":"x"}]}},
    {"update_id":6,"callback_query":{"id":"q"}}]})");
  ASSERT_TRUE(many.ok()) << many.error().ToString();
  EXPECT_EQ(many->messages[0].kind, "photo");
  EXPECT_EQ(many->ignored, 1u);
  EXPECT_EQ(many->last_update_id, 6);
  auto refused =
      ParseTelegramUpdates(R"({"ok":false,"error_code":401,"description":"Unauthorized"})");
  EXPECT_EQ(refused.error().code(), core::ErrorCode::kUnavailable);
}

TEST(GenericWebhook, ReadsOurShape) {
  auto b = ParseGeneric(R"({"id":"form-1","from":"ana@example.com","text":"call me",
                            "timestamp":"2026-11-27T10:00:00Z"})");
  ASSERT_TRUE(b.ok()) << b.error().ToString();
  EXPECT_EQ(store::ToMillis(b->messages[0].sent_at), 1795773600000);
  EXPECT_THAT(ParseGeneric(R"({"id":"1","from":"a","text":"x","timestamp":1,"colour":1})")
                  .error()
                  .message(),
              HasSubstr("unknown field 'colour'"));
}

TEST(Signatures, HmacKnownVectorsAndConstantTimeCompare) {
  // RFC 4231, test case 2.
  EXPECT_EQ(HmacSha256Hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));
}

TEST(Signatures, MetaSignatureOverTheRawBody) {
  const std::string body = R"({"object":"page","entry":[]})";
  const std::string good = "sha256=" + HmacSha256Hex("app-secret", body);
  EXPECT_TRUE(CheckMetaSignature("app-secret", good, body).ok());
  std::string upper = good;
  for (std::size_t i = 7; i < upper.size(); ++i)
    upper[i] = static_cast<char>(std::toupper(upper[i]));
  EXPECT_TRUE(CheckMetaSignature("app-secret", upper, body).ok());
  // One byte of whitespace changes the MAC: the raw body is what is signed, not its JSON.
  auto changed = CheckMetaSignature("app-secret", good, body + " ");
  EXPECT_EQ(changed.error().code(), core::ErrorCode::kUnauthenticated);
  EXPECT_THAT(changed.error().message(), HasSubstr("does not match the body"));
  EXPECT_THAT(changed.error().message(), ::testing::Not(HasSubstr("app-secret")));
  EXPECT_THAT(CheckMetaSignature("app-secret", "", body).error().message(),
              HasSubstr("not signed"));
  EXPECT_THAT(CheckMetaSignature("app-secret", "sha1=abc", body).error().message(),
              HasSubstr("64 hex digits"));
}

TEST(Signatures, GenericSignatureRefusesReplaysOlderThanFiveMinutes) {
  const std::string body = R"({"id":"1","from":"a","text":"x","timestamp":1})";
  const store::Time now = store::FromMillis(1795773600000);
  const std::string ts = "1795773600";
  const std::string sig = "sha256=" + HmacSha256Hex("k-0123456789abcdef", ts + "." + body);
  const std::chrono::seconds skew(300);
  EXPECT_TRUE(CheckGenericSignature("k-0123456789abcdef", ts, sig, body, now, skew).ok());
  EXPECT_TRUE(CheckGenericSignature("k-0123456789abcdef", ts, sig, body,
                                    now + std::chrono::seconds(299), skew)
                  .ok());
  auto late = CheckGenericSignature("k-0123456789abcdef", ts, sig, body,
                                    now + std::chrono::seconds(301), skew);
  ASSERT_FALSE(late.ok());
  EXPECT_THAT(late.error().message(), HasSubstr("a replay"));
  // The timestamp is signed: moving it forward breaks the signature.
  auto moved = CheckGenericSignature("k-0123456789abcdef", "1795773900", sig, body,
                                     now + std::chrono::seconds(301), skew);
  EXPECT_THAT(moved.error().message(), HasSubstr("does not match"));
  EXPECT_FALSE(CheckGenericSignature("k-0123456789abcdef", "", sig, body, now, skew).ok());
}

}  // namespace
}  // namespace lifeline::inbox
