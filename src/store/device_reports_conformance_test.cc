// Behaviour every Store's measured-report slice must have (device_reports.h's contract), as part
// of the StoreConformance suite: once per device per platform per hour, a cap per address that
// holds under concurrency, counts by outcome and connection, and the failing ones counted in the
// crowd counts beside typed reports.
#include <gmock/gmock.h>

#include <atomic>
#include <thread>

#include "store/store_conformance_test.h"

namespace lifeline::store {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

const Time kT0 = FromMillis(1'795'773'600'000);  // 2026-11-27T10:00:00Z

std::string Key(Store& store, std::string_view what) {
  auto k = store.ClientKey(what, kT0);
  EXPECT_TRUE(k.ok());
  return k.ok() ? *k : std::string();
}

MeasuredReport Report(Store& store, std::string_view device, bool reached, Time at = kT0,
                      std::string_view address = "198.51.100.7") {
  MeasuredReport r;
  r.platform = "whatsapp";
  r.device_key = Key(store, std::string("device:") + std::string(device));
  r.address_key = Key(store, address);
  r.at = at;
  r.reached = reached;
  r.controls_ok = 3;
  r.controls_total = 3;
  if (reached) r.best_ms = 42;
  r.connection = "wifi";
  r.effective_type = "4g";
  return r;
}

std::int64_t Crowd(Store& store, TimeRange range) {
  auto n = store.CountReports("whatsapp", range);
  EXPECT_TRUE(n.ok()) << n.error().ToString();
  return n.ok() ? *n : -1;
}

TEST_P(StoreConformance, DeviceReportsOncePerDevicePerPlatformPerClockHour) {
  auto& d = store_->DeviceReports();
  ASSERT_TRUE(d.Add(Report(*store_, "phone-a", false), 20).ok());
  auto again = d.Add(Report(*store_, "phone-a", true, kT0 + minutes(30)), 20);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code(), core::ErrorCode::kAlreadyExists);
  EXPECT_THAT(again.error().message(), ::testing::HasSubstr("already sent"));
  // Another platform, another device, or the next clock hour: accepted.
  MeasuredReport other = Report(*store_, "phone-a", false);
  other.platform = "telegram";
  EXPECT_TRUE(d.Add(other, 20).ok());
  EXPECT_TRUE(d.Add(Report(*store_, "phone-b", true), 20).ok());
  EXPECT_TRUE(d.Add(Report(*store_, "phone-a", true, kT0 + minutes(60)), 20).ok());

  auto counts = d.Count("whatsapp", {kT0, kT0 + hours(2)});
  ASSERT_TRUE(counts.ok());
  ASSERT_EQ(counts->size(), 1u);
  EXPECT_EQ((*counts)[0].unreachable, 1);
  EXPECT_EQ((*counts)[0].reachable, 2) << "the refused second report stored nothing";
}

TEST_P(StoreConformance, DeviceReportsOneAddressCannotSendMoreThanTheCap) {
  auto& d = store_->DeviceReports();
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(d.Add(Report(*store_, "dev-" + std::to_string(i), false), 3).ok());
  }
  auto over = d.Add(Report(*store_, "dev-forged", false), 3);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().code(), core::ErrorCode::kResourceExhausted);
  EXPECT_TRUE(d.Add(Report(*store_, "dev-elsewhere", false, kT0, "203.0.113.5"), 3).ok());
  EXPECT_EQ(Crowd(*store_, {kT0, kT0 + hours(1)}), 4);
}

TEST_P(StoreConformance, DeviceReportsCapHoldsForConcurrentReportsFromOneAddress) {
  auto& d = store_->DeviceReports();
  // Each hour, sixteen devices behind one address report at once, twice each: three count, once
  // each. Several rounds, so the later ones race on sessions that are already open.
  constexpr int kRounds = 5;
  for (int round = 0; round < kRounds; ++round) {
    const Time at = kT0 + hours(round);
    std::vector<MeasuredReport> reports;
    for (int i = 0; i < 16; ++i) {
      reports.push_back(Report(*store_, "dev-" + std::to_string(i), false, at));
    }
    std::atomic<bool> go{false};
    std::atomic<int> stored{0}, capped{0}, duplicate{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 32; ++i) {
      threads.emplace_back([&, i] {
        while (!go.load()) std::this_thread::yield();
        auto s = d.Add(reports[static_cast<std::size_t>(i % 16)], 3);
        if (s.ok()) {
          ++stored;
        } else if (s.error().code() == core::ErrorCode::kResourceExhausted) {
          ++capped;
        } else if (s.error().code() == core::ErrorCode::kAlreadyExists) {
          ++duplicate;
        } else {
          ADD_FAILURE() << s.error().ToString();
        }
      });
    }
    go = true;
    for (auto& t : threads) t.join();
    EXPECT_EQ(stored.load(), 3) << "round " << round;
    EXPECT_EQ(stored + capped + duplicate, 32) << "round " << round;
    EXPECT_EQ(Crowd(*store_, {at, at + hours(1)}), 3) << "round " << round;
  }
}

