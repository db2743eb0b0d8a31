// HTTP and TCP probes and Fetch() against real test servers on loopback (tests/tools/testhttpd.py):
// healthy, 503, slow, wrong content, redirect chains, a JSON API behind a bearer token, a captive
// portal, a body over the cap, refused connections and servers that never answer; an agent's
// address policy (names, redirects, Fetch) and its messages that quote nothing a server sent.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <memory>
#include <stdexcept>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <nlohmann/json.hpp>

#include <fmt/core.h>

#include "core/address_policy.h"
#include "core/types.h"
#include "integration/support/process.h"
#include "integration/support/testhttpd.h"
#include "probe/probe.h"

namespace lifeline {
namespace {

using core::Layer;
using core::ProbeKind;
using core::ProbeResult;
using core::ProbeSpec;
namespace d = core::detail;

constexpr char kToken[] = "s3cret-token-value";
constexpr char kPage[] = "<html><title>Example Social</title>Welcome back</html>";

// One server per behaviour, started once for the suite.
class ProbeHttpTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    // Nothing in these tests needs DNS; point the system resolver at loopback all the same.
    resolv_conf_ = dir_->Write("resolv.conf", "nameserver 127.0.0.1\n");
  }
  static void TearDownTestSuite() {
    servers_.clear();  // stops them
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override {
    if (!testing::FindProgram("python3")) GTEST_SKIP() << "python3 is not installed";
  }

  // The server for one behaviour, started on first use (ctest runs each test in its own process,
  // so starting only what a test needs keeps the suite fast). Throws if it cannot start.
  static const testing::TestHttpd& Server(const std::string& name) {
    if (auto it = servers_.find(name); it != servers_.end()) return *it->second;
    std::vector<std::string> args;
    std::string host = "127.0.0.1";
    if (name == "ok") {
      args = {"--mode", "ok", "--body", kPage};
    } else if (name == "ok6") {
      args = {"--mode", "ok", "--body", kPage};
      host = "::1";
    } else if (name == "503") {
      args = {"--mode", "503"};
    } else if (name == "slow") {
      args = {"--mode", "slow", "--delay-ms", "5000", "--body", kPage};
    } else if (name == "sluggish") {
      args = {"--mode", "ok", "--delay-ms", "350", "--body", kPage};
    } else if (name == "wrong") {
      args = {"--mode", "wrong"};
    } else if (name == "redirect") {
      args = {"--mode", "redirect", "--redirects", "3", "--body", kPage};
    } else if (name == "json") {
      args = {"--mode", "json", "--require-auth", kToken};
    } else if (name == "login") {
      args = {"--mode", "ok", "--body", "Please log in to the Hotel Wi-Fi"};
      host = "127.0.0.2";
    } else if (name == "portal") {
      // A captive portal: every request is sent to the login page on another address.
      args = {"--mode", "redirect", "--location", Server("login").Url("/login")};
    } else {
      throw std::invalid_argument("no test server " + name);
    }
    auto server = std::make_unique<testing::TestHttpd>();
    std::string error;
    if (!server->Start(args, &error, host)) {
      throw std::runtime_error("test server " + name + " did not start: " + error);
    }
    return *(servers_[name] = std::move(server));
  }

  static probe::Options Options() {
    probe::Options o;
    o.timeout = std::chrono::milliseconds(1500);
    o.slow_threshold = std::chrono::milliseconds(250);
    o.resolv_conf = resolv_conf_;
    return o;
  }

  static ProbeSpec Http(const std::string& url) {
    ProbeSpec s;
    s.id = "web";
    s.url = url;
    return s;
  }

  static ProbeResult RunOne(const ProbeSpec& spec, const probe::Options& options = Options()) {
    auto results = probe::RunBlocking({spec}, options);
    EXPECT_TRUE(results.ok()) << results.error().ToString();
    if (!results.ok() || results->size() != 1) return ProbeResult();
    return (*results)[0];
  }

  static probe::FetchResponse Fetch(probe::FetchRequest request) {
    boost::asio::io_context io;
    auto prober = probe::CreateProber(io, Options());
    EXPECT_TRUE(prober.ok());
    probe::FetchResponse response;
    boost::asio::co_spawn(
        io,
        [&]() -> boost::asio::awaitable<void> {
          response = co_await (*prober)->Fetch(std::move(request));
        },
        boost::asio::detached);
    io.run();
    return response;
  }

  static testing::TempDir* dir_;
  static std::string resolv_conf_;
  static std::map<std::string, std::unique_ptr<testing::TestHttpd>> servers_;
};

testing::TempDir* ProbeHttpTest::dir_ = nullptr;
std::string ProbeHttpTest::resolv_conf_;
std::map<std::string, std::unique_ptr<testing::TestHttpd>> ProbeHttpTest::servers_;

// A listening socket nobody ever accepts from or reads: the kernel completes the TCP handshake,
// then the request goes unanswered, as with a server that hangs.
class SilentListener {
 public:
  SilentListener() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    listen(fd_, 16);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~SilentListener() { close(fd_); }
  std::uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

TEST_F(ProbeHttpTest, HealthyPage) {
  ProbeSpec spec = Http(Server("ok").Url("/"));
  spec.expect.body_contains = {"Welcome back"};
  spec.expect.body_regex = "<title>[^<]*Social</title>";
  ProbeResult r = RunOne(spec);
  EXPECT_TRUE(r.ok) << r.message;
  EXPECT_EQ(r.layer, Layer::kNone);
  EXPECT_EQ(r.detail, "");
  EXPECT_EQ(r.http_status, 200);
  EXPECT_EQ(r.message, "HTTP 200 OK");
  EXPECT_EQ(r.from, "here");
  EXPECT_EQ(r.target, spec.url);
  EXPECT_FALSE(r.slow);
  EXPECT_EQ(r.addresses, std::vector<std::string>{"127.0.0.1"});
  EXPECT_FALSE(r.timings.dns.has_value());  // an IP literal
  ASSERT_TRUE(r.timings.connect && r.timings.first_byte && r.timings.total);
  EXPECT_FALSE(r.timings.tls.has_value());
  EXPECT_LE(*r.timings.connect, *r.timings.total);
  EXPECT_LE(*r.timings.first_byte, *r.timings.total);
}

TEST_F(ProbeHttpTest, Ipv6) {
  ProbeResult r = RunOne(Http(Server("ok6").Url("/")));
  EXPECT_TRUE(r.ok) << r.message;
  EXPECT_EQ(r.addresses, std::vector<std::string>{"::1"});
}

TEST_F(ProbeHttpTest, ServiceUnavailable) {
  ProbeResult r = RunOne(Http(Server("503").Url("/")));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.layer, Layer::kHttp);
  EXPECT_EQ(r.detail, d::kStatus);
  EXPECT_EQ(r.http_status, 503);
  EXPECT_EQ(r.message, "HTTP 503 Service Unavailable");
}

TEST_F(ProbeHttpTest, ExplicitStatusExpectation) {
  ProbeSpec spec = Http(Server("503").Url("/"));
  spec.expect.status = {503};
  EXPECT_TRUE(RunOne(spec).ok);
  ProbeSpec ok = Http(Server("ok").Url("/"));
  ok.expect.status = {204};
  ProbeResult r = RunOne(ok);
  EXPECT_EQ(r.detail, d::kStatus);
  EXPECT_EQ(r.http_status, 200);
}

TEST_F(ProbeHttpTest, AnswerAfterTheTimeoutIsAnHttpTimeout) {
  auto t0 = std::chrono::steady_clock::now();
  ProbeResult r = RunOne(Http(Server("slow").Url("/")));
  auto elapsed = std::chrono::steady_clock::now() - t0;
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.layer, Layer::kHttp);
  EXPECT_EQ(r.detail, d::kTimeout) << r.message;
  EXPECT_TRUE(r.timings.connect.has_value());
  EXPECT_GE(elapsed, std::chrono::milliseconds(1400));
  EXPECT_LT(elapsed, std::chrono::milliseconds(4500));  // the answer comes at 5 s; slack for load
}

