// Tests of the X channel: OAuth 1.0a signing (X's documented example), config (YAML and URL), the
// weighted length rule, and the classification of canned answers (no network).
#include "channels/x/x.h"

#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "channels/testing_http.h"
#include "core/temp_dir.h"

namespace lifeline::channels::x {
namespace {

using testing::Answered;
using testing::HeaderOf;
using testing::NoAnswer;

TEST(OAuth1, MatchesTheDocumentedSignatureExample) {
  // X's "Creating a signature" walk-through: its inputs and its resulting oauth_signature.
  OAuth1Credentials creds{"xvz1evFS4wEEPTGEFPHBog", "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw",
                          "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb",
                          "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE"};
  std::string header =
      OAuth1Header("POST", "https://api.twitter.com/1.1/statuses/update.json",
                   {{"include_entities", "true"},
                    {"status", "Hello Ladies + Gentlemen, a signed OAuth request!"}},
                   creds, "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg", 1318622958);
  EXPECT_NE(header.find("oauth_signature=\"hCtSmYh%2BiHYCEqBWrE7C7hYmtUk%3D\""), std::string::npos)
      << header;
  EXPECT_EQ(header.rfind("OAuth oauth_consumer_key=\"xvz1evFS4wEEPTGEFPHBog\"", 0), 0u) << header;
}

TEST(OAuth1, PercentEncodesPerRfc3986) {
  EXPECT_EQ(PercentEncode("Ladies + Gentlemen"), "Ladies%20%2B%20Gentlemen");
  EXPECT_EQ(PercentEncode("a-b.c_d~e"), "a-b.c_d~e");
  EXPECT_EQ(PercentEncode("☃"), "%E2%98%83");
}

class XTest : public testing::AdapterTest {
 protected:
  XTest()
      : AdapterTest({{"LL_TEST_X_CK", "ck"},
                     {"LL_TEST_X_CS", "consumer-secret-cs"},
                     {"LL_TEST_X_AT", "at"},
                     {"LL_TEST_X_AS", "token-secret-as"}}) {}
  static std::string OAuth1Keys() {
    return "consumer_key: { env: LL_TEST_X_CK }\nconsumer_secret: { env: LL_TEST_X_CS }\n"
           "access_token: { env: LL_TEST_X_AT }\naccess_token_secret: { env: LL_TEST_X_AS }\n";
  }
  core::Result<std::unique_ptr<Channel>> Make(const std::string& keys) {
    return testing::FromYaml(kKind, "type: x\n" + keys, &http_, "brand-x");
  }
};

TEST_F(XTest, SignsWithOAuth1ByDefault) {
  auto ch = Make(OAuth1Keys());
  ASSERT_TRUE(ch.ok()) << ch.error().message();
  EXPECT_EQ((*ch)->info().platform, "x");
  EXPECT_FALSE((*ch)->info().traits.deduplicates);
  http_.Answer(201, R"({"data":{"id":"1866000000000000000","text":"hi"}})");
  DeliveryResult r = (*ch)->Send(testing::Message("WhatsApp is down"));
  ASSERT_EQ(r.outcome, Outcome::kDelivered) << r.reason;
  EXPECT_EQ(r.remote_id, "1866000000000000000");
  HttpRequest req = http_.last();
  EXPECT_EQ(req.url, "https://api.x.com/2/tweets");
  EXPECT_EQ(nlohmann::json::parse(req.body)["text"], "WhatsApp is down");
  std::string auth = HeaderOf(req, "Authorization");
  EXPECT_EQ(auth.rfind("OAuth ", 0), 0u);
  EXPECT_NE(auth.find("oauth_consumer_key=\"ck\""), std::string::npos);
  EXPECT_NE(auth.find("oauth_token=\"at\""), std::string::npos);
  EXPECT_NE(auth.find("oauth_signature=\""), std::string::npos);
  // Long values: a two-letter secret turned up by chance in the random nonce or the signature.
  EXPECT_EQ(auth.find("consumer-secret-cs"), std::string::npos) << "secrets sign, not sent";
  EXPECT_EQ(auth.find("token-secret-as"), std::string::npos) << "secrets sign, not sent";
}

TEST_F(XTest, BearerTokenFileIsReadBeforeEveryPost) {
  lifeline::testing::TempDir dir;
  std::string token_file = dir.File("x_token");
  std::ofstream(token_file) << "first-token\n";
  auto ch = Make("bearer_token: { file: " + token_file + " }\n");
  ASSERT_TRUE(ch.ok()) << ch.error().message();
  http_.Answer(201, R"({"data":{"id":"1"}})");
  http_.Answer(201, R"({"data":{"id":"2"}})");
  ASSERT_EQ((*ch)->Send(testing::Message("one")).outcome, Outcome::kDelivered);
  EXPECT_EQ(HeaderOf(http_.last(), "Authorization"), "Bearer first-token");
  std::ofstream(token_file) << "refreshed-token\n";
  ASSERT_EQ((*ch)->Send(testing::Message("two")).outcome, Outcome::kDelivered);
  EXPECT_EQ(HeaderOf(http_.last(), "Authorization"), "Bearer refreshed-token");
}

TEST_F(XTest, BadConfig) {
  auto both = Make(OAuth1Keys() + "bearer_token: { env: LL_TEST_X_AT }\n");
  ASSERT_FALSE(both.ok());
  EXPECT_NE(both.error().message().find("channels.brand-x.bearer_token: give either"),
            std::string::npos);
  auto none = Make("api: https://api.x.com\n");
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().message().find("missing credentials"), std::string::npos);
  auto partial = Make("consumer_key: { env: LL_TEST_X_CK }\n");
  ASSERT_FALSE(partial.ok());
  EXPECT_NE(partial.error().message().find("missing 'consumer_secret'"), std::string::npos);
  auto insecure = Make(OAuth1Keys() + "api: http://api.x.com\n");
  ASSERT_FALSE(insecure.ok());
  EXPECT_NE(insecure.error().message().find("channels.brand-x.api:"), std::string::npos);
  EXPECT_NE(insecure.error().message().find("http:// only to a loopback address"),
            std::string::npos);
}

TEST_F(XTest, UrlForms) {
  auto o1 = testing::FromUrl(kKind, "x://CK/CS/AT/AS?mode=tweet", &http_);
  ASSERT_TRUE(o1.ok()) << o1.error().message();
  const auto& c = dynamic_cast<XChannel&>(**o1).config();
  EXPECT_EQ(c.oauth1.consumer_key, "CK");
  EXPECT_EQ(c.oauth1.token_secret, "AS");
  EXPECT_TRUE(c.bearer_token.empty());
  auto o2 = testing::FromUrl(kKind, "twitter://USERTOKEN?mode=tweet", &http_);
  ASSERT_TRUE(o2.ok()) << o2.error().message();
  EXPECT_EQ(dynamic_cast<XChannel&>(**o2).config().bearer_token, "USERTOKEN");
  auto dm = testing::FromUrl(kKind, "x://CK/CS/AT/AS", &http_);
  ASSERT_FALSE(dm.ok());
  EXPECT_NE(dm.error().message().find("mode=tweet"), std::string::npos);
  EXPECT_EQ(dm.error().message().find("CS"), std::string::npos) << "never a secret";
  auto targets = testing::FromUrl(kKind, "x://CK/CS/AT/AS/@someone?mode=tweet", &http_);
  EXPECT_FALSE(targets.ok());
}

TEST_F(XTest, CheckUsesTheWeightedCount) {
  auto ch = Make(OAuth1Keys());
  ASSERT_TRUE(ch.ok());
  std::string cjk;
  for (int i = 0; i < 140; ++i) cjk += "語";
  EXPECT_TRUE((*ch)->Check(testing::Message(cjk)).ok()) << "140 CJK characters weigh 280";
  auto over = (*ch)->Check(testing::Message(cjk + "a"));
  ASSERT_FALSE(over.ok());
  EXPECT_NE(over.error().message().find("brand-x: 281 by X's count"), std::string::npos);
  std::string with_link = std::string(256, 'a') + " https://status.example.com/" +
                          std::string(100, 'p');  // 256 + 1 + 23 = 280
  EXPECT_TRUE((*ch)->Check(testing::Message(with_link)).ok());
}

TEST(XClassify, Answers) {
  auto now = std::chrono::system_clock::from_time_t(1733360000);
  auto duplicate = Answered(
      403,
      R"({"detail":"You are not allowed to create a Tweet with duplicate content.","type":"about:blank","title":"Forbidden","status":403})");
  EXPECT_EQ(ClassifyAnswer(duplicate, 1, false, now).outcome, Outcome::kFailed);
  DeliveryResult again = ClassifyAnswer(duplicate, 2, false, now);
  EXPECT_EQ(again.outcome, Outcome::kUnconfirmed) << "a retry refused as a duplicate probably "
                                                     "means the lost attempt posted";

  auto limited = ClassifyAnswer(
      Answered(429, R"({"title":"Too Many Requests","detail":"Too Many Requests","status":429})",
               {{"x-rate-limit-limit", "200"},
                {"x-rate-limit-remaining", "0"},
                {"x-rate-limit-reset", "1733360300"}}),
      1, false, now);
  EXPECT_EQ(limited.outcome, Outcome::kRetry);
  EXPECT_TRUE(limited.rate_limited);
  ASSERT_TRUE(limited.retry_after.has_value());
  EXPECT_EQ(*limited.retry_after, std::chrono::seconds(300));

  auto daily = ClassifyAnswer(Answered(429, "{}",
                                       {{"x-rate-limit-reset", "1733360300"},
                                        {"x-user-limit-24hour-remaining", "0"},
                                        {"x-user-limit-24hour-reset", "1733400000"}}),
                              1, false, now);
  ASSERT_TRUE(daily.retry_after.has_value());
  EXPECT_EQ(*daily.retry_after, std::chrono::seconds(40000)) << "the spent 24-hour cap";

  auto expired = ClassifyAnswer(
      Answered(
          401,
          R"({"title":"Unauthorized","type":"about:blank","status":401,"detail":"Unauthorized"})"),
      1, true, now);
  EXPECT_EQ(expired.outcome, Outcome::kFailed);
  EXPECT_NE(expired.reason.find("expire after 2 hours"), std::string::npos);

  auto too_long = ClassifyAnswer(
      Answered(
          400,
          R"({"errors":[{"message":"Your Tweet text is too long."}],"title":"Invalid Request","detail":"One or more parameters to your request was invalid."})"),
      1, false, now);
  EXPECT_EQ(too_long.outcome, Outcome::kFailed);
  EXPECT_NE(too_long.reason.find("too long"), std::string::npos);

  EXPECT_EQ(ClassifyAnswer(Answered(503, "Service Unavailable"), 1, false, now).outcome,
            Outcome::kRetry);
  EXPECT_EQ(ClassifyAnswer(NoAnswer(HttpResponse::Transport::kLost), 1, false, now).outcome,
            Outcome::kUnconfirmed);
}

TEST_F(XTest, LookupReadsDataOrNotFoundErrors) {
  using Presence = LookupResult::Presence;
  auto ch = Make(OAuth1Keys());
  ASSERT_TRUE(ch.ok()) << ch.error().message();
  http_.Answer(200, R"({"data":{"id":"1866000000000000001","text":"hi"}})");
  LookupResult there = (*ch)->Lookup("1866000000000000001");
  EXPECT_EQ(there.presence, Presence::kPresent) << there.reason;
  EXPECT_EQ(there.permalink, "https://x.com/i/web/status/1866000000000000001");
  HttpRequest req = http_.last();
  EXPECT_EQ(req.method, "GET");
  EXPECT_EQ(req.url, "https://api.x.com/2/tweets/1866000000000000001");
  EXPECT_EQ(HeaderOf(req, "Authorization").rfind("OAuth ", 0), 0u);

  // X answers a post that is gone with 200 and an errors[] entry.
  http_.Answer(200,
               R"({"errors":[{"value":"1866000000000000001","detail":"Could not find tweet with )"
               R"(id: [1866000000000000001].","title":"Not Found Error","resource_type":"tweet",)"
               R"("type":"https://api.twitter.com/2/problems/resource-not-found"}]})");
  LookupResult gone = (*ch)->Lookup("1866000000000000001");
  EXPECT_EQ(gone.presence, Presence::kMissing);
  EXPECT_NE(gone.reason.find("Could not find tweet"), std::string::npos) << gone.reason;

  http_.Answer(429, R"({"title":"Too Many Requests","detail":"Too Many Requests"})");
  EXPECT_EQ((*ch)->Lookup("1866000000000000001").presence, Presence::kUnknown);
  http_.Answer(401, R"({"title":"Unauthorized","detail":"Unauthorized"})");
  EXPECT_EQ((*ch)->Lookup("1866000000000000001").presence, Presence::kUnknown);
  http_.Fail(HttpResponse::Transport::kLost);
  EXPECT_EQ((*ch)->Lookup("1866000000000000001").presence, Presence::kUnknown);
}

}  // namespace
}  // namespace lifeline::channels::x
