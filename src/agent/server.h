// The vantage-point agent (`lifeline agent`): an HTTP/1.1 server (Boost.Beast on one asio event
// loop) that runs the caller's probes from where it stands, with its own connection check.
// Protocol (docs/cli.md, "lifeline agent"): POST /v1/probe {"targets": [...], "timeout_ms": N}
// where timeout_ms (1..60000, default: the agent's config timeout) bounds each probe; GET /healthz.
// Served over HTTPS (TLS 1.2+, LoadServerTls); plain HTTP only when the operator asks for it.
#pragma once

// GCC 12: <utility> must precede Boost's awaitable header.
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/address_policy.h"
#include "core/listen_address.h"
#include "core/result.h"
#include "probe/probe.h"

namespace lifeline::agent {

inline constexpr std::string_view kAgentVersion = "0.1.0";

// Ends every refusal of the agent's AddressPolicy: what agents do and which setting allows more.
inline constexpr std::string_view kAddressRule =
    "agents probe public hosts only (agent.allow_private)";

// The agent's address policy: public addresses, plus the ranges of agent.allow_private
// (config/config.h). RunAgent uses it for the agent's probers and its ServerOptions.
std::shared_ptr<core::AddressPolicy> AgentAddressPolicy(const config::Config& config);

// Upper bound of a request's "timeout_ms" (per probe): an agent never works longer for one call.
inline constexpr std::chrono::milliseconds kMaxRequestTimeout{60000};

// Gives the Prober a request runs on, for that request's per-probe timeout (probe::Options fixes
// the timeout per Prober). Called on the io_context's thread; may hand out the same Prober for
// the same timeout (RunAgent does, so requests share its concurrency bound and TLS context).
using ProberFactory =
    std::function<core::Result<std::shared_ptr<probe::Prober>>(std::chrono::milliseconds timeout)>;

struct ServerOptions {
  std::string name;    // reported as agent.name and as every result's `from`
  std::string region;  // reported as agent.region
  std::string token;   // the bearer token; a secret, never logged. Must not be empty.
  std::size_t max_request_bytes = 1 << 20;
  std::size_t max_targets = 2000;
  std::size_t max_connections = 512;                // more are accepted and closed at once
  std::chrono::milliseconds default_timeout{5000};  // per probe, when the request names none
  // The whole request header must arrive within this (slowloris), and an idle keep-alive
  // connection is closed after it.
  std::chrono::milliseconds header_timeout{10000};
  std::chrono::milliseconds body_timeout{30000};  // the whole body, once the header is in
  // This device's interfaces and route for the observer check (tests replace it).
  std::function<probe::LocalNetwork()> inspect_network = probe::InspectLocalNetwork;
  // Which addresses targets may have. A target whose host (tcp host, url host, dns resolver) is an
  // address the policy refuses is a 400 naming it, before anything is probed; names and
  // redirects are checked by the Prober, which must be made with the same policy
  // (probe::Options::address_policy). Null: no check (tests with a fake Prober, the demo's
  // simulated agents on loopback). RunAgent always sets one.
  std::shared_ptr<core::AddressPolicy> address_policy;
  // This machine's addresses, given to address_policy before each request's probes run (they can
  // change while the agent runs).
  std::function<std::vector<core::IpAddress>()> own_addresses = probe::LocalAddresses;
  // One line per request (method, path, status, target count, time, peer); null: silent. Never
  // given a header value or a target.
  std::function<void(std::string_view)> log;
  // The server's TLS configuration (LoadServerTls); null: plain HTTP (tests, --insecure-http).
  std::shared_ptr<boost::asio::ssl::context> tls;
};

// A TLS 1.2+ server context from a PEM certificate chain and its unencrypted PEM key.
// kInvalidArgument naming the file and OpenSSL's reason when either does not load or they do not
// match.
core::Result<std::shared_ptr<boost::asio::ssl::context>> LoadServerTls(const std::string& cert_file,
                                                                       const std::string& key_file);

// Serves the agent protocol on an io_context. All methods must be called on the io_context's
// thread (or before it runs). Requests are served concurrently, each connection in its own
// coroutine; keep-alive is supported.
class AgentServer {
 public:
  // `config` supplies the observer check (control endpoints, resolvers).
  AgentServer(boost::asio::io_context& io, config::Config config, ProberFactory make_prober,
              ServerOptions options);
  ~AgentServer();
  AgentServer(const AgentServer&) = delete;
  AgentServer& operator=(const AgentServer&) = delete;

