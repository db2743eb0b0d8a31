// Behaviour every Store's ads slice must have for campaign changes and platform calls (ads.h's
// contract), as part of the StoreConformance suite: a campaign's prior state recorded once per
// incident however many callers race, updates by id, listings and the call log.
#include <gmock/gmock.h>

#include <atomic>
#include <thread>

#include "store/store_conformance_test.h"

namespace lifeline::store {
namespace {

using std::chrono::minutes;
using ::testing::ElementsAre;

const Time kT0 = FromMillis(1'795'773'600'000);  // 2026-11-27T10:00:00Z

template <typename T>
T Must(core::Result<T> r) {
  if (!r.ok()) {
    ADD_FAILURE() << r.error().ToString();
    std::abort();
  }
  return std::move(r).value();
}

AdChange MakeChange(std::string incident, std::string campaign) {
  AdChange c;
  c.incident_id = std::move(incident);
  c.account = "brand-meta";
  c.platform = "meta";
  c.campaign_id = std::move(campaign);
  c.campaign_name = "Black Friday";
  c.policy = "pause-urgent";
  c.by = "lifeline";
  c.prior_status = "ACTIVE";
  c.prior_effective = "ACTIVE";
  c.prior_budget_micros = 50'000'000;
  c.prior_budget_kind = "daily";
  c.currency = "EUR";
  c.prior_updated = "2026-11-27T09:00:00+0000";
  c.note = "pausing";
  c.created_at = c.updated_at = kT0;
  return c;
}

std::vector<std::string> Campaigns(const std::vector<AdChange>& changes) {
  std::vector<std::string> out;
  for (const auto& c : changes) out.push_back(c.campaign_id);
  return out;
}

TEST_P(StoreConformance, AdChangesRecordThePriorStateOncePerIncident) {
  AdsStore& ads = store_->Ads();
  auto first = Must(ads.Record(MakeChange("inc_1", "120")));
  EXPECT_TRUE(first.second);
  EXPECT_GT(first.first.id, 0);
  AdChange again = MakeChange("inc_1", "120");
  again.prior_status = "PAUSED";  // a restart that read the campaign after pausing it
  auto second = Must(ads.Record(again));
  EXPECT_FALSE(second.second);
  EXPECT_EQ(second.first.id, first.first.id);
  EXPECT_EQ(second.first.prior_status, "ACTIVE") << "the first prior state is kept";
  // Another incident or another campaign: a change of its own.
  EXPECT_TRUE(Must(ads.Record(MakeChange("inc_2", "120"))).second);
  AdChange by_hand = MakeChange("", "121");
  by_hand.prior_budget_micros.reset();
  EXPECT_TRUE(Must(ads.Record(by_hand)).second);
  EXPECT_FALSE(Must(ads.Get("", "brand-meta", "121")).prior_budget_micros.has_value());
  EXPECT_EQ(ads.Get("inc_9", "brand-meta", "120").error().code(), core::ErrorCode::kNotFound);
  AdChange bad = MakeChange("inc_1", "");
  EXPECT_EQ(ads.Record(bad).error().code(), core::ErrorCode::kInvalidArgument);
}

TEST_P(StoreConformance, AdChangesConcurrentRecordsStoreOne) {
  AdsStore& ads = store_->Ads();
  std::atomic<int> inserted{0};
  std::vector<std::int64_t> ids(8);
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      auto r = ads.Record(MakeChange("inc_1", "120"));
      ASSERT_TRUE(r.ok()) << r.error().ToString();
      if (r->second) ++inserted;
      ids[static_cast<std::size_t>(i)] = r->first.id;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(inserted.load(), 1);
  for (std::int64_t id : ids) EXPECT_EQ(id, ids[0]);
  EXPECT_EQ(Must(ads.List({})).size(), 1u);
}

TEST_P(StoreConformance, AdChangesUpdateByIdAndSurviveARestart) {
  AdChange c = Must(store_->Ads().Record(MakeChange("inc_1", "120"))).first;
  c.state = AdChangeState::kPaused;
  c.marker = "2026-11-27T10:01:00+0000";
  c.note = "paused by Lifeline";
  c.paused_at = kT0 + minutes(1);
  c.resume_due = kT0 + minutes(90);
  c.updated_at = kT0 + minutes(1);
  c.prior_budget_micros.reset();
  AdChange updated = Must(store_->Ads().Update(c));
  EXPECT_EQ(updated.state, AdChangeState::kPaused);
  Reopen();
  AdChange got = Must(store_->Ads().Get("inc_1", "brand-meta", "120"));
  EXPECT_EQ(got.id, c.id);
  EXPECT_EQ(got.state, AdChangeState::kPaused);
  EXPECT_EQ(got.marker, "2026-11-27T10:01:00+0000");
  EXPECT_EQ(got.paused_at, kT0 + minutes(1));
  EXPECT_EQ(got.resume_due, kT0 + minutes(90));
  EXPECT_FALSE(got.resumed_at.has_value());
  EXPECT_FALSE(got.prior_budget_micros.has_value());
  EXPECT_EQ(got.created_at, kT0);
  EXPECT_EQ(got.updated_at, kT0 + minutes(1));

  AdChange unknown = got;
  unknown.id = 999;
  EXPECT_EQ(store_->Ads().Update(unknown).error().code(), core::ErrorCode::kNotFound);
}

TEST_P(StoreConformance, AdChangesListTheNewestMatchesOldestFirst) {
  AdsStore& ads = store_->Ads();
  for (const char* campaign : {"1", "2", "3", "4"}) {
    Must(ads.Record(MakeChange("inc_1", campaign)));
  }
  Must(ads.Record(MakeChange("inc_2", "5")));
  AdChange done = Must(ads.Get("inc_1", "brand-meta", "2"));
  done.state = AdChangeState::kResumed;
  Must(ads.Update(done));
  AdChange other = MakeChange("inc_1", "6");
  other.account = "brand-google";
  other.platform = "google";
  Must(ads.Record(other));

  EXPECT_THAT(Campaigns(Must(ads.List({}))), ElementsAre("1", "2", "3", "4", "5", "6"));
  EXPECT_THAT(Campaigns(Must(ads.List({.limit = 2}))), ElementsAre("5", "6"));
  EXPECT_THAT(Campaigns(Must(ads.List({.incident_id = "inc_1"}))),
              ElementsAre("1", "2", "3", "4", "6"));
  EXPECT_THAT(Campaigns(Must(ads.List({.account = "brand-google"}))), ElementsAre("6"));
  EXPECT_THAT(Campaigns(Must(ads.List({.state = AdChangeState::kResumed}))), ElementsAre("2"));
  EXPECT_THAT(Campaigns(Must(ads.List({.incident_id = "inc_1", .open_only = true}))),
              ElementsAre("1", "3", "4", "6"));
}

TEST_P(StoreConformance, AdCallsAreListedPerIncidentInOrderAfterAnId) {
  AdsStore& ads = store_->Ads();
  std::vector<AdCallRecord> calls;
  for (int i = 0; i < 5; ++i) {
    AdCallRecord c;
    c.incident_id = i == 2 ? "" : "inc_1";
    c.account = "brand-meta";
    c.op = i == 0 ? "list" : "pause";
    c.method = "POST";
    c.path = "/v19.0/12" + std::to_string(i);
    c.request = R"({"status":"PAUSED"})";
    c.status = 200;
    c.answer = R"({"success":true})";
    c.usage = "12%";
    c.took_ms = 40 + i;
    c.at = kT0 + minutes(i);
    calls.push_back(std::move(c));
  }
  calls[4].failure = "rate_limited";
  calls[4].status = 429;
  ASSERT_TRUE(ads.AddCalls(calls).ok());
  ASSERT_TRUE(ads.AddCalls({}).ok());

  auto inc = Must(ads.ListCalls("inc_1", 0, 0));
  ASSERT_EQ(inc.size(), 4u);
  EXPECT_EQ(inc[0].op, "list");
  EXPECT_EQ(inc[0].path, "/v19.0/120");
  EXPECT_EQ(inc[3].path, "/v19.0/124");
  EXPECT_EQ(inc[3].status, 429);
  EXPECT_EQ(inc[3].failure, "rate_limited");
  EXPECT_EQ(inc[3].took_ms, 44);
  EXPECT_EQ(inc[3].at, kT0 + minutes(4));
  EXPECT_EQ(inc[1].request, R"({"status":"PAUSED"})");
  for (std::size_t i = 1; i < inc.size(); ++i) EXPECT_GT(inc[i].id, inc[i - 1].id);

  auto after = Must(ads.ListCalls("inc_1", inc[1].id, 1));
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].id, inc[2].id);
  auto outside = Must(ads.ListCalls("", 0, 10));
  ASSERT_EQ(outside.size(), 1u);
  EXPECT_EQ(outside[0].path, "/v19.0/122");
}

}  // namespace
}  // namespace lifeline::store
