// Tests of the relay's config sections (config.h): a good config in both channel forms, and each
// mistake a user can make reported as FILE:LINE: KEY: what, with the fake adapter as the kind.
#include "channels/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include "channels/fake_channel.h"

namespace lifeline::channels {
namespace {

using ::testing::HasSubstr;

const Kind kKinds[] = {testing::kFakeKind};

core::Result<RelaySetup> Load(const std::string& yaml) {
  setenv("LIFELINE_TEST_FAKE_TOKEN", "t0ken-value", 1);
  unsetenv("LIFELINE_TEST_UNSET_TOKEN");
  auto config = config::LoadString(yaml, "relay.yaml");
  if (!config.ok()) return config.error();
  LoadOptions o;
  o.kinds = kKinds;
  return LoadRelaySetup(*config, o);
}

std::string ErrorOf(const std::string& yaml) {
  auto r = Load(yaml);
  if (r.ok()) return "(loaded without error)";
  EXPECT_EQ(r.error().code(), core::ErrorCode::kInvalidArgument);
  return r.error().message();
}

constexpr const char* kGood = R"yaml(
channels:
  team-telegram:
    type: fake
    token: { env: LIFELINE_TEST_FAKE_TOKEN }
    to: "-100123"
    max_chars: 4096
  team-whatsapp:
    type: fake
    token: { env: LIFELINE_TEST_FAKE_TOKEN }
    platform: whatsapp
    rate: 20/min
    timeout: 5s
  alerts:
    url: fake://TOKEN/ops
contacts:
  ana:
    name: Ana Silva
    role: community_manager
    points:
      - { channel: team-whatsapp, to: "+15551234567" }
      - { channel: team-telegram }
  everyone:
    points: [ { channel: alerts } ]
templates:
  outage:
    subject: "{platform} is down"
    default: "{platform} fails since {time}. Reach us on {backup_channel}: {backup_link}"
    team-telegram: "*{platform}* is down ({incident})"
relay:
  workers: 2
  max_attempts: 5
  max_age: 6h
  backoff: { base: 1s, max: 5m }
  circuit: { failures: 3, cooldown: 30s }
  batch: 100
  poll: 500ms
)yaml";

TEST(RelayConfig, LoadsChannelsContactsTemplatesAndRelaySettings) {
  auto r = Load(kGood);
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_EQ(r->channels.size(), 3u);
  const ChannelSetup* tg = r->FindChannel("team-telegram");
  ASSERT_NE(tg, nullptr);
  EXPECT_EQ(tg->kind, "fake");
  EXPECT_EQ(tg->platform, "telegram");  // the adapter's default
  EXPECT_EQ(tg->traits.max_chars, 4096u);
  EXPECT_EQ(tg->channel->info().recipient, "-100123");
  const ChannelSetup* wa = r->FindChannel("team-whatsapp");
  EXPECT_EQ(wa->platform, "whatsapp");
  EXPECT_DOUBLE_EQ(wa->traits.rate_per_second, 20.0 / 60);
  EXPECT_DOUBLE_EQ(wa->traits.burst, 1.0);
  EXPECT_EQ(wa->timeout, std::chrono::seconds(5));
  EXPECT_EQ(r->FindChannel("alerts")->channel->info().recipient, "ops");

  ASSERT_EQ(r->contacts.size(), 2u);
  const Contact* ana = r->FindContact("ana");
  EXPECT_EQ(ana->name, "Ana Silva");
  EXPECT_EQ(ana->role, "community_manager");
  ASSERT_EQ(ana->points.size(), 2u);
  EXPECT_EQ(ana->points[0].channel, "team-whatsapp");
  EXPECT_EQ(ana->points[0].to, "+15551234567");
  EXPECT_EQ(ana->points[1].to, "");
  EXPECT_EQ(r->FindContact("everyone")->name, "everyone");

  const Template* t = r->FindTemplate("outage");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->subject, "{platform} is down");
  EXPECT_EQ(*t->TextFor("team-telegram", "fake"), "*{platform}* is down ({incident})");
  EXPECT_THAT(*t->TextFor("alerts", "fake"), HasSubstr("fails since"));

  EXPECT_EQ(r->relay.workers, 2);
  EXPECT_EQ(r->relay.max_attempts, 5);
  EXPECT_EQ(r->relay.max_age, std::chrono::hours(6));
  EXPECT_EQ(r->relay.backoff_base, std::chrono::seconds(1));
  EXPECT_EQ(r->relay.backoff_max, std::chrono::minutes(5));
  EXPECT_EQ(r->relay.circuit_failures, 3);
  EXPECT_EQ(r->relay.circuit_cooldown, std::chrono::seconds(30));
  EXPECT_EQ(r->relay.batch, 100u);
  EXPECT_EQ(r->relay.poll, std::chrono::milliseconds(500));

  // Every catalog platform's failure domain, for the circuits.
  EXPECT_EQ(r->platform_domains.at("whatsapp"), "meta");
  EXPECT_EQ(r->platform_domains.at("instagram"), "meta");
}

