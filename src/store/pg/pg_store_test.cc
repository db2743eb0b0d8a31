// PostgreSQL-only store checks: the factory's refusals, connection errors, migrations under
// concurrent opens, and several instances (separate Store objects, each with its own sessions) on
// one database claiming outbox messages and timers without sharing one.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <atomic>
#include <map>
#include <set>
#include <thread>

#include "store/pg/outbox.h"
#include "store/pg/pg_store.h"
#include "store/pg/store_fixture.h"
#include "store/pg/test_cluster.h"
#include "store/store.h"

namespace lifeline::store {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::HasSubstr;
using ::testing::Not;

const Time kT0 = FromMillis(1'795'773'600'000);  // 2026-11-27T10:00:00Z

template <typename T>
T Must(core::Result<T> r) {
  if (!r.ok()) {
    ADD_FAILURE() << r.error().ToString();
    std::abort();
  }
  return std::move(r).value();
}

// ---- Without a server ----

TEST(PostgresOpen, RefusesAUrlThatIsNotPostgresOrHoldsAPassword) {
  PostgresOptions pg;
  pg.url = "mysql://root@localhost/x";
  auto a = OpenPostgres(pg);
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().code(), core::ErrorCode::kInvalidArgument);
  EXPECT_THAT(a.error().message(), HasSubstr("postgresql://"));

  pg.url = "postgresql://lifeline:hunter2@db.example/lifeline";
  auto b = OpenPostgres(pg);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().code(), core::ErrorCode::kInvalidArgument);
  EXPECT_THAT(b.error().message(), HasSubstr("password: { env: NAME }"));
  EXPECT_THAT(b.error().message(), Not(HasSubstr("hunter2")));

  pg.url = "postgresql://lifeline@db.example/lifeline?bogus_option=1";
  auto c = OpenPostgres(pg);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code(), core::ErrorCode::kInvalidArgument);
  EXPECT_THAT(c.error().message(), HasSubstr("bogus_option"));
}

// ---- Against the test cluster ----

// Several instances (separate Store objects) on one fresh database per test.
using PostgresStore = pg::testing::PgStoreTest;

TEST_F(PostgresStore, ConnectionErrorsSayWhatIsWrong) {
  PostgresOptions pg;
  pg.url = cluster_->Url("no_such_database");
  auto missing = OpenPostgres(pg);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), core::ErrorCode::kNotFound);
  EXPECT_THAT(missing.error().message(), HasSubstr("no_such_database"));

  pg.url = "postgresql://lifeline@/x?host=/nonexistent-socket-dir&port=5432";
  auto unreachable = OpenPostgres(pg);
  ASSERT_FALSE(unreachable.ok());
  EXPECT_EQ(unreachable.error().code(), core::ErrorCode::kUnavailable);
  EXPECT_THAT(unreachable.error().message(), HasSubstr("cannot connect"));
}

TEST_F(PostgresStore, RefusesAnotherProgramsDatabaseAndLeavesItAlone) {
  PGconn* raw = Raw();
  PQclear(PQexec(raw, "CREATE TABLE customers (id integer)"));
  auto s = OpenPostgres({url_, "", 2});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), core::ErrorCode::kFailedPrecondition);
  EXPECT_THAT(s.error().message(), HasSubstr("another program's database"));
  PGresult* r = PQexec(raw, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'");
  EXPECT_STREQ(PQgetvalue(r, 0, 0), "1");  // no schema_version, nothing else added
  PQclear(r);
  PQfinish(raw);
}

TEST_F(PostgresStore, RefusesASchemaNewerThanThisBinary) {
  { auto first = Instance(); }
  PGconn* raw = Raw();
  PQclear(PQexec(raw, "INSERT INTO schema_version VALUES (999, '0999_future', 0)"));
  PQfinish(raw);
  auto s = OpenPostgres({url_, "", 2});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), core::ErrorCode::kFailedPrecondition);
  EXPECT_THAT(s.error().message(), HasSubstr("newer than this lifeline supports"));
}

