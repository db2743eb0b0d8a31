// DNS probes against a real unbound on loopback: every answer code a user must be told apart
// (NOERROR, NXDOMAIN, SERVFAIL, REFUSED, empty answer, no answer at all), through a direct
// resolver and through "this machine's resolver" (a resolv.conf), and DNS failures of HTTP probes.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <memory>

#include "core/types.h"
#include "integration/support/process.h"
#include "integration/support/testhttpd.h"
#include "integration/support/unbound.h"
#include "probe/probe.h"

namespace lifeline {
namespace {

using core::Layer;
using core::ProbeKind;
using core::ProbeResult;
using core::ProbeSpec;
namespace d = core::detail;

constexpr char kZones[] = R"(
  local-zone: "test." static
  local-data: "ok.test. A 127.0.0.1"
  local-data: "multi.test. A 127.0.0.1"
  local-data: "multi.test. A 127.0.0.2"
  local-data: "v6only.test. AAAA ::1"
  local-data: "txtonly.test. TXT \"no address here\""
  local-zone: "refused.test." refuse
  local-zone: "broken.test." transparent
)";

class ProbeDnsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    unbound_ = new testing::Unbound();
    if (!unbound_->Start(kZones, &error_)) {
      delete unbound_;
      unbound_ = nullptr;
    }
  }
  static void TearDownTestSuite() {
    delete unbound_;  // stops it
    unbound_ = nullptr;
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override {
    if (!unbound_) {
      if (!testing::FindProgram("unbound")) GTEST_SKIP() << "unbound is not installed";
      FAIL() << "unbound did not start: " << error_;
    }
  }

  // resolv.conf cannot name a port: "this machine's resolver" tests need unbound on port 53.
  static bool HaveSystemResolver() { return !unbound_->resolv_conf().empty(); }

  static probe::Options Options() {
    probe::Options o;
    o.timeout = std::chrono::milliseconds(2000);
    // Never the real /etc/resolv.conf: nothing may leave loopback.
    o.resolv_conf = HaveSystemResolver() ? unbound_->resolv_conf()
                                         : dir_->Write("resolv.conf", "nameserver 127.0.0.1\n");
    return o;
  }

  static ProbeSpec Dns(const std::string& name, const std::string& resolver) {
    ProbeSpec s;
    s.id = name;
    s.kind = ProbeKind::kDns;
    s.host = name;
    s.resolver = resolver;
    return s;
  }

  static ProbeResult RunOne(const ProbeSpec& spec, const probe::Options& options = Options()) {
    auto results = probe::RunBlocking({spec}, options);
    EXPECT_TRUE(results.ok()) << results.error().ToString();
    if (!results.ok() || results->size() != 1) return ProbeResult();
    return (*results)[0];
  }

  static testing::TempDir* dir_;
  static testing::Unbound* unbound_;
  static std::string error_;
};

testing::TempDir* ProbeDnsTest::dir_ = nullptr;
testing::Unbound* ProbeDnsTest::unbound_ = nullptr;
std::string ProbeDnsTest::error_;

TEST_F(ProbeDnsTest, DirectResolverAnswers) {
  ProbeResult r = RunOne(Dns("multi.test", unbound_->address()));
  EXPECT_TRUE(r.ok) << r.message;
  EXPECT_EQ(r.layer, Layer::kNone);
  EXPECT_EQ(r.kind, ProbeKind::kDns);
  EXPECT_EQ(r.resolver, unbound_->address());
  EXPECT_EQ(r.target, "dns:multi.test@" + unbound_->address());
  std::vector<std::string> addresses = r.addresses;
  std::sort(addresses.begin(), addresses.end());
  EXPECT_EQ(addresses, (std::vector<std::string>{"127.0.0.1", "127.0.0.2"}));
  ASSERT_TRUE(r.timings.dns.has_value());
  EXPECT_GE(*r.timings.dns, 0);
  EXPECT_LT(*r.timings.dns, 2000);
  EXPECT_TRUE(r.timings.total.has_value());
}

TEST_F(ProbeDnsTest, FallsBackToAaaaWhenThereIsNoA) {
  ProbeResult r = RunOne(Dns("v6only.test", unbound_->address()));
  EXPECT_TRUE(r.ok) << r.message;
  EXPECT_EQ(r.addresses, std::vector<std::string>{"::1"});
}

