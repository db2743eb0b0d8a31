// Stable names of the domain enums and small helpers on the domain types.
#include "core/types.h"

#include <array>
#include <ctime>

#include <fmt/core.h>

namespace lifeline::core {
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

constexpr std::array<std::pair<Verdict, std::string_view>, 9> kVerdicts{{
    {Verdict::kUp, "up"},
    {Verdict::kDegraded, "degraded"},
    {Verdict::kOutage, "outage"},
    {Verdict::kRegionalOutage, "regional_outage"},
    {Verdict::kJustYou, "just_you"},
    {Verdict::kLocalDns, "local_dns"},
    {Verdict::kLocalNetwork, "local_network"},
    {Verdict::kNoNetwork, "no_network"},
    {Verdict::kUnknown, "unknown"},
}};

constexpr std::array<std::pair<Connectivity, std::string_view>, 4> kConnectivity{{
    {Connectivity::kOk, "ok"},
    {Connectivity::kLocalDns, "local_dns"},
    {Connectivity::kLocalNetwork, "local_network"},
    {Connectivity::kNoNetwork, "no_network"},
}};

constexpr std::array<std::pair<Layer, std::string_view>, 6> kLayers{{
    {Layer::kNone, ""},
    {Layer::kDns, "dns"},
    {Layer::kTcp, "tcp"},
    {Layer::kTls, "tls"},
    {Layer::kHttp, "http"},
    {Layer::kContent, "content"},
}};

constexpr std::array<std::pair<ProbeKind, std::string_view>, 3> kKinds{{
    {ProbeKind::kDns, "dns"},
    {ProbeKind::kTcp, "tcp"},
    {ProbeKind::kHttp, "http"},
}};

}  // namespace

std::string_view VerdictName(Verdict v) { return Name(kVerdicts, v); }
std::optional<Verdict> ParseVerdict(std::string_view n) { return Find(kVerdicts, n); }
std::string_view ConnectivityName(Connectivity c) { return Name(kConnectivity, c); }
std::optional<Connectivity> ParseConnectivity(std::string_view n) { return Find(kConnectivity, n); }
std::string_view LayerName(Layer l) { return Name(kLayers, l); }
std::optional<Layer> ParseLayer(std::string_view n) { return Find(kLayers, n); }
std::string_view ProbeKindName(ProbeKind k) { return Name(kKinds, k); }
std::optional<ProbeKind> ParseProbeKind(std::string_view n) { return Find(kKinds, n); }

std::string ProbeSpec::Label() const {
  switch (kind) {
    case ProbeKind::kHttp:
      return url;
    case ProbeKind::kTcp:
      return fmt::format("tcp:{}:{}", host, port);
    case ProbeKind::kDns:
      return resolver.empty() ? fmt::format("dns:{}", host)
                              : fmt::format("dns:{}@{}", host, resolver);
  }
  return url;
}

std::string FormatTime(std::chrono::system_clock::time_point t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace lifeline::core
