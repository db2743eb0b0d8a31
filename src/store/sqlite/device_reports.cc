// The SQLite measured-report store (store/device_reports.h): all of its SQL. The crowd counts that
// include measured reports (CountReports, HourlyReportCounts) are in sqlite_store.cc.
#include "store/sqlite/device_reports.h"

#include <string>

#include "store/common.h"
#include "store/device_reports_common.h"

namespace lifeline::store::sqlite {
namespace {

using core::ErrorCode;
using core::MakeError;
using core::Result;
using core::Status;
using Sync = Connections::Sync;

class SqliteDeviceReports final : public DeviceReportStore {
 public:
  explicit SqliteDeviceReports(Connections* conns) : conns_(conns) {}

  Status Add(const MeasuredReport& r, int max_per_address) override {
    if (auto v = internal::ValidateMeasuredReport(r); !v) return v;
    return conns_->Write(Sync::kNormal, "storing a measured report", [&](Db& db) -> Status {
      const Time hour = HourOf(r.at);
      auto dup = db.Prepare(
          "SELECT count(*) FROM device_reports WHERE platform = ?1 AND device_key = ?2 AND "
          "hour = ?3");
      if (!dup) return dup.error();
      dup->Text(1, r.platform).Text(2, r.device_key).Time(3, hour);
      if (auto row = dup->Step(); !row) return row.error();
      const bool sent = dup->ColInt(0) > 0;
      if (auto s = dup->Run(); !s) return s;
      if (sent) {
        return MakeError(ErrorCode::kAlreadyExists,
                         "this device already sent a measured report for {} in this hour",
                         r.platform);
      }
      auto per = db.Prepare(
          "SELECT count(*) FROM device_reports WHERE address_key = ?1 AND platform = ?2 AND "
          "hour = ?3");
      if (!per) return per.error();
      per->Text(1, r.address_key).Text(2, r.platform).Time(3, hour);
      if (auto row = per->Step(); !row) return row.error();
      const std::int64_t from_address = per->ColInt(0);
      if (auto s = per->Run(); !s) return s;
      if (from_address >= max_per_address) {
        return MakeError(ErrorCode::kResourceExhausted,
                         "{} measured reports for {} came from this address in this hour; at "
                         "most {} count",
                         from_address, r.platform, max_per_address);
      }
      auto ins = db.Prepare(
          "INSERT INTO device_reports (platform, device_key, address_key, at, hour, reached, "
          "controls_ok, controls_total, best_ms, connection, effective_type) "
          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
          "ON CONFLICT (platform, device_key, hour) DO NOTHING");
      if (!ins) return ins.error();
      ins->Text(1, r.platform)
          .Text(2, r.device_key)
          .Text(3, r.address_key)
          .Time(4, r.at)
          .Time(5, hour)
          .Int(6, r.reached ? 1 : 0)
          .Int(7, r.controls_ok)
          .Int(8, r.controls_total)
          .OptReal(9, r.best_ms)
          .Text(10, r.connection)
          .Text(11, r.effective_type);
      if (auto s = ins->Run(); !s) return s;
      if (db.Changes() == 0) {
        return MakeError(ErrorCode::kAlreadyExists,
                         "this device already sent a measured report for {} in this hour",
                         r.platform);
      }
      return core::Ok();
    });
  }

  Result<std::vector<MeasuredCount>> Count(std::string_view platform, TimeRange range) override {
    if (auto v = internal::ValidateRange(range); !v) return v.error();
    return conns_->Read("counting measured reports",
                        [&](Db& db) -> Result<std::vector<MeasuredCount>> {
                          auto sel = db.Prepare(
                              "SELECT platform, reached, connection, count(*) FROM device_reports "
                              "WHERE (?1 = '' OR platform = ?1) AND at >= ?2 AND at < ?3 "
                              "GROUP BY platform, reached, connection "
                              "ORDER BY platform, reached, connection");
                          if (!sel) return sel.error();
                          sel->Text(1, platform).Time(2, range.begin).Time(3, range.end);
                          std::vector<MeasuredCount> out;
                          while (true) {
                            auto row = sel->Step();
                            if (!row) return row.error();
                            if (!*row) break;
                            std::string id = sel->ColText(0);
                            if (out.empty() || out.back().platform != id) {
                              out.push_back(MeasuredCount{std::move(id), 0, 0, {}});
                            }
                            MeasuredCount& c = out.back();
                            const std::int64_t n = sel->ColInt(3);
                            if (sel->ColInt(1) != 0) {
                              c.reachable += n;
                            } else {
                              c.unreachable += n;
                              c.unreachable_by_connection.emplace_back(sel->ColText(2), n);
                            }
                          }
                          return out;
                        });
  }

 private:
  Connections* conns_;
};

}  // namespace

std::unique_ptr<DeviceReportStore> NewSqliteDeviceReports(Connections* conns) {
  return std::make_unique<SqliteDeviceReports>(conns);
}

}  // namespace lifeline::store::sqlite
