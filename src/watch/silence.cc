// Maintenance windows and silences: validation and "does one apply now, and until when".
#include "watch/silence.h"

#include <algorithm>

#include <fmt/core.h>

namespace lifeline::watch {
namespace {

core::Error Invalid(const Silence& s, std::string message) {
  return core::MakeError(core::ErrorCode::kInvalidArgument, "silence '{}': {}", s.name, message);
}

}  // namespace

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
  if (w.zone != "UTC" && w.zone != "Etc/UTC") {
    return Invalid(*this,
                   fmt::format("weekly.zone: only UTC is supported for now, got '{}'", w.zone));
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