TEST_F(ProbeHttpTest, SlowButInTimeIsOkAndSlow) {
  ProbeResult r = RunOne(Http(Server("sluggish").Url("/")));
  EXPECT_TRUE(r.ok) << r.message;
  EXPECT_TRUE(r.slow);
  ASSERT_TRUE(r.timings.first_byte.has_value());
  EXPECT_GE(*r.timings.first_byte, 340);
  ProbeResult fast = RunOne(Http(Server("ok").Url("/")));
  EXPECT_FALSE(fast.slow);
}

TEST_F(ProbeHttpTest, WrongContent) {
  ProbeSpec spec = Http(Server("wrong").Url("/"));
  spec.expect.body_contains = {"Welcome back"};
  ProbeResult r = RunOne(spec);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.layer, Layer::kContent);
  EXPECT_EQ(r.detail, d::kMissing);
  EXPECT_EQ(r.http_status, 200);

  ProbeSpec regex = Http(Server("wrong").Url("/"));
  regex.expect.body_regex = "<title>[^<]*Social</title>";
  ProbeResult rr = RunOne(regex);
  EXPECT_EQ(rr.layer, Layer::kContent);
  EXPECT_EQ(rr.detail, d::kRegex);
}

TEST_F(ProbeHttpTest, FollowsARedirectChain) {
  // "/" -> /redirect/3 -> (absolute) /redirect/2 -> (relative) 1 -> (absolute) /redirect/0.
  ProbeSpec spec = Http(Server("redirect").Url("/"));
  spec.expect.body_contains = {"Welcome back"};
  spec.max_redirects = 4;
  ProbeResult r = RunOne(spec);
  EXPECT_TRUE(r.ok) << r.message;
  EXPECT_EQ(r.http_status, 200);

  spec.max_redirects = 3;
  ProbeResult over = RunOne(spec);
  EXPECT_FALSE(over.ok);
  EXPECT_EQ(over.layer, Layer::kHttp);
  EXPECT_EQ(over.detail, d::kRedirects) << over.message;
  EXPECT_NE(over.message.find("more than 3 redirects"), std::string::npos) << over.message;
}

