// The PostgreSQL measured-report store (store/device_reports.h): all of its SQL. Reports are
// written with Sync::kNormal, as typed crowd reports are: a server crash may lose the last
// fraction of a second of them, never corrupts.
#include "store/pg/device_reports.h"

#include <fmt/format.h>

#include <string>
#include <utility>
#include <vector>

#include "store/common.h"
#include "store/device_reports_common.h"

namespace lifeline::store::pg {
namespace {

using core::ErrorCode;
using core::MakeError;
using core::Result;
using core::Status;
using Sync = Pool::Sync;

core::Error AlreadySent(std::string_view platform) {
  return MakeError(ErrorCode::kAlreadyExists,
                   "this device already sent a measured report for {} in this hour", platform);
}

class PgDeviceReports final : public DeviceReportStore {
 public:
  explicit PgDeviceReports(Pool* pool) : pool_(pool) {}

  Status Add(const MeasuredReport& r, int max_per_address) override {
    LL_TRY(internal::ValidateMeasuredReport(r));
    const std::int64_t hour = ToMillis(HourOf(r.at));
    // The lock's key: what the cap counts. Held until the transaction ends, so a concurrent report
    // from the same address waits here and then counts this one.
    const std::string cap_key =
        fmt::format("device_reports|{}|{}|{}", r.address_key, hour, r.platform);
    return pool_->Write(Sync::kNormal, "storing a measured report", [&](Conn& c) -> Status {
      LL_ASSIGN(Rows lock, c.Exec("SELECT pg_advisory_xact_lock(hashtextextended($1::text, 0))",
                                  Params().Text(cap_key), "storing a measured report"));
      (void)lock;
      LL_ASSIGN(Rows seen,
                c.Exec("SELECT (SELECT count(*) FROM device_reports WHERE platform = $1::text "
                       "AND device_key = $2::text AND hour = $4::bigint), (SELECT count(*) FROM "
                       "device_reports WHERE address_key = $3::text AND platform = $1::text AND "
                       "hour = $4::bigint)",
                       Params().Text(r.platform).Text(r.device_key).Text(r.address_key).Int(hour),
                       "storing a measured report"));
      if (seen[0].ColInt(0) > 0) return AlreadySent(r.platform);
      const std::int64_t from_address = seen[0].ColInt(1);
      if (from_address >= max_per_address) {
        return MakeError(ErrorCode::kResourceExhausted,
                         "{} measured reports for {} came from this address in this hour; at "
                         "most {} count",
                         from_address, r.platform, max_per_address);
      }
      // The same device from another address at the same moment holds another lock: the unique
      // constraint decides between them.
      LL_ASSIGN(Rows ins,
                c.Exec("INSERT INTO device_reports (platform, device_key, address_key, at, hour, "
                       "reached, controls_ok, controls_total, best_ms, connection, "
                       "effective_type) VALUES ($1::text, $2::text, $3::text, $4::bigint, "
                       "$5::bigint, $6::boolean, $7::integer, $8::integer, $9::double precision, "
                       "$10::text, $11::text) ON CONFLICT (platform, device_key, hour) DO NOTHING",
                       Params()
                           .Text(r.platform)
                           .Text(r.device_key)
                           .Text(r.address_key)
                           .Time(r.at)
                           .Int(hour)
                           .Bool(r.reached)
                           .Int(r.controls_ok)
                           .Int(r.controls_total)
                           .OptReal(r.best_ms)
                           .Text(r.connection)
                           .Text(r.effective_type),
                       "storing a measured report"));
      if (ins.affected() == 0) return AlreadySent(r.platform);
      return core::Ok();
    });
  }

  Result<std::vector<MeasuredCount>> Count(std::string_view platform, TimeRange range) override {
    LL_TRY(internal::ValidateRange(range));
    return pool_->Read(
        "counting measured reports", [&](Conn& c) -> Result<std::vector<MeasuredCount>> {
          LL_ASSIGN(Rows rows,
                    c.Exec("SELECT platform, reached, connection, count(*) FROM device_reports "
                           "WHERE ($1::text = '' OR platform = $1::text) AND at >= $2::bigint "
                           "AND at < $3::bigint GROUP BY platform, reached, connection "
                           "ORDER BY platform COLLATE \"C\", reached, connection COLLATE \"C\"",
                           Params().Text(platform).Time(range.begin).Time(range.end),
                           "counting measured reports"));
          std::vector<MeasuredCount> out;
          for (int i = 0; i < rows.size(); ++i) {
            Row row = rows[i];
            std::string id = row.ColText(0);
            if (out.empty() || out.back().platform != id) {
              out.push_back(MeasuredCount{std::move(id), 0, 0, {}});
            }
            MeasuredCount& m = out.back();
            const std::int64_t n = row.ColInt(3);
            if (row.ColBool(1)) {
              m.reachable += n;
            } else {
              m.unreachable += n;
              m.unreachable_by_connection.emplace_back(row.ColText(2), n);
            }
          }
          return out;
        });
  }

 private:
  Pool* pool_;  // owned by the PgStore; its own mutex guards the idle sessions
};

}  // namespace

std::unique_ptr<DeviceReportStore> NewPgDeviceReports(Pool* pool) {
  return std::make_unique<PgDeviceReports>(pool);
}

}  // namespace lifeline::store::pg
