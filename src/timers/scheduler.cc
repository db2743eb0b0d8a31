// The timer scheduler (scheduler.h): one thread that claims due timers, runs their handlers and
// stores each outcome, sleeping on the clock until the next one is due.
#include "timers/scheduler.h"

#include <unistd.h>

#include <algorithm>
#include <exception>
#include <random>
#include <utility>

#include "core/types.h"

namespace lifeline::timers {
namespace {

using core::ErrorCode;
using core::MakeError;

std::string DefaultWorkerId() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') {
    std::snprintf(host, sizeof host, "%s", "localhost");
  }
  std::random_device rd;
  return fmt::format("{}/{}/{:06x}", host, static_cast<long>(getpid()), rd() & 0xFFFFFF);
}

store::Time StoreTime(TimePoint t) { return store::FromSystem(t); }

}  // namespace

Scheduler::Scheduler(store::TimerStore* store, SchedulerOptions options)
    : store_(store),
      options_(std::move(options)),
      clock_(options_.clock ? *options_.clock : core::RealClock()) {
  if (options_.worker_id.empty()) options_.worker_id = DefaultWorkerId();
  // Out-of-range options are a wiring bug: clamp them to what the store accepts.
  options_.batch = std::clamp<std::size_t>(options_.batch, 1, 1000);
  options_.max_attempts = std::max(options_.max_attempts, 1);
  options_.lease = std::max(options_.lease, std::chrono::milliseconds(1));
  options_.poll = std::max(options_.poll, std::chrono::milliseconds(1));
  options_.store_retry = std::max(options_.store_retry, std::chrono::milliseconds(1));
}

Scheduler::~Scheduler() { Stop(); }

core::Status Scheduler::On(std::string kind, Handler handler) {
  if (kind.empty()) return MakeError(ErrorCode::kInvalidArgument, "timer kind is empty");
  if (!handler) {
    return MakeError(ErrorCode::kInvalidArgument, "timer kind {}: the handler is empty", kind);
  }
  std::lock_guard lock(mu_);
  if (handlers_.count(kind)) {
    return MakeError(ErrorCode::kAlreadyExists, "timer kind {} already has a handler", kind);
  }
  handlers_.emplace(std::move(kind), std::make_shared<const Handler>(std::move(handler)));
  wake_ = true;
  cv_.notify_all();
  return core::Ok();
}

void Scheduler::SetObserver(std::function<void(const Firing&)> observer) {
  std::lock_guard lock(mu_);
  observer_ = std::move(observer);
}

core::Status Scheduler::Start() {
  std::lock_guard join(join_mu_);
  std::lock_guard lock(mu_);
  if (started_ || stopping_) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "the timer scheduler was started or stopped before (make a new one)");
  }
  started_ = true;
  thread_ = std::thread([this] { Run(); });
  thread_id_ = thread_.get_id();
  return core::Ok();
}

void Scheduler::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    cv_.notify_all();
    // From a handler: only ask; joining our own thread would deadlock.
    if (std::this_thread::get_id() == thread_id_) return;
  }
  std::lock_guard join(join_mu_);
  if (thread_.joinable()) thread_.join();
}

void Scheduler::Wake() {
  std::lock_guard lock(mu_);
  wake_ = true;
  cv_.notify_all();
}

void Scheduler::WakeFor(TimePoint due) {
  std::lock_guard lock(mu_);
  // While the thread works (not sleeping), it may have read NextDue before this timer was stored:
  // make it look again before it sleeps.
  if (!sleeping_until_ || due < *sleeping_until_) {
    wake_ = true;
    cv_.notify_all();
  }
}

core::Result<store::ScheduledTimer> Scheduler::Schedule(store::NewTimer timer) {
  timer.created_at = StoreTime(clock_.Now());
  LL_ASSIGN(store::ScheduledTimer s, store_->Schedule(timer));
  if (s.created) WakeFor(TimePoint(s.timer.due));
  return s;
}

core::Result<store::Timer> Scheduler::Reschedule(std::string_view key, store::Time due) {
  LL_ASSIGN(store::Timer t, store_->Reschedule(key, due, StoreTime(clock_.Now())));
  WakeFor(TimePoint(t.due));
  return t;
}

core::Result<store::Timer> Scheduler::Cancel(std::string_view key) {
  return store_->Cancel(key, StoreTime(clock_.Now()));
}

core::Result<std::int64_t> Scheduler::CancelOwner(std::string_view owner) {
  return store_->CancelOwner(owner, StoreTime(clock_.Now()));
}

SchedulerStats Scheduler::Stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

