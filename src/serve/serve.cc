// `lifeline serve` wiring: config -> store -> engine -> API, a signal wait on the main thread, and
// an orderly drain. Nothing here decides anything about platforms; the engine does.
#include "serve/serve.h"

#include <malloc.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "ads/config.h"
#include "ads/guard.h"
#include "ads/pause_step.h"
#include "ads/routes.h"
#include "agent/server.h"
#include "api/device_routes.h"
#include "api/server.h"
#include "api/tokens.h"
#include "calendar/accounting.h"
#include "calendar/calendar.h"
#include "calendar/routes.h"
#include "channels/routes.h"
#include "channels/runtime.h"
#include "config/store_section.h"
#include "inbox/catch_up.h"
#include "inbox/config.h"
#include "inbox/imap.h"
#include "inbox/inbox.h"
#include "inbox/move_step.h"
#include "inbox/relay_outlet.h"
#include "inbox/routes.h"
#include "inbox/telegram_poll.h"
#include "listen/listener.h"
#include "listen/routes.h"
#include "playbook/check.h"
#include "playbook/drill.h"
#include "playbook/drill_routes.h"
#include "playbook/routes.h"
#include "playbook/runtime.h"
#include "recovery/routes.h"
#include "recovery/service.h"
#include "report/routes.h"
#include "serve/cluster.h"
#include "serve/fleet.h"
#include "serve/fleet_routes.h"
#include "serve/window_probing.h"
#include "store/store.h"
#include "timers/metrics.h"
#include "timers/scheduler.h"

namespace lifeline::serve {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;

bool HasIndex(const fs::path& dir) {
  std::error_code ec;
  return fs::is_regular_file(dir / "index.html", ec);
}

// What the dashboard's device check fetches (GET /v1/device/probes): the enabled platforms'
// and the control endpoints' `device_probes`.
api::DeviceCatalog DeviceCatalogFor(const config::Config& config) {
  api::DeviceCatalog c;
  for (const auto& p : config.platforms) {
    if (p.enabled && !p.device_probes.empty()) {
      c.platforms.push_back({p.id, p.name, p.domain, p.device_probes});
    }
  }
  for (const auto& d : config.device_controls) c.controls.push_back({d.id, d.urls});
  c.timeout = config.timeout;
  c.slow = config.slow_threshold;
  c.public_url = config.api.public_url;
  return c;
}

// /metrics for the process's one timer scheduler (timers/metrics.h), whichever parts use it.
class TimerMetrics final : public api::RouteGroup {
 public:
  explicit TimerMetrics(const timers::Scheduler& scheduler) : scheduler_(scheduler) {}
  std::vector<api::PartRoute> Routes() override { return {}; }
  std::string Metrics() override { return timers::SchedulerMetrics(scheduler_); }

 private:
  const timers::Scheduler& scheduler_;
};

// The order in which serve's parts stop, whichever of them started: requests first, then the
// timers (their handlers call into the parts), each part's incident subscription before the part,
// the parts that send through the relay before the relay, the engine last.
enum class Stage {
  kServer,
  kScheduler,
  kAdsWatch,
  kAds,
  kCalendarWatch,
  kCalendar,  // it sends through the relay: stopped before it
  kInbox,     // its Telegram pollers store into the inbox: stopped before the store closes
  kListen,
  kPlaybookWatch,
  kPlaybook,  // it sends through the relay: stopped before it
  kRelayWatch,
  kRelay,
  kEngine,
};

// What has started, stopped in Stage order by Run(), or by Abort() when a later part fails to
// start. (Not from a destructor: the stops refer to parts declared after it.)
class Shutdown {
 public:
  void Add(Stage stage, std::function<void()> stop) { stops_.emplace(stage, std::move(stop)); }
  void Run() {
    for (auto& [stage, stop] : stops_) stop();
    stops_.clear();
  }
  core::Status Abort(core::Status why) {
    Run();
    return why;
  }

 private:
  std::multimap<Stage, std::function<void()>> stops_;
};

std::string BaseUrl(const boost::asio::ip::tcp::endpoint& ep) {
  auto addr = ep.address();
  std::string host = addr.is_v6() ? "[" + addr.to_string() + "]" : addr.to_string();
  if (addr.is_unspecified()) host = addr.is_v6() ? "[::1]" : "127.0.0.1";
  return fmt::format("http://{}:{}/", host, ep.port());
}

}  // namespace

