// Behaviour every Store's ads slice must have for budget transfers (ads.h's contract), as part of
// the StoreConformance suite: each dialect that instantiates the suite runs these too.
#include <gmock/gmock.h>

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

AdTransfer MakeTransfer(std::string incident, std::string name) {
  AdTransfer t;
  t.incident_id = std::move(incident);
  t.name = std::move(name);
  t.from_account = "brand-meta";
  t.campaigns = {"120", "121"};
  t.to_account = "brand-google";
  t.to_campaign = "2001";
  t.currency = "USD";
  t.amount_micros = 80'000'000;
  t.by = "lifeline";
  t.note = "waits for approval";
  t.created_at = t.updated_at = kT0;
  return t;
}

TEST_P(StoreConformance, AdTransfersAreRecordedOncePerIncidentAndSurviveARestart) {
  auto first = Must(store_->Ads().RecordTransfer(MakeTransfer("inc_1", "keep-sale")));
  EXPECT_TRUE(first.second);
  EXPECT_GT(first.first.id, 0);
  // The same (incident, name) again stores nothing: a restart re-proposing it changes nothing.
  AdTransfer again = MakeTransfer("inc_1", "keep-sale");
  again.amount_micros = 1;
  auto second = Must(store_->Ads().RecordTransfer(again));
  EXPECT_FALSE(second.second);
  EXPECT_EQ(second.first.id, first.first.id);
  EXPECT_EQ(second.first.amount_micros, 80'000'000);

  AdTransfer moved = first.first;
  moved.state = AdTransferState::kMoved;
  moved.decided_by = "ana";
  moved.prior_budget_micros = 100'000'000;
  moved.set_budget_micros = 180'000'000;
  moved.moved_at = kT0 + minutes(5);
  moved.updated_at = kT0 + minutes(5);
  Must(store_->Ads().UpdateTransfer(moved));
  Reopen();
  AdTransfer got = Must(store_->Ads().GetTransfer(first.first.id));
  EXPECT_EQ(got.state, AdTransferState::kMoved);
  EXPECT_THAT(got.campaigns, ElementsAre("120", "121"));
  EXPECT_EQ(got.prior_budget_micros, 100'000'000);
  EXPECT_EQ(got.set_budget_micros, 180'000'000);
  EXPECT_FALSE(got.returned_budget_micros.has_value());
  EXPECT_EQ(got.moved_at, kT0 + minutes(5));
  EXPECT_EQ(got.decided_by, "ana");
  EXPECT_EQ(got.created_at, kT0);

  // Newest first; open = proposed, approved or moved.
  AdTransfer done = Must(store_->Ads().RecordTransfer(MakeTransfer("inc_2", "keep-sale"))).first;
  done.state = AdTransferState::kReturned;
  Must(store_->Ads().UpdateTransfer(done));
  auto all = Must(store_->Ads().ListTransfers({}));
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].incident_id, "inc_2");
  auto open = Must(store_->Ads().ListTransfers({.open_only = true}));
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].incident_id, "inc_1");
  EXPECT_EQ(Must(store_->Ads().ListTransfers({.incident_id = "inc_2"})).size(), 1u);

  AdTransfer unknown = got;
  unknown.id = 999;
  auto missing = store_->Ads().UpdateTransfer(unknown);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), core::ErrorCode::kNotFound);
  auto bad = store_->Ads().RecordTransfer(MakeTransfer("", "keep-sale"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code(), core::ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace lifeline::store
