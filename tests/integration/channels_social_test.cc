// The public-post channels (Mastodon, Bluesky, X) through the real libcurl HttpClient against the
// emulators in tests/fakes/social_apis.py on 127.0.0.1: the documented requests (tokens, OAuth 1.0a
// signatures, Idempotency-Key, sessions, facets), and every class of answer the emulators can be
// told to give (429 with reset headers, 5xx, 401, lost answers).
#include <gtest/gtest.h>

#include <cstdlib>

#include <nlohmann/json.hpp>

#include "channels/registry.h"
#include "channels/testing_http.h"
#include "integration/support/python_fake.h"

namespace lifeline::channels {
namespace {

using lifeline::testing::PythonFake;

class SocialChannelsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("LL_TEST_MASTODON_TOKEN", "mtok", 1);
    setenv("LL_TEST_BSKY_PASSWORD", "abcd-efgh-ijkl-mnop", 1);
    setenv("LL_TEST_X_CK", "ck", 1);
    setenv("LL_TEST_X_CS", "cs", 1);
    setenv("LL_TEST_X_AT", "at", 1);
    setenv("LL_TEST_X_AS", "as", 1);
    std::string error;
    ASSERT_TRUE(fake_.Start(
        "social_apis.py",
        {"--mastodon-token", "mtok", "--bluesky-handle", "brand.bsky.social", "--bluesky-password",
         "abcd-efgh-ijkl-mnop", "--x-consumer-key", "ck", "--x-consumer-secret", "cs",
         "--x-access-token", "at", "--x-access-secret", "as", "--x-bearer", "xbearer"},
        &error))
        << error;
    http_ = MakeCurlHttpClient();
  }

  std::string Base() const { return "http://127.0.0.1:" + std::to_string(fake_.port()); }
  std::string EncodedBase() const {
    return "http%3A%2F%2F127.0.0.1%3A" + std::to_string(fake_.port());
  }

  std::unique_ptr<Channel> Yaml(const std::string& type, const std::string& keys) {
    const Kind* kind = FindKind(type);
    EXPECT_NE(kind, nullptr) << type;
    auto ch = testing::FromYaml(*kind, "type: " + type + "\n" + keys, http_.get(), "brand");
    EXPECT_TRUE(ch.ok()) << ch.error().message();
    return ch.ok() ? std::move(*ch) : nullptr;
  }
  std::unique_ptr<Channel> Url(const std::string& url) {
    auto parsed = ParseAppriseUrl(url);
    EXPECT_TRUE(parsed.ok()) << parsed.error().message();
    if (!parsed.ok()) return nullptr;
    const Kind* kind = FindScheme(parsed->scheme);
    EXPECT_NE(kind, nullptr);
    auto ch = testing::FromUrl(*kind, url, http_.get(), "brand");
    EXPECT_TRUE(ch.ok()) << ch.error().message();
    return ch.ok() ? std::move(*ch) : nullptr;
  }

  std::unique_ptr<Channel> Mastodon(const std::string& extra = "") {
    return Yaml("mastodon",
                "server: " + Base() + "\naccess_token: { env: LL_TEST_MASTODON_TOKEN }\n" + extra);
  }
  std::unique_ptr<Channel> Bluesky() {
    return Yaml("bluesky",
                "handle: brand.bsky.social\napp_password: { env: LL_TEST_BSKY_PASSWORD }\n"
                "service: " +
                    Base() + "\nlanguage: en\n");
  }
  std::unique_ptr<Channel> X(const std::string& extra = "") {
    return Yaml("x",
                "consumer_key: { env: LL_TEST_X_CK }\nconsumer_secret: { env: LL_TEST_X_CS }\n"
                "access_token: { env: LL_TEST_X_AT }\naccess_token_secret: { env: LL_TEST_X_AS }\n"
                "api: " +
                    Base() + "\n" + extra);
  }

  void Control(const nlohmann::json& body) {
    HttpRequest req;
    req.url = Base() + "/_control";
    req.body = body.dump();
    req.headers.emplace_back("Content-Type", "application/json");
    HttpResponse r = http_->Do(req);
    ASSERT_EQ(r.status, 200) << r.error << fake_.log();
  }
  nlohmann::json Received() {
    HttpRequest req;
    req.method = "GET";
    req.url = Base() + "/_received";
    HttpResponse r = http_->Do(req);
    EXPECT_EQ(r.status, 200) << r.error;
    return nlohmann::json::parse(r.body, nullptr, false);
  }
  static std::size_t Count(const nlohmann::json& requests, std::string_view path_part) {
    std::size_t n = 0;
    for (const auto& r : requests) {
      if (r["path"].get<std::string>().find(path_part) != std::string::npos) ++n;
    }
    return n;
  }

