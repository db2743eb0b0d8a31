// TLS probes against real HTTPS test servers using a CA made at test time (tests/tools/testca.sh):
// a valid ECDSA certificate, an expired one, one not yet valid, one for another name, a self-signed
// one, an untrusted CA, a peer that does not speak TLS and one that never answers the handshake.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <stdexcept>

#include "core/types.h"
#include "integration/support/process.h"
#include "integration/support/testhttpd.h"
#include "integration/support/unbound.h"
#include "probe/probe.h"
#include "probe/tls/tls_context.h"

namespace lifeline {
namespace {

using core::Layer;
using core::ProbeResult;
using core::ProbeSpec;
namespace d = core::detail;
using SysClock = std::chrono::system_clock;

class ProbeTlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    ca_dir_ = dir_->File("ca");
    ca_ready_ = testing::MakeTestCa(ca_dir_, {"valid.test"}, &error_);
    resolv_conf_ = dir_->Write("resolv.conf", "nameserver 127.0.0.1\n");
  }
  static void TearDownTestSuite() {
    servers_.clear();
    delete unbound_;
    unbound_ = nullptr;
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override {
    if (!testing::FindProgram("openssl")) GTEST_SKIP() << "openssl is not installed";
    if (!testing::FindProgram("python3")) GTEST_SKIP() << "python3 is not installed";
    ASSERT_TRUE(ca_ready_) << "test CA: " << error_;
  }

  // Test names (valid.test, other.test -> 127.0.0.1) through "this machine's resolver": needs
  // unbound on port 53, so root. Started on first use; false when unavailable.
  static bool HaveNames() {
    if (!unbound_) {
      unbound_ = new testing::Unbound();
      std::string error;
      if (!unbound_->Start("  local-zone: \"test.\" static\n"
                           "  local-data: \"valid.test. A 127.0.0.1\"\n"
                           "  local-data: \"other.test. A 127.0.0.1\"\n",
                           &error)) {
        unbound_->Stop();
      } else if (!unbound_->resolv_conf().empty()) {
        resolv_conf_ = unbound_->resolv_conf();
      }
    }
    return resolv_conf_ == unbound_->resolv_conf();
  }

  // One HTTPS server per certificate ("valid", "expired", "notyet", "wrongname", "selfsigned"),
  // plus "plain" (no TLS) and "redirect" (a redirect chain over TLS), started on first use.
  static const testing::TestHttpd& Server(const std::string& name) {
    if (auto it = servers_.find(name); it != servers_.end()) return *it->second;
    std::vector<std::string> args;
    if (name == "plain") {
      args = {"--mode", "ok"};
    } else {
      std::string cert = name == "redirect" ? "valid" : name;
      args = {
          "--cert", ca_dir_ + "/" + cert + ".pem",          "--key",  ca_dir_ + "/" + cert + ".key",
          "--mode", name == "redirect" ? "redirect" : "ok", "--body", "secure hello"};
    }
    auto server = std::make_unique<testing::TestHttpd>();
    std::string error;
    if (!server->Start(args, &error)) {
      throw std::runtime_error("test server " + name + " did not start: " + error);
    }
    return *(servers_[name] = std::move(server));
  }

  static probe::Options Options() {
    probe::Options o;
    o.timeout = std::chrono::milliseconds(2000);
    o.ca_file = ca_dir_ + "/ca.pem";
    o.resolv_conf = resolv_conf_;
    return o;
  }

  static ProbeResult Probe(const std::string& url, const probe::Options& options = Options()) {
    ProbeSpec spec;
    spec.id = "tls";
    spec.url = url;
    spec.expect.body_contains = {"secure hello"};
    auto results = probe::RunBlocking({spec}, options);
    EXPECT_TRUE(results.ok()) << results.error().ToString();
    if (!results.ok() || results->size() != 1) return ProbeResult();
    return (*results)[0];
  }

  static testing::TempDir* dir_;
  static std::string ca_dir_;
  static std::string resolv_conf_;
  static std::map<std::string, std::unique_ptr<testing::TestHttpd>> servers_;
  static testing::Unbound* unbound_;
  static std::string error_;
  static bool ca_ready_;
};

testing::TempDir* ProbeTlsTest::dir_ = nullptr;
std::string ProbeTlsTest::ca_dir_;
std::string ProbeTlsTest::resolv_conf_;
std::map<std::string, std::unique_ptr<testing::TestHttpd>> ProbeTlsTest::servers_;
testing::Unbound* ProbeTlsTest::unbound_ = nullptr;
std::string ProbeTlsTest::error_;
bool ProbeTlsTest::ca_ready_ = false;

TEST_F(ProbeTlsTest, ValidCertificate) {
  ProbeResult r = Probe(Server("valid").Url("/"));
  EXPECT_TRUE(r.ok) << r.message;
  EXPECT_EQ(r.http_status, 200);
  ASSERT_TRUE(r.timings.tls.has_value());
  EXPECT_GT(*r.timings.tls, 0);
  ASSERT_TRUE(r.cert_not_after.has_value());
  // testca.sh issues valid leaves for ten years.
  EXPECT_GT(*r.cert_not_after, SysClock::now() + std::chrono::hours(24 * 365 * 9));
}

TEST_F(ProbeTlsTest, ValidCertificateByNameWithSni) {
  if (!HaveNames()) GTEST_SKIP() << "needs unbound on port 53 (root) for test names";
  ProbeResult r = Probe(Server("valid").UrlWithHost("valid.test"));
  EXPECT_TRUE(r.ok) << r.message;
  EXPECT_TRUE(r.timings.dns.has_value());
}

TEST_F(ProbeTlsTest, ExpiredCertificate) {
  ProbeResult r = Probe(Server("expired").Url("/"));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.layer, Layer::kTls);
  EXPECT_EQ(r.detail, d::kExpired);
  EXPECT_EQ(r.message, "TLS certificate expired on 2021-01-01");
  ASSERT_TRUE(r.cert_not_after.has_value());
  EXPECT_EQ(core::FormatTime(*r.cert_not_after), "2021-01-01T00:00:00Z");
  EXPECT_EQ(r.http_status, 0);
}

