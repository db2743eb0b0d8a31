// The `inbox:` section: what a good config gives, and each mistake named by file, line and key
// without ever quoting a secret.
#include "inbox/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

namespace lifeline::inbox {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

core::Result<InboxConfig> Load(const std::string& yaml) {
  auto c = config::LoadString(yaml, "lifeline.yaml");
  if (!c.ok()) return c.error();
  return LoadInboxConfig(*c, {.channels = {"brand-whatsapp", "brand-telegram"}});
}

std::string ErrorOf(const std::string& yaml) {
  auto r = Load(yaml);
  return r.ok() ? "(no error)" : r.error().message();
}

class InboxConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("LL_INBOX_APP_SECRET", "app-secret-value", 1);
    setenv("LL_INBOX_VERIFY", "verify-value", 1);
    setenv("LL_INBOX_TG", "tg-secret_value", 1);
    setenv("LL_INBOX_KEY", "0123456789abcdef-key", 1);
    unsetenv("LL_INBOX_MISSING");
  }
};

constexpr const char* kGood = R"(inbox:
  sweep_after: 2h
  sources:
    wa-main:
      type: whatsapp
      channel: brand-whatsapp
      app_secret: { env: LL_INBOX_APP_SECRET }
      verify_token: { env: LL_INBOX_VERIFY }
      phone_number_id: "106540352242922"
      outside_window: template
    tg-bot:
      type: telegram
      channel: brand-telegram
      secret_token: { env: LL_INBOX_TG }
    tg-poll:
      type: telegram
      channel: brand-telegram
      mode: poll
      bot_token: { env: LL_INBOX_TG }
      poll_timeout: 5s
      api_base: http://127.0.0.1:9/
    site:
      type: webhook
      channel: brand-telegram
      key: { env: LL_INBOX_KEY }
)";

TEST_F(InboxConfigTest, GoodConfig) {
  auto c = Load(kGood);
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_TRUE(c->configured);
  EXPECT_EQ(c->sweep_after, 2h);
  ASSERT_EQ(c->sources.size(), 4u);
  const Source* poll = c->Find("tg-poll");
  ASSERT_NE(poll, nullptr);
  EXPECT_TRUE(poll->poll);
  EXPECT_EQ(poll->poll_timeout, 5s);
  EXPECT_EQ(poll->api_base, "http://127.0.0.1:9");
  const Source* wa = c->Find("wa-main");
  ASSERT_NE(wa, nullptr);
  EXPECT_EQ(wa->kind, SourceKind::kWhatsApp);
  EXPECT_EQ(wa->app_secret, "app-secret-value");
  EXPECT_EQ(wa->account, "106540352242922");
  EXPECT_EQ(wa->outside_window, OutsideWindow::kTemplate);
  EXPECT_EQ(c->Find("tg-bot")->secret_token, "tg-secret_value");
  EXPECT_FALSE(c->Find("tg-bot")->poll);
  EXPECT_EQ(c->Find("site")->key, "0123456789abcdef-key");
  EXPECT_FALSE(Load("timeout: 5s\n")->configured);
}