  static OutgoingMessage Post(std::string text, std::string key = "incident-7/audience") {
    OutgoingMessage m;
    m.id = "msg-" + key;
    m.idempotency_key = std::move(key);
    m.text = std::move(text);
    return m;
  }

  PythonFake fake_;
  std::unique_ptr<HttpClient> http_;
};

// --- Mastodon -------------------------------------------------------------------------------

TEST_F(SocialChannelsTest, MastodonPostsAStatusWithItsIdempotencyKey) {
  auto ch = Mastodon();
  ASSERT_NE(ch, nullptr);
  DeliveryResult r =
      ch->Send(Post("WhatsApp is down for everyone. Write to us: https://t.me/brand"));
  ASSERT_EQ(r.outcome, Outcome::kDelivered) << r.reason << fake_.log();
  auto got = Received();
  ASSERT_EQ(got["created"]["mastodon"].size(), 1u);
  EXPECT_EQ(got["created"]["mastodon"][0]["id"], r.remote_id);
  EXPECT_EQ(got["created"]["mastodon"][0]["idempotency_key"], "incident-7/audience");
  EXPECT_EQ(got["mastodon"][0]["body"]["visibility"], "public");
}

TEST_F(SocialChannelsTest, MastodonLostAnswerIsRetriedWithoutADuplicate) {
  auto ch = Mastodon();
  ASSERT_NE(ch, nullptr);
  // The status is made, but its answer never comes back (the channel's timeout is 3 s).
  Control({{"api", "mastodon"}, {"hang", 6}, {"after", true}});
  OutgoingMessage m = Post("Instagram is down; we are here meanwhile");
  DeliveryResult lost = ch->Send(m);
  EXPECT_EQ(lost.outcome, Outcome::kRetry) << lost.reason;
  m.attempt = 2;
  DeliveryResult again = ch->Send(m);
  ASSERT_EQ(again.outcome, Outcome::kDelivered) << again.reason;
  auto got = Received();
  ASSERT_EQ(got["created"]["mastodon"].size(), 1u) << "the Idempotency-Key kept it to one status";
  EXPECT_EQ(got["created"]["mastodon"][0]["id"], again.remote_id);
}

TEST_F(SocialChannelsTest, MastodonAnswersAreClassified) {
  auto ch = Mastodon("max_chars: 1000\n");  // more than the emulated instance's 500
  ASSERT_NE(ch, nullptr);
  DeliveryResult too_long = ch->Send(Post(std::string(600, 'a'), "k1"));
  EXPECT_EQ(too_long.outcome, Outcome::kFailed);
  EXPECT_EQ(too_long.http_status, 422);
  EXPECT_NE(too_long.reason.find("character limit of 500"), std::string::npos) << too_long.reason;

  Control({{"api", "mastodon"},
           {"status", 429},
           {"body", {{"error", "Too many requests"}}},
           {"headers", {{"X-RateLimit-Reset", "2099-01-01T00:00:00.000000Z"}}}});
  DeliveryResult limited = ch->Send(Post("hello", "k2"));
  EXPECT_EQ(limited.outcome, Outcome::kRetry);
  EXPECT_TRUE(limited.rate_limited);
  ASSERT_TRUE(limited.retry_after.has_value());
  EXPECT_GT(*limited.retry_after, std::chrono::hours(24 * 365));

  Control({{"api", "mastodon"}, {"status", 503}, {"body", "<html>maintenance</html>"}});
  EXPECT_EQ(ch->Send(Post("hello", "k3")).outcome, Outcome::kRetry);

  auto bad_token = Url("mastodon://wrong-token@127.0.0.1:" + std::to_string(fake_.port()));
  ASSERT_NE(bad_token, nullptr);
  DeliveryResult refused = bad_token->Send(Post("hello", "k4"));
  EXPECT_EQ(refused.outcome, Outcome::kFailed);
  EXPECT_EQ(refused.http_status, 401);
  EXPECT_EQ(refused.reason.find("wrong-token"), std::string::npos) << "never the token";
}

