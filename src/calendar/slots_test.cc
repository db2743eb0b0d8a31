// NextFreeSlot: slot lists and spacing on one channel.
#include "calendar/slots.h"

#include <gtest/gtest.h>

namespace lifeline::calendar {
namespace {

using namespace std::chrono;

const store::Time kDay = store::Time(sys_days(2026y / November / 27));

TEST(NextFreeSlotTest, SlotListTakesTheFirstSlotNoPostHolds) {
  Release r;
  r.policy = Policy::kNextFreeSlot;
  r.slots = {hours(9), hours(13), hours(18)};
  // 10:00: 13:00 is next; a post due at 14:00 holds it (until 18:00), so 18:00.
  EXPECT_EQ(NextFreeSlot(r, kDay + hours(10), {kDay + hours(14)}), kDay + hours(18));
  EXPECT_EQ(NextFreeSlot(r, kDay + hours(10), {}), kDay + hours(13));
  // Every slot of the day taken: tomorrow's first.
  EXPECT_EQ(NextFreeSlot(r, kDay + hours(10), {kDay + hours(13), kDay + hours(18)}),
            kDay + days(1) + hours(9));
  // A post before the slot (in the previous slot's span) does not hold it.
  EXPECT_EQ(NextFreeSlot(r, kDay + hours(10), {kDay + hours(12) + minutes(59)}), kDay + hours(13));
  // Exactly now is still a slot.
  EXPECT_EQ(NextFreeSlot(r, kDay + hours(13), {}), kDay + hours(13));
}

TEST(NextFreeSlotTest, SpacingKeepsEveryPostApart) {
  Release r;
  r.policy = Policy::kNextFreeSlot;
  r.spacing = minutes(30);
  const store::Time now = kDay + hours(10);
  EXPECT_EQ(NextFreeSlot(r, now, {}), now);
  EXPECT_EQ(NextFreeSlot(r, now, {now - minutes(30)}), now);
  EXPECT_EQ(NextFreeSlot(r, now, {now - minutes(10)}), now + minutes(20));
  // A chain: 10:10 and 10:40 push it to 11:10; 12:00 is far enough.
  EXPECT_EQ(NextFreeSlot(r, now, {now + minutes(40), now + minutes(10), now + hours(2)}),
            now + minutes(70));
}

TEST(NextFreeSlotTest, NothingFreeWithinTheHorizon) {
  Release r;
  r.slots = {hours(9)};
  std::vector<store::Time> taken;
  for (int d = 0; d < 20; ++d) taken.push_back(kDay + days(d) + hours(9));
  EXPECT_EQ(NextFreeSlot(r, kDay, taken), std::nullopt);
  Release none;
  EXPECT_EQ(NextFreeSlot(none, kDay, {}), std::nullopt);
}

}  // namespace
}  // namespace lifeline::calendar
