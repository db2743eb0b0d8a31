// `lifeline agent` over HTTPS as an operator runs it, with `lifeline check` as its caller: test CAs
// made by the test (tests/tools/testca.sh), a vantage point's `ca:`, a wrong CA, SIGHUP reloading
// a renewed certificate (and keeping the old one when the new pair is broken), and plain HTTP only
// when both sides ask for it.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "integration/support/lifeline_cli.h"
#include "integration/support/process.h"
#include "integration/support/testhttpd.h"

namespace lifeline {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::FindPlatform;
using testing::ParseReport;
using testing::RunLifeline;
using testing::TempDir;
using testing::TestHttpd;

// Polls `path` until it contains `text` (a state the agent logs), up to `timeout`.
bool WaitForLogText(const std::string& path, const std::string& text,
                    std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (testing::ReadFile(path).find(text) != std::string::npos) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::size_t Count(const std::string& haystack, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

class AgentTlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    cas_ = new TempDir("lifeline-agent-tls");
    // Two unrelated CAs, each with a leaf for 127.0.0.1 (valid.pem/valid.key).
    ca_ready_ = testing::FindProgram("openssl") &&
                testing::MakeTestCa(cas_->File("ca-a"), {"localhost"}, &error_) &&
                testing::MakeTestCa(cas_->File("ca-b"), {"localhost"}, &error_);
  }
  static void TearDownTestSuite() {
    delete cas_;
    cas_ = nullptr;
  }

  void SetUp() override {
    if (!testing::FindProgram("openssl")) GTEST_SKIP() << "openssl is not installed";
    if (!testing::FindProgram("python3")) GTEST_SKIP() << "python3 is not installed";
    ASSERT_TRUE(ca_ready_) << "test CAs: " << error_;
    std::string error;
    ASSERT_TRUE(control_.Start({"--mode", "ok", "--body", "control ok"}, &error)) << error;
    ASSERT_TRUE(healthy_.Start({"--mode", "ok", "--body", "Welcome to Localgram"}, &error))
        << error;
    ASSERT_TRUE(broken_.Start({"--mode", "503"}, &error)) << error;
    token_file_ = dir_.Write("agent.token", "s3cret-token\n");
    agent_cfg_ = dir_.Write("agent.yaml", "control:\n  - url: " + control_.Url() +
                                              "\nresolvers: []\ntimeout: 2s\n"
                                              "agent:\n  allow_private: [127.0.0.0/8]\n");
  }

  static std::string CaFile(const std::string& ca, const std::string& file) {
    return cas_->File(ca + "/" + file);
  }

  // The agent's own copy of a CA's leaf, so a test can renew it in place.
  void InstallCert(const std::string& ca) {
    fs::copy_file(CaFile(ca, "valid.pem"), dir_.File("agent.pem"),
                  fs::copy_options::overwrite_existing);
    fs::copy_file(CaFile(ca, "valid.key"), dir_.File("agent.key"),
                  fs::copy_options::overwrite_existing);
  }

  // Starts the agent with `extra` flags (TLS or --insecure-http) and waits for it to listen.
  void StartAgent(const std::vector<std::string>& extra) {
    port_ = testing::FreePort();
    std::vector<std::string> argv = {
        LIFELINE_BINARY, "agent",     "--listen", "127.0.0.1:" + std::to_string(port_),
        "--token-file",  token_file_, "--config", agent_cfg_,
        "--name",        "loop-a",    "--region", "lo"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    std::string error;
    ASSERT_TRUE(agent_.Start(argv, AgentLogPath(), &error)) << error;
    ASSERT_TRUE(testing::WaitForTcpPort("127.0.0.1", port_)) << AgentLog();
  }
  void StartTlsAgent() {
    StartAgent({"--tls-cert", dir_.File("agent.pem"), "--tls-key", dir_.File("agent.key")});
  }

  std::string AgentLogPath() const { return dir_.File("agent.log"); }
  std::string AgentLog() const { return testing::ReadFile(AgentLogPath()); }

  // A config with localgram (healthy) and deadgram (503) on loopback and one vantage point.
  std::string WriteConfig(const std::string& vantage_entry,
                          const std::string& name = "lifeline.yaml") {
    std::string yaml =
        "timeout: 2s\nslow_threshold: 1500ms\nresolvers: []\ncontrol:\n  - url: " + control_.Url() +
        "\n    expect: { body_contains: [\"control ok\"] }\nvantage_points:\n" + vantage_entry +
        "platforms:\n";
    for (auto [id, url] : {std::pair{"localgram", healthy_.Url()}, {"deadgram", broken_.Url()}}) {
      yaml += std::string("  ") + id + ":\n    name: " + id +
              "\n    domain: local\n    probes:\n      - id: web\n        url: " + url + "\n";
    }
    return dir_.Write(name, yaml);
  }
  std::string HttpsVantage(const std::string& ca_file) const {
    return "  - name: loop-a\n    region: lo\n    url: https://127.0.0.1:" + std::to_string(port_) +
           "\n    token_file: " + token_file_ + (ca_file.empty() ? "" : "\n    ca: " + ca_file) +
           "\n";
  }

  json Check(const std::string& cfg) {
    auto r = RunLifeline({"check", "localgram", "deadgram", "--config", cfg, "--json"});
    json j = ParseReport(r.out);
    EXPECT_FALSE(j.is_discarded()) << r.out;
    return j;
  }

  static inline TempDir* cas_ = nullptr;  // the suite's CAs
  static inline bool ca_ready_ = false;
  static inline std::string error_;

  TempDir dir_{"lifeline-agent-tls-case"};  // this test's files
  TestHttpd control_, healthy_, broken_;
  std::string token_file_, agent_cfg_;
  std::uint16_t port_ = 0;
  testing::Process agent_;
};

TEST_F(AgentTlsTest, HttpsAgentVerifiedAgainstItsCaConfirmsAnOutage) {
  InstallCert("ca-a");
  StartTlsAgent();
  // The port accepts before the line is written: wait for it.
  EXPECT_TRUE(WaitForLogText(AgentLogPath(), "listening on https://127.0.0.1:")) << AgentLog();
  json j = Check(WriteConfig(HttpsVantage(CaFile("ca-a", "ca.pem"))));
  ASSERT_EQ(j["vantage_points"].size(), 1u) << j.dump(2);
  EXPECT_EQ(j["vantage_points"][0]["reachable"], true) << j.dump(2);
  EXPECT_EQ(FindPlatform(j, "deadgram")->at("verdict"), "outage") << j.dump(2);
  EXPECT_EQ(FindPlatform(j, "localgram")->at("verdict"), "up") << j.dump(2);
  bool remote = false;
  for (const auto& probe : FindPlatform(j, "deadgram")->at("probes")) {
    remote |= probe["from"] == "loop-a";
  }
  EXPECT_TRUE(remote) << "the agent's results are evidence: " << j.dump(2);
}

TEST_F(AgentTlsTest, WrongCaIsAnErrorAboutTheVantagePointNeverAboutAPlatform) {
  InstallCert("ca-a");
  StartTlsAgent();
  const std::string wrong_ca = CaFile("ca-b", "ca.pem");
  json j = Check(WriteConfig(HttpsVantage(wrong_ca)));
  ASSERT_EQ(j["vantage_points"].size(), 1u) << j.dump(2);
  const json& vp = j["vantage_points"][0];
  EXPECT_EQ(vp["reachable"], false) << vp;
  const std::string error = vp.value("error", "");
  EXPECT_NE(error.find("https://127.0.0.1:" + std::to_string(port_) + "/v1/probe: TLS"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("certificate"), std::string::npos) << error;
  EXPECT_NE(error.find(wrong_ca), std::string::npos) << "names the trust used: " << error;
  // The agent is what failed: the healthy platform stays up, the failing one is not confirmed by
  // the agent, and no platform's evidence blames a TLS failure on the platform.
  EXPECT_EQ(FindPlatform(j, "localgram")->at("verdict"), "up") << j.dump(2);
  EXPECT_NE(FindPlatform(j, "deadgram")->at("verdict"), "outage") << j.dump(2);
  for (const char* id : {"localgram", "deadgram"}) {
    const json* p = FindPlatform(j, id);
    EXPECT_NE((*p)["layer"], "tls") << id;
    for (const auto& probe : (*p)["probes"]) EXPECT_NE(probe["from"], "loop-a") << probe;
  }
  EXPECT_NE(j["notes"].dump().find("vantage point loop-a unreachable"), std::string::npos)
      << j["notes"];
  // Without a ca the default trust is used, and the error says how to give the agent's CA.
  json k = Check(WriteConfig(HttpsVantage("")));
  EXPECT_EQ(k["vantage_points"][0]["reachable"], false);
  EXPECT_NE(k["vantage_points"][0].value("error", "").find("set 'ca: FILE'"), std::string::npos)
      << k["vantage_points"][0];
}

TEST_F(AgentTlsTest, SighupLoadsARenewedCertificateAndKeepsTheOldOneWhenBroken) {
  InstallCert("ca-a");
  StartTlsAgent();
  const std::string cfg_a = WriteConfig(HttpsVantage(CaFile("ca-a", "ca.pem")));
  ASSERT_EQ(Check(cfg_a)["vantage_points"][0]["reachable"], true);

  // Renewed, by another CA so that the change is visible: callers trusting only it get in.
  InstallCert("ca-b");
  ASSERT_EQ(kill(agent_.pid(), SIGHUP), 0);
  ASSERT_TRUE(WaitForLogText(AgentLogPath(), "SIGHUP: reloaded TLS certificate")) << AgentLog();
  const std::string cfg_b = WriteConfig(HttpsVantage(CaFile("ca-b", "ca.pem")), "b.yaml");
  EXPECT_EQ(Check(cfg_b)["vantage_points"][0]["reachable"], true) << AgentLog();
  EXPECT_EQ(Check(cfg_a)["vantage_points"][0]["reachable"], false)
      << "new connections use the renewed certificate";

  // A broken pair (the key of another certificate): logged, and the current one stays.
  fs::copy_file(CaFile("ca-a", "valid.key"), dir_.File("agent.key"),
                fs::copy_options::overwrite_existing);
  ASSERT_EQ(kill(agent_.pid(), SIGHUP), 0);
  ASSERT_TRUE(WaitForLogText(AgentLogPath(), "SIGHUP: keeping the current certificate"))
      << AgentLog();
  EXPECT_NE(AgentLog().find("does not match certificate"), std::string::npos) << AgentLog();
  EXPECT_TRUE(agent_.Running());
  EXPECT_EQ(Check(cfg_b)["vantage_points"][0]["reachable"], true) << AgentLog();
  EXPECT_EQ(Count(AgentLog(), "SIGHUP: reloaded"), 1u) << AgentLog();
}

TEST_F(AgentTlsTest, AgentRefusesToStartWithoutTlsUnlessAskedForPlainHttp) {
  auto r = RunLifeline({"agent", "--listen", "127.0.0.1:" + std::to_string(testing::FreePort()),
                        "--token-file", token_file_, "--config", agent_cfg_});
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("give --tls-cert FILE --tls-key FILE"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--insecure-http"), std::string::npos) << r.out;

  auto half = RunLifeline({"agent", "--listen", "127.0.0.1:" + std::to_string(testing::FreePort()),
                           "--token-file", token_file_, "--tls-cert", CaFile("ca-a", "valid.pem")});
  EXPECT_EQ(half.code, 2) << half.out;
  EXPECT_NE(half.out.find("give both --tls-cert FILE and --tls-key FILE"), std::string::npos)
      << half.out;

  auto mismatched =
      RunLifeline({"agent", "--listen", "127.0.0.1:" + std::to_string(testing::FreePort()),
                   "--token-file", token_file_, "--tls-cert", CaFile("ca-a", "valid.pem"),
                   "--tls-key", CaFile("ca-b", "valid.key")});
  EXPECT_EQ(mismatched.code, 2) << mismatched.out;
  EXPECT_NE(mismatched.out.find("does not match certificate"), std::string::npos) << mismatched.out;
}

TEST_F(AgentTlsTest, PlainHttpOnlyWhenTheAgentAndTheVantagePointBothSaySo) {
  StartAgent({"--insecure-http"});
  EXPECT_TRUE(WaitForLogText(AgentLogPath(), "serving plain HTTP (--insecure-http)")) << AgentLog();
  const std::string entry = "  - name: loop-a\n    url: http://127.0.0.1:" + std::to_string(port_) +
                            "\n    token_file: " + token_file_ + "\n";
  auto refused = RunLifeline({"check", "localgram", "--config", WriteConfig(entry), "--json"});
  EXPECT_EQ(refused.code, 2) << refused.out;
  EXPECT_NE(refused.out.find("lifeline.yaml:9: vantage_points[0].url: vantage point 'loop-a' uses "
                             "plain http"),
            std::string::npos)
      << refused.out;
  EXPECT_NE(refused.out.find("insecure_http: true"), std::string::npos) << refused.out;

  json j = Check(WriteConfig(entry + "    insecure_http: true\n"));
  EXPECT_EQ(j["vantage_points"][0]["reachable"], true) << j.dump(2);
  EXPECT_EQ(FindPlatform(j, "deadgram")->at("verdict"), "outage") << j.dump(2);
}

}  // namespace
}  // namespace lifeline
