// Tests of the Bluesky channel: config (YAML and URL), records with facets, session handling
// (login once, refresh on ExpiredToken), and answer classification, against canned answers.
#include "channels/bluesky/bluesky.h"

#include <gtest/gtest.h>

#include "channels/testing_http.h"

namespace lifeline::channels::bluesky {
namespace {

using testing::HeaderOf;

class BlueskyTest : public testing::AdapterTest {
 protected:
  BlueskyTest() : AdapterTest({{"LL_TEST_BSKY_PASSWORD", "abcd-efgh-ijkl-mnop"}}) {}

  std::unique_ptr<Channel> Build(const std::string& keys = "") {
    auto ch = testing::FromYaml(kKind,
                                "type: bluesky\nhandle: brand.bsky.social\n"
                                "app_password: { env: LL_TEST_BSKY_PASSWORD }\n" +
                                    keys,
                                &http_, "brand-bluesky");
    EXPECT_TRUE(ch.ok()) << ch.error().message();
    return ch.ok() ? std::move(*ch) : nullptr;
  }
  void AnswerLogin(const std::string& access = "a1", const std::string& refresh = "r1") {
    http_.Answer(200, R"({"did":"did:plc:abc123","handle":"brand.bsky.social","accessJwt":")" +
                          access + R"(","refreshJwt":")" + refresh + R"("})");
  }
  void AnswerPosted(const std::string& rkey = "3kabc") {
    http_.Answer(
        200, R"({"uri":"at://did:plc:abc123/app.bsky.feed.post/)" + rkey + R"(","cid":"bafyrei"})");
  }
};

TEST_F(BlueskyTest, ConfigFromYamlAndUrl) {
  auto ch = Build("service: https://pds.example\nlanguage: pt-BR\n");
  ASSERT_NE(ch, nullptr);
  const auto& c = dynamic_cast<BlueskyChannel&>(*ch).config();
  EXPECT_EQ(c.identifier, "brand.bsky.social");
  EXPECT_EQ(c.service, "https://pds.example");
  EXPECT_EQ(ch->info().platform, "bluesky");
  EXPECT_FALSE(ch->info().traits.deduplicates);

  auto url = testing::FromUrl(kKind, "bluesky://brand@abcd-efgh-ijkl-mnop", &http_);
  ASSERT_TRUE(url.ok()) << url.error().message();
  const auto& u = dynamic_cast<BlueskyChannel&>(**url).config();
  EXPECT_EQ(u.identifier, "brand.bsky.social");  // a bare name, as Apprise reads it
  EXPECT_EQ(u.app_password, "abcd-efgh-ijkl-mnop");
  EXPECT_EQ(u.service, "https://bsky.social");
  auto local = testing::FromUrl(
      kKind, "bsky://brand.example.com@pw?service=http%3A%2F%2F127.0.0.1%3A9000", &http_);
  ASSERT_TRUE(local.ok()) << local.error().message();
  EXPECT_EQ(dynamic_cast<BlueskyChannel&>(**local).config().service, "http://127.0.0.1:9000");
}

TEST_F(BlueskyTest, BadConfigNamesTheKey) {
  auto bad = testing::FromYaml(kKind,
                               "type: bluesky\nhandle: not a handle\n"
                               "app_password: { env: LL_TEST_BSKY_PASSWORD }\n",
                               &http_, "brand-bluesky");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(),
            "test.yaml:4: channels.brand-bluesky.handle: 'not a handle' is not a Bluesky handle "
            "(e.g. brand.bsky.social) or DID");
  auto no_pw = testing::FromYaml(kKind, "type: bluesky\nhandle: brand.bsky.social\n", &http_);
  ASSERT_FALSE(no_pw.ok());
  EXPECT_NE(no_pw.error().message().find("missing 'app_password'"), std::string::npos);
  auto plain = testing::FromYaml(kKind,
                                 "type: bluesky\nhandle: brand.bsky.social\n"
                                 "app_password: { env: LL_TEST_BSKY_PASSWORD }\n"
                                 "service: http://pds.example\n",
                                 &http_);
  ASSERT_FALSE(plain.ok());
  EXPECT_NE(plain.error().message().find("channels.team.service:"), std::string::npos);
  EXPECT_NE(plain.error().message().find("http:// only to a loopback address"), std::string::npos);
}

