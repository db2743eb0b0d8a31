// The scheduler's due-time arithmetic: batching, groups spread over the interval, jitter drawn per
// batch, interval and group, lateness.
#include "serve/scheduler.h"

#include <algorithm>
#include <utility>

namespace lifeline::serve {

Scheduler::Scheduler(std::vector<Entry> entries, double jitter, std::uint64_t seed,
                     std::chrono::milliseconds batch_window, std::size_t group_probes)
    : jitter_(std::clamp(jitter, 0.0, 0.5)), batch_window_(batch_window), rng_(seed) {
  slots_.reserve(entries.size());
  // Per interval: the current group and the probes in it so far.
  std::map<std::chrono::milliseconds, std::pair<std::size_t, std::size_t>> filling;
  for (auto& e : entries) {
    auto [it, inserted] = filling.try_emplace(e.interval, 0, 0);
    auto& [group, probes] = it->second;
    if (group_probes > 0 && probes > 0 && probes + e.probes > group_probes) {
      ++group;
      probes = 0;
    }
    probes += e.probes;
    slots_.push_back(Slot{std::move(e), {}, false, group});
  }
  for (const auto& [interval, fill] : filling) groups_[interval] = fill.first + 1;
}

void Scheduler::Start(TimePoint now) {
  for (auto& s : slots_) {
    const double share =
        static_cast<double>(s.group) / static_cast<double>(groups_.at(s.entry.interval));
    s.due =
        now + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double, std::milli>(
                  static_cast<double>(s.entry.interval.count()) * share));
    s.running = false;
  }
}

std::vector<Scheduler::Due> Scheduler::Take(TimePoint now) {
  std::vector<Due> out;
  bool any_due = false;
  for (const auto& s : slots_) {
    if (!s.running && s.due <= now) any_due = true;
  }
  if (!any_due) return out;
  // One draw per interval and group for this batch: equal intervals stay in step, and groups do
  // not merge for good when they happen to be due together once.
  std::map<std::pair<std::chrono::milliseconds, std::size_t>, double> factor;
  std::uniform_real_distribution<double> u(-jitter_, jitter_);
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    Slot& s = slots_[i];
    if (s.running || s.due > now + batch_window_) continue;
    const std::chrono::milliseconds every = interval(i);
    auto [it, inserted] = factor.try_emplace({every, s.group}, 1.0);
    if (inserted && jitter_ > 0) it->second = 1.0 + u(rng_);
    auto late = now - s.due;
    out.push_back(Due{i, late > std::chrono::nanoseconds(0) ? late : std::chrono::nanoseconds(0)});
    s.running = true;
    s.due =
        now + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double, std::milli>(
                  static_cast<double>(every.count()) * it->second));
  }
  return out;
}

void Scheduler::OverrideInterval(std::size_t index,
                                 std::optional<std::chrono::milliseconds> interval, TimePoint now) {
  if (index >= slots_.size()) return;
  Slot& s = slots_[index];
  s.override = interval;
  const auto every = this->interval(index);
  if (s.due > now + every) s.due = now + every;
}

std::chrono::milliseconds Scheduler::interval(std::size_t index) const {
  const Slot& s = slots_.at(index);
  return s.override ? std::min(*s.override, s.entry.interval) : s.entry.interval;
}

void Scheduler::DueBy(std::size_t index, TimePoint at) {
  if (index < slots_.size() && slots_[index].due > at) slots_[index].due = at;
}

void Scheduler::Finished(std::size_t index) {
  if (index < slots_.size()) slots_[index].running = false;
}

std::optional<Scheduler::TimePoint> Scheduler::NextWake() const {
  std::optional<TimePoint> next;
  for (const auto& s : slots_) {
    if (s.running) continue;
    if (!next || s.due < *next) next = s.due;
  }
  return next;
}

std::size_t Scheduler::Queue(TimePoint now) const {
  return static_cast<std::size_t>(
      std::count_if(slots_.begin(), slots_.end(), [&](const Slot& s) { return s.due <= now; }));
}

}  // namespace lifeline::serve
