// Tests for the per-platform state machine: sequences of verdicts written as a small script
// ("O O U U U") and the transitions each round must produce, on a fake clock.
#include "watch/state_machine.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

namespace lifeline::watch {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;
using ::testing::HasSubstr;

const TimePoint kT0 =
    std::chrono::sys_days{std::chrono::year{2026} / 11 / 27} + std::chrono::hours(10);

struct Step {
  core::Verdict verdict;
  int observers;
};

// "O" outage, "R" regional_outage, "D" degraded, "U" up, "J" just_you, "S" local_dns,
// "L" local_network, "N" no_network, "?" unknown. A digit after the letter is the number of
// observers failing (default 1 for failing verdicts, 0 otherwise); "*N" repeats the step N times.
std::vector<Step> Parse(const std::string& script) {
  std::vector<Step> steps;
  std::istringstream in(script);
  std::string tok;
  while (in >> tok) {
    core::Verdict v{};
    switch (tok[0]) {
      case 'O':
        v = core::Verdict::kOutage;
        break;
      case 'R':
        v = core::Verdict::kRegionalOutage;
        break;
      case 'D':
        v = core::Verdict::kDegraded;
        break;
      case 'U':
        v = core::Verdict::kUp;
        break;
      case 'J':
        v = core::Verdict::kJustYou;
        break;
      case 'S':
        v = core::Verdict::kLocalDns;
        break;
      case 'L':
        v = core::Verdict::kLocalNetwork;
        break;
      case 'N':
        v = core::Verdict::kNoNetwork;
        break;
      case '?':
        v = core::Verdict::kUnknown;
        break;
      default:
        ADD_FAILURE() << "bad token " << tok;
        return steps;
    }
    std::size_t i = 1;
    int observers = Classify(v) == RoundKind::kFailing ? 1 : 0;
    if (i < tok.size() && std::isdigit(static_cast<unsigned char>(tok[i]))) {
      observers = tok[i] - '0';
      ++i;
    }
    int repeat = 1;
    if (i < tok.size() && tok[i] == '*') repeat = std::stoi(tok.substr(i + 1));
    for (int r = 0; r < repeat; ++r) steps.push_back({v, observers});
  }
  return steps;
}

std::string KindName(const Transition& t) {
  struct V {
    std::string operator()(const Opened&) const { return "opened"; }
    std::string operator()(const Updated&) const { return "updated"; }
    std::string operator()(const Closed&) const { return "closed"; }
    std::string operator()(const FlappingStarted&) const { return "flapping_started"; }
    std::string operator()(const FlappingEnded&) const { return "flapping_ended"; }
  };
  return std::visit(V{}, t);
}

RoundEvidence Evidence(core::Verdict v, int observers, core::Layer layer = core::Layer::kDns,
                       std::string detail = "servfail") {
  if (Classify(v) != RoundKind::kFailing) {
    layer = core::Layer::kNone;
    detail.clear();
  }
  return RoundEvidence{.verdict = v,
                       .layer = layer,
                       .detail = detail,
                       .confidence = 0.9,
                       .reason = std::string(core::VerdictName(v)),
                       .evidence = {"a line"},
                       .observers_failing = observers};
}

// Runs the script and renders every round that produced transitions as "INDEX:kind[+kind]".
std::string RunScript(PlatformStateMachine& m, const std::string& script, seconds interval,
                      TimePoint start = kT0) {
  std::string out;
  auto steps = Parse(script);
  for (std::size_t i = 0; i < steps.size(); ++i) {
    auto ts = m.Observe(start + interval * static_cast<int>(i),
                        Evidence(steps[i].verdict, steps[i].observers));
    if (ts.empty()) continue;
    if (!out.empty()) out += ' ';
    out += std::to_string(i) + ':';
    for (std::size_t k = 0; k < ts.size(); ++k) {
      if (k) out += '+';
      out += KindName(ts[k]);
      EXPECT_EQ(PlatformOf(ts[k]).id, "instagram");
    }
  }
  return out;
}

struct Case {
  std::string name;
  std::string script;
  std::string want;  // rounds with transitions, 0-based
  State final_state;
  StateMachineConfig config{};
  seconds interval{30};
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name << ": " << c.script; }

class ScriptTest : public ::testing::TestWithParam<Case> {};

TEST_P(ScriptTest, ProducesTheExpectedTransitions) {
  const Case& c = GetParam();
  ASSERT_TRUE(c.config.Validate());
  PlatformStateMachine m({"instagram", "Instagram", "meta"}, c.config);
  EXPECT_EQ(RunScript(m, c.script, c.interval), c.want) << c.script;
  EXPECT_EQ(StateName(m.state()), StateName(c.final_state));
}

StateMachineConfig Fast() { return {.open_after = 1, .open_after_confirmed = 1, .close_after = 1}; }

INSTANTIATE_TEST_SUITE_P(
    Hysteresis, ScriptTest,
    ::testing::Values(
        Case{"one_failing_round_is_only_pending", "O", "", State::kPending},
        Case{"two_failing_rounds_open", "O O", "1:opened", State::kFailing},
        Case{"a_blip_never_opens", "O U O U O U", "", State::kOk},
        Case{"confirmed_by_two_observers_opens_at_once", "O2", "0:opened", State::kFailing},
        Case{"one_observer_is_not_confirmation", "O1 U", "", State::kOk},
        Case{"confirmation_threshold_is_configurable",
             "O3 O3",
             "1:opened",
             State::kFailing,
             {.open_after = 3, .open_after_confirmed = 2, .confirmed_observers = 3}},
        Case{"below_the_confirmation_threshold_needs_open_after",
             "O2 O2 O2",
             "2:opened",
             State::kFailing,
             {.open_after = 3, .open_after_confirmed = 2, .confirmed_observers = 3}},
        Case{"three_good_rounds_close", "O O U U U", "1:opened 4:closed", State::kOk},
        Case{"two_good_rounds_are_recovering", "O O U U", "1:opened", State::kRecovering},
        Case{"a_failing_round_interrupts_recovery", "O O U U O U U U", "1:opened 7:closed",
             State::kOk},
        Case{"regional_outage_is_failing", "R R", "1:opened", State::kFailing},
        Case{"degraded_is_failing", "D D", "1:opened", State::kFailing},
        Case{"degraded_to_outage_updates", "D D O O", "1:opened 2:updated", State::kFailing},
        Case{"outage_to_degraded_updates", "O O D", "1:opened 2:updated", State::kFailing},
        // A verdict that keeps changing (one vantage point comes and goes): at most 4 updates in
        // the 10-minute window, not one per round.
        Case{"a_verdict_that_keeps_changing_is_no_storm_of_updates", "O O R O R O R O R O R O",
             "1:opened 2:updated 3:updated 4:updated 5:updated", State::kFailing},
        // Updates at 60-150 s; the R of round 6 is held back. At 660 s (round 22) the first
        // update leaves the window and the state, still R, is reported.
        Case{"a_held_back_change_is_reported_when_the_window_has_room", "O O R O R O R R*20",
             "1:opened 2:updated 3:updated 4:updated 5:updated 22:updated", State::kFailing},
        // Back where it was last reported by then: nothing to say.
        Case{"a_held_back_change_that_reverted_says_nothing", "O O R O R O R O*20",
             "1:opened 2:updated 3:updated 4:updated 5:updated", State::kFailing},
        // This side broken: no evidence either way.
        Case{"local_network_never_opens", "L*10", "", State::kOk},
        Case{"no_network_never_opens", "N*10", "", State::kOk},
        Case{"local_dns_never_opens", "S*10", "", State::kOk},
        Case{"unknown_never_opens", "?*10", "", State::kOk},
        Case{"no_evidence_keeps_a_pending_streak", "O L L O", "3:opened", State::kFailing},
        Case{"no_evidence_keeps_an_incident_open", "O O L*20", "1:opened", State::kFailing},
        Case{"no_evidence_keeps_the_closing_count", "O O U N U L U", "1:opened 6:closed",
             State::kOk},
        // just_you: the platform works from elsewhere; it counts as good.
        Case{"just_you_never_opens", "J*10", "", State::kOk},
        Case{"just_you_closes_an_incident", "O O J J J", "1:opened 4:closed", State::kOk},
        Case{"just_you_ends_a_pending_streak", "O J O", "", State::kPending},
        // Flapping.
        Case{"fourth_change_in_the_window_is_flapping", "O U O U",
             "0:opened 1:closed 2:opened 3:flapping_started", State::kFlapping, Fast()},
        Case{"no_storm_while_flapping", "O U O U O U O U O U O U",
             "0:opened 1:closed 2:opened 3:flapping_started", State::kFlapping, Fast()},
        // Last change at round 3 (90 s); ends once a full 10-minute window has no change: 690 s.
        Case{"flapping_ends_after_a_quiet_window", "O U O U U*19 U",
             "0:opened 1:closed 2:opened 3:flapping_started 23:flapping_ended", State::kOk, Fast()},
        // Settles failing: last change at round 4 (120 s), ends at 720 s (round 24) and opens.
        Case{"flapping_that_settles_failing_opens", "O U O U O O*20",
             "0:opened 1:closed 2:opened 3:flapping_started 24:flapping_ended+opened",
             State::kFailing, Fast()},
        Case{"changes_spread_wider_than_the_window_are_not_flapping", "O U O U O U",
             "0:opened 1:closed 2:opened 3:closed 4:opened 5:closed", State::kOk, Fast(),
             minutes(5)},
        Case{"flapping_threshold_is_configurable",
             "O U O U O U",
             "0:opened 1:closed 2:opened 3:closed 4:opened 5:flapping_started",
             State::kFlapping,
             {.open_after = 1,
              .open_after_confirmed = 1,
              .close_after = 1,
              .flapping_transitions = 6}}),
    [](const auto& info) { return info.param.name; });

TEST(StateMachine, OpenedCarriesWhenTheOutageStartedAndItsEvidence) {
  PlatformStateMachine m({"instagram", "Instagram", "meta"});
  EXPECT_TRUE(m.Observe(kT0, Evidence(core::Verdict::kOutage, 1)).empty());
  auto ts = m.Observe(kT0 + seconds(30), Evidence(core::Verdict::kOutage, 1));
  ASSERT_EQ(ts.size(), 1u);
  const auto& o = std::get<Opened>(ts[0]);
  EXPECT_EQ(o.platform.domain, "meta");
  EXPECT_EQ(o.since, kT0);
  EXPECT_EQ(o.at, kT0 + seconds(30));
  EXPECT_EQ(o.rounds, 2);
  EXPECT_EQ(o.evidence.layer, core::Layer::kDns);
  EXPECT_EQ(o.evidence.detail, "servfail");
  EXPECT_EQ(Describe(ts[0]),
            "opened: outage at dns (servfail) after 2 failing rounds, 1 observer failing");
}

TEST(StateMachine, ClosedMeasuresFromFirstFailureToFirstGoodRound) {
  PlatformStateMachine m({"whatsapp", "WhatsApp", "meta"});
  (void)m.Observe(kT0, Evidence(core::Verdict::kOutage, 1));
  (void)m.Observe(kT0 + minutes(1), Evidence(core::Verdict::kOutage, 1));
  (void)m.Observe(kT0 + minutes(5), Evidence(core::Verdict::kLocalNetwork, 0));
  (void)m.Observe(kT0 + minutes(120), Evidence(core::Verdict::kUp, 0));
  (void)m.Observe(kT0 + minutes(121), Evidence(core::Verdict::kUp, 0));
  auto ts = m.Observe(kT0 + minutes(122), Evidence(core::Verdict::kUp, 0));
  ASSERT_EQ(ts.size(), 1u);
  const auto& c = std::get<Closed>(ts[0]);
  EXPECT_EQ(c.started, kT0);
  EXPECT_EQ(c.ended, kT0 + minutes(120));
  EXPECT_EQ(c.duration, minutes(120));
  EXPECT_EQ(c.at, kT0 + minutes(122));
  EXPECT_EQ(Describe(ts[0]), "closed: up after 2 h (back for everyone)");
}

TEST(StateMachine, ClosedByJustYouSaysItStillFailsHere) {
  PlatformStateMachine m({"x", "X", ""}, Fast());
  (void)m.Observe(kT0, Evidence(core::Verdict::kOutage, 1));
  auto ts = m.Observe(kT0 + minutes(3), Evidence(core::Verdict::kJustYou, 0));
  ASSERT_EQ(ts.size(), 1u);
  EXPECT_EQ(Describe(ts[0]),
            "closed: just you after 3 min (works from elsewhere, still failing here)");
}

TEST(StateMachine, UpdatedCarriesThePreviousState) {
  PlatformStateMachine m({"instagram", "Instagram", "meta"}, Fast());
  (void)m.Observe(kT0, Evidence(core::Verdict::kOutage, 2, core::Layer::kDns, "servfail"));
  // Same verdict and layer with fresher evidence: nothing to say.
  EXPECT_TRUE(m.Observe(kT0 + seconds(30), Evidence(core::Verdict::kOutage, 3)).empty());
  auto ts = m.Observe(kT0 + seconds(60),
                      Evidence(core::Verdict::kOutage, 3, core::Layer::kTcp, "timeout"));
  ASSERT_EQ(ts.size(), 1u);
  const auto& u = std::get<Updated>(ts[0]);
  EXPECT_EQ(u.previous_verdict, core::Verdict::kOutage);
  EXPECT_EQ(u.previous_layer, core::Layer::kDns);
  EXPECT_EQ(u.previous_detail, "servfail");
  EXPECT_EQ(u.evidence.layer, core::Layer::kTcp);
  EXPECT_EQ(Describe(ts[0]), "updated: outage at dns (servfail) -> outage at tcp (timeout)");
}

TEST(StateMachine, FlappingStartedSaysWhetherItIsFailingAndEndedReportsSettledState) {
  PlatformStateMachine m({"x", "X", ""}, Fast());
  std::vector<Transition> last;
  const core::Verdict seq[] = {core::Verdict::kOutage, core::Verdict::kUp, core::Verdict::kOutage,
                               core::Verdict::kUp};
  for (int i = 0; i < 4; ++i) last = m.Observe(kT0 + minutes(i), Evidence(seq[i], 1));
  ASSERT_EQ(last.size(), 1u);
  const auto& f = std::get<FlappingStarted>(last[0]);
  EXPECT_EQ(f.transitions, 4);
  EXPECT_EQ(f.window, minutes(10));
  EXPECT_FALSE(f.failing);
  EXPECT_EQ(Describe(last[0]), "flapping: 4 opens and closes within 10 min");

  // Fails again while flapping: the Opened is swallowed, the state says flapping.
  EXPECT_TRUE(m.Observe(kT0 + minutes(4), Evidence(core::Verdict::kDegraded, 1)).empty());
  auto snap = m.snapshot();
  EXPECT_EQ(snap.state, State::kFlapping);
  EXPECT_TRUE(snap.incident_open);
  EXPECT_EQ(snap.recent_transitions, 5);
  EXPECT_EQ(snap.since, kT0 + minutes(3));
  // Still failing (outage now) 9 minutes later: the window still holds the change at minute 4.
  EXPECT_TRUE(m.Observe(kT0 + minutes(13), Evidence(core::Verdict::kOutage, 1)).empty());
  auto ts = m.Observe(kT0 + minutes(14), Evidence(core::Verdict::kOutage, 1));
  ASSERT_EQ(ts.size(), 2u);
  const auto& e = std::get<FlappingEnded>(ts[0]);
  EXPECT_EQ(e.started, kT0 + minutes(3));
  EXPECT_TRUE(e.failing);
  const auto& o = std::get<Opened>(ts[1]);
  EXPECT_EQ(o.since, kT0 + minutes(4));  // the failing streak that outlasted the flapping
  EXPECT_EQ(o.evidence.verdict, core::Verdict::kOutage);
  EXPECT_EQ(m.state(), State::kFailing);
}

TEST(StateMachine, SnapshotCountsAndSince) {
  PlatformStateMachine m({"x", "X", ""});
  EXPECT_EQ(m.snapshot().state, State::kOk);
  EXPECT_FALSE(m.snapshot().since.has_value());
  (void)m.Observe(kT0, Evidence(core::Verdict::kUp, 0));
  EXPECT_EQ(m.snapshot().since, kT0);
  (void)m.Observe(kT0 + seconds(30), Evidence(core::Verdict::kOutage, 1));
  (void)m.Observe(kT0 + seconds(60), Evidence(core::Verdict::kLocalNetwork, 0));
  auto s = m.snapshot();
  EXPECT_EQ(s.state, State::kPending);
  EXPECT_EQ(s.since, kT0 + seconds(30));
  EXPECT_EQ(s.failing_rounds, 1);
  EXPECT_EQ(s.no_evidence_rounds, 1);
  EXPECT_EQ(s.failing_since, kT0 + seconds(30));
  ASSERT_TRUE(s.last.has_value());
  EXPECT_EQ(s.last->verdict, core::Verdict::kLocalNetwork);
  EXPECT_FALSE(s.incident.has_value());

  (void)m.Observe(kT0 + seconds(90), Evidence(core::Verdict::kOutage, 1));
  (void)m.Observe(kT0 + seconds(120), Evidence(core::Verdict::kUp, 0));
  s = m.snapshot();
  EXPECT_EQ(s.state, State::kRecovering);
  EXPECT_EQ(s.since, kT0 + seconds(120));
  EXPECT_EQ(s.good_rounds, 1);
  EXPECT_TRUE(s.incident_open);
  ASSERT_TRUE(s.incident.has_value());
  EXPECT_EQ(s.incident->verdict, core::Verdict::kOutage);
}

// serve reads this count to close an incident a previous run left open, so it must count good
// rounds whether or not this machine has an incident open, and keep counting after a close.
TEST(StateMachine, GoodRoundsAreCountedWithOrWithoutAnIncident) {
  PlatformStateMachine m({"x", "X", ""});  // open_after 2, close_after 3
  (void)m.Observe(kT0, Evidence(core::Verdict::kUp, 0));
  (void)m.Observe(kT0 + seconds(30), Evidence(core::Verdict::kJustYou, 0));
  EXPECT_EQ(m.snapshot().good_rounds, 2);
  EXPECT_EQ(m.snapshot().state, State::kOk);
  // A round that says nothing about the platform neither counts nor resets.
  (void)m.Observe(kT0 + seconds(60), Evidence(core::Verdict::kLocalNetwork, 0));
  EXPECT_EQ(m.snapshot().good_rounds, 2);
  // A failing round resets it, even one that only leaves a streak pending.
  (void)m.Observe(kT0 + seconds(90), Evidence(core::Verdict::kOutage, 1));
  EXPECT_EQ(m.snapshot().good_rounds, 0);
  EXPECT_EQ(m.snapshot().state, State::kPending);
  (void)m.Observe(kT0 + seconds(120), Evidence(core::Verdict::kUp, 0));
  EXPECT_EQ(m.snapshot().good_rounds, 1);

  // An incident opens, then closes after close_after good rounds; the count goes on.
  (void)m.Observe(kT0 + seconds(150), Evidence(core::Verdict::kOutage, 1));
  (void)m.Observe(kT0 + seconds(180), Evidence(core::Verdict::kOutage, 1));
  EXPECT_TRUE(m.snapshot().incident_open);
  EXPECT_EQ(m.snapshot().good_rounds, 0);
  std::vector<Transition> closed;
  for (int k = 0; k < 3; ++k) {
    closed = m.Observe(kT0 + seconds(210 + 30 * k), Evidence(core::Verdict::kUp, 0));
  }
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(std::get<Closed>(closed[0]).ended, kT0 + seconds(210));
  (void)m.Observe(kT0 + seconds(300), Evidence(core::Verdict::kUp, 0));
  EXPECT_EQ(m.snapshot().good_rounds, 4);
  EXPECT_EQ(m.snapshot().state, State::kOk);
}

TEST(StateMachine, ClockSteppingBackwardsNeverGivesNegativeDurations) {
  PlatformStateMachine m({"x", "X", ""}, Fast());
  (void)m.Observe(kT0, Evidence(core::Verdict::kOutage, 1));
  auto ts = m.Observe(kT0 - minutes(5), Evidence(core::Verdict::kUp, 0));
  ASSERT_EQ(ts.size(), 1u);
  EXPECT_EQ(std::get<Closed>(ts[0]).duration, seconds(0));
}

TEST(StateMachine, FromDiagnosisKeepsWhatTheBoardNeeds) {
  diagnose::Diagnosis d;
  d.platform = "instagram";
  d.verdict = core::Verdict::kRegionalOutage;
  d.layer = core::Layer::kTls;
  d.detail = "handshake";
  d.confidence = 0.7;
  d.reason = "fails from 1 of 3 vantage points";
  d.evidence = {"eu-west fails", "us-east works"};
  auto e = FromDiagnosis(d, 2);
  EXPECT_EQ(e.verdict, core::Verdict::kRegionalOutage);
  EXPECT_EQ(e.layer, core::Layer::kTls);
  EXPECT_EQ(e.detail, "handshake");
  EXPECT_EQ(e.confidence, 0.7);
  EXPECT_EQ(e.reason, d.reason);
  EXPECT_EQ(e.evidence, d.evidence);
  EXPECT_EQ(e.observers_failing, 2);

  PlatformStateMachine m({"instagram", "Instagram", "meta"});
  auto ts = m.Observe(kT0, d, 2);  // confirmed by two observers: opens at once
  ASSERT_EQ(ts.size(), 1u);
  EXPECT_EQ(std::get<Opened>(ts[0]).evidence.detail, "handshake");
}

struct BadConfig {
  std::string name;
  StateMachineConfig config;
  std::string message;
};

void PrintTo(const BadConfig& c, std::ostream* os) { *os << c.name; }

class ConfigTest : public ::testing::TestWithParam<BadConfig> {};

TEST_P(ConfigTest, NamesTheFieldAndItsRange) {
  auto s = GetParam().config.Validate();
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code(), core::ErrorCode::kInvalidArgument);
  EXPECT_EQ(s.error().message(), GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Validate, ConfigTest,
    ::testing::Values(BadConfig{"open_after_zero",
                                {.open_after = 0},
                                "open_after must be between 1 and 100, got 0"},
                      BadConfig{"confirmed_over_open_after",
                                {.open_after = 2, .open_after_confirmed = 3},
                                "open_after_confirmed must be between 1 and open_after (2), got 3"},
                      BadConfig{"confirmed_zero",
                                {.open_after_confirmed = 0},
                                "open_after_confirmed must be between 1 and open_after (2), got 0"},
                      BadConfig{"one_observer_is_no_confirmation",
                                {.confirmed_observers = 1},
                                "confirmed_observers must be between 2 and 100, got 1"},
                      BadConfig{"close_after_zero",
                                {.close_after = 0},
                                "close_after must be between 1 and 100, got 0"},
                      BadConfig{"flapping_one",
                                {.flapping_transitions = 1},
                                "flapping_transitions must be between 2 and 100, got 1"},
                      BadConfig{"window_too_short",
                                {.flapping_window = seconds(30)},
                                "flapping_window must be between 60 s and 86400 s, got 30 s"},
                      BadConfig{"window_too_long",
                                {.flapping_window = std::chrono::hours(25)},
                                "flapping_window must be between 60 s and 86400 s, got 90000 s"}),
    [](const auto& info) { return info.param.name; });

TEST(StateMachineConfig, DefaultsAreValid) { EXPECT_TRUE(StateMachineConfig{}.Validate()); }

TEST(Classify, EveryVerdict) {
  EXPECT_EQ(Classify(core::Verdict::kOutage), RoundKind::kFailing);
  EXPECT_EQ(Classify(core::Verdict::kRegionalOutage), RoundKind::kFailing);
  EXPECT_EQ(Classify(core::Verdict::kDegraded), RoundKind::kFailing);
  EXPECT_EQ(Classify(core::Verdict::kUp), RoundKind::kGood);
  EXPECT_EQ(Classify(core::Verdict::kJustYou), RoundKind::kGood);
  EXPECT_EQ(Classify(core::Verdict::kLocalDns), RoundKind::kNoEvidence);
  EXPECT_EQ(Classify(core::Verdict::kLocalNetwork), RoundKind::kNoEvidence);
  EXPECT_EQ(Classify(core::Verdict::kNoNetwork), RoundKind::kNoEvidence);
  EXPECT_EQ(Classify(core::Verdict::kUnknown), RoundKind::kNoEvidence);
}

}  // namespace
}  // namespace lifeline::watch
