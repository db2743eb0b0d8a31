// Tests for the agent's HTTP server, driven by a real Beast client over loopback against a server
// whose probes are answered by a fake Prober: the protocol's answers, limits and lifecycle.
#include "agent/server.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/post.hpp>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include "agent/test_util.h"

namespace lifeline::agent {
namespace {

using namespace testing;  // NOLINT: the agent's test doubles
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kToken[] = "s3cret-Token-0123456789";

config::Config TestConfig() {
  config::Config c;
  core::ProbeSpec a;
  a.id = "control-a";
  a.url = "https://control-a.test/";
  core::ProbeSpec b;
  b.id = "control-b";
  b.url = "https://control-b.test/generate_204";
  c.control = {a, b};
  c.resolvers = {"198.51.100.53"};
  return c;
}

json Target(std::string id, std::string url) {
  return {{"id", std::move(id)}, {"kind", "http"}, {"url", std::move(url)}};
}

std::string ProbeBody(const json& targets, int timeout_ms = 3000) {
  return json{{"targets", targets}, {"timeout_ms", timeout_ms}}.dump();
}

std::vector<std::pair<std::string, std::string>> Auth(std::string token = kToken) {
  return {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}};
}

// An agent on 127.0.0.1:0 with its event loop on a background thread.
class AgentServerTest : public ::testing::Test {
 protected:
  void SetUp() override { StartServer(); }

  void StartServer() {
    ServerOptions options;
    options.name = "eu-west";
    options.region = "eu";
    options.token = kToken;
    options.max_request_bytes = 4096;
    options.max_targets = 3;
    options.header_timeout = std::chrono::milliseconds(300);
    options.body_timeout = std::chrono::milliseconds(500);
    options.inspect_network = [] { return probe::LocalNetwork{{"eth0"}, true}; };
    options.address_policy = policy_;
    options.own_addresses = [this] {
      std::lock_guard lock(own_mu_);
      return own_;
    };
    options.log = [this](std::string_view line) {
      std::lock_guard lock(log_mu_);
      log_.emplace_back(line);
    };
    ProberFactory factory = [this](std::chrono::milliseconds timeout) {
      timeouts_.push_back(timeout);
      return core::Result<std::shared_ptr<probe::Prober>>(
          std::make_shared<ForwardingProber>(prober_));
    };
    server_ = std::make_unique<AgentServer>(io_, TestConfig(), factory, options);
    auto listening = server_->Listen({asio::ip::make_address("127.0.0.1"), 0});
    ASSERT_TRUE(listening.ok()) << listening.error().ToString();
    endpoint_ = server_->endpoint();
    server_->Start();
    thread_ = std::thread([this] { io_.run(); });
  }

  void TearDown() override {
    if (thread_.joinable()) {
      asio::post(io_, [this] { server_->Stop(); });
      thread_.join();
    }
  }

  HttpAnswer Post(const std::string& body,
                  const std::vector<std::pair<std::string, std::string>>& headers = Auth()) {
    return Send(endpoint_, http::verb::post, "/v1/probe", body, headers);
  }

  std::string Log() {
    std::lock_guard lock(log_mu_);
    std::string all;
    for (const auto& line : log_) all += line + "\n";
    return all;
  }

