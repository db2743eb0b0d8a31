// Tests of the Facebook Page channel: config (YAML and URL, good and bad), the feed request with
// its link, the classification of Graph answers (rate limits, tokens, permissions), and lookups,
// against canned answers (no network).
#include "channels/facebook/facebook.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "channels/testing_http.h"

namespace lifeline::channels::facebook {
namespace {

using Presence = LookupResult::Presence;
using testing::Answered;
using testing::HeaderOf;
using testing::NoAnswer;

std::string GraphError(int code, int subcode, const std::string& message) {
  nlohmann::json e = {
      {"message", message}, {"type", "OAuthException"}, {"code", code}, {"fbtrace_id", "AbCdEf"}};
  if (subcode != 0) e["error_subcode"] = subcode;
  return nlohmann::json{{"error", e}}.dump();
}

class FacebookTest : public testing::AdapterTest {
 protected:
  FacebookTest() : AdapterTest({{"LL_TEST_FB_PAGE_TOKEN", "EAAP-page-token"}}) {}

  core::Result<std::unique_ptr<Channel>> Make(const std::string& keys) {
    return testing::FromYaml(kKind, "type: facebook_page\n" + keys, &http_, "brand-facebook");
  }
  std::unique_ptr<Channel> Default() {
    auto ch = Make("page_id: \"1122334455\"\npage_token: { env: LL_TEST_FB_PAGE_TOKEN }\n");
    EXPECT_TRUE(ch.ok()) << ch.error().message();
    return ch.ok() ? std::move(*ch) : nullptr;
  }
};

TEST_F(FacebookTest, ConfigFromYamlAndUrl) {
  auto ch = Make(
      "page_id: \"1122334455\"\npage_token: { env: LL_TEST_FB_PAGE_TOKEN }\n"
      "api_version: v22.0\napi_base: http://127.0.0.1:9999/\n");
  ASSERT_TRUE(ch.ok()) << ch.error().message();
  const auto& c = dynamic_cast<FacebookPageChannel&>(**ch).config();
  EXPECT_EQ(c.page_id, "1122334455");
  EXPECT_EQ(c.page_token, "EAAP-page-token");
  EXPECT_EQ(c.api_version, "v22.0");
  EXPECT_EQ(c.api_base, "http://127.0.0.1:9999");
  EXPECT_EQ((*ch)->info().kind, "facebook_page");
  EXPECT_EQ((*ch)->info().platform, "facebook");
  EXPECT_TRUE((*ch)->info().traits.public_post);
  EXPECT_FALSE((*ch)->info().traits.deduplicates);
  EXPECT_EQ((*ch)->info().traits.max_chars, kMaxChars);

  auto url =
      testing::FromUrl(kKind, "facebook://EAAP-url-token@1122334455?api_version=v21.0", &http_);
  ASSERT_TRUE(url.ok()) << url.error().message();
  EXPECT_EQ(dynamic_cast<FacebookPageChannel&>(**url).config().page_token, "EAAP-url-token");
  EXPECT_EQ(dynamic_cast<FacebookPageChannel&>(**url).config().page_id, "1122334455");
}

TEST_F(FacebookTest, BadConfigNamesFileLineAndKey) {
  const testing::BadConfig bad[] = {
      {"type: facebook_page\npage_token: { env: LL_TEST_FB_PAGE_TOKEN }\n",
       "channels.team: missing 'page_id'"},
      {"type: facebook_page\npage_id: \"1122334455\"\n", "missing 'page_token'"},
      {"type: facebook_page\npage_id: \"1122334455\"\npage_token: EAAP-plain\n",
       "channels.team.page_token: expected { env: NAME } or { file: PATH }"},
      {"type: facebook_page\npage_id: brand\npage_token: { env: LL_TEST_FB_PAGE_TOKEN }\n",
       "test.yaml:4: channels.team.page_id: 'brand' is not a Page id (digits)"},
      {"type: facebook_page\npage_id: \"1\"\npage_token: { env: LL_TEST_FB_PAGE_TOKEN "
       "}\napi_version: 21\n",
       "test.yaml:6: channels.team.api_version: '21' is not a Graph API version"},
      {"type: facebook_page\npage_id: \"1\"\npage_token: { env: LL_TEST_FB_PAGE_TOKEN }\napi_base: "
       "http://graph.example\n",
       "channels.team.api_base: the URL must be https://"},
      {"type: facebook_page\npage_id: \"1\"\npage_token: { env: LL_TEST_FB_PAGE_TOKEN "
       "}\npage_tokn: x\n",
       "did you mean 'page_token'?"},
  };
  ExpectRefused(kKind, bad, {"EAAP-page-token"});
  ExpectUrlsRefused(kKind, {"facebook://1122334455", "facebook://tok@1122/extra"},
                    "expected facebook://PAGE_TOKEN@PAGE_ID", {"tok"});
}

TEST_F(FacebookTest, PostsTheMessageWithTheFirstMediaLink) {
  auto ch = Default();
  http_.Answer(200, R"({"id":"1122334455_987654321"})");
  OutgoingMessage m = testing::Message("Instagram is down; we answer here and on Telegram");
  m.media = {"https://brand.example/outage.jpg", "https://brand.example/second.jpg"};
  DeliveryResult r = ch->Send(m);
  ASSERT_EQ(r.outcome, Outcome::kDelivered) << r.reason;
  EXPECT_EQ(r.remote_id, "1122334455_987654321");
  HttpRequest req = http_.last();
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.url, "https://graph.facebook.com/v21.0/1122334455/feed");
  EXPECT_EQ(HeaderOf(req, "Authorization"), "Bearer EAAP-page-token");
  EXPECT_EQ(req.url.find("EAAP"), std::string::npos) << "the token is never in the URL";
  auto body = nlohmann::json::parse(req.body);
  EXPECT_EQ(body["message"], "Instagram is down; we answer here and on Telegram");
  EXPECT_EQ(body["link"], "https://brand.example/outage.jpg");

