// The prober: runs DNS (c-ares), TCP, TLS (OpenSSL) and HTTP/1.1 probes asynchronously on one
// Boost.Asio event loop, with a concurrency bound, a timeout per probe and per-phase timings.
#pragma once

// GCC 12: <utility> must precede Boost's awaitable header.
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "core/address_policy.h"
#include "core/result.h"
#include "core/types.h"

namespace lifeline::probe {

struct Options {
  std::chrono::milliseconds timeout{5000};         // per probe, all phases together
  std::chrono::milliseconds slow_threshold{2000};  // ok but slower than this: ProbeResult::slow
  std::size_t concurrency = 256;  // probes in flight at once, across all Run() calls of a Prober
  // PEM bundle to trust; "" = the system's CAs. A given file is loaded by CreateProber (and must
  // be valid); the system store is loaded on the first https probe.
  std::string ca_file;
  // Resolver config for "this machine's resolver"; "" = /etc/resolv.conf. c-ares 1.18 reads
  // "nameserver IP" lines only (no ports). A SERVFAIL or REFUSED answer from the first server
  // that answers is the result (kept, not retried on the next server, so the code survives).
  std::string resolv_conf;
  // Applied to the hosts of HTTP and TCP probes before DNS, as the system resolver does ("files
  // dns"): a listed name is not looked up in DNS. "" = none. DNS probes always ask DNS.
  std::string hosts_file = "/etc/hosts";
  // Resume each host's TLS session (see Prober). Off: every HTTPS probe is a full handshake with
  // chain verification, as most probers do; bench/compare_blackbox.sh measures both.
  bool tls_resumption = true;
  // Checked before every connection (each address a name resolves to, each redirect's, a DNS
  // probe's direct resolver): a refused address is never connected to, and a probe left with no
  // allowed address fails with layer tcp, detail address_not_allowed and the policy's message.
  // Null: any address (the user's own checks of the hosts in their own config). This machine's
  // resolver (resolv_conf) is not checked: it is how names resolve at all.
  std::shared_ptr<const core::AddressPolicy> address_policy;
  // Whether failure messages may quote what a server sent: its reason phrase, a Location, a JSON
  // value or the start of a body that is not JSON. Off where results go to someone other than
  // this machine's user (an agent's callers): messages then name the failure without that text.
  bool quote_responses = true;
};

// A plain HTTP(S) request for callers that need the answer itself (status pages, vantage points),
// not a verdict on it. Follows no redirects.
struct FetchRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::size_t max_body_bytes = 1 << 20;
  std::chrono::milliseconds timeout{5000};
  // For https: the PEM file to trust instead of Options::ca_file (a vantage point's own CA);
  // loaded on first use and again when the file changes. A file that does not load fails the
  // request at the tls layer.
  std::string ca_file;
};

struct FetchResponse {
  // Transport outcome: ok when an HTTP response was read in full; otherwise layer/detail say why.
  // The HTTP status is not judged here: a 500 with a body is ok == true, status == 500.
  core::ProbeResult transport;
  int status = 0;
  std::string body;
};

// Owns the TLS context and resolver channels; every method must be called on the io_context's
// thread. Not thread-safe. A failed probe is a ProbeResult with ok == false, never an Error.
// Destroy it before its io_context, after the coroutines using it have finished.
//
// HTTPS probes of one host:port resume that host's TLS session (no certificate parsing or chain
// verification, a large part of a handshake's CPU); the remembered certificate's dates are still
// checked on every probe and each host is fully verified again at least every 5 minutes. Request
// headers (ProbeSpec::headers, FetchRequest::headers) never appear in any message.
class Prober {
 public:
  virtual ~Prober() = default;

  // Runs one probe, bounded by Options::timeout. `from` of the result is "here".
  virtual boost::asio::awaitable<core::ProbeResult> RunOne(const core::ProbeSpec& spec) = 0;

  // Runs every spec, at most Options::concurrency at once. Results are in the order of `specs`.
  virtual boost::asio::awaitable<std::vector<core::ProbeResult>> Run(
      std::vector<core::ProbeSpec> specs) = 0;

  // One HTTP request/response, bounded by request.timeout. Content-Length is set from the body;
  // the caller sets Content-Type. Host and User-Agent are set unless given; Connection: close.
  virtual boost::asio::awaitable<FetchResponse> Fetch(FetchRequest request) = 0;
};

// Fails (kInvalidArgument / kUnavailable) when the CA file or resolver config cannot be loaded.
core::Result<std::unique_ptr<Prober>> CreateProber(boost::asio::io_context& io,
                                                   const Options& options);

// Runs `specs` on a private event loop and returns when all are done.
core::Result<std::vector<core::ProbeResult>> RunBlocking(std::vector<core::ProbeSpec> specs,
                                                         const Options& options);

// This device's own network: the first step of the reasoning order.
struct LocalNetwork {
  std::vector<std::string> interfaces;  // non-loopback interfaces that are up, with an address
  bool has_default_route = false;       // IPv4 or IPv6
};

// Reads getifaddrs() and /proc/net/route, /proc/net/ipv6_route.
LocalNetwork InspectLocalNetwork();

// Every address of every interface of this machine (getifaddrs), loopback included: what an
// AddressPolicy treats as "own". Empty when they cannot be read.
std::vector<core::IpAddress> LocalAddresses();

}  // namespace lifeline::probe
