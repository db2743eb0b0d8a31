// Moving an installation to PostgreSQL as a team would: its SQLite store copied with
// `lifeline migrate`, then `lifeline serve` and the CLI on `store: { url: ... }`. serve watches,
// opens incidents in PostgreSQL; a second serve on the same database is refused while the first
// runs (rounds are not shared out yet) and takes over its state once it stopped. A real
// PostgreSQL (a throw-away cluster this test process starts on a Unix socket) and a real
// `lifeline` binary.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "config/config.h"
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

TEST(PostgresServeTest, MigrateThenServeOnPostgresOneInstanceAtATime) {
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
  // Two vantage points in two regions: what makes a failure everyone's (an incident).
  const std::string token_file = dir.Write("agent.token", "pg-agent-token\n");
  const std::string agent_cfg =
      dir.Write("agent.yaml", "control:\n  - url: " + site.Url("/control") +
                                  "\nresolvers: []\ntimeout: 1s\n"
                                  "agent:\n  allow_private: [127.0.0.0/8]\n");
  std::vector<std::unique_ptr<Process>> agents;
  std::string vantage = "vantage_points:\n";
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
  auto config_for = [&](std::uint16_t port, const std::string& name) {
    std::string y = "timeout: 1s\nresolvers: []\ncontrol:\n  - url: " + site.Url("/control") +
                    "\n    expect: { body_contains: [\"control is working\"] }\n" + vantage;
    y += "api:\n  listen: 127.0.0.1:" + std::to_string(port) + "\n";
    y += "serve:\n  interval: 5s\n  close_after: 1\n";
    y += "store:\n  url: \"" + *url + "\"\n  connections: 4\n";
    y += "platforms:\n";
    auto catalog = config::LoadBundled();
    for (const auto& p : catalog->platforms) y += "  " + p.id + ": { enabled: false }\n";
    y += "  localgram:\n    name: Localgram\n    domain: local\n    dns: []\n    probes:\n"
         "      - { id: web, url: \"" +
         site.Url("/localgram") +
         "\", expect: { status: [200], body_contains: [\"localgram is working\"] } }\n";
    return dir.Write(name, y);
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
  auto get = [](std::uint16_t port, const std::string& path) {
    auto r = HttpCall(port, "GET", path);
    return r && r->status == 200 ? json::parse(r->body, nullptr, false) : json();
  };
  site.SetHealthy(false);
  std::string incident;
  ASSERT_TRUE(WaitFor(
      [&] {
        json open = get(port_a, "/v1/incidents?state=open");
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

  // ---- A second instance on the same database is refused while the first runs ----
  const std::uint16_t port_b = FreePort();
  const std::string config_b = config_for(port_b, "b.yaml");
  Process b;
  ASSERT_TRUE(b.Start({LIFELINE_BINARY, "serve", "--config", config_b, "--data-dir", dir.File("b")},
                      dir.File("b.log"), &why))
      << why;
  EXPECT_NE(b.Wait(), 0);
  EXPECT_THAT(ReadFile(dir.File("b.log")),
              HasSubstr("another lifeline serve runs on this database"));

  // ---- Once the first stopped, the second starts at once and sees the same incident ----
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
        seen = get(port_b, "/v1/incidents/" + incident);
        return seen.is_object() && seen.value("id", "") == incident;
      },
      seconds(20)))
      << seen.dump(2) << ReadFile(dir.File("b2.log"));
  // Restored, it closes there.
  site.SetHealthy(true);
  EXPECT_TRUE(WaitFor(
      [&] {
        json open = get(port_b, "/v1/incidents?state=open");
        return open.is_object() && open["incidents"].empty();
      },
      seconds(60)))
      << ReadFile(dir.File("b2.log"));
  b2.Stop();
  EXPECT_EQ(b2.exit_status(), 0) << ReadFile(dir.File("b2.log"));
  (void)cluster->DropDatabase(*url);
}

}  // namespace
}  // namespace lifeline::testing
