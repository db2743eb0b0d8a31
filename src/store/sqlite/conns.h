// The SQLite store's two connections (one writer, one reader) and the transaction helpers every
// SQLite file of the store uses, so the Store and its slices (the outbox) share one writer.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <semaphore>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "store/sqlite/db.h"

namespace lifeline::store::sqlite {

class Connections {
 public:
  // kFull syncs the WAL at each commit (survives power loss); kNormal survives a process crash,
  // which is all samples and states need. Either way a committed write survives kill -9.
  enum class Sync { kNormal, kFull };

  Connections(std::unique_ptr<Db> writer, std::unique_ptr<Db> reader)
      : writer_(std::move(writer)), reader_(std::move(reader)) {}

  // Runs fn(Db&) -> Result<T>/Status in an IMMEDIATE transaction on the writer; commits on
  // success, rolls back on error. Writes are serialised: fn must not call Write or Read.
  template <typename F>
  auto Write(Sync sync, std::string_view doing, F&& fn) -> std::invoke_result_t<F, Db&> {
    using R = std::invoke_result_t<F, Db&>;
    std::lock_guard lock(write_mu_);
    Db& db = *writer_;
    if (sync != sync_) {
      auto s =
          db.Exec(sync == Sync::kFull ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL",
                  "setting durability");
      if (!s) return R(s.error());
      sync_ = sync;
    }
    if (auto s = db.Exec("BEGIN IMMEDIATE", doing); !s) return R(s.error());
    R r = fn(db);
    if (!r.ok()) {
      (void)db.Exec("ROLLBACK", "rolling back");
      return r;
    }
    if (auto s = db.Exec("COMMIT", doing); !s) {
      (void)db.Exec("ROLLBACK", "rolling back");
      return R(s.error());
    }
    return r;
  }

  // Like Write(Sync::kFull, ...), for many small writes arriving at once (each webhook's message
  // stored before its answer): one committing thread runs the writes waiting when it is free
  // together in one transaction, so they share its commit (one fsync), each inside a savepoint of
  // its own, so a failing one rolls back alone and the others commit. At most kGroupMax writes
  // share one commit. Returns once the write's transaction committed.
  template <typename F>
  auto WriteGrouped(std::string_view doing, F&& fn) -> std::invoke_result_t<F, Db&> {
    using R = std::invoke_result_t<F, Db&>;
    std::optional<R> result;
    std::binary_semaphore committed{0};
    GroupJob job;
    job.doing = doing;
    job.run = [&](Db& db) {
      result.emplace(fn(db));
      return result->ok();
    };
    job.finish = [&](const core::Error* e) {
      if (e != nullptr) result.emplace(R(*e));
      committed.release();
    };
    Submit(std::move(job));
    committed.acquire();
    return std::move(*result);
  }

  // WriteGrouped without waiting: `done(result)` is called once the write's transaction
  // committed (or failed), on the committing thread — keep it short (hand long work elsewhere).
  // fn is run on that thread too: it must own what it reads.
  template <typename F, typename Done>
  void WriteGroupedAsync(std::string_view doing, F fn, Done done) {
    using R = std::invoke_result_t<F&, Db&>;
    auto result = std::make_shared<std::optional<R>>();
    GroupJob job;
    job.doing = doing;
    job.run = [result, fn = std::move(fn)](Db& db) mutable {
      result->emplace(fn(db));
      return (*result)->ok();
    };
    job.finish = [result, done = std::move(done)](const core::Error* e) mutable {
      if (e != nullptr) result->emplace(R(*e));
      done(std::move(**result));
    };
    Submit(std::move(job));
  }

  ~Connections();

  // Runs fn(Db&) in a read transaction on the reader, so multi-statement reads see one snapshot.
  template <typename F>
  auto Read(std::string_view doing, F&& fn) -> std::invoke_result_t<F, Db&> {
    using R = std::invoke_result_t<F, Db&>;
    std::lock_guard lock(read_mu_);
    Db& db = *reader_;
    if (auto s = db.Exec("BEGIN", doing); !s) return R(s.error());
    R r = fn(db);
    (void)db.Exec("COMMIT", doing);  // ends the read snapshot; nothing to lose if it fails
    return r;
  }

 private:
  static constexpr std::size_t kGroupMax = 256;
  struct GroupJob {
    std::string_view doing;        // a literal: what the write is, for errors
    std::function<bool(Db&)> run;  // false: failed (rolled back to its savepoint)
    // After the group's COMMIT (null) or with why the write is not stored (the commit failed,
    // its savepoint could not be taken, the store is closing). Called exactly once.
    std::function<void(const core::Error*)> finish;
  };
  void Submit(GroupJob job);
  void CommitLoop();  // the committing thread
  void CommitGroup(std::vector<GroupJob>& batch);

  std::mutex group_mu_;  // guards group_, committer_, idle_ and closing_
  std::condition_variable group_cv_;
  std::deque<GroupJob> group_;
  std::thread committer_;  // started by the first grouped write
  bool idle_ = false;      // the committer waits on group_cv_
  bool closing_ = false;   // ~Connections: the committer finishes what waits, then ends

  std::mutex write_mu_;  // guards writer_ (and its statement cache) and sync_
  std::unique_ptr<Db> writer_;
  Sync sync_ = Sync::kNormal;

  std::mutex read_mu_;  // guards reader_ (and its statement cache)
  std::unique_ptr<Db> reader_;
};

}  // namespace lifeline::store::sqlite
