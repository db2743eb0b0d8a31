// Durable timers: work due later (an escalation, an approval timeout, a resume after the settle
// time, a held post's release) as rows with a due time, reached through Store::Timers(). The
// scheduler that runs them lives in src/timers/scheduler.h.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "store/records.h"

namespace lifeline::store {

// The life of a timer:
//
//   pending ──ClaimDue (due <= now)──> claimed ──Complete──> done
//     ^  ^                               │  │ ├──Fail(retry_at)──> pending (due = retry_at)
//     │  └──────── Release ──────────────┘  │ └──Fail(no retry)──> failed
//     │                                     └── lease ran out: ClaimDue claims it again
//   pending | claimed ──Cancel / CancelOwner──> cancelled
//   any state ──Reschedule──> pending (new due, attempts back to 0)
enum class TimerState {
  kPending,
  kClaimed,  // a worker holds it until lease_until; its handler may be running
  kDone,
  kCancelled,
  kFailed,  // out of attempts: kept with its last error for a person to see
};

inline constexpr TimerState kAllTimerStates[] = {
    TimerState::kPending,   TimerState::kClaimed, TimerState::kDone,
    TimerState::kCancelled, TimerState::kFailed,
};

// "pending", "claimed", "done", "cancelled", "failed": the names the API, the CLI and the
// database use.
std::string_view TimerStateName(TimerState s);
std::optional<TimerState> ParseTimerState(std::string_view name);
// Nothing more happens to a timer in a final state unless it is rescheduled.
bool IsFinal(TimerState s);  // done, cancelled, failed

// What a caller asks to happen later.
struct NewTimer {
  // Required, at most 200 bytes, unique across all timers (any state, until pruned). Scheduling a
  // key that is already stored stores nothing and returns the stored timer, whatever the rest of
  // this NewTimer says: the first schedule wins (its due time, kind and payload), so re-running
  // the code that schedules (after a restart, on a repeated event) neither moves nor repeats the
  // timer. Move it with Reschedule. Make the key say what the work is for, e.g.
  // "escalate/inc_01J.../step-2".
  std::string key;
  std::string kind;  // required, at most 200 bytes: selects the handler ("playbook.escalate")
  Time due;          // may be in the past: then it is due at once
  std::string payload_json = "{}";  // what the handler needs, a JSON document (at most 1 MiB)
  std::string owner;                // the incident (or other owner) it belongs to, "" for none
  Time created_at;
};

// The checks Schedule makes (kInvalidArgument naming the field).
core::Status ValidateNewTimer(const NewTimer& t);

struct Timer {
  std::string id;  // "tmr_" + 26 characters that sort by created_at
  std::string key;
  std::string kind;
  Time due;  // when it is (next) due: a retry moves it to the retry time
  std::string payload_json;
  std::string owner;
  TimerState state = TimerState::kPending;
  int attempts = 0;        // claims so far (a Release does not count); Reschedule resets it
  std::string claimed_by;  // the worker of the last claim, "" when never claimed
  std::optional<Time> lease_until;  // set exactly while claimed
  std::string last_error;           // the last failed attempt's error, "" after a success
  Time created_at;
  Time updated_at;
};

struct ScheduledTimer {
  Timer timer;
  bool created = false;  // false: the key was already stored and `timer` is that timer
};

struct TimerQuery {
  std::optional<TimerState> state;  // unset: every state
  std::string kind;                 // "" = every kind
  std::string owner;                // "" = any owner
  std::optional<Time> due_before;   // only timers due at or before this
  std::size_t limit = 100;          // 1..1000
};

// Contract (the Store contract's rules on thread-safety, errors and times hold here too):
//
// Thread-safety: every method may be called from any thread at once, and from several processes
// (or, with PostgreSQL, several hosts) on one database: claims are atomic, so two workers never
// hold one timer at the same time.
//
// Durability: every write is one transaction that, once it returns OK, survives kill -9 and power
// loss (SQLite: WAL synced at commit). A timer Schedule returned is not lost by a restart; a
// claimed timer whose worker dies is claimed again once its lease runs out.
//
// Delivery is at least once: a worker that dies (or stalls past its lease) after its handler did
// the work but before Complete lets another worker run the timer again. Handlers must be
// idempotent by the timer's key (use it as the outbox's idempotency key, and a notification is
// sent once however often the timer fires).
//
// Errors: the store failing (any code the Store contract names), kInvalidArgument for bad input
// (naming the field), kNotFound for an unknown key or id, kFailedPrecondition for an operation
// the timer's state does not allow (completing a timer whose lease went to another worker,
// cancelling a timer that already ran).
class TimerStore {
 public:
  virtual ~TimerStore() = default;