TEST_F(SocialChannelsTest, MastodonUrlFormPosts) {
  auto ch =
      Url("mastodon://mtok@127.0.0.1:" + std::to_string(fake_.port()) + "?visibility=unlisted");
  ASSERT_NE(ch, nullptr);
  DeliveryResult r = ch->Send(Post("from an Apprise URL"));
  ASSERT_EQ(r.outcome, Outcome::kDelivered) << r.reason;
  EXPECT_EQ(Received()["mastodon"][0]["body"]["visibility"], "unlisted");
}

// --- Bluesky --------------------------------------------------------------------------------

TEST_F(SocialChannelsTest, BlueskyPostsWithFacetsAndReusesItsSession) {
  auto ch = Bluesky();
  ASSERT_NE(ch, nullptr);
  std::string text = "Olá 👋 WhatsApp caiu. Fale conosco: https://t.me/brand #WhatsAppDown";
  DeliveryResult first = ch->Send(Post(text));
  ASSERT_EQ(first.outcome, Outcome::kDelivered) << first.reason << fake_.log();
  EXPECT_EQ(first.remote_id.rfind("at://did:plc:fakebrand/app.bsky.feed.post/", 0), 0u);
  DeliveryResult second = ch->Send(Post("Still down; still on Telegram", "k2"));
  ASSERT_EQ(second.outcome, Outcome::kDelivered) << second.reason;

  auto got = Received();
  EXPECT_EQ(Count(got["bluesky"], "createSession"), 1u) << "one login for both posts";
  ASSERT_EQ(got["created"]["bluesky"].size(), 2u);
  const auto& record = got["created"]["bluesky"][0]["record"];
  EXPECT_EQ(record["text"], text);
  EXPECT_EQ(record["langs"], nlohmann::json::array({"en"}));
  ASSERT_EQ(record["facets"].size(), 2u);  // the emulator checked their byte ranges
  std::size_t start = record["facets"][0]["index"]["byteStart"];
  std::size_t end = record["facets"][0]["index"]["byteEnd"];
  EXPECT_EQ(text.substr(start, end - start), "https://t.me/brand");
}

TEST_F(SocialChannelsTest, BlueskyExpiredTokenIsRefreshed) {
  auto ch = Bluesky();
  ASSERT_NE(ch, nullptr);
  ASSERT_EQ(ch->Send(Post("one", "k1")).outcome, Outcome::kDelivered);
  Control({{"expire_tokens", true}});
  DeliveryResult r = ch->Send(Post("two", "k2"));
  ASSERT_EQ(r.outcome, Outcome::kDelivered) << r.reason;
  auto got = Received();
  EXPECT_EQ(Count(got["bluesky"], "refreshSession"), 1u);
  EXPECT_EQ(Count(got["bluesky"], "createSession"), 1u);
  EXPECT_EQ(got["created"]["bluesky"].size(), 2u);
}

TEST_F(SocialChannelsTest, BlueskyAnswersAreClassified) {
  auto wrong = Url("bluesky://brand.bsky.social@wrong-pass-word-here?service=" + EncodedBase());
  ASSERT_NE(wrong, nullptr);
  DeliveryResult refused = wrong->Send(Post("hello"));
  EXPECT_EQ(refused.outcome, Outcome::kFailed);
  EXPECT_NE(refused.reason.find("Invalid identifier or password"), std::string::npos);

  auto ch = Url("bsky://brand.bsky.social@abcd-efgh-ijkl-mnop?service=" + EncodedBase());
  ASSERT_NE(ch, nullptr);
  Control({{"api", "bluesky"},
           {"path", "createRecord"},
           {"status", 429},
           {"body", {{"error", "RateLimitExceeded"}, {"message", "Rate Limit Exceeded"}}},
           {"headers", {{"RateLimit-Reset", "4102444800"}, {"RateLimit-Remaining", "0"}}}});
  DeliveryResult limited = ch->Send(Post("a", "k1"));
  EXPECT_EQ(limited.outcome, Outcome::kRetry);
  EXPECT_TRUE(limited.rate_limited);
  ASSERT_TRUE(limited.retry_after.has_value());

  Control({{"api", "bluesky"}, {"path", "createRecord"}, {"status", 502}, {"body", "bad gateway"}});
  EXPECT_EQ(ch->Send(Post("b", "k2")).outcome, Outcome::kRetry);

  // The post is made but its answer lost: createRecord cannot deduplicate, so unconfirmed.
  Control({{"api", "bluesky"}, {"path", "createRecord"}, {"hang", 6}, {"after", true}});
  DeliveryResult lost = ch->Send(Post("c", "k3"));
  EXPECT_EQ(lost.outcome, Outcome::kUnconfirmed) << lost.reason;
  EXPECT_EQ(Received()["created"]["bluesky"].size(), 1u);
}

