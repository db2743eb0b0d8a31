#include "core/listeners.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace lifeline::core {
namespace {

TEST(ListenersTest, EachSubscriberGetsEveryEventInOrderUntilItsHandleGoes) {
  Listeners<std::string> list;
  EXPECT_TRUE(list.empty());
  std::vector<std::string> a, b;
  auto ha = list.Add([&](const std::string& e) { a.push_back(e); });
  auto hb = list.Add([&](const std::string& e) { b.push_back(e); });
  EXPECT_FALSE(list.empty());
  list.Publish("one");
  hb.reset();
  list.Publish("two");
  EXPECT_EQ(a, (std::vector<std::string>{"one", "two"}));
  EXPECT_EQ(b, (std::vector<std::string>{"one"}));
  ha.reset();
  EXPECT_TRUE(list.empty());
}

TEST(ListenersTest, AHandleOutlivingThePublisherIsHarmless) {
  std::unique_ptr<Subscription> handle;
  {
    Listeners<int> list;
    handle = list.Add([](const int&) {});
  }
  handle.reset();  // the list is gone: nothing to unsubscribe from, no crash
  SUCCEED();
}

}  // namespace
}  // namespace lifeline::core
