// The three ad platform clients (src/ads/{meta,google,tiktok}) against tests/fakes/ads_apis.py,
// which follows each API's documented requests, answers and errors: listing with status, budget
// and issues; pausing and resuming (TikTok's 20-id batches, Google's partial failures); budgets in
// minor units, micros and decimals; hourly insights; rate limits, permission errors, unknown ids,
// and the lag before a status change shows.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "ads/account.h"
#include "ads/ad_platform.h"
#include "channels/http.h"
#include "integration/ads_fake.h"

namespace lifeline {
namespace {

using nlohmann::json;
using testing::AdsFake;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

struct Case {
  const char* kind;
  const char* account;  // as configured
  const char* fake_id;  // as the fake keys it
  const char* c1;       // campaign ids
  const char* c2;
  const char* unknown;
};

const Case kCases[] = {
    {"meta", "act_1001", "1001", "23850000000000001", "23850000000000002", "23859999999999999"},
    {"google", "123-456-7890", "1234567890", "2001", "2002", "2999"},
    {"tiktok", "7000000000000000001", "7000000000000000001", "1790000000000001", "1790000000000002",
     "1799999999999999"},
};

class AdsClients : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    std::string error;
    ASSERT_TRUE(fake_.Start(&error)) << error;
    const Case& c = GetParam();
    ASSERT_TRUE(fake_.Control(
        {{"platform", c.kind},
         {"account", c.fake_id},
         {"currency", "USD"},
         {"campaigns",
          {{{"id", c.c1}, {"name", "Black Friday"}, {"status", "active"}, {"budget", "50.25"}},
           {{"id", c.c2},
            {"name", "Evergreen"},
            {"status", "paused"},
            {"budget", "80"},
            {"budget_kind", "lifetime"}}}}}));
    http_ = channels::MakeCurlHttpClient();
    auto made = ads::MakeAdPlatform(fake_.Account(c.kind, "acct", c.account), *http_);
    ASSERT_TRUE(made.ok()) << made.error().message();
    client_ = std::move(*made);
  }

  const ads::Campaign* Find(const std::vector<ads::Campaign>& list, const std::string& id) {
    for (const auto& c : list) {
      if (c.id == id) return &c;
    }
    return nullptr;
  }

  AdsFake fake_;
  std::unique_ptr<channels::HttpClient> http_;
  std::unique_ptr<ads::AdPlatform> client_;
};

TEST_P(AdsClients, ListsCampaignsWithStatusAndBudget) {
  const Case& c = GetParam();
  auto out = client_->ListCampaigns();
  ASSERT_TRUE(out.ok()) << out.failure.message;
  ASSERT_EQ(out.value->size(), 2u);
  const ads::Campaign* a = Find(*out.value, c.c1);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->name, "Black Friday");
  EXPECT_EQ(a->status, ads::CampaignStatus::kActive);
  ASSERT_TRUE(a->budget.has_value());
  EXPECT_EQ(a->budget->micros, 50250000) << "50.25 USD in every unit";
  EXPECT_EQ(a->budget_kind, ads::BudgetKind::kDaily);
  const ads::Campaign* b = Find(*out.value, c.c2);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->status, ads::CampaignStatus::kPaused);
  EXPECT_EQ(b->budget_kind, ads::BudgetKind::kLifetime);
  // Every call is recorded, and never with a credential.
  ASSERT_FALSE(out.calls.empty());
  for (const auto& call : out.calls) {
    EXPECT_EQ(call.status, 200);
    EXPECT_THAT(call.path, ::testing::Not(HasSubstr("lifeline-ads-token")));
    EXPECT_THAT(call.path, ::testing::Not(HasSubstr("access_token")));
  }
}

TEST_P(AdsClients, PausesAndResumesWithTheLagBeforeItShows) {
  const Case& c = GetParam();
  ASSERT_TRUE(fake_.Control({{"lag", 1.5}}));
  auto paused = client_->SetStatus({c.c1}, false);
  ASSERT_TRUE(paused.ok()) << paused.failure.message;
  ASSERT_EQ(paused.value->size(), 1u);
  EXPECT_EQ((*paused.value)[0].failure.kind, ads::FailureKind::kNone);
  EXPECT_EQ(fake_.StatusOf(c.kind, c.c1), "paused");
  // The switch is off at once; what it serves shows the change only after the lag.
  auto now = client_->GetCampaigns({c.c1});
  ASSERT_TRUE(now.ok());
  ASSERT_EQ(now.value->size(), 1u);
  EXPECT_EQ((*now.value)[0].status, ads::CampaignStatus::kPaused);
  const std::string lagging = (*now.value)[0].effective_status;
  EXPECT_THAT(lagging,
              ::testing::AnyOf(HasSubstr("ACTIVE"), HasSubstr("SERVING"), HasSubstr("ENABLE")));
  auto deadline = std::chrono::steady_clock::now() + 10s;
  std::string shown = lagging;
  while (shown == lagging && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(200ms);
    auto again = client_->GetCampaigns({c.c1});
    ASSERT_TRUE(again.ok());
    shown = (*again.value)[0].effective_status;
  }
  EXPECT_NE(shown, lagging) << "the effective status never followed";
  auto resumed = client_->SetStatus({c.c1}, true);
  ASSERT_TRUE(resumed.ok());
  EXPECT_EQ(fake_.StatusOf(c.kind, c.c1), "active");
  EXPECT_EQ(fake_.Count("pause", c.c1), 1);
  EXPECT_EQ(fake_.Count("resume", c.c1), 1);
}