  asio::io_context io_;
  std::shared_ptr<core::AddressPolicy> policy_;  // null: no address checks
  std::mutex own_mu_;                            // guards own_
  std::vector<core::IpAddress> own_;             // "this machine's" addresses
  FakeProber prober_;
  std::vector<std::chrono::milliseconds> timeouts_;  // written on the io thread before answering
  std::unique_ptr<AgentServer> server_;
  tcp::endpoint endpoint_;
  std::thread thread_;
  std::mutex log_mu_;
  std::vector<std::string> log_;
};

TEST_F(AgentServerTest, ProbeAnswersResultsInTargetOrderFromTheAgent) {
  json targets =
      json::array({Target("web", "https://www.instagram.test/"),
                   {{"id", "dns"}, {"kind", "dns"}, {"host", "instagram.test"}},
                   {{"id", "chat"}, {"kind", "tcp"}, {"host", "chat.test"}, {"port", 5222}}});
  HttpAnswer a = Post(ProbeBody(targets, 2500));
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.headers[http::field::content_type], "application/json");
  EXPECT_EQ(a.doc["agent"]["name"], "eu-west");
  EXPECT_EQ(a.doc["agent"]["region"], "eu");
  EXPECT_EQ(a.doc["agent"]["version"], kAgentVersion);
  EXPECT_TRUE(a.doc["elapsed_ms"].is_number());
  const json& results = a.doc["results"];
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0]["id"], "web");
  EXPECT_EQ(results[0]["target"], "https://www.instagram.test/");
  EXPECT_EQ(results[1]["id"], "dns");
  EXPECT_EQ(results[2]["id"], "chat");
  EXPECT_EQ(results[2]["target"], "tcp:chat.test:5222");
  for (const json& r : results) {
    EXPECT_EQ(r["from"], "eu-west");
    EXPECT_EQ(r["ok"], true);
  }
  EXPECT_EQ(a.doc["observer"]["connectivity"], "ok");
  EXPECT_THAT(a.doc["observer"]["evidence"].dump(), HasSubstr("2 of 2 control sites load"));

  // One Run held the targets first, then the observer check, concurrently.
  auto runs = prober_.Runs();
  ASSERT_EQ(runs.size(), 1u);
  std::vector<std::string> ids;
  for (const auto& spec : runs[0]) ids.push_back(spec.id);
  EXPECT_THAT(ids, ElementsAre("web", "dns", "chat", "control-a", "control-b", "dns:control-a.test",
                               "dns:control-b.test", "dns:control-a.test@198.51.100.53",
                               "dns:control-b.test@198.51.100.53"));
  EXPECT_THAT(timeouts_, ElementsAre(std::chrono::milliseconds(2500)));
}

TEST_F(AgentServerTest, FailingControlSitesMakeTheAgentReportItsOwnConnection) {
  prober_.answer = [](const core::ProbeSpec& spec) {
    if (spec.id.starts_with("control-")) {
      return FailedResult(spec, core::Layer::kTcp, core::detail::kTimeout);
    }
    return HealthyResult(spec);
  };
  HttpAnswer a = Post(ProbeBody(json::array({Target("web", "https://x.test/")})));
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.doc["observer"]["connectivity"], "local_network");
  EXPECT_EQ(a.doc["results"][0]["ok"], true);
}

TEST_F(AgentServerTest, TargetFailuresComeBackAsData) {
  prober_.answer = [](const core::ProbeSpec& spec) {
    if (spec.id == "web") return FailedResult(spec, core::Layer::kDns, core::detail::kServfail);
    return HealthyResult(spec);
  };
  HttpAnswer a = Post(ProbeBody(json::array({Target("web", "https://x.test/")})));
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.doc["results"][0]["ok"], false);
  EXPECT_EQ(a.doc["results"][0]["layer"], "dns");
  EXPECT_EQ(a.doc["results"][0]["detail"], "servfail");
}

TEST_F(AgentServerTest, NoTimeoutMeansTheAgentsDefault) {
  HttpAnswer a = Post(json{{"targets", json::array()}}.dump());
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_TRUE(a.doc["results"].empty());
  EXPECT_THAT(timeouts_, ElementsAre(std::chrono::milliseconds(5000)));
}

TEST_F(AgentServerTest, MissingOrWrongTokenIs401AndRunsNothing) {
  const std::string body = ProbeBody(json::array({Target("web", "https://x.test/")}));
  std::string same_length(sizeof(kToken) - 1, 'x');
  const std::vector<std::vector<std::pair<std::string, std::string>>> bad = {
      {},                                                   // no header
      Auth(same_length),                                    // wrong, same length
      Auth("s3cret"),                                       // a prefix of the token
      Auth(std::string(kToken) + "0"),                      // the token plus one byte
      {{"Authorization", std::string("Basic ") + kToken}},  // another scheme
  };
  for (const auto& headers : bad) {
    HttpAnswer a = Post(body, headers);
    EXPECT_EQ(a.status, 401) << a.body;
    EXPECT_EQ(a.doc["error"]["code"], "unauthenticated");
    EXPECT_EQ(a.headers[http::field::www_authenticate], "Bearer");
  }
  EXPECT_TRUE(prober_.Runs().empty());
  EXPECT_EQ(Post(body, Auth()).status, 200);
  // The scheme is case-insensitive (RFC 7235).
  EXPECT_EQ(Post(body, {{"Authorization", std::string("bearer ") + kToken}}).status, 200);
  EXPECT_THAT(Log(), Not(HasSubstr(kToken)));
  EXPECT_THAT(Log(), HasSubstr("POST /v1/probe 401"));
}