TEST_F(PostgresStore, InstancesOpeningANewDatabaseAtOnceMigrateItOnce) {
  constexpr int kInstances = 4;
  std::vector<std::thread> threads;
  std::atomic<int> opened{0};
  for (int i = 0; i < kInstances; ++i) {
    threads.emplace_back([&] {
      auto s = OpenPostgres({url_, "", 1});
      EXPECT_TRUE(s.ok()) << s.error().ToString();
      if (s.ok()) ++opened;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(opened.load(), kInstances);
  PGconn* raw = Raw();
  PGresult* r = PQexec(raw, "SELECT count(*), count(DISTINCT version) FROM schema_version");
  EXPECT_STREQ(PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1));  // each version recorded once
  PQclear(r);
  PQfinish(raw);
}

TEST_F(PostgresStore, AClaimSkipsMessagesAnotherSessionHoldsInsteadOfWaiting) {
  auto store = Instance();
  std::vector<NewMessage> batch;
  for (int i = 0; i < 3; ++i) {
    NewMessage m;
    m.idempotency_key = "k" + std::to_string(i);
    m.channel = "telegram";
    m.text = "hello";
    m.created_at = kT0 + milliseconds(i);
    batch.push_back(m);
  }
  auto queued = Must(store->Outbox().Enqueue(batch));
  // Another instance is in the middle of claiming the earliest message: its row is locked.
  PGconn* raw = Raw();
  PQclear(PQexec(raw, "BEGIN"));
  std::string lock = "SELECT 1 FROM messages WHERE id = '" + queued[0].message.id + "' FOR UPDATE";
  PGresult* held = PQexec(raw, lock.c_str());
  ASSERT_EQ(PQresultStatus(held), PGRES_TUPLES_OK) << PQresultErrorMessage(held);
  PQclear(held);

  ClaimRequest req{"telegram", 1, false};
  auto start = std::chrono::steady_clock::now();
  auto claimed = Must(store->Outbox().ClaimDue(kT0 + seconds(1), std::span(&req, 1)));
  // Not blocked until the lock timeout (5 s), and not empty-handed: the next due message.
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(4));
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].id, queued[1].message.id);
  PQclear(PQexec(raw, "ROLLBACK"));
  PQfinish(raw);
}

TEST_F(PostgresStore, ThreeInstancesNeverClaimTheSameMessage) {
  constexpr int kMessages = 300;
  auto first = Instance();
  std::vector<NewMessage> batch;
  for (int i = 0; i < kMessages; ++i) {
    NewMessage m;
    m.idempotency_key = "m" + std::to_string(i);
    m.channel = i % 2 ? "telegram" : "email";
    m.text = "Instagram is down";
    m.created_at = kT0 + milliseconds(i);
    batch.push_back(m);
  }
  ASSERT_EQ(Must(first->Outbox().Enqueue(batch)).size(), static_cast<std::size_t>(kMessages));
  std::vector<std::unique_ptr<Store>> instances;
  instances.push_back(std::move(first));
  instances.push_back(Instance());
  instances.push_back(Instance());

  std::mutex mu;  // guards seen
  std::map<std::string, int> seen;
  std::vector<std::thread> threads;
  for (auto& inst : instances) {
    for (int worker = 0; worker < 2; ++worker) {
      threads.emplace_back([&, s = inst.get()] {
        ClaimRequest reqs[] = {{"telegram", 7, false}, {"email", 5, false}};
        while (true) {
          auto got = s->Outbox().ClaimDue(kT0 + seconds(10), reqs);
          ASSERT_TRUE(got.ok()) << got.error().ToString();
          if (got->empty()) return;
          std::lock_guard lock(mu);
          for (const auto& m : *got) ++seen[m.id];
        }
      });
    }
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kMessages));
  for (const auto& [id, n] : seen) EXPECT_EQ(n, 1) << id << " was claimed " << n << " times";
  auto counts = Must(instances[0]->Outbox().Counts());
  std::int64_t sending = 0;
  for (const auto& c : counts) {
    if (c.state == MessageState::kSending) sending += c.count;
  }
  EXPECT_EQ(sending, kMessages);
}

