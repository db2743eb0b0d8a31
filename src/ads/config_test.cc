// The `ads:` section: what a good config gives, and each mistake named by file, line and key.
#include "ads/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

namespace lifeline::ads {
namespace {

using ::testing::HasSubstr;

core::Result<AdsConfig> Load(const std::string& yaml) {
  auto c = config::LoadString(yaml, "lifeline.yaml");
  if (!c.ok()) return c.error();
  return LoadAdsConfig(*c);
}

std::string ErrorOf(const std::string& yaml) {
  auto r = Load(yaml);
  return r.ok() ? "(no error)" : r.error().message();
}

class AdsConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("LL_TEST_META", "meta-secret-token", 1);
    setenv("LL_TEST_GOOGLE", "google-secret-token", 1);
    setenv("LL_TEST_DEV", "dev-secret-token", 1);
  }
};

constexpr const char* kGood = R"(ads:
  accounts:
    brand-meta:
      type: meta
      account: act_1234567890
      currency: USD
      token: { env: LL_TEST_META }
    brand-google:
      type: google
      account: 123-456-7890
      currency: EUR
      token: { env: LL_TEST_GOOGLE }
      developer_token: { env: LL_TEST_DEV }
      delivers_on: [youtube]
      time_zone: Europe/Lisbon
  policies:
    meta:
      domains: [meta]
      verdicts: [outage, degraded]
      min_duration: 3m
      settle: 20m
      stagger: 30s
    google:
      platforms: [youtube]
      action: none
      resume: manual
      accounts: [brand-google]
)";

TEST_F(AdsConfigTest, AGoodConfig) {
  auto c = Load(kGood);
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_TRUE(c->configured);
  EXPECT_FALSE(c->dry_run);
  ASSERT_EQ(c->accounts.size(), 2u);
  EXPECT_EQ(c->accounts[0].kind, "meta");
  EXPECT_EQ(c->accounts[0].access_token, "meta-secret-token");
  EXPECT_THAT(c->accounts[0].platforms, ::testing::ElementsAre("facebook", "instagram"));
  EXPECT_EQ(c->accounts[1].developer_token, "dev-secret-token");
  EXPECT_EQ(c->accounts[1].time_zone, "Europe/Lisbon");
  ASSERT_EQ(c->policies.size(), 2u);
  EXPECT_EQ(c->policies[0].min_duration, std::chrono::minutes(3));
  EXPECT_EQ(c->policies[0].verdicts.size(), 2u);
  EXPECT_EQ(c->policies[0].stagger, std::chrono::seconds(30));
  EXPECT_EQ(c->policies[1].action, Action::kNone);
  EXPECT_EQ(c->policies[1].resume, Resume::kManual);
  // A domain policy answers any of the domain's platforms; verdicts it does not list, never.
  EXPECT_TRUE(PolicyMatches(c->policies[0], {"whatsapp"}, "meta", core::Verdict::kOutage));
  EXPECT_TRUE(PolicyMatches(c->policies[0], {"instagram"}, "meta", core::Verdict::kDegraded));
  EXPECT_FALSE(
      PolicyMatches(c->policies[0], {"instagram"}, "meta", core::Verdict::kRegionalOutage));
  EXPECT_FALSE(PolicyMatches(c->policies[1], {"tiktok"}, "bytedance", core::Verdict::kOutage));
}

TEST_F(AdsConfigTest, NoSectionIsEmpty) {
  auto c = Load("timeout: 2s\n");
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->configured);
}

