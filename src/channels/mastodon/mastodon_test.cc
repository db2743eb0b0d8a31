// Tests of the Mastodon channel: config (YAML and URL, good and bad), the request it makes, its
// length rule, and the classification of canned answers (no network).
#include "channels/mastodon/mastodon.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "channels/testing_http.h"

namespace lifeline::channels::mastodon {
namespace {

using testing::Answered;
using testing::HeaderOf;
using testing::NoAnswer;

class MastodonTest : public testing::AdapterTest {
 protected:
  MastodonTest() : AdapterTest({{"LL_TEST_MASTODON_TOKEN", "mtok"}}) {}

  std::unique_ptr<Channel> Build(const std::string& keys) {
    auto ch = testing::FromYaml(kKind, "type: mastodon\n" + keys, &http_, "brand-mastodon");
    EXPECT_TRUE(ch.ok()) << ch.error().message();
    return ch.ok() ? std::move(*ch) : nullptr;
  }
  std::string Error(const std::string& keys) {
    auto ch = testing::FromYaml(kKind, "type: mastodon\n" + keys, &http_, "brand-mastodon");
    return ch.ok() ? std::string("(no error)") : ch.error().message();
  }
  std::unique_ptr<Channel> Default() {
    return Build(
        "server: https://mastodon.example\naccess_token: { env: LL_TEST_MASTODON_TOKEN }\n");
  }
};

TEST_F(MastodonTest, ConfigFromYaml) {
  auto ch = Build(
      "server: https://mastodon.example/\naccess_token: { env: LL_TEST_MASTODON_TOKEN }\n"
      "visibility: unlisted\nlanguage: de\nmax_chars: 1000\n");
  ASSERT_NE(ch, nullptr);
  const auto& c = dynamic_cast<MastodonChannel&>(*ch).config();
  EXPECT_EQ(c.server, "https://mastodon.example");
  EXPECT_EQ(c.visibility, "unlisted");
  EXPECT_EQ(c.max_chars, 1000u);
  EXPECT_EQ(ch->info().platform, "mastodon");
  EXPECT_TRUE(ch->info().traits.deduplicates);
  EXPECT_TRUE(ch->info().traits.public_post);
  EXPECT_EQ(ch->info().traits.max_chars, 1000u);
}

TEST_F(MastodonTest, BadConfigNamesTheKey) {
  std::string insecure =
      Error("server: http://mastodon.example\naccess_token: { env: LL_TEST_MASTODON_TOKEN }\n");
  EXPECT_EQ(insecure.rfind("test.yaml:4: channels.brand-mastodon.server: ", 0), 0u) << insecure;
  EXPECT_NE(insecure.find("http:// only to a loopback address"), std::string::npos) << insecure;
  EXPECT_NE(Error("server: https://m.example\naccess_token: { env: LL_TEST_MASTODON_TOKEN }\n"
                  "visibility: everyone\n")
                .find("test.yaml:6: channels.brand-mastodon.visibility: 'everyone' is not a "
                      "visibility"),
            std::string::npos);
  EXPECT_NE(Error("server: https://m.example\n").find("missing 'access_token'"), std::string::npos);
  EXPECT_NE(Error("server: https://m.example\naccess_token: plain-text-token\n")
                .find("channels.brand-mastodon.access_token: expected { env: NAME } or { file: "
                      "PATH }"),
            std::string::npos);
  EXPECT_NE(Error("server: https://m.example\naccess_token: { env: LL_TEST_MASTODON_TOKEN }\n"
                  "langauge: en\n")
                .find("did you mean 'language'?"),
            std::string::npos);
}

TEST_F(MastodonTest, ConfigFromUrl) {
  auto ch =
      testing::FromUrl(kKind, "mastodons://tok123@mastodon.example?visibility=unlisted", &http_);
  ASSERT_TRUE(ch.ok()) << ch.error().message();
  const auto& c = dynamic_cast<MastodonChannel&>(**ch).config();
  EXPECT_EQ(c.server, "https://mastodon.example");
  EXPECT_EQ(c.access_token, "tok123");
  EXPECT_EQ(c.visibility, "unlisted");
  auto local = testing::FromUrl(kKind, "mastodon://tok@127.0.0.1:8080", &http_);
  ASSERT_TRUE(local.ok()) << local.error().message();
  EXPECT_EQ(dynamic_cast<MastodonChannel&>(**local).config().server, "http://127.0.0.1:8080");

  auto plain = testing::FromUrl(kKind, "mastodon://tok@mastodon.example", &http_);
  ASSERT_FALSE(plain.ok());
  EXPECT_NE(plain.error().message().find("use mastodons://"), std::string::npos);
  auto dm = testing::FromUrl(kKind, "mastodons://tok@mastodon.example/@someone", &http_);
  ASSERT_FALSE(dm.ok());
  EXPECT_NE(dm.error().message().find("direct messages"), std::string::npos);
  EXPECT_EQ(dm.error().message().find("tok"), std::string::npos) << "never the token";
}

TEST_F(MastodonTest, RequestCarriesTokenIdempotencyKeyAndStatus) {
  auto ch = Default();
  http_.Answer(200, R"({"id":"109876","url":"https://mastodon.example/@brand/109876"})");
  OutgoingMessage m = testing::Message("WhatsApp is down; we answer on Telegram");
  m.idempotency_key = "incident-7/audience";
  DeliveryResult r = ch->Send(m);
  EXPECT_EQ(r.outcome, Outcome::kDelivered) << r.reason;
  EXPECT_EQ(r.remote_id, "109876");
  HttpRequest req = http_.last();
  EXPECT_EQ(req.url, "https://mastodon.example/api/v1/statuses");
  EXPECT_EQ(HeaderOf(req, "Authorization"), "Bearer mtok");
  EXPECT_EQ(HeaderOf(req, "Idempotency-Key"), "incident-7/audience");
  auto body = nlohmann::json::parse(req.body);
  EXPECT_EQ(body["status"], "WhatsApp is down; we answer on Telegram");
  EXPECT_EQ(body["visibility"], "public");
}

TEST_F(MastodonTest, CheckCountsLinksAs23) {
  auto ch = Default();
  std::string link = "https://status.example.com/incidents/" + std::string(200, 'a');
  EXPECT_TRUE(ch->Check(testing::Message(std::string(470, 'x') + " " + link)).ok());
  auto too_long = ch->Check(testing::Message(std::string(480, 'x') + " " + link));
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.error().message(),
            "brand-mastodon: 504 characters (links count 23); this Mastodon instance allows 500");
  EXPECT_FALSE(ch->Check(testing::Message("")).ok());
}

TEST(MastodonClassify, Answers) {
  auto now = std::chrono::system_clock::from_time_t(1733360000);
  auto bad_token = ClassifyAnswer(Answered(401, R"({"error":"The access token is invalid"})"), now);
  EXPECT_EQ(bad_token.outcome, Outcome::kFailed);
  EXPECT_NE(bad_token.reason.find("The access token is invalid"), std::string::npos);

  auto too_long = ClassifyAnswer(
      Answered(422, R"({"error":"Validation failed: Text character limit of 500 exceeded"})"), now);
  EXPECT_EQ(too_long.outcome, Outcome::kFailed);
  EXPECT_NE(too_long.reason.find("character limit"), std::string::npos);

  // 1733360000 is 2024-12-05T00:53:20Z; the window ends 120 s later
  auto limited = ClassifyAnswer(Answered(429, R"({"error":"Too many requests"})",
                                         {{"x-ratelimit-reset", "2024-12-05T00:55:20.000000Z"}}),
                                now);
  EXPECT_EQ(limited.outcome, Outcome::kRetry);
  EXPECT_TRUE(limited.rate_limited);
  ASSERT_TRUE(limited.retry_after.has_value());
  EXPECT_EQ(*limited.retry_after, std::chrono::seconds(120));

  EXPECT_EQ(ClassifyAnswer(Answered(503, "<html>maintenance</html>"), now).outcome,
            Outcome::kRetry);
  EXPECT_EQ(ClassifyAnswer(Answered(403, R"({"error":"This action is not allowed"})"), now).outcome,
            Outcome::kFailed);

  // A lost answer is safe to retry: the Idempotency-Key makes Mastodon return the same status.
  EXPECT_EQ(ClassifyAnswer(NoAnswer(HttpResponse::Transport::kLost, "timed out"), now).outcome,
            Outcome::kRetry);
  EXPECT_EQ(ClassifyAnswer(NoAnswer(HttpResponse::Transport::kNotSent), now).outcome,
            Outcome::kRetry);
}

TEST_F(MastodonTest, LookupSaysPresentMissingOrUnknown) {
  using Presence = LookupResult::Presence;
  auto ch = Default();
  http_.Answer(200, R"({"id":"109876","url":"https://mastodon.example/@brand/109876"})");
  LookupResult there = ch->Lookup("109876");
  EXPECT_EQ(there.presence, Presence::kPresent) << there.reason;
  EXPECT_EQ(there.permalink, "https://mastodon.example/@brand/109876");
  HttpRequest req = http_.last();
  EXPECT_EQ(req.method, "GET");
  EXPECT_EQ(req.url, "https://mastodon.example/api/v1/statuses/109876");
  EXPECT_EQ(HeaderOf(req, "Authorization"), "Bearer mtok");

  http_.Answer(404, R"({"error":"Record not found"})");
  LookupResult gone = ch->Lookup("109876");
  EXPECT_EQ(gone.presence, Presence::kMissing);
  EXPECT_NE(gone.reason.find("Record not found"), std::string::npos) << gone.reason;

  http_.Answer(503, "<html>maintenance</html>");
  EXPECT_EQ(ch->Lookup("109876").presence, Presence::kUnknown);
  http_.Answer(429, R"({"error":"Too many requests"})");
  EXPECT_EQ(ch->Lookup("109876").presence, Presence::kUnknown);
  http_.Fail(HttpResponse::Transport::kNotSent, "connection refused");
  EXPECT_EQ(ch->Lookup("109876").presence, Presence::kUnknown);
}

}  // namespace
}  // namespace lifeline::channels::mastodon
