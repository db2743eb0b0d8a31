// Names of the store's enums (stable: they are stored and shown in the API) and small helpers
// on its records.
#include "store/records.h"

#include <array>
#include <utility>

#include "store/common.h"

namespace lifeline::store {
namespace {

template <typename E, std::size_t N>
std::optional<E> Find(const std::array<std::pair<E, std::string_view>, N>& table,
                      std::string_view name) {
  for (const auto& [value, n] : table) {
    if (n == name) return value;
  }
  return std::nullopt;
}

template <typename E, std::size_t N>
std::string_view Name(const std::array<std::pair<E, std::string_view>, N>& table, E value) {
  for (const auto& [v, n] : table) {
    if (v == value) return n;
  }
  return "unknown";
}

constexpr std::array<std::pair<IncidentKind, std::string_view>, 3> kKinds{{
    {IncidentKind::kPlatform, "platform"},
    {IncidentKind::kDomain, "domain"},
    {IncidentKind::kFlapping, "flapping"},
}};
constexpr std::array<std::pair<IncidentState, std::string_view>, 2> kStates{{
    {IncidentState::kOpen, "open"},
    {IncidentState::kClosed, "closed"},
}};
constexpr std::array<std::pair<Role, std::string_view>, 3> kRoles{{
    {Role::kViewer, "viewer"},
    {Role::kOperator, "operator"},
    {Role::kAdmin, "admin"},
}};

}  // namespace

Time MinuteOf(Time t) { return std::chrono::floor<std::chrono::minutes>(t); }
Time HourOf(Time t) { return std::chrono::floor<std::chrono::hours>(t); }

std::string_view IncidentKindName(IncidentKind k) { return Name(kKinds, k); }
std::optional<IncidentKind> ParseIncidentKind(std::string_view n) { return Find(kKinds, n); }
std::string_view IncidentStateName(IncidentState s) { return Name(kStates, s); }
std::optional<IncidentState> ParseIncidentState(std::string_view n) { return Find(kStates, n); }
std::string_view RoleName(Role r) { return Name(kRoles, r); }
std::optional<Role> ParseRole(std::string_view n) { return Find(kRoles, n); }

ProbeSample SampleFromResult(std::string platform, const core::ProbeResult& result, Time at) {
  ProbeSample s;
  s.platform = std::move(platform);
  s.probe_id = result.probe_id;
  s.from = result.from;
  s.at = at;
  s.ok = result.ok;
  s.layer = result.layer;
  s.detail = result.detail;
  s.total_ms = result.timings.total;
  s.http_status = result.http_status;
  return s;
}

std::string HashToken(std::string_view secret) { return internal::Sha256Hex(secret); }

}  // namespace lifeline::store