TEST_F(AdsConfigTest, MistakesNameFileLineAndKey) {
  EXPECT_THAT(ErrorOf("ads:\n  acounts: {}\n"),
              HasSubstr("lifeline.yaml:2: ads.acounts: unknown key 'acounts'"));
  EXPECT_THAT(ErrorOf("ads:\n  accounts:\n    a: { type: bing, account: '1', currency: USD, "
                      "token: { env: LL_TEST_META } }\n"),
              HasSubstr("lifeline.yaml:3: ads.accounts.a.type: unknown ad platform 'bing'"));
  EXPECT_THAT(ErrorOf("ads:\n  accounts:\n    a:\n      type: meta\n      account: 1234\n"
                      "      currency: usd\n      token: { env: LL_TEST_META }\n"),
              HasSubstr("lifeline.yaml:6: ads.accounts.a.currency: 'usd' is not an ISO 4217"));
  EXPECT_THAT(ErrorOf("ads:\n  accounts:\n    a:\n      type: google\n      account: 12345\n"
                      "      currency: USD\n      token: { env: LL_TEST_GOOGLE }\n"
                      "      developer_token: { env: LL_TEST_DEV }\n"),
              HasSubstr("lifeline.yaml:5: ads.accounts.a.account: '12345' is not a google account "
                        "id"));
  EXPECT_THAT(ErrorOf("ads:\n  accounts:\n    a:\n      type: google\n      account: 1234567890\n"
                      "      currency: USD\n      token: { env: LL_TEST_GOOGLE }\n"),
              HasSubstr("developer_token: required for Google Ads"));
  EXPECT_THAT(ErrorOf("ads:\n  accounts:\n    a:\n      type: meta\n      account: act_1\n"
                      "      currency: USD\n      token: { env: LL_TEST_NOT_SET_ANYWHERE }\n"),
              HasSubstr("LL_TEST_NOT_SET_ANYWHERE"));
  EXPECT_THAT(ErrorOf("ads:\n  accounts:\n    a:\n      type: meta\n      account: act_1\n"
                      "      currency: USD\n      token: { env: LL_TEST_META }\n"
                      "      delivers_on: [instagarm]\n"),
              HasSubstr("lifeline.yaml:8: ads.accounts.a.delivers_on[0]: unknown platform "
                        "'instagarm' (did you mean 'instagram'?)"));
  EXPECT_THAT(ErrorOf("ads:\n  accounts:\n    a:\n      type: meta\n      account: act_1\n"
                      "      currency: USD\n      token: { env: LL_TEST_META }\n"
                      "      time_zone: Europe/Lisbn\n"),
              HasSubstr("lifeline.yaml:8: ads.accounts.a.time_zone: unknown time zone "
                        "'Europe/Lisbn'"));
  EXPECT_THAT(ErrorOf("ads:\n  policies:\n    p: { platforms: [tiktok], verdicts: [just_you] }\n"),
              HasSubstr("'just_you' never opens an incident"));
  EXPECT_THAT(ErrorOf("ads:\n  policies:\n    p: { domains: [metta] }\n"),
              HasSubstr("unknown failure domain 'metta' (did you mean 'meta'?)"));
  EXPECT_THAT(ErrorOf("ads:\n  policies:\n    p: { min_duration: 1m }\n"),
              HasSubstr("lifeline.yaml:3: ads.policies.p: give platforms: or domains:"));
  EXPECT_THAT(ErrorOf("ads:\n  policies:\n    p: { platforms: [tiktok], action: stop }\n"),
              HasSubstr("unknown action 'stop'"));
  EXPECT_THAT(ErrorOf("ads:\n  policies:\n    p: { platforms: [tiktok], action: ask }\n"),
              HasSubstr("action: ask needs the contingency plan"));
  EXPECT_THAT(ErrorOf("ads:\n  policies:\n    p: { platforms: [tiktok], accounts: [nope] }\n"),
              HasSubstr("unknown ad account 'nope'"));
}

constexpr const char* kTwoUsdAccounts = R"(ads:
  accounts:
    brand-meta: { type: meta, account: act_1, currency: USD, token: { env: LL_TEST_META } }
    brand-google:
      type: google
      account: 123-456-7890
      currency: USD
      token: { env: LL_TEST_GOOGLE }
      developer_token: { env: LL_TEST_DEV }
  transfers:
)";