TEST_F(ProbeHttpTest, AnExpectedRedirectIsNotFollowed) {
  ProbeSpec spec = Http(Server("redirect").Url("/"));
  spec.expect.status = {302};
  ProbeResult r = RunOne(spec);
  EXPECT_TRUE(r.ok) << r.message;
  EXPECT_EQ(r.http_status, 302);
}

TEST_F(ProbeHttpTest, CaptivePortal) {
  ProbeSpec spec = Http(Server("portal").Url("/"));
  spec.expect.body_contains = {"Welcome back"};
  ProbeResult r = RunOne(spec);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.layer, Layer::kContent);
  EXPECT_EQ(r.detail, d::kCaptivePortal) << r.message;
  EXPECT_NE(r.message.find("127.0.0.2"), std::string::npos) << r.message;
}

TEST_F(ProbeHttpTest, BodyOverTheCap) {
  ProbeSpec spec = Http(Server("ok").Url("/"));
  spec.max_body_bytes = 10;
  ProbeResult r = RunOne(spec);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.layer, Layer::kHttp);
  EXPECT_EQ(r.detail, d::kTooLarge) << r.message;
}

TEST_F(ProbeHttpTest, AuthenticatedJsonApi) {
  ProbeSpec spec = Http(Server("json").Url("/v1/me"));
  spec.api = true;
  spec.headers = {{"Authorization", std::string("Bearer ") + kToken}};
  spec.expect.json_pointer = "/data/ok";
  spec.expect.json_equals = "true";
  ProbeResult r = RunOne(spec);
  EXPECT_TRUE(r.ok) << r.message;
  EXPECT_TRUE(r.api);

  spec.expect.json_pointer = "/data/count";
  spec.expect.json_equals = "4";
  ProbeResult wrong_value = RunOne(spec);
  EXPECT_EQ(wrong_value.layer, Layer::kContent);
  EXPECT_EQ(wrong_value.detail, d::kJson);
  EXPECT_NE(wrong_value.message.find("/data/count is 3"), std::string::npos) << wrong_value.message;
}

TEST_F(ProbeHttpTest, RejectedTokenIsAStatusFailureAndNeverEchoed) {
  ProbeSpec spec = Http(Server("json").Url("/v1/me"));
  spec.headers = {{"Authorization", "Bearer wrong-secret-value"}};
  spec.expect.json_pointer = "/data/ok";
  ProbeResult r = RunOne(spec);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.layer, Layer::kHttp);
  EXPECT_EQ(r.detail, d::kStatus);
  EXPECT_EQ(r.http_status, 401);
  EXPECT_EQ(r.message.find("wrong-secret-value"), std::string::npos) << r.message;

  // A header the prober cannot send is refused by name, its value never shown.
  spec.headers = {{"X-Api-Key", "line1\r\nInjected: yes"}};
  ProbeResult bad = RunOne(spec);
  EXPECT_FALSE(bad.ok);
  EXPECT_NE(bad.message.find("X-Api-Key"), std::string::npos) << bad.message;
  EXPECT_EQ(bad.message.find("line1"), std::string::npos) << bad.message;
}

