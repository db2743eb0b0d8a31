// Connections::WriteGrouped and WriteGroupedAsync (conns.h): writes from many threads at once
// share commits, each is on disk when it returns (or when it is told), and one that fails is
// undone alone while the others commit.
#include "store/sqlite/conns.h"

#include <sqlite3.h>

#include <atomic>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "core/temp_dir.h"

namespace lifeline::store::sqlite {
namespace {

constexpr int kFlags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;

// A table t (n INTEGER PRIMARY KEY) in WAL mode, with its writer and reader.
std::unique_ptr<Connections> OpenTable(const std::string& path) {
  auto writer = Db::Open(path, kFlags | SQLITE_OPEN_CREATE, std::chrono::seconds(5));
  EXPECT_TRUE(writer.ok()) << writer.error().ToString();
  EXPECT_TRUE((*writer)->Exec(
      "PRAGMA journal_mode = WAL; CREATE TABLE IF NOT EXISTS t (n INTEGER PRIMARY KEY)",
      "creating"));
  auto reader = Db::Open(path, kFlags, std::chrono::seconds(5));
  EXPECT_TRUE(reader.ok());
  return std::make_unique<Connections>(std::move(*writer), std::move(*reader));
}

// Inserts n; every seventh fails after writing (its row must not stay).
core::Status Insert(Db& db, int n) {
  auto ins = db.Prepare("INSERT INTO t (n) VALUES (?1)");
  if (!ins) return ins.error();
  ins->Int(1, n);
  if (auto r = ins->Run(); !r.ok()) return r;
  if (n % 7 == 0) return core::MakeError(core::ErrorCode::kInvalidArgument, "no {}", n);
  return core::Ok();
}

std::int64_t Rows(Connections& conns) {
  auto count = conns.Read("counting", [](Db& db) -> core::Result<std::int64_t> {
    auto sel = db.Prepare("SELECT count(*), sum(n % 7 = 0) FROM t");
    if (!sel) return sel.error();
    auto row = sel->Step();
    if (!row.ok()) return row.error();
    EXPECT_EQ(sel->ColInt(1), 0) << "a failed write left its row";
    return sel->ColInt(0);
  });
  EXPECT_TRUE(count.ok());
  return count.ok() ? *count : -1;
}

TEST(GroupedWrites, ConcurrentWritesAllCommitAndAFailingOneIsUndoneAlone) {
  testing::TempDir dir("lifeline-conns-test");
  auto owned = OpenTable(dir.File("db.sqlite"));
  Connections& conns = *owned;
  constexpr int kThreads = 16, kEach = 50;
  std::atomic<int> ok = 0, refused = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        const int n = t * kEach + i;
        core::Status s = conns.WriteGrouped("inserting", [&](Db& db) { return Insert(db, n); });
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
  EXPECT_EQ(Rows(conns), total - failing);
}

// Writes handed over without waiting are each told once, after their commit — a failing one
// with its error, alone — and what was handed over before the store closes is still committed
// and told.
TEST(GroupedWrites, AsyncWritesAreToldAfterTheirCommitAndNoneIsLostAtClose) {
  testing::TempDir dir("lifeline-conns-test");
  const std::string path = dir.File("db.sqlite");
  constexpr int kWrites = 500;
  std::mutex mu;
  std::vector<std::optional<core::Status>> told(kWrites);
  int seen_by_reader = 0;
  {
    auto conns = OpenTable(path);
    Connections* raw = conns.get();
    for (int n = 0; n < kWrites; ++n) {
      raw->WriteGroupedAsync(
          "inserting", [n](Db& db) { return Insert(db, n); },
          [&, n, raw](core::Status s) {
            // Told on the committing thread after the commit: the reader sees the row.
            if (s.ok()) {
              auto seen = raw->Read("reading", [n](Db& db) -> core::Result<bool> {
                auto sel = db.Prepare("SELECT 1 FROM t WHERE n = ?1");
                if (!sel) return sel.error();
                sel->Int(1, n);
                return sel->Step();
              });
              std::lock_guard lock(mu);
              if (seen.ok() && *seen) ++seen_by_reader;
            }
            std::lock_guard lock(mu);
            EXPECT_FALSE(told[n].has_value()) << n << " told twice";
            told[n] = s;
          });
    }
    // Closing now: the committing thread finishes what waits first.
  }
  const int failing = (kWrites + 6) / 7;
  int ok = 0;
  for (int n = 0; n < kWrites; ++n) {
    ASSERT_TRUE(told[n].has_value()) << n << " never told";
    if (n % 7 == 0) {
      ASSERT_FALSE(told[n]->ok());
      EXPECT_EQ(told[n]->error().code(), core::ErrorCode::kInvalidArgument);
    } else {
      EXPECT_TRUE(told[n]->ok()) << told[n]->error().ToString();
      ++ok;
    }
  }
  EXPECT_EQ(ok, kWrites - failing);
  EXPECT_EQ(seen_by_reader, kWrites - failing);
  auto reopened = OpenTable(path);
  EXPECT_EQ(Rows(*reopened), kWrites - failing);
}

}  // namespace
}  // namespace lifeline::store::sqlite