TEST_F(AgentServerTest, MalformedJsonIs400NamingTheProblem) {
  HttpAnswer a = Post(R"({"targets": [{"id": "web", "url": "https://x.test/"},]})");
  EXPECT_EQ(a.status, 400);
  EXPECT_EQ(a.doc["error"]["code"], "invalid_argument");
  EXPECT_THAT(a.doc["error"]["message"].get<std::string>(),
              StartsWith("malformed JSON: parse error at line 1, column 54: syntax error while "
                         "parsing value - unexpected ']'"));
}

// Found by fuzz/agent_fuzz.cc (its crash input, verbatim): a number past a double's range threw
// nlohmann's out_of_range, which the handler did not catch, and the request got no answer.
TEST_F(AgentServerTest, NumberTooLargeIsMalformedJson) {
  const std::string crash(
      "2220000000E000000000000000000017830657899684750221o\xff\xff\xff"
      "c22}]}");
  HttpAnswer a = Post(crash);
  EXPECT_EQ(a.status, 400);
  EXPECT_THAT(a.doc["error"]["message"].get<std::string>(),
              StartsWith("malformed JSON: number overflow parsing '2220000000E"));
  a = Post(R"({"targets": [], "timeout_ms": 1e400})");
  EXPECT_EQ(a.status, 400);
  EXPECT_EQ(a.doc["error"]["code"], "invalid_argument");
}

TEST_F(AgentServerTest, BadRequestsAre400WithTheReason) {
  struct Case {
    std::string body;
    std::string message;
  };
  const Case cases[] = {
      {"[1]", "the body must be a JSON object with 'targets', not array"},
      {R"({"timeout_ms": 100})", "field 'targets' is missing"},
      {R"({"targets": {"id": "web"}})", "field 'targets' must be an array, not object"},
      {ProbeBody(json::array({Target("a", "https://a.test/"),
                              Target("b", "https://b.test/"),
                              {{"id", "c"}, {"kind", "http"}, {"url", 42}}})),
       "targets[2]: field 'url' has the wrong type (number)"},
      {ProbeBody(json::array({{{"id", "d"}, {"kind", "smtp"}, {"host", "mx.test"}}})),
       "targets[0]: field 'kind': 'smtp' is not one of dns, tcp, http"},
      {ProbeBody(json::array({{{"id", "d"}, {"kind", "dns"}}})),
       "targets[0]: a dns target needs 'host'"},
      {ProbeBody(json::array({Target("f", "ftp://x.test/")})),
       "targets[0]: field 'url' must start with http:// or https://"},
      {ProbeBody(json::array(), 0), "field 'timeout_ms' must be an integer from 1 to 60000, not 0"},
      {R"({"targets": [], "timeout_ms": "5s"})",
       "field 'timeout_ms' must be an integer from 1 to 60000, not \"5s\""},
  };
  for (const Case& c : cases) {
    HttpAnswer a = Post(c.body);
    EXPECT_EQ(a.status, 400) << c.body;
    EXPECT_EQ(a.doc["error"]["message"], c.message) << c.body;
  }
  EXPECT_TRUE(prober_.Runs().empty());
}

// The agent's address policy on targets that name an address: refused before anything runs. The
// Prober here is a fake, so nothing is sent anywhere whatever the outcome.
class AgentAddressPolicyTest : public AgentServerTest {
 protected:
  void SetUp() override {
    policy_ = std::make_shared<core::AddressPolicy>(
        std::vector<core::Cidr>{*core::ParseCidr("10.20.0.0/16")}, std::string(kAddressRule));
    own_ = {*core::IpAddress::Parse("8.8.4.4")};
    StartServer();
  }
};

json Tcp(std::string id, std::string host, int port) {
  return {{"id", std::move(id)}, {"kind", "tcp"}, {"host", std::move(host)}, {"port", port}};
}

TEST_F(AgentAddressPolicyTest, TargetsAtRefusedAddressesAre400NamingThem) {
  struct Case {
    json targets;
    std::string message;
  };
  const std::string rule = "; agents probe public hosts only (agent.allow_private)";
  const Case cases[] = {
      {json::array(
           {Target("web", "https://www.instagram.test/"), Tcp("meta", "169.254.169.254", 80)}),
       "targets[1]: 169.254.169.254 is a link-local address" + rule},
      {json::array({Target("self", "http://127.0.0.1:18089/healthz")}),
       "targets[0]: 127.0.0.1 is a loopback address" + rule},
      {json::array({Target("lan", "https://10.1.2.3/")}),
       "targets[0]: 10.1.2.3 is a private address" + rule},
      {json::array({Target("ula", "http://[fd00::1]:8080/")}),
       "targets[0]: fd00::1 is a unique-local (private IPv6) address" + rule},
      {json::array({Target("v6", "http://[::1]/")}),
       "targets[0]: ::1 is a loopback address" + rule},
      {json::array({Target("mapped", "http://[::ffff:169.254.169.254]/latest/meta-data/")}),
       "targets[0]: ::ffff:169.254.169.254 is a link-local address (it stands for "
       "169.254.169.254)" +
           rule},
      {json::array({Target("cgnat", "http://100.64.1.1/")}),
       "targets[0]: 100.64.1.1 is a carrier-grade NAT address (100.64.0.0/10)" + rule},
      {json::array({Tcp("any", "0.0.0.0", 22)}),
       "targets[0]: 0.0.0.0 is the unspecified address" + rule},
      {json::array({Tcp("own", "8.8.4.4", 22)}),
       "targets[0]: 8.8.4.4 is this machine's own address" + rule},
      {json::array(
           {{{"id", "dns"}, {"kind", "dns"}, {"host", "x.test"}, {"resolver", "192.168.1.1:53"}}}),
       "targets[0]: 192.168.1.1 is a private address" + rule},
      {json::array(
           {{{"id", "dns"}, {"kind", "dns"}, {"host", "x.test"}, {"resolver", "[fe80::1]:53"}}}),
       "targets[0]: fe80::1 is a link-local address" + rule},
  };
  for (const Case& c : cases) {
    HttpAnswer a = Post(ProbeBody(c.targets));
    EXPECT_EQ(a.status, 400) << c.targets.dump();
    EXPECT_EQ(a.doc["error"]["code"], "invalid_argument");
    EXPECT_EQ(a.doc["error"]["message"], c.message) << c.targets.dump();
  }
  EXPECT_TRUE(prober_.Runs().empty());
}

TEST_F(AgentAddressPolicyTest, AllowedRangesAndNamesGoToTheProber) {
  // An allowed range, public addresses and names: names (and redirects) are the Prober's to check
  // once resolved, with the same policy.
  json targets =
      json::array({Target("intranet", "https://10.20.30.40/"),
                   Tcp("chat", "chat.instagram.test", 5222),
                   {{"id", "dns"}, {"kind", "dns"}, {"host", "x.test"}, {"resolver", "1.1.1.1"}}});
  HttpAnswer a = Post(ProbeBody(targets));
  ASSERT_EQ(a.status, 200) << a.body;
  auto runs = prober_.Runs();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0][0].url, "https://10.20.30.40/");
  EXPECT_EQ(runs[0][1].host, "chat.instagram.test");
}

