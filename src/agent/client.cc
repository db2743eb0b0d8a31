// The caller's side of the agent protocol: builds the request, reads the token, and checks the
// answer field by field so a broken agent is reported precisely and never trusted.
#include "agent/client.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "agent/server.h"
#include "agent/token.h"
#include "core/json.h"

namespace lifeline::agent {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

// Results of up to max_targets probes, each a few hundred bytes.
constexpr std::size_t kMaxAnswerBytes = 32 << 20;

std::string ProbeUrl(const std::string& base) {
  std::string url = base;
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url + "/v1/probe";
}

// One line on why the exchange failed: a stable phrase first, then the prober's own words.
std::string DescribeTransport(const core::ProbeResult& t, std::chrono::milliseconds timeout) {
  std::string what;
  if (t.detail == core::detail::kTimeout) {
    what = t.message.empty() ? fmt::format("timeout: no answer within {} ms", timeout.count())
                             : "timeout";
  } else if (t.layer == core::Layer::kTcp && t.detail == core::detail::kRefused) {
    what = "connection refused";
  } else if (t.layer == core::Layer::kTcp && t.detail == core::detail::kReset) {
    what = "connection reset";
  } else if (t.layer == core::Layer::kTcp && t.detail == core::detail::kUnreachable) {
    what = "network unreachable";
  } else if (t.layer == core::Layer::kDns) {
    what = fmt::format("cannot resolve the agent's host (DNS {})", t.detail);
  } else if (t.layer == core::Layer::kTls) {
    what = fmt::format("TLS {} failure", t.detail.empty() ? "handshake" : t.detail);
  } else if (t.layer == core::Layer::kHttp && t.detail == core::detail::kTooLarge) {
    what = fmt::format("answer over {} bytes", kMaxAnswerBytes);
  } else {
    what = fmt::format("{} {}", core::LayerName(t.layer), t.detail);
  }
  if (!t.message.empty()) what += " (" + t.message + ")";
  return what;
}

}  // namespace

std::string AgentErrorMessage(const std::string& body) {
  json doc = json::parse(body, nullptr, false);
  if (!doc.is_discarded() && doc.is_object()) {
    auto err = doc.find("error");
    if (err != doc.end() && err->is_object()) {
      auto msg = err->find("message");
      if (msg != err->end() && msg->is_string()) return msg->get<std::string>();
    }
  }
  std::string excerpt = body.substr(0, 120);
  std::replace_if(
      excerpt.begin(), excerpt.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; }, ' ');
  return excerpt;
}

std::string ReadProbeAnswer(const std::string& body, const std::vector<core::ProbeSpec>& targets,
                            VantageReply& reply) {
  json doc = json::parse(body, nullptr, false);
  if (doc.is_discarded()) return "answer is not JSON";
  if (!doc.is_object()) return "answer is not a JSON object";

  auto observer = doc.find("observer");
  if (observer == doc.end() || !observer->is_object()) return "answer has no 'observer' object";
  auto connectivity = observer->find("connectivity");
  if (connectivity == observer->end() || !connectivity->is_string()) {
    return "answer has no 'observer.connectivity' string";
  }
  auto parsed = core::ParseConnectivity(connectivity->get<std::string>());
  if (!parsed) {
    return fmt::format(
        "answer's observer.connectivity '{}' is not one of ok, local_dns, "
        "local_network, no_network",
        connectivity->get<std::string>());
  }
  std::vector<std::string> evidence;
  if (auto ev = observer->find("evidence"); ev != observer->end() && !ev->is_null()) {
    if (!ev->is_array()) return "answer's observer.evidence is not an array";
    for (const json& line : *ev) {
      if (!line.is_string()) return "answer's observer.evidence holds a non-string";
      evidence.push_back(line.get<std::string>());
    }
  }

  auto results = doc.find("results");
  if (results == doc.end() || !results->is_array()) return "answer has no 'results' array";
  if (results->size() != targets.size()) {
    return fmt::format("answer has {} results for {} targets", results->size(), targets.size());
  }
  std::vector<core::ProbeResult> out;
  out.reserve(targets.size());
  for (std::size_t i = 0; i < targets.size(); ++i) {
    auto r = core::ProbeResultFromJson((*results)[i]);
    if (!r.ok()) return fmt::format("answer's results[{}]: {}", i, r.error().message());
    if (r->probe_id != targets[i].id) {
      return fmt::format("answer's results[{}] is for probe '{}', expected '{}'", i, r->probe_id,
                         targets[i].id);
    }
    r->from = reply.name;
    out.push_back(std::move(r).value());
  }

  if (auto agent = doc.find("agent"); agent != doc.end() && agent->is_object()) {
    if (auto v = agent->find("version"); v != agent->end() && v->is_string()) {
      reply.agent_version = v->get<std::string>();
    }
    if (auto region = agent->find("region");
        reply.region.empty() && region != agent->end() && region->is_string()) {
      reply.region = region->get<std::string>();
    }
  }
  reply.connectivity = *parsed;
  reply.evidence = std::move(evidence);
  reply.results = std::move(out);
  return "";
}

