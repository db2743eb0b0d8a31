// Test helpers of the playbook (header-only: no test code in the library): a relay built from
// YAML with a scripted channel kind, and a plan read or loaded against it.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <memory>
#include <string>
#include <string_view>

#include "channels/config.h"
#include "channels/fake_channel.h"
#include "config/config.h"
#include "playbook/check.h"
#include "playbook/plan.h"

namespace lifeline::playbook::testing {

namespace y = config::yaml;

// `type: chat`: a FakeChannel on the platform `platform:` names (none when not given), with
// optional `to`, `max_chars` and `public` (posts to the audience, like X or Mastodon).
inline core::Result<std::unique_ptr<channels::Channel>> ChatFromYaml(
    const channels::BuildContext& ctx, const y::Fields& fields) {
  channels::Info info = channels::testing::FakeInfo(ctx.name, ctx.platform);
  info.kind = "chat";
  for (const y::Field& f : fields.items) {
    if (f.key == "to") {
      LL_ASSIGN(info.recipient, y::GetNonEmpty(ctx.doc, f.value, f.where));
    } else if (f.key == "max_chars") {
      LL_ASSIGN(auto n, y::GetInt(ctx.doc, f.value, f.where, 1, 100000));
      info.traits.max_chars = static_cast<std::size_t>(n);
    } else if (f.key == "public") {
      LL_ASSIGN(info.traits.public_post, y::GetBool(ctx.doc, f.value, f.where));
    } else if (f.key == "needs_to") {
      LL_ASSIGN(info.traits.needs_recipient, y::GetBool(ctx.doc, f.value, f.where));
    } else {
      return y::Fail(ctx.doc, f.where, "unknown key '" + f.key + "'");
    }
  }
  return std::unique_ptr<channels::Channel>(
      std::make_unique<channels::testing::FakeChannel>(std::move(info)));
}

inline core::Result<std::unique_ptr<channels::Channel>> ChatFromUrl(const channels::BuildContext&,
                                                                    const channels::AppriseUrl&) {
  return core::MakeError(core::ErrorCode::kInvalidArgument, "chat: no URL form");
}

inline const channels::Kind kChatKind = {"chat", {"chat"}, "", ChatFromYaml, ChatFromUrl};
inline const channels::Kind kTestKinds[] = {kChatKind};

// A config and its relay, kept together: the relay's channels are what CheckPlan looks at.
struct World {
  config::Config config;
  channels::RelaySetup relay;
};

// `yaml` as the file "lifeline.yaml" in `dir` (or without a folder), with the relay built.
inline core::Result<std::unique_ptr<World>> MakeWorld(const std::string& yaml,
                                                      const std::string& name = "lifeline.yaml") {
  auto w = std::make_unique<World>();
  auto cfg = config::LoadString(yaml, name);
  if (!cfg.ok()) return cfg.error();
  w->config = std::move(*cfg);
  channels::LoadOptions o;
  o.kinds = kTestKinds;
  auto relay = channels::LoadRelaySetup(w->config, o);
  if (!relay.ok()) return relay.error();
  w->relay = std::move(*relay);
  return w;
}

// Channels, contacts and templates most tests share: the team on Meta and off it.
inline constexpr const char* kRelay = R"yaml(
channels:
  team-whatsapp: { type: chat, platform: whatsapp, to: "+15550100001" }
  team-instagram: { type: chat, platform: instagram, to: "ig-team" }
  team-telegram: { type: chat, platform: telegram, to: "-100123" }
  team-email: { type: chat, to: ops@example.com }
  team-sms: { type: chat, to: "+15550100009", max_chars: 160 }
  brand-telegram: { type: chat, platform: telegram, to: "@brand" }
  brand-x: { type: chat, platform: x, to: brand, public: true, max_chars: 280 }
  brand-mail: { type: chat, to: list@example.com }
  brand-news: { type: chat, needs_to: true }
contacts:
  ana: { name: Ana Lima, points: [ { channel: team-whatsapp }, { channel: team-email } ] }
  bo: { name: Bo Chen, points: [ { channel: team-whatsapp }, { channel: team-instagram } ] }
  cy: { name: Cy Diaz, points: [ { channel: team-telegram }, { channel: team-sms } ] }
  dee: { name: Dee Evans, points: [ { channel: team-email } ] }
  pub: { name: Pat Public, points: [ { channel: brand-x } ] }
  mixed: { name: Max Mixed, points: [ { channel: team-telegram }, { channel: brand-x } ] }
templates:
  team-alert:
    default: "{platform} is down since {time}: {incident} ({incident_id})"
    team-sms: "{platform} down"
  holding:
    default: "{platform} is down. Reach us on {backup_channel}: {backup_link}"
    brand-x: "{platform} is down. We answer on {backup_channel}"
    team-sms: "{platform} is down"
  tg-only:
    team-telegram: "{platform} is down"
)yaml";

