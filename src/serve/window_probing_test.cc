// The monitoring windows' faster probing: applied once per change, whether the window started
// here or on another instance (followed from the store at each lease renewal).
#include "serve/window_probing.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace lifeline::serve {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

struct Recorder {
  std::vector<std::string> calls;
  WindowProbing probing{[this](std::string_view p, WindowProbing::Interval iv) {
    calls.push_back(std::string(p) + "=" + (iv ? std::to_string(iv->count()) : "own"));
  }};
  std::vector<std::string> Take() { return std::exchange(calls, {}); }
};

playbook::MonitorWindow Window(std::string incident, std::vector<std::string> platforms,
                               std::chrono::milliseconds probe, bool active = true) {
  return {std::move(incident), std::move(platforms), probe, active};
}

TEST(WindowProbing, AWindowStartedHereProbesFasterUntilItEnds) {
  Recorder r;
  r.probing.Apply(Window("inc-1", {"instagram", "facebook"}, 10s));
  EXPECT_THAT(r.Take(), ElementsAre("instagram=10000", "facebook=10000"));
  // The store says the same at the next renewal: nothing changes, nothing is logged again.
  r.probing.Follow({Window("inc-1", {"instagram", "facebook"}, 10s)});
  EXPECT_THAT(r.Take(), IsEmpty());
  r.probing.Apply(Window("inc-1", {"instagram", "facebook"}, 0s, /*active=*/false));
  EXPECT_THAT(r.Take(), ElementsAre("instagram=own", "facebook=own"));
}

TEST(WindowProbing, FollowsWindowsThatStartedAndEndedOnAnotherInstance) {
  Recorder r;
  // Started elsewhere: this instance learns it from the store.
  r.probing.Follow({Window("inc-1", {"x"}, 5s), Window("inc-2", {"tiktok"}, 0s)});
  EXPECT_THAT(r.Take(), ElementsAre("x=5000"));  // a window without a probe interval: as usual
  // Two windows on one platform: the shorter interval.
  r.probing.Follow({Window("inc-1", {"x"}, 5s), Window("inc-3", {"x"}, 2s)});
  EXPECT_THAT(r.Take(), ElementsAre("x=2000"));
  // Ended elsewhere (the timer fired on another instance): back to its own interval.
  r.probing.Follow({});
  EXPECT_THAT(r.Take(), ElementsAre("x=own"));
  r.probing.Follow({});
  EXPECT_THAT(r.Take(), IsEmpty());
}

}  // namespace
}  // namespace lifeline::serve
