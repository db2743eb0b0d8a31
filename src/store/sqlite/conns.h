// The SQLite store's two connections (one writer, one reader) and the transaction helpers every
// SQLite file of the store uses, so the Store and its slices (the outbox) share one writer.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
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

  // Like Write(Sync::kFull, ...), for many small writes arriving at once from many threads (each
  // webhook's message stored before its answer): the writes waiting when the writer is free run
  // together in one transaction and share its commit (one fsync), each inside a savepoint of its
  // own, so a failing one rolls back alone and the others commit. A write returns once its
  // transaction committed. At most kGroupMax writes share one commit.
  template <typename F>
  auto WriteGrouped(std::string_view doing, F&& fn) -> std::invoke_result_t<F, Db&> {
    using R = std::invoke_result_t<F, Db&>;
    std::optional<R> result;
    GroupJob job;
    job.run = [&](Db& db) {
      result.emplace(fn(db));
      return result->ok();
    };
    job.fail = [&](const core::Error& e) { result.emplace(R(e)); };
    RunGrouped(doing, job);
    return std::move(*result);
  }

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
    std::function<bool(Db&)> run;                  // false: failed (rolled back to its savepoint)
    std::function<void(const core::Error&)> fail;  // the commit failed: tell the caller
    bool done = false;                             // committed (or failed) by a leader
  };
  void RunGrouped(std::string_view doing, GroupJob& job);
  void CommitGroup(std::string_view doing, const std::vector<GroupJob*>& batch);

  std::mutex group_mu_;  // guards group_, leading_ and every GroupJob's done
  std::condition_variable group_cv_;
  std::deque<GroupJob*> group_;
  bool leading_ = false;  // a thread is committing a group now

  std::mutex write_mu_;  // guards writer_ (and its statement cache) and sync_
  std::unique_ptr<Db> writer_;
  Sync sync_ = Sync::kNormal;

  std::mutex read_mu_;  // guards reader_ (and its statement cache)
  std::unique_ptr<Db> reader_;
};

}  // namespace lifeline::store::sqlite