  // Stores the timer as pending, or finds the stored timer with this key (NewTimer::key says why
  // the first one wins). Returns the timer and whether it was created.
  [[nodiscard]] virtual core::Result<ScheduledTimer> Schedule(const NewTimer& timer) = 0;

  // Makes the timer with `key` pending again, due at `due`, whatever its state: a pending one
  // moves, a final one (done, cancelled, failed) is armed again, and a claimed one is taken back
  // from its worker (whose Complete or Fail is then refused; a handler already running still
  // finishes). Attempts go back to 0 and last_error is cleared. kNotFound when no timer has it.
  [[nodiscard]] virtual core::Result<Timer> Reschedule(std::string_view key, Time due, Time at) = 0;

  // pending or claimed -> cancelled (a claimed timer's handler may already be running: its
  // Complete is refused). Cancelling a cancelled timer is OK and changes nothing;
  // kFailedPrecondition for a done or failed one (it already ran); kNotFound for no such key.
  [[nodiscard]] virtual core::Result<Timer> Cancel(std::string_view key, Time at) = 0;
  // Cancels every pending or claimed timer of `owner` (required) in one transaction; returns how
  // many. Timers in final states are left as they are.
  [[nodiscard]] virtual core::Result<std::int64_t> CancelOwner(std::string_view owner, Time at) = 0;

  // Atomically claims up to `limit` (1..1000) timers for `worker` (required) until now + lease
  // (> 0): pending timers due at or before `now`, and claimed timers whose lease ran out at or
  // before `now` (their worker died or stalled). Each claim counts an attempt. Earliest due
  // first (ties in the order they were scheduled). Only timers whose kind is in `kinds`, unless
  // `kinds` is empty (every kind): a worker never takes a timer it has no handler for, so such a
  // timer stays pending, untouched, until a worker that knows its kind runs.
  [[nodiscard]] virtual core::Result<std::vector<Timer>> ClaimDue(
      Time now, std::string_view worker, std::chrono::milliseconds lease, std::size_t limit,
      std::span<const std::string> kinds = {}) = 0;

  // The claimed timer `id` is done. kFailedPrecondition unless it is still claimed by `claimant`
  // (the lease ran out and another worker claimed it, or it was cancelled or rescheduled): the
  // caller's result is then not recorded. A claimant whose lease ran out but whom nobody replaced
  // may still complete. kNotFound for an unknown id.
  [[nodiscard]] virtual core::Result<Timer> Complete(std::string_view id, std::string_view claimant,
                                                     Time at) = 0;
  // The claimed timer `id` failed with `error` (kept as last_error, cut to 4 KiB): pending again,
  // due at `retry_at`, or failed for good when `retry_at` is unset. Refused like Complete.
  [[nodiscard]] virtual core::Result<Timer> Fail(std::string_view id, std::string_view claimant,
                                                 std::string_view error,
                                                 std::optional<Time> retry_at, Time at) = 0;
  // Gives a claimed timer back without running it (a worker stopping): pending, due as it was,
  // its attempt not counted. Refused like Complete.
  [[nodiscard]] virtual core::Result<Timer> Release(std::string_view id, std::string_view claimant,
                                                    Time at) = 0;

  // The timer with `key`; kNotFound when none.
  [[nodiscard]] virtual core::Result<Timer> Get(std::string_view key) = 0;
  // Matching timers, earliest due first (ties in the order they were scheduled), at most
  // query.limit. A state or an owner filter is served by an index.
  [[nodiscard]] virtual core::Result<std::vector<Timer>> List(const TimerQuery& query) = 0;

  // The earliest time at which ClaimDue(kinds) could claim something: the earliest due time of a
  // pending timer, or the earliest lease expiry of a claimed one, of the given kinds (empty:
  // every kind). nullopt when nothing waits. May be in the past (overdue).
  [[nodiscard]] virtual core::Result<std::optional<Time>> NextDue(
      std::span<const std::string> kinds = {}) = 0;

  // Deletes timers in a final state last updated before `before`; returns how many. A deleted
  // key can be scheduled again.
  [[nodiscard]] virtual core::Result<std::int64_t> PruneFinal(Time before) = 0;
};

}  // namespace lifeline::store
