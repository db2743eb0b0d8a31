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

#include "core/result.h"
#include "core/types.h"

namespace lifeline::probe {

struct Options {
  std::chrono::milliseconds timeout{5000};         // per probe, all phases together
  std::chrono::milliseconds slow_threshold{2000};  // ok but slower than this: ProbeResult::slow
  std::size_t concurrency = 256;                   // probes in flight at once
  std::string ca_file;                             // PEM bundle to trust; "" = the system's CAs
  std::string resolv_conf;  // resolver config for "this machine's resolver"; "" = /etc/resolv.conf
  // Applied to the hosts of HTTP and TCP probes before DNS, as the system resolver does ("files
  // dns"): a listed name is not looked up in DNS. "" = none. DNS probes always ask DNS.
  std::string hosts_file = "/etc/hosts";
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
class Prober {
 public:
  virtual ~Prober() = default;

  // Runs one probe, bounded by Options::timeout. `from` of the result is "here".
  virtual boost::asio::awaitable<core::ProbeResult> RunOne(const core::ProbeSpec& spec) = 0;

  // Runs every spec, at most Options::concurrency at once. Results are in the order of `specs`.
  virtual boost::asio::awaitable<std::vector<core::ProbeResult>> Run(
      std::vector<core::ProbeSpec> specs) = 0;

  // One HTTP request/response, bounded by request.timeout.
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

}  // namespace lifeline::probe
