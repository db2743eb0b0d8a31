// Unit tests of the WhatsApp Cloud API adapter: config (YAML and whatsapp:// URLs), text and
// template requests, the 131047 -> template path, and the classification of error codes.
#include "channels/whatsapp/whatsapp.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "channels/testing_http.h"

namespace lifeline::channels::whatsapp {
namespace {

using channels::testing::Answered;
using channels::testing::HeaderOf;
using channels::testing::Message;

std::string GraphError(int code, const std::string& message, const std::string& details = "") {
  nlohmann::json e = {
      {"error",
       {{"message", message}, {"type", "OAuthException"}, {"code", code}, {"fbtrace_id", "AbC"}}}};
  if (!details.empty()) {
    e["error"]["error_data"] = {{"messaging_product", "whatsapp"}, {"details", details}};
  }
  return e.dump();
}

const char* kOk = R"({"messaging_product":"whatsapp","contacts":[{"input":"+15551234567",
  "wa_id":"15551234567"}],"messages":[{"id":"wamid.HBgLMTU1NTEyMzQ1NjcVAgARGBI"}]})";

class WhatsAppTest : public channels::testing::AdapterTest {
 protected:
  WhatsAppTest() : AdapterTest({{"LL_TEST_WA_TOKEN", "EAAGtesttoken"}}) {}
  std::unique_ptr<Channel> Build(const std::string& extra = "") {
    auto ch = channels::testing::FromYaml(kKind,
                                          "type: whatsapp\n"
                                          "token: { env: LL_TEST_WA_TOKEN }\n"
                                          "phone_number_id: \"106540352242922\"\n"
                                          "to: \"+1 555 123 4567\"\n" +
                                              extra,
                                          &http_);
    EXPECT_TRUE(ch.ok()) << ch.error().message();
    return ch.ok() ? std::move(*ch) : nullptr;
  }
};

TEST_F(WhatsAppTest, TextRequest) {
  auto ch = Build();
  ASSERT_TRUE(ch);
  EXPECT_EQ(ch->info().platform, "whatsapp");
  EXPECT_EQ(ch->info().recipient, "+15551234567");
  EXPECT_NEAR(ch->info().traits.rate_per_second, 1.0 / 6.0, 1e-9);
  http_.Answer(200, kOk);
  DeliveryResult r = ch->Send(Message("Instagram is down", "", "Outage"));
  EXPECT_EQ(r.outcome, Outcome::kDelivered) << r.reason;
  EXPECT_EQ(r.remote_id, "wamid.HBgLMTU1NTEyMzQ1NjcVAgARGBI");
  HttpRequest req = http_.last();
  EXPECT_EQ(req.url, "https://graph.facebook.com/v21.0/106540352242922/messages");
  EXPECT_EQ(HeaderOf(req, "Authorization"), "Bearer EAAGtesttoken");
  auto body = nlohmann::json::parse(req.body);
  EXPECT_EQ(body["messaging_product"], "whatsapp");
  EXPECT_EQ(body["to"], "+15551234567");
  EXPECT_EQ(body["type"], "text");
  EXPECT_EQ(body["text"]["body"], "*Outage*\nInstagram is down");
}

TEST_F(WhatsAppTest, WindowClosedSendsTheTemplate) {
  auto ch = Build("template: { name: lifeline_alert, language: pt_BR }\n");
  ASSERT_TRUE(ch);
  http_.Answer(400, GraphError(131047, "Re-engagement message",
                               "Message failed to send because more than 24 hours have passed"));
  http_.Answer(200, R"({"messages":[{"id":"wamid.TEMPLATE","message_status":"accepted"}]})");
  DeliveryResult r = ch->Send(Message("line one\n\nline   two\tend", "", "Outage"));
  EXPECT_EQ(r.outcome, Outcome::kDelivered) << r.reason;
  EXPECT_EQ(r.remote_id, "wamid.TEMPLATE");
  EXPECT_NE(r.reason.find("template 'lifeline_alert'"), std::string::npos);
  auto requests = http_.requests();
  ASSERT_EQ(requests.size(), 2u);
  auto body = nlohmann::json::parse(requests[1].body);
  EXPECT_EQ(body["type"], "template");
  EXPECT_EQ(body["template"]["name"], "lifeline_alert");
  EXPECT_EQ(body["template"]["language"]["code"], "pt_BR");
  auto& param = body["template"]["components"][0]["parameters"][0];
  EXPECT_EQ(param["type"], "text");
  EXPECT_EQ(param["text"], "Outage: line one | line two end");
}

TEST_F(WhatsAppTest, WindowClosedWithoutTemplateFails) {
  auto ch = Build();
  ASSERT_TRUE(ch);
  http_.Answer(400, GraphError(131047, "Re-engagement message"));
  DeliveryResult r = ch->Send(Message("hi"));
  EXPECT_EQ(r.outcome, Outcome::kFailed);
  EXPECT_EQ(r.far_code, "131047");
  EXPECT_NE(r.reason.find("no template is configured"), std::string::npos);
  EXPECT_EQ(http_.requests().size(), 1u);
}

TEST(WhatsAppText, TemplateParameterIsFlattenedAndCut) {
  EXPECT_EQ(TemplateParameter(Message("a\r\nb\n\n\nc     d\t\te\n")), "a | b | c d e");
  std::string longer(3000, 'x');
  std::string p = TemplateParameter(Message(longer));
  EXPECT_EQ(p.size(), 1024u);
  EXPECT_TRUE(p.ends_with("..."));
}