TEST(RelayConfig, NoSectionsIsAnEmptySetupWithDefaults) {
  auto r = Load("timeout: 5s\n");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_TRUE(r->channels.empty());
  EXPECT_EQ(r->relay.workers, RelayConfig{}.workers);
}

TEST(RelayConfig, ChannelMistakesNameFileLineAndKey) {
  EXPECT_EQ(ErrorOf("channels:\n  team:\n    type: fakr\n"),
            "relay.yaml:3: channels.team.type: unknown type 'fakr' (did you mean 'fake'?)");
  EXPECT_EQ(ErrorOf("channels:\n  team:\n    type: sms\n"),
            "relay.yaml:3: channels.team.type: unknown type 'sms' (valid: fake)");
  EXPECT_THAT(ErrorOf("channels:\n  team:\n    platform: whatsapp\n"),
              HasSubstr("relay.yaml:2: channels.team: missing type: KIND (one of: fake) or url:"));
  EXPECT_THAT(ErrorOf("channels:\n  team:\n    type: fake\n    url: fake://x/y\n"),
              HasSubstr("relay.yaml:4: channels.team.url: give either type"));
  EXPECT_THAT(ErrorOf("channels:\n  team:\n    url: tgram://SECRETTOKEN/chat\n"),
              HasSubstr("relay.yaml:3: channels.team.url: unknown URL scheme 'tgram'"));
  EXPECT_THAT(ErrorOf("channels:\n  team:\n    url: tgram://SECRETTOKEN/chat\n"),
              ::testing::Not(HasSubstr("SECRETTOKEN")));
  EXPECT_THAT(ErrorOf("channels:\n  team:\n    url: fake://x/y\n    to: me\n"),
              HasSubstr("relay.yaml:4: channels.team.to: unknown key 'to' beside url:"));
  EXPECT_THAT(ErrorOf("channels:\n  team:\n    url: { env: LIFELINE_TEST_UNSET_TOKEN }\n"),
              HasSubstr("environment variable LIFELINE_TEST_UNSET_TOKEN is not set"));
  // The adapter's own keys and secrets are its to check, with the same kind of message.
  EXPECT_THAT(ErrorOf("channels:\n  team:\n    type: fake\n"
                      "    token: { env: LIFELINE_TEST_UNSET_TOKEN }\n"),
              HasSubstr("relay.yaml:4: channels.team.token: environment variable "
                        "LIFELINE_TEST_UNSET_TOKEN is not set"));
  EXPECT_THAT(ErrorOf("channels:\n  team:\n    type: fake\n    token: { env: "
                      "LIFELINE_TEST_FAKE_TOKEN }\n    colour: red\n"),
              HasSubstr("relay.yaml:5: channels.team.colour: unknown key 'colour'"));
  EXPECT_EQ(ErrorOf("channels:\n  team:\n    url: fake://x/y\n    platform: whatsap\n"),
            "relay.yaml:4: channels.team.platform: unknown platform 'whatsap' (did you mean "
            "'whatsapp'?)");
  EXPECT_THAT(ErrorOf("channels:\n  team:\n    url: fake://x/y\n    rate: fast\n"),
              HasSubstr("relay.yaml:4: channels.team.rate: 'fast' is not a sending rate"));
  EXPECT_THAT(ErrorOf("channels:\n  team:\n    url: fake://x/y\n    rate: 3/day\n"),
              HasSubstr("unknown unit 'day'"));
  EXPECT_THAT(ErrorOf("channels:\n  default:\n    url: fake://x/y\n"),
              HasSubstr("relay.yaml:2: channels.default: 'default' is reserved"));
  EXPECT_THAT(ErrorOf("channels:\n  \"team chat\":\n    url: fake://x/y\n"),
              HasSubstr("is not a valid channel name"));
}

constexpr const char* kTwoChannels = R"(channels:
  team-telegram:
    url: fake://x/chat
  team-sms:
    type: fake
    token: { env: LIFELINE_TEST_FAKE_TOKEN }
    max_chars: 160
)";

TEST(RelayConfig, ContactMistakes) {
  EXPECT_EQ(ErrorOf(std::string(kTwoChannels) +
                    "contacts:\n  ana:\n    points:\n      - { channel: team-telegran }\n"),
            "relay.yaml:11: contacts.ana.points[0].channel: unknown channel 'team-telegran' (did "
            "you mean 'team-telegram'?)");
  EXPECT_EQ(
      ErrorOf(std::string(kTwoChannels) +
              "contacts:\n  ana:\n    points:\n      - { channel: team-sms, to: badnumber }\n"),
      "relay.yaml:11: contacts.ana.points[0].to: team-sms: 'badnumber' is not a valid "
      "address (expected a chat id)");
  EXPECT_THAT(ErrorOf(std::string(kTwoChannels) + "contacts:\n  ana:\n    name: Ana\n"),
              HasSubstr("relay.yaml:9: contacts.ana: missing points"));
  EXPECT_THAT(ErrorOf(std::string(kTwoChannels) + "contacts:\n  ana:\n    points: []\n"),
              HasSubstr("relay.yaml:10: contacts.ana.points: expected a non-empty list"));
  EXPECT_THAT(
      ErrorOf(std::string(kTwoChannels) + "contacts:\n  ana:\n    points:\n      - { to: x }\n"),
      HasSubstr("contacts.ana.points[0]: missing channel"));
  EXPECT_THAT(ErrorOf(std::string(kTwoChannels) +
                      "contacts:\n  ana:\n    phone: 1\n    points: [ { channel: team-sms } ]\n"),
              HasSubstr("relay.yaml:10: contacts.ana.phone: unknown key 'phone'"));
}