  // Binds and listens; port 0 picks a free port (see endpoint()). kUnavailable when the address
  // cannot be bound ("cannot listen on 127.0.0.1:8089: Address already in use").
  core::Status Listen(const boost::asio::ip::tcp::endpoint& endpoint);

  // The bound address, after Listen.
  boost::asio::ip::tcp::endpoint endpoint() const;

  // Starts accepting connections (after Listen).
  void Start();

  // Stops accepting and closes idle connections; requests in flight are answered (with
  // "Connection: close"), then their connections close. `on_stopped` runs once no connection is
  // left, so the io_context runs out of work.
  void Stop(std::function<void()> on_stopped = {});

  std::size_t open_connections() const;

  // Replaces the TLS context for connections accepted from now on (certificate renewal); open
  // connections keep the one they started with. Only for a server started with
  // ServerOptions::tls.
  void SetTls(std::shared_ptr<boost::asio::ssl::context> tls);
  bool serves_tls() const;

  struct State;  // implementation detail (server.cc)

 private:
  std::shared_ptr<State> state_;  // shared with the connection coroutines, which may outlive it
};

// A POST /v1/probe request, read and checked.
struct ProbeRequest {
  std::vector<core::ProbeSpec> targets;
  std::chrono::milliseconds timeout{0};  // per probe
};
// Reads a POST /v1/probe body as the server does (exposed for fuzz/agent_fuzz.cc): a JSON object
// with "targets" (more than options.max_targets: kResourceExhausted, answered 413) and an optional
// "timeout_ms" (1..kMaxRequestTimeout; default options.default_timeout), every target valid and
// allowed by options.address_policy (when set; given options.own_addresses first). Anything else
// is kInvalidArgument (400) saying what and where.
core::Result<ProbeRequest> ReadProbeRequest(const std::string& body, const ServerOptions& options);

// The one listen-address parser (core/listen_address.h), also `api.listen`'s; named here too
// because the agent's callers (the demo's agents) meet it beside AgentServer::Listen.
using core::ParseListenAddress;

struct AgentOptions {
  std::string listen;      // "ADDR:PORT"
  std::string token_file;  // holds the bearer token (trailing whitespace ignored)
  std::string name;        // "" = config.agent.name, or else this host's name
  std::string region;      // "" = config.agent.region
  // HTTPS: both files (PEM certificate chain, unencrypted PEM key), re-read on SIGHUP. Neither
  // and insecure_http: plain HTTP. Neither and !insecure_http: RunAgent refuses to start.
  std::string tls_cert;
  std::string tls_key;
  bool insecure_http = false;
  config::Config config;  // probe settings, control endpoints, resolvers, agent limits
  // Called once listening (tests use port 0 and learn the port here). Default: a line on stderr.
  std::function<void(const boost::asio::ip::tcp::endpoint&)> on_listening;
};

// Runs the agent until SIGINT or SIGTERM, then stops accepting, answers the requests in flight
// and returns Ok. A second signal while those finish exits the process at once (status 130).
// SIGHUP re-reads tls_cert and tls_key: new connections use the new pair; a pair that does not
// load is logged and the old one kept.
// Errors: no TLS pair and no insecure_http, a TLS pair that does not load, unreadable or empty
// token file, bad listen address, a probe setting that does not load (CA file, resolver config),
// an address that cannot be bound.
core::Status RunAgent(const AgentOptions& options);

}  // namespace lifeline::agent
