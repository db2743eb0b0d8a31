// Builds and runs the observer's own connection check and sorts its results into the evidence
// diagnose::AssessObserver judges.
#include "agent/observer_check.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace lifeline::agent {
namespace {

// The host of an http(s) URL: "https://user@Host.Example:8443/x" -> "host.example"; "" when the
// URL has no authority. IPv6 literals come back without brackets.
std::string UrlHost(std::string_view url) {
  auto scheme = url.find("://");
  if (scheme == std::string_view::npos) return "";
  std::string_view rest = url.substr(scheme + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (auto at = rest.rfind('@'); at != std::string_view::npos) rest = rest.substr(at + 1);
  std::string_view host;
  if (!rest.empty() && rest.front() == '[') {
    auto close = rest.find(']');
    if (close == std::string_view::npos) return "";
    host = rest.substr(1, close - 1);
  } else {
    host = rest.substr(0, rest.find(':'));
  }
  std::string out(host);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (!out.empty() && out.back() == '.') out.pop_back();
  return out;
}

bool IsIpLiteral(const std::string& host) {
  in6_addr buf;
  return inet_pton(AF_INET, host.c_str(), &buf) == 1 ||
         inet_pton(AF_INET6, host.c_str(), &buf) == 1;
}

}  // namespace

std::vector<std::string> ControlHosts(const std::vector<core::ProbeSpec>& control) {
  std::vector<std::string> hosts;
  for (const core::ProbeSpec& spec : control) {
    std::string host = spec.kind == core::ProbeKind::kHttp ? UrlHost(spec.url) : spec.host;
    if (host.empty() || IsIpLiteral(host)) continue;
    if (std::find(hosts.begin(), hosts.end(), host) == hosts.end()) hosts.push_back(host);
  }
  return hosts;
}

std::vector<core::ProbeSpec> ControlDnsSpecs(const std::vector<std::string>& hosts,
                                             const std::string& resolver) {
  std::vector<core::ProbeSpec> specs;
  specs.reserve(hosts.size());
  for (const std::string& host : hosts) {
    core::ProbeSpec spec;
    spec.id = resolver.empty() ? "dns:" + host : "dns:" + host + "@" + resolver;
    spec.kind = core::ProbeKind::kDns;
    spec.host = host;
    spec.resolver = resolver;
    specs.push_back(std::move(spec));
  }
  return specs;
}

ObserverPlan PlanObserverCheck(const config::Config& config) {
  ObserverPlan plan;
  plan.specs = config.control;
  plan.control = config.control.size();
  std::vector<std::string> hosts = ControlHosts(config.control);
  std::vector<core::ProbeSpec> system = ControlDnsSpecs(hosts, "");
  plan.system_dns = system.size();
  plan.specs.insert(plan.specs.end(), system.begin(), system.end());
  for (const std::string& resolver : config.resolvers) {
    std::vector<core::ProbeSpec> direct = ControlDnsSpecs(hosts, resolver);
    plan.direct_dns += direct.size();
    plan.specs.insert(plan.specs.end(), direct.begin(), direct.end());
  }
  return plan;
}

diagnose::ObserverInput AssembleObserverInput(const ObserverPlan& plan,
                                              std::span<const core::ProbeResult> results,
                                              const probe::LocalNetwork& local) {
  if (results.size() != plan.specs.size()) std::abort();
  diagnose::ObserverInput in;
  in.has_interface = !local.interfaces.empty();
  in.has_default_route = local.has_default_route;
  auto next = results.begin();
  auto take = [&next](std::size_t n) {
    std::vector<core::ProbeResult> out(next, next + static_cast<std::ptrdiff_t>(n));
    next += static_cast<std::ptrdiff_t>(n);
    return out;
  };
  in.control = take(plan.control);
  in.system_dns = take(plan.system_dns);
  in.direct_dns = take(plan.direct_dns);
  return in;
}

boost::asio::awaitable<diagnose::ObserverInput> GatherObserverEvidence(
    probe::Prober& prober, const config::Config& config) {
  co_return co_await GatherObserverEvidence(prober, config, probe::InspectLocalNetwork());
}

boost::asio::awaitable<diagnose::ObserverInput> GatherObserverEvidence(probe::Prober& prober,
                                                                       const config::Config& config,
                                                                       probe::LocalNetwork local) {
  ObserverPlan plan = PlanObserverCheck(config);
  std::vector<core::ProbeResult> results = co_await prober.Run(plan.specs);
  co_return AssembleObserverInput(plan, results, local);
}

}  // namespace lifeline::agent
