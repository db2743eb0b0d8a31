// The faster probing the plan's monitoring windows ask for (after_restoration.probe_interval),
// applied once per change. A window starts and ends on the instance whose playbook moved the
// incident (or whose timer fired); with several instances on one database the platform may be
// another's, so each instance also follows the windows as stored, at every lease renewal.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "playbook/engine.h"

namespace lifeline::serve {

class WindowProbing {
 public:
  using Interval = std::optional<std::chrono::milliseconds>;
  // `set` changes a platform's probe interval (nullopt: back to its own); called only when the
  // interval changes.
  explicit WindowProbing(std::function<void(std::string_view, Interval)> set)
      : set_(std::move(set)) {}

  // A window started or ended here (the playbook's on_monitor).
  void Apply(const playbook::MonitorWindow& w);
  // Every window running now (playbook::Engine::ActiveWindows): platforms in none go back to
  // their interval; in several, the shortest wins.
  void Follow(const std::vector<playbook::MonitorWindow>& active);

 private:
  void SetLocked(const std::string& platform, Interval interval);

  std::function<void(std::string_view, Interval)> set_;
  std::mutex mu_;  // guards applied_
  std::map<std::string, std::chrono::milliseconds, std::less<>> applied_;
};

}  // namespace lifeline::serve
