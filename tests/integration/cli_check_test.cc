// `lifeline check` and `lifeline agent` as a user runs them, against real servers on loopback:
// exit codes, the JSON contract, vantage points (healthy, unreachable, wrong token), a status page,
// and the clear exit-2 errors for a bad config or a misspelt platform.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "integration/support/lifeline_cli.h"
#include "integration/support/process.h"
#include "integration/support/testhttpd.h"

namespace lifeline {
namespace {

using nlohmann::json;
using testing::FindPlatform;
using testing::ParseReport;
using testing::RunLifeline;
using testing::TempDir;
using testing::TestHttpd;

class CliCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    ASSERT_TRUE(control_.Start({"--mode", "ok", "--body", "control ok"}, &error)) << error;
    ASSERT_TRUE(healthy_.Start({"--mode", "ok", "--body", "Welcome to Localgram"}, &error))
        << error;
    ASSERT_TRUE(broken_.Start({"--mode", "503"}, &error)) << error;
  }

  // A config whose platforms and control site are all on loopback; no real host is named.
  std::string WriteConfig(const std::string& extra_platforms, const std::string& extra = "") {
    std::string yaml =
        "timeout: 2s\nslow_threshold: 1500ms\nresolvers: []\ncontrol:\n  - url: " + control_.Url() +
        "\n    expect: { body_contains: [\"control ok\"] }\n" + extra + "platforms:\n" +
        extra_platforms;
    return dir_.Write("lifeline.yaml", yaml);
  }

  std::string Platform(const std::string& id, const std::string& url) {
    return "  " + id + ":\n    name: " + id +
           "\n    domain: local\n    probes:\n      - id: web\n" + "        url: " + url + "\n";
  }

  TempDir dir_;
  TestHttpd control_, healthy_, broken_;
};

TEST_F(CliCheckTest, HealthyPlatformIsUpAndExitsZero) {
  auto cfg = WriteConfig(Platform("localgram", healthy_.Url()));
  auto r = RunLifeline({"check", "localgram", "--config", cfg, "--json"});
  ASSERT_EQ(r.code, 0) << r.out;
  json j = ParseReport(r.out);
  EXPECT_EQ(j["observer"]["connectivity"], "ok");
  EXPECT_EQ(j["exit_code"], 0);
  const json* p = FindPlatform(j, "localgram");
  ASSERT_NE(p, nullptr) << r.out;
  EXPECT_EQ((*p)["verdict"], "up");
  EXPECT_EQ((*p)["layer"], "");
  ASSERT_FALSE((*p)["probes"].empty());
  EXPECT_EQ((*p)["probes"][0]["from"], "here");
  EXPECT_TRUE((*p)["probes"][0]["timings_ms"].contains("total"));
}

