// Tests of `plan check` (CheckPlan) and `plan advise` (Advise): each error and warning docs/
// playbook.md names, at its FILE:LINE: key, and the advisor's shares and sentences.
#include "playbook/check.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "playbook/test_util.h"

namespace lifeline::playbook {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using testing::Findings;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::kPlan;
using testing::LineOf;
using ::testing::Not;
using testing::Read;
using testing::With;

// A finding line: its level, FILE:LINE: KEY and a part of the message.
auto Finding(std::string_view level, const std::string& yaml, std::string_view line_text,
             std::string_view key, std::string_view message) {
  return Contains(AllOf(
      HasSubstr(fmt::format("{}: lifeline.yaml:{}: {}: ", level, LineOf(yaml, line_text), key)),
      HasSubstr(std::string(message))));
}

TEST(PlanCheck, TheGoodPlanIsClean) { EXPECT_THAT(Findings(kPlan), IsEmpty()); }

// ---- roles ----

TEST(PlanCheck, UnknownRoleOfAPerson) {
  std::string yaml = With("roles: [community_manager]", "roles: [comunity_manager]");
  EXPECT_THAT(Findings(yaml),
              Finding("error", yaml, "roles: [comunity_manager]", "plan.team.ana.roles[0]",
                      "unknown role 'comunity_manager' (did you mean 'community_manager'?)"));
}

TEST(PlanCheck, UnknownRoleOrPersonInAStep) {
  std::string yaml =
      With("to: [community_manager, comms_lead]", "to: [community_manger, comms_lead]");
  EXPECT_THAT(Findings(yaml), Finding("error", yaml, "to: [community_manger",
                                      "plan.responses.meta-outage.steps[0].notify.to[0]",
                                      "unknown role or person 'community_manger' (did you mean "
                                      "'community_manager'?)"));
}

TEST(PlanCheck, UnknownRoleOfATaskAndTheOnCallRole) {
  std::string yaml =
      With("role: community_manager }\n        - move", "role: comms_leed }\n        - move");
  EXPECT_THAT(Findings(yaml), Finding("error", yaml, "role: comms_leed",
                                      "plan.responses.meta-outage.steps[3].task.role",
                                      "unknown role 'comms_leed' (did you mean 'comms_lead'?)"));
  yaml = With("  name: Test plan\n", "  name: Test plan\n  on_call: on_cal\n");
  EXPECT_THAT(Findings(yaml), Finding("error", yaml, "on_call: on_cal", "plan.on_call",
                                      "unknown role 'on_cal' (did you mean 'on_call'?)"));
}

TEST(PlanCheck, ARoleNobodyHoldsThatAStepNeeds) {
  std::string yaml =
      With("        - wait: 10m", "        - task: { title: Pause the ads, role: ads_owner }");
  yaml.replace(yaml.find("    on_call:\n"), 12, "    on_call:\n    ads_owner:\n");
  EXPECT_THAT(Findings(yaml), Finding("error", yaml, "role: ads_owner }",
                                      "plan.responses.meta-outage.steps[5].task.role",
                                      "nobody in the team holds role 'ads_owner', which step "
                                      "task-pause-the-ads of response meta-outage needs"));
}

TEST(PlanCheck, ARoleNobodyHoldsInAnEscalationPolicy) {
  std::string yaml = With("to: [comms_lead, superior], repeat: 2", "to: [comms_lead, ads_owner]");
  yaml.replace(yaml.find("    on_call:\n"), 12, "    on_call:\n    ads_owner:\n");
  EXPECT_THAT(Findings(yaml), Finding("error", yaml, "to: [comms_lead, ads_owner]",
                                      "plan.escalation.standard.to[1]",
                                      "nobody in the team holds role 'ads_owner', which "
                                      "escalation policy standard needs"));
}

TEST(PlanCheck, ARoleNobodyHoldsAndNothingUsesIsAWarning) {
  std::string yaml = With("    on_call:\n", "    on_call:\n    ads_owner: Runs the ads\n");
  EXPECT_THAT(Findings(yaml),
              ElementsAre(AllOf(HasSubstr(fmt::format("warning: lifeline.yaml:{}: plan.roles."
                                                      "ads_owner: ",
                                                      LineOf(yaml, "ads_owner:"))),
                                HasSubstr("nobody holds role 'ads_owner' and nothing asks for "
                                          "it"))));
}

TEST(PlanCheck, ARoleThatIsAlsoAPerson) {
  std::string yaml =
      With("    cy: {", "    superior: { contact: dee, roles: [superior] }\n    cy: {");
  EXPECT_THAT(Findings(yaml), Finding("error", yaml, "superior: { contact", "plan.team.superior",
                                      "'superior' is both a role and a person"));
}

// ---- contacts ----

TEST(PlanCheck, UnknownContact) {
  std::string yaml = With("contact: ana", "contact: anna");
  EXPECT_THAT(Findings(yaml), Finding("error", yaml, "contact: anna", "plan.team.ana.contact",
                                      "unknown contact 'anna' (did you mean 'ana'?)"));
}

TEST(PlanCheck, AContactWithNoUsableChannel) {
  std::string yaml = With("contact: ana", "contact: pub");
  EXPECT_THAT(Findings(yaml),
              Finding("error", yaml, "contact: pub", "plan.team.ana.contact",
                      "contact 'pub' has no usable channel: brand-x posts to the audience, not "
                      "to a person"));
}

TEST(PlanCheck, AContactPointThatPostsPubliclyIsAWarning) {
  std::string yaml = With("contact: ana", "contact: mixed");
  EXPECT_THAT(Findings(yaml), Finding("warning", yaml, "contact: mixed", "plan.team.ana.contact",
                                      "has a point on brand-x, which posts publicly"));
}

// ---- inventory ----

TEST(PlanCheck, InventoryReferences) {
  std::string yaml = With("platform: instagram\n", "platform: instagarm\n");
  EXPECT_THAT(Findings(yaml),
              Finding("error", yaml, "platform: instagarm", "plan.inventory.instagram.platform",
                      "unknown platform 'instagarm' (did you mean 'instagram'?)"));
  yaml = With("channel: brand-telegram,", "channel: brand-telegam,");
  EXPECT_THAT(Findings(yaml),
              Finding("error", yaml, "channel: brand-telegam", "plan.inventory.telegram.channel",
                      "unknown channel 'brand-telegam' (did you mean "
                      "'brand-telegram'?)"));
  yaml = With("channel: brand-telegram,", "channel: brand-telegram, platform: x,");
  EXPECT_THAT(Findings(yaml), Finding("error", yaml, "brand-telegram, platform: x,",
                                      "plan.inventory.telegram.platform",
                                      "channel brand-telegram rides on telegram (its platform), "
                                      "not x"));
  yaml = With("backup: telegram", "backup: telegarm");
  EXPECT_THAT(Findings(yaml),
              Finding("error", yaml, "backup: telegarm", "plan.inventory.instagram.backup",
                      "unknown inventory channel 'telegarm' (did you mean "
                      "'telegram'?)"));
  yaml = With("backup: telegram", "backup: instagram");
  EXPECT_THAT(Findings(yaml),
              Finding("error", yaml, "backup: instagram", "plan.inventory.instagram.backup",
                      "a channel cannot be its own backup"));
}

TEST(PlanCheck, OnlyOnePrimary) {
  std::string yaml = With("audience: 15000,", "audience: 15000, primary: true,");
  EXPECT_THAT(Findings(yaml), Finding("error", yaml, "audience: 15000, primary: true",
                                      "plan.inventory.telegram.primary",
                                      "instagram is already the primary channel"));
}

TEST(PlanCheck, InventoryWarnings) {
  std::string yaml = With("      primary: true\n", "");
  EXPECT_THAT(Findings(yaml), Finding("warning", yaml, "  inventory:", "plan.inventory",
                                      "no inventory channel is primary"));
  yaml = With("      backup: telegram\n", "");
  EXPECT_THAT(Findings(yaml),
              Finding("warning", yaml, "    instagram:\n      platform", "plan.inventory.instagram",
                      "the primary channel instagram has no backup"));
  yaml = With("backup: telegram", "backup: whatsapp");
  EXPECT_THAT(Findings(yaml),
              Finding("warning", yaml, "backup: whatsapp", "plan.inventory.instagram.backup",
                      "backup whatsapp fails with instagram in a Meta-wide "
                      "outage"));
  EXPECT_THAT(Findings(yaml),
              Finding("warning", yaml, "backup: whatsapp", "plan.inventory.instagram.backup",
                      "backup whatsapp has no link"));
}

TEST(PlanCheck, NoInventoryIsAWarning) {
  std::string yaml = kPlan;
  yaml.erase(yaml.find("  inventory:"), yaml.find("  escalation:") - yaml.find("  inventory:"));
  auto f = Findings(yaml);
  EXPECT_THAT(f, Contains(HasSubstr("warning: lifeline.yaml:")));
  EXPECT_THAT(f, Contains(HasSubstr("no inventory: plan advise has nothing to weigh")));
  // And the post has nowhere to go: it can never run.
  EXPECT_THAT(f, Contains(HasSubstr("this post can never run")));
}

// ---- escalation ----

TEST(PlanCheck, UnknownEscalationPolicy) {
  std::string yaml = With("      escalation: standard\n", "      escalation: standrd\n");
  EXPECT_THAT(Findings(yaml),
              Finding("error", yaml, "escalation: standrd", "plan.responses.meta-outage.escalation",
                      "unknown escalation policy 'standrd' (did you mean "
                      "'standard'?)"));
}

TEST(PlanCheck, EscalatingWithoutAPolicy) {
  std::string yaml = With("      escalation: standard\n", "");
  yaml.replace(yaml.find("- wait: 10m"), 11, "- { wait: 10m, on_error: escalate }");
  auto f = Findings(yaml);
  EXPECT_THAT(f, Finding("error", yaml, "on_error: escalate",
                         "plan.responses.meta-outage.steps[5].on_error",
                         "on_error escalates, but there is no escalation policy"));
  EXPECT_THAT(f, Finding("error", yaml, "- approve:", "plan.responses.meta-outage.steps[2].approve",
                         "on_timeout: escalate (the default) needs an escalation policy"));
  EXPECT_THAT(f, Finding("warning", yaml, "- task:", "plan.responses.meta-outage.steps[3].task",
                         "nobody is chased if this task is not acknowledged"));
}

TEST(PlanCheck, AnEscalationUnderAMinuteIsAWarning) {
  std::string yaml = With("{ after: 10m, to:", "{ after: 20s, to:");
  EXPECT_THAT(
      Findings(yaml),
      ElementsAre(
          AllOf(HasSubstr(fmt::format("warning: lifeline.yaml:{}: plan.escalation.standard.after: ",
                                      LineOf(yaml, "after: 20s"))),
                HasSubstr("escalation policy standard asks the next level after only 20s: people "
                          "need a moment to acknowledge (at least 1m"))));
  // A plan with only warnings loads: a drill or a test may escalate in seconds.
  auto loaded = Read(yaml, /*load=*/true);
  ASSERT_TRUE(loaded.plan.ok()) << loaded.plan.error().message();
  EXPECT_EQ(loaded.plan->FindPolicy("standard")->after, std::chrono::seconds(20));
  EXPECT_THAT(Findings(With("{ after: 10m, to:", "{ after: 1m, to:")), IsEmpty());
}

// ---- triggers ----

TEST(PlanCheck, TriggersThatCanNeverFire) {
  std::string yaml = With("trigger: { domains: [meta], verdicts: [outage, regional_outage]",
                          "trigger: { platforms: [whatsap], domains: [metta, meta], verdicts: "
                          "[outage, just_you]");
  auto f = Findings(yaml);
  EXPECT_THAT(f, Finding("error", yaml, "platforms: [whatsap]",
                         "plan.responses.meta-outage.trigger.platforms[0]",
                         "unknown platform 'whatsap' (did you mean 'whatsapp'?)"));
  EXPECT_THAT(f, Finding("error", yaml, "platforms: [whatsap]",
                         "plan.responses.meta-outage.trigger.domains[0]",
                         "unknown failure domain 'metta' (did you mean 'meta'?)"));
  EXPECT_THAT(f, Finding("error", yaml, "platforms: [whatsap]",
                         "plan.responses.meta-outage.trigger.verdicts[1]",
                         "'just_you' never opens an incident"));
}

// ---- steps that can never run ----

TEST(PlanCheck, AStepAfterAnUnconditionalStop) {
  std::string yaml = With(
      "        - approve: { role: superior, what: Move the ads budget to TikTok, timeout: 15m }",
      "        - approve: { role: ads_owner, what: Spend more, timeout: 15m, on_timeout: stop }");
  yaml.replace(yaml.find("    on_call:\n"), 12, "    on_call:\n    ads_owner:\n");
  auto f = Findings(yaml);
  EXPECT_THAT(f, Finding("error", yaml, "- task:", "plan.responses.meta-outage.steps[3]",
                         "this step can never run: step approve-ads_owner (line "));
  EXPECT_THAT(f, Contains(HasSubstr("nobody can give its approval (nobody holds ads_owner) and "
                                    "on_timeout is stop")));
}

TEST(PlanCheck, WaitAndApproveInsideParallel) {
  std::string yaml = With("            - pause: [ads, scheduled_posts]",
                          "            - wait: 5m\n            - approve: { role: superior, what: "
                          "x, timeout: 5m }");
  auto f = Findings(yaml);
  EXPECT_THAT(f, Finding("error", yaml, "- wait: 5m",
                         "plan.responses.meta-outage.steps[1].parallel[1].wait",
                         "a wait inside parallel delays nothing"));
  EXPECT_THAT(f, Finding("error", yaml, "- approve: { role: superior, what: x",
                         "plan.responses.meta-outage.steps[1].parallel[2].approve",
                         "an approval inside parallel holds nothing back"));
}

TEST(PlanCheck, APostWithNowhereToGo) {
  std::string yaml = With("- post: { template: holding }",
                          "- { post: { template: holding, on: [telegram] }, on_error: stop }");
  yaml.replace(yaml.find("domains: [meta]"), 15, "platforms: [telegram]");
  auto f = Findings(yaml);
  EXPECT_THAT(
      f, Finding("error", yaml, "- { post:", "plan.responses.meta-outage.steps[1].parallel[0].post",
                 "this post can never run: every channel in on: fails in a Telegram "
                 "outage"));
  EXPECT_THAT(f, Finding("error", yaml, "- approve:", "plan.responses.meta-outage.steps[2]",
                         "this step can never run"));
}

TEST(PlanCheck, APostWithNowhereToGoDuringOneOfItsFailures) {
  std::string yaml =
      With("- post: { template: holding }", "- post: { template: holding, on: [telegram] }");
  yaml.replace(yaml.find("domains: [meta]"), 15, "domains: [meta, telegram]");
  EXPECT_THAT(Findings(yaml), Finding("warning", yaml, "- post:",
                                      "plan.responses.meta-outage.steps[1].parallel[0].post",
                                      "during a Telegram-wide outage this post has nowhere to "
                                      "go"));
}

TEST(PlanCheck, MovingConversationsWithNoBackup) {
  std::string yaml = With("domains: [meta]", "platforms: [telegram]");
  EXPECT_THAT(Findings(yaml), Finding("error", yaml, "- move_conversations:",
                                      "plan.responses.meta-outage.steps[4].move_conversations",
                                      "this step can never run: no inventory channel that fails "
                                      "here has a backup"));
}

TEST(PlanCheck, APostChannelWithoutARecipient) {
  std::string yaml =
      With("    whatsapp:", "    news: { channel: brand-news, audience: 10 }\n    whatsapp:");
  EXPECT_THAT(Findings(yaml), Finding("error", yaml, "- post:",
                                      "plan.responses.meta-outage.steps[1].parallel[0].post",
                                      "channel brand-news cannot take a post without a "
                                      "recipient"));
}

// ---- texts ----

TEST(PlanCheck, ATextOverAChannelsLimit) {
  std::string yaml = With("- notify: { to: [community_manager, comms_lead], template: team-alert }",
                          "- notify: { to: comms_lead, text: \"{platform} is down since {time}: "
                          "{incident}. Tell the team.\" }");
  EXPECT_THAT(Findings(yaml), Finding("error", yaml, "text: \"{platform}",
                                      "plan.responses.meta-outage.steps[0].notify.text",
                                      "on channel team-sms with every variable at its longest"));
  EXPECT_THAT(Findings(yaml), Contains(HasSubstr("team-sms allows 160")));
}

TEST(PlanCheck, ABadVariableInAText) {
  std::string yaml = With("template: team-alert }", "text: \"{platfrom} is down\" }");
  EXPECT_THAT(Findings(yaml), Finding("error", yaml, "text: \"{platfrom}",
                                      "plan.responses.meta-outage.steps[0].notify.text",
                                      "{platfrom} is not a variable (did you mean {platform}?)"));
}

TEST(PlanCheck, TemplatesUnknownOrWithoutTextForAChannel) {
  std::string yaml = With("template: team-alert }", "template: team-alrt }");
  EXPECT_THAT(Findings(yaml), Finding("error", yaml, "template: team-alrt",
                                      "plan.responses.meta-outage.steps[0].notify.template",
                                      "unknown template 'team-alrt' (did you mean "
                                      "'team-alert'?)"));
  yaml = With("to: [community_manager, comms_lead], template: team-alert",
              "to: comms_lead, template: tg-only");
  EXPECT_THAT(Findings(yaml), Finding("warning", yaml, "template: tg-only",
                                      "plan.responses.meta-outage.steps[0].notify.template",
                                      "template tg-only has no text for channel team-sms"));
}

// ---- the main warning ----

constexpr std::string_view kTeam =
    "    cy: { contact: cy, roles: [comms_lead, on_call] }\n    dee: { contact: dee, roles: "
    "[superior, on_call], name: Dee E. }";

TEST(PlanCheck, OnCallAlertsThatWouldTravelThroughTheFailedDomain) {
  std::string yaml = With(kTeam,
                          "    cy: { contact: cy, roles: [comms_lead] }\n    dee: { contact: dee, "
                          "roles: [superior] }\n    bo: { contact: bo, roles: [on_call] }");
  EXPECT_THAT(Findings(yaml),
              Finding("warning", yaml, "    on_call:", "plan.roles.on_call",
                      "the on_call's alerts would travel through Meta, which this plan responds "
                      "to (response meta-outage): every contact point of Bo Chen is on "
                      "team-whatsapp and team-instagram"));
  // A platform of the domain is enough: WhatsApp's outage may be Meta's.
  std::string wa = yaml;
  wa.replace(wa.find("domains: [meta]"), 15, "platforms: [whatsapp]");
  EXPECT_THAT(Findings(wa), Contains(HasSubstr("the on_call's alerts would travel through Meta")));
  // Not for a response to another domain.
  std::string tg = yaml;
  tg.replace(tg.find("domains: [meta]"), 15, "domains: [telegram]");
  EXPECT_THAT(Findings(tg), Not(Contains(HasSubstr("alerts would travel through"))));
}

TEST(PlanCheck, APersonNamedDirectlyWhoseAlertsWouldTravelThroughTheFailedDomain) {
  std::string yaml =
      With(kTeam, std::string(kTeam) + "\n    bo: { contact: bo, roles: [comms_lead] }");
  yaml.replace(yaml.find("to: [community_manager, comms_lead]"), 35, "to: [community_manager, bo]");
  EXPECT_THAT(Findings(yaml),
              Finding("warning", yaml, "    bo: { contact: bo", "plan.team.bo.contact",
                      "Bo Chen's alerts would travel through Meta"));
}

TEST(PlanCheck, OnCallCover) {
  std::string yaml = With(kTeam,
                          "    cy: { contact: cy, roles: [comms_lead] }\n    dee: { "
                          "contact: dee, roles: [superior] }");
  yaml.replace(yaml.find("roles: [community_manager]"), 26, "roles: [community_manager, on_call]");
  EXPECT_THAT(Findings(yaml),
              Finding("warning", yaml, "    on_call:", "plan.roles.on_call",
                      "the on-call role 'on_call' has gaps: nobody holding it works on Mon at "
                      "00:00 UTC (in winter)"));
  std::string none = With(kTeam,
                          "    cy: { contact: cy, roles: [comms_lead] }\n    dee: { "
                          "contact: dee, roles: [superior] }");
  none.erase(none.find("    on_call:\n"), 12);
  EXPECT_THAT(Findings(none), Finding("warning", none, "      hours:", "plan.team.ana.hours",
                                      "the plan has no on-call role"));
}

// ---- LoadPlan ----

TEST(PlanCheck, LoadPlanRefusesThePlanAtItsFirstError) {
  std::string yaml = With("contact: ana", "contact: anna");
  auto r = Read(yaml, true);
  ASSERT_FALSE(r.plan.ok());
  EXPECT_EQ(r.plan.error().code(), core::ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.plan.error().message(),
            fmt::format("lifeline.yaml:{}: plan.team.ana.contact: unknown contact 'anna' (did you "
                        "mean 'ana'?): each person is reached through a contact of the relay "
                        "(contacts: ID: {{ points: [...] }})",
                        LineOf(yaml, "contact: anna")));
  std::string warn = With("    on_call:\n", "    on_call:\n    ads_owner:\n");
  auto w = Read(warn, true);
  ASSERT_TRUE(w.plan.ok()) << w.plan.error().message();
  ASSERT_EQ(w.plan->warnings.size(), 1u);
  EXPECT_THAT(w.plan->warnings[0].message, HasSubstr("ads_owner"));
}

// ---- advise ----

Advice AdviseOn(const std::string& yaml) {
  auto r = Read(yaml);
  EXPECT_TRUE(r.plan.ok()) << r.plan.error().message();
  if (!r.plan.ok()) return {};
  return Advise(*r.plan, r.world->config, r.world->relay);
}

std::string WithInventory(std::string_view inventory) {
  std::string yaml = kPlan;
  auto from = yaml.find("  inventory:");
  yaml.replace(from, yaml.find("  escalation:") - from, inventory);
  return yaml;
}

TEST(PlanAdvise, TheIssuesExample) {
  Advice a = AdviseOn(
      WithInventory("  inventory:\n"
                    "    instagram: { platform: instagram, audience: 70000, primary: true }\n"
                    "    whatsapp: { platform: whatsapp, audience: 12000 }\n"
                    "    x: { platform: x, audience: 18000 }\n"));
  EXPECT_EQ(a.total, 100000u);
  ASSERT_EQ(a.domains.size(), 2u);
  const Exposure& meta = a.domains[0];
  EXPECT_EQ(meta.id, "meta");
  EXPECT_EQ(meta.reachable, 18000u);
  EXPECT_DOUBLE_EQ(meta.share, 0.18);
  EXPECT_THAT(meta.cut_off, ElementsAre("instagram", "whatsapp"));
  EXPECT_THAT(meta.surviving, ElementsAre("x"));
  EXPECT_EQ(meta.advice,
            "A Meta-wide outage, as on 4 Oct 2021, leaves 18% of your audience reachable: add "
            "e-mail or Telegram");
  EXPECT_THAT(meta.suggestions, ElementsAre("e-mail", "Telegram"));
  EXPECT_EQ(a.domains[1].id, "x");
  EXPECT_EQ(a.domains[1].advice, "An X-wide outage leaves 82% of your audience reachable");
  EXPECT_TRUE(a.domains[1].suggestions.empty());
  ASSERT_EQ(a.platforms.size(), 3u);
  EXPECT_EQ(a.platforms[0].id, "instagram");  // worst first
  EXPECT_EQ(a.platforms[0].advice,
            "An Instagram outage leaves 30% of your audience reachable: add e-mail or Telegram");
}

TEST(PlanAdvise, AudiencesAreSummedPerChannel) {
  Advice a = AdviseOn(kPlan);
  EXPECT_EQ(a.total, 100000u);  // 60000 + 15000 + 20000 + 5000: overlap not known, not removed
  ASSERT_EQ(a.domains.size(), 2u);
  EXPECT_EQ(a.domains[0].id, "meta");
  EXPECT_EQ(a.domains[0].reachable, 35000u);
  EXPECT_EQ(a.domains[1].id, "telegram");
  // Only Meta's outage is cited with a date.
  EXPECT_THAT(a.domains[1].advice, Not(HasSubstr("as on")));
  EXPECT_EQ(a.domains[1].advice, "A Telegram-wide outage leaves 85% of your audience reachable");
}

TEST(PlanAdvise, NeverOneChannelOnly) {
  for (std::string_view inventory :
       {"  inventory:\n    instagram: { platform: instagram, audience: 1000 }\n",
        "  inventory:\n    instagram: { platform: instagram, audience: 1000 }\n    telegram: { "
        "channel: brand-telegram, audience: 10 }\n    mail: { channel: brand-mail, audience: 10 "
        "}\n    x: { channel: brand-x, audience: 10 }\n    bsky: { platform: bluesky, audience: "
        "10 }\n    masto: { platform: mastodon, audience: 10 }\n    yt: { platform: youtube, "
        "audience: 10 }\n    tiktok: { platform: tiktok, audience: 10 }\n"}) {
    Advice a = AdviseOn(WithInventory(inventory));
    for (const auto* list : {&a.domains, &a.platforms}) {
      for (const Exposure& e : *list) {
        if (e.share >= kComfortableShare) continue;
        EXPECT_GE(e.suggestions.size(), 2u) << e.advice;
      }
    }
  }
  Advice one = AdviseOn(
      WithInventory("  inventory:\n    instagram: { platform: instagram, audience: 1000 }\n"));
  EXPECT_EQ(one.domains[0].advice,
            "A Meta-wide outage, as on 4 Oct 2021, leaves 0% of your audience reachable: add "
            "e-mail or Telegram");
  EXPECT_THAT(one.notes, ElementsAre(HasSubstr("the whole audience is on one channel")));
}

TEST(PlanAdvise, EverythingOnOneDomain) {
  Advice a =
      AdviseOn(WithInventory("  inventory:\n"
                             "    instagram: { platform: instagram, audience: 100 }\n"
                             "    whatsapp: { platform: whatsapp, audience: 100 }\n"));
  EXPECT_THAT(a.notes, ElementsAre(HasSubstr("every channel in the inventory rides on Meta")));
}

TEST(PlanAdvise, NoAudienceFigures) {
  Advice a =
      AdviseOn(WithInventory("  inventory:\n"
                             "    instagram: { platform: instagram, audience: 0 }\n"
                             "    telegram: { channel: brand-telegram, audience: 0 }\n"));
  EXPECT_EQ(a.total, 0u);
  EXPECT_THAT(a.notes, ElementsAre(HasSubstr("no inventory channel gives its audience")));
  for (const Exposure& e : a.domains) EXPECT_TRUE(e.suggestions.empty());
}

TEST(PlanAdvise, DisplayNames) {
  EXPECT_EQ(DomainDisplayName("meta"), "Meta");
  EXPECT_EQ(DomainDisplayName("bytedance"), "ByteDance");
  EXPECT_EQ(DomainDisplayName("self-hosted"), "self-hosted");
}

}  // namespace
}  // namespace lifeline::playbook
