// The group commit of Connections::WriteGrouped and WriteGroupedAsync (conns.h): one committing
// thread takes what waits and commits it together.
#include "store/sqlite/conns.h"

#include <fmt/format.h>

namespace lifeline::store::sqlite {

Connections::~Connections() {
  std::thread committer;
  {
    std::lock_guard lock(group_mu_);
    closing_ = true;
    committer = std::move(committer_);
  }
  group_cv_.notify_one();
  if (committer.joinable()) committer.join();
}

void Connections::Submit(GroupJob job) {
  std::unique_lock lock(group_mu_);
  if (closing_) {
    lock.unlock();
    const core::Error closed(core::ErrorCode::kUnavailable,
                             fmt::format("{}: the store is closing", job.doing));
    job.finish(&closed);
    return;
  }
  group_.push_back(std::move(job));
  if (!committer_.joinable()) {
    committer_ = std::thread([this] { CommitLoop(); });
    return;
  }
  // Only a waiting committer needs waking: a busy one takes the job with the next group.
  if (idle_) {
    idle_ = false;
    lock.unlock();
    group_cv_.notify_one();
  }
}

void Connections::CommitLoop() {
  std::vector<GroupJob> batch;
  std::unique_lock lock(group_mu_);
  for (;;) {
    while (group_.empty() && !closing_) {
      idle_ = true;
      group_cv_.wait(lock);
    }
    idle_ = false;
    if (group_.empty()) return;  // closing, nothing left
    batch.clear();
    while (!group_.empty() && batch.size() < kGroupMax) {
      batch.push_back(std::move(group_.front()));
      group_.pop_front();
    }
    lock.unlock();
    CommitGroup(batch);
    batch.clear();  // the jobs' captures go before the lock is taken again
    lock.lock();
  }
}

void Connections::CommitGroup(std::vector<GroupJob>& batch) {
  const std::string_view doing = batch.front().doing;
  core::Status committed = core::Ok();
  // Writes that did not even start (their savepoint could not be taken), with why.
  std::vector<std::optional<core::Error>> not_run(batch.size());
  {
    std::lock_guard write(write_mu_);
    Db& db = *writer_;
    auto exec = [&](const char* sql) -> core::Status {
      if (auto s = db.Exec(sql, doing); !s) return s.error();
      return core::Ok();
    };
    auto cached = [&](const char* sql) -> core::Status {
      auto st = db.Prepare(sql);
      if (!st) return st.error();
      return st->Run();
    };
    if (sync_ != Sync::kFull) {
      committed = exec("PRAGMA synchronous = FULL");
      if (committed.ok()) sync_ = Sync::kFull;
    }
    if (committed.ok()) committed = exec("BEGIN IMMEDIATE");
    if (committed.ok()) {
      for (std::size_t i = 0; i < batch.size(); ++i) {
        // A savepoint per write: one that fails is undone alone. A savepoint that cannot even
        // be taken fails its write, not the group. (Cached statements: these run per write.)
        if (auto s = cached("SAVEPOINT grouped"); !s.ok()) {
          not_run[i] = s.error();
          continue;
        }
        if (!batch[i].run(db)) (void)cached("ROLLBACK TO grouped");
        (void)cached("RELEASE grouped");
      }
      committed = exec("COMMIT");
      if (!committed.ok()) (void)exec("ROLLBACK");
    }
  }
  // Told after the writer is free. When the commit failed nothing of the group is stored: every
  // write says so (a webhook answers 503 and the platform retries).
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (!committed.ok()) {
      batch[i].finish(&committed.error());
    } else if (not_run[i]) {
      batch[i].finish(&*not_run[i]);
    } else {
      batch[i].finish(nullptr);
    }
  }
}

}  // namespace lifeline::store::sqlite
