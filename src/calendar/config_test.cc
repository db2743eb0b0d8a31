// The `calendar:` section: what a good config gives, and each mistake named by file, line and key.
#include "calendar/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace lifeline::calendar {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

core::Result<CalendarConfig> Load(const std::string& yaml) {
  auto c = config::LoadString(yaml, "lifeline.yaml");
  if (!c.ok()) return c.error();
  LoadOptions o;
  o.channels = {"brand-mastodon", "brand-telegram"};
  o.check = [](const std::string& channel, const std::string& body,
               const std::vector<std::string>& media) -> core::Status {
    const std::string text = PublishedText(body, media);
    if (channel == "brand-mastodon" && text.size() > 500) {
      return core::MakeError(core::ErrorCode::kInvalidArgument,
                             "brand-mastodon: {} characters; mastodon allows 500", text.size());
    }
    return core::Ok();
  };
  return LoadCalendarConfig(*c, o);
}

std::string ErrorOf(const std::string& yaml) {
  auto r = Load(yaml);
  return r.ok() ? "(no error)" : r.error().message();
}

constexpr const char* kGood = R"(calendar:
  release:
    policy: next_free_slot
    slots: ["17:00", "09:00", "12:30"]
  platforms:
    telegram: { policy: publish_now, drop_expired: false }
    mastodon: { policy: next_free_slot, spacing: 45m }
    x: { policy: manual }
  posts:
    black-friday:
      text: Black Friday starts now
      media: [https://brand.example/bf.jpg]
      channels: [brand-mastodon, brand-telegram]
      at: 2026-11-27T09:00:00Z
      expires: 2026-11-27T12:00:00+01:00
)";

TEST(CalendarConfigTest, GoodConfig) {
  auto c = Load(kGood);
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_TRUE(c->configured);
  EXPECT_EQ(c->release.policy, Policy::kNextFreeSlot);
  EXPECT_THAT(c->release.slots, ElementsAre(9h, 12h + 30min, 17h)) << "sorted";
  EXPECT_TRUE(c->release.drop_expired);
  EXPECT_EQ(c->ReleaseFor("telegram").policy, Policy::kPublishNow);
  EXPECT_FALSE(c->ReleaseFor("telegram").drop_expired);
  EXPECT_EQ(c->ReleaseFor("mastodon").spacing, 45min);
  EXPECT_EQ(c->ReleaseFor("x").policy, Policy::kManual);
  EXPECT_EQ(c->ReleaseFor("bluesky").policy, Policy::kNextFreeSlot) << "the default";
  EXPECT_EQ(c->ReleaseFor("").policy, Policy::kNextFreeSlot);
  ASSERT_EQ(c->posts.size(), 1u);
  const ConfigPost& p = c->posts[0];
  EXPECT_EQ(p.id, "black-friday");
  EXPECT_THAT(p.channels, ElementsAre("brand-mastodon", "brand-telegram"));
  EXPECT_THAT(p.media, ElementsAre("https://brand.example/bf.jpg"));
  ASSERT_TRUE(p.expires.has_value());
  EXPECT_EQ(*p.expires - p.at, 2h);
}

TEST(CalendarConfigTest, NoSectionIsAnEmptyCalendarThatPublishesNow) {
  auto c = Load("resolvers: []\n");
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_FALSE(c->configured);
  EXPECT_EQ(c->release.policy, Policy::kPublishNow);
  EXPECT_TRUE(c->posts.empty());
}

