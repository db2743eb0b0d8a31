// Maintenance windows and silences: time ranges (one-off, or weekly) during which a platform's or
// a failure domain's transitions are recorded but open no incident. Pure logic, apart from weekly
// windows in a named time zone, which read the system's zone database (/usr/share/zoneinfo).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "watch/state_machine.h"

namespace lifeline::watch {

enum class SilenceKind {
  kMaintenance,  // announced work on the platform: "maintenance window"
  kSilence,      // an operator chose not to be told: "silence"
};
std::string_view SilenceKindName(SilenceKind kind);  // "maintenance window", "silence"

// Every week on `days`, from `start` (time of day) for `duration`; a window may run past
// midnight or into the next listed day. `days` and `start` are wall-clock time in `zone`, an IANA
// name (GCC 12 has no std::chrono::tzdb: Howard Hinnant's date/tz.h reads the system's zone
// database), so "Mon 02:00 Europe/Berlin" is 01:00Z in winter and 00:00Z in summer.
// `duration` is elapsed time. A start that falls in a daylight-saving gap (02:30 on the night
// clocks go forward) begins at the end of the gap; a start that happens twice (the night clocks go
// back) begins at the first.
struct WeeklyRecurrence {
  std::vector<std::chrono::weekday> days;
  std::chrono::minutes start{0};     // since local midnight, [00:00, 24:00)
  std::chrono::minutes duration{0};  // (0, 7 days]
  std::string zone = "UTC";          // IANA name: "UTC", "Europe/Berlin", "America/New_York"
};

// Whether `zone` names a time zone of the system's database; the error says what was wrong
// ("unknown time zone 'Europe/Berln'", or that the database cannot be read).
[[nodiscard]] core::Status CheckTimeZone(std::string_view zone);
// Every zone and link name the database knows (empty when it cannot be read); for suggestions.
std::vector<std::string> TimeZoneNames();

struct Silence {
  std::string name;  // shown to people: "Meta weekly maintenance"
  SilenceKind kind = SilenceKind::kMaintenance;
  // Scope: applies to a platform listed here or to any platform of a listed failure domain.
  std::vector<std::string> platforms;
  std::vector<std::string> domains;
  // Exactly one of: a one-off window [start, end) ...
  std::optional<TimePoint> start;
  std::optional<TimePoint> end;
  // ... or a weekly one.
  std::optional<WeeklyRecurrence> weekly;

  // Errors name the silence and the field: "silence 'x': end must be after start".
  [[nodiscard]] core::Status Validate() const;
  bool Covers(std::string_view platform, std::string_view domain) const;
  // The end of the occurrence that covers `at`, or nullopt when none does. Of overlapping weekly
  // occurrences, the one ending last.
  std::optional<TimePoint> ActiveUntil(TimePoint at) const;
};

struct ActiveSilence {
  const Silence* silence = nullptr;  // points into the vector searched
  TimePoint until;
};

// The silence that keeps `platform` quiet at `at` the longest, if any applies.
std::optional<ActiveSilence> FindSilence(const std::vector<Silence>& silences,
                                         std::string_view platform, std::string_view domain,
                                         TimePoint at);

// "suppressed: maintenance window 'Meta weekly' until 2026-11-27T03:00:00Z"
std::string SuppressedMessage(const ActiveSilence& active);

}  // namespace lifeline::watch