std::optional<TimePoint> Scheduler::SleepingUntil() const {
  std::lock_guard lock(mu_);
  return sleeping_until_;
}

bool Scheduler::WaitSleepingUntil(TimePoint deadline, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  return sleeping_cv_.wait_for(lock, timeout,
                               [&] { return sleeping_until_ && *sleeping_until_ == deadline; });
}

void Scheduler::Log(std::string_view line) const {
  if (options_.log) options_.log(line);
}

void Scheduler::Run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    wake_ = false;
    std::vector<std::string> kinds;
    kinds.reserve(handlers_.size());
    for (const auto& [kind, handler] : handlers_) kinds.push_back(kind);
    lock.unlock();
    TimePoint deadline = Cycle(kinds);
    lock.lock();
    if (stopping_) break;
    if (wake_ || deadline <= clock_.Now()) continue;
    sleeping_until_ = deadline;
    sleeping_cv_.notify_all();
    clock_.WaitUntil(cv_, lock, deadline);
    sleeping_until_.reset();
  }
}

TimePoint Scheduler::Cycle(const std::vector<std::string>& kinds) {
  const TimePoint now = clock_.Now();
  ReportUnhandled(now, kinds);
  if (kinds.empty()) return now + options_.poll;

  auto claimed =
      store_->ClaimDue(StoreTime(now), options_.worker_id, options_.lease, options_.batch, kinds);
  if (!claimed) {
    {
      std::lock_guard lock(mu_);
      ++stats_.store_errors;
    }
    Log("timers: claiming due timers failed: " + claimed.error().message());
    return now + options_.store_retry;
  }
  const bool full = claimed->size() == options_.batch;
  RunBatch(*claimed);
  if (full) return now;  // more may be due: look again at once

  auto next = store_->NextDue(kinds);
  if (!next) {
    {
      std::lock_guard lock(mu_);
      ++stats_.store_errors;
    }
    Log("timers: reading the next due time failed: " + next.error().message());
    return now + options_.store_retry;
  }
  TimePoint deadline = now + options_.poll;
  if (*next) {
    TimePoint due(**next);
    // Due already although the claim found nothing: stored meanwhile by another process (or
    // claimable only by a clock ahead of ours). Do not spin on it.
    if (claimed->empty() && due <= now) due = now + std::min(options_.poll, options_.store_retry);
    deadline = std::min(deadline, due);
  }
  return deadline;
}

void Scheduler::RunBatch(std::vector<store::Timer>& batch) {
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const store::Timer& t = batch[i];
    std::shared_ptr<const Handler> handler;
    bool stopping = false;
    {
      std::lock_guard lock(mu_);
      stopping = stopping_;
      auto it = handlers_.find(t.kind);
      if (it != handlers_.end()) handler = it->second;
    }
    if (stopping) return ReleaseFrom(batch, i, "stopping");
    const TimePoint now = clock_.Now();
    // Nothing renews a lease: a handler starts only while half of it remains, so that it ends
    // (handlers are short) before another instance may take the timer.
    if (t.lease_until && now + options_.lease / 2 > TimePoint(*t.lease_until)) {
      return ReleaseFrom(batch, i, "less than half of their lease left");
    }
    if (!handler) {
      // Cannot happen (only kinds with a handler are claimed, and handlers are never removed).
      std::abort();
    }
    // A handler earlier in the batch (or anyone else) may have cancelled or rescheduled this one
    // since the claim: a read (cheap, on the reader) keeps it from running then. A failed read
    // runs it anyway: at least once.
    if (i > 0) {
      auto now_stored = store_->Get(t.key);
      if (now_stored &&
          (now_stored->id != t.id || now_stored->state != store::TimerState::kClaimed ||
           now_stored->claimed_by != options_.worker_id)) {
        {
          std::lock_guard lock(mu_);
          ++stats_.skipped;
        }
        continue;
      }
    }
    RunOne(t, *handler, now);
  }
}

void Scheduler::ReleaseFrom(std::vector<store::Timer>& batch, std::size_t first,
                            std::string_view why) {
  const store::Time at = StoreTime(clock_.Now());
  std::uint64_t released = 0;
  for (std::size_t i = first; i < batch.size(); ++i) {
    auto r = store_->Release(batch[i].id, options_.worker_id, at);
    if (r) {
      ++released;
    } else if (r.error().code() != ErrorCode::kFailedPrecondition) {
      // Not given back: it runs again once its lease runs out.
      {
        std::lock_guard lock(mu_);
        ++stats_.store_errors;
      }
      Log(fmt::format("timers: giving back {} failed: {}", batch[i].key, r.error().message()));
    }
  }
  {
    std::lock_guard lock(mu_);
    stats_.released += released;
  }
  if (released > 0) Log(fmt::format("timers: gave back {} claimed timers ({})", released, why));
}

