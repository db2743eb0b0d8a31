// When each watched platform is due for its next evidence round: per-platform intervals with
// jitter, batching of platforms due together, groups spread over the interval when there are more
// probes than can run at once, and how late each round started. Pure logic.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <utility>
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
    std::size_t probes = 1;  // probes a round of it runs here (its weight in a group)
  };

  // A platform taken for a round: its index in the entries and how late the round starts
  // against the time it was due (zero when it joined a batch a little early).
  struct Due {
    std::size_t index = 0;
    std::chrono::nanoseconds lateness{0};
  };

  // `jitter` in [0, 0.5]: each next start is `interval * (1 + u)` after the round's start, with
  // u uniform in [-jitter, +jitter], drawn once per batch, interval and group so platforms
  // sharing an interval keep sharing rounds. `batch_window`: a platform due this soon after
  // another joins its round early rather than starting a round of its own. `group_probes` (0: no
  // limit): platforms of one interval are split, in order, into groups of at most this many
  // probes (the prober's concurrency), whose first rounds are spread evenly over the interval and
  // whose jitter is drawn apart, so that thousands of platforms make a steady stream of rounds
  // instead of one burst every interval in which the last probes wait seconds for a slot.
  Scheduler(std::vector<Entry> entries, double jitter, std::uint64_t seed,
            std::chrono::milliseconds batch_window = std::chrono::milliseconds(250),
            std::size_t group_probes = 0);

  // Every platform of the first group of its interval is due at `now` (with one group, the
  // first round checks everything at once); group g of G at `now + interval * g / G`.
  void Start(TimePoint now);

  // The platforms to run now: due (or due within the batch window) and not running. Marks them
  // running and sets their next due time. Empty when nothing is due.
  std::vector<Due> Take(TimePoint now);

  // While set, platform `index` runs every `interval` when that is shorter than its own (a
  // contingency plan's monitoring window after restoration probes the platform more often; it
  // never slows one down); when its next round would come later than `now + interval`, it comes
  // then. nullopt gives it its own interval back from its next round on. An unknown index is
  // ignored.
  void OverrideInterval(std::size_t index, std::optional<std::chrono::milliseconds> interval,
                        TimePoint now);
  // The interval platform `index` runs at now (the shorter of its override and its own).
  std::chrono::milliseconds interval(std::size_t index) const;

  // Platform `index` is due at `at` at the latest (a platform this instance just took over from
  // another runs at once rather than at its next slot). An unknown index is ignored.
  void DueBy(std::size_t index, TimePoint at);

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
  std::size_t group(std::size_t index) const { return slots_[index].group; }
  bool running(std::size_t index) const { return slots_[index].running; }

 private:
  // Moves slot `index`'s due time (kept in idle_ while it is not running).
  void SetDue(std::size_t index, TimePoint due);

  struct Slot {
    Entry entry;
    TimePoint due{};
    bool running = false;
    std::size_t group = 0;  // within its interval
    std::optional<std::chrono::milliseconds> override;
  };
  std::vector<Slot> slots_;
  // The idle slots by due time, and the running ones: with 100,000 platforms a scan of every
  // slot at each wake (several a second) was most of the engine's loop time.
  std::set<std::pair<TimePoint, std::size_t>> idle_;
  std::set<std::size_t> running_;
  std::map<std::chrono::milliseconds, std::size_t> groups_;  // groups per interval
  double jitter_;
  std::chrono::milliseconds batch_window_;
  std::mt19937_64 rng_;
};

}  // namespace lifeline::serve
