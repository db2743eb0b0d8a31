// Several instances on one PostgreSQL database: heartbeats, platform leases shared out and taken
// over when an instance dies, and the outbox recovering only a dead instance's claims
// (store/cluster.h, pg/cluster.h, OutboxStore::RecoverOrphans).
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "store/pg/store_fixture.h"

namespace lifeline::store {
namespace {

using pg::testing::MustOk;
using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAreArray;

const Time kT0 = FromMillis(1'795'773'600'000);  // 2026-11-27T10:00:00Z
constexpr milliseconds kTtl = seconds(10);

class PgCluster : public pg::testing::PgStoreTest {
 protected:
  static std::vector<std::string> Platforms(int n) {
    std::vector<std::string> out;
    for (int i = 0; i < n; ++i) out.push_back("platform-" + std::to_string(i));
    return out;
  }
  static void Beat(Store& s, Time now) {
    store::Instance me;
    me.host = "host-" + s.Cluster()->self();
    me.pid = 42;
    me.version = "test";
    me.started_at = now;  // the first beat's stays (the upsert keeps it)
    auto st = s.Cluster()->Heartbeat(me, now, kTtl);
    ASSERT_TRUE(st.ok()) << st.error().ToString();
  }
  // What the membership loop does each tick: its share is the platforms over the live instances,
  // rounded up.
  static std::vector<std::string> Tick(Store& s, const std::vector<std::string>& names, Time now) {
    Beat(s, now);
    std::size_t alive = MustOk(s.Cluster()->Alive(now)).size();
    std::size_t want = (names.size() + alive - 1) / alive;
    return MustOk(s.Cluster()->Balance(names, want, now, kTtl));
  }
  // lease name -> holder, of the leases not expired at `now`.
  std::map<std::string, std::string> Holders(Store& s, Time now) {
    std::map<std::string, std::string> out;
    for (const Lease& l : MustOk(s.Cluster()->Leases())) {
      if (l.expires_at > now) out[l.name] = l.holder;
    }
    return out;
  }
};

TEST_F(PgCluster, EachOpenIsAnInstanceOfItsOwnAndSqliteHasNoCluster) {
  auto a = Instance();
  auto b = Instance();
  ASSERT_NE(a->Cluster(), nullptr);
  EXPECT_NE(a->Cluster()->self(), b->Cluster()->self());
  Beat(*a, kT0);
  Beat(*b, kT0 + seconds(1));
  auto alive = MustOk(a->Cluster()->Alive(kT0 + seconds(5)));
  ASSERT_EQ(alive.size(), 2u);
  EXPECT_EQ(alive[0].host, "host-" + a->Cluster()->self());
  EXPECT_EQ(alive[1].last_seen, kT0 + seconds(1));
  // a stops beating: dead once its ttl has passed, b still alive.
  alive = MustOk(a->Cluster()->Alive(kT0 + seconds(10)));
  ASSERT_EQ(alive.size(), 1u);
  EXPECT_EQ(alive[0].id, b->Cluster()->self());
  EXPECT_EQ(MustOk(b->Cluster()->PruneDead(kT0 + seconds(11))), 1);

  auto bad = a->Cluster()->Heartbeat({}, kT0, milliseconds(0));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code(), core::ErrorCode::kInvalidArgument);
  std::vector<std::string> twice = {"x", "x"};
  auto dup = a->Cluster()->Balance(twice, 2, kT0, kTtl);
  ASSERT_FALSE(dup.ok());
  EXPECT_THAT(dup.error().message(), ::testing::HasSubstr("names[1]"));

