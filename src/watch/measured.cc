// The measured reports' evidence line (measured.h).
#include "watch/measured.h"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace lifeline::watch {

std::string_view ConnectionLabel(std::string_view type) {
  static constexpr std::pair<std::string_view, std::string_view> kLabels[] = {
      {"wifi", "Wi-Fi"},          {"cellular", "mobile data"}, {"ethernet", "Ethernet"},
      {"bluetooth", "Bluetooth"}, {"wimax", "WiMAX"},
  };
  for (const auto& [t, label] : kLabels) {
    if (t == type) return label;
  }
  return "";
}

std::string MeasuredEvidence(std::string_view platform_name, const MeasuredCounts& c) {
  const int total = c.total();
  if (total <= 0) return "";
  std::string out = fmt::format("{} measured report{} from devices in the last hour: ", total,
                                total == 1 ? "" : "s");
  std::vector<std::string> parts;
  if (c.unreachable > 0) {
    std::string line = fmt::format("{} could not reach {} while reaching other sites",
                                   c.unreachable, platform_name);
    // Known connection types by count (most first), the rest together at the end.
    std::vector<std::pair<std::string_view, int>> known;  // in the order given, then by count
    int untold = 0;
    for (const auto& [type, n] : c.unreachable_by_connection) {
      std::string_view label = ConnectionLabel(type);
      if (label.empty()) {
        untold += n;
        continue;
      }
      auto it =
          std::find_if(known.begin(), known.end(), [&](const auto& k) { return k.first == label; });
      if (it == known.end()) {
        known.emplace_back(label, n);
      } else {
        it->second += n;
      }
    }
    std::stable_sort(known.begin(), known.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    std::vector<std::string> conns;
    for (const auto& [label, n] : known) conns.push_back(fmt::format("{} on {}", n, label));
    if (!known.empty() && untold > 0) {
      conns.push_back(fmt::format("{} on a connection not told", untold));
    }
    if (!conns.empty()) line += fmt::format(" ({})", fmt::join(conns, ", "));
    parts.push_back(std::move(line));
  }
  if (c.reachable > 0) {
    parts.push_back(c.unreachable > 0 ? fmt::format("{} reached it", c.reachable)
                                      : fmt::format("{} reached {}", c.reachable, platform_name));
  }
  out += fmt::format("{}", fmt::join(parts, ", "));
  return out;
}

}  // namespace lifeline::watch