void LogLine(std::string_view line) {
  static std::mutex mu;  // guards stderr: one line at a time from the engine's and API's threads
  std::lock_guard lock(mu);
  fmt::print(stderr, "{} {}\n", core::FormatTime(std::chrono::system_clock::now()), line);
  std::fflush(stderr);
}

std::string FindWebRoot(const config::Config& config) {
  if (!config.api.web_root.empty()) return config.api.web_root;
  std::vector<fs::path> candidates;
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    // build/<dir>/lifeline -> the source tree two or three levels up.
    fs::path dir = exe.parent_path();
    for (int up = 0; up < 4 && !dir.empty(); ++up) {
      candidates.push_back(dir / "web" / "dist");
      dir = dir.parent_path();
    }
  }
  candidates.push_back(fs::current_path(ec) / "web" / "dist");
  candidates.push_back("/usr/share/lifeline/web");
  for (const auto& c : candidates) {
    if (HasIndex(c)) return c.lexically_normal().string();
  }
  return "";
}

core::Result<std::unique_ptr<store::Store>> OpenStore(const config::Config& config) {
  // `store: { url: postgresql://... }` chooses PostgreSQL; without it, the SQLite file.
  LL_ASSIGN(config::StoreSettings settings, config::ReadStoreSection(config));
  if (settings.url.empty()) return store::OpenSqlite(config.serve.DatabasePath());
  return store::OpenPostgres({settings.url, settings.password, settings.connections});
}