TEST_F(AdsConfigTest, TransfersMoveUrgentBudgetsWithinOneCurrency) {
  auto c = Load(std::string(kTwoUsdAccounts) +
                "    keep-sale:\n      from: brand-meta\n      campaigns: ['120', '121']\n"
                "      to: brand-google\n      campaign: '2222'\n      share: 50%\n"
                "      max_budget: 400\n      min_budget: 10.50\n      approval: none\n");
  ASSERT_TRUE(c.ok()) << c.error().message();
  ASSERT_EQ(c->transfers.size(), 1u);
  const Transfer& t = c->transfers[0];
  EXPECT_EQ(t.from, "brand-meta");
  EXPECT_THAT(t.campaigns, ::testing::ElementsAre("120", "121"));
  EXPECT_EQ(t.campaign, "2222");
  EXPECT_EQ(t.share_percent, 50);
  EXPECT_EQ(t.max_budget->micros, 400'000'000);
  EXPECT_EQ(t.min_budget->micros, 10'500'000);
  EXPECT_FALSE(t.needs_approval);
  EXPECT_EQ(c->FindTransfer("keep-sale"), &c->transfers[0]);

  // Default: a person approves it, and the whole budget moves.
  auto d = Load(std::string(kTwoUsdAccounts) +
                "    t: { from: brand-meta, campaigns: ['1'], to: brand-google, campaign: '2' }\n");
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_TRUE(d->transfers[0].needs_approval);
  EXPECT_EQ(d->transfers[0].share_percent, 100);
}

TEST_F(AdsConfigTest, TransferMistakesNameFileLineAndKey) {
  const std::string base = kTwoUsdAccounts;
  EXPECT_THAT(ErrorOf(base + "    t: { from: brand-meta, campaigns: ['1'], to: brand-gogle, "
                             "campaign: '2' }\n"),
              HasSubstr("lifeline.yaml:11: ads.transfers.t.to: unknown ad account 'brand-gogle' "
                        "(did you mean 'brand-google'?)"));
  EXPECT_THAT(ErrorOf(base + "    t: { from: brand-meta, campaigns: ['1'], to: brand-google }\n"),
              HasSubstr("lifeline.yaml:11: ads.transfers.t: campaign: required"));
  EXPECT_THAT(ErrorOf(base + "    t: { from: brand-meta, campaigns: ['1'], to: brand-meta, "
                             "campaign: '2' }\n"),
              HasSubstr("not within brand-meta"));
  EXPECT_THAT(ErrorOf(base + "    t: { from: brand-meta, campaigns: ['1'], to: brand-google, "
                             "campaign: '2', share: 150% }\n"),
              HasSubstr("ads.transfers.t.share: expected a whole percentage from 1% to 100%"));
  EXPECT_THAT(ErrorOf(base + "    t: { from: brand-meta, campaigns: ['1'], to: brand-google, "
                             "campaign: '2', max_budget: lots }\n"),
              HasSubstr("'lots' is not an amount of USD above zero"));
  EXPECT_THAT(ErrorOf(base + "    t: { from: brand-meta, campaigns: ['1'], to: brand-google, "
                             "campaign: '2', approval: maybe }\n"),
              HasSubstr("unknown approval 'maybe'"));
  EXPECT_THAT(
      ErrorOf(base +
              "    a: { from: brand-meta, campaigns: ['1'], to: brand-google, campaign: '2' }\n"
              "    b: { from: brand-meta, campaigns: ['1'], to: brand-google, campaign: '3' }\n"),
      HasSubstr("campaign 1 of brand-meta is already urgent in transfer a (line 11)"));
  // Two currencies: no silent conversion at some rate.
  std::string eur = base;
  eur.replace(eur.find("currency: USD\n      token: { env: LL_TEST_GOOGLE"), 13, "currency: EUR");
  EXPECT_THAT(ErrorOf(eur + "    t: { from: brand-meta, campaigns: ['1'], to: brand-google, "
                            "campaign: '2' }\n"),
              HasSubstr("brand-meta pays in USD and brand-google in EUR"));
}

TEST_F(AdsConfigTest, SecretsNeverInMessages) {
  // A wrong key beside a token: the message names the key, never the token's value.
  const std::string e = ErrorOf(
      "ads:\n  accounts:\n    a:\n      type: meta\n      account: act_1\n      currency: USD\n"
      "      token: { env: LL_TEST_META }\n      developer_token: { env: LL_TEST_DEV }\n");
  EXPECT_THAT(e, HasSubstr("Google Ads keys"));
  EXPECT_THAT(e, ::testing::Not(HasSubstr("secret-token")));
}

}  // namespace
}  // namespace lifeline::ads
