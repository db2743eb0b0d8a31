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

namespace {

// ex_data slots of our own: asio uses the app_data slots of SSL_CTX and SSL for its callbacks.
int ContextIndex() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}
int KeyIndex() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

}  // namespace

Context::Context() : ctx_(asio::ssl::context::tls_client) {}

Context::~Context() {
  for (auto& [key, cached] : sessions_) SSL_SESSION_free(cached.session);
}

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
  // Hundreds of handshakes wait at once; idle connections need no 34 KiB of record buffers.
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_read_ahead(ctx, 1);  // one recv per socket read, not one per record header
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
  // Client-side sessions are kept by us (per host:port), not in OpenSSL's internal cache.
  SSL_CTX_set_ex_data(ctx, ContextIndex(), c.get());
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(ctx, &Context::OnNewSession);
  return c;
}

int Context::OnNewSession(SSL* ssl, SSL_SESSION* session) {
  auto* self = static_cast<Context*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ContextIndex()));
  auto* key = static_cast<const std::string*>(SSL_get_ex_data(ssl, KeyIndex()));
  if (!self || !key) return 0;
  if (self->sessions_.size() >= 4096 && !self->sessions_.count(*key)) {
    // Bounded: a prober that met thousands of hosts starts its cache over.
    for (auto& [k, cached] : self->sessions_) SSL_SESSION_free(cached.session);
    self->sessions_.clear();
  }
  auto [it, inserted] = self->sessions_.try_emplace(*key);
  Cached& cached = it->second;
  // A ticket received on a resumed connection carries the old verification time forward.
  if (inserted || SSL_session_reused(ssl) != 1)
    cached.verified_at = std::chrono::steady_clock::now();
  if (cached.session) SSL_SESSION_free(cached.session);
  cached.session = session;
  return 1;  // we keep the reference
}

bool Context::PrepareClient(SSL* ssl, const std::string& host, bool host_is_ip,
                            const std::string* session_key) {
  if (host_is_ip) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    if (X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) != 1) return false;
  } else {
    if (SSL_set_tlsext_host_name(ssl, host.c_str()) != 1) return false;
    SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    if (SSL_set1_host(ssl, host.c_str()) != 1) return false;
  }
  if (!session_key) return true;
  SSL_set_ex_data(ssl, KeyIndex(), const_cast<std::string*>(session_key));
  auto it = sessions_.find(*session_key);
  if (it == sessions_.end()) return true;
  if (std::chrono::steady_clock::now() - it->second.verified_at >= kFullVerifyInterval ||
      !SSL_SESSION_is_resumable(it->second.session)) {
    Forget(*session_key);
    return true;
  }
  SSL_set_session(ssl, it->second.session);  // a refused resumption is just a full handshake
  return true;
}

std::optional<Failure> Context::AfterHandshake(SSL* ssl, const std::string& session_key) {
  if (SSL_session_reused(ssl) != 1) return std::nullopt;
  X509* leaf = Leaf(ssl);
  auto now = SysClock::now();
  auto not_after = leaf ? ToTimePoint(X509_get0_notAfter(leaf)) : std::nullopt;
  auto not_before = leaf ? ToTimePoint(X509_get0_notBefore(leaf)) : std::nullopt;
  std::optional<Failure> failure;
  if (not_after && *not_after < now) {
    failure =
        Failure{d::kExpired, fmt::format("TLS certificate expired on {}", FormatDate(*not_after))};
  } else if (not_before && *not_before > now) {
    failure = Failure{d::kExpired,
                      fmt::format("TLS certificate not valid before {}", FormatDate(*not_before))};
  }
  if (failure) Forget(session_key);
  return failure;
}

void Context::Forget(const std::string& session_key) {
  auto it = sessions_.find(session_key);
  if (it == sessions_.end()) return;
  SSL_SESSION_free(it->second.session);
  sessions_.erase(it);
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
