// Per-platform hysteresis for `lifeline serve`: turns one Diagnosis per evidence round into the few
// transitions worth an incident (opened, updated, closed, flapping). Pure logic; time is passed in.
#pragma once

#include <chrono>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.h"
#include "core/types.h"
#include "diagnose/diagnose.h"

namespace lifeline::watch {

using TimePoint = std::chrono::system_clock::time_point;

// Thresholds of the state machine. Validate() before constructing a machine with it.
struct StateMachineConfig {
  int open_after = 2;            // consecutive failing rounds that open an incident
  int open_after_confirmed = 1;  // ... when at least `confirmed_observers` observers confirm
  int confirmed_observers = 2;   // independent observers (here + vantage points) that count as
                                 // confirmation
  int close_after = 3;           // consecutive good rounds that close it
  // This many opens and closes within `flapping_window` make one `flapping` state instead of a
  // storm of incidents; it ends once a whole window passes without an open or close. An open
  // incident whose verdict or layer keeps changing (outage <-> regional outage as one vantage
  // point comes and goes) likewise gets at most this many Updated per window; a change held back
  // is reported once the window has room, if the state still differs from the last reported.
  int flapping_transitions = 4;
  std::chrono::seconds flapping_window = std::chrono::minutes(10);

  // An error names the field and its valid range: "open_after must be between 1 and 100, got 0".
  [[nodiscard]] core::Status Validate() const;
};

// How a round's verdict counts for the platform.
enum class RoundKind {
  kFailing,     // outage, regional_outage, degraded: a problem of the platform
  kGood,        // up; and just_you: the platform works from elsewhere, only this side fails
  kNoEvidence,  // local_dns, local_network, no_network, unknown: nothing known about the platform
};
RoundKind Classify(core::Verdict verdict);

// The part of a Diagnosis the state machine keeps, plus how many independent observers saw the
// failure in this round (this observer and the healthy vantage points that also fail).
struct RoundEvidence {
  core::Verdict verdict = core::Verdict::kUnknown;
  core::Layer layer = core::Layer::kNone;
  std::string detail;
  double confidence = 0;
  std::string reason;
  std::vector<std::string> evidence;
  int observers_failing = 0;
};
RoundEvidence FromDiagnosis(const diagnose::Diagnosis& d, int observers_failing);

// Who a transition is about.
struct PlatformRef {
  std::string id;      // "instagram"
  std::string name;    // "Instagram"
  std::string domain;  // "meta"; empty when the platform has no failure domain
};

// An incident should open: the platform has failed for enough rounds.
struct Opened {
  PlatformRef platform;
  TimePoint at;            // the round that opened it
  TimePoint since;         // the first failing round of the streak: when the outage started
  int rounds = 0;          // failing rounds it took
  RoundEvidence evidence;  // of the opening round
};

// The open incident's verdict or failing layer/detail changed (degraded -> outage, dns -> tcp)
// from what was last reported (Opened or Updated). At most `flapping_transitions` per window.
struct Updated {
  PlatformRef platform;
  TimePoint at;
  core::Verdict previous_verdict = core::Verdict::kUnknown;
  core::Layer previous_layer = core::Layer::kNone;
  std::string previous_detail;
  RoundEvidence evidence;  // the new state
};

// The incident should close: the platform has been good for enough rounds.
struct Closed {
  PlatformRef platform;
  TimePoint at;                      // the round that closed it
  TimePoint started;                 // first failing round
  TimePoint ended;                   // first good round of the closing streak: when it came back
  std::chrono::seconds duration{0};  // ended - started
  RoundEvidence evidence;            // of the closing round (up, or just_you)
};

// Too many opens and closes within the window: from now on there is one flapping state, and no
// Opened/Updated/Closed until FlappingEnded. An incident that was open is superseded by it.
struct FlappingStarted {
  PlatformRef platform;
  TimePoint at;
  int transitions = 0;  // opens and closes within the window, the one that triggered included
  std::chrono::seconds window{0};
  bool failing = false;  // whether the platform is failing right now
  RoundEvidence evidence;
};

// A whole window passed without an open or close. When the platform settled failing, an Opened
// follows in the same round (its `since` is when the current failing streak began).
struct FlappingEnded {
  PlatformRef platform;
  TimePoint at;
  TimePoint started;  // when flapping began
  bool failing = false;
  RoundEvidence evidence;
};

using Transition = std::variant<Opened, Updated, Closed, FlappingStarted, FlappingEnded>;

const PlatformRef& PlatformOf(const Transition& t);
TimePoint TimeOf(const Transition& t);
// One line for a timeline: "opened: outage at dns (servfail) after 2 failing rounds, 3 observers".
std::string Describe(const Transition& t);
// "outage", "regional outage", "degraded", "just you", ...
std::string HumanVerdict(core::Verdict verdict);

enum class State {
  kOk,          // no incident, no failing round pending
  kPending,     // failing rounds seen, not yet enough to open
  kFailing,     // incident open
  kRecovering,  // incident open, good rounds seen, not yet enough to close
  kFlapping,
};
std::string_view StateName(State state);  // "ok", "pending", "failing", "recovering", "flapping"

struct Snapshot {
  State state = State::kOk;
  std::optional<TimePoint> since;  // when `state` began (unset before the first round)
  int failing_rounds = 0;          // consecutive failing rounds (no-evidence rounds skipped)
  int good_rounds = 0;             // consecutive good rounds, incident open or not
                                   // (no-evidence rounds skipped; a failing round resets it)
  int no_evidence_rounds = 0;      // consecutive rounds that said nothing about the platform
  bool incident_open = false;      // the hysteresis says failing (also while flapping)
  std::optional<TimePoint> failing_since;  // start of the current failing streak
  int recent_transitions = 0;              // opens and closes within the flapping window
  std::optional<RoundEvidence> incident;   // the open incident's current evidence
  std::optional<RoundEvidence> last;       // the last round, whatever it said
};

// The hysteresis of one platform. Not thread-safe; owned by whoever runs the platform's rounds.
//
// A failing round advances the opening count and resets the count of good rounds; a good round
// resets the opening count (a pending streak ends silently) and advances the count of good
// rounds, kept whether or not an incident is open, which closes an open incident at
// `close_after`. A no-evidence round (this side is broken, or nothing could be judged) moves
// neither: an open incident stays open and a pending streak stays pending until real evidence
// arrives. just_you counts as good: the platform works from elsewhere, so it never opens or keeps a
// platform incident (the board shows the local problem from the round's own verdict).
class PlatformStateMachine {
 public:
  // `config` must be valid (Validate() is checked at config load); an invalid one aborts.
  PlatformStateMachine(PlatformRef platform, StateMachineConfig config = {});

