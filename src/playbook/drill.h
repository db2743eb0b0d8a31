// Drills (`lifeline drill`, docs/playbook.md "Drills"): the plan run against a simulated outage
// by the real engine. DrillService is serve's side: POST /v1/drills opens a drill incident that
// only the playbook engine is told about — never the serve engine's incident feed, so no verdict,
// status page, relay circuit or incident listing changes — and ends it on request or when its
// duration runs out (a durable timer). Its messages go through DrillMessenger (marked, kept from
// the real audience). The dry run, which needs no serve, is drill_sim.h.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "playbook/drill_report.h"
#include "playbook/engine.h"
#include "playbook/plan.h"
#include "store/store.h"
#include "timers/scheduler.h"

namespace lifeline::playbook {

// The timer that ends a drill when its duration runs out.
inline constexpr std::string_view kDrillEndTimer = "drill.end";
inline constexpr Duration kDefaultDrillDuration = std::chrono::minutes(30);
inline constexpr Duration kMinDrillDuration = std::chrono::seconds(10);
inline constexpr Duration kMaxDrillDuration = std::chrono::hours(24);

// What a drill simulates, resolved against the plan.
struct DrillTarget {
  std::string platform;  // catalog id
  std::string name;      // "WhatsApp"
  std::string domain;    // "" = none
  bool domain_wide = false;
  std::vector<std::string> platforms;  // failing: the platform, or every platform of the domain
  Failure failure;
  std::vector<std::string> responses;  // the plan's responses that answer it, in plan order
};

// Resolves PLATFORM (and --domain) against the plan: kNotFound for an unknown platform (with
// "did you mean"), kInvalidArgument for --domain on a platform of no failure domain,
// kFailedPrecondition when no response of the plan answers that outage (naming the triggers).
// `names`: catalog id -> name.
[[nodiscard]] core::Result<DrillTarget> ResolveDrill(
    const Plan& plan, const std::map<std::string, std::string, std::less<>>& names,
    std::string_view platform, bool domain_wide);

// "15m", "90s", "1h30m", "2h": a drill's duration or --ack-after. kInvalidArgument otherwise.
[[nodiscard]] core::Result<Duration> ParseDrillDuration(std::string_view text);

struct DrillRequest {
  std::string platform;
  bool domain = false;
  std::optional<Duration> duration;  // unset: kDefaultDrillDuration
  std::string by;                    // who started it (the API token's name or "api")
};

struct DrillOptions {
  core::Clock* clock = nullptr;  // null = the real clock
  // Catalog id -> name (config.platforms), for titles and messages.
  std::map<std::string, std::string, std::less<>> platform_names;
  // The console's address without the incident ("http://127.0.0.1:8080/"): a drill's console
  // URL is this + "#/incident/<id>". "" = none.
  std::string console_base;
  std::function<void(std::string_view)> log;
};

// Thread-safety: every method may be called from any thread (the store and the engine are).
class DrillService {
 public:
  // All references must outlive the service.
  DrillService(const Plan& plan, Engine& engine, store::Store& store, timers::Scheduler& scheduler,
               DrillOptions options);

  // Registers the end timer's handler (before the scheduler starts) and, once the engine runs,
  // tells it again about drills left open by a previous run (Resume).
  [[nodiscard]] core::Status Register();
  [[nodiscard]] core::Status Resume();
  void SetConsoleBase(std::string base);

  // Opens a drill incident and hands it to the engine. kNotFound / kInvalidArgument /
  // kFailedPrecondition as ResolveDrill; kInvalidArgument for a duration outside 10s..24h;
  // kAlreadyExists when a drill on the same platform is still open.
  [[nodiscard]] core::Result<store::Incident> Start(const DrillRequest& request);
  // Restoration: closes the drill's incident and tells the engine. kNotFound for no such drill
  // (a real incident is not a drill), kFailedPrecondition when it ended before.
  [[nodiscard]] core::Result<store::Incident> End(std::string_view id, std::string_view by);
  [[nodiscard]] core::Result<store::Incident> Get(std::string_view id);
  [[nodiscard]] core::Result<std::vector<store::Incident>> List(std::size_t limit);
  // The drill report (drill_report.h).
  [[nodiscard]] core::Result<DrillReport> Report(std::string_view id);
  // When the drill ends by itself (its end timer), if it is still open.
  std::optional<store::Time> EndsAt(const store::Incident& drill);

  std::string ConsoleUrl(std::string_view id) const;
  const Plan& plan() const { return plan_; }

 private:
  core::Status OnEnd(const store::Timer& t);
  core::IncidentNotice Notice(const store::Incident& inc,
                              core::IncidentNotice::Change change) const;
  DrillSetup SetupOf(const store::Incident& inc);
  TimePoint Now() const { return clock_.Now(); }

  const Plan& plan_;
  Engine& engine_;
  store::Store& store_;
  timers::Scheduler& scheduler_;
  DrillOptions options_;
  core::Clock& clock_;
  mutable std::mutex mu_;  // guards console_base_ and serialises Start (one drill per platform)
  std::string console_base_;
};

}  // namespace lifeline::playbook
