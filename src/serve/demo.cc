// `lifeline demo`: simulated platforms and control sites (tiny HTTP servers on 127.0.0.1), two
// vantage-point agents in process, a demo config built in memory and the outage script, then the
// same run loop as `lifeline serve`.
#include "serve/demo.h"

#include <stdlib.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <thread>

#include <fmt/format.h>

#include "agent/probe_options.h"
#include "agent/server.h"
#include "serve/demo_ads.h"
#include "serve/demo_http.h"
#include "serve/demo_inbox.h"
#include "serve/demo_listen.h"
#include "serve/demo_plan.h"
#include "serve/demo_relay.h"
#include "serve/serve.h"

namespace lifeline::serve {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
namespace fs = std::filesystem;

constexpr const char* kDemoPlatforms[] = {"facebook", "instagram", "whatsapp",
                                          "x",        "telegram",  "tiktok"};
constexpr const char* kOutagePlatform = "whatsapp";

std::string RandomToken() {
  std::random_device rd;
  std::string out = "demo-";
  for (int i = 0; i < 32; ++i) out += "0123456789abcdef"[rd() % 16];
  return out;
}

std::string Human(std::chrono::milliseconds d) {
  auto s = std::chrono::duration<double>(d).count();
  if (s < 120) return fmt::format("{:g} s", s);
  return fmt::format("{:g} min", s / 60);
}

}  // namespace

// ---- SimServer ----

struct SimServer::State : std::enable_shared_from_this<SimServer::State> {
  State(asio::io_context& io, std::string n) : acceptor(io), name(std::move(n)) {}

  asio::awaitable<void> Accept() {
    auto self = shared_from_this();
    while (acceptor.is_open()) {
      boost::system::error_code ec;
      tcp::socket socket =
          co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        if (!acceptor.is_open()) break;
        continue;
      }
      asio::co_spawn(acceptor.get_executor(), Serve(std::move(socket)), asio::detached);
    }
  }

  asio::awaitable<void> Serve(tcp::socket socket) {
    auto self = shared_from_this();
    boost::system::error_code ec;
    asio::streambuf request(16 * 1024);
    // A request that never finishes its header is dropped after a few seconds.
    asio::steady_timer deadline(socket.get_executor(), std::chrono::seconds(5));
    deadline.async_wait([&socket](const boost::system::error_code& e) {
      if (!e) {
        boost::system::error_code ignored;
        socket.close(ignored);
      }
    });
    co_await asio::async_read_until(socket, request, "\r\n\r\n",
                                    asio::redirect_error(asio::use_awaitable, ec));
    deadline.cancel();
    if (ec) co_return;
    const std::string head(asio::buffers_begin(request.data()),
                           asio::buffers_begin(request.data()) + request.size());
    if (head.rfind("GET /api/v2/summary.json ", 0) == 0) {
      const std::string json = StatusSummary();
      const std::string response = fmt::format(
          "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n"
          "Connection: close\r\n\r\n{}",
          json.size(), json);
      co_await asio::async_write(socket, asio::buffer(response),
                                 asio::redirect_error(asio::use_awaitable, ec));
      socket.shutdown(tcp::socket::shutdown_both, ec);
      socket.close(ec);
      co_return;
    }
    const bool fail = failing.load();
    const std::string body =
        fail ? fmt::format("{} is unavailable (simulated outage)\n", name)
             : fmt::format("<html><body>{} is working (simulated)</body></html>\n", name);
    const std::string response = fmt::format(
        "HTTP/1.1 {}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n"
        "Connection: close\r\n\r\n{}",
        fail ? "503 Service Unavailable" : "200 OK", body.size(), body);
    co_await asio::async_write(socket, asio::buffer(response),
                               asio::redirect_error(asio::use_awaitable, ec));
    socket.shutdown(tcp::socket::shutdown_both, ec);
    socket.close(ec);
  }

  // The simulated official status page (Atlassian Statuspage v2 summary.json): all operational,
  // or, once the provider admits the outage, a major one with an open incident.
  std::string StatusSummary() const {
    if (!official_incident.load()) {
      return fmt::format(
          R"j({{"page":{{"name":"{0} (simulated)"}},"status":{{"indicator":"none",)j"
          R"j("description":"All Systems Operational"}},"components":[{{"name":"{0}",)j"
          R"j("status":"operational"}}],"incidents":[]}})j",
          name);
    }
    return fmt::format(
        R"j({{"page":{{"name":"{0} (simulated)"}},"status":{{"indicator":"major",)j"
        R"j("description":"Major System Outage"}},"components":[{{"name":"{0}",)j"
        R"j("status":"major_outage"}}],"incidents":[{{"name":"{0} is unavailable",)j"
        R"j("status":"investigating","impact":"major","shortlink":"http://127.0.0.1:{1}/",)j"
        R"j("updated_at":"{2}"}}]}})j",
        name, port, official_since);
  }

  tcp::acceptor acceptor;
  std::string name;
  std::atomic<bool> failing{false};
  std::atomic<bool> official_incident{false};
  std::string official_since;  // RFC 3339; written before official_incident is set
  std::uint16_t port = 0;
};