  // One evidence round at `at`. Rounds should come in time order; a clock stepping backwards is
  // tolerated (durations clamp at zero). Returns zero or more transitions, in order.
  std::vector<Transition> Observe(TimePoint at, const RoundEvidence& round);
  std::vector<Transition> Observe(TimePoint at, const diagnose::Diagnosis& diagnosis,
                                  int observers_failing);

  Snapshot snapshot() const;
  State state() const;
  const PlatformRef& platform() const { return platform_; }

 private:
  PlatformRef platform_;
  StateMachineConfig config_;

  bool open_ = false;  // the hysteresis's own answer, flapping or not
  int failing_rounds_ = 0;
  int good_rounds_ = 0;
  int no_evidence_rounds_ = 0;
  std::optional<TimePoint> failing_since_;
  std::optional<TimePoint> recovering_since_;
  std::optional<RoundEvidence> incident_;  // set while open_
  std::optional<RoundEvidence> reported_;  // the open incident's state as last reported
  std::deque<TimePoint> updates_;          // Updated reported within the flapping window
  std::optional<RoundEvidence> last_;

  std::deque<TimePoint> transitions_;  // raw opens and closes within the flapping window
  bool flapping_ = false;
  TimePoint flapping_since_{};

  std::optional<TimePoint> state_since_;
  State last_state_ = State::kOk;
};

}  // namespace lifeline::watch
