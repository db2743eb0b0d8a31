// When each watched platform is due for its next evidence round: per-platform intervals with
// jitter, batching of platforms due together, and how late each round started. Pure logic.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace lifeline::serve {

// Not thread-safe: owned by the engine's event loop. Times are steady-clock readings passed in,
// so tests drive it without sleeping.
class Scheduler {
 public:
  using Clock = std::chrono::steady_clock;
  using TimePoint = Clock::time_point;

  struct Entry {
    std::string id;
    std::chrono::milliseconds interval{30000};
  };

  // A platform taken for a round: its index in the entries and how late the round starts
  // against the time it was due (zero when it joined a batch a little early).
  struct Due {
    std::size_t index = 0;
    std::chrono::nanoseconds lateness{0};
  };

  // `jitter` in [0, 0.5]: each next start is `interval * (1 + u)` after the round's start, with
  // u uniform in [-jitter, +jitter], drawn once per batch and interval so platforms sharing an
  // interval keep sharing rounds. `batch_window`: a platform due this soon after another joins
  // its round early rather than starting a round of its own.
  Scheduler(std::vector<Entry> entries, double jitter, std::uint64_t seed,
            std::chrono::milliseconds batch_window = std::chrono::milliseconds(250));

  // Every platform is due at `now`: the first round checks everything at once.
  void Start(TimePoint now);

  // The platforms to run now: due (or due within the batch window) and not running. Marks them
  // running and sets their next due time. Empty when nothing is due.
  std::vector<Due> Take(TimePoint now);

  // The platform's round (with its confirmations) is over: it may be taken again.
  void Finished(std::size_t index);

  // When the next idle platform falls due; nullopt when every platform is running (wake when
  // one finishes).
  std::optional<TimePoint> NextWake() const;

  // Platforms whose due time has passed but whose round has not started (still running the last
  // one, or the loop has not woken yet): the scheduler queue.
  std::size_t Queue(TimePoint now) const;

  std::size_t size() const { return slots_.size(); }
  const Entry& entry(std::size_t index) const { return slots_[index].entry; }
  TimePoint due(std::size_t index) const { return slots_[index].due; }
  bool running(std::size_t index) const { return slots_[index].running; }

 private:
  struct Slot {
    Entry entry;
    TimePoint due{};
    bool running = false;
  };
  std::vector<Slot> slots_;
  double jitter_;
  std::chrono::milliseconds batch_window_;
  std::mt19937_64 rng_;
};

}  // namespace lifeline::serve