TEST_F(AgentAddressPolicyTest, OwnAddressesAreReadAgainForEachRequest) {
  const std::string body = ProbeBody(json::array({Tcp("own", "8.8.4.4", 22)}));
  EXPECT_EQ(Post(body).status, 400);
  {
    std::lock_guard lock(own_mu_);
    own_.clear();  // the machine was given another address
  }
  EXPECT_EQ(Post(body).status, 200);
}

TEST_F(AgentServerTest, TooManyTargetsIs413) {
  json targets = json::array();
  for (int i = 0; i < 4; ++i) targets.push_back(Target("t" + std::to_string(i), "https://x.test/"));
  HttpAnswer a = Post(ProbeBody(targets));
  EXPECT_EQ(a.status, 413);
  EXPECT_EQ(a.doc["error"]["code"], "resource_exhausted");
  EXPECT_EQ(a.doc["error"]["message"], "4 targets is more than this agent's limit of 3");
  EXPECT_TRUE(prober_.Runs().empty());
}

TEST_F(AgentServerTest, OversizedBodyIs413WithContentLength) {
  std::string body =
      ProbeBody(json::array({Target("web", "https://x.test/" + std::string(5000, 'a'))}));
  HttpAnswer a = Post(body);
  EXPECT_EQ(a.status, 413);
  EXPECT_THAT(a.doc["error"]["message"].get<std::string>(),
              HasSubstr("is over this agent's limit of 4096 bytes"));
  EXPECT_FALSE(a.keep_alive);
}