TEST_F(ProbeDnsTest, Nxdomain) {
  ProbeResult r = RunOne(Dns("nothere.test", unbound_->address()));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.layer, Layer::kDns);
  EXPECT_EQ(r.detail, d::kNxdomain);
  EXPECT_NE(r.message.find("NXDOMAIN"), std::string::npos) << r.message;
  EXPECT_TRUE(r.addresses.empty());
}

TEST_F(ProbeDnsTest, Servfail) {
  ProbeResult r = RunOne(Dns("www.broken.test", unbound_->address()));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.layer, Layer::kDns);
  EXPECT_EQ(r.detail, d::kServfail) << r.message;
  EXPECT_EQ(r.message, "DNS SERVFAIL for www.broken.test from " + unbound_->address());
}

TEST_F(ProbeDnsTest, Refused) {
  ProbeResult r = RunOne(Dns("www.refused.test", unbound_->address()));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.layer, Layer::kDns);
  EXPECT_EQ(r.detail, d::kRefused) << r.message;
  EXPECT_NE(r.message.find("REFUSED"), std::string::npos) << r.message;
}

TEST_F(ProbeDnsTest, NoAddressRecordsIsNoAnswer) {
  ProbeResult r = RunOne(Dns("txtonly.test", unbound_->address()));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.layer, Layer::kDns);
  EXPECT_EQ(r.detail, d::kNoAnswer) << r.message;
}

TEST_F(ProbeDnsTest, SilentResolverTimesOutWithinTheProbeTimeout) {
  // A UDP socket that never reads: queries vanish, as with a dead resolver behind a firewall.
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  std::string resolver = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));

  probe::Options options = Options();
  options.timeout = std::chrono::milliseconds(700);
  auto t0 = std::chrono::steady_clock::now();
  ProbeResult r = RunOne(Dns("ok.test", resolver), options);
  auto elapsed = std::chrono::steady_clock::now() - t0;
  close(fd);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.layer, Layer::kDns);
  EXPECT_EQ(r.detail, d::kTimeout) << r.message;
  EXPECT_GE(elapsed, std::chrono::milliseconds(600));
  EXPECT_LT(elapsed, std::chrono::milliseconds(3000));
}

TEST_F(ProbeDnsTest, HttpProbeBehindASilentSystemResolverFailsAtDnsInTime) {
  // resolv.conf cannot name a port: a silent "resolver" on port 53 of a private loopback address.
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(53);
  inet_pton(AF_INET, "127.53.254.253", &addr.sin_addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    GTEST_SKIP() << "cannot bind port 53 (needs root)";
  }
  probe::Options options = Options();
  options.timeout = std::chrono::milliseconds(600);
  options.resolv_conf = dir_->Write("silent.conf", "nameserver 127.53.254.253\n");
  ProbeSpec http;
  http.id = "web";
  http.url = "http://www.silent.test/";
  auto t0 = std::chrono::steady_clock::now();
  ProbeResult r = RunOne(http, options);
  auto elapsed = std::chrono::steady_clock::now() - t0;
  close(fd);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.layer, Layer::kDns);
  EXPECT_EQ(r.detail, d::kTimeout) << r.message;
  EXPECT_TRUE(r.timings.dns.has_value());
  EXPECT_FALSE(r.timings.connect.has_value());
  EXPECT_LT(elapsed, std::chrono::milliseconds(3000));
}

TEST_F(ProbeDnsTest, SystemResolverFromResolvConf) {
  if (!HaveSystemResolver()) GTEST_SKIP() << "needs root to run unbound on port 53";
  ProbeResult ok = RunOne(Dns("ok.test", ""));
  EXPECT_TRUE(ok.ok) << ok.message;
  EXPECT_EQ(ok.resolver, "system");
  EXPECT_EQ(ok.target, "dns:ok.test");
  EXPECT_EQ(ok.addresses, std::vector<std::string>{"127.0.0.1"});

  ProbeResult servfail = RunOne(Dns("x.broken.test", ""));
  EXPECT_EQ(servfail.detail, d::kServfail) << servfail.message;
  EXPECT_EQ(servfail.message, "DNS SERVFAIL for x.broken.test from the system resolver (" +
                                  unbound_->port53_ip() + ")");
  ProbeResult nx = RunOne(Dns("nothere.test", ""));
  EXPECT_EQ(nx.detail, d::kNxdomain) << nx.message;
}

