// Maintenance windows and silences: validation and "does one apply now, and until when".
#include "watch/silence.h"

#include <algorithm>
#include <exception>

#include <date/tz.h>
#include <fmt/core.h>

namespace lifeline::watch {
namespace {

core::Error Invalid(const Silence& s, std::string message) {
  return core::MakeError(core::ErrorCode::kInvalidArgument, "silence '{}': {}", s.name, message);
}

bool IsUtc(std::string_view zone) { return zone == "UTC" || zone == "Etc/UTC"; }

// The zone, or null when the name is unknown or the database cannot be read (date/tz.h throws;
// no exception leaves this file).
const date::time_zone* FindZone(std::string_view zone) {
  try {
    return date::locate_zone(zone);
  } catch (const std::exception&) {
    return nullptr;
  }
}

// Occurrences that started in the last 7 days (in `zone`'s wall-clock days) and cover `at`: the
// end of the one ending last.
std::optional<TimePoint> ZonedActiveUntil(const WeeklyRecurrence& w, const date::time_zone& tz,
                                          TimePoint at) {
  using std::chrono::days;
  const auto local_today = std::chrono::floor<days>(tz.to_local(at));
  std::optional<TimePoint> until;
  for (int back = 0; back <= 7; ++back) {
    const auto day = local_today - days(back);
    const std::chrono::weekday wd(std::chrono::sys_days(day.time_since_epoch()));
    if (std::find(w.days.begin(), w.days.end(), wd) == w.days.end()) continue;
    // Gap: the end of the gap; overlap: the earlier of the two.
    const TimePoint from = tz.to_sys(day + w.start, date::choose::earliest);
    const TimePoint to = from + w.duration;
    if (from <= at && at < to && (!until || to > *until)) until = to;
  }
  return until;
}

}  // namespace

core::Status CheckTimeZone(std::string_view zone) {
  if (IsUtc(zone)) return core::Ok();
  try {
    (void)date::get_tzdb();
  } catch (const std::exception& e) {
    return core::MakeError(core::ErrorCode::kFailedPrecondition,
                           "cannot read the time zone database (install tzdata): {}", e.what());
  }
  if (FindZone(zone) == nullptr) {
    return core::MakeError(core::ErrorCode::kInvalidArgument,
                           "unknown time zone '{}' (an IANA name such as Europe/Berlin, "
                           "America/New_York or UTC)",
                           zone);
  }
  return core::Ok();
}

std::vector<std::string> TimeZoneNames() {
  std::vector<std::string> names;
  try {
    const auto& db = date::get_tzdb();
    // On the system's database (USE_OS_TZDB) links such as US/Eastern are zones of their own.
    for (const auto& z : db.zones) names.push_back(std::string(z.name()));
  } catch (const std::exception&) {
    names.clear();
  }
  return names;
}

std::string_view SilenceKindName(SilenceKind kind) {
  return kind == SilenceKind::kMaintenance ? "maintenance window" : "silence";
}

core::Status Silence::Validate() const {
  using std::chrono::minutes;
  if (name.empty()) {
    return core::MakeError(core::ErrorCode::kInvalidArgument, "silence name must not be empty");
  }
  if (platforms.empty() && domains.empty()) {
    return Invalid(*this, "platforms or domains must name at least one platform or domain");
  }
  const bool one_off = start.has_value() || end.has_value();
  if (one_off == weekly.has_value()) {
    return Invalid(*this, "set either start and end (one-off) or weekly (recurring), not both");
  }
  if (one_off) {
    if (!start || !end) return Invalid(*this, "a one-off window needs both start and end");
    if (*end <= *start) {
      return Invalid(*this, fmt::format("end ({}) must be after start ({})", core::FormatTime(*end),
                                        core::FormatTime(*start)));
    }
    return core::Ok();
  }
  const WeeklyRecurrence& w = *weekly;
  if (w.days.empty()) return Invalid(*this, "weekly.days must list at least one day");
  for (const auto& d : w.days) {
    if (!d.ok()) return Invalid(*this, "weekly.days holds an invalid day of the week");
  }
  if (w.start < minutes(0) || w.start >= std::chrono::hours(24)) {
    return Invalid(*this, fmt::format("weekly.start must be between 00:00 and 23:59, got {} min",
                                      w.start.count()));
  }
  if (w.duration <= minutes(0) || w.duration > std::chrono::days(7)) {
    return Invalid(*this,
                   fmt::format("weekly.duration must be between 1 min and 10080 min (7 days), "
                               "got {} min",
                               w.duration.count()));
  }
  if (auto z = CheckTimeZone(w.zone); !z.ok()) {
    return Invalid(*this, "weekly.zone: " + z.error().message());
  }
  return core::Ok();
}

bool Silence::Covers(std::string_view platform, std::string_view domain) const {
  if (std::find(platforms.begin(), platforms.end(), platform) != platforms.end()) return true;
  return !domain.empty() && std::find(domains.begin(), domains.end(), domain) != domains.end();
}

std::optional<TimePoint> Silence::ActiveUntil(TimePoint at) const {
  if (!weekly) {
    if (start && end && *start <= at && at < *end) return *end;
    return std::nullopt;
  }
  if (!IsUtc(weekly->zone)) {
    const date::time_zone* tz = FindZone(weekly->zone);
    if (tz == nullptr) return std::nullopt;  // Validate() refuses such a window
    return ZonedActiveUntil(*weekly, *tz, at);
  }
  using std::chrono::days;
  const auto today = std::chrono::floor<days>(at);
  std::optional<TimePoint> until;
  // An occurrence lasts at most 7 days, so only those starting in the last 7 days can cover `at`.
  for (int back = 0; back <= 7; ++back) {
    const auto day = today - days(back);
    const std::chrono::weekday wd(day);
    if (std::find(weekly->days.begin(), weekly->days.end(), wd) == weekly->days.end()) continue;
    const TimePoint from = day + weekly->start;
    const TimePoint to = from + weekly->duration;
    if (from <= at && at < to && (!until || to > *until)) until = to;
  }
  return until;
}

std::optional<ActiveSilence> FindSilence(const std::vector<Silence>& silences,
                                         std::string_view platform, std::string_view domain,
                                         TimePoint at) {
  std::optional<ActiveSilence> best;
  for (const Silence& s : silences) {
    if (!s.Covers(platform, domain)) continue;
    auto until = s.ActiveUntil(at);
    if (until && (!best || *until > best->until)) best = ActiveSilence{&s, *until};
  }
  return best;
}

std::string SuppressedMessage(const ActiveSilence& active) {
  return fmt::format("suppressed: {} '{}' until {}", SilenceKindName(active.silence->kind),
                     active.silence->name, core::FormatTime(active.until));
}

}  // namespace lifeline::watch