TEST_F(AgentServerTest, DeclaredSizeIsRefusedBeforeTheBodyIsSent) {
  // Only the header: a server that waited for 100 MB would never answer.
  asio::io_context io;
  beast::tcp_stream stream(io);
  stream.connect(endpoint_);
  std::string head = std::string("POST /v1/probe HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer ") +
                     kToken + "\r\nContent-Length: 100000000\r\n\r\n";
  asio::write(stream, asio::buffer(head));
  beast::flat_buffer buffer;
  HttpAnswer a = ReadAnswer(stream, buffer);
  EXPECT_EQ(a.status, 413);
  EXPECT_EQ(a.doc["error"]["message"],
            "the body (100000000 bytes) is over this agent's limit of 4096 bytes");
}

TEST_F(AgentServerTest, OversizedChunkedBodyIs413WithoutContentLength) {
  std::string body =
      ProbeBody(json::array({Target("web", "https://x.test/" + std::string(5000, 'a'))}));
  HttpAnswer a = Send(endpoint_, http::verb::post, "/v1/probe", body, Auth(), /*chunked=*/true);
  EXPECT_EQ(a.status, 413);
  EXPECT_EQ(a.doc["error"]["message"], "the body is over this agent's limit of 4096 bytes");
  // A small chunked body is fine.
  HttpAnswer ok = Send(endpoint_, http::verb::post, "/v1/probe",
                       ProbeBody(json::array({Target("web", "https://x.test/")})), Auth(), true);
  EXPECT_EQ(ok.status, 200) << ok.body;
}

TEST_F(AgentServerTest, WrongMethodIs405AndUnknownPathIs404) {
  HttpAnswer get = Send(endpoint_, http::verb::get, "/v1/probe", "", Auth());
  EXPECT_EQ(get.status, 405);
  EXPECT_EQ(get.headers[http::field::allow], "POST");
  EXPECT_EQ(get.doc["error"]["code"], "method_not_allowed");
  HttpAnswer post_health = Send(endpoint_, http::verb::post, "/healthz", "{}");
  EXPECT_EQ(post_health.status, 405);
  EXPECT_EQ(post_health.headers[http::field::allow], "GET");
  HttpAnswer missing = Send(endpoint_, http::verb::post, "/v2/probe", "{}", Auth());
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.doc["error"]["code"], "not_found");
}

TEST_F(AgentServerTest, HealthzNeedsNoToken) {
  HttpAnswer a = Send(endpoint_, http::verb::get, "/healthz");
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.doc, json({{"status", "ok"}, {"version", kAgentVersion}}));
}

TEST_F(AgentServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  stream.connect(endpoint_);
  beast::flat_buffer buffer;
  for (int i = 0; i < 3; ++i) {
    http::request<http::string_body> req{http::verb::post, "/v1/probe", 11};
    req.set(http::field::host, "a");
    req.set(http::field::authorization, std::string("Bearer ") + kToken);
    req.body() = ProbeBody(json::array({Target("web" + std::to_string(i), "https://x.test/")}));
    req.prepare_payload();
    http::write(stream, req);
    HttpAnswer a = ReadAnswer(stream, buffer);
    ASSERT_EQ(a.status, 200) << a.body;
    EXPECT_TRUE(a.keep_alive);
    EXPECT_EQ(a.doc["results"][0]["id"], "web" + std::to_string(i));
  }
  // A refused request on the same connection does not end it either.
  http::request<http::string_body> health{http::verb::get, "/healthz", 11};
  health.set(http::field::host, "a");
  http::write(stream, health);
  EXPECT_EQ(ReadAnswer(stream, buffer).status, 200);
}

