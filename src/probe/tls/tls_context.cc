// OpenSSL client setup and handshake-failure classification for the TLS layer of the probes.
#include "probe/tls/tls_context.h"

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <ctime>

#include <fmt/core.h>

#include "core/types.h"
#include "probe/classify.h"

namespace lifeline::probe::tls {

namespace asio = boost::asio;
namespace d = core::detail;
using core::ErrorCode;
using core::MakeError;
using SysClock = std::chrono::system_clock;

namespace {

std::optional<SysClock::time_point> ToTimePoint(const ASN1_TIME* t) {
  std::tm tm{};
  if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return std::nullopt;
  return SysClock::from_time_t(timegm(&tm));
}

X509* Leaf(SSL* ssl) {
  // On a failed verification the session's peer is not set yet, but the chain is (client side:
  // leaf first).
  STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl);
  if (chain && sk_X509_num(chain) > 0) return sk_X509_value(chain, 0);
  return SSL_get0_peer_certificate(ssl);
}

}  // namespace

Context::Context() : ctx_(asio::ssl::context::tls_client) {}

core::Result<std::unique_ptr<Context>> Context::Create(const std::string& ca_file) {
  std::unique_ptr<Context> c;
  try {
    c.reset(new Context());
  } catch (const boost::system::system_error& e) {
    return MakeError(ErrorCode::kInternal, "TLS context: {}", e.what());
  }
  SSL_CTX* ctx = c->ctx_.native_handle();
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  if (!ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(ctx, ca_file.c_str(), nullptr) != 1) {
      unsigned long err = ERR_peek_last_error();
      const char* reason = err ? ERR_reason_error_string(err) : nullptr;
      std::string why = reason ? reason : "no usable certificates";
      ERR_clear_error();
      return MakeError(ErrorCode::kInvalidArgument, "cannot load CA file '{}': {}", ca_file, why);
    }
  } else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
    ERR_clear_error();
    return MakeError(ErrorCode::kUnavailable, "cannot load the system's CA certificates");
  }
  return c;
}

bool PrepareClient(SSL* ssl, const std::string& host, bool host_is_ip) {
  if (host_is_ip) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    return X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) == 1;
  }
  if (SSL_set_tlsext_host_name(ssl, host.c_str()) != 1) return false;
  SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  return SSL_set1_host(ssl, host.c_str()) == 1;
}

Failure ClassifyHandshakeFailure(SSL* ssl, const boost::system::error_code& ec,
                                 const std::string& host) {
  long verify = SSL_get_verify_result(ssl);
  std::string_view detail = TlsVerifyDetail(verify);
  if (detail == d::kExpired) {
    X509* leaf = Leaf(ssl);
    auto now = SysClock::now();
    auto not_after = leaf ? ToTimePoint(X509_get0_notAfter(leaf)) : std::nullopt;
    auto not_before = leaf ? ToTimePoint(X509_get0_notBefore(leaf)) : std::nullopt;
    if (not_after && *not_after < now) {
      return {detail, fmt::format("TLS certificate expired on {}", FormatDate(*not_after))};
    }
    if (not_before && *not_before > now) {
      return {detail, fmt::format("TLS certificate not valid before {}", FormatDate(*not_before))};
    }
    return {detail,
            fmt::format("TLS certificate chain: {}", X509_verify_cert_error_string(verify))};
  }
  if (detail == d::kHostname) {
    return {detail, fmt::format("TLS certificate is not valid for {}", host)};
  }
  if (detail == d::kCertificate) {
    return {detail,
            fmt::format("TLS certificate not trusted: {}", X509_verify_cert_error_string(verify))};
  }
  if (ec == asio::error::eof) {
    return {d::kHandshake, "TLS handshake failed: connection closed by the server"};
  }
  return {d::kHandshake, fmt::format("TLS handshake failed: {}", ec.message())};
}

std::optional<SysClock::time_point> LeafNotAfter(SSL* ssl) {
  X509* leaf = Leaf(ssl);
  if (!leaf) return std::nullopt;
  return ToTimePoint(X509_get0_notAfter(leaf));
}

std::string FormatDate(SysClock::time_point t) {
  std::time_t tt = SysClock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

}  // namespace lifeline::probe::tls