TEST_F(ProbeHttpTest, HostsFileNamesNeedNoDns) {
  // As the system resolver does: a name in the hosts file never reaches DNS (here: no DNS at all).
  probe::Options options = Options();
  options.hosts_file = dir_->Write("hosts", "127.0.0.1 listed.test # local override\n");
  ProbeResult listed = RunOne(Http(Server("ok").UrlWithHost("listed.test")), options);
  EXPECT_TRUE(listed.ok) << listed.message;
  EXPECT_TRUE(listed.timings.dns.has_value());
  EXPECT_EQ(listed.addresses, std::vector<std::string>{"127.0.0.1"});
  ProbeResult localhost = RunOne(Http(Server("ok").UrlWithHost("localhost")), options);
  EXPECT_TRUE(localhost.ok) << localhost.message;
}

TEST_F(ProbeHttpTest, TcpProbe) {
  ProbeSpec spec;
  spec.id = "tcp";
  spec.kind = ProbeKind::kTcp;
  spec.host = "127.0.0.1";
  spec.port = Server("ok").port();
  ProbeResult ok = RunOne(spec);
  EXPECT_TRUE(ok.ok) << ok.message;
  EXPECT_EQ(ok.kind, ProbeKind::kTcp);
  EXPECT_EQ(ok.target, "tcp:127.0.0.1:" + std::to_string(spec.port));
  EXPECT_TRUE(ok.timings.connect.has_value());

  spec.port = testing::FreePort();  // nothing listens there
  ProbeResult refused = RunOne(spec);
  EXPECT_FALSE(refused.ok);
  EXPECT_EQ(refused.layer, Layer::kTcp);
  EXPECT_EQ(refused.detail, d::kRefused) << refused.message;
}

TEST_F(ProbeHttpTest, RefusedHttpConnection) {
  ProbeResult r = RunOne(Http("http://127.0.0.1:" + std::to_string(testing::FreePort()) + "/"));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.layer, Layer::kTcp);
  EXPECT_EQ(r.detail, d::kRefused);
}

TEST_F(ProbeHttpTest, ServerThatNeverAnswers) {
  SilentListener silent;
  probe::Options options = Options();
  options.timeout = std::chrono::milliseconds(500);
  auto t0 = std::chrono::steady_clock::now();
  ProbeResult r = RunOne(Http("http://127.0.0.1:" + std::to_string(silent.port()) + "/"), options);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(3000));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.layer, Layer::kHttp);
  EXPECT_EQ(r.detail, d::kTimeout) << r.message;
}

TEST_F(ProbeHttpTest, RunBoundsConcurrencyAndKeepsOrder) {
  // 8 probes of a 350 ms server among 12, 4 at a time: at least two rounds (~0.7 s); all at once
  // would take ~0.35 s, one at a time ~2.8 s.
  std::vector<ProbeSpec> specs;
  for (int i = 0; i < 12; ++i) {
    ProbeSpec s = Http(i % 3 == 2 ? Server("503").Url("/") : Server("sluggish").Url("/"));
    s.id = "p" + std::to_string(i);
    specs.push_back(s);
  }
  probe::Options options = Options();
  options.concurrency = 4;
  options.timeout = std::chrono::milliseconds(3000);
  auto t0 = std::chrono::steady_clock::now();
  auto results = probe::RunBlocking(specs, options);
  auto elapsed = std::chrono::steady_clock::now() - t0;
  ASSERT_TRUE(results.ok());
  ASSERT_EQ(results->size(), specs.size());
  for (std::size_t i = 0; i < specs.size(); ++i) {
    EXPECT_EQ((*results)[i].probe_id, specs[i].id);
    EXPECT_EQ((*results)[i].ok, i % 3 != 2) << i << ": " << (*results)[i].message;
  }
  EXPECT_GE(elapsed, std::chrono::milliseconds(650));
}

TEST_F(ProbeHttpTest, FetchPostsAndReturnsTheAnswerUnjudged) {
  probe::FetchRequest request;
  request.method = "POST";
  request.url = Server("json").Url("/v1/probe");
  request.headers = {{"Authorization", std::string("Bearer ") + kToken},
                     {"Content-Type", "application/json"}};
  request.body = R"({"targets":[]})";
  probe::FetchResponse response = Fetch(request);
  EXPECT_TRUE(response.transport.ok) << response.transport.message;
  EXPECT_EQ(response.status, 200);
  auto json = nlohmann::json::parse(response.body, nullptr, false);
  ASSERT_FALSE(json.is_discarded()) << response.body;
  EXPECT_EQ(json["service"], "testhttpd");

  probe::FetchRequest unavailable;
  unavailable.url = Server("503").Url("/");
  probe::FetchResponse r503 = Fetch(unavailable);
  EXPECT_TRUE(r503.transport.ok);
  EXPECT_EQ(r503.status, 503);
  EXPECT_NE(r503.body.find("503"), std::string::npos);

  probe::FetchRequest redirect;
  redirect.url = Server("redirect").Url("/");
  probe::FetchResponse r302 = Fetch(redirect);
  EXPECT_TRUE(r302.transport.ok);
  EXPECT_EQ(r302.status, 302);  // not followed
}