TEST_F(PostgresStore, ATimerFiresOnceAcrossInstancesAndAgainOnlyAfterItsLease) {
  constexpr int kTimers = 200;
  std::vector<std::unique_ptr<Store>> instances;
  for (int i = 0; i < 3; ++i) instances.push_back(Instance());
  for (int i = 0; i < kTimers; ++i) {
    NewTimer t;
    t.key = "escalate/" + std::to_string(i);
    t.kind = i % 3 ? "playbook.escalate" : "ads.resume";
    t.due = kT0 + milliseconds(i);
    t.created_at = kT0;
    ASSERT_TRUE(instances[static_cast<std::size_t>(i) % 3]->Timers().Schedule(t).ok());
  }
  std::mutex mu;                             // guards fired
  std::map<std::string, std::string> fired;  // key -> worker
  std::atomic<int> duplicates{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i) {
    threads.emplace_back([&, i] {
      std::string worker = "instance-" + std::to_string(i);
      while (true) {
        auto got = instances[static_cast<std::size_t>(i)]->Timers().ClaimDue(
            kT0 + seconds(1), worker, seconds(30), 4);
        ASSERT_TRUE(got.ok()) << got.error().ToString();
        if (got->empty()) return;
        for (const Timer& t : *got) {
          {
            std::lock_guard lock(mu);
            if (!fired.emplace(t.key, worker).second) ++duplicates;
          }
          auto done = instances[static_cast<std::size_t>(i)]->Timers().Complete(t.id, worker,
                                                                                kT0 + seconds(1));
          EXPECT_TRUE(done.ok()) << done.error().ToString();
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(duplicates.load(), 0);
  EXPECT_EQ(fired.size(), static_cast<std::size_t>(kTimers));

  // A claim whose worker dies is taken over by another instance once the lease ran out, not
  // before; the dead worker's late Complete is then refused.
  NewTimer t;
  t.key = "settle/inc_1";
  t.kind = "playbook.escalate";
  t.due = kT0;
  t.created_at = kT0;
  ASSERT_TRUE(instances[0]->Timers().Schedule(t).ok());
  auto a = Must(instances[0]->Timers().ClaimDue(kT0 + seconds(2), "a", seconds(30), 10));
  ASSERT_EQ(a.size(), 1u);
  EXPECT_TRUE(
      Must(instances[1]->Timers().ClaimDue(kT0 + seconds(31), "b", seconds(30), 10)).empty());
  auto b = Must(instances[1]->Timers().ClaimDue(kT0 + seconds(32), "b", seconds(30), 10));
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].key, "settle/inc_1");
  auto late = instances[0]->Timers().Complete(a[0].id, "a", kT0 + seconds(33));
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.error().code(), core::ErrorCode::kFailedPrecondition);
  EXPECT_TRUE(instances[1]->Timers().Complete(b[0].id, "b", kT0 + seconds(33)).ok());
}

TEST_F(PostgresStore, IncidentEventsFromSeveralInstancesStayGapFree) {
  std::vector<std::unique_ptr<Store>> instances;
  for (int i = 0; i < 3; ++i) instances.push_back(Instance());
  NewIncident ni;
  ni.platforms = {"instagram"};
  ni.title = "down";
  ni.opened_at = kT0;
  auto inc = Must(instances[0]->OpenIncident(ni));
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i) {
    threads.emplace_back([&, i] {
      for (int n = 0; n < 20; ++n) {
        auto ev = instances[static_cast<std::size_t>(i)]->AppendEvent(
            inc.id, {kT0 + seconds(n), "note", "from " + std::to_string(i), "{}"});
        EXPECT_TRUE(ev.ok()) << ev.error().ToString();
      }
    });
  }
  for (auto& t : threads) t.join();
  auto events = Must(instances[2]->ListEvents(inc.id, 0, 1000));
  ASSERT_EQ(events.size(), 61u);
  for (std::size_t i = 0; i < events.size(); ++i) EXPECT_EQ(events[i].seq, std::int64_t(i) + 1);
  // Closing from two instances at once: one closes, the other is told it is already closed.
  std::atomic<int> closed{0};
  std::atomic<int> refused{0};
  std::vector<std::thread> closers;
  for (int i = 0; i < 2; ++i) {
    closers.emplace_back([&, i] {
      auto c = instances[static_cast<std::size_t>(i)]->CloseIncident(
          inc.id, {kT0 + seconds(100), "", "back", "{}"});
      if (c.ok()) {
        ++closed;
      } else if (c.error().code() == core::ErrorCode::kFailedPrecondition) {
        ++refused;
      }
    });
  }
  for (auto& t : closers) t.join();
  EXPECT_EQ(closed.load(), 1);
  EXPECT_EQ(refused.load(), 1);
  EXPECT_EQ(Must(instances[0]->ListEvents(inc.id, 0, 1000)).size(), 62u);
}

// Every instance's writer rolls up the pending minutes each minute: at once, they never wait on
// each other's rows (which failed with a lock timeout), and each minute is rolled up exactly.
TEST_F(PostgresStore, InstancesRollingUpAtOnceNeitherFailNorMiscount) {
  std::vector<std::unique_ptr<Store>> instances;
  for (int i = 0; i < 3; ++i) instances.push_back(Instance());
  constexpr int kMinutes = 5, kPlatforms = 300;
  std::vector<ProbeSample> samples;
  for (int m = 0; m < kMinutes; ++m) {
    for (int p = 0; p < kPlatforms; ++p) {
      ProbeSample s;
      s.platform = "site" + std::to_string(p);
      s.probe_id = "web";
      s.at = kT0 + std::chrono::minutes(m) + seconds(p % 60);
      s.ok = p % 7 != 0;
      s.total_ms = 10.0 + p % 13;
      samples.push_back(std::move(s));
    }
  }
  ASSERT_TRUE(instances[0]->AddProbeSamples(samples).ok());
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (auto& inst : instances) {
    threads.emplace_back([&, s = inst.get()] {
      for (int k = 0; k < 5; ++k) {
        auto r = s->RollupPending(kT0 + std::chrono::minutes(kMinutes));
        if (!r.ok()) {
          ADD_FAILURE() << r.error().ToString();
          ++failures;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  // While another instance rolls up (holding the rollup's lock; a minute of 100,000 platforms
  // takes seconds), the pending rollup returns at once, with nothing done and no error.
  std::vector<ProbeSample> late = {samples.front()};
  late[0].platform = "late-site";
  ASSERT_TRUE(instances[0]->AddProbeSamples(late).ok());  // reopens minute 0
  PGconn* other = Raw();
  PQclear(PQexec(other, fmt::format("SELECT pg_advisory_lock({})", pg::kRollupLockKey).c_str()));
  const auto before = std::chrono::steady_clock::now();
  auto skipped = instances[2]->RollupPending(kT0 + std::chrono::minutes(kMinutes + 1));
  ASSERT_TRUE(skipped.ok()) << skipped.error().ToString();
  EXPECT_EQ(skipped->minutes, 0);
  EXPECT_LT(std::chrono::steady_clock::now() - before, seconds(4)) << "it waited for the lock";
  PQclear(PQexec(other, fmt::format("SELECT pg_advisory_unlock({})", pg::kRollupLockKey).c_str()));
  PQfinish(other);
  // Its turn comes at the next rollup: from the reopened minute on.
  auto later = instances[2]->RollupPending(kT0 + std::chrono::minutes(kMinutes + 1));
  ASSERT_TRUE(later.ok()) << later.error().ToString();
  EXPECT_EQ(later->minutes, kMinutes);
  // Whoever rolled it up, every minute of every platform is there once, with every sample.
  for (int p = 0; p < kPlatforms; p += 37) {
    AggregateQuery q;
    q.platform = "site" + std::to_string(p);
    q.range = {kT0, kT0 + std::chrono::minutes(kMinutes)};
    auto got = instances[1]->ListAggregates(q);
    ASSERT_TRUE(got.ok()) << got.error().ToString();
    ASSERT_EQ(got->size(), static_cast<std::size_t>(kMinutes)) << q.platform;
    for (const auto& a : *got) {
      EXPECT_EQ(a.count, 1);
      EXPECT_EQ(a.ok_count, p % 7 != 0 ? 1 : 0);
    }
  }
}

}  // namespace
}  // namespace lifeline::store
