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
  idle_.clear();
  running_.clear();
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    Slot& s = slots_[i];
    const double share =
        static_cast<double>(s.group) / static_cast<double>(groups_.at(s.entry.interval));
    s.due =
        now + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double, std::milli>(
                  static_cast<double>(s.entry.interval.count()) * share));
    s.running = false;
    idle_.emplace(s.due, i);
  }
}

void Scheduler::SetDue(std::size_t index, TimePoint due) {
  Slot& s = slots_[index];
  if (s.due == due) return;
  if (!s.running) {
    idle_.erase({s.due, index});
    idle_.emplace(due, index);
  }
  s.due = due;
}

std::vector<Scheduler::Due> Scheduler::Take(TimePoint now) {
  std::vector<Due> out;
  if (idle_.empty() || idle_.begin()->first > now) return out;
  // Everything due within the batch window, in index order (the order of the draws below).
  std::vector<std::size_t> taken;
  while (!idle_.empty() && idle_.begin()->first <= now + batch_window_) {
    taken.push_back(idle_.begin()->second);
    idle_.erase(idle_.begin());
  }
  std::sort(taken.begin(), taken.end());
  // One draw per interval and group for this batch: equal intervals stay in step, and groups do
  // not merge for good when they happen to be due together once.
  std::map<std::pair<std::chrono::milliseconds, std::size_t>, double> factor;
  std::uniform_real_distribution<double> u(-jitter_, jitter_);
  for (std::size_t i : taken) {
    Slot& s = slots_[i];
    running_.insert(i);
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
  if (s.due > now + every) SetDue(index, now + every);
}

std::chrono::milliseconds Scheduler::interval(std::size_t index) const {
  const Slot& s = slots_.at(index);
  return s.override ? std::min(*s.override, s.entry.interval) : s.entry.interval;
}

void Scheduler::DueBy(std::size_t index, TimePoint at) {
  if (index < slots_.size() && slots_[index].due > at) SetDue(index, at);
}

void Scheduler::Finished(std::size_t index) {
  if (index >= slots_.size() || !slots_[index].running) return;
  slots_[index].running = false;
  running_.erase(index);
  idle_.emplace(slots_[index].due, index);
}

std::optional<Scheduler::TimePoint> Scheduler::NextWake() const {
  if (idle_.empty()) return std::nullopt;
  return idle_.begin()->first;
}

std::size_t Scheduler::Queue(TimePoint now) const {
  std::size_t n = 0;
  for (auto it = idle_.begin(); it != idle_.end() && it->first <= now; ++it) ++n;
  for (std::size_t i : running_) n += slots_[i].due <= now;
  return n;
}

}  // namespace lifeline::serve
