// serve::Membership against a real PostgreSQL (the test process's throw-away cluster): the
// heartbeat keeps an instance alive, three instances share the leases out once each, a killed
// instance's leases are taken over once they run out, and a clean stop gives them back at once.
#include "serve/cluster.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "store/pg/store_fixture.h"

namespace lifeline::serve {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;

store::Time Now() { return store::FromSystem(std::chrono::system_clock::now()); }

class MembershipTest : public store::pg::testing::PgStoreTest {
 protected:
  MembershipOptions Options() { return {.ttl = milliseconds(900), .version = "test"}; }
  // Polls until `pred` holds (the state a user would see), at most 10 s.
  template <typename F>
  bool WaitFor(F pred) {
    for (auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
         std::chrono::steady_clock::now() < until; std::this_thread::sleep_for(milliseconds(20))) {
      if (pred()) return true;
    }
    return pred();
  }
};

// What each instance holds, as its on_held callback last said (called on two threads).
class Held {
 public:
  std::function<void(const std::vector<std::string>&)> Sink() {
    return [this](const std::vector<std::string>& names) {
      std::lock_guard lock(mu_);
      names_ = names;
    };
  }
  std::vector<std::string> names() {
    std::lock_guard lock(mu_);
    return names_;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> names_;
};

const std::vector<std::string> kDomains = {"domain:meta", "domain:google", "platform:x",
                                           "platform:telegram", "domain:bytedance"};

// Every name held by exactly one of `held`.
bool SharedOnce(std::vector<Held*> held) {
  std::multiset<std::string> all;
  for (auto* h : held) {
    for (auto& n : h->names()) all.insert(n);
  }
  if (all.size() != kDomains.size()) return false;
  for (const auto& d : kDomains) {
    if (all.count(d) != 1) return false;
  }
  return true;
}

TEST_F(MembershipTest, TheHeartbeatKeepsAnInstanceAliveAndTheLeasesAreSharedOutOnce) {
  auto first_store = Instance();
  auto second_store = Instance();
  auto third_store = Instance();
  auto first = store::pg::testing::MustOk(Membership::Join(*first_store->Cluster(), Options()));
  // Renewed: still alive more than two ttls after it started.
  store::Instance seen;
  EXPECT_TRUE(WaitFor([&] {
    auto alive = second_store->Cluster()->Alive(Now());
    if (!alive.ok() || alive->size() != 1) return false;
    seen = (*alive)[0];
    return seen.last_seen - seen.started_at > milliseconds(1800);
  }));
  EXPECT_EQ(seen.id, first->self());
  EXPECT_EQ(seen.version, "test");

  // Alone, the first holds everything at once.
  Held h1, h2, h3;
  first->ShareOut(kDomains, h1.Sink());
  EXPECT_EQ(h1.names().size(), kDomains.size());
  // Two more join: within a few renewals the five names are spread 2/2/1 and never held twice.
  auto second = store::pg::testing::MustOk(Membership::Join(*second_store->Cluster(), Options()));
  auto third = store::pg::testing::MustOk(Membership::Join(*third_store->Cluster(), Options()));
  second->ShareOut(kDomains, h2.Sink());
  third->ShareOut(kDomains, h3.Sink());
  EXPECT_TRUE(WaitFor([&] {
    return h1.names().size() <= 2 && h2.names().size() <= 2 && h3.names().size() <= 2 &&
           SharedOnce({&h1, &h2, &h3});
  })) << h1.names().size()
      << " " << h2.names().size() << " " << h3.names().size();

  // A clean stop gives its leases back at once: the two others share everything.
  first.reset();
  EXPECT_TRUE(WaitFor([&] {
    return h2.names().size() + h3.names().size() == kDomains.size() && SharedOnce({&h2, &h3});
  }));
  // Stopping sharing (serve stopping its engine) gives back at once; the third takes its share
  // of two live instances (3), then everything once the second leaves.
  const auto second_held = h2.names();
  second->ShareOut({}, nullptr);
  EXPECT_TRUE(WaitFor([&] { return h3.names().size() == 3; }));
  EXPECT_EQ(h2.names(), second_held) << "not called after ShareOut returned";
  second.reset();
  EXPECT_TRUE(WaitFor([&] { return h3.names().size() == kDomains.size(); }));
}

TEST_F(MembershipTest, AKilledInstancesLeasesAreTakenOverOnceTheyRunOut) {
  auto dead_store = Instance();
  // What kill -9 leaves behind: a heartbeat and leases nobody renews, and no Leave.
  store::Instance dead;
  dead.host = "db-1";
  dead.pid = 4242;
  dead.started_at = Now();
  ASSERT_TRUE(dead_store->Cluster()->Heartbeat(dead, Now(), milliseconds(1500)).ok());
  ASSERT_EQ(store::pg::testing::MustOk(
                dead_store->Cluster()->Balance(kDomains, 5, Now(), milliseconds(1500)))
                .size(),
            kDomains.size());
  auto next_store = Instance();
  auto start = std::chrono::steady_clock::now();
  auto next = store::pg::testing::MustOk(Membership::Join(*next_store->Cluster(), Options()));
  Held held;
  next->ShareOut(kDomains, held.Sink());
  EXPECT_TRUE(held.names().empty()) << "the dead instance's leases have not run out yet";
  EXPECT_TRUE(WaitFor([&] { return held.names().size() == kDomains.size(); }));
  // It took them once they ran out (1.5 s), within a renewal (ttl / 3) or two after.
  auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_GE(waited, milliseconds(1000));
  EXPECT_LT(waited, milliseconds(8000));
}

}  // namespace
}  // namespace lifeline::serve