TEST_F(AgentServerTest, ExpectContinueGetsTheBodySent) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  stream.connect(endpoint_);
  std::string body = ProbeBody(json::array({Target("web", "https://x.test/")}));
  std::string head = fmt::format(
      "POST /v1/probe HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer {}\r\nExpect: "
      "100-continue\r\nContent-Length: {}\r\n\r\n",
      kToken, body.size());
  asio::write(stream, asio::buffer(head));
  beast::flat_buffer buffer;
  HttpAnswer go_on = ReadAnswer(stream, buffer);
  EXPECT_EQ(go_on.status, 100);
  asio::write(stream, asio::buffer(body));
  EXPECT_EQ(ReadAnswer(stream, buffer).status, 200);
}

TEST_F(AgentServerTest, SlowHeaderIsCutOff) {
  asio::io_context io;
  tcp::socket socket(io);
  socket.connect(endpoint_);
  asio::write(socket, asio::buffer(std::string("POST /v1/probe HTTP/1.1\r\nHost: a\r\n")));
  const auto start = std::chrono::steady_clock::now();
  char buf[256];
  beast::error_code ec;
  std::size_t n = socket.read_some(asio::buffer(buf), ec);  // blocks until the server closes
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(ec, asio::error::eof) << ec.message();
  EXPECT_EQ(n, 0u);
  EXPECT_GE(waited, std::chrono::milliseconds(250));
  EXPECT_LT(waited, std::chrono::seconds(3));
}

TEST_F(AgentServerTest, GarbageIs400) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  stream.connect(endpoint_);
  asio::write(stream, asio::buffer(std::string("HELLO\x01 / HTTP/1.1\r\n\r\n")));
  beast::flat_buffer buffer;
  HttpAnswer a = ReadAnswer(stream, buffer);
  EXPECT_EQ(a.status, 400);
  EXPECT_THAT(a.doc["error"]["message"].get<std::string>(), StartsWith("not a valid HTTP/1.1"));
}

TEST_F(AgentServerTest, ConnectionsAreServedConcurrently) {
  prober_.delay = std::chrono::milliseconds(400);
  const std::string body = ProbeBody(json::array({Target("web", "https://x.test/")}));
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::future<HttpAnswer>> answers;
  for (int i = 0; i < 4; ++i) {
    answers.push_back(std::async(std::launch::async, [&] { return Post(body); }));
  }
  for (auto& a : answers) EXPECT_EQ(a.get().status, 200);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_LT(took, std::chrono::milliseconds(1200)) << "requests were served one after another";
}

TEST_F(AgentServerTest, StopAnswersRequestsInFlightThenFinishes) {
  prober_.delay = std::chrono::milliseconds(300);
  // An idle keep-alive connection and a request in flight.
  asio::io_context io;
  tcp::socket idle(io);
  idle.connect(endpoint_);
  auto in_flight = std::async(std::launch::async, [&] {
    return Post(ProbeBody(json::array({Target("web", "https://x.test/")})));
  });
  while (prober_.Runs().empty()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  std::promise<void> stopped;
  asio::post(io_, [&] { server_->Stop([&] { stopped.set_value(); }); });
  HttpAnswer a = in_flight.get();
  EXPECT_EQ(a.status, 200);
  EXPECT_FALSE(a.keep_alive);
  EXPECT_EQ(stopped.get_future().wait_for(std::chrono::seconds(3)), std::future_status::ready);
  thread_.join();  // the event loop ran out of work
  char buf[16];
  beast::error_code ec;
  idle.read_some(asio::buffer(buf), ec);
  EXPECT_EQ(ec, asio::error::eof);
  beast::error_code connect_ec;
  tcp::socket late(io);
  late.connect(endpoint_, connect_ec);
  EXPECT_EQ(connect_ec, asio::error::connection_refused);
}

TEST(AgentServerListenTest, BusyPortIsAClearError) {
  asio::io_context io;
  tcp::acceptor taken(io, {asio::ip::make_address("127.0.0.1"), 0});
  FakeProber prober;
  AgentServer server(
      io, TestConfig(),
      [&](std::chrono::milliseconds) {
        return core::Result<std::shared_ptr<probe::Prober>>(
            std::make_shared<ForwardingProber>(prober));
      },
      ServerOptions{.token = kToken});
  auto status = server.Listen(taken.local_endpoint());
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code(), core::ErrorCode::kUnavailable);
  EXPECT_THAT(status.error().message(),
              HasSubstr(fmt::format("cannot listen on 127.0.0.1:{}: Address already in use",
                                    taken.local_endpoint().port())));
}

}  // namespace
}  // namespace lifeline::agent

