// The agent's HTTP server: Beast on asio coroutines, one coroutine per connection, with the
// protocol's checks in the order that costs an attacker the most and us the least: path, method,
// token, declared size, body, JSON, targets.
#include "agent/server.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cassert>
#include <cctype>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <limits>
#include <list>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>

#include "agent/observer_check.h"
#include "agent/probe_options.h"
#include "agent/token.h"
#include "core/json.h"
#include "diagnose/diagnose.h"
#include "probe/dns/resolver.h"
#include "probe/http/url.h"

namespace lifeline::agent {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kHeaderLimit = 16 * 1024;
constexpr std::chrono::seconds kWriteTimeout{30};
constexpr std::chrono::milliseconds kLingerTimeout{500};
constexpr std::size_t kLingerBytes = 1 << 20;
// Distinct per-request timeouts that keep their own Prober; others get one for the request only.
constexpr std::size_t kMaxProbers = 8;

// What to answer; the body is JSON.
struct Reply {
  http::status status = http::status::ok;
  json body;
  bool close = false;         // close after answering (e.g. a body was left unread)
  std::string allow;          // 405: the Allow header
  bool authenticate = false;  // 401: WWW-Authenticate: Bearer
  std::size_t targets = 0;    // for the log line
};

Reply ErrorReply(http::status status, std::string_view code, std::string message) {
  Reply r;
  r.status = status;
  r.body = {{"error", {{"code", code}, {"message", std::move(message)}}}};
  return r;
}

Reply BadRequest(std::string message) {
  return ErrorReply(http::status::bad_request, "invalid_argument", std::move(message));
}

Reply TooLarge(std::string message) {
  Reply r = ErrorReply(http::status::payload_too_large, "resource_exhausted", std::move(message));
  return r;
}

double Round1(double v) { return static_cast<double>(static_cast<long long>(v * 10 + 0.5)) / 10; }

double MsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// A request path fit for a log line: no query, no control characters, bounded length.
std::string LogPath(std::string_view target) {
  target = target.substr(0, target.find('?'));
  std::string out;
  for (char c : target.substr(0, 120)) {
    out.push_back(static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? '?' : c);
  }
  return out;
}

// nlohmann's "[json.exception.parse_error.101] parse error at line 1, column 9: ..." without the
// library's tag.
std::string ParseErrorText(const json::exception& e) {
  std::string_view what = e.what();
  if (what.starts_with("[json.exception.")) {
    if (auto end = what.find("] "); end != std::string_view::npos) what.remove_prefix(end + 2);
  }
  return std::string(what);
}

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view View(beast::string_view v) { return {v.data(), v.size()}; }

// The address a target names literally, if any: a tcp host, an http URL's host, a dns probe's
// resolver. (A name is resolved and checked by the Prober, as is every redirect.)
std::optional<core::IpAddress> LiteralAddress(const core::ProbeSpec& spec) {
  switch (spec.kind) {
    case core::ProbeKind::kTcp:
      return core::IpAddress::Parse(spec.host);
    case core::ProbeKind::kHttp: {
      auto url = probe::http::ParseUrl(spec.url);
      if (!url.ok() || !url->host_is_ip()) return std::nullopt;
      return core::IpAddress::Parse(url->host);
    }
    case core::ProbeKind::kDns: {
      if (spec.resolver.empty()) return std::nullopt;  // this machine's own resolver
      auto server = probe::dns::ParseResolver(spec.resolver);
      if (!server.ok()) return std::nullopt;
      return core::IpAddress::Parse(server->ip);
    }
  }
  return std::nullopt;
}

// Checks the protocol's target rules beyond the JSON shape core::ProbeSpecFromJson checks, and
// the address policy for addresses the target names literally.
std::string TargetProblem(const core::ProbeSpec& spec, const core::AddressPolicy* policy) {
  if (spec.kind == core::ProbeKind::kHttp && !spec.url.starts_with("http://") &&
      !spec.url.starts_with("https://")) {
    return "field 'url' must start with http:// or https://";
  }
  if (spec.kind == core::ProbeKind::kTcp && spec.port == 0) return "field 'port' must not be 0";
  if (policy) {
    if (auto address = LiteralAddress(spec)) {
      if (auto refusal = policy->Check(*address)) return refusal->message;
    }
  }
  return "";
}

}  // namespace

