// Domain types shared by every part: verdicts, failure layers, what to probe (ProbeSpec), what a
// probe saw (ProbeResult), platforms and vantage points. Plain data; no I/O.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lifeline::core {

// The contract of `lifeline check` (DESIGN.md "Verdicts"). Names are stable: scripts depend on
// them.
enum class Verdict {
  kUp,
  kDegraded,
  kOutage,
  kRegionalOutage,
  kJustYou,
  kLocalDns,
  kLocalNetwork,
  kNoNetwork,
  kUnknown,
};

// How this observer's own connection is, judged before any platform.
enum class Connectivity { kOk, kLocalDns, kLocalNetwork, kNoNetwork };

// The layer at which a probe failed; kNone for a probe that succeeded.
enum class Layer { kNone, kDns, kTcp, kTls, kHttp, kContent };

enum class ProbeKind { kDns, kTcp, kHttp };

std::string_view VerdictName(Verdict v);  // "up", "regional_outage", ...
std::optional<Verdict> ParseVerdict(std::string_view name);
std::string_view ConnectivityName(Connectivity c);  // "ok", "local_dns", ...
std::optional<Connectivity> ParseConnectivity(std::string_view name);
std::string_view LayerName(Layer l);  // "", "dns", "tcp", "tls", "http", "content"
std::optional<Layer> ParseLayer(std::string_view name);
std::string_view ProbeKindName(ProbeKind k);  // "dns", "tcp", "http"
std::optional<ProbeKind> ParseProbeKind(std::string_view name);

// Failure details, per layer (ProbeResult::detail). Stable strings, part of the JSON contract.
namespace detail {
// dns
inline constexpr std::string_view kNxdomain = "nxdomain";
inline constexpr std::string_view kServfail = "servfail";
inline constexpr std::string_view kRefused = "refused";
inline constexpr std::string_view kTimeout = "timeout";    // dns, tcp, tls, http
inline constexpr std::string_view kNoAnswer = "noanswer";  // NOERROR with an empty answer
// tcp
inline constexpr std::string_view kUnreachable = "unreachable";
inline constexpr std::string_view kReset = "reset";
// Not attempted: the address is one the prober's AddressPolicy refuses (an agent asked for a
// private address, directly, through DNS or through a redirect). Nothing was sent to it.
inline constexpr std::string_view kAddressNotAllowed = "address_not_allowed";
// tls
inline constexpr std::string_view kHandshake = "handshake";
inline constexpr std::string_view kCertificate = "certificate";  // untrusted chain, bad signature
inline constexpr std::string_view kHostname = "hostname";        // certificate for another name
inline constexpr std::string_view kExpired = "expired";          // or not yet valid
// http
inline constexpr std::string_view kStatus = "status";        // unexpected status code
inline constexpr std::string_view kRedirects = "redirects";  // redirect limit exceeded
inline constexpr std::string_view kTooLarge = "too_large";   // body over the cap
inline constexpr std::string_view kProtocol = "protocol";    // not valid HTTP/1.1
// content
inline constexpr std::string_view kMissing = "missing";  // expected text not in the body
inline constexpr std::string_view kRegex = "regex";      // body regex did not match
inline constexpr std::string_view kJson = "json";        // JSON assertion failed
inline constexpr std::string_view kCaptivePortal = "captive_portal";
// any layer
inline constexpr std::string_view kError = "error";  // unclassified
}  // namespace detail

// What a healthy HTTP answer looks like.
struct HttpExpect {
  std::vector<int> status;                 // accepted final statuses; empty: 200-399
  std::vector<std::string> body_contains;  // each must appear in the body
  std::string body_regex;                  // ECMAScript; empty: none
  std::string json_pointer;                // RFC 6901 pointer into a JSON body; empty: none
  std::optional<std::string> json_equals;  // expected value at json_pointer (string or JSON text);
                                           // unset: the pointer must merely exist
};

