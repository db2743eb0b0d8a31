// Measured crowd reports in SQLite (store/device_reports.h): once per device per platform per
// hour, a cap per address, counts by outcome and connection, and the failing ones counted in the
// crowd counts beside typed reports.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/temp_dir.h"
#include "store/store.h"

namespace lifeline::store {
namespace {

using namespace std::chrono_literals;

// 2026-11-27T10:00:00Z
const Time kT0 = FromMillis(1795773600000);

class DeviceReportsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = OpenSqlite(dir_.path() + "/lifeline.db");
    ASSERT_TRUE(s.ok()) << s.error().ToString();
    store_ = std::move(*s);
  }

  std::string Key(std::string_view what) {
    auto k = store_->ClientKey(what, kT0);
    EXPECT_TRUE(k.ok());
    return k.ok() ? *k : std::string();
  }

  MeasuredReport Report(std::string_view device, bool reached, Time at = kT0,
                        std::string_view address = "198.51.100.7") {
    MeasuredReport r;
    r.platform = "whatsapp";
    r.device_key = Key(std::string("device:") + std::string(device));
    r.address_key = Key(address);
    r.at = at;
    r.reached = reached;
    r.controls_ok = 3;
    r.controls_total = 3;
    if (reached) r.best_ms = 42;
    r.connection = "wifi";
    r.effective_type = "4g";
    return r;
  }

  std::int64_t Crowd(TimeRange range) {
    auto n = store_->CountReports("whatsapp", range);
    EXPECT_TRUE(n.ok()) << n.error().ToString();
    return n.ok() ? *n : -1;
  }

  lifeline::testing::TempDir dir_{"device-reports"};
  std::unique_ptr<Store> store_;
};

TEST_F(DeviceReportsTest, OncePerDevicePerPlatformPerClockHour) {
  auto& d = store_->DeviceReports();
  ASSERT_TRUE(d.Add(Report("phone-a", false), 20).ok());
  auto again = d.Add(Report("phone-a", true, kT0 + 30min), 20);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code(), core::ErrorCode::kAlreadyExists);
  EXPECT_THAT(again.error().message(), ::testing::HasSubstr("already sent"));
  // Another platform, another device, or the next clock hour: accepted.
  MeasuredReport other = Report("phone-a", false);
  other.platform = "telegram";
  EXPECT_TRUE(d.Add(other, 20).ok());
  EXPECT_TRUE(d.Add(Report("phone-b", true), 20).ok());
  EXPECT_TRUE(d.Add(Report("phone-a", true, kT0 + 60min), 20).ok());

  auto counts = d.Count("whatsapp", {kT0, kT0 + 2h});
  ASSERT_TRUE(counts.ok());
  ASSERT_EQ(counts->size(), 1u);
  EXPECT_EQ((*counts)[0].unreachable, 1);
  EXPECT_EQ((*counts)[0].reachable, 2) << "the refused second report stored nothing";
}

TEST_F(DeviceReportsTest, OneAddressCannotSendMoreThanTheCap) {
  auto& d = store_->DeviceReports();
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(d.Add(Report("dev-" + std::to_string(i), false), 3).ok());
  }
  auto over = d.Add(Report("dev-forged", false), 3);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().code(), core::ErrorCode::kResourceExhausted);
  EXPECT_TRUE(d.Add(Report("dev-elsewhere", false, kT0, "203.0.113.5"), 3).ok());
  EXPECT_EQ(Crowd({kT0, kT0 + 1h}), 4);
}

TEST_F(DeviceReportsTest, OnlyUnreachableOnesCountInTheCrowdBesideTypedOnes) {
  auto& d = store_->DeviceReports();
  ASSERT_TRUE(store_->AddReport({"whatsapp", "messages", Key("203.0.113.1"), kT0}).ok());
  ASSERT_TRUE(d.Add(Report("a", false, kT0 + 1min), 20).ok());
  MeasuredReport cell = Report("b", false, kT0 + 2min);
  cell.connection = "cellular";
  ASSERT_TRUE(d.Add(cell, 20).ok());
  ASSERT_TRUE(d.Add(Report("c", true, kT0 + 3min), 20).ok());
  EXPECT_EQ(Crowd({kT0, kT0 + 1h}), 3) << "1 typed + 2 that could not reach it";

  auto hours = store_->HourlyReportCounts("", {kT0 - 1h, kT0 + 1h});
  ASSERT_TRUE(hours.ok());
  ASSERT_EQ(hours->size(), 1u);
  EXPECT_EQ((*hours)[0].count, 3);

  auto counts = d.Count("", {kT0, kT0 + 1h});
  ASSERT_TRUE(counts.ok());
  ASSERT_EQ(counts->size(), 1u);
  const MeasuredCount& c = (*counts)[0];
  EXPECT_EQ(c.unreachable, 2);
  EXPECT_EQ(c.reachable, 1);
  using P = std::pair<std::string, std::int64_t>;
  EXPECT_EQ(c.unreachable_by_connection, (std::vector<P>{{"cellular", 1}, {"wifi", 1}}));
}

TEST_F(DeviceReportsTest, RefusesWhatWouldStoreAnIdOrAnAddress) {
  auto& d = store_->DeviceReports();
  MeasuredReport raw = Report("a", false);
  raw.device_key = "my-phone";
  EXPECT_EQ(d.Add(raw, 20).error().code(), core::ErrorCode::kInvalidArgument);
  MeasuredReport controls = Report("a", false);
  controls.controls_ok = 4;
  EXPECT_EQ(d.Add(controls, 20).error().code(), core::ErrorCode::kInvalidArgument);
  MeasuredReport conn = Report("a", false);
  conn.connection = "Wi Fi";
  EXPECT_EQ(d.Add(conn, 20).error().code(), core::ErrorCode::kInvalidArgument);
  auto counts = d.Count("", {kT0 - 1h, kT0 + 1h});
  ASSERT_TRUE(counts.ok());
  EXPECT_TRUE(counts->empty());
}

TEST_F(DeviceReportsTest, PrunedWithTypedReports) {
  ASSERT_TRUE(store_->DeviceReports().Add(Report("old", false), 20).ok());
  auto pruned = store_->Prune(kT0 + std::chrono::hours(24 * 91));
  ASSERT_TRUE(pruned.ok()) << pruned.error().ToString();
  EXPECT_EQ(pruned->reports, 1);
  auto counts = store_->DeviceReports().Count("", {kT0 - 1h, kT0 + 1h});
  ASSERT_TRUE(counts.ok());
  EXPECT_TRUE(counts->empty());
}

}  // namespace
}  // namespace lifeline::store