core::Status RunWithConfig(const config::Config& config, const RunOptions& options) {
  const std::string db_path = config.serve.DatabasePath();
  auto opened = OpenStore(config);
  if (!opened.ok()) {
    // The store's message names the file and what to do; nothing was watched, so nothing could
    // have been reported down.
    return opened.error();
  }
  std::unique_ptr<store::Store> store = std::move(*opened);
  // The data directory holds this instance's own files (the relay's lock, the link secret) also
  // when the state is in PostgreSQL; SQLite made it already.
  {
    std::error_code ec;
    const fs::path data_dir = fs::path(db_path).parent_path();
    if (!data_dir.empty() && !fs::exists(data_dir, ec)) {
      fs::create_directories(data_dir, ec);
      if (ec) {
        return core::MakeError(core::ErrorCode::kFailedPrecondition,
                               "cannot create the data directory {}: {}", data_dir.string(),
                               ec.message());
      }
    }
  }
  // A database several processes can share (PostgreSQL): this instance's heartbeat and its share
  // of the platforms, one lease per failure domain (serve/cluster.h). Left last: the others see
  // this one leave once everything stopped.
  std::unique_ptr<Membership> membership;
  if (store::ClusterStore* cluster = store->Cluster(); cluster != nullptr) {
    LL_ASSIGN(config::StoreSettings settings, config::ReadStoreSection(config));
    auto joined = Membership::Join(
        *cluster,
        {.ttl = settings.lease_ttl, .version = std::string(agent::kAgentVersion), .log = LogLine});
    if (!joined.ok()) return joined.error();
    membership = std::move(*joined);
  }

  EngineOptions eopts = options.engine;
  eopts.shared = membership != nullptr;
  if (!eopts.log) eopts.log = LogLine;
  auto log = eopts.log;
  // The fleet view (GET /v1/vantage-points): each round's exchange with each vantage point.
  Fleet fleet(config.vantage_points, {.stale_after = StaleAfter(config), .log = log});
  eopts.on_vantage_reply = [&fleet](const agent::VantageReply& r) {
    fleet.Observe(r, std::chrono::system_clock::now());
  };

  // The relay (channels, contacts, outbox), checked before anything starts: a bad channel is a
  // config error like any other.
  channels::RuntimeOptions ropts;
  ropts.database_path = db_path;
  ropts.log = log;
  auto relay = channels::RelayRuntime::Create(config, *store, ropts);
  if (!relay.ok()) return relay.error();
  if (!(*relay)->empty()) {
    auto mine = (*relay)->Acquire();
    if (!mine.ok()) return mine.error();
    if (!*mine) {
      return core::MakeError(core::ErrorCode::kFailedPrecondition,
                             "another lifeline serve delivers messages from {} (its relay lock "
                             "{}.relay is taken): stop it first, or give this one its own "
                             "--data-dir",
                             db_path, db_path);
    }
  }

  Engine engine(config, *store, eopts);
  // The plan's monitoring windows probe their platforms faster, wherever they started.
  WindowProbing window_probing([&engine](std::string_view platform, WindowProbing::Interval iv) {
    engine.SetProbeInterval(platform, iv);
  });
  // The process's one scheduler of durable timers (DESIGN.md): the plan's escalations and waits,
  // the drills' ends, the ads guard's pauses and resumes. Started once every part registered its
  // handlers; stopped before any part.
  timers::SchedulerOptions timer_opts;
  timer_opts.log = log;
  timers::Scheduler scheduler(&store->Timers(), timer_opts);
  // The contingency plan (plan:), checked against the relay's contacts and channels. During a
  // monitoring window after restoration the engine probes the platform at the plan's interval.
  auto playbook = playbook::PlaybookRuntime::Create(
      config, *store, **relay,
      {.data_dir = fs::path(db_path).parent_path().string(),
       .log = log,
       .on_monitor =
           [&window_probing](const playbook::MonitorWindow& w) { window_probing.Apply(w); },
       .scheduler = &scheduler,
       .shared = membership != nullptr});
  if (!playbook.ok()) return playbook.error();
  // Shared store: the engine runs the platforms of the leases this instance holds, the plan
  // resumes their responses, and the windows as stored set their probing (a window may start or
  // end on another instance). Given back before the engine and the plan go (the membership
  // thread must not reach them after).
  const Shares shares = SharesOf(config.platforms);
  if (membership) {
    membership->ShareOut(
        shares.leases, [&engine, &shares, &window_probing, log,
                        plan = (*playbook)->engine()](const std::vector<std::string>& held) {
          const std::vector<std::string> platforms = shares.PlatformsOf(held);
          engine.SetOwned(platforms);
          if (plan == nullptr) return;
          plan->SetOwned(platforms);
          auto windows = plan->ActiveWindows();
          if (windows.ok()) {
            window_probing.Follow(*windows);
          } else {
            log("playbook: reading the monitoring windows failed: " + windows.error().message());
          }
        });
  }
  struct Unshare {
    std::unique_ptr<Membership>& m;
    ~Unshare() {
      if (m) m->ShareOut({}, nullptr);
    }
  } unshare{membership};
  // The ads guard (ads:): pauses the campaigns on a failed platform and resumes what it paused;
  // the plan's `pause: ads` steps run through it.
  auto ads_config = ads::LoadAdsConfig(config);
  if (!ads_config.ok()) return ads_config.error();
  auto guard = ads::Guard::Create(std::move(*ads_config), config, *store, scheduler, {.log = log});
  if (!guard.ok()) return guard.error();
  if (!(*guard)->empty() && !(*playbook)->empty()) {
    if (auto s = (*playbook)->handlers().Register(
            playbook::StepKind::kPause, std::make_shared<ads::PauseStepHandler>(**guard, *store));
        !s.ok()) {
      return s;
    }
  }
  // The recovery checklist (GET /v1/recovery/{incident}): after restoration, the campaigns'
  // figures over the plan's monitoring window against the same hours of the 4 prior weeks.
  recovery::RecoveryOptions recovery_options{
      .monitor_window = recovery::PlanMonitorWindow((*playbook)->plan(), *store)};
  if (config.Section("calendar") != nullptr) {
    // The posts side: what became of every post due during the incident (calendar/accounting.h).
    recovery_options.posts =
        [&store](const store::Incident& inc) -> core::Result<recovery::PostsSection> {
      LL_ASSIGN(auto account,
                calendar::AccountPosts(store->Calendar(), inc,
                                       store::FromSystem(std::chrono::system_clock::now())));
      return recovery::PostsSection{true, std::move(account.body), account.attention};
    };
  }
  auto recovery_service = recovery::RecoveryService::Create((*guard)->config(), config, *store,
                                                            std::move(recovery_options));
  if (!recovery_service.ok()) return recovery_service.error();
  // The content calendar (calendar:): scheduled posts through the relay's channels, held during
  // an incident on a channel's platform and released by policy afterwards.
  std::unique_ptr<calendar::Publisher> publisher = calendar::MakeRelayPublisher((*relay)->relay());
  auto calendar_config = calendar::LoadCalendarConfig(
      config, {.channels = (*relay)->relay().ChannelNames(),
               .check = [&publisher](const std::string& channel, const std::string& text,
                                     const std::vector<std::string>& media) {
                 return publisher->Check(channel, {text, media});
               }});
  if (!calendar_config.ok()) return calendar_config.error();
  // Listening (listen:): mentions, hashtags and outage chatter polled from the sources on their
  // own workers; a spike of a platform's chatter is an evidence line on its diagnosis (the
  // engine reads it with listen::ChatterEvidence).
  auto listen_config = listen::LoadListenConfig(config);
  if (!listen_config.ok()) return listen_config.error();
  std::unique_ptr<channels::HttpClient> listen_http =
      channels::MakeCurlHttpClient({.max_body_bytes = listen_config->max_body_bytes + 1});
  listen::Listener listener(std::move(*listen_config), *store, *listen_http, {.log = log});
  calendar::Calendar content_calendar(std::move(*calendar_config), *publisher, *store, scheduler,
                                      {.log = log});
  // The inbox (inbox:): customer messages from the sources' signed webhooks, replies through the
  // relay, and the plan's move_conversations step.
  auto inbox_config =
      inbox::LoadInboxConfig(config, {.channels = (*relay)->relay().ChannelNames()});
  if (!inbox_config.ok()) return inbox_config.error();
  std::unique_ptr<inbox::Outlet> inbox_outlet = inbox::MakeRelayOutlet((*relay)->relay());
  inbox::InboxOptions inbox_options{.log = log};
  for (const auto& contact : (*relay)->setup().contacts) {
    for (const auto& point : contact.points) {
      if (point.to.empty()) continue;
      const auto* ch = (*relay)->setup().FindChannel(point.channel);
      const bool whatsapp = ch != nullptr && ch->kind == "whatsapp";
      inbox_options.config_contacts[{
          point.channel, inbox::NormalizeAddress(
                             whatsapp ? inbox::SourceKind::kWhatsApp : inbox::SourceKind::kWebhook,
                             point.to)}] = contact.id;
    }
  }
  // The config's contacts are known on each of their points: a failover move can reach them
  // there before they ever wrote on it.
  for (const auto& [point, contact] : inbox_options.config_contacts) {
    if (auto s = store->Inbox().AddAddress(contact, point.first, point.second,
                                           store::FromSystem(std::chrono::system_clock::now()));
        !s.ok()) {
      return s;
    }
  }
  inbox::Inbox customer_inbox(std::move(*inbox_config), *store, *inbox_outlet,
                              std::move(inbox_options));
  // E-mail sources (type: imap) poll their mailboxes; the catch-up fetches what a platform may
  // have missed once an incident on it ends (or when asked), and reports the gap.
  inbox::ImapPoller imap_poller(customer_inbox, inbox::MakeCurlImapClient, log);
  std::unique_ptr<channels::HttpClient> catch_up_http = channels::MakeCurlHttpClient();
  inbox::CatchUp inbox_catch_up(customer_inbox, *catch_up_http, *inbox_outlet,
                                inbox::MakeCurlImapClient, &imap_poller, {.log = log});
  // Without `inbox:` the step stays "waiting for the inbox" on the timeline.
  if (!(*playbook)->empty() && customer_inbox.config().configured) {
    if (auto s = (*playbook)->handlers().Register(
            playbook::StepKind::kMoveConversations,
            std::make_shared<inbox::MoveStepHandler>(customer_inbox));
        !s.ok()) {
      return s;
    }
  }
  // Drills (POST /v1/drills): fed to the playbook engine only, never to the incident feed.
  std::optional<playbook::DrillService> drills;
  if (!(*playbook)->empty()) {
    playbook::DrillOptions dopts;
    for (const auto& p : config.platforms) dopts.platform_names[p.id] = p.name;
    dopts.log = log;
    drills.emplace(*(*playbook)->plan(), *(*playbook)->engine(), *store, *(*playbook)->scheduler(),
                   std::move(dopts));
    if (auto s = drills->Register(); !s.ok()) return s;
  }
  if (auto s = engine.Start(); !s.ok()) return s;
  Shutdown shutdown;  // what started, to stop in its order
  shutdown.Add(Stage::kEngine, [&] { engine.Stop(); });
  // The relay's circuits follow the engine's incidents (a channel whose platform is down is not
  // tried); it starts delivering once it has seen the incidents open now.
  std::unique_ptr<core::IncidentFeed::Subscription> relay_watch = (*relay)->Watch(engine);
  shutdown.Add(Stage::kRelayWatch, [&] { relay_watch.reset(); });
  if (!(*relay)->empty()) {
    if (auto s = (*relay)->Start(); !s.ok()) return shutdown.Abort(s);
    // Messages being sent finish and are stored; the rest stay queued for the next start.
    shutdown.Add(Stage::kRelay, [&] { (*relay)->Stop(); });
  }
  channels::RelayRoutes relay_routes((*relay)->relay(), (*relay)->setup(),
                                     (*relay)->SenderToContacts());
  // Loading a large config (10,000 platforms) leaves tens of MB of freed YAML nodes in the main
  // thread's malloc arena, which the engine's threads never reuse: give them back.
  malloc_trim(0);

  api::ServerOptions sopts;
  sopts.listen = options.listen.empty() ? config.api.listen : options.listen;
  auto role = api::ParseRole(config.api.anonymous_role);
  sopts.anonymous_role = role ? *role : api::Role::kViewer;
  sopts.web_root = FindWebRoot(config);
  report::ReportRoutes report_routes(*store);  // GET /v1/incidents/{id}/report
  // /v1/device/probes and /v1/device/reports: the dashboard's device check and its measured
  // crowd reports.
  api::DeviceRoutes device_routes(DeviceCatalogFor(config), *store);
  ads::AdsRoutes ads_routes(**guard, *store);                    // /v1/ads
  recovery::RecoveryRoutes recovery_routes(**recovery_service);  // /v1/recovery/{incident}
  sopts.groups = {&relay_routes, &report_routes, &device_routes, &ads_routes, &recovery_routes};
  calendar::CalendarRoutes calendar_routes(content_calendar, *store);  // /v1/calendar
  sopts.groups.push_back(&calendar_routes);
  inbox::InboxRoutes inbox_routes(customer_inbox,
                                  &inbox_catch_up);  // /v1/conversations, /v1/inbox
  sopts.groups.push_back(&inbox_routes);
  listen::ListenRoutes listen_routes(listener, *store);  // /v1/listening
  sopts.groups.push_back(&listen_routes);
  FleetRoutes fleet_routes(fleet);  // /v1/vantage-points
  sopts.groups.push_back(&fleet_routes);
  fleet.Start();  // its sweep marks the vantage points no round reached any more stale
  TimerMetrics timer_metrics(scheduler);  // lifeline_timer_* on /metrics
  sopts.groups.push_back(&timer_metrics);
  // /v1/plan, /v1/assignments, /v1/incidents/{id}/response, /v1/ack/{token}: with a plan only.
  std::optional<playbook::PlaybookRoutes> plan_routes;
  if (!(*playbook)->empty()) {
    plan_routes.emplace(*(*playbook)->engine(), *store,
                        playbook::Advise(*(*playbook)->plan(), config, (*relay)->setup()));
    sopts.groups.push_back(&*plan_routes);
  }
  std::optional<playbook::DrillRoutes> drill_routes;  // /v1/drills: with a plan only
  if (drills) {
    drill_routes.emplace(*drills);
    sopts.groups.push_back(&*drill_routes);
  }
  api::Server server(engine, sopts);
  if (auto s = server.Start(); !s.ok()) return shutdown.Abort(s);
  shutdown.Add(Stage::kServer, [&] { server.Stop(); });
  const std::string url = BaseUrl(server.endpoint());
  // The plan follows the incidents after the relay's circuits; its links point at this server.
  auto playbook_watch = (*playbook)->Watch(engine);
  shutdown.Add(Stage::kPlaybookWatch, [&] { playbook_watch.reset(); });
  if (auto s = (*playbook)->Start(url); !s.ok()) return shutdown.Abort(s);
  shutdown.Add(Stage::kPlaybook, [&] { (*playbook)->Stop(); });
  // The ads guard follows the incidents too; then the shared scheduler runs everyone's timers.
  auto ads_watch = (*guard)->Watch(engine);
  shutdown.Add(Stage::kAdsWatch, [&] { ads_watch.reset(); });
  if (auto s = (*guard)->Start(); !s.ok()) return shutdown.Abort(s);
  shutdown.Add(Stage::kAds, [&] { (*guard)->Stop(); });
  // The calendar follows the incidents after the relay's circuits: it asks the relay which
  // channels an incident stops.
  auto calendar_watch = content_calendar.Watch(engine);
  shutdown.Add(Stage::kCalendarWatch, [&] { calendar_watch.reset(); });
  if (auto s = content_calendar.Start(); !s.ok()) return shutdown.Abort(s);
  shutdown.Add(Stage::kCalendar, [&] { content_calendar.Stop(); });
  // Telegram sources without a public address poll getUpdates (mode: poll).
  std::unique_ptr<channels::HttpClient> inbox_http = channels::MakeCurlHttpClient();
  inbox::TelegramPoller telegram_poller(customer_inbox, *inbox_http, log);
  telegram_poller.Start();
  // Replies' and move messages' delivery outcomes, as their status in the conversation.
  inbox::RelayStatusFollower inbox_status((*relay)->relay(), store->Inbox());
  // Once a platform is back, the customers its incident moved are told where to go on.
  auto inbox_watch = customer_inbox.Watch(engine);
  // E-mail polling, and the catch-up after an incident.
  imap_poller.Start();
  auto catch_up_watch = inbox_catch_up.Watch(engine);
  shutdown.Add(Stage::kInbox, [&] {
    inbox_watch.reset();
    catch_up_watch.reset();
    inbox_catch_up.Stop();
    imap_poller.Stop();
    telegram_poller.Stop();
    inbox_status.Stop();
    customer_inbox.Stop();
  });
  if (auto s = listener.Start(); !s.ok()) return shutdown.Abort(s);
  shutdown.Add(Stage::kListen, [&] { listener.Stop(); });
  if (auto s = scheduler.Start(); !s.ok()) return shutdown.Abort(s);
  shutdown.Add(Stage::kScheduler, [&] { scheduler.Stop(); });
  if (drills) {
    drills->SetConsoleBase(config.api.public_url.empty() ? url : config.api.public_url);
    if (auto s = drills->Resume(); !s.ok()) log("drills: resuming: " + s.error().message());
  }
  std::size_t watched = 0;
  for (const auto& p : config.platforms) watched += p.enabled;
  log(fmt::format("lifeline {}: watching {} platforms every {} s; database {}", options.what,
                  watched, config.serve.interval.count() / 1000.0, db_path));
  if (sopts.web_root.empty()) {
    log("dashboard files not found (build them with `make web`); the API works without them");
  }
  if (options.on_ready) {
    options.on_ready(url);
  } else {
    log(fmt::format("dashboard and API on {} (Ctrl-C to stop)", url));
  }

  // Wait for SIGINT/SIGTERM on this thread; a second one during the drain exits at once.
  asio::io_context signal_io;
  asio::signal_set signals(signal_io, SIGINT, SIGTERM);
  int got = 0;
  signals.async_wait([&](const boost::system::error_code& ec, int sig) {
    if (!ec) got = sig;
  });
  signal_io.run();
  log(
      fmt::format("{}: stopping (finishing running rounds, writing samples; signal again to exit "
                  "at once)",
                  got == SIGINT ? "SIGINT" : "SIGTERM"));
  signal_io.restart();
  signals.async_wait([](const boost::system::error_code& ec, int) {
    if (ec) return;
    LogLine("second signal: exiting without draining");
    std::_Exit(130);
  });
  std::thread second([&] { signal_io.run(); });

  if (options.on_stop) options.on_stop();
  shutdown.Run();
  membership.reset();  // leaves the cluster: the others may take over at once
  store.reset();
  signals.cancel();
  signal_io.stop();
  second.join();
  log(fmt::format("lifeline {}: stopped", options.what));
  return core::Ok();
}

core::Status RunServe(const ServeOptions& options) {
  auto loaded =
      options.config_path.empty() ? config::LoadBundled() : config::LoadFile(options.config_path);
  if (!loaded.ok()) return loaded.error();
  config::Config config = std::move(*loaded);
  if (!options.data_dir.empty()) {
    config.serve.data_dir = options.data_dir;
    config.serve.database.clear();
  }
  RunOptions run;
  run.listen = options.listen;
  return RunWithConfig(config, run);
}

}  // namespace lifeline::serve