TEST(CalendarConfigTest, MistakesNameFileLineAndKey) {
  EXPECT_EQ(ErrorOf("calendar:\n  relase: {}\n"),
            "lifeline.yaml:2: calendar.relase: unknown key 'relase' (did you mean 'release'?)");
  EXPECT_EQ(ErrorOf("calendar:\n  release:\n    policy: publish_nw\n"),
            "lifeline.yaml:3: calendar.release.policy: unknown policy 'publish_nw' (did you "
            "mean 'publish_now'?)");
  EXPECT_EQ(ErrorOf("calendar:\n  release:\n    policy: next_free_slot\n"),
            "lifeline.yaml:2: calendar.release: policy next_free_slot needs slots: [\"09:00\", "
            "\"13:00\"] (times of day, UTC) or spacing: 30m");
  EXPECT_EQ(ErrorOf("calendar:\n  release:\n    policy: next_free_slot\n    slots: [\"09:00\"]\n"
                    "    spacing: 1h\n"),
            "lifeline.yaml:5: calendar.release.spacing: give slots: or spacing:, not both");
  EXPECT_EQ(ErrorOf("calendar:\n  release:\n    spacing: 1h\n"),
            "lifeline.yaml:3: calendar.release.spacing: only with policy: next_free_slot (this "
            "policy is publish_now)");
  EXPECT_THAT(ErrorOf("calendar:\n  release:\n    policy: next_free_slot\n"
                      "    slots: [\"09:00\", \"25:00\"]\n"),
              HasSubstr("lifeline.yaml:4: calendar.release.slots[1]: "));
  EXPECT_EQ(ErrorOf("calendar:\n  platforms:\n    telegarm: { policy: publish_now }\n"),
            "lifeline.yaml:3: calendar.platforms.telegarm: unknown platform 'telegarm' (did you "
            "mean 'telegram'?)");
  EXPECT_EQ(ErrorOf("calendar:\n  posts:\n    p1:\n      text: hi\n      at: "
                    "2026-11-27T09:00:00Z\n      channels: [brand-telegarm]\n"),
            "lifeline.yaml:6: calendar.posts.p1.channels[0]: unknown channel 'brand-telegarm' "
            "(did you mean 'brand-telegram'?)");
  EXPECT_EQ(ErrorOf("calendar:\n  posts:\n    p1:\n      text: hi\n      channels: "
                    "[brand-telegram]\n"),
            "lifeline.yaml:3: calendar.posts.p1: at: required (when it goes out, e.g. "
            "2026-11-27T09:00:00Z)");
  EXPECT_THAT(ErrorOf("calendar:\n  posts:\n    p1:\n      text: hi\n      at: tomorrow\n"
                      "      channels: [brand-telegram]\n"),
              HasSubstr("lifeline.yaml:5: calendar.posts.p1.at: 'tomorrow' is not an RFC 3339 "
                        "time"));
  EXPECT_EQ(ErrorOf("calendar:\n  posts:\n    p1:\n      text: hi\n      at: "
                    "2026-11-27T09:00:00Z\n      expires: 2026-11-27T08:00:00Z\n"
                    "      channels: [brand-telegram]\n"),
            "lifeline.yaml:6: calendar.posts.p1.expires: must be after the post's time (at:)");
  EXPECT_EQ(ErrorOf("calendar:\n  posts:\n    p1:\n      text: hi\n      at: "
                    "2026-11-27T09:00:00Z\n      media: [ftp://x]\n"
                    "      channels: [brand-telegram]\n"),
            "lifeline.yaml:6: calendar.posts.p1.media[0]: expected an http:// or https:// link");
  EXPECT_EQ(ErrorOf("calendar:\n  posts:\n    p1:\n      text: \"" + std::string(501, 'a') +
                    "\"\n      at: 2026-11-27T09:00:00Z\n      channels: [brand-mastodon]\n"),
            "lifeline.yaml:4: calendar.posts.p1.text: brand-mastodon: 501 characters; mastodon "
            "allows 500");
  EXPECT_EQ(ErrorOf("calendar:\n  posts:\n    \"bad name\":\n      text: hi\n"),
            "lifeline.yaml:3: calendar.posts.bad name: 'bad name' is not a valid post name (1 to "
            "64 letters, digits, '_', '-', '.')");
}

TEST(CalendarConfigTest, PublishedTextPutsEachLinkOnItsOwnLine) {
  EXPECT_EQ(PublishedText("Sale", {"https://a.example/1", "https://a.example/2"}),
            "Sale\nhttps://a.example/1\nhttps://a.example/2");
  EXPECT_EQ(PublishedText("Sale", {}), "Sale");
  EXPECT_TRUE(IsLink("https://brand.example/bf.jpg?x=1"));
  EXPECT_FALSE(IsLink("brand.example/bf.jpg"));
  EXPECT_FALSE(IsLink("https://brand.example/a b"));
}

}  // namespace
}  // namespace lifeline::calendar