TEST_F(ProbeHttpTest, FetchTransportFailures) {
  probe::FetchRequest refused;
  refused.url = "http://127.0.0.1:" + std::to_string(testing::FreePort()) + "/";
  probe::FetchResponse r = Fetch(refused);
  EXPECT_FALSE(r.transport.ok);
  EXPECT_EQ(r.transport.layer, Layer::kTcp);
  EXPECT_EQ(r.transport.detail, d::kRefused);
  EXPECT_EQ(r.status, 0);

  probe::FetchRequest slow;
  slow.url = Server("slow").Url("/");
  slow.timeout = std::chrono::milliseconds(300);
  probe::FetchResponse timed_out = Fetch(slow);
  EXPECT_FALSE(timed_out.transport.ok);
  EXPECT_EQ(timed_out.transport.detail, d::kTimeout);

  probe::FetchRequest capped;
  capped.url = Server("ok").Url("/");
  capped.max_body_bytes = 5;
  EXPECT_EQ(Fetch(capped).transport.detail, d::kTooLarge);

  probe::FetchRequest bad;
  bad.url = "ftp://127.0.0.1/";
  EXPECT_FALSE(Fetch(bad).transport.ok);
}

// --- The address policy (an agent's): every address is checked before connecting ------------
// Only loopback here: the policy allows 127.0.0.1 and refuses the rest of 127.0.0.0/8, so a
// refusal that failed would reach this machine's own loopback and nothing else. (The refusals of
// private, link-local and unique-local addresses run in an empty network namespace:
// tests/scenarios/test_agent_address_policy.sh.)

constexpr char kRule[] = "test probes 127.0.0.1 only (test.allow)";

probe::Options PolicyOptions(probe::Options o, const char* allowed) {
  o.address_policy = std::make_shared<core::AddressPolicy>(
      std::vector<core::Cidr>{*core::ParseCidr(allowed)}, kRule);
  return o;
}

TEST_F(ProbeHttpTest, PolicyRefusesANameThatResolvesToARefusedAddress) {
  probe::Options options = PolicyOptions(Options(), "127.0.0.1/32");
  options.hosts_file = dir_->Write("hosts-inward", "127.0.0.2 inward.test\n");
  const std::uint16_t port = Server("ok").port();
  ProbeResult r = RunOne(Http(Server("ok").UrlWithHost("inward.test")), options);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.layer, Layer::kTcp);
  EXPECT_EQ(r.detail, d::kAddressNotAllowed);
  EXPECT_EQ(r.message, fmt::format("not connecting to inward.test:{}: 127.0.0.2 is a loopback "
                                   "address; test probes 127.0.0.1 only (test.allow)",
                                   port));
  EXPECT_FALSE(r.timings.connect.has_value()) << "no connection was attempted";

  ProbeSpec tcp;
  tcp.id = "chat";
  tcp.kind = ProbeKind::kTcp;
  tcp.host = "inward.test";
  tcp.port = port;
  ProbeResult t = RunOne(tcp, options);
  EXPECT_EQ(t.detail, d::kAddressNotAllowed) << t.message;

  // The same name with the policy allowing its range: the probe goes through (nothing listens on
  // 127.0.0.2 at that port, so the connection is refused by the kernel instead).
  probe::Options open = PolicyOptions(Options(), "127.0.0.0/8");
  open.hosts_file = options.hosts_file;
  ProbeResult allowed = RunOne(tcp, open);
  EXPECT_EQ(allowed.detail, d::kRefused) << allowed.message;
}

TEST_F(ProbeHttpTest, PolicyTriesOnlyTheAllowedAddressesOfAName) {
  probe::Options options = PolicyOptions(Options(), "127.0.0.1/32");
  options.hosts_file = dir_->Write("hosts-both", "127.0.0.2 both.test\n127.0.0.1 both.test\n");
  ProbeResult r = RunOne(Http(Server("ok").UrlWithHost("both.test")), options);
  EXPECT_TRUE(r.ok) << r.message;
  EXPECT_EQ(r.addresses, std::vector<std::string>{"127.0.0.1"});
}

