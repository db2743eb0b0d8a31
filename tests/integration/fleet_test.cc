// The fleet view inside the real `lifeline serve`: one real `lifeline agent` over HTTPS (a test CA
// made by tests/tools/testca.sh) and one vantage point whose port nothing listens on. The live one
// shows ok with its version and latency, the dead one unreachable with its reason; the dead agent
// is evidence about the agent only: the platform stays up and no incident opens.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "config/config.h"
#include "integration/support/lifeline_cli.h"
#include "integration/support/process.h"
#include "integration/support/testhttpd.h"
#include "integration/support/toggle_site.h"

namespace lifeline::testing {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using namespace std::chrono;

bool WaitFor(const std::function<bool()>& pred, milliseconds timeout) {
  const auto deadline = steady_clock::now() + timeout;
  while (steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(milliseconds(50));
  }
  return pred();
}

const json* FindByName(const json& list, const std::string& name) {
  for (const auto& v : list) {
    if (v.value("name", "") == name) return &v;
  }
  return nullptr;
}

TEST(FleetServeTest, ShowsTheLiveAgentOkAndTheDeadOneUnreachableWithoutBlamingAPlatform) {
  if (!FindProgram("openssl")) GTEST_SKIP() << "openssl is not installed";
  TempDir dir("lifeline-fleet");
  std::string error;
  ASSERT_TRUE(MakeTestCa(dir.File("ca"), {"localhost"}, &error)) << error;
  ToggleSite site("localgram");  // the platform, and everyone's control site
  site.Start();
  const std::string token = dir.Write("agent.token", "fleet-token-123\n");

  // The live agent, over HTTPS.
  const std::uint16_t agent_port = FreePort();
  const std::string agent_cfg =
      dir.Write("agent.yaml", "control:\n  - url: " + site.Url("/control") +
                                  "\nresolvers: []\ntimeout: 2s\n"
                                  "agent:\n  allow_private: [127.0.0.0/8]\n");
  Process agent;
  ASSERT_TRUE(agent.Start(
      {LIFELINE_BINARY, "agent", "--listen", "127.0.0.1:" + std::to_string(agent_port),
       "--token-file", token, "--config", agent_cfg, "--name", "live-1", "--region", "lo",
       "--tls-cert", dir.File("ca/valid.pem"), "--tls-key", dir.File("ca/valid.key")},
      dir.File("agent.log"), &error))
      << error;
  ASSERT_TRUE(WaitForTcpPort("127.0.0.1", agent_port)) << ReadFile(dir.File("agent.log"));
  const std::uint16_t dead_port = FreePort();  // nothing listens there

  const std::uint16_t port = FreePort();
  std::string y = "timeout: 2s\nresolvers: []\ncontrol:\n  - url: " + site.Url("/control") +
                  "\n    expect: { body_contains: [\"control is working\"] }\n";
  y += "api:\n  listen: 127.0.0.1:" + std::to_string(port) + "\n";
  y += "serve:\n  interval: 5s\n";
  y += "vantage_points:\n";
  y +=
      "  - name: live-1\n    region: lo\n    url: https://127.0.0.1:" + std::to_string(agent_port) +
      "\n    token_file: " + token + "\n    ca: " + dir.File("ca/ca.pem") + "\n";
  y +=
      "  - name: dead-1\n    region: far\n    url: https://127.0.0.1:" + std::to_string(dead_port) +
      "\n    token_file: " + token + "\n";
  y += "platforms:\n";
  auto catalog = config::LoadBundled();
  ASSERT_TRUE(catalog.ok());
  for (const auto& p : catalog->platforms) y += "  " + p.id + ": { enabled: false }\n";
  y += "  localgram:\n    name: Localgram\n    domain: local\n    dns: []\n    probes:\n"
       "      - { id: web, url: \"" +
       site.Url("/localgram") + "\", expect: { status: [200] } }\n";
  const std::string config = dir.Write("lifeline.yaml", y);

  Process serve;
  ASSERT_TRUE(
      serve.Start({LIFELINE_BINARY, "serve", "--config", config, "--data-dir", dir.File("data")},
                  dir.File("serve.log"), &error))
      << error;
  const std::string log_file = dir.File("serve.log");
  ASSERT_TRUE(WaitForTcpPort("127.0.0.1", port)) << ReadFile(log_file);
  auto get = [&](const std::string& path) {
    auto r = HttpCall(port, "GET", path);
    return r && r->status == 200 ? json::parse(r->body, nullptr, false) : json();
  };

  // Two rounds at least each: the dead agent has failed more than once, the live one answered.
  json fleet;
  ASSERT_TRUE(WaitFor(
      [&] {
        fleet = get("/v1/vantage-points");
        if (!fleet.is_object()) return false;
        const json* live = FindByName(fleet["vantage_points"], "live-1");
        const json* dead = FindByName(fleet["vantage_points"], "dead-1");
        return live && dead && live->value("answers", 0) >= 2 && dead->value("failures", 0) >= 2;
      },
      seconds(40)))
      << fleet.dump(2) << "\n"
      << ReadFile(log_file);
  ASSERT_EQ(fleet["vantage_points"].size(), 2u);
  EXPECT_GT(fleet["stale_after_ms"].get<long long>(), 15000);
  const json& live = *FindByName(fleet["vantage_points"], "live-1");
  EXPECT_EQ(live["state"], "ok") << live;
  EXPECT_EQ(live["region"], "lo");
  EXPECT_EQ(live["version"], "0.1.0") << live;
  ASSERT_TRUE(live["latency_ms"].is_number()) << live;
  EXPECT_GE(live["latency_ms"].get<double>(), 0.0);
  EXPECT_LT(live["latency_ms"].get<double>(), 2000.0);
  EXPECT_TRUE(live["latency_median_ms"].is_number()) << live;
  EXPECT_TRUE(live["last_seen"].is_string()) << live;
  EXPECT_EQ(live["connectivity"], "ok") << live;
  EXPECT_FALSE(live["connectivity_evidence"].empty()) << live;
  EXPECT_EQ(live["last_error"], nullptr) << live;

  const json& dead = *FindByName(fleet["vantage_points"], "dead-1");
  EXPECT_EQ(dead["state"], "unreachable") << dead;
  EXPECT_EQ(dead["last_seen"], nullptr) << dead;
  EXPECT_EQ(dead["version"], nullptr) << dead;
  ASSERT_TRUE(dead["last_error"].is_object()) << dead;
  EXPECT_EQ(dead["last_error"]["kind"], "refused") << dead;
  EXPECT_THAT(dead["last_error"]["message"].get<std::string>(),
              HasSubstr("https://127.0.0.1:" + std::to_string(dead_port) +
                        "/v1/probe: connection refused"));
  EXPECT_GE(dead["consecutive_failures"].get<int>(), 2);

  // One by name; an unknown name is a 404 that names it.
  json one = get("/v1/vantage-points/live-1");
  EXPECT_EQ(one["name"], "live-1");
  auto missing = HttpCall(port, "GET", "/v1/vantage-points/mars-1");
  ASSERT_TRUE(missing.has_value());
  EXPECT_EQ(missing->status, 404);
  EXPECT_THAT(missing->body, HasSubstr("no vantage point 'mars-1'"));

  // The dead agent is evidence about the agent: the platform stays up, nothing opens.
  json platform = get("/v1/platforms/localgram");
  EXPECT_EQ(platform["verdict"], "up") << platform.dump(2);
  json incidents = get("/v1/incidents?state=open");
  ASSERT_TRUE(incidents.is_object()) << incidents;
  EXPECT_TRUE(incidents["incidents"].empty()) << incidents.dump(2);
  EXPECT_THAT(ReadFile(log_file), HasSubstr("vantage point dead-1: unreachable (was unknown)"));

  // The same through the CLI.
  const std::string server = "http://127.0.0.1:" + std::to_string(port);
  auto list = RunLifeline({"vantage", "list", "--server", server});
  EXPECT_EQ(list.code, 0) << list.out;
  EXPECT_THAT(list.out, HasSubstr("live-1"));
  EXPECT_THAT(list.out, HasSubstr("0.1.0"));
  EXPECT_THAT(list.out, HasSubstr("unreachable"));
  EXPECT_THAT(list.out, HasSubstr("last error (refused"));
  auto listed = RunLifeline({"vantage", "list", "--json", "--server", server});
  EXPECT_EQ(listed.code, 0) << listed.out;
  json lj = ParseReport(listed.out);
  EXPECT_EQ(lj["vantage_points"].size(), 2u) << listed.out;
  auto unknown = RunLifeline({"vantage", "show", "mars-1", "--server", server});
  EXPECT_EQ(unknown.code, 2) << unknown.out;
  EXPECT_THAT(unknown.out, HasSubstr("no vantage point 'mars-1'"));

  serve.Stop();
  EXPECT_EQ(serve.exit_status(), 0) << ReadFile(log_file);
}

}  // namespace
}  // namespace lifeline::testing