TEST(BlueskyRecord, FacetsUseUtf8ByteOffsets) {
  std::string text = "Olá 👋 WhatsApp caiu. Fale conosco: https://t.me/brand #WhatsAppDown";
  auto record = BuildRecord(text, "pt", std::chrono::system_clock::from_time_t(1733362629));
  EXPECT_EQ(record["$type"], "app.bsky.feed.post");
  EXPECT_EQ(record["text"], text);
  EXPECT_EQ(record["createdAt"], "2024-12-05T01:37:09.000Z");
  EXPECT_EQ(record["langs"], nlohmann::json::array({"pt"}));
  ASSERT_EQ(record["facets"].size(), 2u);
  const auto& link = record["facets"][0];
  std::size_t start = link["index"]["byteStart"];
  std::size_t end = link["index"]["byteEnd"];
  EXPECT_EQ(text.substr(start, end - start), "https://t.me/brand");
  EXPECT_EQ(link["features"][0]["$type"], "app.bsky.richtext.facet#link");
  EXPECT_EQ(link["features"][0]["uri"], "https://t.me/brand");
  const auto& tag = record["facets"][1];
  start = tag["index"]["byteStart"];
  end = tag["index"]["byteEnd"];
  EXPECT_EQ(text.substr(start, end - start), "#WhatsAppDown");
  EXPECT_EQ(tag["features"][0]["tag"], "WhatsAppDown");
  EXPECT_FALSE(BuildRecord("plain", "", {}).contains("facets"));
}

TEST_F(BlueskyTest, LogsInOnceAndPosts) {
  auto ch = Build();
  AnswerLogin();
  AnswerPosted("3kone");
  AnswerPosted("3ktwo");
  DeliveryResult first = ch->Send(testing::Message("WhatsApp is down https://t.me/brand"));
  ASSERT_EQ(first.outcome, Outcome::kDelivered) << first.reason;
  EXPECT_EQ(first.remote_id, "at://did:plc:abc123/app.bsky.feed.post/3kone");
  DeliveryResult second = ch->Send(testing::Message("still down"));
  ASSERT_EQ(second.outcome, Outcome::kDelivered) << second.reason;

  auto reqs = http_.requests();
  ASSERT_EQ(reqs.size(), 3u) << "the session is reused: one login for two posts";
  EXPECT_EQ(reqs[0].url, "https://bsky.social/xrpc/com.atproto.server.createSession");
  auto login = nlohmann::json::parse(reqs[0].body);
  EXPECT_EQ(login["identifier"], "brand.bsky.social");
  EXPECT_EQ(login["password"], "abcd-efgh-ijkl-mnop");
  EXPECT_EQ(reqs[1].url, "https://bsky.social/xrpc/com.atproto.repo.createRecord");
  EXPECT_EQ(HeaderOf(reqs[1], "Authorization"), "Bearer a1");
  auto body = nlohmann::json::parse(reqs[1].body);
  EXPECT_EQ(body["repo"], "did:plc:abc123");
  EXPECT_EQ(body["collection"], "app.bsky.feed.post");
  EXPECT_EQ(body["record"]["facets"][0]["features"][0]["uri"], "https://t.me/brand");
  EXPECT_EQ(HeaderOf(reqs[2], "Authorization"), "Bearer a1");
}

TEST_F(BlueskyTest, ExpiredTokenIsRefreshedAndThePostMade) {
  auto ch = Build();
  AnswerLogin("a1", "r1");
  http_.Answer(400, R"({"error":"ExpiredToken","message":"Token has expired"})");
  http_.Answer(200, R"({"did":"did:plc:abc123","accessJwt":"a2","refreshJwt":"r2"})");
  AnswerPosted();
  DeliveryResult r = ch->Send(testing::Message("hello"));
  ASSERT_EQ(r.outcome, Outcome::kDelivered) << r.reason;
  auto reqs = http_.requests();
  ASSERT_EQ(reqs.size(), 4u);
  EXPECT_EQ(reqs[2].url, "https://bsky.social/xrpc/com.atproto.server.refreshSession");
  EXPECT_EQ(HeaderOf(reqs[2], "Authorization"), "Bearer r1");
  EXPECT_EQ(HeaderOf(reqs[3], "Authorization"), "Bearer a2");
}

TEST_F(BlueskyTest, ExpiredRefreshTokenLogsInAgain) {
  auto ch = Build();
  AnswerLogin("a1", "r1");
  http_.Answer(400, R"({"error":"ExpiredToken","message":"Token has expired"})");
  http_.Answer(400, R"({"error":"ExpiredToken","message":"Token has expired"})");  // refresh
  AnswerLogin("a3", "r3");
  AnswerPosted();
  DeliveryResult r = ch->Send(testing::Message("hello"));
  ASSERT_EQ(r.outcome, Outcome::kDelivered) << r.reason;
  auto reqs = http_.requests();
  ASSERT_EQ(reqs.size(), 5u);
  EXPECT_EQ(reqs[3].url, "https://bsky.social/xrpc/com.atproto.server.createSession");
  EXPECT_EQ(HeaderOf(reqs[4], "Authorization"), "Bearer a3");
}