  std::string dir = ::testing::TempDir() + "/lifeline-cluster-XXXXXX";
  ASSERT_NE(mkdtemp(dir.data()), nullptr);
  {
    auto sqlite = MustOk(OpenSqlite(dir + "/lifeline.db"));
    EXPECT_EQ(sqlite->Cluster(), nullptr);
  }
  std::filesystem::remove_all(dir);
}

TEST_F(PgCluster, ThreeInstancesShareThePlatformsAndTheLivingTakeOverADeadOnesWithinItsTtl) {
  auto names = Platforms(9);
  std::vector<std::unique_ptr<Store>> inst;
  for (int i = 0; i < 3; ++i) inst.push_back(Instance());
  for (auto& s : inst) Beat(*s, kT0);  // all three are up before the first balance

  std::set<std::string> all;
  for (auto& s : inst) {
    auto held = Tick(*s, names, kT0);
    EXPECT_EQ(held.size(), 3u);
    for (const auto& n : held) EXPECT_TRUE(all.insert(n).second) << n << " held twice";
  }
  EXPECT_EQ(all.size(), 9u);

  // The third dies (kill -9: no Leave). Before its ttl runs out its platforms stay its own.
  std::string dead = inst[2]->Cluster()->self();
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(Tick(*inst[static_cast<std::size_t>(i)], names, kT0 + seconds(5)).size(), 3u);
  }
  // After it: the two living hold everything between them, nothing twice.
  Time later = kT0 + seconds(11);
  auto a = Tick(*inst[0], names, later);
  auto b = Tick(*inst[1], names, later);
  EXPECT_EQ(a.size(), 5u);
  EXPECT_EQ(b.size(), 4u);
  auto holders = Holders(*inst[0], later);
  EXPECT_EQ(holders.size(), 9u);
  for (const auto& [name, holder] : holders) EXPECT_NE(holder, dead) << name;
  std::set<std::string> both(a.begin(), a.end());
  both.insert(b.begin(), b.end());
  EXPECT_EQ(both.size(), 9u);
}

TEST_F(PgCluster, ANewInstanceGetsItsShareAndALeavingOneHandsOverAtOnce) {
  auto names = Platforms(6);
  auto a = Instance();
  auto b = Instance();
  EXPECT_EQ(Tick(*a, names, kT0).size(), 6u);  // alone: everything
  // b joins: nothing is free until a gives back its extra share at its next tick.
  EXPECT_THAT(Tick(*b, names, kT0 + seconds(1)), IsEmpty());
  EXPECT_EQ(Tick(*a, names, kT0 + seconds(2)).size(), 3u);
  EXPECT_EQ(Tick(*b, names, kT0 + seconds(3)).size(), 3u);
  // a keeps its oldest three, in the order given.
  EXPECT_THAT(MustOk(a->Cluster()->Balance(names, 3, kT0 + seconds(4), kTtl)),
              ElementsAre("platform-0", "platform-1", "platform-2"));

  // A clean stop gives everything back at once, not after the ttl.
  ASSERT_TRUE(a->Cluster()->Leave().ok());
  EXPECT_EQ(Tick(*b, names, kT0 + seconds(5)).size(), 6u);
  EXPECT_EQ(MustOk(b->Cluster()->Alive(kT0 + seconds(5))).size(), 1u);

  // A name no longer configured is given back.
  std::vector<std::string> fewer(names.begin(), names.begin() + 2);
  EXPECT_THAT(MustOk(b->Cluster()->Balance(fewer, 6, kT0 + seconds(6), kTtl)),
              ElementsAre("platform-0", "platform-1"));
  EXPECT_EQ(MustOk(b->Cluster()->Leases()).size(), 2u);
}

TEST_F(PgCluster, InstancesBalancingAtOnceNeverHoldOneLeaseTogether) {
  auto names = Platforms(40);
  std::vector<std::unique_ptr<Store>> inst;
  for (int i = 0; i < 3; ++i) inst.push_back(Instance());
  std::mutex mu;  // guards got
  std::vector<std::vector<std::string>> got(3);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < 3; ++i) {
    threads.emplace_back([&, i] {
      // Each greedy: wants everything, at the same instant.
      auto held = inst[i]->Cluster()->Balance(names, names.size(), kT0, kTtl);
      ASSERT_TRUE(held.ok()) << held.error().ToString();
      std::lock_guard lock(mu);
      got[i] = *held;
    });
  }
  for (auto& t : threads) t.join();
  std::map<std::string, int> count;
  for (const auto& held : got) {
    for (const auto& n : held) ++count[n];
  }
  EXPECT_EQ(count.size(), names.size());
  for (const auto& [name, n] : count) EXPECT_EQ(n, 1) << name << " held by " << n;
}

