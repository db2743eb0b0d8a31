// What the playbook engine's files share (engine.cc, engine_steps.cc, engine_people.cc): the
// keys of everything durable, time and text formatting, timer payloads, and a run's context.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "playbook/engine.h"

namespace lifeline::playbook {
namespace engine_internal {

using json = nlohmann::json;

inline constexpr std::string_view kEngineName = "lifeline";

inline std::string Hm(TimePoint t) {
  return fmt::format("{:%H:%M} UTC", std::chrono::floor<std::chrono::seconds>(t));
}
inline std::string Hms(TimePoint t) {
  return fmt::format("{:%H:%M:%S} UTC", std::chrono::floor<std::chrono::seconds>(t));
}

// "45 s", "10 min", "2 min 30 s", "1 h", "1 h 30 min".
inline std::string Human(std::chrono::milliseconds d) {
  const auto s = std::chrono::duration_cast<std::chrono::seconds>(d).count();
  if (s < 60) return fmt::format("{} s", s);
  if (s < 3600) {
    return s % 60 == 0 ? fmt::format("{} min", s / 60) : fmt::format("{} min {} s", s / 60, s % 60);
  }
  const auto m = (s % 3600) / 60;
  return m == 0 ? fmt::format("{} h", s / 3600) : fmt::format("{} h {} min", s / 3600, m);
}

inline std::string Join(const std::vector<std::string>& items, std::string_view sep = ", ") {
  std::string out;
  for (const std::string& s : items) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

inline std::int64_t Ms(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
inline TimePoint FromMs(std::int64_t ms) { return TimePoint(std::chrono::milliseconds(ms)); }
inline store::Time StoreTime(TimePoint t) { return store::FromSystem(t); }

inline Failure FailureOf(const store::Incident& inc) {
  Failure f;
  f.platforms = inc.platforms;
  f.domain = inc.domain;
  f.domain_wide = inc.kind == store::IncidentKind::kDomain;
  f.verdict = inc.verdict;
  return f;
}

// The keys of everything durable a step does (engine.h: idempotent by incident and step id).
inline std::string StepKey(std::string_view incident, std::string_view response,
                           std::string_view step) {
  return fmt::format("playbook/{}/{}/{}", incident, response, step);
}
inline std::string AssignmentKey(std::string_view incident, std::string_view response,
                                 std::string_view step) {
  return fmt::format("{}/{}/{}", incident, response, step);
}
inline std::string EscalateKey(std::string_view assignment_key, int level) {
  return fmt::format("playbook/{}/escalate/{}", assignment_key, level);
}
inline std::string TriggerKey(std::string_view incident, std::string_view response) {
  return fmt::format("playbook/{}/{}/trigger", incident, response);
}
inline std::string MonitorKey(std::string_view incident, int round) {
  return fmt::format("playbook/{}/monitor/{}", incident, round);
}
inline std::string ApprovalTimeoutKey(std::string_view assignment_key) {
  return fmt::format("playbook/{}/timeout", assignment_key);
}

inline std::string_view StepEventType(store::StepState s) {
  switch (s) {
    case store::StepState::kDone:
      return "playbook_step_done";
    case store::StepState::kFailed:
      return "playbook_step_failed";
    case store::StepState::kSkipped:
      return "playbook_step_skipped";
    case store::StepState::kWaiting:
      return "playbook_step_waiting";
    default:
      return "playbook_step_started";
  }
}

inline bool IsNotFound(const core::Error& e) { return e.code() == core::ErrorCode::kNotFound; }

inline std::optional<std::string> Str(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}
inline std::optional<std::int64_t> Int(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<std::int64_t>();
}

inline core::Result<json> Payload(const store::Timer& t) {
  json j = json::parse(t.payload_json, nullptr, false);
  if (!j.is_object()) {
    return core::MakeError(core::ErrorCode::kInvalidArgument,
                           "timer {}: payload is not a JSON object", t.key);
  }
  return j;
}

}  // namespace engine_internal

// Everything a step needs about its incident and response.
struct Engine::Ctx {
  store::Incident incident;
  const Response* response = nullptr;
  Failure failure;
  channels::TemplateVars vars;
  bool stopped = false;  // the run stopped during this pass

  const std::string& id() const { return incident.id; }
  const std::string& name() const { return response->name; }
};

}  // namespace lifeline::playbook
