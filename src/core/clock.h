// The time source of the parts that wait (the relay's delivery loop, retries, circuits): an
// interface, so tests drive time with core/fake_clock.h instead of sleeping.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace lifeline::core {

class Clock {
 public:
  using TimePoint = std::chrono::system_clock::time_point;
  virtual ~Clock() = default;

  virtual TimePoint Now() const = 0;

  // Waits on `cv` (with `lock` held, as for cv.wait) until it is notified or Now() reaches
  // `deadline`. May return early (spuriously): callers re-check their condition and the time.
  virtual void WaitUntil(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                         TimePoint deadline) = 0;
};

// The real clock: system time; waits measured on the steady clock, so a wall-clock step neither
// stretches nor cuts a wait by more than the step.
class SystemClock final : public Clock {
 public:
  TimePoint Now() const override { return std::chrono::system_clock::now(); }
  void WaitUntil(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                 TimePoint deadline) override {
    auto left = deadline - std::chrono::system_clock::now();
    if (left <= left.zero()) return;
    // Capped so a far deadline (TimePoint::max()) cannot overflow the steady clock.
    cv.wait_for(lock, std::min<std::chrono::system_clock::duration>(left, std::chrono::hours(24)));
  }
};

// One process-wide SystemClock.
inline Clock& RealClock() {
  static SystemClock clock;
  return clock;
}

}  // namespace lifeline::core
