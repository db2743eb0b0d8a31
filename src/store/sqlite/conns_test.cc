// Connections::WriteGrouped (conns.h): writes from many threads at once share commits, each is
// on disk when it returns, and one that fails is undone alone while the others commit.
#include "store/sqlite/conns.h"

#include <sqlite3.h>

#include <atomic>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "core/temp_dir.h"

namespace lifeline::store::sqlite {
namespace {

constexpr int kFlags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;

TEST(GroupedWrites, ConcurrentWritesAllCommitAndAFailingOneIsUndoneAlone) {
  testing::TempDir dir("lifeline-conns-test");
  const std::string path = dir.File("db.sqlite");
  auto writer = Db::Open(path, kFlags | SQLITE_OPEN_CREATE, std::chrono::seconds(5));
  ASSERT_TRUE(writer.ok()) << writer.error().ToString();
  ASSERT_TRUE((*writer)->Exec("PRAGMA journal_mode = WAL; CREATE TABLE t (n INTEGER PRIMARY KEY)",
                              "creating"));
  auto reader = Db::Open(path, kFlags, std::chrono::seconds(5));
  ASSERT_TRUE(reader.ok());
  Connections conns(std::move(*writer), std::move(*reader));
  constexpr int kThreads = 16, kEach = 50;
  std::atomic<int> ok = 0, refused = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        const int n = t * kEach + i;
        core::Status s = conns.WriteGrouped("inserting", [&](Db& db) -> core::Status {
          auto ins = db.Prepare("INSERT INTO t (n) VALUES (?1)");
          if (!ins) return ins.error();
          ins->Int(1, n);
          if (auto r = ins->Run(); !r.ok()) return r;
          // Every seventh fails after writing: its row must not stay.
          if (n % 7 == 0) return core::MakeError(core::ErrorCode::kInvalidArgument, "no {}", n);
          return core::Ok();
        });
        (s.ok() ? ok : refused)++;
        if (!s.ok()) {
          EXPECT_EQ(s.error().code(), core::ErrorCode::kInvalidArgument);
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  const int total = kThreads * kEach;
  const int failing = (total + 6) / 7;
  EXPECT_EQ(refused.load(), failing);
  EXPECT_EQ(ok.load(), total - failing);
  auto count = conns.Read("counting", [](Db& db) -> core::Result<std::int64_t> {
    auto sel = db.Prepare("SELECT count(*), sum(n % 7 = 0) FROM t");
    if (!sel) return sel.error();
    auto row = sel->Step();
    if (!row.ok()) return row.error();
    EXPECT_EQ(sel->ColInt(1), 0) << "a failed write left its row";
    return sel->ColInt(0);
  });
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, total - failing);
}

}  // namespace
}  // namespace lifeline::store::sqlite
