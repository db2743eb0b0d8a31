// Measured crowd reports (the dashboard's device check, issue 13) as one evidence line beside the
// crowd signal: how many devices could not reach a platform while reaching other sites, how many
// reached it, and over which connections. Pure text over counts the store supplies.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lifeline::watch {

struct MeasuredCounts {
  int unreachable = 0;  // could not reach the platform (these count towards the crowd spike)
  int reachable = 0;
  // The unreachable ones by navigator.connection.type ("" when the browser did not tell).
  std::vector<std::pair<std::string, int>> unreachable_by_connection;

  int total() const { return unreachable + reachable; }
};

// How people call a connection type: "wifi" -> "Wi-Fi", "cellular" -> "mobile data", ...; ""
// and the vague ones ("unknown", "other", "mixed", "none") -> "".
std::string_view ConnectionLabel(std::string_view type);

// "3 measured reports from devices in the last hour: 2 could not reach WhatsApp while reaching
// other sites (1 on Wi-Fi, 1 on mobile data), 1 reached it". "" when there is none.
std::string MeasuredEvidence(std::string_view platform_name, const MeasuredCounts& counts);

}  // namespace lifeline::watch