namespace lifeline::agent {
namespace {

using namespace testing;  // NOLINT
using ::testing::HasSubstr;

std::string TempFile(const std::string& name, const std::string& content) {
  auto path = std::filesystem::temp_directory_path() /
              fmt::format("lifeline-runagent-test-{}-{}", ::getpid(), name);
  std::ofstream(path) << content;
  return path.string();
}

TEST(RunAgentTest, ServesWithTheRealProberUntilSigterm) {
  // A TCP target on loopback for the real prober to reach.
  asio::io_context target_io;
  tcp::acceptor target(target_io, {asio::ip::make_address("127.0.0.1"), 0});

  AgentOptions options;
  options.listen = "127.0.0.1:0";
  options.token_file = TempFile("token", "run-agent-token\n");
  options.insecure_http = true;  // HTTPS: tests/integration/agent_tls_test.cc
  options.name = "test-agent";
  options.config.timeout = std::chrono::milliseconds(2000);
  // The target is on loopback, which agents refuse unless allowed: this also proves the allow list.
  options.config.agent.allow_private = {*core::ParseCidr("127.0.0.0/8")};
  std::promise<tcp::endpoint> listening;
  options.on_listening = [&](const tcp::endpoint& ep) { listening.set_value(ep); };
  core::Status result = core::Ok();
  std::thread agent([&] { result = RunAgent(options); });
  auto future = listening.get_future();
  ASSERT_EQ(future.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  tcp::endpoint ep = future.get();
  EXPECT_NE(ep.port(), 0);

  EXPECT_EQ(Send(ep, http::verb::get, "/healthz").status, 200);
  json body = {{"targets", json::array({{{"id", "chat"},
                                         {"kind", "tcp"},
                                         {"host", "127.0.0.1"},
                                         {"port", target.local_endpoint().port()}}})},
               {"timeout_ms", 1000}};
  HttpAnswer a = Send(ep, http::verb::post, "/v1/probe", body.dump(),
                      {{"Authorization", "Bearer run-agent-token"}});
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.doc["agent"]["name"], "test-agent");
  EXPECT_EQ(a.doc["results"][0]["from"], "test-agent");
  EXPECT_EQ(a.doc["results"][0]["ok"], true) << a.body;

  ::kill(::getpid(), SIGTERM);
  agent.join();
  EXPECT_TRUE(result.ok()) << result.error().ToString();
}

// Nothing here is aimed beyond this test's own loopback listener, which must see no connection.
TEST(RunAgentTest, ByDefaultLoopbackIsRefusedDirectlyAndThroughAName) {
  asio::io_context target_io;
  tcp::acceptor target(target_io, {asio::ip::make_address("127.0.0.1"), 0});
  target.non_blocking(true);
  const auto port = target.local_endpoint().port();

  AgentOptions options;
  options.listen = "127.0.0.1:0";
  options.token_file = TempFile("token-default", "run-agent-token\n");
  options.insecure_http = true;
  options.config.timeout = std::chrono::milliseconds(2000);
  // Any DNS question stays on loopback ("localhost" normally comes from /etc/hosts).
  options.config.resolv_conf = TempFile("resolv", "nameserver 127.0.0.1\n");
  std::promise<tcp::endpoint> listening;
  options.on_listening = [&](const tcp::endpoint& ep) { listening.set_value(ep); };
  core::Status result = core::Ok();
  std::thread agent([&] { result = RunAgent(options); });
  auto future = listening.get_future();
  ASSERT_EQ(future.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  tcp::endpoint ep = future.get();
  const std::vector<std::pair<std::string, std::string>> auth = {
      {"Authorization", "Bearer run-agent-token"}};

  // By address: a 400 before anything is probed.
  json direct = {{"targets", json::array({Tcp("self", "127.0.0.1", port)})}};
  HttpAnswer refused = Send(ep, http::verb::post, "/v1/probe", direct.dump(), auth);
  EXPECT_EQ(refused.status, 400) << refused.body;
  EXPECT_EQ(refused.doc["error"]["message"],
            "targets[0]: 127.0.0.1 is a loopback address; agents probe public hosts only "
            "(agent.allow_private)");

  // By name ("localhost", from /etc/hosts): resolved, then refused at connect time, as a name
  // that resolves to a private address is; the result says so.
  json named = {{"targets", json::array({Tcp("self", "localhost", port)})}};
  HttpAnswer a = Send(ep, http::verb::post, "/v1/probe", named.dump(), auth);
  ASSERT_EQ(a.status, 200) << a.body;
  const json& r = a.doc["results"][0];
  EXPECT_EQ(r["ok"], false);
  EXPECT_EQ(r["layer"], "tcp") << r.dump();
  EXPECT_EQ(r["detail"], "address_not_allowed") << r.dump();
  EXPECT_THAT(r["message"].get<std::string>(),
              HasSubstr(fmt::format("not connecting to localhost:{}: ", port)));
  EXPECT_THAT(r["message"].get<std::string>(),
              HasSubstr("is a loopback address; agents probe public hosts only "
                        "(agent.allow_private)"));

  ::kill(::getpid(), SIGTERM);
  agent.join();
  EXPECT_TRUE(result.ok()) << result.error().ToString();
  beast::error_code ec;
  tcp::socket accepted = target.accept(ec);
  EXPECT_EQ(ec, asio::error::would_block) << "the agent connected to a refused address";
}

TEST(RunAgentTest, StartUpErrorsAreClear) {
  AgentOptions options;
  options.listen = "127.0.0.1:0";
  options.token_file = TempFile("plain", "tok");
  auto neither = RunAgent(options);
  ASSERT_FALSE(neither.ok());
  EXPECT_THAT(neither.error().message(),
              HasSubstr("the agent serves HTTPS: give --tls-cert FILE --tls-key FILE"));
  EXPECT_THAT(neither.error().message(), HasSubstr("or --insecure-http to serve plain HTTP"));

  options.tls_cert = "/nonexistent/agent.pem";
  auto half = RunAgent(options);
  ASSERT_FALSE(half.ok());
  EXPECT_EQ(half.error().message(),
            "give both --tls-cert FILE and --tls-key FILE (the certificate and its key), not only "
            "--tls-cert");
  options.tls_key = "/nonexistent/agent.key";
  auto unreadable = RunAgent(options);
  ASSERT_FALSE(unreadable.ok());
  EXPECT_THAT(unreadable.error().message(),
              HasSubstr("cannot load TLS certificate '/nonexistent/agent.pem' (--tls-cert)"));
  options.insecure_http = true;
  auto both = RunAgent(options);
  ASSERT_FALSE(both.ok());
  EXPECT_THAT(both.error().message(), HasSubstr("exclude each other"));
  options.tls_cert.clear();
  options.tls_key.clear();

  options.token_file = TempFile("empty", "\n");
  auto empty = RunAgent(options);
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().message(), "token file " + options.token_file + " is empty");

  options.token_file = "/nonexistent/agent.token";
  auto missing = RunAgent(options);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message(),
            "cannot read token file /nonexistent/agent.token: No such file or directory");

  options.token_file = TempFile("good", "tok");
  options.listen = "localhost:8089";
  auto listen = RunAgent(options);
  ASSERT_FALSE(listen.ok());
  EXPECT_THAT(listen.error().message(), HasSubstr("expected ADDR:PORT"));

  options.listen = "127.0.0.1:0";
  options.config.ca_file = "/nonexistent/ca.pem";
  auto ca = RunAgent(options);
  ASSERT_FALSE(ca.ok());
  EXPECT_THAT(ca.error().message(), HasSubstr("/nonexistent/ca.pem"));
}

}  // namespace
}  // namespace lifeline::agent
