// Measured crowd reports (issue 13), reached through Store::DeviceReports(): the result of the
// dashboard's device check ("Is it my phone?") that a person's browser sent for one platform —
// whether the device reached the platform's small public files while reaching independent sites.
// Kept apart from typed reports; the ones that could not reach the platform also count towards
// the crowd spike (Store::CountReports and HourlyReportCounts include them).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "store/records.h"

namespace lifeline::store {

struct MeasuredReport {
  std::string platform;
  // Store::ClientKey() of the page's device id and of the sender's address: never the id or the
  // address themselves (64 hex characters each).
  std::string device_key;
  std::string address_key;
  Time at;
  bool reached = false;  // the device reached at least one of the platform's device probes
  int controls_ok = 0;   // control sites the device reached, of controls_total
  int controls_total = 0;
  std::optional<double> best_ms;  // the fastest completed probe of the platform; unset if none
  std::string connection;         // navigator.connection.type ("wifi", "cellular", ...) or ""
  std::string effective_type;     // navigator.connection.effectiveType ("4g", ...) or ""
};

// One platform's measured reports over a range.
struct MeasuredCount {
  std::string platform;
  std::int64_t unreachable = 0;  // could not reach it (these count towards the crowd spike)
  std::int64_t reachable = 0;
  // The unreachable ones by connection type ("" when the browser did not tell), by type.
  std::vector<std::pair<std::string, std::int64_t>> unreachable_by_connection;
};

// Same contract as Store (store.h): thread-safe, atomic writes, errors only for the store failing
// or bad input (kInvalidArgument naming the field).
class DeviceReportStore {
 public:
  virtual ~DeviceReportStore() = default;

  // Stores the report unless this device already sent one for this platform in the same UTC clock
  // hour (kAlreadyExists; a unique constraint, so it holds under concurrency), or its address
  // already sent `max_per_address` for this platform in that hour (kResourceExhausted). Either
  // way nothing is stored.
  [[nodiscard]] virtual core::Status Add(const MeasuredReport& report, int max_per_address) = 0;
  // Counts per platform over `range`, by platform id; platforms without reports are absent. An
  // empty `platform` means every platform.
  [[nodiscard]] virtual core::Result<std::vector<MeasuredCount>> Count(std::string_view platform,
                                                                       TimeRange range) = 0;
};

}  // namespace lifeline::store