  http_.Answer(200, R"({"id":"1122334455_2"})");
  ASSERT_EQ(ch->Send(testing::Message("no media")).outcome, Outcome::kDelivered);
  EXPECT_FALSE(nlohmann::json::parse(http_.last().body).contains("link"));
}

TEST_F(FacebookTest, CheckRefusesAnEmptyOrOverlongPost) {
  auto ch = Default();
  EXPECT_FALSE(ch->Check(testing::Message("")).ok());
  auto too_long = ch->Check(testing::Message(std::string(kMaxChars + 1, 'a')));
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.error().message(),
            "brand-facebook: 63,207 characters; a Facebook Page post allows 63,206");
  EXPECT_TRUE(ch->Check(testing::Message(std::string(kMaxChars, 'a'))).ok());
}

TEST(FacebookClassify, GraphErrors) {
  for (int code : {4, 17, 32, 613, 80001}) {
    DeliveryResult r = ClassifyAnswer(Answered(400, GraphError(code, 0, "too many calls")));
    EXPECT_EQ(r.outcome, Outcome::kRetry) << code;
    EXPECT_TRUE(r.rate_limited) << code;
    EXPECT_EQ(r.far_code, std::to_string(code));
  }
  // The Business Use Case header says when calls work again.
  DeliveryResult page_limit = ClassifyAnswer(
      Answered(400, GraphError(80001, 0, "There have been too many calls to this Page account."),
               {{"x-business-use-case-usage",
                 R"({"1122334455":[{"type":"pages","call_count":100,"total_cputime":40,)"
                 R"("total_time":40,"estimated_time_to_regain_access":17}]})"}}));
  EXPECT_TRUE(page_limit.rate_limited);
  ASSERT_TRUE(page_limit.retry_after.has_value());
  EXPECT_EQ(*page_limit.retry_after, std::chrono::minutes(17));

  DeliveryResult token = ClassifyAnswer(
      Answered(400, GraphError(190, 463, "Error validating access token: Session has expired")));
  EXPECT_EQ(token.outcome, Outcome::kFailed);
  EXPECT_EQ(token.far_code, "190/463");
  EXPECT_NE(token.reason.find("access token"), std::string::npos) << token.reason;
  EXPECT_NE(token.reason.find("fbtrace_id AbCdEf"), std::string::npos) << token.reason;
  for (int code : {200, 10, 100}) {
    EXPECT_EQ(ClassifyAnswer(Answered(400, GraphError(code, 0, "no"))).outcome, Outcome::kFailed)
        << code;
  }
  for (int code : {1, 2}) {
    DeliveryResult r = ClassifyAnswer(Answered(500, GraphError(code, 0, "try later")));
    EXPECT_EQ(r.outcome, Outcome::kRetry) << code;
    EXPECT_FALSE(r.rate_limited);
  }
  EXPECT_EQ(ClassifyAnswer(Answered(502, "<html>bad gateway</html>")).outcome, Outcome::kRetry);
  EXPECT_EQ(ClassifyAnswer(Answered(200, "{}")).outcome, Outcome::kUnconfirmed);
  // No idempotency key on the feed: a lost answer may have posted.
  EXPECT_EQ(ClassifyAnswer(NoAnswer(HttpResponse::Transport::kLost, "timed out")).outcome,
            Outcome::kUnconfirmed);
  EXPECT_EQ(ClassifyAnswer(NoAnswer(HttpResponse::Transport::kNotSent)).outcome, Outcome::kRetry);
}

TEST_F(FacebookTest, LookupAsksForThePost) {
  auto ch = Default();
  http_.Answer(200, R"({"id":"1122334455_9","is_published":true,)"
                    R"("permalink_url":"https://www.facebook.com/1122334455/posts/9"})");
  LookupResult there = ch->Lookup("1122334455_9");
  EXPECT_EQ(there.presence, Presence::kPresent) << there.reason;
  EXPECT_EQ(there.permalink, "https://www.facebook.com/1122334455/posts/9");
  EXPECT_EQ(http_.last().method, "GET");
  EXPECT_EQ(http_.last().url,
            "https://graph.facebook.com/v21.0/1122334455_9?fields=id,is_published,permalink_url");

  http_.Answer(400, GraphError(100, 33,
                               "Unsupported get request. Object with ID '1122334455_9' does not "
                               "exist, cannot be loaded due to missing permissions, or does not "
                               "support this operation."));
  LookupResult gone = ch->Lookup("1122334455_9");
  EXPECT_EQ(gone.presence, Presence::kMissing);
  EXPECT_NE(gone.reason.find("100/33"), std::string::npos) << gone.reason;

  http_.Answer(200, R"({"id":"1122334455_9","is_published":false})");
  EXPECT_EQ(ch->Lookup("1122334455_9").presence, Presence::kMissing);

  http_.Answer(400, GraphError(17, 0, "User request limit reached"));
  EXPECT_EQ(ch->Lookup("1122334455_9").presence, Presence::kUnknown);
  http_.Answer(400, GraphError(190, 0, "bad token"));
  EXPECT_EQ(ch->Lookup("1122334455_9").presence, Presence::kUnknown);
  http_.Answer(503, "unavailable");
  EXPECT_EQ(ch->Lookup("1122334455_9").presence, Presence::kUnknown);
  http_.Fail(HttpResponse::Transport::kLost);
  EXPECT_EQ(ch->Lookup("1122334455_9").presence, Presence::kUnknown);
}

}  // namespace
}  // namespace lifeline::channels::facebook