TEST_F(WhatsAppTest, ConfigErrors) {
  const channels::testing::BadConfig cases[] = {
      {"type: whatsapp\nphone_number_id: \"1\"\n", "test.yaml:3: channels.team: missing 'token'"},
      {"type: whatsapp\ntoken: { env: LL_TEST_WA_TOKEN }\n",
       "channels.team: missing 'phone_number_id'"},
      {"type: whatsapp\ntoken: { env: LL_TEST_WA_TOKEN }\nphone_number_id: \"+1555\"\n",
       "test.yaml:5: channels.team.phone_number_id: the phone number id is digits"},
      {"type: whatsapp\ntoken: { env: LL_TEST_WA_TOKEN }\nphone_number_id: \"1065\"\nto: "
       "\"555-ab\"\n",
       "test.yaml:6: channels.team.to: '555-ab' is not a phone number in E.164 form"},
      {"type: whatsapp\ntoken: { env: LL_TEST_WA_TOKEN }\nphone_number_id: \"1065\"\n"
       "template: { name: Bad-Name }\n",
       "test.yaml:6: channels.team.template.name: 'Bad-Name' is not a template name"},
      {"type: whatsapp\ntoken: { env: LL_TEST_WA_TOKEN }\nphone_number_id: \"1065\"\n"
       "template: { name: ok, language: english }\n",
       "channels.team.template.language: 'english' is not a language code"},
      {"type: whatsapp\ntoken: { env: LL_TEST_WA_TOKEN }\nphone_number_id: \"1065\"\n"
       "template: { language: en }\n",
       "channels.team.template: missing 'name'"},
      {"type: whatsapp\ntoken: { env: LL_TEST_WA_TOKEN }\nphone_number_id: \"1065\"\n"
       "template: { name: ok, lang: en }\n",
       "channels.team.template.lang: unknown key 'lang'"},
  };
  ExpectRefused(kKind, cases);
}

TEST_F(WhatsAppTest, UrlForms) {
  auto ch = channels::testing::FromUrl(
      kKind, "whatsapp://lifeline_alert:EAAGtok@106540352242922/15551234567?lang=es", &http_);
  ASSERT_TRUE(ch.ok()) << ch.error().message();
  EXPECT_EQ((*ch)->info().recipient, "+15551234567");
  http_.Answer(400, GraphError(131047, "Re-engagement message"));
  http_.Answer(200, kOk);
  EXPECT_EQ((*ch)->Send(Message("x")).outcome, Outcome::kDelivered);
  auto body = nlohmann::json::parse(http_.last().body);
  EXPECT_EQ(body["template"]["name"], "lifeline_alert");
  EXPECT_EQ(body["template"]["language"]["code"], "es");

  auto plain = channels::testing::FromUrl(kKind, "whatsapp://EAAGtok@106540352242922", &http_);
  ASSERT_TRUE(plain.ok()) << plain.error().message();
  EXPECT_TRUE((*plain)->info().traits.needs_recipient);
  EXPECT_FALSE((*plain)->Check(Message("x")).ok());
  EXPECT_TRUE((*plain)->Check(Message("x", "+447700900123")).ok());
  auto bad = (*plain)->Check(Message("x", "0770"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("E.164"), std::string::npos);

  ExpectUrlsRefused(kKind,
                    {"whatsapp://106540352242922/1555", "whatsapp://tok@abc/15551234567",
                     "whatsapp://tok@123/15551234567/15557654321", "whatsapp://tok@123?langg=en"},
                    "channels.team.url: ");
}

TEST(WhatsAppClassify, ErrorCodes) {
  struct Case {
    int http;
    int code;
    Outcome want;
    bool rate_limited;
  } cases[] = {
      {400, 130429, Outcome::kRetry, true},   {400, 131056, Outcome::kRetry, true},
      {400, 80007, Outcome::kRetry, true},    {400, 131048, Outcome::kRetry, true},
      {500, 131000, Outcome::kRetry, false},  {503, 131016, Outcome::kRetry, false},
      {400, 131047, Outcome::kFailed, false}, {400, 131026, Outcome::kFailed, false},
      {401, 190, Outcome::kFailed, false},    {400, 100, Outcome::kFailed, false},
      {400, 132001, Outcome::kFailed, false}, {400, 131030, Outcome::kFailed, false},
      {400, 368, Outcome::kFailed, false},
  };
  for (const Case& c : cases) {
    DeliveryResult r = Classify(Answered(c.http, GraphError(c.code, "words")));
    EXPECT_EQ(r.outcome, c.want) << c.code;
    EXPECT_EQ(r.rate_limited, c.rate_limited) << c.code;
    EXPECT_EQ(r.far_code, std::to_string(c.code));
  }
  EXPECT_EQ(Classify(Answered(400, GraphError(131056, "pair"))).retry_after,
            std::chrono::milliseconds(6000));
  EXPECT_EQ(Classify(Answered(502, "<html>")).outcome, Outcome::kRetry);
  EXPECT_EQ(Classify(Answered(200, "{}")).outcome, Outcome::kUnconfirmed);
  EXPECT_EQ(Classify(channels::testing::NoAnswer(HttpResponse::Transport::kLost)).outcome,
            Outcome::kUnconfirmed);
}

}  // namespace
}  // namespace lifeline::channels::whatsapp
