// The serve engine against real servers on loopback: platforms served by testhttpd.py (stopped for
// an outage, restarted on the same port for recovery), two `lifeline agent` vantage points and a
// control site. Asserts what a user sees: one incident per outage with a timeline, one incident
// for a Meta-wide failure, recovery closing it, history surviving a restart, and nothing opened
// while this machine's own connection is down. Prints the measured detection time.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "config/config.h"
#include "integration/support/process.h"
#include "serve/engine.h"
#include "store/store.h"

namespace lifeline {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
using testing::Process;
using testing::TempDir;

std::string Python() { return "/usr/bin/python3"; }

// A testhttpd.py on a fixed loopback port, so it can be stopped (connection refused: a hard
// outage) and started again at the same address.
class PlatformServer {
 public:
  PlatformServer(const TempDir& dir, std::string name)
      : dir_(dir), name_(std::move(name)), port_(testing::FreePort()) {}

  bool Start() {
    std::vector<std::string> argv = {
        Python(),   std::string(LIFELINE_SOURCE_DIR) + "/tests/tools/testhttpd.py",
        "--listen", "127.0.0.1:" + std::to_string(port_),
        "--body",   name_ + " is working"};
    std::string error;
    if (!process_.Start(argv, dir_.File(name_ + ".log"), &error)) return false;
    return testing::WaitForTcpPort("127.0.0.1", port_);
  }
  void Stop() { process_.Stop(); }
  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/"; }

 private:
  const TempDir& dir_;
  std::string name_;
  std::uint16_t port_;
  Process process_;
};

template <typename Pred>
bool WaitFor(Pred pred, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return pred();
}

class ServeEngineTest : public ::testing::Test {
 protected:
  static constexpr const char* kPlatforms[] = {"facebook", "instagram", "whatsapp", "x"};

  void SetUp() override {
    control_ = std::make_unique<PlatformServer>(dir_, "control");
    ASSERT_TRUE(control_->Start()) << testing::ReadFile(dir_.File("control.log"));
    for (const char* id : kPlatforms) {
      servers_[id] = std::make_unique<PlatformServer>(dir_, id);
      ASSERT_TRUE(servers_[id]->Start()) << testing::ReadFile(dir_.File(std::string(id) + ".log"));
    }
    token_file_ = dir_.Write("agent.token", "integration-token\n");
    auto agent_cfg = dir_.Write(
        "agent.yaml", "control:\n  - url: " + control_->Url() +
                          "\nresolvers: []\ntimeout: 1s\n"
                          // The test servers are on loopback, which agents refuse by default.
                          "agent:\n  allow_private: [127.0.0.0/8]\n");
    for (const char* name : {"eu-west", "us-east"}) {
      auto port = testing::FreePort();
      auto& agent = agents_.emplace_back(std::make_unique<Process>());
      std::string error;
      ASSERT_TRUE(agent->Start(
          {LIFELINE_BINARY, "agent", "--listen", "127.0.0.1:" + std::to_string(port),
           "--token-file", token_file_, "--config", agent_cfg, "--name", name, "--insecure-http"},
          dir_.File(std::string(name) + ".log"), &error))
          << error;
      ASSERT_TRUE(testing::WaitForTcpPort("127.0.0.1", port));
      agent_ports_.push_back(port);
    }
  }

  void TearDown() override {
    if (engine_) engine_->Stop();
    engine_.reset();
    store_.reset();
  }

  // A config with every watched platform, the control site and the agents on loopback; nothing
  // names a real host. The four platforms keep their catalog names and failure domains.
  config::Config Config(std::chrono::milliseconds interval) {
    std::string yaml = "timeout: 1s\nresolvers: []\ncontrol:\n  - url: " + control_->Url() +
                       "\n    expect: { body_contains: [\"control is working\"] }\n"
                       "vantage_points:\n";
    const char* regions[] = {"eu", "us"};
    const char* names[] = {"eu-west", "us-east"};
    for (int i = 0; i < 2; ++i) {
      yaml += std::string("  - { name: ") + names[i] + ", region: " + regions[i] +
              ", url: \"http://127.0.0.1:" + std::to_string(agent_ports_[i]) +
              "\", token_file: " + token_file_ + ", insecure_http: true }\n";
    }
    yaml += "serve:\n  close_after: 2\nplatforms:\n";
    const std::map<std::string, std::string> other_probes = {
        {"facebook", "graph"}, {"whatsapp", "site"}, {"x", "api"}};
    for (const char* id : kPlatforms) {
      yaml += std::string("  ") + id + ":\n    dns: []\n    status_page: null\n    probes:\n" +
              "      - { id: web, url: \"" + servers_[id]->Url() +
              "\", expect: { status: [200], body_contains: [\"" + id + " is working\"] } }\n";
      if (auto o = other_probes.find(id); o != other_probes.end()) {
        yaml += "      - { id: " + o->second + ", enabled: false }\n";
      }
    }
    auto loaded = config::LoadString(yaml, dir_.File("lifeline.yaml"));
    EXPECT_TRUE(loaded.ok()) << loaded.error().message();
    config::Config c = loaded.ok() ? *loaded : config::Config{};
    std::vector<core::Platform> watched;
    for (const auto& p : c.platforms) {
      if (servers_.count(p.id)) watched.push_back(p);
    }
    c.platforms = watched;
    c.serve.interval = interval;  // below the 5 s a config file may ask for: tests are short
    return c;
  }

