// Per-platform hysteresis and flapping detection (see state_machine.h for the rules a round
// follows).
#include "watch/state_machine.h"

#include <algorithm>
#include <cstdlib>

#include <fmt/core.h>

namespace lifeline::watch {
namespace {

core::Status Range(std::string_view field, long long value, long long lo, long long hi,
                   std::string_view unit = "") {
  if (value >= lo && value <= hi) return core::Ok();
  return core::MakeError(core::ErrorCode::kInvalidArgument,
                         "{} must be between {}{} and {}{}, got {}{}", field, lo, unit, hi, unit,
                         value, unit);
}

std::chrono::seconds NonNegative(std::chrono::system_clock::duration d) {
  return std::max(std::chrono::seconds(0), std::chrono::duration_cast<std::chrono::seconds>(d));
}

std::string Where(const RoundEvidence& e) {
  if (e.layer == core::Layer::kNone) return "";
  if (e.detail.empty()) return fmt::format(" at {}", core::LayerName(e.layer));
  return fmt::format(" at {} ({})", core::LayerName(e.layer), e.detail);
}

std::string FormatDuration(std::chrono::seconds s) {
  auto n = s.count();
  if (n < 60) return fmt::format("{} s", n);
  if (n < 3600) return fmt::format("{} min", n / 60);
  if (n % 3600 / 60 == 0) return fmt::format("{} h", n / 3600);
  return fmt::format("{} h {} min", n / 3600, n % 3600 / 60);
}

}  // namespace

core::Status StateMachineConfig::Validate() const {
  using std::chrono::seconds;
  if (auto s = Range("open_after", open_after, 1, 100); !s) return s;
  if (open_after_confirmed < 1 || open_after_confirmed > open_after) {
    return core::MakeError(core::ErrorCode::kInvalidArgument,
                           "open_after_confirmed must be between 1 and open_after ({}), got {}",
                           open_after, open_after_confirmed);
  }
  if (auto s = Range("confirmed_observers", confirmed_observers, 2, 100); !s) return s;
  if (auto s = Range("close_after", close_after, 1, 100); !s) return s;
  if (auto s = Range("flapping_transitions", flapping_transitions, 2, 100); !s) return s;
  if (auto s = Range("flapping_window", flapping_window.count(), 60, 24 * 3600, " s"); !s) {
    return s;
  }
  return core::Ok();
}

RoundKind Classify(core::Verdict verdict) {
  switch (verdict) {
    case core::Verdict::kOutage:
    case core::Verdict::kRegionalOutage:
    case core::Verdict::kDegraded:
      return RoundKind::kFailing;
    case core::Verdict::kUp:
    case core::Verdict::kJustYou:
      return RoundKind::kGood;
    case core::Verdict::kLocalDns:
    case core::Verdict::kLocalNetwork:
    case core::Verdict::kNoNetwork:
    case core::Verdict::kUnknown:
      return RoundKind::kNoEvidence;
  }
  return RoundKind::kNoEvidence;
}

RoundEvidence FromDiagnosis(const diagnose::Diagnosis& d, int observers_failing) {
  return RoundEvidence{.verdict = d.verdict,
                       .layer = d.layer,
                       .detail = d.detail,
                       .confidence = d.confidence,
                       .reason = d.reason,
                       .evidence = d.evidence,
                       .observers_failing = observers_failing};
}

const PlatformRef& PlatformOf(const Transition& t) {
  return std::visit([](const auto& e) -> const PlatformRef& { return e.platform; }, t);
}

TimePoint TimeOf(const Transition& t) {
  return std::visit([](const auto& e) { return e.at; }, t);
}

std::string HumanVerdict(core::Verdict verdict) {
  std::string s(core::VerdictName(verdict));
  std::replace(s.begin(), s.end(), '_', ' ');
  return s;
}

std::string Describe(const Transition& t) {
  struct Visitor {
    std::string operator()(const Opened& e) const {
      return fmt::format("opened: {}{} after {} failing round{}, {} observer{} failing",
                         HumanVerdict(e.evidence.verdict), Where(e.evidence), e.rounds,
                         e.rounds == 1 ? "" : "s", e.evidence.observers_failing,
                         e.evidence.observers_failing == 1 ? "" : "s");
    }
    std::string operator()(const Updated& e) const {
      RoundEvidence before{
          .verdict = e.previous_verdict, .layer = e.previous_layer, .detail = e.previous_detail};
      return fmt::format("updated: {}{} -> {}{}", HumanVerdict(before.verdict), Where(before),
                         HumanVerdict(e.evidence.verdict), Where(e.evidence));
    }
    std::string operator()(const Closed& e) const {
      return fmt::format(
          "closed: {} after {} ({})", HumanVerdict(e.evidence.verdict), FormatDuration(e.duration),
          e.evidence.verdict == core::Verdict::kJustYou ? "works from elsewhere, still failing here"
                                                        : "back for everyone");
    }
    std::string operator()(const FlappingStarted& e) const {
      return fmt::format("flapping: {} opens and closes within {}", e.transitions,
                         FormatDuration(e.window));
    }
    std::string operator()(const FlappingEnded& e) const {
      return fmt::format("flapping ended after {}, {}",
                         FormatDuration(NonNegative(e.at - e.started)),
                         e.failing ? "still failing" : "working");
    }
  };
  return std::visit(Visitor{}, t);
}

std::string_view StateName(State state) {
  switch (state) {
    case State::kOk:
      return "ok";
    case State::kPending:
      return "pending";
    case State::kFailing:
      return "failing";
    case State::kRecovering:
      return "recovering";
    case State::kFlapping:
      return "flapping";
  }
  return "ok";
}

PlatformStateMachine::PlatformStateMachine(PlatformRef platform, StateMachineConfig config)
    : platform_(std::move(platform)), config_(config) {
  // Config is validated where it is loaded; getting here with a bad one is a bug.
  if (!config_.Validate()) std::abort();
}

State PlatformStateMachine::state() const {
  if (flapping_) return State::kFlapping;
  if (open_) return good_rounds_ > 0 ? State::kRecovering : State::kFailing;
  return failing_rounds_ > 0 ? State::kPending : State::kOk;
}

Snapshot PlatformStateMachine::snapshot() const {
  return Snapshot{.state = state(),
                  .since = state_since_,
                  .failing_rounds = failing_rounds_,
                  .good_rounds = good_rounds_,
                  .no_evidence_rounds = no_evidence_rounds_,
                  .incident_open = open_,
                  .failing_since = failing_since_,
                  .recent_transitions = static_cast<int>(transitions_.size()),
                  .incident = incident_,
                  .last = last_};
}

std::vector<Transition> PlatformStateMachine::Observe(TimePoint at,
                                                      const diagnose::Diagnosis& diagnosis,
                                                      int observers_failing) {
  return Observe(at, FromDiagnosis(diagnosis, observers_failing));
}

std::vector<Transition> PlatformStateMachine::Observe(TimePoint at, const RoundEvidence& round) {
  last_ = round;
  std::optional<Transition> raw;  // what plain hysteresis says, before flapping is considered

  switch (Classify(round.verdict)) {
    case RoundKind::kFailing: {
      no_evidence_rounds_ = 0;
      good_rounds_ = 0;
      recovering_since_.reset();
      if (!open_ && failing_rounds_ == 0) failing_since_ = at;
      ++failing_rounds_;
      if (!open_) {
        const bool confirmed = round.observers_failing >= config_.confirmed_observers;
        const int needed = confirmed ? config_.open_after_confirmed : config_.open_after;
        if (failing_rounds_ >= needed) {
          open_ = true;
          incident_ = round;
          reported_ = round;
          updates_.clear();
          raw = Opened{.platform = platform_,
                       .at = at,
                       .since = *failing_since_,
                       .rounds = failing_rounds_,
                       .evidence = round};
        }
      } else {
        incident_ = round;  // fresher evidence lines, whatever is reported
        while (!updates_.empty() && updates_.front() <= at - config_.flapping_window) {
          updates_.pop_front();
        }
        const bool changed = !reported_ || round.verdict != reported_->verdict ||
                             round.layer != reported_->layer || round.detail != reported_->detail;
        // A verdict that keeps changing is not a storm of updates either (see flapping below).
        if (changed && !flapping_ &&
            static_cast<int>(updates_.size()) < config_.flapping_transitions) {
          raw = Updated{.platform = platform_,
                        .at = at,
                        .previous_verdict = reported_ ? reported_->verdict : round.verdict,
                        .previous_layer = reported_ ? reported_->layer : round.layer,
                        .previous_detail = reported_ ? reported_->detail : round.detail,
                        .evidence = round};
          reported_ = round;
          updates_.push_back(at);
        }
      }
      break;
    }
    case RoundKind::kGood: {
      no_evidence_rounds_ = 0;
      failing_rounds_ = 0;
      // Counted whether or not an incident is open: serve closes an incident left open by a
      // previous run after as many good rounds as closing any incident takes.
      ++good_rounds_;
      if (!open_) {
        failing_since_.reset();  // a pending streak ends without a word
        break;
      }
      // A failing round opened the incident and reset the count, so 1 is the first good round
      // since the platform failed last.
      if (good_rounds_ == 1) recovering_since_ = at;
      if (good_rounds_ >= config_.close_after) {
        const TimePoint started = failing_since_.value_or(at);
        const TimePoint ended = recovering_since_.value_or(at);
        raw = Closed{.platform = platform_,
                     .at = at,
                     .started = started,
                     .ended = ended,
                     .duration = NonNegative(ended - started),
                     .evidence = round};
        open_ = false;
        incident_.reset();
        reported_.reset();
        updates_.clear();
        failing_since_.reset();
        recovering_since_.reset();
      }
      break;
    }
    case RoundKind::kNoEvidence:
      ++no_evidence_rounds_;
      break;
  }

  // Flapping: count raw opens and closes within the window ending now.
  const bool open_or_close =
      raw && (std::holds_alternative<Opened>(*raw) || std::holds_alternative<Closed>(*raw));
  if (open_or_close) transitions_.push_back(at);
  while (!transitions_.empty() && transitions_.front() <= at - config_.flapping_window) {
    transitions_.pop_front();
  }

  std::vector<Transition> out;
  if (flapping_) {
    // Inside flapping nothing but its end is reported; the hysteresis above keeps running so
    // the state it settles in is known.
    if (transitions_.empty()) {
      flapping_ = false;
      out.push_back(FlappingEnded{.platform = platform_,
                                  .at = at,
                                  .started = flapping_since_,
                                  .failing = open_,
                                  .evidence = round});
      if (open_) {
        reported_ = incident_;
        updates_.clear();
        out.push_back(Opened{.platform = platform_,
                             .at = at,
                             .since = failing_since_.value_or(at),
                             .rounds = failing_rounds_,
                             .evidence = *incident_});
      }
    }
  } else if (open_or_close &&
             static_cast<int>(transitions_.size()) >= config_.flapping_transitions) {
    flapping_ = true;
    flapping_since_ = at;
    out.push_back(FlappingStarted{.platform = platform_,
                                  .at = at,
                                  .transitions = static_cast<int>(transitions_.size()),
                                  .window = config_.flapping_window,
                                  .failing = open_,
                                  .evidence = round});
  } else if (raw) {
    out.push_back(std::move(*raw));
  }

  const State now = state();
  if (!state_since_ || now != last_state_) state_since_ = at;
  last_state_ = now;
  return out;
}

}  // namespace lifeline::watch