TEST_F(ProbeHttpTest, PolicyRefusesARedirectToARefusedAddress) {
  // The portal (127.0.0.1) redirects to its login page on 127.0.0.2.
  ProbeSpec spec = Http(Server("portal").Url("/"));
  spec.expect.body_contains = {"Welcome back"};
  ProbeResult r = RunOne(spec, PolicyOptions(Options(), "127.0.0.1/32"));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.layer, Layer::kTcp);
  EXPECT_EQ(r.detail, d::kAddressNotAllowed);
  const std::string login = fmt::format("127.0.0.2:{}", Server("login").port());
  EXPECT_EQ(r.message, fmt::format("redirected to {}: not connecting to {}: 127.0.0.2 is a "
                                   "loopback address; test probes 127.0.0.1 only (test.allow)",
                                   login, login));
  EXPECT_EQ(r.http_status, 302) << "the first hop was answered";

  // Allowed on purpose: the redirect is followed to the login page (a captive portal, here).
  ProbeResult allowed = RunOne(spec, PolicyOptions(Options(), "127.0.0.0/8"));
  EXPECT_EQ(allowed.detail, d::kCaptivePortal) << allowed.message;
}

TEST_F(ProbeHttpTest, PolicyAppliesToADnsProbesResolver) {
  ProbeSpec dns;
  dns.id = "dns";
  dns.kind = ProbeKind::kDns;
  dns.host = "example.test";
  dns.resolver = "127.0.0.2:53";
  ProbeResult r = RunOne(dns, PolicyOptions(Options(), "127.0.0.1/32"));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.layer, Layer::kDns);
  EXPECT_EQ(r.detail, d::kAddressNotAllowed);
  EXPECT_EQ(r.message,
            "not querying resolver 127.0.0.2:53: 127.0.0.2 is a loopback address; test probes "
            "127.0.0.1 only (test.allow)");
  EXPECT_FALSE(r.timings.dns.has_value()) << "no query was sent";
}

TEST_F(ProbeHttpTest, PolicyAppliesToFetch) {
  boost::asio::io_context io;
  auto prober = probe::CreateProber(io, PolicyOptions(Options(), "127.0.0.2/32"));
  ASSERT_TRUE(prober.ok());
  probe::FetchRequest request;
  request.url = Server("ok").Url("/");
  probe::FetchResponse response;
  boost::asio::co_spawn(
      io,
      [&]() -> boost::asio::awaitable<void> {
        response = co_await (*prober)->Fetch(std::move(request));
      },
      boost::asio::detached);
  io.run();
  EXPECT_FALSE(response.transport.ok);
  EXPECT_EQ(response.transport.detail, d::kAddressNotAllowed) << response.transport.message;
  EXPECT_TRUE(response.body.empty());
}

// What an agent answers must not carry what the probed server sent beyond what a verdict needs.
TEST_F(ProbeHttpTest, WithoutQuotingMessagesCarryNothingTheServerSent) {
  probe::Options options = Options();
  options.quote_responses = false;

  ProbeSpec redirects = Http(Server("redirect").Url("/"));
  redirects.max_redirects = 2;
  ProbeResult over = RunOne(redirects, options);
  EXPECT_EQ(over.detail, d::kRedirects);
  EXPECT_EQ(over.message, "more than 2 redirects");

  ProbeSpec portal = Http(Server("portal").Url("/"));
  portal.expect.body_contains = {"Welcome back"};
  ProbeResult p = RunOne(portal, options);
  EXPECT_EQ(p.detail, d::kCaptivePortal);
  EXPECT_EQ(p.message.find("127.0.0.2"), std::string::npos) << p.message;

  ProbeSpec api = Http(Server("json").Url("/v1/me"));
  api.headers = {{"Authorization", std::string("Bearer ") + kToken}};
  api.expect.json_pointer = "/data/count";
  api.expect.json_equals = "4";
  ProbeResult j = RunOne(api, options);
  EXPECT_EQ(j.detail, d::kJson);
  EXPECT_EQ(j.message, "JSON /data/count is not 4");

  api.expect.json_pointer = "/status";
  api.expect.json_equals = std::nullopt;
  api.url = Server("ok").Url("/");  // an HTML page where JSON is expected
  api.headers.clear();
  ProbeResult html = RunOne(api, options);
  EXPECT_EQ(html.message, "answer is not JSON");
}

}  // namespace
}  // namespace lifeline
