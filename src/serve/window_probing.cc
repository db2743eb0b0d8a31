// The monitoring windows' probe intervals (window_probing.h).
#include "serve/window_probing.h"

#include <algorithm>

namespace lifeline::serve {

void WindowProbing::SetLocked(const std::string& platform, Interval interval) {
  auto it = applied_.find(platform);
  if (interval) {
    if (it != applied_.end() && it->second == *interval) return;
    applied_[platform] = *interval;
  } else {
    if (it == applied_.end()) return;
    applied_.erase(it);
  }
  set_(platform, interval);
}

void WindowProbing::Apply(const playbook::MonitorWindow& w) {
  const bool faster = w.active && w.probe_interval.count() > 0;
  std::lock_guard lock(mu_);
  for (const std::string& p : w.platforms) {
    SetLocked(p, faster ? Interval(w.probe_interval) : std::nullopt);
  }
}

void WindowProbing::Follow(const std::vector<playbook::MonitorWindow>& active) {
  std::map<std::string, std::chrono::milliseconds> want;
  for (const auto& w : active) {
    if (!w.active || w.probe_interval.count() <= 0) continue;
    for (const std::string& p : w.platforms) {
      auto [it, added] = want.emplace(p, w.probe_interval);
      if (!added) it->second = std::min(it->second, w.probe_interval);
    }
  }
  std::lock_guard lock(mu_);
  std::vector<std::string> gone;
  for (const auto& [p, interval] : applied_) {
    if (want.count(p) == 0) gone.push_back(p);
  }
  for (const auto& p : gone) SetLocked(p, std::nullopt);
  for (const auto& [p, interval] : want) SetLocked(p, interval);
}

}  // namespace lifeline::serve
