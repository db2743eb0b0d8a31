// The fleet of vantage points as `lifeline serve` sees it: per configured agent, when it last
// answered, how far away it is, which version it runs, what it says of its own connection and why
// it last failed. Fed with every reply of the rounds (EngineOptions::on_vantage_reply); read by
// GET /v1/vantage-points, `lifeline vantage list` and the dashboard's Fleet page.
//
// An unreachable agent is a fact about the agent: nothing here feeds a platform's diagnosis (the
// round already leaves an unreachable agent's evidence out, check/check.h).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/client.h"
#include "config/config.h"
#include "core/listeners.h"
#include "core/types.h"

namespace lifeline::serve {

// unknown: not asked yet. ok: its last exchange brought a valid answer. unreachable: its last
// exchange failed (the reason is kept). stale: it has not been asked for `stale_after`, whatever
// it said last (rounds stopped reaching it; its last state is old news).
enum class VantageState { kUnknown, kOk, kUnreachable, kStale };
std::string_view VantageStateName(VantageState state);

using SystemTime = std::chrono::system_clock::time_point;

struct FleetOptions {
  // Not asked for this long: stale. StaleAfter(config) gives 3 round intervals plus the exchange's
  // own timeout.
  std::chrono::milliseconds stale_after{std::chrono::seconds(95)};
  // The median latency is taken over this many of the latest answers.
  std::size_t latency_window = 10;
  // Besides each change of state, version, own connection or failure kind, a vantage point's
  // event is published at most this often (its last-seen time and latency move every round).
  std::chrono::milliseconds update_every{std::chrono::seconds(10)};
  // How often the sweep thread (Start) looks for vantage points gone stale.
  std::chrono::milliseconds sweep_every{std::chrono::seconds(1)};
  // One line per change of state. Null: silent.
  std::function<void(std::string_view)> log;
};

// 3 x the shortest round interval among the watched platforms (every round asks every vantage
// point) plus the exchange's timeout (config timeout + 1.5 s, as check::Run asks).
std::chrono::milliseconds StaleAfter(const config::Config& config);

// One vantage point, as of a moment (Fleet::List).
struct VantageView {
  std::string name;
  std::string region;
  std::string url;
  VantageState state = VantageState::kUnknown;
  std::optional<SystemTime> state_since;    // when `state` began (unset while unknown)
  std::optional<SystemTime> last_seen;      // its last valid answer
  std::optional<SystemTime> last_attempt;   // its last exchange, whatever came of it
  std::optional<double> latency_ms;         // TCP connect of the last answer: one round trip
  std::optional<double> latency_median_ms;  // over the latest answers (FleetOptions)
  std::optional<double> exchange_ms;        // the last answer's whole exchange, probes included
  std::string version;                      // as last reported ("" until it answered)
  // Its own connection check, as of its last answer (unset until it answered). Not ok: its
  // evidence is not used while it says so.
  std::optional<core::Connectivity> connectivity;
  std::vector<std::string> connectivity_evidence;
  std::string last_error;       // the last failure in words (kept after it recovers)
  std::string last_error_kind;  // agent::VantageReply::failure
  std::optional<SystemTime> last_error_at;
  std::uint32_t consecutive_failures = 0;
  std::uint64_t answers = 0;   // valid answers since start
  std::uint64_t failures = 0;  // failed exchanges since start
};

// The JSON of one vantage point (API, CLI and events share it; docs/openapi.json VantagePoint).
nlohmann::json VantageJson(const VantageView& view);

// A change for GET /v1/events ("vantage_point"): the view, and what changed.
struct FleetEvent {
  VantageView view;
  VantageState previous = VantageState::kUnknown;
  bool state_changed = false;
};

// Thread-safe: Observe runs on the engine's event loop, Sweep on the sweep thread, List and Find on
// the API's threads.
class Fleet {
 public:
  // The configured vantage points, in config order (names are unique: config::Load checks).
  Fleet(std::vector<core::VantagePoint> vantage_points, FleetOptions options);
  ~Fleet();  // Stop()s
  Fleet(const Fleet&) = delete;
  Fleet& operator=(const Fleet&) = delete;

  // Records one exchange with a vantage point at `at`. A reply for a name not configured is
  // ignored (a round can only ask configured ones).
  void Observe(const agent::VantageReply& reply, SystemTime at);

  // Marks those not asked within stale_after as stale and publishes each such change.
  void Sweep(SystemTime now);

  // Every vantage point in config order, states as of `now`.
  std::vector<VantageView> List(SystemTime now) const;
  // Null when no vantage point has that name.
  std::optional<VantageView> Find(std::string_view name, SystemTime now) const;

  const FleetOptions& options() const { return options_; }

  // The sink runs under the fleet's lock: it must only queue (core::Listeners).
  [[nodiscard]] std::unique_ptr<core::Subscription> Subscribe(
      std::function<void(const FleetEvent&)> sink);

  // Sweeps every sweep_every on a thread of its own until Stop(). Idempotent.
  void Start();
  void Stop();

 private:
  struct Entry {
    VantageView view;        // state here is the last exchange's outcome (or unknown)
    VantageState published;  // the effective state last published
    std::optional<SystemTime> published_at;
    std::deque<double> latencies;  // the latest answers' latency, oldest first
  };
  VantageState EffectiveLocked(const Entry& e, SystemTime now) const;
  VantageView ViewLocked(const Entry& e, SystemTime now) const;
  void PublishLocked(Entry& e, SystemTime now, bool force);

  const FleetOptions options_;
  mutable std::mutex mu_;  // guards entries_
  std::vector<Entry> entries_;
  core::Listeners<FleetEvent> listeners_;

  std::mutex sweep_mu_;  // guards stopping_ (with sweep_cv_)
  std::condition_variable sweep_cv_;
  bool stopping_ = false;
  std::thread sweeper_;
};

}  // namespace lifeline::serve