TEST_F(ProbeDnsTest, ManyQueriesShareOneChannelAndKeepOrder) {
  std::vector<ProbeSpec> specs;
  const char* names[] = {"ok.test", "nothere.test", "v6only.test", "x.refused.test"};
  for (int i = 0; i < 40; ++i) specs.push_back(Dns(names[i % 4], unbound_->address()));
  probe::Options options = Options();
  options.concurrency = 8;
  auto results = probe::RunBlocking(specs, options);
  ASSERT_TRUE(results.ok());
  ASSERT_EQ(results->size(), specs.size());
  for (std::size_t i = 0; i < specs.size(); ++i) {
    const auto& r = (*results)[i];
    EXPECT_EQ(r.probe_id, specs[i].id);
    switch (i % 4) {
      case 0:
        EXPECT_TRUE(r.ok) << r.message;
        break;
      case 1:
        EXPECT_EQ(r.detail, d::kNxdomain);
        break;
      case 2:
        EXPECT_TRUE(r.ok) << r.message;
        break;
      case 3:
        EXPECT_EQ(r.detail, d::kRefused);
        break;
    }
  }
}

TEST_F(ProbeDnsTest, BadResolverIsAFailedProbeNotACrash) {
  ProbeResult r = RunOne(Dns("ok.test", "not-an-address"));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.layer, Layer::kDns);
  EXPECT_EQ(r.detail, d::kError);
}

TEST_F(ProbeDnsTest, UnreadableResolvConfFailsCreation) {
  probe::Options options = Options();
  options.resolv_conf = "/nonexistent/resolv.conf";
  boost::asio::io_context io;
  auto prober = probe::CreateProber(io, options);
  ASSERT_FALSE(prober.ok());
  EXPECT_EQ(prober.error().code(), core::ErrorCode::kInvalidArgument);
}

// HTTP and TCP probes resolve their host through this machine's resolver.
TEST_F(ProbeDnsTest, HttpProbeResolvesThroughTheSystemResolver) {
  if (!HaveSystemResolver()) GTEST_SKIP() << "needs root to run unbound on port 53";
  testing::TestHttpd server;
  std::string error;
  ASSERT_TRUE(server.Start({"--mode", "ok"}, &error)) << error;

  ProbeSpec http;
  http.id = "web";
  http.url = server.UrlWithHost("ok.test");
  ProbeResult ok = RunOne(http);
  EXPECT_TRUE(ok.ok) << ok.message;
  EXPECT_TRUE(ok.timings.dns.has_value());
  EXPECT_EQ(ok.addresses, std::vector<std::string>{"127.0.0.1"});

  http.url = server.UrlWithHost("www.broken.test");
  ProbeResult servfail = RunOne(http);
  EXPECT_FALSE(servfail.ok);
  EXPECT_EQ(servfail.layer, Layer::kDns);
  EXPECT_EQ(servfail.detail, d::kServfail) << servfail.message;

  http.url = server.UrlWithHost("nothere.test");
  ProbeResult nx = RunOne(http);
  EXPECT_EQ(nx.layer, Layer::kDns);
  EXPECT_EQ(nx.detail, d::kNxdomain) << nx.message;

  // An IP literal needs no DNS at all.
  http.url = server.Url();
  ProbeResult literal = RunOne(http);
  EXPECT_TRUE(literal.ok) << literal.message;
  EXPECT_FALSE(literal.timings.dns.has_value());

  ProbeSpec tcp;
  tcp.id = "tcp";
  tcp.kind = ProbeKind::kTcp;
  tcp.host = "ok.test";
  tcp.port = server.port();
  ProbeResult connected = RunOne(tcp);
  EXPECT_TRUE(connected.ok) << connected.message;
  EXPECT_TRUE(connected.timings.dns.has_value());
  EXPECT_TRUE(connected.timings.connect.has_value());
  tcp.host = "x.refused.test";
  ProbeResult refused = RunOne(tcp);
  EXPECT_EQ(refused.layer, Layer::kDns);
  EXPECT_EQ(refused.detail, d::kRefused);
}

}  // namespace
}  // namespace lifeline