TEST_P(AdsClients, UnknownCampaignIsNotFoundAndTheOthersStillChange) {
  const Case& c = GetParam();
  auto got = client_->GetCampaigns({c.c1, c.unknown});
  ASSERT_TRUE(got.ok()) << got.failure.message;
  ASSERT_EQ(got.value->size(), 1u);
  EXPECT_EQ((*got.value)[0].id, c.c1);
  if (client_->max_batch() == 1) {
    // Meta: one request per campaign.
    auto out = client_->SetStatus({c.unknown}, false);
    ASSERT_TRUE(out.ok());
    EXPECT_EQ((*out.value)[0].failure.kind, ads::FailureKind::kNotFound);
  } else {
    auto out = client_->SetStatus({c.c1, c.unknown}, false);
    ASSERT_TRUE(out.ok()) << out.failure.message;
    ASSERT_EQ(out.value->size(), 2u);
    EXPECT_EQ((*out.value)[0].failure.kind, ads::FailureKind::kNone);
    EXPECT_EQ((*out.value)[1].failure.kind, ads::FailureKind::kNotFound)
        << (*out.value)[1].failure.message;
    EXPECT_EQ(fake_.StatusOf(c.kind, c.c1), "paused");
  }
}

TEST_P(AdsClients, ReadOnlyAccountIsAPermissionError) {
  const Case& c = GetParam();
  ASSERT_TRUE(fake_.Control({{"platform", c.kind}, {"account", c.fake_id}, {"read_only", true}}));
  auto out = client_->SetStatus({c.c1}, false);
  ads::FailureKind kind = out.ok() ? (*out.value)[0].failure.kind : out.failure.kind;
  EXPECT_EQ(kind, ads::FailureKind::kPermission);
  EXPECT_EQ(fake_.StatusOf(c.kind, c.c1), "active");
}

TEST_P(AdsClients, RateLimitSaysWhenToComeBack) {
  const Case& c = GetParam();
  ASSERT_TRUE(fake_.Control(
      {{"platform", c.kind}, {"account", c.fake_id}, {"rate", {{"calls", 2}, {"window", 3}}}}));
  ads::Failure seen;
  for (int i = 0; i < 4 && seen.kind == ads::FailureKind::kNone; ++i) {
    auto out = client_->ListCampaigns();
    seen = out.failure;
  }
  EXPECT_EQ(seen.kind, ads::FailureKind::kRateLimited) << seen.message;
  ASSERT_TRUE(seen.retry_after.has_value());
  EXPECT_GT(seen.retry_after->count(), 0);
  EXPECT_FALSE(seen.code.empty());
}

TEST_P(AdsClients, BudgetsConvertExactly) {
  const Case& c = GetParam();
  auto out = client_->SetBudget(c.c1, ads::Money{"USD", 61990000});  // 61.99
  ASSERT_TRUE(out.ok()) << out.failure.message;
  auto now = client_->GetCampaigns({c.c1});
  ASSERT_TRUE(now.ok());
  ASSERT_TRUE((*now.value)[0].budget.has_value());
  EXPECT_EQ((*now.value)[0].budget->micros, 61990000);
  // Under the platform's minimum: refused, with the platform's words.
  auto low = client_->SetBudget(c.c1, ads::Money{"USD", 10000});  // 0.01
  EXPECT_EQ(low.failure.kind, ads::FailureKind::kInvalid) << low.failure.message;
}

TEST_P(AdsClients, HourlyInsights) {
  const Case& c = GetParam();
  auto out = client_->HourlyInsights(c.c1, "2026-11-27", "2026-11-27");
  ASSERT_TRUE(out.ok()) << out.failure.message;
  ASSERT_EQ(out.value->size(), 24u);
  const auto& h = (*out.value)[10];
  EXPECT_EQ(h.hour, "2026-11-27T10:00");
  EXPECT_GT(h.impressions, 0);
  // The fake's CPM is 4.00: spend = impressions * 4 / 1000, exactly.
  EXPECT_EQ(h.spend.micros, h.impressions * 4000);
}

INSTANTIATE_TEST_SUITE_P(Platforms, AdsClients, ::testing::ValuesIn(kCases),
                         [](const auto& info) { return std::string(info.param.kind); });

}  // namespace
}  // namespace lifeline