inline constexpr const char* kPlan = R"yaml(
plan:
  name: Test plan
  roles:
    community_manager: Answers the audience
    comms_lead:
    superior: { description: Approves budget moves }
    on_call:
  team:
    ana:
      contact: ana
      roles: [community_manager]
      hours: { zone: Europe/Lisbon, days: mon-fri, from: "09:00", to: "18:00" }
    cy: { contact: cy, roles: [comms_lead, on_call] }
    dee: { contact: dee, roles: [superior, on_call], name: Dee E. }
  inventory:
    instagram:
      platform: instagram
      audience: 60000
      primary: true
      backup: telegram
      link: https://instagram.com/brand
    telegram: { channel: brand-telegram, audience: 15000, link: "https://t.me/brand" }
    newsletter: { channel: brand-mail, audience: 20000, link: "https://brand.example/news" }
    whatsapp: { platform: whatsapp, audience: 5000, backup: newsletter }
  escalation:
    standard: { after: 10m, to: [comms_lead, superior], repeat: 2 }
  responses:
    meta-outage:
      description: Meta is down
      trigger: { domains: [meta], verdicts: [outage, regional_outage], for: 2m, severity: critical }
      escalation: standard
      steps:
        - notify: { to: [community_manager, comms_lead], template: team-alert }
        - parallel:
            - post: { template: holding }
            - pause: [ads, scheduled_posts]
        - approve: { role: superior, what: Move the ads budget to TikTok, timeout: 15m }
        - task: { title: Answer the top complaints!, role: community_manager }
        - move_conversations:
        - wait: 10m
      after_restoration:
        checklist:
          - { title: Check scheduled posts went out, role: community_manager }
        monitor: { window: 4h, probe_interval: 30s }
)yaml";

struct Loaded {
  std::unique_ptr<World> world;
  core::Result<Plan> plan = core::Error(core::ErrorCode::kInternal, "not read");
};

inline Loaded Read(const std::string& plan_yaml, bool load = false) {
  setenv("LIFELINE_TEST_FAKE_TOKEN", "t0ken", 1);
  Loaded out;
  auto w = MakeWorld(std::string(kRelay) + plan_yaml);
  if (!w.ok()) {
    out.plan = w.error();
    return out;
  }
  out.world = std::move(*w);
  out.plan = load ? LoadPlan(out.world->config, out.world->relay)
                  : ReadPlan(out.world->config, out.world->relay);
  return out;
}

inline std::string ErrorOf(const std::string& plan_yaml) {
  auto r = Read(plan_yaml);
  if (r.plan.ok()) return "(read without error)";
  EXPECT_EQ(r.plan.error().code(), core::ErrorCode::kInvalidArgument);
  return r.plan.error().message();
}

// kPlan with `from` replaced by `to` (once; the test fails when `from` is missing).
inline std::string With(std::string_view from, std::string_view to) {
  std::string s = kPlan;
  auto at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return s;
}

// 1-based line in kRelay + kPlan of the first line containing `text`.
inline int LineOf(const std::string& yaml, std::string_view text) {
  std::string all = std::string(kRelay) + yaml;
  auto at = all.find(text);
  EXPECT_NE(at, std::string::npos) << text;
  return 1 + static_cast<int>(std::count(all.begin(), all.begin() + at, '\n'));
}

// Every finding of CheckPlan on kRelay + `plan_yaml`, as "error: FILE:LINE: KEY: message" or
// "warning: ..."; one "read: MESSAGE" line when the plan cannot be read at all.
inline std::vector<std::string> Findings(const std::string& plan_yaml) {
  auto r = Read(plan_yaml);
  if (!r.plan.ok()) return {"read: " + r.plan.error().message()};
  std::vector<std::string> out;
  for (const Finding& f : CheckPlan(*r.plan, r.world->config, r.world->relay)) {
    out.push_back((f.level == Finding::Level::kError ? "error: " : "warning: ") + f.ToString());
  }
  return out;
}

}  // namespace lifeline::playbook::testing
