// serve::Membership against a real PostgreSQL (the test process's throw-away cluster): the
// heartbeat keeps an instance alive, a second one is refused while the first runs, a killed one
// is waited out, and a clean stop leaves at once.
#include "serve/cluster.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

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

TEST_F(MembershipTest, TheHeartbeatKeepsAnInstanceAliveAndASecondOneIsRefused) {
  auto first_store = Instance();
  auto second_store = Instance();
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

  auto second = Membership::Join(*second_store->Cluster(), Options());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code(), core::ErrorCode::kFailedPrecondition);
  EXPECT_THAT(second.error().message(), HasSubstr("another lifeline serve runs on this database"));
  EXPECT_THAT(second.error().message(), HasSubstr(std::to_string(getpid())));

  // A clean stop leaves at once: the second joins without waiting.
  first.reset();
  EXPECT_TRUE(store::pg::testing::MustOk(second_store->Cluster()->Alive(Now())).empty());
  auto again = Membership::Join(*second_store->Cluster(), Options());
  EXPECT_TRUE(again.ok()) << again.error().ToString();
}

TEST_F(MembershipTest, AKilledInstanceIsWaitedOutNotRefused) {
  auto dead_store = Instance();
  // What kill -9 leaves behind: a heartbeat nobody renews, and no Leave.
  store::Instance dead;
  dead.host = "db-1";
  dead.pid = 4242;
  dead.started_at = Now();
  ASSERT_TRUE(dead_store->Cluster()->Heartbeat(dead, Now(), milliseconds(1500)).ok());
  auto next_store = Instance();
  auto start = std::chrono::steady_clock::now();
  auto next = Membership::Join(*next_store->Cluster(), Options());
  ASSERT_TRUE(next.ok()) << next.error().ToString();
  // It waited for the dead heartbeat to run out (1.5 s), and not much longer.
  auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_GE(waited, milliseconds(1000));
  EXPECT_LT(waited, milliseconds(8000));
  EXPECT_TRUE(WaitFor([&] {
    auto alive = next_store->Cluster()->Alive(Now());
    return alive.ok() && alive->size() == 1 && (*alive)[0].id == (*next)->self();
  }));
}

}  // namespace
}  // namespace lifeline::serve