struct AgentServer::State {
  State(asio::io_context& io_in, config::Config config_in, ProberFactory factory,
        ServerOptions options_in)
      : io(io_in),
        config(std::move(config_in)),
        make_prober(std::move(factory)),
        options(std::move(options_in)),
        acceptor(io_in),
        tls(options.tls) {}

  void Log(const std::string& line) const {
    if (options.log) options.log(line);
  }

  // Runs `on_stopped` once stopping and no connection is left.
  void MaybeStopped() {
    if (!stopping || !connections.empty() || !on_stopped) return;
    auto done = std::move(on_stopped);
    on_stopped = nullptr;
    done();
  }

  asio::io_context& io;
  const config::Config config;
  ProberFactory make_prober;
  const ServerOptions options;
  tcp::acceptor acceptor;
  std::shared_ptr<asio::ssl::context> tls;  // null: plain HTTP; replaced by SetTls
  bool stopping = false;
  std::function<void()> on_stopped;

  struct Connection {
    beast::tcp_stream* stream;
    bool busy;  // between reading a request header and writing its answer
  };
  // Open connections. Only the io_context's thread touches it (no lock: one event loop).
  std::list<Connection> connections;
};

namespace {

using State = AgentServer::State;
using Parser = http::request_parser<http::string_body>;

bool Authorized(const State& st, const Parser::value_type& req, std::string& why) {
  auto it = req.find(http::field::authorization);
  if (it == req.end()) {
    why = "missing 'Authorization: Bearer <token>' header";
    return false;
  }
  std::string_view value(it->value().data(), it->value().size());
  constexpr std::string_view kScheme = "bearer ";
  if (value.size() < kScheme.size() || !IEquals(value.substr(0, kScheme.size()), kScheme)) {
    why = "the Authorization header must use the Bearer scheme";
    return false;
  }
  value.remove_prefix(kScheme.size());
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  if (!TokenEquals(st.options.token, value)) {
    why = "invalid token";
    return false;
  }
  return true;
}

// Runs a valid request's targets and this agent's own observer check in one Prober::Run.
asio::awaitable<Reply> RunProbes(std::shared_ptr<State> st, std::vector<core::ProbeSpec> targets,
                                 std::chrono::milliseconds timeout) {
  const auto start = Clock::now();
  auto prober = st->make_prober(timeout);
  if (!prober.ok()) {
    co_return ErrorReply(http::status::internal_server_error, "internal",
                         "cannot set up probes: " + prober.error().message());
  }
  const std::size_t n = targets.size();
  ObserverPlan plan = PlanObserverCheck(st->config);
  std::vector<core::ProbeSpec> all = std::move(targets);
  all.insert(all.end(), plan.specs.begin(), plan.specs.end());
  probe::LocalNetwork local =
      st->options.inspect_network ? st->options.inspect_network() : probe::InspectLocalNetwork();
  const std::size_t expected = all.size();
  std::vector<core::ProbeResult> results = co_await (*prober)->Run(std::move(all));
  if (results.size() != expected) {
    co_return ErrorReply(
        http::status::internal_server_error, "internal",
        fmt::format("prober returned {} results for {} probes", results.size(), expected));
  }
  std::span<const core::ProbeResult> all_results(results);
  diagnose::Observer observer =
      diagnose::AssessObserver(AssembleObserverInput(plan, all_results.subspan(n), local));

  json out_results = json::array();
  for (std::size_t i = 0; i < n; ++i) {
    core::ProbeResult r = results[i];
    r.from = st->options.name;
    out_results.push_back(core::ToJson(r));
  }
  Reply reply;
  reply.targets = n;
  reply.body = {
      {"agent",
       {{"name", st->options.name}, {"region", st->options.region}, {"version", kAgentVersion}}},
      {"observer",
       {{"connectivity", core::ConnectivityName(observer.connectivity)},
        {"evidence", observer.evidence}}},
      {"results", std::move(out_results)},
      {"elapsed_ms", Round1(MsSince(start))},
  };
  co_return reply;
}

// Validates a POST /v1/probe body, then runs it.
asio::awaitable<Reply> HandleProbe(std::shared_ptr<State> st, const std::string& body) {
  auto request = ReadProbeRequest(body, st->options);
  if (!request.ok()) {
    if (request.error().code() == core::ErrorCode::kResourceExhausted) {
      co_return TooLarge(request.error().message());
    }
    co_return BadRequest(request.error().message());
  }
  co_return co_await RunProbes(st, std::move(request->targets), request->timeout);
}

// Routes one request whose header has been read; reads the body only once the caller is known.
template <class Stream>
asio::awaitable<Reply> Dispatch(std::shared_ptr<State> st, Stream& stream,
                                beast::flat_buffer& buffer, Parser& parser) {
  const auto& req = parser.get();
  std::string_view target(req.target().data(), req.target().size());
  target = target.substr(0, target.find('?'));
  const bool has_body = parser.chunked() || parser.content_length().value_or(0) > 0;
  Reply reply;
  std::string why;
  if (target == "/healthz") {
    if (req.method() == http::verb::get) {
      reply.body = {{"status", "ok"}, {"version", kAgentVersion}};
    } else {
      reply = ErrorReply(http::status::method_not_allowed, "method_not_allowed",
                         "use GET for /healthz");
      reply.allow = "GET";
    }
  } else if (target != "/v1/probe") {
    reply = ErrorReply(http::status::not_found, "not_found",
                       "no such path; the agent serves POST /v1/probe and GET /healthz");
  } else if (req.method() != http::verb::post) {
    reply = ErrorReply(http::status::method_not_allowed, "method_not_allowed",
                       "use POST for /v1/probe");
    reply.allow = "POST";
  } else if (!Authorized(*st, req, why)) {
    reply = ErrorReply(http::status::unauthorized, "unauthenticated", why);
    reply.authenticate = true;
  } else if (parser.content_length() && *parser.content_length() > st->options.max_request_bytes) {
    reply = TooLarge(fmt::format("the body ({} bytes) is over this agent's limit of {} bytes",
                                 *parser.content_length(), st->options.max_request_bytes));
  } else {
    // The body: bounded in size (chunked bodies too) and in time.
    parser.body_limit(st->options.max_request_bytes);
    beast::error_code ec;
    if (IEquals(View(req[http::field::expect]), "100-continue")) {
      http::response<http::empty_body> go_on{http::status::continue_, req.version()};
      beast::get_lowest_layer(stream).expires_after(kWriteTimeout);
      co_await http::async_write(stream, go_on, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return Reply{.close = true};
    }
    beast::get_lowest_layer(stream).expires_after(st->options.body_timeout);
    co_await http::async_read(stream, buffer, parser,
                              asio::redirect_error(asio::use_awaitable, ec));
    beast::get_lowest_layer(stream).expires_never();
    if (ec == http::error::body_limit) {
      reply = TooLarge(fmt::format("the body is over this agent's limit of {} bytes",
                                   st->options.max_request_bytes));
    } else if (ec == beast::error::timeout) {
      reply = ErrorReply(http::status::request_timeout, "deadline_exceeded",
                         "the body did not arrive in time");
    } else if (ec) {
      reply = BadRequest("cannot read the body: " + ec.message());
    } else {
      co_return co_await HandleProbe(st, parser.get().body());
    }
    reply.close = true;  // the rest of the body, if any, is still in the stream
    co_return reply;
  }
  // The body of a request we refused was not read: the connection cannot carry another request.
  reply.close = has_body;
  co_return reply;
}

template <class Stream>
asio::awaitable<void> WriteReply(Stream& stream, const Reply& reply, unsigned version,
                                 bool keep_alive) {
  http::response<http::string_body> res{reply.status, version};
  res.set(http::field::server, fmt::format("lifeline-agent/{}", kAgentVersion));
  res.set(http::field::content_type, "application/json");
  res.set(http::field::cache_control, "no-store");
  if (!reply.allow.empty()) res.set(http::field::allow, reply.allow);
  if (reply.authenticate) res.set(http::field::www_authenticate, "Bearer");
  res.keep_alive(keep_alive);
  // Probe messages quote what servers sent: replace invalid UTF-8 rather than fail.
  res.body() = reply.body.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
  res.prepare_payload();
  beast::get_lowest_layer(stream).expires_after(kWriteTimeout);
  beast::error_code ec;
  co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
}

// True for errors that mean the bytes were not HTTP (answered with 400), as opposed to the peer
// going away or the header timeout (the connection just closes).
bool IsSyntaxError(const beast::error_code& ec) {
  if (ec.category() != http::make_error_code(http::error::bad_method).category()) return false;
  return ec != http::error::end_of_stream && ec != http::error::partial_message &&
         ec != http::error::need_more && ec != http::error::header_limit;
}

template <class Stream>
asio::awaitable<void> ServeRequests(std::shared_ptr<State> st, Stream& stream,
                                    State::Connection& conn, const std::string& peer) {
  beast::flat_buffer buffer;
  for (;;) {
    conn.busy = false;
    if (st->stopping) co_return;
    Parser parser;
    parser.header_limit(kHeaderLimit);
    // No limit while reading the header: a declared size is checked after authentication.
    // (Not boost::none: Beast 1.74 compares Content-Length > none as true.)
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    beast::get_lowest_layer(stream).expires_after(st->options.header_timeout);
    beast::error_code ec;
    co_await http::async_read_header(stream, buffer, parser,
                                     asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      Reply reply;
      if (ec == http::error::header_limit) {
        reply = ErrorReply(http::status::request_header_fields_too_large, "resource_exhausted",
                           fmt::format("the request header is over {} bytes", kHeaderLimit));
      } else if (IsSyntaxError(ec)) {
        reply = BadRequest("not a valid HTTP/1.1 request: " + ec.message());
      } else {
        if (ec == beast::error::timeout) st->Log(fmt::format("{} header timeout", peer));
        co_return;  // peer gone, idle or too slow: nothing to answer
      }
      conn.busy = true;
      co_await WriteReply(stream, reply, 11, false);
      st->Log(fmt::format("{} - - {}", peer, static_cast<int>(reply.status)));
      co_return;
    }
    conn.busy = true;
    const auto start = Clock::now();
    const auto method = parser.get().method_string();
    std::string method_text(method.data(), method.size());
    const std::string path = LogPath({parser.get().target().data(), parser.get().target().size()});
    const unsigned version = parser.get().version();
    const bool wants_keep_alive = parser.get().keep_alive();
    Reply reply = co_await Dispatch(st, stream, buffer, parser);
    const bool keep_alive = wants_keep_alive && !reply.close && !st->stopping;
    co_await WriteReply(stream, reply, version, keep_alive);
    st->Log(fmt::format("{} {} {} {} targets={} {:.1f}ms", peer, method_text.substr(0, 16), path,
                        static_cast<int>(reply.status), reply.targets, MsSince(start)));
    if (!keep_alive) co_return;
  }
}

asio::awaitable<void> Serve(std::shared_ptr<State> st, tcp::socket socket) {
  beast::error_code ec;
  std::string peer = "?";
  if (auto ep = socket.remote_endpoint(ec); !ec) {
    peer = fmt::format("{}:{}", ep.address().to_string(), ep.port());
  }
  // The context current when the connection came in: a reload (SIGHUP) applies to new ones.
  std::shared_ptr<asio::ssl::context> tls = st->tls;
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
  std::optional<beast::tcp_stream> plain;
  beast::tcp_stream* lowest;
  if (tls) {
    lowest = &beast::get_lowest_layer(secure.emplace(std::move(socket), *tls));
  } else {
    lowest = &plain.emplace(std::move(socket));
  }
  beast::tcp_stream& stream = *lowest;
  auto conn = st->connections.insert(st->connections.end(), State::Connection{&stream, false});
  try {
    if (secure) {
      // The handshake counts against the header timeout (a client that never finishes it).
      stream.expires_after(st->options.header_timeout);
      co_await secure->async_handshake(asio::ssl::stream_base::server,
                                       asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        st->Log(fmt::format("{} TLS handshake failed: {}", peer, ec.message()));
      } else {
        co_await ServeRequests(st, *secure, *conn, peer);
        // close_notify; the peer's own is awaited only briefly (most clients just close).
        stream.expires_after(kLingerTimeout);
        co_await secure->async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
      }
    } else {
      co_await ServeRequests(st, *plain, *conn, peer);
    }
  } catch (const std::exception& e) {
    st->Log(fmt::format("{} connection failed: {}", peer, e.what()));
  }
  // Lingering close: a refused request's body may still be arriving; closing with unread bytes
  // would send a reset that can destroy our answer in the client's buffer before it reads it.
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  if (stream.socket().is_open()) {
    stream.expires_after(kLingerTimeout);
    std::size_t drained = 0;
    char sink[4096];
    while (drained < kLingerBytes) {
      std::size_t n = co_await stream.async_read_some(
          asio::buffer(sink), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
      drained += n;
    }
  }
  stream.socket().close(ec);
  st->connections.erase(conn);
  st->MaybeStopped();
}

asio::awaitable<void> AcceptLoop(std::shared_ptr<State> st) {
  for (;;) {
    beast::error_code ec;
    tcp::socket socket =
        co_await st->acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (st->stopping || ec == asio::error::operation_aborted) co_return;
    if (ec) {
      // Out of file descriptors and the like: wait instead of spinning.
      st->Log(fmt::format("accept failed: {}", ec.message()));
      asio::steady_timer pause(st->io, std::chrono::milliseconds(100));
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    if (st->connections.size() >= st->options.max_connections) {
      socket.close(ec);
      continue;
    }
    asio::co_spawn(st->io, Serve(st, std::move(socket)), [st](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        st->Log(fmt::format("connection failed: {}", ex.what()));
      }
    });
  }
}

}  // namespace

AgentServer::AgentServer(asio::io_context& io, config::Config config, ProberFactory make_prober,
                         ServerOptions options)
    : state_(std::make_shared<State>(io, std::move(config), std::move(make_prober),
                                     std::move(options))) {}

AgentServer::~AgentServer() {
  beast::error_code ec;
  state_->acceptor.close(ec);
}

core::Status AgentServer::Listen(const tcp::endpoint& endpoint) {
  beast::error_code ec;
  auto fail = [&](const char* what) {
    return core::MakeError(core::ErrorCode::kUnavailable, "cannot listen on {}:{}: {} ({})",
                           endpoint.address().to_string(), endpoint.port(), ec.message(), what);
  };
  tcp::acceptor& acceptor = state_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (ec) return fail("socket");
  acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (ec) return fail("SO_REUSEADDR");
  acceptor.bind(endpoint, ec);
  if (ec) return fail("bind");
  acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail("listen");
  return core::Ok();
}

tcp::endpoint AgentServer::endpoint() const {
  beast::error_code ec;
  return state_->acceptor.local_endpoint(ec);
}

void AgentServer::Start() {
  asio::co_spawn(state_->io, AcceptLoop(state_), [st = state_](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      st->Log(fmt::format("accept loop failed: {}", ex.what()));
    }
  });
}

void AgentServer::Stop(std::function<void()> on_stopped) {
  State& st = *state_;
  st.stopping = true;
  st.on_stopped = std::move(on_stopped);
  beast::error_code ec;
  st.acceptor.close(ec);
  // Idle connections wait for a request that is not coming; busy ones close after answering.
  for (State::Connection& conn : st.connections) {
    if (!conn.busy) conn.stream->socket().close(ec);
  }
  st.MaybeStopped();
}

std::size_t AgentServer::open_connections() const { return state_->connections.size(); }

void AgentServer::SetTls(std::shared_ptr<asio::ssl::context> tls) {
  assert(tls && state_->tls);  // a plain agent stays plain
  state_->tls = std::move(tls);
}

bool AgentServer::serves_tls() const { return state_->tls != nullptr; }

core::Result<std::shared_ptr<asio::ssl::context>> LoadServerTls(const std::string& cert_file,
                                                                const std::string& key_file) {
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  SSL_CTX* native = ctx->native_handle();
  // TLS 1.2 and later only; no compression, no renegotiation by the client.
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_options(
      native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  auto reason = [] {
    unsigned long err = ERR_get_error();
    ERR_clear_error();
    if (err == 0) return std::string("unknown OpenSSL error");
    char buf[256];
    ERR_error_string_n(err, buf, sizeof buf);
    return std::string(buf);
  };
  ERR_clear_error();
  if (SSL_CTX_use_certificate_chain_file(native, cert_file.c_str()) != 1) {
    return core::MakeError(core::ErrorCode::kInvalidArgument,
                           "cannot load TLS certificate '{}' (--tls-cert): {} (give a PEM file: "
                           "the agent's certificate, then any intermediates)",
                           cert_file, reason());
  }
  // The key on its own first: a readable key of another certificate is a mismatch, said so.
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_file(key_file.c_str(), "r"), BIO_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr, EVP_PKEY_free);
  if (key && X509_check_private_key(SSL_CTX_get0_certificate(native), key.get()) != 1) {
    ERR_clear_error();
    return core::MakeError(core::ErrorCode::kInvalidArgument,
                           "TLS key '{}' does not match certificate '{}' (--tls-key must be the "
                           "key of --tls-cert)",
                           key_file, cert_file);
  }
  ERR_clear_error();
  if (SSL_CTX_use_PrivateKey_file(native, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    return core::MakeError(core::ErrorCode::kInvalidArgument,
                           "cannot load TLS key '{}' (--tls-key): {} (give the PEM private key, "
                           "unencrypted)",
                           key_file, reason());
  }
  if (SSL_CTX_check_private_key(native) != 1) {
    return core::MakeError(core::ErrorCode::kInvalidArgument,
                           "TLS key '{}' does not match certificate '{}': {}", key_file, cert_file,
                           reason());
  }
  return ctx;
}

namespace {

std::string HostName() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "agent";
  return buf;
}

void LogToStderr(std::string_view line) {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
  std::fprintf(stderr, "%s %.*s\n", stamp, static_cast<int>(line.size()), line.data());
}

}  // namespace

core::Result<ProbeRequest> ReadProbeRequest(const std::string& body, const ServerOptions& options) {
  using core::ErrorCode;
  json doc;
  try {
    doc = json::parse(body);
  } catch (const json::exception& e) {  // also out_of_range: a number past a double's range
    return core::MakeError(ErrorCode::kInvalidArgument, "malformed JSON: {}", ParseErrorText(e));
  }
  if (!doc.is_object()) {
    return core::MakeError(ErrorCode::kInvalidArgument,
                           "the body must be a JSON object with 'targets', not {}",
                           doc.type_name());
  }
  auto targets = doc.find("targets");
  if (targets == doc.end()) {
    return core::MakeError(ErrorCode::kInvalidArgument, "field 'targets' is missing");
  }
  if (!targets->is_array()) {
    return core::MakeError(ErrorCode::kInvalidArgument, "field 'targets' must be an array, not {}",
                           targets->type_name());
  }
  if (targets->size() > options.max_targets) {
    return core::MakeError(ErrorCode::kResourceExhausted,
                           "{} targets is more than this agent's limit of {}", targets->size(),
                           options.max_targets);
  }
  ProbeRequest request;
  request.timeout = options.default_timeout;
  if (auto t = doc.find("timeout_ms"); t != doc.end() && !t->is_null()) {
    const auto max = kMaxRequestTimeout.count();
    bool valid = (t->is_number_unsigned() || t->is_number_integer()) && t->get<long long>() >= 1 &&
                 t->get<long long>() <= max;
    if (!valid) {
      return core::MakeError(ErrorCode::kInvalidArgument,
                             "field 'timeout_ms' must be an integer from 1 to {}, not {}", max,
                             t->dump());
    }
    request.timeout = std::chrono::milliseconds(t->get<long long>());
  }
  if (options.address_policy && options.own_addresses) {
    options.address_policy->SetOwnAddresses(options.own_addresses());
  }
  request.targets.reserve(targets->size());
  for (std::size_t i = 0; i < targets->size(); ++i) {
    auto spec = core::ProbeSpecFromJson((*targets)[i]);
    if (!spec.ok()) {
      return core::MakeError(ErrorCode::kInvalidArgument, "targets[{}]: {}", i,
                             spec.error().message());
    }
    if (std::string problem = TargetProblem(*spec, options.address_policy.get());
        !problem.empty()) {
      return core::MakeError(ErrorCode::kInvalidArgument, "targets[{}]: {}", i, problem);
    }
    request.targets.push_back(std::move(spec).value());
  }
  return request;
}

std::shared_ptr<core::AddressPolicy> AgentAddressPolicy(const config::Config& config) {
  return std::make_shared<core::AddressPolicy>(config.agent.allow_private,
                                               std::string(kAddressRule));
}

core::Status RunAgent(const AgentOptions& options) {
  std::shared_ptr<asio::ssl::context> tls;
  if (options.tls_cert.empty() != options.tls_key.empty()) {
    return core::MakeError(core::ErrorCode::kInvalidArgument,
                           "give both --tls-cert FILE and --tls-key FILE (the certificate and its "
                           "key), not only {}",
                           options.tls_cert.empty() ? "--tls-key" : "--tls-cert");
  }
  if (!options.tls_cert.empty()) {
    if (options.insecure_http) {
      return core::MakeError(core::ErrorCode::kInvalidArgument,
                             "--insecure-http and --tls-cert/--tls-key exclude each other: the "
                             "agent serves either HTTPS or plain HTTP");
    }
    auto loaded = LoadServerTls(options.tls_cert, options.tls_key);
    if (!loaded.ok()) return loaded.error();
    tls = std::move(loaded).value();
  } else if (!options.insecure_http) {
    return core::MakeError(
        core::ErrorCode::kInvalidArgument,
        "the agent serves HTTPS: give --tls-cert FILE --tls-key FILE (PEM; docs/cli.md, "
        "\"lifeline agent\", shows how to make them), or --insecure-http to serve plain HTTP "
        "where the token and the probes may travel in clear (a trusted network only)");
  }
  auto token = ReadTokenFile(options.token_file);
  if (!token.ok()) return token.error();
  auto endpoint = ParseListenAddress(options.listen);
  if (!endpoint.ok()) return endpoint.error();
  const config::Config& config = options.config;

  ServerOptions server_options;
  server_options.name = !options.name.empty()        ? options.name
                        : !config.agent.name.empty() ? config.agent.name
                                                     : HostName();
  server_options.region = !options.region.empty() ? options.region : config.agent.region;
  server_options.token = std::move(token).value();
  server_options.max_request_bytes = config.agent.max_request_bytes;
  server_options.max_targets = config.agent.max_targets;
  server_options.default_timeout = std::min(config.timeout, kMaxRequestTimeout);
  server_options.log = LogToStderr;
  server_options.address_policy = AgentAddressPolicy(config);
  server_options.tls = tls;

  asio::io_context io;
  probe::Options probe_options = ProbeOptionsFor(config);
  // The same policy object: the server refreshes its own-address list before each request.
  probe_options.address_policy = server_options.address_policy;
  // Answers go to callers elsewhere: no quoting of what the probed servers sent.
  probe_options.quote_responses = false;
  // One Prober per distinct timeout asked for (callers mostly share one), made on first use.
  // The one for the default timeout is made now: a bad CA file or resolver config fails at
  // start-up, not on the first request.
  auto probers =
      std::make_shared<std::map<std::chrono::milliseconds, std::shared_ptr<probe::Prober>>>();
  ProberFactory factory =
      [&io, probe_options,
       probers](std::chrono::milliseconds timeout) -> core::Result<std::shared_ptr<probe::Prober>> {
    if (auto it = probers->find(timeout); it != probers->end()) return it->second;
    probe::Options o = probe_options;
    o.timeout = timeout;
    auto created = probe::CreateProber(io, o);
    if (!created.ok()) return created.error();
    std::shared_ptr<probe::Prober> prober = std::move(created).value();
    if (probers->size() < kMaxProbers) probers->emplace(timeout, prober);
    return prober;
  };
  if (auto check = factory(server_options.default_timeout); !check.ok()) return check.error();

  const std::string name = server_options.name;
  AgentServer server(io, config, std::move(factory), std::move(server_options));
  if (auto listening = server.Listen(*endpoint); !listening.ok()) return listening.error();
  if (options.on_listening) {
    options.on_listening(server.endpoint());
  } else {
    LogToStderr(fmt::format("lifeline agent '{}' {} listening on {}://{}:{}", name, kAgentVersion,
                            tls ? "https" : "http", server.endpoint().address().to_string(),
                            server.endpoint().port()));
  }
  if (!tls) {
    LogToStderr("serving plain HTTP (--insecure-http): the token and the probes travel in clear");
  }
  server.Start();

  // SIGHUP: a renewed certificate for new connections, without a restart.
  asio::signal_set reload(io, SIGHUP);
  std::function<void()> arm_reload = [&] {
    reload.async_wait([&](const beast::error_code& ec, int) {
      if (ec) return;
      if (!tls) {
        LogToStderr("SIGHUP: nothing to reload (plain HTTP)");
      } else if (auto fresh = LoadServerTls(options.tls_cert, options.tls_key); !fresh.ok()) {
        LogToStderr(
            fmt::format("SIGHUP: keeping the current certificate: {}", fresh.error().message()));
      } else {
        server.SetTls(std::move(fresh).value());
        LogToStderr(fmt::format("SIGHUP: reloaded TLS certificate '{}' and key '{}'",
                                options.tls_cert, options.tls_key));
      }
      arm_reload();
    });
  };
  arm_reload();

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const beast::error_code& ec, int signal) {
    if (ec) return;
    LogToStderr(
        fmt::format("{}: stopping; answering {} open connection(s) first (signal again "
                    "to exit at once)",
                    signal == SIGINT ? "SIGINT" : "SIGTERM", server.open_connections()));
    // Armed before Stop, which may finish at once and cancel the signal set.
    signals.async_wait([](const beast::error_code& ec2, int) {
      if (ec2) return;
      LogToStderr("second signal: exiting without waiting");
      std::_Exit(130);
    });
    server.Stop([&signals, &reload] {
      beast::error_code ignored;
      signals.cancel(ignored);
      reload.cancel(ignored);
    });
  });
  try {
    io.run();
  } catch (const std::exception& e) {
    return core::MakeError(core::ErrorCode::kInternal, "agent failed: {}", e.what());
  }
  LogToStderr("stopped");
  return core::Ok();
}

}  // namespace lifeline::agent
