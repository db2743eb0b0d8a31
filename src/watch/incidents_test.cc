// Tests for incident grouping: rounds of transitions written as "instagram:open:outage" scripts
// and the actions each must produce, then silences, and a whole Meta outage through real state
// machines.
#include "watch/incidents.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <sstream>

namespace lifeline::watch {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const TimePoint kT0 = std::chrono::sys_days{std::chrono::year{2026} / 11 / 24} + 10h;

const std::map<std::string, PlatformRef> kPlatforms = {
    {"facebook", {"facebook", "Facebook", "meta"}},
    {"instagram", {"instagram", "Instagram", "meta"}},
    {"whatsapp", {"whatsapp", "WhatsApp", "meta"}},
    {"tiktok", {"tiktok", "TikTok", "bytedance"}},
    {"x", {"x", "X", ""}},
    {"y", {"y", "Y", ""}},
};

RoundEvidence Failing(core::Verdict v) {
  return RoundEvidence{.verdict = v,
                       .layer = core::Layer::kDns,
                       .detail = "servfail",
                       .confidence = 0.9,
                       .reason = "fails everywhere",
                       .evidence = {"3 of 3 vantage points fail"},
                       .observers_failing = 3};
}

core::Verdict ParseV(const std::string& s) {
  auto v = core::ParseVerdict(s);
  EXPECT_TRUE(v.has_value()) << s;
  return v.value_or(core::Verdict::kUnknown);
}

// Tokens "ID:EVENT[:VERDICT]": open, update, close, flap, unflap (settled working),
// unflap_failing (settled failing: FlappingEnded + Opened). Failures started 5 minutes before
// the round.
std::vector<Transition> Round(TimePoint at, const std::string& script) {
  std::vector<Transition> out;
  std::istringstream in(script);
  std::string tok;
  while (in >> tok) {
    std::vector<std::string> f;
    std::stringstream ss(tok);
    for (std::string part; std::getline(ss, part, ':');) f.push_back(part);
    const PlatformRef& ref = kPlatforms.at(f[0]);
    const std::string& ev = f[1];
    const core::Verdict v = f.size() > 2 ? ParseV(f[2]) : core::Verdict::kOutage;
    if (ev == "open") {
      out.push_back(Opened{ref, at, at - 5min, 2, Failing(v)});
    } else if (ev == "update") {
      out.push_back(
          Updated{ref, at, core::Verdict::kDegraded, core::Layer::kDns, "servfail", Failing(v)});
    } else if (ev == "close") {
      out.push_back(Closed{ref, at, at - 30min, at - 1min, 29min,
                           RoundEvidence{.verdict = core::Verdict::kUp}});
    } else if (ev == "flap") {
      out.push_back(FlappingStarted{ref, at, 4, 10min, true, Failing(v)});
    } else if (ev == "unflap") {
      out.push_back(
          FlappingEnded{ref, at, at - 20min, false, RoundEvidence{.verdict = core::Verdict::kUp}});
    } else if (ev == "unflap_failing") {
      out.push_back(FlappingEnded{ref, at, at - 20min, true, Failing(v)});
      out.push_back(Opened{ref, at, at - 10min, 20, Failing(v)});
    } else {
      ADD_FAILURE() << "bad event " << tok;
    }
  }
  return out;
}

std::string Join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ",") + x;
  return s;
}

// "open domain:meta [facebook,instagram] outage", "update platform:x->domain:meta [...] outage",
// "close domain:meta (recovered)", "suppressed whatsapp: <message>".
std::string Render(const IncidentAction& a) {
  struct V {
    std::string operator()(const OpenIncident& o) const {
      return "open " + o.key + " [" + Join(o.platforms) + "] " +
             std::string(core::VerdictName(o.verdict));
    }
    std::string operator()(const UpdateIncident& u) const {
      return "update " + u.key + (u.new_key.empty() ? "" : "->" + u.new_key) + " [" +
             Join(u.platforms) + "] " + std::string(core::VerdictName(u.verdict));
    }
    std::string operator()(const CloseIncident& c) const {
      return "close " + c.key + " (" + c.reason + ")";
    }
    std::string operator()(const Suppressed& s) const {
      return "suppressed " + s.platform + ": " + s.message;
    }
  };
  return std::visit(V{}, a);
}