// One thing to probe. Sent as-is to vantage points, so everything a probe needs is in here.
struct ProbeSpec {
  std::string id;  // unique within its owner (platform or control set), e.g. "web"
  ProbeKind kind = ProbeKind::kHttp;
  // kDns: the name to resolve; kTcp: the host to connect to.
  std::string host;
  std::uint16_t port = 443;  // kTcp only
  std::string resolver;      // kDns only: "" = this machine's resolver, else "IP" or
                             // "IP:PORT" (or "[IPv6]:PORT") queried directly
  std::string url;           // kHttp only: http:// or https://
  std::string method = "GET";
  // Request headers. May hold secrets (API probes): never log or print their values.
  std::vector<std::pair<std::string, std::string>> headers;
  bool api = false;  // an authenticated API probe: failing alone degrades a platform
  HttpExpect expect;
  int max_redirects = 5;
  std::size_t max_body_bytes = 1 << 20;

  // What a person reads as the target: the URL, "dns:NAME[@resolver]" or "tcp:HOST:PORT".
  std::string Label() const;
};

// Per-phase durations in milliseconds; a phase that did not happen is unset.
struct Timings {
  std::optional<double> dns;
  std::optional<double> connect;
  std::optional<double> tls;
  std::optional<double> first_byte;
  std::optional<double> total;
};

// What one probe saw. A failed probe is data, not an error.
struct ProbeResult {
  std::string probe_id;  // ProbeSpec::id
  ProbeKind kind = ProbeKind::kHttp;
  std::string target;         // ProbeSpec::Label()
  std::string from = "here";  // "here" or the vantage point's name
  bool ok = false;
  Layer layer = Layer::kNone;  // where it failed (kNone when ok)
  std::string detail;          // one of core::detail, empty when ok
  std::string message;         // one line for a person: "DNS SERVFAIL from 10.0.0.53"
  bool api = false;            // copied from ProbeSpec::api
  bool slow = false;           // ok, but total time over the slow threshold
  Timings timings;
  int http_status = 0;                 // final status, 0 if none
  std::string resolver;                // dns: which resolver answered ("system" or the address)
  std::vector<std::string> addresses;  // dns: answers; http/tcp: the address connected to
  std::optional<std::chrono::system_clock::time_point> cert_not_after;  // tls: leaf expiry
  // When this process's prober began the probe (after waiting for a concurrency slot), so that
  // serve can tell how late each probe started. Local only: not part of the JSON forms.
  std::chrono::steady_clock::time_point started{};
};

// A platform's official status page.
struct StatusPageRef {
  std::string url;                  // Statuspage v2: .../api/v2/summary.json
  std::string kind = "statuspage";  // statuspage (Atlassian v2 JSON) | rss | atom | feed (either)
  // Feeds only: an incident whose latest update is older than this no longer counts as active.
  std::chrono::seconds window{std::chrono::hours(12)};
};

// A social platform and how to tell whether it works.
struct Platform {
  std::string id;      // stable, lowercase: "instagram"
  std::string name;    // display: "Instagram"
  std::string domain;  // failure domain (who runs it / shared infrastructure): "meta"
  std::vector<std::string> dns_names;  // names whose resolution is checked directly
  std::vector<ProbeSpec> probes;       // http/tcp probes here and from vantage points
  std::optional<StatusPageRef> status_page;
  bool enabled = true;  // checked when no platform is named; a disabled one can still be named
  // Small public resources a person's own browser fetches in the dashboard's device check
  // (config `device_probes`: https URLs, at most a few).
  std::vector<std::string> device_probes;
};

// A remote agent (`lifeline agent`) that probes on our behalf from elsewhere.
struct VantagePoint {
  std::string name;
  std::string region;
  std::string url;         // base URL, e.g. https://agent.example:8443
  std::string token_file;  // file holding the bearer token
  // PEM CA (or the agent's self-signed certificate) an https url is verified against; "" = the
  // caller's usual trust (the top-level ca_file, else the system's CAs).
  std::string ca_file;
  bool insecure_http = false;  // an http:// url was allowed explicitly (config: insecure_http)
};

// RFC 3339 UTC, second precision: "2026-11-27T10:00:00Z".
std::string FormatTime(std::chrono::system_clock::time_point t);

}  // namespace lifeline::core
