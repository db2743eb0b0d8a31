// The prober's one client TLS configuration (trusted CAs loaded once) and the per-connection
// pieces around a handshake: SNI and name verification before it, classification after it.
#pragma once

#include <openssl/ssl.h>

#include <boost/asio/ssl/context.hpp>
#include <boost/system/error_code.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/result.h"

namespace lifeline::probe::tls {

// A handshake failure as the probe reports it.
struct Failure {
  std::string_view detail;  // core::detail: expired, hostname, certificate or handshake
  std::string message;      // "TLS certificate expired on 2021-01-01"
};

// One SSL_CTX for every probe of a Prober: loading CAs costs milliseconds, a probe must not.
//
// It also keeps one TLS session per host:port to resume. A resumed handshake skips certificate
// parsing and chain verification, which dominate a handshake's CPU with OpenSSL 3.0; in exchange
// each resumption re-checks the remembered certificate's validity dates, and a session is only
// resumed within kFullVerifyInterval of the last full verification of that host, so a changed or
// broken certificate is noticed within that interval. Not thread-safe (one Prober, one thread).
class Context {
 public:
  static constexpr std::chrono::minutes kFullVerifyInterval{5};

  // `ca_file` empty: the system's trust store (OpenSSL default paths).
  static core::Result<std::unique_ptr<Context>> Create(const std::string& ca_file);
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  boost::asio::ssl::context& native() { return ctx_; }

  // Before the handshake: SNI (names only, never IP literals), verification of the certificate
  // against `host` (DNS name or IP address), and a session to resume for `session_key`
  // ("host:port"), which must outlive `ssl`. False if OpenSSL refused the settings.
  bool PrepareClient(SSL* ssl, const std::string& host, bool host_is_ip,
                     const std::string* session_key);
  // After a successful handshake. For a resumed session, re-checks the remembered certificate's
  // validity dates (a failure forgets the session).
  std::optional<Failure> AfterHandshake(SSL* ssl, const std::string& session_key);
  // After a failed handshake: never resume that host's session again.
  void Forget(const std::string& session_key);

 private:
  struct Cached {
    SSL_SESSION* session = nullptr;                     // owned: one reference
    std::chrono::steady_clock::time_point verified_at;  // last full verification of the host
  };

  Context();
  static int OnNewSession(SSL* ssl, SSL_SESSION* session);

  boost::asio::ssl::context ctx_;
  std::unordered_map<std::string, Cached> sessions_;  // by host:port
};

Failure ClassifyHandshakeFailure(SSL* ssl, const boost::system::error_code& ec,
                                 const std::string& host);

// The peer's leaf certificate's notAfter, also after a failed verification.
std::optional<std::chrono::system_clock::time_point> LeafNotAfter(SSL* ssl);

// "2021-01-01" (UTC).
std::string FormatDate(std::chrono::system_clock::time_point t);

}  // namespace lifeline::probe::tls