TEST_P(StoreConformance, DeviceReportsOnlyUnreachableOnesCountInTheCrowdBesideTypedOnes) {
  auto& d = store_->DeviceReports();
  ASSERT_TRUE(store_->AddReport({"whatsapp", "messages", Key(*store_, "203.0.113.1"), kT0}).ok());
  ASSERT_TRUE(d.Add(Report(*store_, "a", false, kT0 + minutes(1)), 20).ok());
  MeasuredReport cell = Report(*store_, "b", false, kT0 + minutes(2));
  cell.connection = "cellular";
  ASSERT_TRUE(d.Add(cell, 20).ok());
  ASSERT_TRUE(d.Add(Report(*store_, "c", true, kT0 + minutes(3)), 20).ok());
  EXPECT_EQ(Crowd(*store_, {kT0, kT0 + hours(1)}), 3) << "1 typed + 2 that could not reach it";

  auto hourly = store_->HourlyReportCounts("", {kT0 - hours(1), kT0 + hours(1)});
  ASSERT_TRUE(hourly.ok());
  ASSERT_EQ(hourly->size(), 1u);
  EXPECT_EQ((*hourly)[0].count, 3);

  auto counts = d.Count("", {kT0, kT0 + hours(1)});
  ASSERT_TRUE(counts.ok());
  ASSERT_EQ(counts->size(), 1u);
  const MeasuredCount& c = (*counts)[0];
  EXPECT_EQ(c.unreachable, 2);
  EXPECT_EQ(c.reachable, 1);
  using P = std::pair<std::string, std::int64_t>;
  EXPECT_EQ(c.unreachable_by_connection, (std::vector<P>{{"cellular", 1}, {"wifi", 1}}));
}

TEST_P(StoreConformance, DeviceReportsCountsComePerPlatformInByteOrder) {
  auto& d = store_->DeviceReports();
  MeasuredReport t = Report(*store_, "a", false);
  t.platform = "telegram";
  ASSERT_TRUE(d.Add(t, 20).ok());
  MeasuredReport f = Report(*store_, "a", true);
  f.platform = "Zalo";  // byte order: upper case first, whatever the database's collation
  ASSERT_TRUE(d.Add(f, 20).ok());
  ASSERT_TRUE(d.Add(Report(*store_, "a", false), 20).ok());
  auto counts = d.Count("", {kT0, kT0 + hours(1)});
  ASSERT_TRUE(counts.ok());
  ASSERT_EQ(counts->size(), 3u);
  EXPECT_EQ((*counts)[0].platform, "Zalo");
  EXPECT_EQ((*counts)[0].reachable, 1);
  EXPECT_EQ((*counts)[1].platform, "telegram");
  EXPECT_EQ((*counts)[2].platform, "whatsapp");
  auto one = d.Count("telegram", {kT0, kT0 + hours(1)});
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0].unreachable, 1);
}

TEST_P(StoreConformance, DeviceReportsRefuseWhatWouldStoreAnIdOrAnAddress) {
  auto& d = store_->DeviceReports();
  MeasuredReport raw = Report(*store_, "a", false);
  raw.device_key = "my-phone";
  EXPECT_EQ(d.Add(raw, 20).error().code(), core::ErrorCode::kInvalidArgument);
  MeasuredReport controls = Report(*store_, "a", false);
  controls.controls_ok = 4;
  EXPECT_EQ(d.Add(controls, 20).error().code(), core::ErrorCode::kInvalidArgument);
  MeasuredReport conn = Report(*store_, "a", false);
  conn.connection = "Wi Fi";
  EXPECT_EQ(d.Add(conn, 20).error().code(), core::ErrorCode::kInvalidArgument);
  auto counts = d.Count("", {kT0 - hours(1), kT0 + hours(1)});
  ASSERT_TRUE(counts.ok());
  EXPECT_TRUE(counts->empty());
}

TEST_P(StoreConformance, DeviceReportsArePrunedWithTypedReports) {
  ASSERT_TRUE(store_->DeviceReports().Add(Report(*store_, "old", false), 20).ok());
  auto pruned = store_->Prune(kT0 + hours(24 * 91));
  ASSERT_TRUE(pruned.ok()) << pruned.error().ToString();
  EXPECT_EQ(pruned->reports, 1);
  auto counts = store_->DeviceReports().Count("", {kT0 - hours(1), kT0 + hours(1)});
  ASSERT_TRUE(counts.ok());
  EXPECT_TRUE(counts->empty());
}

TEST_P(StoreConformance, DeviceReportsSurviveAReopen) {
  ASSERT_TRUE(store_->DeviceReports().Add(Report(*store_, "a", false), 20).ok());
  Reopen();
  auto again = store_->DeviceReports().Add(Report(*store_, "a", true, kT0 + minutes(5)), 20);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code(), core::ErrorCode::kAlreadyExists);
  auto counts = store_->DeviceReports().Count("whatsapp", {kT0, kT0 + hours(1)});
  ASSERT_TRUE(counts.ok());
  ASSERT_EQ(counts->size(), 1u);
  EXPECT_EQ((*counts)[0].unreachable, 1);
}

}  // namespace
}  // namespace lifeline::store
