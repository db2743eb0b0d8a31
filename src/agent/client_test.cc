// Tests for QueryVantage: against a real agent server on loopback (probes answered by a fake),
// against a dead port, a silent server and agents that answer nonsense.
#include "agent/client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/post.hpp>
#include <filesystem>
#include <fstream>
#include <thread>

#include "agent/server.h"
#include "agent/test_util.h"
#include "core/json.h"

namespace lifeline::agent {
namespace {

using namespace testing;  // NOLINT: the agent's test doubles
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kToken[] = "vantage-token-42";

std::string WriteTokenFile(const std::string& name, const std::string& content) {
  auto path = std::filesystem::temp_directory_path() /
              fmt::format("lifeline-client-test-{}-{}", ::getpid(), name);
  std::ofstream(path) << content;
  return path.string();
}

std::vector<core::ProbeSpec> Targets() {
  core::ProbeSpec web;
  web.id = "web";
  web.url = "https://www.instagram.test/";
  core::ProbeSpec dns;
  dns.id = "dns";
  dns.kind = core::ProbeKind::kDns;
  dns.host = "www.instagram.test";
  return {web, dns};
}

// Runs one QueryVantage on a private event loop with a FakeProber for the HTTP exchange.
VantageReply Query(const core::VantagePoint& vp, const std::vector<core::ProbeSpec>& targets,
                   std::chrono::milliseconds probe_timeout = std::chrono::milliseconds(2000),
                   std::chrono::milliseconds exchange_timeout = std::chrono::milliseconds(3000)) {
  asio::io_context io;
  FakeProber prober;
  VantageReply reply;
  asio::co_spawn(io, QueryVantage(prober, vp, targets, probe_timeout, exchange_timeout),
                 [&](std::exception_ptr e, VantageReply r) {
                   if (e) std::rethrow_exception(e);
                   reply = std::move(r);
                 });
  io.run();
  return reply;
}

// A real agent on 127.0.0.1:0 answering through a FakeProber.
class AgentFixture {
 public:
  AgentFixture() {
    ServerOptions options;
    options.name = "agent-reported-name";
    options.region = "eu";
    options.token = kToken;
    options.max_targets = 10;
    options.inspect_network = [] { return probe::LocalNetwork{{"eth0"}, true}; };
    config::Config config;
    core::ProbeSpec control;
    control.id = "control";
    control.url = "https://control.test/";
    config.control = {control};
    server_ = std::make_unique<AgentServer>(
        io_, config,
        [this](std::chrono::milliseconds timeout) {
          timeout_ = timeout;
          return core::Result<std::shared_ptr<probe::Prober>>(
              std::make_shared<ForwardingProber>(prober_));
        },
        options);
    EXPECT_TRUE(server_->Listen({asio::ip::make_address("127.0.0.1"), 0}).ok());
    server_->Start();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~AgentFixture() {
    asio::post(io_, [this] { server_->Stop(); });
    thread_.join();
  }
  std::string url() const {
    return fmt::format("http://127.0.0.1:{}/", server_->endpoint().port());
  }

  asio::io_context io_;
  FakeProber prober_;
  std::chrono::milliseconds timeout_{0};
  std::unique_ptr<AgentServer> server_;
  std::thread thread_;
};

TEST(QueryVantageTest, ReadsResultsFromARealAgent) {
  AgentFixture agent;
  agent.prober_.answer = [](const core::ProbeSpec& spec) {
    if (spec.id == "dns") return FailedResult(spec, core::Layer::kDns, core::detail::kServfail);
    return HealthyResult(spec);
  };
  core::VantagePoint vp{"eu-west", "", agent.url(),
                        WriteTokenFile("ok", std::string(kToken) + "\n")};
  VantageReply reply = Query(vp, Targets(), std::chrono::milliseconds(1800));
  ASSERT_TRUE(reply.reachable) << reply.error;
  EXPECT_EQ(reply.name, "eu-west");
  EXPECT_EQ(reply.region, "eu");  // none configured: the agent's own
  EXPECT_EQ(reply.agent_version, kAgentVersion);
  EXPECT_EQ(reply.connectivity, core::Connectivity::kOk);
  EXPECT_FALSE(reply.evidence.empty());
  ASSERT_EQ(reply.results.size(), 2u);
  EXPECT_EQ(reply.results[0].probe_id, "web");
  EXPECT_TRUE(reply.results[0].ok);
  EXPECT_EQ(reply.results[1].probe_id, "dns");
  EXPECT_FALSE(reply.results[1].ok);
  EXPECT_EQ(reply.results[1].detail, "servfail");
  for (const auto& r : reply.results) EXPECT_EQ(r.from, "eu-west");
  ASSERT_TRUE(reply.rtt_ms.has_value());
  EXPECT_GE(*reply.rtt_ms, 0.0);
  EXPECT_EQ(agent.timeout_, std::chrono::milliseconds(1800));  // asked per-probe timeout
}

TEST(QueryVantageTest, OneTimeoutLeavesTheAgentRoomToAnswer) {
  AgentFixture agent;
  core::VantagePoint vp{"eu-west", "eu", agent.url(), WriteTokenFile("one", kToken)};
  asio::io_context io;
  FakeProber prober;
  VantageReply reply;
  asio::co_spawn(io, QueryVantage(prober, vp, Targets(), std::chrono::milliseconds(5000)),
                 [&](std::exception_ptr e, VantageReply r) {
                   if (e) std::rethrow_exception(e);
                   reply = std::move(r);
                 });
  io.run();
  ASSERT_TRUE(reply.reachable) << reply.error;
  EXPECT_EQ(agent.timeout_, std::chrono::milliseconds(4000));
}

TEST(QueryVantageTest, WrongTokenIsUnreachableWith401) {
  AgentFixture agent;
  core::VantagePoint vp{"eu-west", "eu", agent.url(), WriteTokenFile("bad", "not-the-token\n")};
  VantageReply reply = Query(vp, Targets());
  EXPECT_FALSE(reply.reachable);
  EXPECT_EQ(reply.error, agent.url() + "v1/probe: HTTP 401: invalid token");
  EXPECT_EQ(reply.failure, "unauthorized");
  EXPECT_TRUE(reply.results.empty());
}

TEST(QueryVantageTest, AgentRefusalCarriesItsMessage) {
  AgentFixture agent;
  core::VantagePoint vp{"eu-west", "eu", agent.url(), WriteTokenFile("many", kToken)};
  std::vector<core::ProbeSpec> many(11, Targets()[0]);
  VantageReply reply = Query(vp, many);
  EXPECT_FALSE(reply.reachable);
  EXPECT_THAT(reply.error, HasSubstr("HTTP 413: 11 targets is more than this agent's limit of 10"));
}

TEST(QueryVantageTest, MissingTokenFileIsUnreachableWithoutTraffic) {
  core::VantagePoint vp{"eu-west", "eu", "http://127.0.0.1:9/", "/nonexistent/eu.token"};
  VantageReply reply = Query(vp, Targets());
  EXPECT_FALSE(reply.reachable);
  EXPECT_EQ(reply.error, "cannot read token file /nonexistent/eu.token: No such file or directory");
  EXPECT_EQ(reply.failure, "token_file");
  EXPECT_FALSE(reply.rtt_ms.has_value());
}

TEST(QueryVantageTest, AgentDownIsConnectionRefused) {
  asio::io_context io;
  tcp::acceptor probe_port(io, {asio::ip::make_address("127.0.0.1"), 0});
  const auto port = probe_port.local_endpoint().port();
  probe_port.close();  // nothing listens there now
  core::VantagePoint vp{"eu-west", "eu", fmt::format("http://127.0.0.1:{}", port),
                        WriteTokenFile("down", kToken)};
  VantageReply reply = Query(vp, Targets());
  EXPECT_FALSE(reply.reachable);
  EXPECT_THAT(reply.error,
              StartsWith(fmt::format("http://127.0.0.1:{}/v1/probe: connection refused", port)));
  EXPECT_EQ(reply.failure, "refused");
}

TEST(QueryVantageTest, SilentAgentIsATimeout) {
  asio::io_context io;
  tcp::acceptor silent(io, {asio::ip::make_address("127.0.0.1"), 0});  // accepts, never answers
  core::VantagePoint vp{"eu-west", "eu",
                        fmt::format("http://127.0.0.1:{}", silent.local_endpoint().port()),
                        WriteTokenFile("silent", kToken)};
  const auto start = std::chrono::steady_clock::now();
  VantageReply reply =
      Query(vp, Targets(), std::chrono::milliseconds(200), std::chrono::milliseconds(300));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  EXPECT_FALSE(reply.reachable);
  EXPECT_THAT(reply.error, StartsWith(vp.url + "/v1/probe: timeout ("));
  EXPECT_EQ(reply.failure, "timeout");
}

// The same exchanges through the real prober's Fetch, as `lifeline check` makes them.
VantageReply QueryWithRealProber(const core::VantagePoint& vp,
                                 std::chrono::milliseconds exchange_timeout) {
  asio::io_context io;
  auto prober = probe::CreateProber(io, probe::Options{});
  EXPECT_TRUE(prober.ok()) << prober.error().ToString();
  if (!prober.ok()) return {};
  VantageReply reply;
  asio::co_spawn(io,
                 QueryVantage(**prober, vp, Targets(), exchange_timeout - exchange_timeout / 5,
                              exchange_timeout),
                 [&](std::exception_ptr e, VantageReply r) {
                   if (e) std::rethrow_exception(e);
                   reply = std::move(r);
                 });
  io.run();
  return reply;
}

TEST(QueryVantageRealProberTest, ReadsResultsFromARealAgent) {
  AgentFixture agent;
  core::VantagePoint vp{"eu-west", "eu", agent.url(), WriteTokenFile("real-ok", kToken)};
  VantageReply reply = QueryWithRealProber(vp, std::chrono::milliseconds(3000));
  ASSERT_TRUE(reply.reachable) << reply.error;
  EXPECT_EQ(reply.failure, "");
  ASSERT_TRUE(reply.connect_ms.has_value()) << "the network round trip, apart from the probing";
  EXPECT_LE(*reply.connect_ms, *reply.rtt_ms);
  ASSERT_EQ(reply.results.size(), 2u);
  EXPECT_EQ(reply.results[0].from, "eu-west");
  EXPECT_EQ(reply.results[1].probe_id, "dns");
}

TEST(QueryVantageRealProberTest, WrongTokenMentions401) {
  AgentFixture agent;
  core::VantagePoint vp{"eu-west", "eu", agent.url(), WriteTokenFile("real-bad", "nope")};
  VantageReply reply = QueryWithRealProber(vp, std::chrono::milliseconds(3000));
  EXPECT_FALSE(reply.reachable);
  EXPECT_THAT(reply.error, HasSubstr("HTTP 401: invalid token"));
  EXPECT_EQ(reply.failure, "unauthorized");
}

TEST(QueryVantageRealProberTest, AgentDownIsConnectionRefused) {
  asio::io_context io;
  tcp::acceptor probe_port(io, {asio::ip::make_address("127.0.0.1"), 0});
  const auto port = probe_port.local_endpoint().port();
  probe_port.close();
  core::VantagePoint vp{"eu-west", "eu", fmt::format("http://127.0.0.1:{}", port),
                        WriteTokenFile("real-down", kToken)};
  VantageReply reply = QueryWithRealProber(vp, std::chrono::milliseconds(3000));
  EXPECT_FALSE(reply.reachable);
  EXPECT_THAT(reply.error, HasSubstr("connection refused"));
}

TEST(QueryVantageRealProberTest, SilentAgentIsATimeout) {
  asio::io_context io;
  tcp::acceptor silent(io, {asio::ip::make_address("127.0.0.1"), 0});
  core::VantagePoint vp{"eu-west", "eu",
                        fmt::format("http://127.0.0.1:{}", silent.local_endpoint().port()),
                        WriteTokenFile("real-silent", kToken)};
  const auto start = std::chrono::steady_clock::now();
  VantageReply reply = QueryWithRealProber(vp, std::chrono::milliseconds(400));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  EXPECT_FALSE(reply.reachable);
  EXPECT_THAT(reply.error, StartsWith(vp.url + "/v1/probe: timeout ("));
  EXPECT_THAT(reply.error, HasSubstr("400 ms"));
}

// An "agent" that answers every request with a canned status and body.
class CannedAgent {
 public:
  CannedAgent(int status, std::string body)
      : acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}) {
    thread_ = std::thread([this, status, body] {
      beast::error_code ec;
      tcp::socket socket(io_);
      acceptor_.accept(socket, ec);
      if (ec) return;
      beast::flat_buffer buffer;
      http::request<http::string_body> req;
      http::read(socket, buffer, req, ec);
      http::response<http::string_body> res{static_cast<http::status>(status), 11};
      res.body() = body;
      res.prepare_payload();
      http::write(socket, res, ec);
      socket.shutdown(tcp::socket::shutdown_both, ec);
    });
  }
  ~CannedAgent() { thread_.join(); }
  std::string url() const {
    return fmt::format("http://127.0.0.1:{}", acceptor_.local_endpoint().port());
  }