namespace {

// The stable name of a transport failure (VantageReply::failure).
std::string TransportFailure(const core::ProbeResult& t) {
  namespace d = core::detail;
  if (t.detail == d::kTimeout) return "timeout";
  switch (t.layer) {
    case core::Layer::kDns:
      return "dns";
    case core::Layer::kTcp:
      if (t.detail == d::kRefused) return "refused";
      if (t.detail == d::kReset) return "reset";
      if (t.detail == d::kUnreachable) return "unreachable";
      return "transport";
    case core::Layer::kTls:
      if (t.detail == d::kCertificate || t.detail == d::kHostname || t.detail == d::kExpired) {
        return "tls_verify";
      }
      return "tls";
    case core::Layer::kHttp:
      if (t.detail == d::kTooLarge) return "too_large";
      return "transport";
    default:
      return "transport";
  }
}

}  // namespace

boost::asio::awaitable<VantageReply> QueryVantage(probe::Prober& prober, core::VantagePoint vantage,
                                                  std::vector<core::ProbeSpec> targets,
                                                  std::chrono::milliseconds probe_timeout,
                                                  std::chrono::milliseconds exchange_timeout) {
  VantageReply reply;
  reply.name = vantage.name;
  reply.region = vantage.region;
  auto token = ReadTokenFile(vantage.token_file);
  if (!token.ok()) {
    reply.error = token.error().message();
    reply.failure = "token_file";
    co_return reply;
  }
  const auto timeout_ms =
      std::clamp<long long>(probe_timeout.count(), 1, kMaxRequestTimeout.count());
  json targets_json = json::array();
  for (const core::ProbeSpec& spec : targets) targets_json.push_back(core::ToJson(spec));

  probe::FetchRequest request;
  request.method = "POST";
  request.url = ProbeUrl(vantage.url);
  request.headers = {{"Authorization", "Bearer " + *token},
                     {"Content-Type", "application/json"},
                     {"Accept", "application/json"}};
  request.body = json{{"targets", std::move(targets_json)}, {"timeout_ms", timeout_ms}}.dump(
      -1, ' ', false, json::error_handler_t::replace);
  request.max_body_bytes = kMaxAnswerBytes;
  request.timeout = exchange_timeout;
  request.ca_file = vantage.ca_file;

  const auto start = Clock::now();
  probe::FetchResponse response = co_await prober.Fetch(std::move(request));
  const std::string url = ProbeUrl(vantage.url);
  if (!response.transport.ok) {
    reply.failure = TransportFailure(response.transport);
    reply.error =
        fmt::format("{}: {}", url, DescribeTransport(response.transport, exchange_timeout));
    if (response.transport.layer == core::Layer::kTls &&
        response.transport.detail != core::detail::kTimeout) {
      // Most often the trust: say which one was used, and where to change it.
      reply.error += vantage.ca_file.empty()
                         ? "; verified against the default CAs (set 'ca: FILE' on this vantage "
                           "point to trust the agent's own CA)"
                         : fmt::format("; verified against ca '{}' (this vantage point's 'ca')",
                                       vantage.ca_file);
    }
    co_return reply;
  }
  reply.rtt_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  reply.connect_ms = response.transport.timings.connect;
  if (response.status != 200) {
    reply.failure =
        response.status == 401 || response.status == 403 ? "unauthorized" : "http_status";
    reply.error =
        fmt::format("{}: HTTP {}: {}", url, response.status, AgentErrorMessage(response.body));
    co_return reply;
  }
  if (std::string problem = ReadProbeAnswer(response.body, targets, reply); !problem.empty()) {
    reply.failure = "bad_answer";
    reply.error = fmt::format("{}: {}", url, problem);
    co_return reply;
  }
  reply.reachable = true;
  co_return reply;
}

boost::asio::awaitable<VantageReply> QueryVantage(probe::Prober& prober, core::VantagePoint vantage,
                                                  std::vector<core::ProbeSpec> targets,
                                                  std::chrono::milliseconds timeout) {
  auto probe_timeout = std::max(timeout - timeout / 5, std::chrono::milliseconds(1));
  co_return co_await QueryVantage(prober, std::move(vantage), std::move(targets), probe_timeout,
                                  timeout);
}

}  // namespace lifeline::agent
