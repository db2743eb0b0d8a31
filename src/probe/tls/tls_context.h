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

#include "core/result.h"

namespace lifeline::probe::tls {

// One SSL_CTX for every probe of a Prober: loading CAs costs milliseconds, a probe must not.
class Context {
 public:
  // `ca_file` empty: the system's trust store (OpenSSL default paths).
  static core::Result<std::unique_ptr<Context>> Create(const std::string& ca_file);
  boost::asio::ssl::context& native() { return ctx_; }

 private:
  Context();
  boost::asio::ssl::context ctx_;
};

// Before the handshake: SNI (names only, never IP literals) and verification of the certificate
// against `host` (DNS name or IP address). Returns false if OpenSSL refused the settings.
bool PrepareClient(SSL* ssl, const std::string& host, bool host_is_ip);

// A handshake failure as the probe reports it.
struct Failure {
  std::string_view detail;  // core::detail: expired, hostname, certificate or handshake
  std::string message;      // "TLS certificate expired on 2021-01-01"
};
Failure ClassifyHandshakeFailure(SSL* ssl, const boost::system::error_code& ec,
                                 const std::string& host);

// The peer's leaf certificate's notAfter, also after a failed verification.
std::optional<std::chrono::system_clock::time_point> LeafNotAfter(SSL* ssl);

// "2021-01-01" (UTC).
std::string FormatDate(std::chrono::system_clock::time_point t);

}  // namespace lifeline::probe::tls