TEST_F(CliCheckTest, TableNamesVerdictAndReason) {
  auto cfg =
      WriteConfig(Platform("localgram", healthy_.Url()) + Platform("deadgram", broken_.Url()));
  auto r = RunLifeline({"check", "localgram", "deadgram", "--config", cfg});
  EXPECT_NE(r.out.find("PLATFORM"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("up"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("http/status"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("\x1b["), std::string::npos) << "no colour when stdout is not a terminal";
}

class CliAgentTest : public CliCheckTest {
 protected:
  void SetUp() override {
    CliCheckTest::SetUp();
    token_file_ = dir_.Write("agent.token", "s3cret-token\n");
    wrong_token_file_ = dir_.Write("wrong.token", "not-the-token\n");
    auto agent_cfg = dir_.Write(
        "agent.yaml", "control:\n  - url: " + control_.Url() +
                          "\nresolvers: []\ntimeout: 2s\n"
                          // The test servers are on loopback, which agents refuse by default.
                          "agent:\n  allow_private: [127.0.0.0/8]\n");
    port_ = testing::FreePort();
    std::string error;
    ASSERT_TRUE(
        agent_.Start({LIFELINE_BINARY, "agent", "--listen", "127.0.0.1:" + std::to_string(port_),
                      "--token-file", token_file_, "--config", agent_cfg, "--name", "loop-a",
                      "--region", "lo", "--insecure-http"},
                     dir_.File("agent.log"), &error))
        << error;
    ASSERT_TRUE(testing::WaitForTcpPort("127.0.0.1", port_))
        << testing::ReadFile(dir_.File("agent.log"));
  }

  std::string Vantage(const std::string& name, const std::string& token_file, std::uint16_t port) {
    return "  - name: " + name +
           "\n    region: lo\n    url: http://127.0.0.1:" + std::to_string(port) +
           "\n    token_file: " + token_file + "\n    insecure_http: true\n";
  }

  std::string token_file_, wrong_token_file_;
  std::uint16_t port_ = 0;
  testing::Process agent_;
};

TEST_F(CliAgentTest, FailingHereAndAtTheVantagePointIsAnOutage) {
  auto cfg = WriteConfig(Platform("deadgram", broken_.Url()),
                         "vantage_points:\n" + Vantage("loop-a", token_file_, port_));
  auto r = RunLifeline({"check", "deadgram", "--config", cfg, "--json"});
  EXPECT_EQ(r.code, 1) << r.out;
  json j = ParseReport(r.out);
  const json* p = FindPlatform(j, "deadgram");
  ASSERT_NE(p, nullptr) << r.out;
  EXPECT_EQ((*p)["verdict"], "outage") << r.out;
  EXPECT_EQ((*p)["layer"], "http");
  EXPECT_EQ((*p)["detail"], "status");
  bool remote = false;
  for (const auto& probe : (*p)["probes"]) remote |= probe["from"] == "loop-a";
  EXPECT_TRUE(remote) << "the vantage point's own results are in the evidence";
  ASSERT_EQ(j["vantage_points"].size(), 1u);
  EXPECT_EQ(j["vantage_points"][0]["reachable"], true);
  EXPECT_EQ(j["vantage_points"][0]["connectivity"], "ok");
}

TEST_F(CliAgentTest, UnreachableAndUnauthorisedAgentsAreMissingEvidenceNotACrash) {
  auto dead_port = testing::FreePort();
  auto cfg = WriteConfig(Platform("deadgram", broken_.Url()),
                         "vantage_points:\n" + Vantage("gone", token_file_, dead_port) +
                             Vantage("badtoken", wrong_token_file_, port_));
  auto r = RunLifeline({"check", "deadgram", "--config", cfg, "--json"});
  // Failing here with no usable confirmation from elsewhere: not enough evidence either way.
  EXPECT_EQ(r.code, 4) << r.out;
  json j = ParseReport(r.out);
  EXPECT_EQ(FindPlatform(j, "deadgram")->at("verdict"), "unknown") << r.out;
  ASSERT_EQ(j["vantage_points"].size(), 2u);
  for (const auto& v : j["vantage_points"]) EXPECT_EQ(v["reachable"], false) << v;
  std::string notes = j["notes"].dump();
  EXPECT_NE(notes.find("gone unreachable"), std::string::npos) << notes;
  EXPECT_NE(notes.find("401"), std::string::npos) << notes;
  EXPECT_EQ(r.out.find("s3cret-token"), std::string::npos) << "a token never appears in output";
}

TEST_F(CliCheckTest, OfficialMajorOutageConfirmsAFailureSeenHere) {
  TestHttpd status;
  std::string error;
  ASSERT_TRUE(status.Start({"--mode", "json", "--body",
                            R"({"page":{"name":"Deadgram"},"status":{"indicator":"major",)"
                            R"("description":"Major System Outage"},"components":[]})"},
                           &error))
      << error;
  auto cfg = WriteConfig(Platform("deadgram", broken_.Url()) +
                         "    status_page: " + status.Url("/api/v2/summary.json") + "\n");
  auto r = RunLifeline({"check", "deadgram", "--config", cfg, "--json"});
  EXPECT_EQ(r.code, 1) << r.out;
  json j = ParseReport(r.out);
  const json* p = FindPlatform(j, "deadgram");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ((*p)["verdict"], "outage") << r.out;
  EXPECT_EQ((*p)["status"]["indicator"], "major");
}

TEST(CliErrorsTest, MisspeltPlatformExitsTwoWithSuggestion) {
  auto r = RunLifeline({"check", "instagarm", "--json"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find("unknown platform 'instagarm'"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("did you mean 'instagram'"), std::string::npos) << r.out;
}

TEST(CliErrorsTest, BadConfigExitsTwoNamingFileLineAndKey) {
  TempDir dir;
  auto unknown_key = dir.Write("a.yaml", "timeout: 2s\nplatforms:\n  instagram:\n    dnz: [x]\n");
  auto r = RunLifeline({"check", "--config", unknown_key});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find("a.yaml:4"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("dnz"), std::string::npos) << r.out;

  auto bad_yaml = dir.Write("b.yaml", "timeout: [2s\n");
  r = RunLifeline({"check", "--config", bad_yaml});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find("b.yaml:"), std::string::npos) << r.out;

  auto bad_url = dir.Write("c.yaml", "control:\n  - url: ftp://example.test/\n");
  r = RunLifeline({"check", "--config", bad_url});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find("c.yaml:2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("url"), std::string::npos) << r.out;
}

TEST(CliErrorsTest, UsageErrorsExitTwo) {
  EXPECT_EQ(RunLifeline({"check", "--timeout", "-1"}).code, 2);
  EXPECT_EQ(RunLifeline({"frobnicate"}).code, 2);
  EXPECT_EQ(RunLifeline({}).code, 2);
  EXPECT_EQ(RunLifeline({"check", "--config", "/nonexistent/lifeline.yaml"}).code, 2);
  auto list = RunLifeline({"check", "--list"});
  EXPECT_EQ(list.code, 0);
  EXPECT_NE(list.out.find("whatsapp"), std::string::npos);
  EXPECT_NE(list.out.find("meta"), std::string::npos);
}

}  // namespace
}  // namespace lifeline
