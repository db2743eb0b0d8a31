// Moving an installation to PostgreSQL as a team would: its SQLite store copied with
// `lifeline migrate`, then `lifeline serve` and the CLI on `store: { url: ... }`; serve watches and
// opens incidents in PostgreSQL, and another instance carries on with its state. Then three
// instances on one database: they share the platforms out, each platform's incident is opened
// once, and when one is killed (-9) the others take its platforms over and carry its incidents
// on. A real PostgreSQL (a throw-away cluster this test process starts on a Unix socket) and real
// `lifeline` binaries.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>

#include "config/config.h"
#include "integration/support/chat_fakes.h"
#include "integration/support/lifeline_cli.h"
#include "integration/support/process.h"
#include "integration/support/toggle_site.h"
#include "store/pg/test_cluster.h"
#include "store/store.h"

namespace lifeline::testing {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using namespace std::chrono;

bool WaitFor(const std::function<bool()>& pred, milliseconds timeout) {
  const auto deadline = steady_clock::now() + timeout;
  while (steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(milliseconds(100));
  }
  return pred();
}

// Two vantage points in two regions (what makes a failure everyone's: an incident), checking
// through `site`'s control page; `vantage` gets their vantage_points: section.
void StartAgents(ToggleSite& site, TempDir& dir, std::vector<std::unique_ptr<Process>>& agents,
                 std::string& vantage) {
  std::string why;
  const std::string token_file = dir.Write("agent.token", "pg-agent-token\n");
  const std::string agent_cfg =
      dir.Write("agent.yaml", "control:\n  - url: " + site.Url("/control") +
                                  "\nresolvers: []\ntimeout: 1s\n"
                                  "agent:\n  allow_private: [127.0.0.0/8]\n");
  vantage = "vantage_points:\n";
  for (const char* region : {"eu", "us"}) {
    const std::uint16_t port = FreePort();
    auto& agent = agents.emplace_back(std::make_unique<Process>());
    ASSERT_TRUE(agent->Start(
        {LIFELINE_BINARY, "agent", "--listen", "127.0.0.1:" + std::to_string(port), "--token-file",
         token_file, "--config", agent_cfg, "--name", region, "--insecure-http"},
        dir.File(std::string(region) + ".log"), &why))
        << why;
    ASSERT_TRUE(WaitForTcpPort("127.0.0.1", port));
    vantage += std::string("  - { name: ") + region + ", region: " + region +
               ", url: \"http://127.0.0.1:" + std::to_string(port) +
               "\", token_file: " + token_file + ", insecure_http: true }\n";
  }
}

struct TestPlatform {
  std::string id, name, domain;
};

// One serve's config on PostgreSQL `url`: the control page and the platforms' probe on `site`
// (each platform loads /localgram), `vantage` (StartAgents), the API on `port`, 5 s intervals,
// the catalog off. `store_extra` adds keys to store:, `extra` whole sections.
std::string ServeConfig(const ToggleSite& site, const std::string& vantage, std::uint16_t port,
                        const std::string& url, const std::vector<TestPlatform>& platforms,
                        const std::string& store_extra = "", const std::string& extra = "") {
  std::string y = "timeout: 1s\nresolvers: []\ncontrol:\n  - url: " + site.Url("/control") +
                  "\n    expect: { body_contains: [\"control is working\"] }\n" + vantage;
  y += "api:\n  listen: 127.0.0.1:" + std::to_string(port) + "\n";
  y += "serve:\n  interval: 5s\n  close_after: 1\n";
  y += "store:\n  url: \"" + url + "\"\n  connections: 4\n" + store_extra;
  y += extra;
  y += "platforms:\n";
  auto catalog = config::LoadBundled();
  for (const auto& p : catalog->platforms) y += "  " + p.id + ": { enabled: false }\n";
  for (const auto& p : platforms) {
    y += "  " + p.id + ":\n    name: " + p.name + "\n    domain: " + p.domain +
         "\n    dns: []\n    probes:\n      - { id: web, url: \"" + site.Url("/localgram") +
         "\", expect: { status: [200], body_contains: [\"localgram is working\"] } }\n";
  }
  return y;
}

// GET `path` from the API on `port`: its JSON on 200, else null.
json GetJson(std::uint16_t port, const std::string& path) {
  auto r = HttpCall(port, "GET", path);
  return r && r->status == 200 ? json::parse(r->body, nullptr, false) : json();
}

TEST(PostgresServeTest, MigrateThenServeOnPostgresAndAnotherInstanceCarriesOn) {
  if (store::pg::testing::FindPostgresBin().empty()) {
    GTEST_SKIP() << "PostgreSQL is not installed: run scripts/install-deps";
  }
  std::string why;
  auto* cluster = store::pg::testing::SharedCluster(&why);
  ASSERT_NE(cluster, nullptr) << why;
  auto url = cluster->CreateDatabase();
  ASSERT_TRUE(url.ok()) << url.error().ToString();
  TempDir dir("lifeline-pg-serve");

  // ---- An SQLite installation with a token, copied into PostgreSQL ----
  auto created = RunLifeline(
      {"token", "create", "--name", "ci", "--role", "operator", "--data-dir", dir.File("old")});
  ASSERT_EQ(created.code, 0) << created.out;
  auto migrated =
      RunLifeline({"migrate", "--from", "sqlite:" + dir.File("old/lifeline.db"), "--to", *url});
  ASSERT_EQ(migrated.code, 0) << migrated.out;
  EXPECT_THAT(migrated.out, HasSubstr("Copied"));
  EXPECT_THAT(migrated.out, HasSubstr("api_tokens"));
  // Twice is refused: the database holds data now.
  auto again =
      RunLifeline({"migrate", "--from", "sqlite:" + dir.File("old/lifeline.db"), "--to", *url});
  EXPECT_EQ(again.code, 1) << again.out;
  EXPECT_THAT(again.out, HasSubstr("already holds data"));
  auto bad = RunLifeline({"migrate", "--from", dir.File("old/lifeline.db"), "--to", *url});
  EXPECT_EQ(bad.code, 2) << bad.out;
  EXPECT_THAT(bad.out, HasSubstr("sqlite:PATH"));

  // ---- The config on PostgreSQL ----
  ToggleSite site("localgram");
  site.Start();
  std::vector<std::unique_ptr<Process>> agents;
  std::string vantage;
  ASSERT_NO_FATAL_FAILURE(StartAgents(site, dir, agents, vantage));
  auto config_for = [&](std::uint16_t port, const std::string& name) {
    return dir.Write(name,
                     ServeConfig(site, vantage, port, *url, {{"localgram", "Localgram", "local"}}));
  };
  const std::uint16_t port_a = FreePort();
  const std::string config_a = config_for(port_a, "a.yaml");
  // The CLI reads the copied tokens through store: too.
  auto listed = RunLifeline({"token", "list", "--config", config_a});
  ASSERT_EQ(listed.code, 0) << listed.out;
  EXPECT_THAT(listed.out, HasSubstr("ci"));
  EXPECT_THAT(listed.out, HasSubstr("operator"));

  // ---- serve on PostgreSQL: an incident is opened there ----
  Process a;
  ASSERT_TRUE(a.Start({LIFELINE_BINARY, "serve", "--config", config_a, "--data-dir", dir.File("a")},
                      dir.File("a.log"), &why))
      << why;
  ASSERT_TRUE(WaitForTcpPort("127.0.0.1", port_a, seconds(30))) << ReadFile(dir.File("a.log"));
  site.SetHealthy(false);
  std::string incident;
  ASSERT_TRUE(WaitFor(
      [&] {
        json open = GetJson(port_a, "/v1/incidents?state=open");
        if (!open.is_object() || open["incidents"].empty()) return false;
        incident = open["incidents"][0]["id"];
        return true;
      },
      seconds(60)))
      << ReadFile(dir.File("a.log"));
  {
    store::PostgresOptions pg;
    pg.url = *url;
    auto direct = store::OpenPostgres(pg);
    ASSERT_TRUE(direct.ok()) << direct.error().ToString();
    auto stored = (*direct)->GetIncident(incident);
    ASSERT_TRUE(stored.ok()) << stored.error().ToString();
    EXPECT_EQ(stored->platforms, std::vector<std::string>{"localgram"});
  }

  const std::uint16_t port_b = FreePort();
  const std::string config_b = config_for(port_b, "b.yaml");

  // ---- Once the first stopped, another starts at once and sees the same incident ----
  a.Stop();
  EXPECT_EQ(a.exit_status(), 0) << ReadFile(dir.File("a.log"));
  Process b2;
  ASSERT_TRUE(
      b2.Start({LIFELINE_BINARY, "serve", "--config", config_b, "--data-dir", dir.File("b")},
               dir.File("b2.log"), &why))
      << why;
  ASSERT_TRUE(WaitForTcpPort("127.0.0.1", port_b, seconds(30))) << ReadFile(dir.File("b2.log"));
  json seen;
  EXPECT_TRUE(WaitFor(
      [&] {
        seen = GetJson(port_b, "/v1/incidents/" + incident);
        return seen.is_object() && seen.value("id", "") == incident;
      },
      seconds(20)))
      << seen.dump(2) << ReadFile(dir.File("b2.log"));
  // Restored, it closes there.
  site.SetHealthy(true);
  EXPECT_TRUE(WaitFor(
      [&] {
        json open = GetJson(port_b, "/v1/incidents?state=open");
        return open.is_object() && open["incidents"].empty();
      },
      seconds(60)))
      << ReadFile(dir.File("b2.log"));
  b2.Stop();
  EXPECT_EQ(b2.exit_status(), 0) << ReadFile(dir.File("b2.log"));
  (void)cluster->DropDatabase(*url);
}

// Three `lifeline serve` on one PostgreSQL, six platforms in six failure domains (six leases).
TEST(PostgresServeTest, ThreeInstancesShareThePlatformsAndTakeOverAKilledOne) {
  if (store::pg::testing::FindPostgresBin().empty()) {
    GTEST_SKIP() << "PostgreSQL is not installed: run scripts/install-deps";
  }
  std::string why;
  auto* cluster = store::pg::testing::SharedCluster(&why);
  ASSERT_NE(cluster, nullptr) << why;
  auto url = cluster->CreateDatabase();
  ASSERT_TRUE(url.ok()) << url.error().ToString();
  TempDir dir("lifeline-pg-three");
  ToggleSite site("localgram");
  site.Start();
  // The team is alerted by webhook when an incident opens and closes: each alert must arrive once
  // whichever instance runs the incident, and across the kill.
  ChatFakes sink;
  ASSERT_TRUE(sink.Start(&why)) << why;
  dir.Write("webhook.secret", ChatFakes::kWebhookSecret);
  std::vector<std::unique_ptr<Process>> agents;
  std::string vantage;
  ASSERT_NO_FATAL_FAILURE(StartAgents(site, dir, agents, vantage));
  constexpr int kPlatforms = 6;
  constexpr auto kInterval = seconds(5);
  std::vector<TestPlatform> grams;
  for (int i = 1; i <= kPlatforms; ++i) {
    const std::string n = std::to_string(i);
    grams.push_back({"gram" + n, "Gram " + n, "d" + n});
  }
  auto config_for = [&](std::uint16_t port, const std::string& name) {
    std::string y = "channels:\n  team-hook: { type: webhook, endpoint: \"" +
                    sink.Url("/hook/team") + "\", secret: { file: " + dir.File("webhook.secret") +
                    " } }\n";
    y += "contacts:\n  ops: { name: Ops, points: [ { channel: team-hook } ] }\n";
    y += "templates:\n  opened: { default: \"{incident} opened\" }\n"
         "  closed: { default: \"{incident} closed\" }\n";
    y += "alerts:\n  - { contacts: [ops], opened: opened, closed: closed }\n";
    y += "relay:\n  poll: 200ms\n";
    return dir.Write(name, ServeConfig(site, vantage, port, *url, grams, "  lease_ttl: 2s\n", y));
  };
  struct Instance {
    std::uint16_t port;
    std::string log;
    Process process;
  };
  std::vector<Instance> instances(3);
  for (int i = 0; i < 3; ++i) {
    Instance& in = instances[i];
    in.port = FreePort();
    const std::string name = "serve" + std::to_string(i);
    in.log = dir.File(name + ".log");
    ASSERT_TRUE(
        in.process.Start({LIFELINE_BINARY, "serve", "--config", config_for(in.port, name + ".yaml"),
                          "--data-dir", dir.File(name)},
                         in.log, &why))
        << why;
  }
  for (auto& in : instances) {
    ASSERT_TRUE(WaitForTcpPort("127.0.0.1", in.port, seconds(30))) << ReadFile(in.log);
  }
  auto logs = [&] {
    std::string out;
    for (auto& in : instances) out += "---- " + in.log + "\n" + ReadFile(in.log);
    return out;
  };
  store::PostgresOptions pg;
  pg.url = *url;
  auto opened = store::OpenPostgres(pg);
  ASSERT_TRUE(opened.ok()) << opened.error().ToString();
  store::Store& db = **opened;
  auto now = [] { return store::FromSystem(system_clock::now()); };
  // Holder of each live lease, when every one of the six is held by a live instance.
  auto holders = [&]() -> std::map<std::string, std::string> {
    auto leases = db.Cluster()->Leases();
    auto alive = db.Cluster()->Alive(now());
    if (!leases.ok() || !alive.ok()) return {};
    std::set<std::string> live;
    for (const auto& i : *alive) live.insert(i.id);
    std::map<std::string, std::string> out;
    for (const auto& l : *leases) {
      if (l.expires_at > now() && live.count(l.holder)) out[l.name] = l.holder;
    }
    return out.size() == kPlatforms ? out : std::map<std::string, std::string>();
  };

  // ---- Shared out: each instance holds two, and each shows all six ----
  std::map<std::string, std::string> held;
  ASSERT_TRUE(WaitFor(
      [&] {
        held = holders();
        std::map<std::string, int> per;
        for (const auto& [lease, holder] : held) ++per[holder];
        return per.size() == 3 &&
               std::all_of(per.begin(), per.end(), [](const auto& kv) { return kv.second == 2; });
      },
      seconds(30)))
      << logs();
  for (auto& in : instances) {
    json body;
    EXPECT_TRUE(WaitFor(
        [&] {
          body = GetJson(in.port, "/v1/platforms");
          if (!body.is_object() || body["platforms"].size() != kPlatforms) return false;
          for (const auto& p : body["platforms"]) {
            if (p["verdict"] != "up") return false;
          }
          return true;
        },
        seconds(30)))
        << "every instance shows the platforms the others run: " << body.dump() << logs();
  }

  // ---- An outage: one incident per platform, opened once whoever runs it ----
  site.SetHealthy(false);
  auto open_incidents = [&]() -> std::map<std::string, std::vector<std::string>> {
    store::IncidentQuery q;
    q.state = store::IncidentState::kOpen;
    q.limit = 100;
    auto page = db.ListIncidents(q);
    std::map<std::string, std::vector<std::string>> by_platform;
    if (!page.ok()) return by_platform;
    for (const auto& inc : page->incidents) {
      for (const auto& p : inc.platforms) by_platform[p].push_back(inc.id);
    }
    return by_platform;
  };
  std::map<std::string, std::vector<std::string>> open;
  ASSERT_TRUE(WaitFor(
      [&] {
        open = open_incidents();
        return open.size() == kPlatforms;
      },
      seconds(60)))
      << logs();
  for (const auto& [platform, ids] : open) EXPECT_EQ(ids.size(), 1u) << platform;
  // Any instance lists them all and shows each on its platform.
  json board;
  EXPECT_TRUE(WaitFor(
      [&] {
        board = GetJson(instances[0].port, "/v1/platforms");
        if (!board.is_object()) return false;
        for (const auto& p : board["platforms"]) {
          if (!p["incident_id"].is_string()) return false;
        }
        return true;
      },
      seconds(20)))
      << board.dump();

  // Alerts delivered (answered 200), by idempotency key, and any key sent twice.
  auto alerts = [&](std::map<std::string, int>& by_key) {
    by_key.clear();
    json got = sink.Received("webhook");
    if (!got.is_array()) return;
    for (const auto& r : got) {
      if (r.value("answered", 0) == 200) ++by_key[r.value("idempotency_key", "")];
    }
  };
  std::map<std::string, int> sent;
  EXPECT_TRUE(WaitFor(
      [&] {
        alerts(sent);
        return sent.size() == kPlatforms;
      },
      seconds(30)))
      << "one opening alert per incident, from whichever instance runs it: "
      << sink.Received("webhook").dump() << logs();

  // ---- kill -9 the instance of gram1's lease ----
  held = holders();
  const std::string victim_id = held["domain:d1"];
  auto alive = db.Cluster()->Alive(now());
  ASSERT_TRUE(alive.ok());
  pid_t victim_pid = 0;
  for (const auto& i : *alive) {
    if (i.id == victim_id) victim_pid = static_cast<pid_t>(i.pid);
  }
  Instance* victim = nullptr;
  for (auto& in : instances) {
    if (in.process.pid() == victim_pid) victim = &in;
  }
  ASSERT_NE(victim, nullptr) << "the holder of domain:d1 is one of the three";
  std::vector<std::string> victims_platforms;
  for (const auto& [lease, holder] : held) {
    if (holder == victim_id) victims_platforms.push_back("gram" + lease.substr(strlen("domain:d")));
  }
  const auto killed_at = steady_clock::now();
  ASSERT_EQ(kill(victim_pid, SIGKILL), 0);
  // Taken over within two intervals: every lease held by a live instance again.
  ASSERT_TRUE(WaitFor(
      [&] {
        held = holders();
        return !held.empty() && std::none_of(held.begin(), held.end(), [&](const auto& kv) {
          return kv.second == victim_id;
        });
      },
      seconds(30)))
      << logs();
  const auto taken_over_after = steady_clock::now() - killed_at;
  EXPECT_LT(taken_over_after, 2 * kInterval)
      << duration_cast<milliseconds>(taken_over_after).count() << " ms";
  std::cout << "the killed instance's platforms were taken over after "
            << duration_cast<milliseconds>(taken_over_after).count() << " ms\n";
  // The killed instance's incidents are carried on by the new owners, not opened again.
  for (const auto& platform : victims_platforms) {
    const std::string id = open[platform].front();
    bool continued = false;
    EXPECT_TRUE(WaitFor(
        [&] {
          auto events = db.ListEvents(id, 0, 100);
          if (!events.ok()) return false;
          for (const auto& e : *events) {
            if (e.message.find("taken over from another instance") != std::string::npos) {
              continued = true;
            }
          }
          return continued;
        },
        seconds(30)))
        << platform << " " << id << logs();
  }
  auto after_kill = open_incidents();
  EXPECT_EQ(after_kill, open) << "no incident opened twice, none closed by the takeover";

  // ---- Restored: every incident closes, and there never were more than six ----
  site.SetHealthy(true);
  EXPECT_TRUE(WaitFor([&] { return open_incidents().empty(); }, seconds(60))) << logs();
  store::IncidentQuery all;
  all.limit = 100;
  auto every = db.ListIncidents(all);
  ASSERT_TRUE(every.ok());
  EXPECT_EQ(every->incidents.size(), static_cast<std::size_t>(kPlatforms));
  // Twelve alerts — each incident's opening and closing — each delivered once, none lost.
  EXPECT_TRUE(WaitFor(
      [&] {
        alerts(sent);
        return sent.size() == 2 * kPlatforms;
      },
      seconds(30)))
      << sink.Received("webhook").dump() << logs();
  for (const auto& [key, n] : sent) {
    EXPECT_EQ(n, 1) << key << " delivered " << n << " times";
    EXPECT_TRUE(key.starts_with("alert/inc_")) << key;
  }
  for (auto& in : instances) {
    if (&in == victim) continue;
    in.process.Stop();
    EXPECT_EQ(in.process.exit_status(), 0) << ReadFile(in.log);
  }
  opened->reset();
  (void)cluster->DropDatabase(*url);
}

}  // namespace
}  // namespace lifeline::testing
