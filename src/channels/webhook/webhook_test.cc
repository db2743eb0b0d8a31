// Unit tests of the generic webhook: config (YAML and json:// URLs), the signed request, and the
// classification of the receiver's answers. No network.
#include "channels/webhook/webhook.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "channels/testing_http.h"

namespace lifeline::channels::webhook {
namespace {

using channels::testing::Answered;
using channels::testing::HeaderOf;
using channels::testing::Message;

class WebhookTest : public channels::testing::AdapterTest {
 protected:
  WebhookTest()
      : AdapterTest({{"LL_TEST_HOOK_SECRET", "whsec_test"}, {"LL_TEST_HOOK_AUTH", "tok123"}}) {}
};

TEST_F(WebhookTest, YamlRequestIsSignedAndCarriesTheKey) {
  auto ch = channels::testing::FromYaml(
      kKind,
      "type: webhook\n"
      "endpoint: https://hooks.example.com/in/lifeline\n"
      "secret: { env: LL_TEST_HOOK_SECRET }\n"
      "headers:\n"
      "  Authorization: { env: LL_TEST_HOOK_AUTH, prefix: \"Bearer \" }\n"
      "  X-Team: ops\n",
      &http_);
  ASSERT_TRUE(ch.ok()) << ch.error().message();
  const Info& info = (*ch)->info();
  EXPECT_EQ(info.kind, "webhook");
  EXPECT_EQ(info.platform, "");
  EXPECT_EQ(info.recipient, "https://hooks.example.com");
  EXPECT_TRUE(info.traits.deduplicates);

  http_.Answer(202, R"({"id":"rcv-77"})");
  OutgoingMessage m = Message("WhatsApp is down", "ops-room", "Outage");
  m.attempt = 2;
  DeliveryResult r = (*ch)->Send(m);
  EXPECT_EQ(r.outcome, Outcome::kDelivered);
  EXPECT_EQ(r.remote_id, "rcv-77");

  HttpRequest req = http_.last();
  EXPECT_EQ(req.url, "https://hooks.example.com/in/lifeline");
  EXPECT_EQ(HeaderOf(req, "Idempotency-Key"), "key-1");
  EXPECT_EQ(HeaderOf(req, "Authorization"), "Bearer tok123");
  EXPECT_EQ(HeaderOf(req, "X-Team"), "ops");
  std::string ts = HeaderOf(req, "X-Lifeline-Timestamp");
  ASSERT_FALSE(ts.empty());
  EXPECT_EQ(HeaderOf(req, "X-Lifeline-Signature"), Sign("whsec_test", ts, req.body));
  auto body = nlohmann::json::parse(req.body);
  EXPECT_EQ(body["id"], "msg-1");
  EXPECT_EQ(body["idempotency_key"], "key-1");
  EXPECT_EQ(body["channel"], "team");
  EXPECT_EQ(body["to"], "ops-room");
  EXPECT_EQ(body["subject"], "Outage");
  EXPECT_EQ(body["text"], "WhatsApp is down");
  EXPECT_EQ(body["attempt"], 2);
  std::string sent_at = body["sent_at"];
  EXPECT_EQ(sent_at.size(), 20u);
  EXPECT_EQ(sent_at.back(), 'Z');
}

TEST(WebhookSign, MatchesOpenSslCommandLine) {
  // Computed with: printf '%s' '1700000000.{"a":1}' | openssl dgst -sha256 -hmac key
  EXPECT_EQ(Sign("key", "1700000000", "{\"a\":1}"),
            "sha256=a438e398bfafc57e4396bb7fc2304422f0f768e965d073ca313cb52e22e6ad03");
}

TEST_F(WebhookTest, YamlErrors) {
  const channels::testing::BadConfig cases[] = {
      {"type: webhook\nsecret: { env: LL_TEST_HOOK_SECRET }\n",
       "test.yaml:3: channels.team: missing 'endpoint'"},
      {"type: webhook\nendpoint: https://h.example.com/x\n",
       "test.yaml:3: channels.team: missing 'secret'"},
      {"type: webhook\nendpoint: ftp://h.example.com/x\nsecret: { env: LL_TEST_HOOK_SECRET }\n",
       "test.yaml:4: channels.team.endpoint: "},
      {"type: webhook\nendpoint: https://h.example.com/x\nsecret: plain\n",
       "channels.team.secret: expected { env: NAME } or { file: PATH }"},
      {"type: webhook\nendpoint: https://h.example.com/x\nsecret: { env: LL_TEST_HOOK_SECRET }\n"
       "header: {}\n",
       "channels.team.header: unknown key 'header' (did you mean 'headers'?)"},
  };
  ExpectRefused(kKind, cases);
}

TEST_F(WebhookTest, UrlForms) {
  auto ch = channels::testing::FromUrl(
      kKind, "jsons://user:pw@hooks.example.com:8443/a%20b/in?secret=k1&+X-Source=lifeline",
      &http_);
  ASSERT_TRUE(ch.ok()) << ch.error().message();
  EXPECT_EQ((*ch)->info().recipient, "https://hooks.example.com:8443");
  (*ch)->Send(Message("hi"));
  HttpRequest req = http_.last();
  EXPECT_EQ(req.url, "https://hooks.example.com:8443/a%20b/in");
  EXPECT_EQ(req.basic_auth, "user:pw");
  EXPECT_EQ(HeaderOf(req, "x-source"), "lifeline");
  EXPECT_EQ(HeaderOf(req, "X-Lifeline-Signature"),
            Sign("k1", HeaderOf(req, "X-Lifeline-Timestamp"), req.body));

  auto plain = channels::testing::FromUrl(kKind, "json://127.0.0.1:9000/hook?secret=k", &http_);
  ASSERT_TRUE(plain.ok());
  (*plain)->Send(Message("hi"));
  EXPECT_EQ(http_.last().url, "http://127.0.0.1:9000/hook");

  ExpectUrlsRefused(kKind,
                    {"json://h/x", "json://h/x?secret=k&method=GET", "json://h/x?secret=k&-id="},
                    "channels.team.url: ");
}

TEST(WebhookClassify, EveryAnswer) {
  EXPECT_EQ(Classify(Answered(200, "ok")).outcome, Outcome::kDelivered);
  EXPECT_EQ(Classify(Answered(204)).outcome, Outcome::kDelivered);
  DeliveryResult r = Classify(Answered(429));
  EXPECT_EQ(r.outcome, Outcome::kRetry);
  EXPECT_TRUE(r.rate_limited);
  EXPECT_EQ(Classify(Answered(503)).outcome, Outcome::kRetry);
  EXPECT_EQ(Classify(Answered(409)).outcome, Outcome::kRetry);
  EXPECT_EQ(Classify(Answered(401)).outcome, Outcome::kFailed);
  EXPECT_EQ(Classify(Answered(400, "the text was: SECRET PLAN")).outcome, Outcome::kFailed);
  EXPECT_EQ(Classify(Answered(400, "the text was: SECRET PLAN")).reason.find("SECRET"),
            std::string::npos);
  EXPECT_EQ(Classify(Answered(301)).outcome, Outcome::kFailed);
  // The receiver deduplicates by Idempotency-Key: a lost answer is retried, not unconfirmed.
  EXPECT_EQ(Classify(channels::testing::NoAnswer(HttpResponse::Transport::kLost,
                                                 "hooks.example.com:443: Operation timed out"))
                .outcome,
            Outcome::kRetry);
}

}  // namespace
}  // namespace lifeline::channels::webhook
