// The scheduler's due-time arithmetic: batching, jitter drawn per batch and interval, lateness.
#include "serve/scheduler.h"

#include <algorithm>
#include <map>

namespace lifeline::serve {

Scheduler::Scheduler(std::vector<Entry> entries, double jitter, std::uint64_t seed,
                     std::chrono::milliseconds batch_window)
    : jitter_(std::clamp(jitter, 0.0, 0.5)), batch_window_(batch_window), rng_(seed) {
  slots_.reserve(entries.size());
  for (auto& e : entries) slots_.push_back(Slot{std::move(e), {}, false});
}

void Scheduler::Start(TimePoint now) {
  for (auto& s : slots_) {
    s.due = now;
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
  // One draw per interval for this batch: equal intervals stay in step.
  std::map<std::chrono::milliseconds, double> factor;
  std::uniform_real_distribution<double> u(-jitter_, jitter_);
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    Slot& s = slots_[i];
    if (s.running || s.due > now + batch_window_) continue;
    auto [it, inserted] = factor.try_emplace(s.entry.interval, 1.0);
    if (inserted && jitter_ > 0) it->second = 1.0 + u(rng_);
    auto late = now - s.due;
    out.push_back(Due{i, late > std::chrono::nanoseconds(0) ? late : std::chrono::nanoseconds(0)});
    s.running = true;
    s.due =
        now + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double, std::milli>(
                  static_cast<double>(s.entry.interval.count()) * it->second));
  }
  return out;
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
