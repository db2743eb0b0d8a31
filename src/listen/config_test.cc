// The `listen:` section: what a good config gives, and each mistake named by file, line and key.
#include "listen/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>

namespace lifeline::listen {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

core::Result<ListenConfig> Load(const std::string& yaml) {
  auto c = config::LoadString(yaml, "lifeline.yaml");
  if (!c.ok()) return c.error();
  return LoadListenConfig(*c);
}

std::string ErrorOf(const std::string& yaml) {
  auto r = Load(yaml);
  return r.ok() ? "(no error)" : r.error().message();
}

class ListenConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("LL_TEST_X_TOKEN", "x-secret-token", 1);
    setenv("LL_TEST_BSKY_PASSWORD", "bsky-app-password", 1);
  }
};

constexpr const char* kGood = R"(listen:
  brands:
    acme:
      mentions: ["@acme", "acme support"]
      hashtags: ["#acme"]
  chatter:
    instagram:
    whatsapp: { terms: ["whatsapp not working"] }
  sources:
    x: { token: { env: LL_TEST_X_TOKEN } }
    mastodon-social: { kind: mastodon, url: "https://mastodon.social/", interval: 1m }
    bluesky: { identifier: acme.bsky.social, password: { env: LL_TEST_BSKY_PASSWORD } }
  spike: { min_weeks: 3, alpha: 0.001, cooldown: 3h }
)";

TEST_F(ListenConfigTest, GoodConfig) {
  auto c = Load(kGood);
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_TRUE(c->configured);
  ASSERT_EQ(c->queries.size(), 4u);
  EXPECT_EQ(c->queries[0].id, "brand:acme:mentions");
  EXPECT_THAT(c->queries[0].terms, ElementsAre("@acme", "acme support"));
  EXPECT_EQ(c->queries[1].id, "brand:acme:hashtags");
  EXPECT_EQ(c->queries[2].id, "chatter:instagram");
  EXPECT_EQ(c->queries[2].platform, "instagram");
  EXPECT_THAT(c->queries[2].terms,
              ElementsAre("instagram down", "#instagramdown", "is instagram down"))
      << "the defaults";
  EXPECT_THAT(c->queries[3].terms, ElementsAre("whatsapp not working"));
  ASSERT_EQ(c->sources.size(), 3u);
  EXPECT_EQ(c->sources[0].kind, SourceKind::kX);
  EXPECT_EQ(c->sources[0].token, "x-secret-token");
  EXPECT_EQ(c->sources[0].base_url, "https://api.x.com");
  EXPECT_EQ(c->sources[0].interval, 15min) << "inside the Basic tier's 60 per 15 minutes";
  EXPECT_EQ(c->sources[1].kind, SourceKind::kMastodon);
  EXPECT_EQ(c->sources[1].base_url, "https://mastodon.social") << "trailing slash dropped";
  EXPECT_EQ(c->sources[1].interval, 1min);
  EXPECT_EQ(c->sources[2].password, "bsky-app-password");
  EXPECT_EQ(c->spike.min_weeks, 3);
  EXPECT_DOUBLE_EQ(c->spike.alpha, 0.001);
  EXPECT_EQ(c->spike.cooldown, 180min);
}

TEST_F(ListenConfigTest, NoSectionIsNotConfigured) {
  auto c = Load("resolvers: []\n");
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_FALSE(c->configured);
}