TEST_F(InboxConfigTest, MistakesNameFileLineAndKey) {
  EXPECT_EQ(ErrorOf("inbox:\n  sources:\n    wa:\n      type: whatsap\n      channel: "
                    "brand-whatsapp\n"),
            "lifeline.yaml:4: inbox.sources.wa.type: unknown source type 'whatsap' (did you mean "
            "'whatsapp'?)");
  EXPECT_EQ(ErrorOf("inbox:\n  sources:\n    tg:\n      type: telegram\n      channel: "
                    "brand-telegrm\n      secret_token: { env: LL_INBOX_TG }\n"),
            "lifeline.yaml:5: inbox.sources.tg.channel: unknown channel 'brand-telegrm' (did you "
            "mean 'brand-telegram'?)");
  EXPECT_THAT(ErrorOf("inbox:\n  sources:\n    wa:\n      type: whatsapp\n      channel: "
                      "brand-whatsapp\n      verify_token: { env: LL_INBOX_VERIFY }\n      "
                      "phone_number_id: \"1\"\n"),
              HasSubstr("lifeline.yaml:3: inbox.sources.wa: missing 'app_secret'"));
  EXPECT_THAT(ErrorOf("inbox:\n  sources:\n    wa:\n      type: whatsapp\n      channel: "
                      "brand-whatsapp\n      app_secret: { env: LL_INBOX_MISSING }\n"),
              HasSubstr("lifeline.yaml:6: inbox.sources.wa.app_secret"));
  EXPECT_THAT(ErrorOf("inbox:\n  sources:\n    tg:\n      type: telegram\n      channel: "
                      "brand-telegram\n      mode: poll\n"),
              HasSubstr("mode poll needs 'bot_token'"));
  EXPECT_THAT(ErrorOf("inbox:\n  sources:\n    tg:\n      type: telegram\n      channel: "
                      "brand-telegram\n      secret_token: { env: LL_INBOX_TG }\n      "
                      "phone_number_id: \"1\"\n"),
              HasSubstr("lifeline.yaml:7: inbox.sources.tg.phone_number_id"));
  EXPECT_THAT(ErrorOf("inbox:\n  sources:\n    \"a b\":\n      type: webhook\n"),
              HasSubstr("inbox.sources.a b: a source's name is letters"));
  // A short key is refused without showing it.
  setenv("LL_INBOX_SHORT", "short-key", 1);
  std::string e = ErrorOf(
      "inbox:\n  sources:\n    s:\n      type: webhook\n      channel: "
      "brand-telegram\n      key: { env: LL_INBOX_SHORT }\n");
  EXPECT_THAT(e, HasSubstr("lifeline.yaml:6: inbox.sources.s.key: the webhook key is too short"));
  EXPECT_THAT(e, Not(HasSubstr("short-key")));
  EXPECT_THAT(ErrorOf("inbox:\n  colour: red\n"), HasSubstr("lifeline.yaml:2: inbox.colour"));
  EXPECT_THAT(ErrorOf("inbox:\n  business_hours: { zone: Europe/Madird, days: mon-fri }\n"),
              HasSubstr("lifeline.yaml:2: inbox.business_hours.zone: unknown time zone "
                        "'Europe/Madird' (did you mean 'Europe/Madrid'?)"));
  EXPECT_THAT(ErrorOf("inbox:\n  business_hours: { zone: UTC, days: mon-fry }\n"),
              HasSubstr("lifeline.yaml:2: inbox.business_hours.days"));
  EXPECT_THAT(ErrorOf("inbox:\n  away_text: \"\"\n"),
              HasSubstr("lifeline.yaml:2: inbox.away_text"));
}

TEST_F(InboxConfigTest, BusinessHoursAndTheTextsAfterRestoration) {
  auto c = Load(
      "inbox:\n  business_hours: { zone: Europe/Madrid, days: mon-fri, from: \"09:00\", to: "
      "\"18:00\" }\n  away_text: \"Back {opens}\"\n  back_text: \"{platform} is back\"\n  "
      "stay_text: \"{platform} is back; here is fine\"\n");
  ASSERT_TRUE(c.ok()) << c.error().message();
  ASSERT_TRUE(c->business_hours.has_value());
  EXPECT_EQ(c->business_hours->zone, "Europe/Madrid");
  EXPECT_EQ(c->business_hours->windows.at(0).from, 9h);
  EXPECT_EQ(c->away_text, "Back {opens}");
  EXPECT_EQ(c->back_text, "{platform} is back");
  EXPECT_EQ(c->stay_text, "{platform} is back; here is fine");
  EXPECT_FALSE(Load(kGood)->business_hours.has_value()) << "always open unless given";
}

}  // namespace
}  // namespace lifeline::inbox