TEST(RelayConfig, TemplateMistakes) {
  EXPECT_EQ(ErrorOf(std::string(kTwoChannels) +
                    "templates:\n  outage:\n    default: \"{platfrom} is down\"\n"),
            "relay.yaml:10: templates.outage.default: {platfrom} is not a variable (did you mean "
            "{platform}?)");
  EXPECT_THAT(
      ErrorOf(std::string(kTwoChannels) + "templates:\n  outage:\n    default: \"{} down\"\n"),
      HasSubstr("use named variables"));
  EXPECT_THAT(
      ErrorOf(std::string(kTwoChannels) + "templates:\n  outage:\n    default: \"{platform\"\n"),
      HasSubstr("does not start a variable"));
  EXPECT_THAT(ErrorOf(std::string(kTwoChannels) +
                      "templates:\n  outage:\n    team-smss: \"{platform} is down\"\n"),
              HasSubstr("relay.yaml:10: templates.outage.team-smss: unknown key 'team-smss' "
                        "(default, subject, a channel name or an adapter type; did you mean "
                        "'team-sms'?)"));
  EXPECT_THAT(ErrorOf(std::string(kTwoChannels) + "templates:\n  outage:\n    subject: hi\n"),
              HasSubstr("relay.yaml:9: templates.outage: no text"));
  // 160 characters on team-sms: the default reaches past it once {incident} (120) is at its
  // longest, so the line that gave the text is named.
  EXPECT_EQ(ErrorOf(std::string(kTwoChannels) +
                    "templates:\n  outage:\n    default: \"{platform} is down: {incident}. "
                    "Write to us on Telegram.\"\n"),
            "relay.yaml:10: templates.outage.default: for channel team-sms this text can reach "
            "196 characters with every variable at its longest ({platform} 40, {backup_link} "
            "200, {incident} 120 characters...); team-sms allows 160: shorten it, or give "
            "team-sms a text of its own");
  // ... and a text of its own for team-sms fixes it.
  auto ok = Load(std::string(kTwoChannels) +
                 "templates:\n  outage:\n    default: \"{platform} is down: {incident}.\"\n"
                 "    team-sms: \"{platform} is down.\"\n");
  EXPECT_TRUE(ok.ok()) << ok.error().message();
}

TEST(RelayConfig, RelayMistakes) {
  EXPECT_THAT(ErrorOf("relay:\n  workers: 0\n"),
              HasSubstr("relay.yaml:2: relay.workers: 0 is out of range (from 1 to 64)"));
  EXPECT_THAT(ErrorOf("relay:\n  backoff: { base: 10m, max: 1m }\n"),
              HasSubstr("relay.yaml:2: relay.backoff: base must not be longer than max"));
  EXPECT_THAT(ErrorOf("relay:\n  circuit: { failure: 3 }\n"),
              HasSubstr("unknown key 'failure' (did you mean 'failures'?)"));
  EXPECT_THAT(ErrorOf("relay:\n  retries: 3\n"), HasSubstr("relay.yaml:2: relay.retries"));
}

TEST(Templates, RenderWithNamedArgumentsAndCutLongValues) {
  TemplateVars v;
  v.platform = "WhatsApp";
  v.backup_channel = "Telegram";
  v.backup_link = "https://t.me/brand";
  v.time = "10:02 UTC";
  auto r = RenderTemplate(
      "{platform} is down since {time}; {{we}} are on {backup_channel}: "
      "{backup_link}",
      v);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(*r, "WhatsApp is down since 10:02 UTC; {we} are on Telegram: https://t.me/brand");

  v.incident = std::string(500, 'x');
  auto cut = RenderTemplate("{incident}", v);
  ASSERT_TRUE(cut.ok());
  EXPECT_EQ(CodePoints(*cut), kMaxIncidentChars);
  EXPECT_EQ(cut->substr(cut->size() - 3), "…");

  EXPECT_EQ(CodePoints("héllo…"), 6u);
  EXPECT_EQ(CutToCodePoints("héllo", 3), "hé…");
  EXPECT_FALSE(RenderTemplate("{platform:d}", v).ok());  // fmt rejects the spec: an error, no throw
  EXPECT_FALSE(CheckTemplate("}").ok());
  EXPECT_TRUE(CheckTemplate("{time:>12} {{literal}}").ok());
}

}  // namespace
}  // namespace lifeline::channels
