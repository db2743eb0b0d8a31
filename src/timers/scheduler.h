// The one scheduler of durable timers (store/timers.h): the contingency plan's escalations,
// approval timeouts and waits, the ads guard's resume after the settle time and the content
// calendar's held posts register a handler per kind here, and it runs each timer when it is due.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "store/timers.h"
#include "timers/lateness.h"

namespace lifeline::timers {

using TimePoint = std::chrono::system_clock::time_point;

// Runs one due timer. OK: the timer is done. An error: it is retried with backoff, and after
// SchedulerOptions::max_attempts it stays `failed` with the error as last_error.
//
// At least once: a handler may run more than once for one timer (the process dies, or the store
// fails, after the handler did its work and before the timer is marked done; or a handler runs
// past the lease and another instance takes the timer). So a handler must be idempotent by
// `timer.key`: use the key (or a key derived from it) as the outbox's idempotency key, and the
// notification it sends goes out exactly once however often the timer fires.
//
// A handler runs on the scheduler's thread, one at a time, and should be short (well under the
// lease: nothing renews it); it may call the Scheduler's Schedule, Reschedule, Cancel,
// CancelOwner, Wake and Stop, and must not throw (an exception is caught and counts as an error).
using Handler = std::function<core::Status(const store::Timer& timer)>;

struct SchedulerOptions {
  core::Clock* clock = nullptr;  // null = core::RealClock()
  // Names this scheduler's claims. Unique per running instance; "" = "<host>/<pid>/<random>".
  std::string worker_id;
  // How long a claim holds a timer. Another instance (or this one after a restart) runs a timer
  // whose claimant died once the lease runs out, so this is how late a crash makes a timer.
  std::chrono::milliseconds lease = std::chrono::minutes(1);
  std::size_t batch = 32;  // timers claimed per store call (one sync), 1..1000
  // Attempts before a timer stays failed; retry n waits min(backoff_max, backoff_base * 2^(n-1)).
  int max_attempts = 5;
  std::chrono::milliseconds backoff_base = std::chrono::seconds(5);
  std::chrono::milliseconds backoff_max = std::chrono::minutes(10);
  // The longest sleep: timers another process scheduled in the store (a CLI, another instance)
  // are found within this; timers scheduled through this Scheduler wake it at once.
  std::chrono::milliseconds poll = std::chrono::seconds(30);
  // The wait after the store failed before trying again.
  std::chrono::milliseconds store_retry = std::chrono::seconds(5);
  // One line per notable event (a failure, a timer nobody here can run); null = silent.
  std::function<void(std::string_view)> log;
};

// What became of one run of a handler, after its outcome was stored (or refused).
struct Firing {
  store::Timer timer;   // as claimed: attempts counts this run
  core::Status result;  // the handler's
  std::chrono::milliseconds lateness{0};
  // The timer as stored after the outcome: done, pending (a retry) or failed. Unset when the
  // store refused the outcome (the timer was cancelled, rescheduled or taken by another instance
  // meanwhile) or failed (the timer runs again after the lease).
  std::optional<store::Timer> stored;
};

struct SchedulerStats {
  std::uint64_t fired = 0;      // handler runs
  std::uint64_t completed = 0;  // -> done
  std::uint64_t retried = 0;    // -> pending with a retry time
  std::uint64_t failed = 0;     // -> failed, out of attempts
  std::uint64_t lost = 0;       // outcomes the store refused: the claim was no longer ours
  std::uint64_t released = 0;   // claimed timers given back unrun (stopping, lease half gone)
  // Claimed timers not run because they were cancelled or rescheduled after the claim.
  std::uint64_t skipped = 0;
  std::uint64_t store_errors = 0;
  // Due pending timers of kinds without a handler here, at the last look (every `poll`).
  std::uint64_t unhandled = 0;
};

// Thread-safety: every public method may be called from any thread, before Start, while running
// and after Stop (then nothing runs).
//
// One thread: it claims due timers of the kinds that have a handler (store ClaimDue, with a lease;
// earliest due first, `batch` at a time), runs their handlers one after the other, stores each
// outcome (Complete, or Fail with a retry time or for good), then sleeps until the store's
// NextDue, at most `poll`. Schedule and Reschedule wake it when the new time is earlier than its
// wake-up. A timer whose kind has no handler here is never claimed: it stays pending, is logged
// once (and counted in unhandled) and runs as soon as a handler for it is registered, here or in
// another instance. Before a handler starts, at least half of its timer's lease must remain;
// otherwise the rest of the batch is given back (Release) and claimed again with fresh leases.
class Scheduler {
 public:
  // `store` is not owned and must outlive the scheduler.
  Scheduler(store::TimerStore* store, SchedulerOptions options);
  ~Scheduler();  // Stop()
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Registers the handler of `kind` (at any time; a running scheduler starts claiming the kind at
  // once). kAlreadyExists when the kind has one, kInvalidArgument for an empty kind or handler.
  [[nodiscard]] core::Status On(std::string kind, Handler handler);

  // Starts the thread. kFailedPrecondition when started before (a stopped scheduler stays
  // stopped: make a new one).
  [[nodiscard]] core::Status Start();
  // Stops claiming, lets the running handler finish and stores its outcome, gives the rest of the
  // claimed batch back (pending, attempt not counted) and joins the thread. Prompt: it never waits
  // for a sleep to end. Idempotent. From a handler it only asks: the thread stops after that
  // handler, and the destructor (or a Stop from another thread) joins it.
  void Stop();

  // The store's operations with the clock's time, waking the thread when the timer is due before
  // its next wake-up. Schedule stamps created_at with the clock's now.
  [[nodiscard]] core::Result<store::ScheduledTimer> Schedule(store::NewTimer timer);
  [[nodiscard]] core::Result<store::Timer> Reschedule(std::string_view key, store::Time due);
  [[nodiscard]] core::Result<store::Timer> Cancel(std::string_view key);
  [[nodiscard]] core::Result<std::int64_t> CancelOwner(std::string_view owner);
  // Makes the thread look at the store now (after something scheduled a timer directly in it).
  void Wake();

  store::TimerStore& store() const { return *store_; }
  const std::string& worker_id() const { return options_.worker_id; }
  const Lateness& lateness() const { return lateness_; }
  SchedulerStats Stats() const;

  // Called after each handler run's outcome is stored (or refused), on the scheduler's thread;
  // must only record or queue (not call back into the scheduler). Before Start.
  void SetObserver(std::function<void(const Firing&)> observer);

  // When the thread will next look at the store, while it sleeps; nullopt while it works or when
  // it is not running.
  std::optional<TimePoint> SleepingUntil() const;
  // Waits (in real time, at most `timeout`) until the thread sleeps until exactly `deadline`;
  // true when it does. For tests that drive a fake clock.
  bool WaitSleepingUntil(TimePoint deadline, std::chrono::milliseconds timeout) const;

 private:
  void Run();
  // One look at the store: claims and runs what is due; returns when to look next.
  TimePoint Cycle(const std::vector<std::string>& kinds);
  // Runs a claimed batch; gives back what it does not run (stopping, leases half gone).
  void RunBatch(std::vector<store::Timer>& batch);
  void RunOne(const store::Timer& timer, const Handler& handler, TimePoint started);
  void ReleaseFrom(std::vector<store::Timer>& batch, std::size_t first, std::string_view why);
  // Logs due pending timers no handler here can run (each once), every `poll`.
  void ReportUnhandled(TimePoint now, const std::vector<std::string>& kinds);
  std::chrono::milliseconds Backoff(int attempts) const;
  // Wakes the thread when `due` comes before its wake-up (or it is working).
  void WakeFor(TimePoint due);
  void Log(std::string_view line) const;

  store::TimerStore* store_;
  SchedulerOptions options_;
  core::Clock& clock_;
  Lateness lateness_;

  mutable std::mutex mu_;       // guards the members from here to thread_id_; cv_ waits with it
  std::condition_variable cv_;  // wakes the thread (Stop, Wake, a new timer)
  mutable std::condition_variable sleeping_cv_;  // signalled when the thread goes to sleep
  std::map<std::string, std::shared_ptr<const Handler>, std::less<>> handlers_;
  std::function<void(const Firing&)> observer_;
  bool started_ = false;
  bool stopping_ = false;
  bool wake_ = false;  // look at the store again before sleeping
  std::optional<TimePoint> sleeping_until_;
  SchedulerStats stats_;
  std::optional<TimePoint> last_unhandled_scan_;
  std::set<std::string> unhandled_logged_;  // ids of the timers reported at the last look
  std::thread::id thread_id_;

  std::mutex join_mu_;  // guards thread_ (Start and concurrent Stops)
  std::thread thread_;
};

}  // namespace lifeline::timers