TEST_F(ProbeTlsTest, NotYetValidCertificate) {
  ProbeResult r = Probe(Server("notyet").Url("/"));
  EXPECT_EQ(r.layer, Layer::kTls);
  EXPECT_EQ(r.detail, d::kExpired);
  EXPECT_EQ(r.message, "TLS certificate not valid before 2090-01-01");
}

TEST_F(ProbeTlsTest, CertificateForAnotherName) {
  ProbeResult by_ip = Probe(Server("wrongname").Url("/"));
  EXPECT_FALSE(by_ip.ok);
  EXPECT_EQ(by_ip.layer, Layer::kTls);
  EXPECT_EQ(by_ip.detail, d::kHostname) << by_ip.message;

  if (!HaveNames()) GTEST_SKIP() << "needs unbound on port 53 (root) for test names";
  ProbeResult by_name = Probe(Server("wrongname").UrlWithHost("valid.test"));
  EXPECT_EQ(by_name.detail, d::kHostname) << by_name.message;
  EXPECT_EQ(by_name.message, "TLS certificate is not valid for valid.test");
  // A valid certificate presented for a name it does not cover.
  ProbeResult other = Probe(Server("valid").UrlWithHost("other.test"));
  EXPECT_EQ(other.detail, d::kHostname) << other.message;
}

TEST_F(ProbeTlsTest, SelfSignedCertificate) {
  ProbeResult r = Probe(Server("selfsigned").Url("/"));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.layer, Layer::kTls);
  EXPECT_EQ(r.detail, d::kCertificate) << r.message;
  EXPECT_NE(r.message.find("self-signed"), std::string::npos) << r.message;
}

TEST_F(ProbeTlsTest, UntrustedCaWithTheSystemStore) {
  probe::Options options = Options();
  options.ca_file.clear();  // the system's CAs do not include our test CA
  ProbeResult r = Probe(Server("valid").Url("/"), options);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.layer, Layer::kTls);
  EXPECT_EQ(r.detail, d::kCertificate) << r.message;
}

TEST_F(ProbeTlsTest, PeerThatDoesNotSpeakTls) {
  std::string url = "https://127.0.0.1:" + std::to_string(Server("plain").port()) + "/";
  ProbeResult r = Probe(url);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.layer, Layer::kTls);
  EXPECT_EQ(r.detail, d::kHandshake) << r.message;
  EXPECT_EQ(r.message, "TLS handshake failed: wrong version number");
}