SimServer::SimServer(asio::io_context& io, std::string name)
    : state_(std::make_shared<State>(io, std::move(name))) {}

SimServer::~SimServer() = default;

core::Status SimServer::Listen() {
  boost::system::error_code ec;
  tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
  state_->acceptor.open(ep.protocol(), ec);
  if (!ec) state_->acceptor.bind(ep, ec);
  if (!ec) state_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return core::MakeError(core::ErrorCode::kUnavailable, "simulated {}: cannot listen: {}",
                           state_->name, ec.message());
  }
  state_->port = state_->acceptor.local_endpoint().port();
  return core::Ok();
}

void SimServer::Start() {
  asio::co_spawn(state_->acceptor.get_executor(), state_->Accept(), asio::detached);
}

void SimServer::Stop() {
  boost::system::error_code ec;
  state_->acceptor.close(ec);
}

void SimServer::SetFailing(bool failing) { state_->failing.store(failing); }
void SimServer::SetOfficialIncident(bool open) {
  // Called on the simulators' thread, which also serves the page: no race on the string.
  if (open) state_->official_since = core::FormatTime(std::chrono::system_clock::now());
  state_->official_incident.store(open);
}
bool SimServer::failing() const { return state_->failing.load(); }
std::uint16_t SimServer::port() const { return state_->port; }
std::string SimServer::Url() const { return fmt::format("http://127.0.0.1:{}/", state_->port); }
std::string SimServer::HealthyText() const { return state_->name + " is working"; }

// ---- config ----

config::Config DemoConfig(const std::vector<std::pair<std::string, std::string>>& platform_urls,
                          const std::vector<std::string>& control_urls,
                          const std::vector<core::VantagePoint>& vantage_points) {
  auto bundled = config::LoadBundled();
  if (!bundled.ok()) std::abort();  // the compiled-in catalog always loads (its tests say so)
  config::Config c = std::move(*bundled);
  std::vector<core::Platform> platforms;
  for (const auto& [id, url] : platform_urls) {
    const core::Platform* p = config::FindPlatform(c, id);
    if (!p) continue;
    core::Platform sim = *p;
    sim.enabled = true;
    sim.dns_names.clear();  // nothing leaves the machine: no DNS lookups
    // Each simulator also serves the platform's official status page (Statuspage v2 JSON).
    sim.status_page = core::StatusPageRef{url + "api/v2/summary.json", "statuspage"};
    core::ProbeSpec web;
    web.id = "web";
    web.kind = core::ProbeKind::kHttp;
    web.url = url;
    web.expect.status = {200};
    web.expect.body_contains = {sim.name + " is working"};
    sim.probes = {web};
    // The dashboard's device check fetches the simulator too (it answers every path), so the
    // person's browser sees the scripted outage and nothing leaves the machine. Not a favicon
    // path: browsers (and their automation) treat /favicon.ico requests apart.
    sim.device_probes = {url + "static/device-check.gif"};
    platforms.push_back(std::move(sim));
  }
  c.platforms = std::move(platforms);
  c.control.clear();
  c.device_controls.clear();
  for (std::size_t i = 0; i < control_urls.size(); ++i) {
    core::ProbeSpec ctl;
    ctl.id = fmt::format("control-{}", i + 1);
    ctl.kind = core::ProbeKind::kHttp;
    ctl.url = control_urls[i];
    ctl.expect.status = {200};
    ctl.expect.body_contains = {"is working"};
    c.device_controls.push_back({ctl.id, {control_urls[i]}});
    c.control.push_back(std::move(ctl));
  }
  c.resolvers.clear();
  c.vantage_points = vantage_points;
  c.timeout = std::chrono::seconds(2);
  c.source = "<demo>";
  c.api.anonymous_role = "operator";
  c.silences.clear();
  return c;
}