  void StartEngine(const config::Config& c) {
    if (!store_) {
      auto s = store::OpenSqlite(dir_.File("lifeline.db"));
      ASSERT_TRUE(s.ok()) << s.error().message();
      store_ = std::move(*s);
    }
    serve::EngineOptions o;
    o.log = [this](std::string_view line) {
      std::lock_guard lock(log_mu_);
      log_ += std::string(line) + "\n";
    };
    engine_ = std::make_unique<serve::Engine>(c, *store_, o);
    ASSERT_TRUE(engine_->Start().ok());
  }

  void Restart(const config::Config& c) {
    engine_->Stop();
    engine_.reset();
    store_.reset();  // closes the database, as a process exit would
    StartEngine(c);
  }

  std::vector<store::Incident> Incidents() {
    store::IncidentQuery q;
    q.limit = 100;
    auto page = store_->ListIncidents(q);
    EXPECT_TRUE(page.ok());
    return page.ok() ? page->incidents : std::vector<store::Incident>{};
  }
  std::vector<store::IncidentEvent> Events(const std::string& id) {
    auto e = store_->ListEvents(id, 0, 1000);
    return e.ok() ? *e : std::vector<store::IncidentEvent>{};
  }
  json View(const std::string& id) {
    auto p = engine_->Platform(id);
    return p.ok() ? *p : json();
  }
  std::string Log() {
    std::lock_guard lock(log_mu_);
    return log_;
  }