std::string RenderAll(const std::vector<IncidentAction>& actions) {
  std::string s;
  for (const auto& a : actions) s += (s.empty() ? "" : " | ") + Render(a);
  return s;
}

struct Case {
  std::string name;
  std::vector<std::string> rounds;  // one script per round, a minute apart
  std::vector<std::string> want;    // rendered actions per round
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class GroupingTest : public ::testing::TestWithParam<Case> {};

TEST_P(GroupingTest, ActionsPerRound) {
  const Case& c = GetParam();
  ASSERT_EQ(c.rounds.size(), c.want.size());
  IncidentTracker tracker;
  for (std::size_t i = 0; i < c.rounds.size(); ++i) {
    const TimePoint at = kT0 + std::chrono::minutes(i);
    EXPECT_EQ(RenderAll(tracker.Apply(at, Round(at, c.rounds[i]))), c.want[i])
        << "round " << i << ": " << c.rounds[i];
  }
}

INSTANTIATE_TEST_SUITE_P(
    Incidents, GroupingTest,
    ::testing::Values(
        Case{"one_platform",
             {"instagram:open", "", "instagram:close"},
             {"open platform:instagram [instagram] outage", "",
              "close platform:instagram (recovered)"}},
        Case{"meta_together_is_one_incident",
             {"facebook:open instagram:open whatsapp:open:degraded", "instagram:close",
              "facebook:close whatsapp:close"},
             {"open domain:meta [facebook,instagram,whatsapp] outage",
              "update domain:meta [facebook,whatsapp] outage", "close domain:meta (recovered)"}},
        Case{"a_domain_incident_stays_open_until_the_last_closes",
             {"facebook:open instagram:open", "facebook:close", "", "instagram:close"},
             {"open domain:meta [facebook,instagram] outage",
              "update domain:meta [instagram] outage", "", "close domain:meta (recovered)"}},
        Case{"a_later_platform_joins_the_open_domain_incident",
             {"facebook:open instagram:open", "whatsapp:open:degraded"},
             {"open domain:meta [facebook,instagram] outage",
              "update domain:meta [facebook,instagram,whatsapp] outage"}},
        Case{"staggered_failures_become_one_domain_incident",
             {"instagram:open:degraded", "facebook:open", "whatsapp:open", "instagram:close"},
             {"open platform:instagram [instagram] degraded",
              "update platform:instagram->domain:meta [instagram,facebook] outage",
              "update domain:meta [instagram,facebook,whatsapp] outage",
              "update domain:meta [facebook,whatsapp] outage"}},
        Case{"a_closing_platform_incident_is_not_merged",
             {"instagram:open", "instagram:close facebook:open"},
             {"open platform:instagram [instagram] outage",
              "close platform:instagram (recovered) | open platform:facebook [facebook] outage"}},
        Case{"a_domain_incident_carries_on_when_one_leaves_as_another_fails",
             {"facebook:open instagram:open", "facebook:close", "instagram:close whatsapp:open"},
             {"open domain:meta [facebook,instagram] outage",
              "update domain:meta [instagram] outage", "update domain:meta [whatsapp] outage"}},
        Case{"platforms_without_a_domain_stay_apart",
             {"x:open y:open", "x:close y:close"},
             {"open platform:x [x] outage | open platform:y [y] outage",
              "close platform:x (recovered) | close platform:y (recovered)"}},
        Case{"different_domains_stay_apart",
             {"instagram:open tiktok:open"},
             // Actions of one round come in domain order.
             {"open platform:tiktok [tiktok] outage | open platform:instagram [instagram] "
              "outage"}},
        Case{"verdict_change_updates",
             {"instagram:open:degraded", "instagram:update:outage"},
             {"open platform:instagram [instagram] degraded",
              "update platform:instagram [instagram] outage"}},
        Case{"domain_verdict_is_the_worst",
             {"facebook:open:degraded instagram:open:regional_outage", "facebook:update:outage"},
             {"open domain:meta [facebook,instagram] regional_outage",
              "update domain:meta [facebook,instagram] outage"}},
        Case{"flapping_supersedes_the_platform_incident",
             {"instagram:open", "instagram:flap", "", "instagram:unflap"},
             {"open platform:instagram [instagram] outage",
              "close platform:instagram (superseded by flapping:instagram) | open "
              "flapping:instagram [instagram] outage",
              "", "close flapping:instagram (stopped flapping)"}},
        Case{"flapping_that_settles_failing_reopens",
             {"x:flap", "x:unflap_failing", "x:close"},
             {"open flapping:x [x] outage",
              "close flapping:x (stopped flapping) | open platform:x [x] outage",
              "close platform:x (recovered)"}},
        Case{"a_flapping_member_leaves_its_domain_incident",
             {"facebook:open instagram:open", "instagram:flap"},
             {"open domain:meta [facebook,instagram] outage",
              "update domain:meta [facebook] outage | open flapping:instagram [instagram] "
              "outage"}},
        Case{"transitions_of_unknown_platforms_do_nothing",
             {"x:close", "x:update", "x:unflap"},
             {"", "", ""}}),
    [](const auto& info) { return info.param.name; });

TEST(Incidents, OpenDomainIncidentSaysWhoWhatAndSince) {
  IncidentTracker tracker;
  auto r = Round(kT0, "whatsapp:open:degraded instagram:open facebook:open");
  std::get<Opened>(r[0]).since = kT0 - 9min;
  auto actions = tracker.Apply(kT0, r);
  ASSERT_EQ(actions.size(), 1u);
  const auto& o = std::get<OpenIncident>(actions[0]);
  EXPECT_EQ(o.kind, IncidentKind::kDomain);
  EXPECT_EQ(o.domain, "meta");
  EXPECT_EQ(o.title, "meta: outage of Facebook, Instagram and WhatsApp");
  EXPECT_EQ(o.started, kT0 - 9min);  // the earliest of its platforms
  EXPECT_EQ(o.at, kT0);
  EXPECT_THAT(o.evidence,
              ElementsAre("Facebook: outage at dns (servfail), 3 observers failing — fails "
                          "everywhere",
                          "Facebook: 3 of 3 vantage points fail",
                          "Instagram: outage at dns (servfail), 3 observers failing — fails "
                          "everywhere",
                          "Instagram: 3 of 3 vantage points fail",
                          "WhatsApp: degraded at dns (servfail), 3 observers failing — fails "
                          "everywhere",
                          "WhatsApp: 3 of 3 vantage points fail"));

  auto views = tracker.open();
  ASSERT_EQ(views.size(), 1u);
  EXPECT_EQ(views[0].key, "domain:meta");
  EXPECT_THAT(views[0].platforms, ElementsAre("facebook", "instagram", "whatsapp"));
}

TEST(Incidents, CloseCarriesDurationAndEveryPlatformThatTookPart) {
  IncidentTracker tracker;
  (void)tracker.Apply(kT0, Round(kT0, "facebook:open instagram:open"));  // since T0-5min
  auto a1 = tracker.Apply(kT0 + 10min, Round(kT0 + 10min, "facebook:close"));
  ASSERT_EQ(a1.size(), 1u);
  EXPECT_THAT(std::get<UpdateIncident>(a1[0]).evidence,
              ElementsAre(HasSubstr("Facebook: closed: up after 29 min")));
  EXPECT_EQ(std::get<UpdateIncident>(a1[0]).title, "meta: outage of Instagram");
  auto a2 = tracker.Apply(kT0 + 60min, Round(kT0 + 60min, "instagram:close"));
  ASSERT_EQ(a2.size(), 1u);
  const auto& c = std::get<CloseIncident>(a2[0]);
  EXPECT_EQ(c.key, "domain:meta");
  EXPECT_THAT(c.platforms, ElementsAre("facebook", "instagram"));
  EXPECT_EQ(c.started, kT0 - 5min);
  EXPECT_EQ(c.ended, kT0 + 59min);  // Instagram's Closed.ended
  EXPECT_EQ(c.duration, 64min);
  EXPECT_TRUE(tracker.open().empty());
}

TEST(Incidents, ARenamedIncidentKeepsItsStart) {
  IncidentTracker tracker;
  (void)tracker.Apply(kT0, Round(kT0, "instagram:open"));
  auto a = tracker.Apply(kT0 + 3min, Round(kT0 + 3min, "facebook:open"));
  ASSERT_EQ(a.size(), 1u);
  const auto& u = std::get<UpdateIncident>(a[0]);
  EXPECT_EQ(u.key, "platform:instagram");
  EXPECT_EQ(u.new_key, "domain:meta");
  EXPECT_EQ(u.kind, IncidentKind::kDomain);
  EXPECT_EQ(u.title, "meta: outage of Instagram and Facebook");
  auto views = tracker.open();
  ASSERT_EQ(views.size(), 1u);
  EXPECT_EQ(views[0].key, "domain:meta");
  EXPECT_EQ(views[0].started, kT0 - 5min);
}

TEST(Incidents, ForgettingADomainDropsItsIncidentWithoutClosingItAndLeavesTheOthers) {
  IncidentTracker tracker;
  (void)tracker.Apply(kT0, Round(kT0, "facebook:open instagram:open x:open"));
  ASSERT_EQ(tracker.open().size(), 2u);
  // Another instance took Meta's lease: no action, the Meta incident is simply not ours.
  auto dropped = tracker.Forget({"facebook", "instagram", "whatsapp"});
  EXPECT_THAT(dropped, ElementsAre("domain:meta"));
  auto views = tracker.open();
  ASSERT_EQ(views.size(), 1u);
  EXPECT_EQ(views[0].key, "platform:x");
  // Meta comes back to us later and fails again: a new incident opens (the engine continues the
  // stored one), rather than an update of an incident the tracker let go of.
  auto again = tracker.Apply(kT0 + 5min, Round(kT0 + 5min, "facebook:open"));
  EXPECT_EQ(RenderAll(again), "open platform:facebook [facebook] outage");
  // Forgetting one platform of a shared incident keeps the incident for the rest.
  (void)tracker.Apply(kT0 + 6min, Round(kT0 + 6min, "instagram:open"));
  EXPECT_TRUE(tracker.Forget({"facebook"}).empty());
  views = tracker.open();
  ASSERT_EQ(views.size(), 2u);
  EXPECT_THAT(views[0].platforms, ElementsAre("instagram"));
}

// --- Maintenance windows and silences.

Silence MetaWindow(TimePoint start, TimePoint end) {
  return Silence{.name = "Meta upgrade", .domains = {"meta"}, .start = start, .end = end};
}

TEST(Silences, NoIncidentOpensInsideAWindowButTheBoardIsToldWhy) {
  IncidentTracker tracker;
  ASSERT_TRUE(tracker.SetSilences({MetaWindow(kT0, kT0 + 1h)}));
  auto a = tracker.Apply(kT0 + 1min, Round(kT0 + 1min, "instagram:open"));
  ASSERT_EQ(a.size(), 1u);
  const auto& s = std::get<Suppressed>(a[0]);
  EXPECT_EQ(s.platform, "instagram");
  EXPECT_EQ(s.silence, "Meta upgrade");
  EXPECT_EQ(s.until, kT0 + 1h);
  EXPECT_EQ(s.message, "suppressed: maintenance window 'Meta upgrade' until 2026-11-24T11:00:00Z");
  EXPECT_THAT(s.transitions, ElementsAre(HasSubstr("opened: outage")));
  EXPECT_TRUE(tracker.open().empty());

  // Quiet rounds say nothing more; a change is still recorded.
  EXPECT_TRUE(tracker.Apply(kT0 + 2min, {}).empty());
  auto u = tracker.Apply(kT0 + 3min, Round(kT0 + 3min, "instagram:update:degraded"));
  ASSERT_EQ(u.size(), 1u);
  EXPECT_THAT(std::get<Suppressed>(u[0]).transitions, ElementsAre(HasSubstr("updated:")));

  // The window ends with Instagram still failing: its incident opens then, saying why only now.
  auto o = tracker.Apply(kT0 + 1h, {});
  ASSERT_EQ(o.size(), 1u);
  const auto& open = std::get<OpenIncident>(o[0]);
  EXPECT_EQ(open.key, "platform:instagram");
  EXPECT_EQ(open.verdict, core::Verdict::kDegraded);
  EXPECT_EQ(open.started, kT0 - 4min);  // when it really started failing
  EXPECT_THAT(open.evidence,
              testing::Contains("the window 'Meta upgrade' is over and Instagram is still "
                                "failing"));
}

TEST(Silences, RecoveryInsideTheWindowLeavesNothingOpen) {
  IncidentTracker tracker;
  ASSERT_TRUE(tracker.SetSilences({MetaWindow(kT0, kT0 + 1h)}));
  (void)tracker.Apply(kT0 + 1min, Round(kT0 + 1min, "instagram:open"));
  auto c = tracker.Apply(kT0 + 30min, Round(kT0 + 30min, "instagram:close"));
  EXPECT_EQ(RenderAll(c),
            "suppressed instagram: suppressed: maintenance window 'Meta upgrade' until "
            "2026-11-24T11:00:00Z");
  EXPECT_TRUE(tracker.Apply(kT0 + 2h, {}).empty());
  EXPECT_TRUE(tracker.open().empty());
}

TEST(Silences, AnIncidentOpenBeforeTheWindowStillUpdatesAndCloses) {
  IncidentTracker tracker;
  ASSERT_TRUE(tracker.SetSilences({MetaWindow(kT0 + 10min, kT0 + 1h)}));
  EXPECT_EQ(RenderAll(tracker.Apply(kT0, Round(kT0, "instagram:open:degraded"))),
            "open platform:instagram [instagram] degraded");
  EXPECT_EQ(RenderAll(tracker.Apply(kT0 + 20min, Round(kT0 + 20min, "instagram:update:outage"))),
            "update platform:instagram [instagram] outage");
  EXPECT_EQ(RenderAll(tracker.Apply(kT0 + 30min, Round(kT0 + 30min, "instagram:close"))),
            "close platform:instagram (recovered)");
}

TEST(Silences, OnlyTheSilencedPlatformIsLeftOut) {
  IncidentTracker tracker;
  ASSERT_TRUE(tracker.SetSilences({Silence{.name = "WA quiet",
                                           .kind = SilenceKind::kSilence,
                                           .platforms = {"whatsapp"},
                                           .start = kT0,
                                           .end = kT0 + 1h}}));
  EXPECT_EQ(RenderAll(tracker.Apply(kT0, Round(kT0, "facebook:open instagram:open whatsapp:open"))),
            "open domain:meta [facebook,instagram] outage | suppressed whatsapp: suppressed: "
            "silence 'WA quiet' until 2026-11-24T11:00:00Z");
  // When the silence ends, WhatsApp joins the Meta incident.
  auto a = tracker.Apply(kT0 + 1h, {});
  EXPECT_EQ(RenderAll(a), "update domain:meta [facebook,instagram,whatsapp] outage");
  EXPECT_THAT(std::get<UpdateIncident>(a[0]).evidence,
              ElementsAre("WhatsApp joined: outage at dns (servfail)",
                          "the window 'WA quiet' is over and WhatsApp is still failing"));
}

TEST(Silences, AWeeklyWindowAppliesEveryWeek) {
  IncidentTracker tracker;
  // Tuesdays 10:00-11:00 UTC; kT0 is Tuesday 10:00.
  ASSERT_TRUE(tracker.SetSilences({Silence{
      .name = "Tuesday deploys",
      .platforms = {"x"},
      .weekly = WeeklyRecurrence{.days = {std::chrono::Tuesday}, .start = 10h, .duration = 1h}}}));
  const TimePoint next_week = kT0 + std::chrono::days(7) + 5min;
  EXPECT_EQ(RenderAll(tracker.Apply(next_week, Round(next_week, "x:open"))),
            "suppressed x: suppressed: maintenance window 'Tuesday deploys' until "
            "2026-12-01T11:00:00Z");
  const TimePoint wednesday = kT0 + std::chrono::days(8);
  EXPECT_EQ(RenderAll(tracker.Apply(wednesday, Round(wednesday, "y:open"))),
            "open platform:x [x] outage | open platform:y [y] outage");
}

TEST(Silences, AFlappingPlatformInAWindowGetsNoFlappingIncident) {
  IncidentTracker tracker;
  ASSERT_TRUE(tracker.SetSilences({MetaWindow(kT0, kT0 + 1h)}));
  auto a = tracker.Apply(kT0, Round(kT0, "instagram:flap"));
  ASSERT_EQ(a.size(), 1u);
  EXPECT_THAT(std::get<Suppressed>(a[0]).transitions, ElementsAre(HasSubstr("flapping")));
  auto b = tracker.Apply(kT0 + 1h, {});
  EXPECT_EQ(RenderAll(b), "open flapping:instagram [instagram] outage");
}

TEST(Silences, InvalidSilencesAreRejectedAndTheOldOnesKept) {
  IncidentTracker tracker;
  ASSERT_TRUE(tracker.SetSilences({MetaWindow(kT0, kT0 + 1h)}));
  auto s = tracker.SetSilences({MetaWindow(kT0, kT0 + 1h), MetaWindow(kT0, kT0)});
  ASSERT_FALSE(s);
  EXPECT_THAT(s.error().message(), HasSubstr("silence 'Meta upgrade': end"));
  ASSERT_EQ(tracker.silences().size(), 1u);
}

// --- The whole path: per-platform state machines feeding the tracker.

TEST(Incidents, MetaOutageThroughStateMachines) {
  std::vector<PlatformStateMachine> machines;
  for (const char* id : {"facebook", "instagram", "whatsapp", "x"}) {
    machines.emplace_back(kPlatforms.at(id));
  }
  IncidentTracker tracker;
  // Per round: the verdict of facebook, instagram, whatsapp, x (o outage, u up, l local_network).
  const std::vector<std::string> rounds = {
      "uuuu", "oouu", "ooou", "oool", "uuol", "uuuu", "uuuu", "uuuu",
  };
  std::vector<std::string> log;
  for (std::size_t r = 0; r < rounds.size(); ++r) {
    const TimePoint at = kT0 + 30s * static_cast<int>(r);
    std::vector<Transition> all;
    for (std::size_t p = 0; p < machines.size(); ++p) {
      const char c = rounds[r][p];
      const core::Verdict v = c == 'o'   ? core::Verdict::kOutage
                              : c == 'l' ? core::Verdict::kLocalNetwork
                                         : core::Verdict::kUp;
      RoundEvidence e = v == core::Verdict::kOutage ? Failing(v) : RoundEvidence{.verdict = v};
      e.observers_failing = 1;  // unconfirmed: two rounds to open
      for (auto& t : machines[p].Observe(at, e)) all.push_back(std::move(t));
    }
    const std::string rendered = RenderAll(tracker.Apply(at, all));
    if (!rendered.empty()) log.push_back(std::to_string(r) + ": " + rendered);
  }
  EXPECT_THAT(log, ElementsAre("2: open domain:meta [facebook,instagram] outage",
                               "3: update domain:meta [facebook,instagram,whatsapp] outage",
                               "6: update domain:meta [whatsapp] outage",
                               "7: close domain:meta (recovered)"));
}

}  // namespace
}  // namespace lifeline::watch