TEST_F(PgCluster, TheFirstInstancesSecretIsEveryonesAtOnce) {
  std::vector<std::unique_ptr<Store>> inst;
  for (int i = 0; i < 4; ++i) inst.push_back(Instance());
  std::vector<std::string> got(inst.size());
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < inst.size(); ++i) {
    threads.emplace_back([&, i] {
      auto kept = inst[i]->Cluster()->SharedSecret("playbook.link", fmt::format("secret-{}", i));
      ASSERT_TRUE(kept.ok()) << kept.error().ToString();
      got[i] = *kept;
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_THAT(got[0], ::testing::StartsWith("secret-"));
  for (const auto& g : got) EXPECT_EQ(g, got[0]);
  // Kept for good: a later instance with its own candidate gets the same one; another name is
  // its own.
  EXPECT_EQ(MustOk(Instance()->Cluster()->SharedSecret("playbook.link", "later")), got[0]);
  EXPECT_EQ(MustOk(inst[1]->Cluster()->SharedSecret("other", "x")), "x");
  EXPECT_FALSE(inst[1]->Cluster()->SharedSecret("", "x").ok());
  EXPECT_FALSE(inst[1]->Cluster()->SharedSecret("playbook.link", "").ok());
}

NewMessage Msg(const std::string& key, const std::string& channel) {
  NewMessage m;
  m.idempotency_key = key;
  m.channel = channel;
  m.text = "Instagram is down; we answer on Telegram";
  m.created_at = kT0;
  return m;
}

TEST_F(PgCluster, OnlyADeadInstancesClaimsAreRecoveredAndItsLateOutcomeIsRefused) {
  auto live = Instance();
  auto doomed = Instance();
  auto other = Instance();
  std::vector<NewMessage> batch = {Msg("a1", "telegram"), Msg("a2", "telegram"),
                                   Msg("d1", "telegram"), Msg("d2", "email")};
  MustOk(live->Outbox().Enqueue(batch));
  Beat(*live, kT0);
  Beat(*doomed, kT0);
  ClaimRequest tg{"telegram", 2, false};
  auto mine = MustOk(live->Outbox().ClaimDue(kT0, std::span(&tg, 1)));
  ClaimRequest reqs[] = {{"telegram", 5, false}, {"email", 5, false}};
  auto theirs = MustOk(doomed->Outbox().ClaimDue(kT0, reqs));
  ASSERT_EQ(mine.size(), 2u);
  ASSERT_EQ(theirs.size(), 2u);

  std::vector<std::string> dedupe = {"telegram"};
  // While both live, nobody's claims are touched, not even by a restarting instance.
  EXPECT_THAT(MustOk(other->Outbox().RecoverOrphans(kT0 + seconds(5), dedupe)), IsEmpty());
  EXPECT_THAT(MustOk(other->Outbox().RecoverAfterCrash(kT0 + seconds(5), dedupe)), IsEmpty());

  // `doomed` is killed; `live` keeps beating. Past doomed's ttl its two claims come back: the
  // Telegram one queued again (Telegram deduplicates), the e-mail one for a person to decide.
  Beat(*live, kT0 + seconds(11));
  auto recovered = MustOk(other->Outbox().RecoverOrphans(kT0 + seconds(12), dedupe));
  std::map<std::string, MessageState> states;
  for (const auto& m : recovered) states[m.idempotency_key] = m.state;
  EXPECT_EQ(states, (std::map<std::string, MessageState>{{"d1", MessageState::kQueued},
                                                         {"d2", MessageState::kUnconfirmed}}));
  auto detail = MustOk(other->Outbox().Get(recovered[0].id));
  EXPECT_THAT(detail.events.back().detail, ::testing::HasSubstr("the instance sending it stopped"));
  // The living instance's claims are still its own: its outcome is recorded.
  MessageUpdate done;
  done.id = mine[0].id;
  done.state = MessageState::kDelivered;
  done.at = kT0 + seconds(12);
  EXPECT_EQ(MustOk(live->Outbox().Update(std::span(&done, 1))).size(), 1u);

  // The Telegram message is claimed again by another; the dead instance's late outcome (it was
  // only stalled) is refused, so the new claim is not overwritten.
  ClaimRequest again{"telegram", 5, false};
  auto retaken = MustOk(other->Outbox().ClaimDue(kT0 + seconds(12), std::span(&again, 1)));
  ASSERT_EQ(retaken.size(), 1u);
  MessageUpdate late;
  late.id = retaken[0].id;
  late.state = MessageState::kDelivered;
  late.at = kT0 + seconds(13);
  EXPECT_THAT(MustOk(doomed->Outbox().Update(std::span(&late, 1))), IsEmpty());
  EXPECT_EQ(MustOk(other->Outbox().Get(retaken[0].id)).message.state, MessageState::kSending);
  // A recovery by the claimer itself never takes its own claims (nor the live one's).
  Beat(*live, kT0 + seconds(25));
  EXPECT_THAT(MustOk(other->Outbox().RecoverOrphans(kT0 + seconds(30), dedupe)), IsEmpty());
}

// A relay in a process that never beats (no membership loop: a tool, a benchmark) is alive as far
// as anyone can tell while its claims are fresh: running relays must not send its messages a
// second time. Only a claim 5 minutes old is taken for abandoned.
TEST_F(PgCluster, ASilentClaimersFreshClaimsAreLeftAloneAndOldOnesRecovered) {
  auto silent = Instance();
  auto running = Instance();
  std::vector<NewMessage> batch = {Msg("s1", "telegram")};
  MustOk(silent->Outbox().Enqueue(batch));
  ClaimRequest tg{"telegram", 5, false};
  ASSERT_EQ(MustOk(silent->Outbox().ClaimDue(kT0, std::span(&tg, 1))).size(), 1u);
  Beat(*running, kT0 + seconds(60));
  std::vector<std::string> dedupe = {"telegram"};
  EXPECT_THAT(MustOk(running->Outbox().RecoverOrphans(kT0 + seconds(60), dedupe)), IsEmpty());
  Beat(*running, kT0 + std::chrono::minutes(6));
  auto recovered = MustOk(running->Outbox().RecoverOrphans(kT0 + std::chrono::minutes(6), dedupe));
  ASSERT_EQ(recovered.size(), 1u);
  EXPECT_EQ(recovered[0].state, MessageState::kQueued);
}

// What three relays do at once: each step records outcomes, enqueues and claims, on the same
// channels. The outbox's per-state counters once deadlocked here (each instance locked the counter
// rows in another order); every step must succeed and the counters must add up.
TEST_F(PgCluster, ThreeRelaysSteppingAtOnceNeverDeadlockAndTheCountersAddUp) {
  constexpr int kSteps = 40;
  constexpr int kPerStep = 8;
  std::vector<std::unique_ptr<Store>> inst;
  for (int i = 0; i < 3; ++i) inst.push_back(Instance(4));
  std::atomic<int> failures{0};
  std::mutex mu;  // guards first_error
  std::string first_error;
  std::vector<std::thread> threads;
  for (int w = 0; w < 6; ++w) {
    threads.emplace_back([&, w] {
      Store& s = *inst[static_cast<std::size_t>(w) % 3];
      std::vector<MessageUpdate> outcomes;
      for (int step = 0; step < kSteps + 2; ++step) {
        std::vector<NewMessage> news;
        for (int k = 0; step < kSteps && k < kPerStep; ++k) {
          news.push_back(Msg(fmt::format("w{}-s{}-{}", w, step, k), k % 2 ? "telegram" : "email"));
        }
        ClaimRequest claims[] = {{"telegram", 6, false}, {"email", 6, false}};
        auto r = s.Outbox().Step({outcomes, news, kT0 + seconds(1), claims});
        outcomes.clear();
        if (!r.ok()) {
          ++failures;
          std::lock_guard lock(mu);
          if (first_error.empty()) first_error = r.error().ToString();
          continue;
        }
        for (const auto& m : r->claimed) {
          MessageUpdate u;
          u.id = m.id;
          u.state = MessageState::kDelivered;
          u.at = kT0 + seconds(2);
          outcomes.push_back(u);
        }
      }
      if (!outcomes.empty()) {
        auto last = s.Outbox().Update(outcomes);
        EXPECT_TRUE(last.ok()) << last.error().ToString();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0) << first_error;
  std::int64_t total = 0;
  for (const auto& c : MustOk(inst[0]->Outbox().Counts())) total += c.count;
  EXPECT_EQ(total, 6 * kSteps * kPerStep);  // every message counted once, whatever its state
  // Counted the same by another instance, before and after the fold.
  std::int64_t again = 0;
  for (const auto& c : MustOk(inst[2]->Outbox().Counts())) again += c.count;
  EXPECT_EQ(again, total);
}

}  // namespace
}  // namespace lifeline::store
