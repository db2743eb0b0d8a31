// The group commit of Connections::WriteGrouped (conns.h).
#include "store/sqlite/conns.h"

#include <fmt/format.h>

namespace lifeline::store::sqlite {

void Connections::RunGrouped(std::string_view doing, GroupJob& job) {
  std::unique_lock lock(group_mu_);
  group_.push_back(&job);
  while (!job.done) {
    if (leading_) {
      group_cv_.wait(lock);
      continue;
    }
    // Lead: take what waits (this job among it) and commit it together.
    leading_ = true;
    std::vector<GroupJob*> batch;
    while (!group_.empty() && batch.size() < kGroupMax) {
      batch.push_back(group_.front());
      group_.pop_front();
    }
    lock.unlock();
    CommitGroup(doing, batch);
    lock.lock();
    for (GroupJob* j : batch) j->done = true;
    leading_ = false;
    group_cv_.notify_all();
  }
}

void Connections::CommitGroup(std::string_view doing, const std::vector<GroupJob*>& batch) {
  core::Status committed = core::Ok();
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
      for (GroupJob* j : batch) {
        // A savepoint per write: one that fails is undone alone. A savepoint that cannot even
        // be taken fails its write, not the group. (Cached statements: these run per write.)
        if (auto s = cached("SAVEPOINT grouped"); !s.ok()) {
          j->fail(s.error());
          continue;
        }
        if (!j->run(db)) (void)cached("ROLLBACK TO grouped");
        (void)cached("RELEASE grouped");
      }
      committed = exec("COMMIT");
      if (!committed.ok()) (void)exec("ROLLBACK");
    }
  }
  if (!committed.ok()) {
    // Nothing of the group is stored: every write says so (the webhook answers 503 and the
    // platform retries).
    for (GroupJob* j : batch) j->fail(committed.error());
  }
}

}  // namespace lifeline::store::sqlite