  TempDir dir_;
  std::unique_ptr<PlatformServer> control_;
  std::map<std::string, std::unique_ptr<PlatformServer>> servers_;
  std::vector<std::unique_ptr<Process>> agents_;
  std::vector<std::uint16_t> agent_ports_;
  std::string token_file_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<serve::Engine> engine_;
  std::mutex log_mu_;
  std::string log_;
};

TEST_F(ServeEngineTest, AHardOutageOpensOneIncidentWithATimelineAndRecoveryClosesIt) {
  const auto interval = 3s;
  config::Config c = Config(interval);
  // Two rounds are needed even though three observers see it: the second is the immediate
  // confirmation, so the detection time below is one interval plus a confirmation at most.
  c.serve.machine.open_after = 2;
  c.serve.machine.open_after_confirmed = 2;
  StartEngine(c);
  ASSERT_TRUE(WaitFor([&] { return View("whatsapp")["verdict"] == "up"; }, 10s)) << Log();

  servers_["whatsapp"]->Stop();
  const auto failed_at = std::chrono::steady_clock::now();
  ASSERT_TRUE(WaitFor([&] { return !Incidents().empty(); }, interval + 10s)) << Log();
  const auto detected = std::chrono::duration<double>(std::chrono::steady_clock::now() - failed_at);
  std::printf(
      "[ detection ] hard outage (connection refused here and at 2 vantage points): "
      "incident opened %.2f s after the failure (interval %lld s, open_after 2: first "
      "failing round + immediate confirmation)\n",
      detected.count(), static_cast<long long>(interval.count()));
  EXPECT_LE(detected, interval + 3s) << "at most one interval plus a confirmation round";
  EXPECT_NE(Log().find("confirming at once: whatsapp"), std::string::npos) << Log();

  auto incidents = Incidents();
  ASSERT_EQ(incidents.size(), 1u);
  const store::Incident inc = incidents[0];
  EXPECT_EQ(inc.platforms, std::vector<std::string>{"whatsapp"});
  EXPECT_EQ(inc.kind, store::IncidentKind::kPlatform);
  EXPECT_EQ(inc.verdict, core::Verdict::kOutage);
  // The round stores the incident first and updates the board after: wait for the board.
  ASSERT_TRUE(WaitFor([&] { return View("whatsapp")["incident_id"] == inc.id; }, 5s))
      << View("whatsapp");
  json view = View("whatsapp");
  EXPECT_EQ(view["verdict"], "outage");
  EXPECT_EQ(view["layer"], "tcp");
  EXPECT_EQ(view["state"], "failing");
  EXPECT_EQ(View("facebook")["verdict"], "up") << "the rest of Meta is fine";

  ASSERT_TRUE(servers_["whatsapp"]->Start());
  ASSERT_TRUE(WaitFor([&] { return Incidents()[0].state == store::IncidentState::kClosed; },
                      3 * interval + 10s))
      << Log();
  auto events = Events(inc.id);
  ASSERT_GE(events.size(), 2u);
  EXPECT_EQ(events.front().type, "opened");
  EXPECT_NE(events.front().message.find("WhatsApp"), std::string::npos);
  EXPECT_EQ(events.back().type, "closed");
  EXPECT_NE(events.back().message.find("recovered"), std::string::npos);
  EXPECT_EQ(Incidents().size(), 1u) << "one outage, one incident";
  EXPECT_EQ(View("whatsapp")["verdict"], "up");
}

TEST_F(ServeEngineTest, MetaFailingTogetherIsOneDomainIncident) {
  StartEngine(Config(2s));
  ASSERT_TRUE(WaitFor([&] { return View("instagram")["verdict"] == "up"; }, 10s)) << Log();
  for (const char* id : {"facebook", "instagram", "whatsapp"}) servers_[id]->Stop();
  ASSERT_TRUE(WaitFor(
      [&] {
        auto i = Incidents();
        return i.size() == 1 && i[0].platforms.size() == 3;
      },
      15s))
      << Log();
  auto incidents = Incidents();
  ASSERT_EQ(incidents.size(), 1u) << "one Meta incident, not three";
  EXPECT_EQ(incidents[0].kind, store::IncidentKind::kDomain);
  EXPECT_EQ(incidents[0].domain, "meta");
  EXPECT_EQ(incidents[0].title.rfind("meta:", 0), 0u) << incidents[0].title;
  EXPECT_EQ(View("x")["incident_id"], nullptr) << "X is another failure domain";
  for (const char* id : {"facebook", "instagram", "whatsapp"}) ASSERT_TRUE(servers_[id]->Start());
  ASSERT_TRUE(WaitFor([&] { return Incidents()[0].state == store::IncidentState::kClosed; }, 20s))
      << Log();
  EXPECT_EQ(Incidents().size(), 1u);
}

TEST_F(ServeEngineTest, ARestartKeepsHistoryAndTheOpenIncident) {
  config::Config c = Config(2s);
  StartEngine(c);
  servers_["x"]->Stop();
  ASSERT_TRUE(WaitFor([&] { return Incidents().size() == 1; }, 15s)) << Log();
  const std::string id = Incidents()[0].id;
  engine_->Stop();  // flushes its samples
  store::SampleQuery q;
  q.platform = "x";
  q.range = {store::FromSystem(std::chrono::system_clock::now() - 1h),
             store::FromSystem(std::chrono::system_clock::now() + 1h)};
  auto before = store_->ListProbeSamples(q);
  ASSERT_TRUE(before.ok());
  ASSERT_GE(before->size(), 3u) << "here and both vantage points, at least one round";

  Restart(c);  // x is still down
  ASSERT_TRUE(WaitFor(
      [&] {
        for (const auto& e : Events(id)) {
          if (e.message.rfind("still failing after restart", 0) == 0) return true;
        }
        return false;
      },
      15s))
      << Log();
  EXPECT_EQ(Incidents().size(), 1u) << "the same incident continues";
  EXPECT_EQ(View("x")["incident_id"], id);
  auto samples = store_->ListProbeSamples(q);
  ASSERT_TRUE(samples.ok());
  EXPECT_GE(samples->size(), before->size()) << "probe history from before the restart is kept";
  EXPECT_EQ(samples->front().at, before->front().at);

  ASSERT_TRUE(servers_["x"]->Start());
  ASSERT_TRUE(WaitFor([&] { return Incidents()[0].state == store::IncidentState::kClosed; }, 20s))
      << Log();
  auto events = Events(id);
  EXPECT_EQ(events.front().type, "opened");
  EXPECT_EQ(events.back().type, "closed");
}

TEST_F(ServeEngineTest, NothingOpensWhileThisMachinesConnectionIsDown) {
  config::Config c = Config(1s);
  control_->Stop();  // the control site is unreachable from here: local_network
  servers_["whatsapp"]->Stop();
  StartEngine(c);
  ASSERT_TRUE(WaitFor([&] { return engine_->rounds_completed() >= 4; }, 20s)) << Log();
  EXPECT_TRUE(Incidents().empty()) << Log();
  json body = json::parse(*engine_->PlatformsBody());
  EXPECT_EQ(body["observer"]["connectivity"], "local_network");
  EXPECT_EQ(body["problem_here"], true);
  EXPECT_NE(body["notice"].get<std::string>().find("The problem is on this side"),
            std::string::npos);
  EXPECT_EQ(View("whatsapp")["verdict"], "local_network");
  EXPECT_NE(View("whatsapp")["reason"].get<std::string>().find("cannot be judged from here"),
            std::string::npos);
}

}  // namespace
}  // namespace lifeline