 private:
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::thread thread_;
};

std::string ResultJson(const std::string& id) {
  core::ProbeResult r;
  r.probe_id = id;
  r.ok = true;
  return core::ToJson(r).dump();
}

TEST(QueryVantageTest, BrokenAnswersAreUnreachableWithTheReason) {
  const std::string observer = R"("observer": {"connectivity": "ok", "evidence": []})";
  struct Case {
    int status;
    std::string body;
    std::string error;
  };
  const Case cases[] = {
      {200, "<html>hello</html>", "answer is not JSON"},
      {200, "[]", "answer is not a JSON object"},
      {200, R"({"results": []})", "answer has no 'observer' object"},
      {200, R"({"observer": {"connectivity": "great"}, "results": []})",
       "answer's observer.connectivity 'great' is not one of ok, local_dns, local_network, "
       "no_network"},
      {200, "{" + observer + "}", "answer has no 'results' array"},
      {200, "{" + observer + R"(, "results": [)" + ResultJson("web") + "]}",
       "answer has 1 results for 2 targets"},
      {200,
       "{" + observer + R"(, "results": [)" + ResultJson("dns") + "," + ResultJson("web") + "]}",
       "answer's results[0] is for probe 'dns', expected 'web'"},
      {200,
       "{" + observer + R"(, "results": [)" + ResultJson("web") +
           R"(, {"id": "dns", "ok": "yes"}]})",
       "answer's results[1]: field 'ok' has the wrong type (string)"},
      {502, "<html>Bad Gateway</html>", "HTTP 502: <html>Bad Gateway</html>"},
  };
  for (const Case& c : cases) {
    CannedAgent agent(c.status, c.body);
    core::VantagePoint vp{"eu-west", "eu", agent.url(), WriteTokenFile("canned", kToken)};
    VantageReply reply = Query(vp, Targets());
    EXPECT_FALSE(reply.reachable) << c.body;
    EXPECT_EQ(reply.error, agent.url() + "/v1/probe: " + c.error) << c.body;
    EXPECT_EQ(reply.failure, c.status == 200 ? "bad_answer" : "http_status") << c.body;
    EXPECT_TRUE(reply.results.empty());
  }
}

}  // namespace
}  // namespace lifeline::agent