// --- X --------------------------------------------------------------------------------------

TEST_F(SocialChannelsTest, XPostsSignedWithOAuth1) {
  auto ch = X();
  ASSERT_NE(ch, nullptr);
  DeliveryResult r =
      ch->Send(Post("WhatsApp is down worldwide. We answer on Telegram: "
                    "https://t.me/brand #WhatsAppDown"));
  ASSERT_EQ(r.outcome, Outcome::kDelivered) << r.reason << fake_.log();
  auto got = Received();
  ASSERT_EQ(got["created"]["x"].size(), 1u);
  EXPECT_EQ(got["created"]["x"][0]["id"], r.remote_id);
  EXPECT_EQ(got["x"][0]["headers"]["Authorization"], "OAuth ...");
}

TEST_F(SocialChannelsTest, XWrongSecretIsRefused) {
  setenv("LL_TEST_X_CS", "not-the-secret", 1);
  auto ch = X();
  ASSERT_NE(ch, nullptr);
  DeliveryResult r = ch->Send(Post("hello"));
  EXPECT_EQ(r.outcome, Outcome::kFailed);
  EXPECT_EQ(r.http_status, 401);
  EXPECT_NE(r.reason.find("OAuth 1.0a"), std::string::npos) << r.reason;
}

TEST_F(SocialChannelsTest, XBearerUrlFormPosts) {
  auto ch = Url("x://xbearer?mode=tweet&api=" + EncodedBase());
  ASSERT_NE(ch, nullptr);
  DeliveryResult r = ch->Send(Post("posted with an OAuth 2.0 user token"));
  ASSERT_EQ(r.outcome, Outcome::kDelivered) << r.reason;
}

TEST_F(SocialChannelsTest, XWeightedLimitIsTheEmulatorsToo) {
  std::string cjk;
  for (int i = 0; i < 150; ++i) cjk += "語";  // weighs 300
  auto strict = X();
  ASSERT_NE(strict, nullptr);
  EXPECT_FALSE(strict->Check(Post(cjk)).ok()) << "refused before sending";
  auto lax = X("max_length: 1000\n");  // as if the account could post longer
  ASSERT_NE(lax, nullptr);
  DeliveryResult r = lax->Send(Post(cjk));
  EXPECT_EQ(r.outcome, Outcome::kFailed);
  EXPECT_EQ(r.http_status, 400);
  EXPECT_NE(r.reason.find("too long"), std::string::npos) << r.reason;
}

TEST_F(SocialChannelsTest, XDuplicatesAndLostAnswers) {
  auto ch = X();
  ASSERT_NE(ch, nullptr);
  ASSERT_EQ(ch->Send(Post("same text")).outcome, Outcome::kDelivered);
  DeliveryResult dup = ch->Send(Post("same text", "another-message"));
  EXPECT_EQ(dup.outcome, Outcome::kFailed);
  EXPECT_EQ(dup.http_status, 403);

  // The post is made, the answer lost: unconfirmed; a second attempt meets X's duplicate check,
  // which says the first one landed.
  Control({{"api", "x"}, {"hang", 6}, {"after", true}});
  OutgoingMessage m = Post("Instagram is back, thanks for your patience", "k9");
  DeliveryResult lost = ch->Send(m);
  EXPECT_EQ(lost.outcome, Outcome::kUnconfirmed) << lost.reason;
  m.attempt = 2;
  DeliveryResult again = ch->Send(m);
  EXPECT_EQ(again.outcome, Outcome::kUnconfirmed) << again.reason;
  EXPECT_NE(again.reason.find("earlier attempt probably posted it"), std::string::npos);
  EXPECT_EQ(Received()["created"]["x"].size(), 2u);

  Control({{"api", "x"},
           {"status", 429},
           {"body", {{"title", "Too Many Requests"}, {"status", 429}}},
           {"headers", {{"x-rate-limit-remaining", "0"}, {"x-rate-limit-reset", "4102444800"}}}});
  DeliveryResult limited = ch->Send(Post("later", "k10"));
  EXPECT_EQ(limited.outcome, Outcome::kRetry);
  EXPECT_TRUE(limited.rate_limited);
  ASSERT_TRUE(limited.retry_after.has_value());
}

}  // namespace
}  // namespace lifeline::channels