TEST_F(BlueskyTest, WrongAppPasswordFailsForGood) {
  auto ch = Build();
  http_.Answer(401,
               R"({"error":"AuthenticationRequired","message":"Invalid identifier or password"})");
  DeliveryResult r = ch->Send(testing::Message("hello"));
  EXPECT_EQ(r.outcome, Outcome::kFailed);
  EXPECT_NE(r.reason.find("Invalid identifier or password"), std::string::npos);
  EXPECT_EQ(r.reason.find("abcd-efgh"), std::string::npos) << "never the password";
}

TEST_F(BlueskyTest, AnswersAreClassified) {
  auto ch = Build();
  AnswerLogin();
  http_.Answer(429, R"({"error":"RateLimitExceeded","message":"Rate Limit Exceeded"})",
               {{"ratelimit-reset", "4102444800"}});
  DeliveryResult limited = ch->Send(testing::Message("a"));
  EXPECT_EQ(limited.outcome, Outcome::kRetry);
  EXPECT_TRUE(limited.rate_limited);
  ASSERT_TRUE(limited.retry_after.has_value());
  EXPECT_GT(*limited.retry_after, std::chrono::hours(24));

  http_.Answer(400, R"({"error":"InvalidRequest","message":"Invalid app.bsky.feed.post record"})");
  EXPECT_EQ(ch->Send(testing::Message("b")).outcome, Outcome::kFailed);

  http_.Answer(502, "<html>bad gateway</html>");
  EXPECT_EQ(ch->Send(testing::Message("c")).outcome, Outcome::kRetry);

  http_.Fail(HttpResponse::Transport::kLost, "timed out after 3000 ms");
  DeliveryResult lost = ch->Send(testing::Message("d"));
  EXPECT_EQ(lost.outcome, Outcome::kUnconfirmed) << "createRecord cannot deduplicate";

  http_.Fail(HttpResponse::Transport::kNotSent, "connection refused");
  EXPECT_EQ(ch->Send(testing::Message("e")).outcome, Outcome::kRetry);
}

TEST_F(BlueskyTest, CheckCountsGraphemesAndBytes) {
  auto ch = Build();
  std::string flags;
  for (int i = 0; i < 300; ++i) flags += "🇧🇷";  // 300 graphemes, 2,400 bytes
  EXPECT_TRUE(ch->Check(testing::Message(flags)).ok());
  auto over = ch->Check(testing::Message(flags + "!"));
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().message(), "brand-bluesky: 301 characters; Bluesky allows 300");
  EXPECT_FALSE(ch->Check(testing::Message("")).ok());
  std::string cjk;
  for (int i = 0; i < 250; ++i) cjk += "語";  // 250 graphemes, 750 bytes
  EXPECT_TRUE(ch->Check(testing::Message(cjk)).ok());
}

TEST_F(BlueskyTest, LookupAsksGetPostsWithTheSession) {
  using Presence = LookupResult::Presence;
  auto ch = Build();
  const std::string uri = "at://did:plc:abc123/app.bsky.feed.post/3kone";
  AnswerLogin();
  http_.Answer(200, R"({"posts":[{"uri":")" + uri + R"(","cid":"bafyrei"}]})");
  LookupResult there = ch->Lookup(uri);
  EXPECT_EQ(there.presence, Presence::kPresent) << there.reason;
  EXPECT_EQ(there.permalink, "https://bsky.app/profile/did:plc:abc123/post/3kone");
  auto reqs = http_.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[1].method, "GET");
  EXPECT_EQ(reqs[1].url,
            "https://bsky.social/xrpc/app.bsky.feed.getPosts?uris=at%3A%2F%2Fdid%3Aplc%3Aabc123%2F"
            "app.bsky.feed.post%2F3kone");
  EXPECT_EQ(HeaderOf(reqs[1], "Authorization"), "Bearer a1");

  // getPosts leaves out what it cannot find.
  http_.Answer(200, R"({"posts":[]})");
  EXPECT_EQ(ch->Lookup(uri).presence, Presence::kMissing);
  // An expired session is refreshed, then the lookup asked again.
  http_.Answer(400, R"({"error":"ExpiredToken","message":"Token has expired"})");
  http_.Answer(200, R"({"accessJwt":"a2","refreshJwt":"r2"})");
  http_.Answer(200, R"({"posts":[]})");
  EXPECT_EQ(ch->Lookup(uri).presence, Presence::kMissing);
  EXPECT_EQ(HeaderOf(http_.last(), "Authorization"), "Bearer a2");

  http_.Answer(502, "bad gateway");
  EXPECT_EQ(ch->Lookup(uri).presence, Presence::kUnknown);
  http_.Answer(429, R"({"error":"RateLimitExceeded","message":"Rate Limit Exceeded"})");
  EXPECT_EQ(ch->Lookup(uri).presence, Presence::kUnknown);
  EXPECT_EQ(ch->Lookup("not-a-uri").presence, Presence::kUnknown);
}

}  // namespace
}  // namespace lifeline::channels::bluesky