namespace {

core::Status Invoke(const Handler& handler, const store::Timer& t) {
  try {
    return handler(t);
  } catch (const std::exception& e) {
    return MakeError(ErrorCode::kInternal, "the handler threw: {}", e.what());
  } catch (...) {
    return MakeError(ErrorCode::kInternal, "the handler threw");
  }
}

}  // namespace

void Scheduler::RunOne(const store::Timer& t, const Handler& handler, TimePoint started) {
  lateness_.Record(t, started);
  Firing f{t, core::Ok(),
           std::max(std::chrono::floor<std::chrono::milliseconds>(started - TimePoint(t.due)),
                    std::chrono::milliseconds(0)),
           std::nullopt};
  f.result = Invoke(handler, t);
  const TimePoint at = clock_.Now();

  core::Result<store::Timer> stored = MakeError(ErrorCode::kInternal, "not stored");
  std::string error;
  std::optional<TimePoint> retry_at;
  if (f.result.ok()) {
    stored = store_->Complete(t.id, options_.worker_id, StoreTime(at));
  } else {
    error = f.result.error().ToString();
    if (t.attempts < options_.max_attempts) retry_at = at + Backoff(t.attempts);
    stored = store_->Fail(
        t.id, options_.worker_id, error,
        retry_at ? std::optional<store::Time>(StoreTime(*retry_at)) : std::nullopt, StoreTime(at));
  }

  std::string line;
  std::function<void(const Firing&)> observer;
  {
    std::lock_guard lock(mu_);
    ++stats_.fired;
    observer = observer_;
    if (stored) {
      f.stored = *stored;
      if (f.result.ok()) {
        ++stats_.completed;
      } else if (retry_at) {
        ++stats_.retried;
        line =
            fmt::format("timers: {} {} failed (attempt {} of {}): {}; retry at {}", t.kind, t.key,
                        t.attempts, options_.max_attempts, error, core::FormatTime(*retry_at));
      } else {
        ++stats_.failed;
        line = fmt::format("timers: {} {} failed for good after {} attempts: {}", t.kind, t.key,
                           t.attempts, error);
      }
    } else if (stored.error().code() == ErrorCode::kFailedPrecondition) {
      ++stats_.lost;
      line = fmt::format("timers: {} {} ran, but its outcome was not stored: {}", t.kind, t.key,
                         stored.error().message());
    } else {
      ++stats_.store_errors;
      line = fmt::format(
          "timers: storing the outcome of {} {} failed: {} (it runs again after its lease)", t.kind,
          t.key, stored.error().message());
    }
  }
  if (!line.empty()) Log(line);
  if (observer) observer(f);
}

std::chrono::milliseconds Scheduler::Backoff(int attempts) const {
  std::chrono::milliseconds d = options_.backoff_base;
  for (int i = 1; i < attempts && d < options_.backoff_max; ++i) d *= 2;
  return std::min(d, options_.backoff_max);
}

void Scheduler::ReportUnhandled(TimePoint now, const std::vector<std::string>& kinds) {
  {
    std::lock_guard lock(mu_);
    if (last_unhandled_scan_ && now < *last_unhandled_scan_ + options_.poll) return;
    last_unhandled_scan_ = now;
  }
  store::TimerQuery q;
  q.state = store::TimerState::kPending;
  q.due_before = StoreTime(now);
  q.limit = 100;
  auto due = store_->List(q);
  if (!due) {
    {
      std::lock_guard lock(mu_);
      ++stats_.store_errors;
    }
    Log("timers: listing due timers failed: " + due.error().message());
    return;
  }
  std::set<std::string> unhandled;
  std::vector<std::string> lines;
  {
    std::lock_guard lock(mu_);
    for (const store::Timer& t : *due) {
      if (std::binary_search(kinds.begin(), kinds.end(), t.kind)) continue;
      unhandled.insert(t.id);
      if (unhandled_logged_.count(t.id)) continue;
      lines.push_back(fmt::format(
          "timers: no handler for kind {} here: timer {} (due {}) stays pending until a worker "
          "with one runs",
          t.kind, t.key, core::FormatTime(TimePoint(t.due))));
    }
    stats_.unhandled = unhandled.size();
    unhandled_logged_ = std::move(unhandled);
  }
  for (const std::string& line : lines) Log(line);
}

}  // namespace lifeline::timers
