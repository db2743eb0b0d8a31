// Unit tests of the Twilio SMS adapter: config (YAML and twilio:// URLs), segment counting, the
// form-encoded request, and the classification of Twilio's answers. No network.
#include "channels/twilio/twilio.h"

#include <gtest/gtest.h>

#include "channels/testing_http.h"

namespace lifeline::channels::twilio {
namespace {

using channels::testing::Answered;
using channels::testing::Message;

constexpr const char* kSid = "AC0123456789abcdef0123456789abcdef";

class TwilioTest : public channels::testing::AdapterTest {
 protected:
  TwilioTest() : AdapterTest({{"LL_TEST_TWILIO_TOKEN", "authtoken123"}}) {}
};

TEST(TwilioSegments, Gsm7AndUcs2) {
  EXPECT_EQ(CountSegments(std::string(160, 'a')).count, 1u);
  EXPECT_TRUE(CountSegments(std::string(160, 'a')).gsm7);
  EXPECT_EQ(CountSegments(std::string(161, 'a')).count, 2u);
  EXPECT_EQ(CountSegments(std::string(306, 'a')).count, 2u);
  EXPECT_EQ(CountSegments(std::string(307, 'a')).count, 3u);
  // Extension characters take two septets: 80 '{' fill one segment exactly.
  Segments braces = CountSegments(std::string(80, '{'));
  EXPECT_EQ(braces.units, 160u);
  EXPECT_EQ(braces.count, 1u);
  EXPECT_EQ(CountSegments(std::string(81, '{')).count, 2u);
  // "é", "£" and "€" are GSM; "ç" and emoji are not.
  EXPECT_TRUE(CountSegments("café £5 €").gsm7);
  Segments ucs = CountSegments("Outage \xF0\x9F\x94\xA5");  // U+1F525 is two UTF-16 units
  EXPECT_FALSE(ucs.gsm7);
  EXPECT_EQ(ucs.units, 9u);
  std::string seventy;
  for (int i = 0; i < 70; ++i) seventy += "\xC3\xA7";  // ç
  EXPECT_EQ(CountSegments(seventy).count, 1u);
  EXPECT_EQ(CountSegments(seventy + "a").count, 2u);
  EXPECT_EQ(CountSegments("").count, 0u);
}

TEST_F(TwilioTest, YamlRequestAndDelivered) {
  auto ch = channels::testing::FromYaml(kKind,
                                        std::string("type: twilio\naccount_sid: ") + kSid +
                                            "\nauth_token: { env: LL_TEST_TWILIO_TOKEN }\n"
                                            "from: \"+15017122661\"\nto: \"+15558675310\"\n",
                                        &http_);
  ASSERT_TRUE(ch.ok()) << ch.error().message();
  EXPECT_EQ((*ch)->info().kind, "twilio");
  EXPECT_EQ((*ch)->info().platform, "");
  EXPECT_EQ((*ch)->info().recipient, "+15558675310");
  EXPECT_EQ((*ch)->info().traits.max_chars, 1600u);
  http_.Answer(201, R"({"sid":"SM1234567890abcdef1234567890abcdef","status":"queued",
                        "num_segments":"1","error_code":null})");
  DeliveryResult r = (*ch)->Send(Message("WhatsApp down & out", "", "Alert"));
  EXPECT_EQ(r.outcome, Outcome::kDelivered);
  EXPECT_EQ(r.remote_id, "SM1234567890abcdef1234567890abcdef");
  EXPECT_EQ(r.reason, "queued by Twilio (1 segment, GSM-7)");
  HttpRequest req = http_.last();
  EXPECT_EQ(req.url,
            std::string("https://api.twilio.com/2010-04-01/Accounts/") + kSid + "/Messages.json");
  EXPECT_EQ(req.basic_auth, std::string(kSid) + ":authtoken123");
  EXPECT_EQ(req.body,
            "To=%2B15558675310&From=%2B15017122661&Body=Alert%3A%20WhatsApp%20down%20%26%20out");
}

TEST_F(TwilioTest, LengthAndSegmentBudget) {
  auto ch =
      channels::testing::FromYaml(kKind,
                                  std::string("type: twilio\naccount_sid: ") + kSid +
                                      "\nauth_token: { env: LL_TEST_TWILIO_TOKEN }\n"
                                      "messaging_service_sid: MG0123456789abcdef0123456789abcdef\n"
                                      "max_segments: 2\n",
                                  &http_);
  ASSERT_TRUE(ch.ok()) << ch.error().message();
  EXPECT_TRUE((*ch)->info().traits.needs_recipient);
  EXPECT_TRUE((*ch)->Check(Message(std::string(306, 'a'), "+15558675310")).ok());
  auto s = (*ch)->Check(Message(std::string(307, 'a'), "+15558675310"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message(),
            "team: 3 SMS segments (GSM-7); the channel allows 2 (max_segments)");
  s = (*ch)->Check(Message(std::string(1742, 'a'), "+15558675310"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message(), "team: 1,742 characters; SMS allows 1,600");
  EXPECT_FALSE((*ch)->Check(Message("hi")).ok());
  EXPECT_FALSE((*ch)->Check(Message("hi", "12")).ok());
  (*ch)->Send(Message("hi", "+15558675310"));
  EXPECT_NE(http_.last().body.find("MessagingServiceSid=MG0123"), std::string::npos);
}

TEST_F(TwilioTest, ConfigErrors) {
  std::string auth = "\nauth_token: { env: LL_TEST_TWILIO_TOKEN }\n";
  const channels::testing::BadConfig cases[] = {
      {"type: twilio\naccount_sid: AC12\nauth_token: { env: LL_TEST_TWILIO_TOKEN }\nfrom: "
       "\"+15017122661\"\n",
       "test.yaml:4: channels.team.account_sid: an Account SID is AC followed by 32 hex digits"},
      {std::string("type: twilio\naccount_sid: ") + kSid + auth,
       "channels.team: give exactly one of 'from'"},
      {std::string("type: twilio\naccount_sid: ") + kSid + auth + "from: \"+1\"\n",
       "test.yaml:6: channels.team.from: '+1' is not an E.164 number"},
      {std::string("type: twilio\naccount_sid: ") + kSid + auth + "from: Lifeline\nto: \"abc\"\n",
       "test.yaml:7: channels.team.to: 'abc' is not a phone number"},
      {std::string("type: twilio\naccount_sid: ") + kSid + auth +
           "from: Lifeline\nmax_segments: 11\n",
       "test.yaml:7: channels.team.max_segments: 11 is out of range"},
      {std::string("type: twilio\naccount_sid: ") + kSid + "\nfrom: Lifeline\n",
       "channels.team: missing 'auth_token'"},
  };
  ExpectRefused(kKind, cases);
}

TEST_F(TwilioTest, UrlForms) {
  auto ch = channels::testing::FromUrl(
      kKind, std::string("twilio://") + kSid + ":authtok@15017122661/15558675310", &http_);
  ASSERT_TRUE(ch.ok()) << ch.error().message();
  EXPECT_EQ((*ch)->info().recipient, "+15558675310");
  (*ch)->Send(Message("x"));
  EXPECT_EQ(http_.last().basic_auth, std::string(kSid) + ":authtok");
  EXPECT_NE(http_.last().body.find("From=%2B15017122661"), std::string::npos);
  ExpectUrlsRefused(
      kKind,
      {"twilio://ACbad:tok@15017122661/15558675310",
       std::string("twilio://") + kSid + "@15017122661/15558675310",
       std::string("twilio://") + kSid + ":tok@15017122661/1555/1666",
       std::string("twilio://") + kSid + ":tok@15017122661/15558675310?max_segments=x"},
      "channels.team.url: ", {"tok@"});
}

std::string TwilioError(int code, int status, const std::string& message) {
  return "{\"code\":" + std::to_string(code) + ",\"message\":\"" + message +
         "\",\"more_info\":\"https://www.twilio.com/docs/errors/" + std::to_string(code) +
         "\",\"status\":" + std::to_string(status) + "}";
}

TEST(TwilioClassify, EveryAnswer) {
  DeliveryResult r = Classify(Answered(401, TwilioError(20003, 401, "Authenticate")));
  EXPECT_EQ(r.outcome, Outcome::kFailed);
  EXPECT_EQ(r.far_code, "20003");
  r = Classify(Answered(429, TwilioError(20429, 429, "Too Many Requests"), {{"retry-after", "2"}}));
  EXPECT_EQ(r.outcome, Outcome::kRetry);
  EXPECT_TRUE(r.rate_limited);
  EXPECT_EQ(r.retry_after, std::chrono::milliseconds(2000));
  r = Classify(Answered(400, TwilioError(21211, 400, "Invalid 'To' Phone Number")));
  EXPECT_EQ(r.outcome, Outcome::kFailed);
  EXPECT_NE(r.reason.find("21211"), std::string::npos);
  r = Classify(Answered(400, TwilioError(21610, 400, "Attempt to send to unsubscribed recipient")));
  EXPECT_EQ(r.outcome, Outcome::kFailed);
  EXPECT_NE(r.reason.find("STOP"), std::string::npos);
  EXPECT_EQ(Classify(Answered(400, TwilioError(14107, 400, "rate"))).outcome, Outcome::kRetry);
  EXPECT_EQ(Classify(Answered(500, TwilioError(20500, 500, "Internal"))).outcome, Outcome::kRetry);
  EXPECT_EQ(Classify(Answered(201, "{}")).outcome, Outcome::kUnconfirmed);
  EXPECT_EQ(Classify(channels::testing::NoAnswer(HttpResponse::Transport::kLost)).outcome,
            Outcome::kUnconfirmed);
}

}  // namespace
}  // namespace lifeline::channels::twilio
