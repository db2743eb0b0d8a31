// Small helpers the guard's files share (not part of the guard's interface).
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>

namespace lifeline::ads::internal {

// The settle time of a change whose policy is not in the config any more (a plan step's).
inline constexpr std::chrono::milliseconds kDefaultSettle = std::chrono::minutes(30);

// "90s", "5m", "2h", "1h30m".
inline std::string Human(std::chrono::milliseconds d) {
  const long long s = d.count() / 1000;
  if (d.count() % 1000 != 0) return fmt::format("{}ms", d.count());
  if (s == 0) return "0s";
  if (s % 3600 == 0) return fmt::format("{}h", s / 3600);
  if (s >= 3600) return fmt::format("{}h{}m", s / 3600, (s % 3600) / 60);
  if (s % 60 == 0) return fmt::format("{}m", s / 60);
  return fmt::format("{}s", s);
}

// "Instagram and Facebook" from catalog ids.
inline std::string Names(const std::vector<std::string>& ids,
                         const std::map<std::string, std::string, std::less<>>& names) {
  std::vector<std::string> out;
  for (const auto& id : ids) {
    auto it = names.find(id);
    out.push_back(it == names.end() || it->second.empty() ? id : it->second);
  }
  if (out.empty()) return "no platform";
  if (out.size() == 1) return out[0];
  std::string s;
  for (std::size_t i = 0; i < out.size(); ++i) {
    s += out[i];
    if (i + 2 < out.size()) s += ", ";
    if (i + 2 == out.size()) s += " and ";
  }
  return s;
}

}  // namespace lifeline::ads::internal
