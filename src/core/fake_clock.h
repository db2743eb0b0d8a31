// A clock that moves only when a test says so (core/clock.h), header-only for tests. Waiters
// registered by WaitUntil are woken by every Advance/Set, so code under test never sleeps in real
// time and tests never sleep at all.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <utility>
#include <vector>

#include "core/clock.h"

namespace lifeline::core {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(TimePoint start) : now_(start) {}

  TimePoint Now() const override {
    std::lock_guard lock(mu_);
    return now_;
  }

  void WaitUntil(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                 TimePoint deadline) override {
    Waiter w{&cv, lock.mutex()};
    {
      std::lock_guard l(mu_);
      if (now_ >= deadline) return;
      waiters_.push_back(w);
    }
    // Advance takes the waiter's mutex before notifying, so the wake-up cannot fall between the
    // check above and this wait. The real-time cap only guards against a test that forgets to
    // advance; it is not how the code under test learns the time.
    cv.wait_for(lock, std::chrono::seconds(5));
    std::lock_guard l(mu_);
    auto it = std::find(waiters_.begin(), waiters_.end(), w);
    if (it != waiters_.end()) waiters_.erase(it);
  }

  void Advance(std::chrono::system_clock::duration d) { Set(Now() + d); }

  void Set(TimePoint t) {
    std::vector<Waiter> wake;
    {
      std::lock_guard lock(mu_);
      now_ = t;
      wake = waiters_;
    }
    for (const Waiter& w : wake) {
      std::lock_guard l(*w.mu);  // orders this notify after the waiter started waiting
      w.cv->notify_all();
    }
  }

 private:
  struct Waiter {
    std::condition_variable* cv;
    std::mutex* mu;
    bool operator==(const Waiter& o) const { return cv == o.cv && mu == o.mu; }
  };
  mutable std::mutex mu_;  // guards now_ and waiters_
  TimePoint now_;
  std::vector<Waiter> waiters_;
};

}  // namespace lifeline::core
