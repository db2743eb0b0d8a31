// Asking a remote agent (`lifeline agent`) to probe for us: one POST /v1/probe through the
// Prober. Whatever goes wrong becomes a VantageReply with reachable == false and one precise line.
#pragma once

// GCC 12: <utility> must precede Boost's awaitable header.
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/types.h"
#include "probe/probe.h"

namespace lifeline::agent {

// What one vantage point answered.
struct VantageReply {
  std::string name;        // the configured vantage point's name
  std::string region;      // the configured region, or the agent's own when none is configured
  bool reachable = false;  // the agent answered 200 with one valid result per target
  std::string error;       // why not, when !reachable: "http://...: connection refused (...)"
  core::Connectivity connectivity = core::Connectivity::kOk;  // the agent's own control check
  std::vector<std::string> evidence;                          // its reasons for `connectivity`
  std::vector<core::ProbeResult> results;  // same order as the targets; from = name
  std::optional<double> rtt_ms;            // the whole exchange, when there was one
  std::string agent_version;               // as reported
  // The TCP connect to the agent (one network round trip, without the agent's probing time),
  // when a connection was made.
  std::optional<double> connect_ms;
  // When !reachable, a stable name for why (the fleet view and scripts group by it; `error` has
  // the words): token_file, timeout, refused, reset, unreachable, dns, tls_verify (certificate
  // untrusted, for another name or expired), tls, too_large, transport, unauthorized (HTTP 401 or
  // 403: the token), http_status, bad_answer. "" when reachable.
  std::string failure;
};

// Sends `targets` to `vantage` and reads the answer. The agent is asked to bound each probe by
// `probe_timeout` (sent as timeout_ms); `exchange_timeout` bounds the whole HTTP exchange and
// should exceed it by the round trip. Reads the token file first (failure: unreachable with
// "cannot read token file PATH: ..."). Never throws. Takes its arguments by value: the coroutine
// may run after the caller's temporaries are gone; `prober` must outlive it.
boost::asio::awaitable<VantageReply> QueryVantage(probe::Prober& prober, core::VantagePoint vantage,
                                                  std::vector<core::ProbeSpec> targets,
                                                  std::chrono::milliseconds probe_timeout,
                                                  std::chrono::milliseconds exchange_timeout);

// The same with probe_timeout = exchange_timeout minus a margin for the round trip
// (a fifth of it, at least 1 ms left).
boost::asio::awaitable<VantageReply> QueryVantage(probe::Prober& prober, core::VantagePoint vantage,
                                                  std::vector<core::ProbeSpec> targets,
                                                  std::chrono::milliseconds timeout);

// The parts of QueryVantage that read the agent's answer (exposed for fuzz/agent_fuzz.cc):
// reads a 200 answer into `reply` (connectivity, evidence, one result per target in order, the
// agent's version and region); returns why it is not a valid answer, or "".
std::string ReadProbeAnswer(const std::string& body, const std::vector<core::ProbeSpec>& targets,
                            VantageReply& reply);
// The message of an agent's JSON error, or a short excerpt of whatever it sent.
std::string AgentErrorMessage(const std::string& body);

}  // namespace lifeline::agent
