// The contingency plan assembled from a config, as `lifeline serve` and `lifeline demo` run it:
// the plan (LoadPlan against the relay's contacts and channels), the timer scheduler on the
// store, and the engine sending through the relay's router. A config without `plan:` gives an
// empty runtime whose Watch and Start do nothing.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "channels/runtime.h"
#include "config/config.h"
#include "core/clock.h"
#include "core/incident_feed.h"
#include "core/result.h"
#include "playbook/drill_messenger.h"
#include "playbook/engine.h"
#include "playbook/messenger.h"
#include "playbook/plan.h"
#include "playbook/step_handler.h"
#include "store/store.h"
#include "timers/scheduler.h"

namespace lifeline::playbook {

struct RuntimeOptions {
  // Where the link secret is kept when $LIFELINE_LINK_SECRET is not set: DIR/link.secret. On a
  // database several instances share, the first instance's secret is kept there for all.
  std::string data_dir;
  core::Clock* clock = nullptr;  // null = the real clock
  std::function<void(std::string_view)> log;
  // A monitoring window starts or ends (EngineOptions::on_monitor): serve probes the platforms
  // every probe_interval while it lasts. Only queue.
  std::function<void(const MonitorWindow&)> on_monitor;
  // The process's one timer scheduler, shared with the other parts (the ads guard); not owned:
  // whoever made it starts it after every part registered its handlers and stops it first. Null:
  // the runtime makes, starts and stops a scheduler of its own.
  timers::Scheduler* scheduler = nullptr;
  // Several instances on one database: EngineOptions::shared.
  bool shared = false;
};

class PlaybookRuntime {
 public:
  // Loads the plan when the config has one (kInvalidArgument FILE:LINE: KEY for a bad plan; its
  // warnings are logged), and the link secret. `store` and `relay` must outlive the runtime.
  static core::Result<std::unique_ptr<PlaybookRuntime>> Create(const config::Config& config,
                                                               store::Store& store,
                                                               channels::RelayRuntime& relay,
                                                               RuntimeOptions options);
  ~PlaybookRuntime();  // Stop()

  // True when the config has no plan.
  bool empty() const { return plan_ == nullptr; }
  // Subscribes the engine to the incidents (they queue until Start); null when empty. Keep the
  // handle while it runs.
  [[nodiscard]] std::unique_ptr<core::IncidentFeed::Subscription> Watch(core::IncidentFeed& feed);
  // Starts the engine and the scheduler. `base_url` is where the API is reached ("http://
  // 127.0.0.1:8080/"): acknowledgement links start with config api.public_url when set, else
  // with it.
  [[nodiscard]] core::Status Start(std::string_view base_url);
  // Stops the scheduler, then the engine. Idempotent.
  void Stop();

  // Null when empty. The engine exists from Create on (for the routes' group); it acts once
  // started.
  const Plan* plan() const { return plan_.get(); }
  Engine* engine() { return engine_.get(); }
  // Where move_conversations and pause handlers plug in (before Start).
  StepHandlers& handlers() { return handlers_; }
  // The scheduler the engine's timers run on (drills register their end timer here before
  // Start). Null when empty.
  timers::Scheduler* scheduler() { return scheduler_; }

 private:
  PlaybookRuntime() = default;

  RuntimeOptions options_;
  std::string public_url_;
  std::string secret_;
  std::unique_ptr<Plan> plan_;
  std::unique_ptr<RelayMessenger> messenger_;
  // What the engine sends through: a drill's messages marked and kept from the real audience,
  // everything else handed to messenger_ unchanged.
  std::unique_ptr<DrillMessenger> drill_messenger_;
  StepHandlers handlers_;
  std::unique_ptr<timers::Scheduler> own_scheduler_;  // when RuntimeOptions::scheduler is null
  timers::Scheduler* scheduler_ = nullptr;            // own_scheduler_ or the shared one
  std::unique_ptr<Engine> engine_;
};

}  // namespace lifeline::playbook
