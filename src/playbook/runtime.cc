// The contingency plan assembled from a config (runtime.h).
#include "playbook/runtime.h"

#include <filesystem>

#include <fmt/format.h>

#include "channels/http.h"

namespace lifeline::playbook {

core::Result<std::unique_ptr<PlaybookRuntime>> PlaybookRuntime::Create(
    const config::Config& config, store::Store& store, channels::RelayRuntime& relay,
    RuntimeOptions options) {
  std::unique_ptr<PlaybookRuntime> rt(new PlaybookRuntime());
  rt->options_ = std::move(options);
  if (config.Section("plan") == nullptr) return rt;
  // The relay runtime keeps its channels inside its relay; the plan is checked against channels
  // built the same way (never used to send), as `lifeline plan check` does.
  auto http = channels::MakeCurlHttpClient();
  channels::LoadOptions load;
  load.http = http.get();
  LL_ASSIGN(channels::RelaySetup setup, channels::LoadRelaySetup(config, load));
  LL_ASSIGN(Plan plan, LoadPlan(config, setup));
  for (const Finding& w : plan.warnings) {
    if (rt->options_.log) rt->options_.log("plan: warning: " + w.ToString());
  }
  rt->plan_ = std::make_unique<Plan>(std::move(plan));
  std::map<std::string, std::string, std::less<>> names;
  for (const auto& p : config.platforms) names[p.id] = p.name;
  rt->public_url_ = config.api.public_url;
  const std::string dir = rt->options_.data_dir.empty() ? "." : rt->options_.data_dir;
  LL_ASSIGN(rt->secret_,
            InstallationLinkSecret((std::filesystem::path(dir) / "link.secret").string(),
                                   store.Cluster()));
  rt->messenger_ = std::make_unique<RelayMessenger>(relay.router());
  rt->drill_messenger_ = std::make_unique<DrillMessenger>(*rt->messenger_, relay.relay(),
                                                          relay.router(), store, *rt->plan_);
  if (rt->options_.scheduler != nullptr) {
    rt->scheduler_ = rt->options_.scheduler;
  } else {
    timers::SchedulerOptions so;
    so.clock = rt->options_.clock;
    so.log = rt->options_.log;
    rt->own_scheduler_ = std::make_unique<timers::Scheduler>(&store.Timers(), so);
    rt->scheduler_ = rt->own_scheduler_.get();
  }
  EngineOptions eo;
  eo.clock = rt->options_.clock;
  eo.platform_names = std::move(names);
  eo.link_secret = rt->secret_;
  eo.handlers = &rt->handlers_;
  eo.log = rt->options_.log;
  eo.shared = rt->options_.shared;
  if (rt->options_.on_monitor) {
    eo.on_monitor = [&store, f = rt->options_.on_monitor](const MonitorWindow& w) {
      // A drill's platforms are not down: their probing does not change for it.
      if (auto inc = store.GetIncident(w.incident_id); inc.ok() && inc->drill) return;
      f(w);
    };
  }
  rt->engine_ = std::make_unique<Engine>(*rt->plan_, store, *rt->scheduler_, *rt->drill_messenger_,
                                         std::move(eo));
  return rt;
}

PlaybookRuntime::~PlaybookRuntime() { Stop(); }

std::unique_ptr<core::IncidentFeed::Subscription> PlaybookRuntime::Watch(core::IncidentFeed& feed) {
  if (empty()) return nullptr;
  return engine_->Watch(feed);  // notices queue until Start
}

core::Status PlaybookRuntime::Start(std::string_view base_url) {
  if (empty()) return core::Ok();
  LL_TRY(engine_->SetLinkBase(public_url_.empty() ? std::string(base_url) : public_url_));
  LL_TRY(engine_->Start());
  if (own_scheduler_) LL_TRY(own_scheduler_->Start());  // a shared one: its owner starts it
  if (options_.log) {
    options_.log(fmt::format("playbook: plan {} loaded: {} responses, {} people",
                             plan_->name.empty() ? "(unnamed)" : plan_->name,
                             plan_->responses.size(), plan_->team.size()));
  }
  return core::Ok();
}

void PlaybookRuntime::Stop() {
  // The scheduler first: its handlers call into the engine. A shared one is its owner's to stop
  // (before this); after Stop the engine's handlers do nothing.
  if (own_scheduler_) own_scheduler_->Stop();
  if (engine_) engine_->Stop();
}

}  // namespace lifeline::playbook