TEST_F(ProbeTlsTest, HandshakeThatNeverCompletesTimesOut) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(fd, 4), 0);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  probe::Options options = Options();
  options.timeout = std::chrono::milliseconds(500);
  ProbeResult r = Probe("https://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/", options);
  close(fd);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.layer, Layer::kTls);
  EXPECT_EQ(r.detail, d::kTimeout) << r.message;
}

TEST_F(ProbeTlsTest, RedirectsOverTls) {
  ProbeResult r = Probe(Server("redirect").Url("/"));
  EXPECT_TRUE(r.ok) << r.message;
  // Four connections, four handshakes: the phases add up.
  ASSERT_TRUE(r.timings.tls.has_value());
}

TEST_F(ProbeTlsTest, BadCaFileFailsProberCreation) {
  probe::Options options = Options();
  options.ca_file = dir_->Write("not-a-ca.pem", "this is not PEM\n");
  boost::asio::io_context io;
  auto prober = probe::CreateProber(io, options);
  ASSERT_FALSE(prober.ok());
  EXPECT_EQ(prober.error().code(), core::ErrorCode::kInvalidArgument);
  options.ca_file = "/nonexistent/ca.pem";
  EXPECT_FALSE(probe::CreateProber(io, options).ok());
}

TEST_F(ProbeTlsTest, ManyHandshakesShareOneContext) {
  std::vector<ProbeSpec> specs;
  const char* names[] = {"valid", "expired", "wrongname", "selfsigned"};
  for (int i = 0; i < 40; ++i) {
    ProbeSpec s;
    s.id = "t" + std::to_string(i);
    s.url = Server(names[i % 4]).Url("/");
    specs.push_back(s);
  }
  probe::Options options = Options();
  options.concurrency = 8;
  auto results = probe::RunBlocking(specs, options);
  ASSERT_TRUE(results.ok());
  const std::string_view want[] = {"", d::kExpired, d::kHostname, d::kCertificate};
  for (std::size_t i = 0; i < specs.size(); ++i) {
    EXPECT_EQ((*results)[i].detail, want[i % 4]) << i << ": " << (*results)[i].message;
  }
}

TEST_F(ProbeTlsTest, RepeatedConnectionsResumeTheSession) {
  // The CPU budget per HTTPS probe relies on resuming sessions (no certificate parsing or chain
  // verification); check it really happens, and that a resumed probe still reports the expiry.
  auto context = probe::tls::Context::Create(ca_dir_ + "/ca.pem");
  ASSERT_TRUE(context.ok()) << context.error().ToString();
  namespace asio = boost::asio;
  asio::io_context io;
  const std::string key = "127.0.0.1:" + std::to_string(Server("valid").port());
  std::vector<bool> reused;
  for (int i = 0; i < 3; ++i) {
    asio::ip::tcp::socket socket(io);
    socket.connect({asio::ip::make_address("127.0.0.1"), Server("valid").port()});
    asio::ssl::stream<asio::ip::tcp::socket> stream(std::move(socket), (*context)->native());
    SSL* ssl = stream.native_handle();
    ASSERT_TRUE((*context)->PrepareClient(ssl, "127.0.0.1", true, &key));
    boost::system::error_code ec;
    stream.handshake(asio::ssl::stream_base::client, ec);
    ASSERT_FALSE(ec) << ec.message();
    EXPECT_FALSE((*context)->AfterHandshake(ssl, key).has_value());
    asio::write(stream, asio::buffer(std::string("GET / HTTP/1.1\r\nHost: x\r\n"
                                                 "Connection: close\r\n\r\n")));
    std::string response;
    asio::read(stream, asio::dynamic_buffer(response), ec);  // to EOF (tickets arrive here)
    EXPECT_NE(response.find("secure hello"), std::string::npos);
    SSL_set_shutdown(ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    reused.push_back(SSL_session_reused(ssl) == 1);
    ASSERT_TRUE(probe::tls::LeafNotAfter(ssl).has_value());
  }
  EXPECT_EQ(reused, (std::vector<bool>{false, true, true}));

  // Through the prober: every probe of one host, resumed or not, reports the certificate's expiry.
  std::vector<ProbeSpec> specs(5);
  for (auto& s : specs) s.url = Server("valid").Url("/");
  auto results = probe::RunBlocking(specs, Options());
  ASSERT_TRUE(results.ok());
  for (const auto& r : *results) {
    EXPECT_TRUE(r.ok) << r.message;
    EXPECT_TRUE(r.cert_not_after.has_value());
  }
}

}  // namespace
}  // namespace lifeline