TEST_F(ListenConfigTest, MistakesNameFileLineAndKey) {
  EXPECT_THAT(ErrorOf("listen:\n  chatter:\n    instagran:\n  sources:\n    rss: { feeds: "
                      "[\"https://a.example/f\"] }\n"),
              HasSubstr("lifeline.yaml:3: listen.chatter.instagran: unknown platform "
                        "'instagran' (did you mean 'instagram'?)"));
  EXPECT_THAT(ErrorOf("listen:\n  chatter: { instagram: }\n  sources:\n    x: {}\n"),
              HasSubstr("lifeline.yaml:4: listen.sources.x: token: required"));
  EXPECT_THAT(ErrorOf("listen:\n  chatter: { instagram: }\n  sources:\n    x: { token: "
                      "{ env: LL_TEST_UNSET_VAR } }\n"),
              HasSubstr("LL_TEST_UNSET_VAR"));
  EXPECT_THAT(ErrorOf("listen:\n  chatter: { instagram: }\n  sources:\n    x: { token: plain }\n"),
              HasSubstr("listen.sources.x.token"))
      << "a secret must come from env or file";
  EXPECT_THAT(
      ErrorOf("listen:\n  brands:\n    acme: { hashtags: [acme] }\n  sources:\n    rss: "
              "{ feeds: [\"https://a.example/f\"] }\n"),
      HasSubstr("lifeline.yaml:3: listen.brands.acme.hashtags[0]: 'acme' is not a hashtag"));
  EXPECT_THAT(ErrorOf("listen:\n  chatter: { instagram: }\n  sources:\n    feeds: { kind: rs }\n"),
              HasSubstr("lifeline.yaml:4: listen.sources.feeds.kind: unknown kind 'rs' (did you "
                        "mean 'rss'?)"));
  EXPECT_THAT(ErrorOf("listen:\n  chatter: { instagram: }\n  sources:\n    youtube: { api_key: "
                      "{ env: LL_TEST_X_TOKEN } }\n"),
              HasSubstr("video_ids: or channel_ids: required"));
  EXPECT_THAT(ErrorOf("listen:\n  chatter: { instagram: }\n  sources:\n    mastodon: { api_key: "
                      "{ env: LL_TEST_X_TOKEN } }\n"),
              HasSubstr("listen.sources.mastodon.api_key: not used by a mastodon source"));
  EXPECT_THAT(ErrorOf("listen:\n  chatter: { instagram: }\n  sources:\n    rss: { feeds: "
                      "[\"https://a.example/f\"] }\n  spike: { alpha: 2 }\n"),
              HasSubstr("lifeline.yaml:5: listen.spike.alpha: alpha must be greater than 0"));
  EXPECT_THAT(ErrorOf("listen:\n  sources:\n    rss: { feeds: [\"https://a.example/f\"] }\n"),
              HasSubstr("nothing to listen for"));
  EXPECT_THAT(ErrorOf("listen:\n  chatter: { instagram: }\n"), HasSubstr("sources: required"));
  EXPECT_THAT(ErrorOf("listen:\n  chatter: { instagram: }\n  sources:\n    rss: { feeds: "
                      "[\"https://a.example/f\"], interval: 0s }\n"),
              HasSubstr("lifeline.yaml:4: listen.sources.rss.interval:"));
}

TEST_F(ListenConfigTest, SecretsNeverAppearInErrors) {
  std::string e = ErrorOf(
      "listen:\n  chatter: { instagram: }\n  sources:\n    x: { token: { env: LL_TEST_X_TOKEN }, "
      "feeds: [\"https://a.example/f\"] }\n");
  EXPECT_THAT(e, HasSubstr("not used by a x source"));
  EXPECT_THAT(e, ::testing::Not(HasSubstr("x-secret-token")));
}

TEST(QueryTest, MatchesWholeWordsAndWholeTags) {
  Query q;
  q.terms = {"instagram down", "#instagramdown", "@acme"};
  EXPECT_TRUE(q.Matches("Is Instagram DOWN for anyone?"));
  EXPECT_TRUE(q.Matches("again #InstagramDown"));
  EXPECT_TRUE(q.Matches("hey @acme, help"));
  EXPECT_FALSE(q.Matches("instagram downloads are slow"));
  EXPECT_FALSE(q.Matches("#instagramdownload"));
  EXPECT_FALSE(q.Matches("@acmecorp is fine"));
  EXPECT_FALSE(q.Matches("my instagram is up"));
}

TEST(QueryTest, DefaultChatterTerms) {
  EXPECT_THAT(DefaultChatterTerms("whatsapp", "WhatsApp"),
              ElementsAre("whatsapp down", "#whatsappdown", "is whatsapp down"));
  EXPECT_THAT(DefaultChatterTerms("x", "X (Twitter)"),
              ElementsAre("x (twitter) down", "#xtwitterdown", "is x (twitter) down", "#xdown"));
}

}  // namespace
}  // namespace lifeline::listen