// The demo calendar's `calendar:` section: posts 10 s and 25 s into the outage.
std::string DemoCalendar(std::chrono::system_clock::time_point now, const DemoOptions& o) {
  auto at = [&](std::chrono::seconds into) {
    const std::time_t t = std::chrono::system_clock::to_time_t(now + o.outage_after + into);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return std::string(buf);
  };
  return fmt::format(R"(
calendar:
  release: {{ policy: publish_now }}
  posts:
    winter-sale:
      text: "Our winter sale starts now: 30% off everything until Sunday."
      media: [https://brand.example/winter-sale]
      channels: [brand-whatsapp, brand-telegram]
      at: {first}
    store-hours:
      text: "Reminder: our stores are open until 9 pm all week."
      channels: [brand-whatsapp, brand-telegram]
      at: {second}
)",
                     fmt::arg("first", at(std::chrono::seconds(10))),
                     fmt::arg("second", at(std::chrono::seconds(25))));
}

// ---- the demo ----

core::Status RunDemo(const DemoOptions& options) {
  // Data folder: the given one, or a temporary one removed at exit.
  std::string data_dir = options.data_dir;
  bool temporary = false;
  if (data_dir.empty()) {
    std::string tmpl = (fs::temp_directory_path() / "lifeline-demo-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) {
      return core::MakeError(core::ErrorCode::kUnavailable, "cannot create a temporary folder: {}",
                             std::strerror(errno));
    }
    data_dir = tmpl;
    temporary = true;
  } else {
    std::error_code ec;
    fs::create_directories(data_dir, ec);
    if (ec) {
      return core::MakeError(core::ErrorCode::kUnavailable, "cannot create {}: {}", data_dir,
                             ec.message());
    }
  }
  struct Cleanup {
    std::string dir;
    bool remove;
    ~Cleanup() {
      std::error_code ec;
      if (remove) fs::remove_all(dir, ec);
    }
  } cleanup{data_dir, temporary};

  asio::io_context sim_io;
  auto sim_work = asio::make_work_guard(sim_io);

  // Simulated platforms and two control sites.
  auto catalog = config::LoadBundled();
  if (!catalog.ok()) return catalog.error();
  std::map<std::string, std::unique_ptr<SimServer>> sims;
  std::vector<std::pair<std::string, std::string>> urls;
  for (const char* id : kDemoPlatforms) {
    const core::Platform* p = config::FindPlatform(*catalog, id);
    if (!p) continue;
    auto sim = std::make_unique<SimServer>(sim_io, p->name);
    if (auto s = sim->Listen(); !s.ok()) return s;
    sim->Start();
    urls.emplace_back(id, sim->Url());
    sims[id] = std::move(sim);
  }
  std::vector<std::unique_ptr<SimServer>> controls;
  std::vector<std::string> control_urls;
  for (const char* name : {"Control site A", "Control site B"}) {
    auto sim = std::make_unique<SimServer>(sim_io, name);
    if (auto s = sim->Listen(); !s.ok()) return s;
    sim->Start();
    control_urls.push_back(sim->Url());
    controls.push_back(std::move(sim));
  }

  // Two vantage points in process, probing the same simulators: a scripted failure is seen
  // "everywhere", which is what makes it an outage rather than "just you".
  const std::string token = RandomToken();
  const std::string token_file = (fs::path(data_dir) / "agent.token").string();
  {
    std::ofstream out(token_file);
    out << token << "\n";
    if (!out) {
      return core::MakeError(core::ErrorCode::kUnavailable, "cannot write {}", token_file);
    }
  }
  ::chmod(token_file.c_str(), 0600);
  config::Config agent_config = DemoConfig(urls, control_urls, {});
  auto probers = std::make_shared<std::map<long long, std::shared_ptr<probe::Prober>>>();
  agent::ProberFactory factory =
      [&sim_io, agent_config,
       probers](std::chrono::milliseconds timeout) -> core::Result<std::shared_ptr<probe::Prober>> {
    auto& slot = (*probers)[timeout.count()];
    if (!slot) {
      probe::Options o = agent::ProbeOptionsFor(agent_config);
      o.timeout = timeout;
      auto p = probe::CreateProber(sim_io, o);
      if (!p.ok()) return p.error();
      slot = std::move(*p);
    }
    return slot;
  };
  // The simulated world is connected, whatever this laptop's Wi-Fi says.
  auto connected = [] { return probe::LocalNetwork{{"sim0"}, true}; };
  std::vector<std::unique_ptr<agent::AgentServer>> agents;
  std::vector<core::VantagePoint> vantage;
  for (auto [name, region] : {std::pair{"eu-west", "eu"}, std::pair{"us-east", "us"}}) {
    agent::ServerOptions ao;
    ao.name = name;
    ao.region = region;
    ao.token = token;
    ao.inspect_network = connected;
    auto server = std::make_unique<agent::AgentServer>(sim_io, agent_config, factory, ao);
    auto ep = agent::ParseListenAddress("127.0.0.1:0");
    if (!ep.ok()) return ep.error();
    if (auto s = server->Listen(*ep); !s.ok()) return s;
    server->Start();
    vantage.push_back({name, region, fmt::format("http://127.0.0.1:{}", server->endpoint().port()),
                       token_file,
                       /*ca_file=*/"", /*insecure_http=*/true});
    agents.push_back(std::move(server));
  }

  config::Config config = DemoConfig(urls, control_urls, vantage);
  config.serve.interval = options.interval;
  config.serve.data_dir = data_dir;
  config.serve.database.clear();
  config.api.listen = options.listen;
  config.serve.status_page_interval = std::chrono::seconds(10);  // the least allowed

  // The relay's world: the team is told of incidents on WhatsApp first, then Telegram or e-mail.
  // The customers read what it sends them on Telegram (the plan's move message).
  DemoCustomers customers;
  DemoMessaging messaging(sim_io);
  messaging.OnTelegramMessage([&customers](const std::string& chat, const std::string& text) {
    customers.TelegramMessage(chat, text);
  });
  // Their phones report what they got and read of our WhatsApp replies (statuses webhooks).
  messaging.OnWhatsAppMessage([&customers](const std::string& to, const std::string& wamid) {
    customers.WhatsAppMessage(to, wamid);
  });
  if (auto s = messaging.Start(); !s.ok()) return s;
  if (auto s = messaging.Configure(config, data_dir); !s.ok()) return s;
  if (auto s = AddDemoPlan(config); !s.ok()) return s;
  // The ad accounts: the plan's approval pauses the Meta click-to-WhatsApp campaigns and moves
  // the urgent one's daily budget to the TikTok campaign; both come back kDemoAdsSettle after
  // WhatsApp is back.
  DemoAds ads(sim_io);
  if (auto s = ads.Start(); !s.ok()) return s;
  if (auto s = ads.Configure(config, data_dir, kDemoAdsSettle); !s.ok()) return s;
  // The content calendar: two posts due during the outage, to the brand's WhatsApp updates and
  // its Telegram channel; the WhatsApp parts are held and go out as soon as it is back.
  if (auto s = AddDemoSections(config, DemoCalendar(std::chrono::system_clock::now(), options),
                               "<demo calendar>");
      !s.ok()) {
    return s;
  }
  // The customers (inbox:): five people write on the brand's WhatsApp and Telegram; during the
  // outage the plan moves those waiting on WhatsApp to Telegram, and the sweep lists who waits.
  if (auto s = customers.Configure(config, data_dir); !s.ok()) return s;
  // The public chatter (listen:): a simulated Mastodon whose #whatsappdown bursts during the
  // outage, against weeks of usual history stored before serve opens the database.
  DemoChatter chatter(sim_io);
  if (auto s = chatter.Start(); !s.ok()) return s;
  if (auto s = chatter.Configure(config); !s.ok()) return s;
  if (auto s = DemoChatter::SeedHistory(config, std::chrono::system_clock::now()); !s.ok()) {
    return s;
  }

  // The outage script, on the simulators' event loop.
  SimServer& victim = *sims.at(kOutagePlatform);
  const std::string victim_name = config::FindPlatform(config, kOutagePlatform)->name;
  asio::steady_timer outage_start(sim_io), outage_admitted(sim_io), outage_end(sim_io);
  // Official status pages admit an outage late (often by many minutes); the demo's does so
  // halfway through the outage, at most 20 s after it began.
  const auto admit_after =
      std::min<std::chrono::milliseconds>(options.outage_for / 2, std::chrono::seconds(20));
  std::thread sim_thread([&] { sim_io.run(); });

  RunOptions run;
  run.what = "demo";
  run.engine.inspect_network = connected;
  run.on_ready = [&](const std::string& url) {
    const auto now = std::chrono::steady_clock::now();
    outage_start.expires_at(now + options.outage_after);
    outage_start.async_wait([&](const boost::system::error_code& ec) {
      if (ec) return;
      victim.SetFailing(true);
      messaging.SetWhatsAppFailing(true);
      customers.SetWhatsAppFailing(true);
      LogLine(fmt::format("demo: {} starts failing now (HTTP 503, here and at both vantage points)",
                          victim_name));
      chatter.OutageStarted(options.outage_for);
    });
    outage_admitted.expires_at(now + options.outage_after + admit_after);
    outage_admitted.async_wait([&](const boost::system::error_code& ec) {
      if (ec) return;
      victim.SetOfficialIncident(true);
      LogLine(
          fmt::format("demo: {}'s official status page now admits a major outage", victim_name));
    });
    outage_end.expires_at(now + options.outage_after + options.outage_for);
    outage_end.async_wait([&](const boost::system::error_code& ec) {
      if (ec) return;
      victim.SetFailing(false);
      messaging.SetWhatsAppFailing(false);
      victim.SetOfficialIncident(false);
      LogLine(fmt::format("demo: {} is back", victim_name));
      customers.SetWhatsAppFailing(false);
      chatter.OutageEnded();
    });
    std::string sims_list;
    for (const auto& [id, sim] : sims) {
      sims_list += fmt::format("{}{} :{}", sims_list.empty() ? "" : ", ", id, sim->port());
    }
    LogLine(
        fmt::format("demo: {} simulated platforms on 127.0.0.1 ({}); vantage points eu-west "
                    "and us-east; data in {}{}",
                    sims.size(), sims_list, data_dir, temporary ? " (removed at exit)" : ""));
    LogLine(fmt::format("demo: every platform is checked every {}. What will happen:",
                        Human(options.interval)));
    LogLine(
        fmt::format("demo:   +{}  {} starts failing (HTTP 503 everywhere): within one interval "
                    "plus a confirmation it shows 'outage' and an incident opens",
                    Human(options.outage_after), victim_name));
    LogLine(fmt::format(
        "demo:   +{}  its official status page admits it (polled every 10 s; real ones often "
        "lag by many minutes)",
        Human(options.outage_after + admit_after)));
    LogLine(fmt::format(
        "demo:   then  the team alert cannot go by WhatsApp (its circuit opens with the WhatsApp "
        "incident): the relay sends it by Telegram and e-mail instead (dashboard: Outbox)"));
    LogLine(fmt::format(
        "demo:   then  once the incident has lasted {}, the contingency plan runs: the team is "
        "alerted on channels that still work, the holding statement goes out on the brand's "
        "Telegram channel, tasks go to the community manager and the head of comms is asked to "
        "approve pausing the ads (approved, or after 2 min, the ads guard pauses the demo Meta "
        "account's active campaigns; approved, the winter sale's daily budget also moves to its "
        "TikTok campaign for the outage, else that budget transfer waits for approval: dashboard "
        "Ads); nobody acknowledges the tasks, so {} later "
        "they escalate to the head of comms (dashboard: the incident's timeline)",
        Human(kDemoPlanAfter), Human(kDemoEscalateAfter)));
    LogLine(fmt::format(
        "demo:   before  customers Ana Souza, Ben Carter and Carla Mendes write to the brand's "
        "{} number (signed webhooks into the inbox; dashboard: Inbox)",
        victim_name));
    LogLine(fmt::format(
        "demo:   during  people post #whatsappdown on a simulated Mastodon: against 5 weeks of "
        "usual chatter it is a spike, an evidence line on {0}'s diagnosis (dashboard: Listening); "
        "the plan's move_conversations step tells the customers waiting on {0} who are known on "
        "Telegram too (Ana, Carla) to continue there, and Ana answers there, in the same "
        "conversation (Ben can be reached nowhere else); {0} holds what Diego writes, Emma writes "
        "on Telegram",
        victim_name));
    LogLine(fmt::format("demo:   +{}  {} comes back: after {} good rounds the incident closes",
                        Human(options.outage_after + options.outage_for), victim_name,
                        config.serve.machine.close_after));
    LogLine(fmt::format(
        "demo:   then  {} delivers what it held, late; once the incident closes its sweep lists "
        "every customer still waiting (lifeline inbox sweep --incident ID)",
        victim_name));
    LogLine(
        fmt::format("demo:   then  the plan watches {} for {} more (its monitoring window), "
                    "then marks the incident resolved; {} after it is back the ads guard resumes "
                    "the campaigns it paused and moves the TikTok budget back, and the incident's "
                    "recovery checklist compares "
                    "their hourly figures with the last 4 weeks",
                    victim_name, Human(kDemoMonitorWindow), Human(kDemoAdsSettle)));
    LogLine(fmt::format("demo: open the dashboard at {} (Ctrl-C to stop)", url));
    customers.Start(url, options.outage_after, options.outage_for);
    chatter.Greet();
  };
  run.on_stop = [&] {
    customers.Stop();
    asio::post(sim_io, [&] {
      outage_start.cancel();
      outage_admitted.cancel();
      outage_end.cancel();
    });
  };
  core::Status result = RunWithConfig(config, run);
  customers.Stop();

  // Stop the simulators and agents on their own thread, then let it finish.
  asio::post(sim_io, [&] {
    outage_start.cancel();
    outage_admitted.cancel();
    outage_end.cancel();
    for (auto& [id, sim] : sims) sim->Stop();
    for (auto& sim : controls) sim->Stop();
    for (auto& a : agents) a->Stop();
    messaging.Stop();
    ads.Stop();
    chatter.Stop();
  });
  sim_work.reset();
  // Connections still open end when their deadlines pass; do not wait for stragglers.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  sim_io.stop();
  sim_thread.join();
  agents.clear();
  probers->clear();
  return result;
}

}  // namespace lifeline::serve
