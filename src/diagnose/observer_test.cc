// AssessObserver(): this device, its resolver against direct resolvers and the control endpoints,
// one table row per situation, asserting connectivity, layer, confidence and the evidence line.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "diagnose/diagnose.h"
#include "diagnose/test_util.h"

namespace lifeline::diagnose {
namespace {

using namespace testutil;  // NOLINT: our builders
using ::testing::Contains;
using ::testing::HasSubstr;
using C = core::Connectivity;
using L = core::Layer;

struct ObserverCase {
  std::string name;
  ObserverInput in;
  C connectivity;
  L layer;
  std::string detail;
  double min_confidence;
  double max_confidence;
  std::string evidence;
};

std::vector<ProbeResult> Times(int n, const ProbeResult& r) {
  return std::vector<ProbeResult>(n, r);
}

std::vector<ProbeResult> Names(const std::string& resolver, bool ok,
                               const std::string& detail = "") {
  std::vector<ProbeResult> out;
  for (const char* name : {"control-a.test", "control-b.test", "control-c.test"}) {
    out.push_back(ok ? DnsOk(name, resolver) : DnsFail(name, resolver, detail));
  }
  return out;
}

std::vector<ProbeResult> Concat(std::vector<ProbeResult> a, const std::vector<ProbeResult>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

std::vector<ObserverCase> Cases() {
  const auto ok = OkProbe("https://control.test/");
  const auto tcp_timeout = FailProbe(L::kTcp, "timeout", "https://control.test/");
  const auto dns_servfail = FailProbe(L::kDns, "servfail", "https://control.test/");
  const auto direct_ok = Concat(Names("198.51.100.53", true), Names("203.0.113.53", true));
  return {
      {"ok_every_control_site_loads",
       {.control = Times(5, ok), .system_dns = Names("system", true), .direct_dns = direct_ok},
       C::kOk,
       L::kNone,
       "",
       0.95,
       0.99,
       "5 of 5 control sites load"},
      {"ok_resolver_answers",
       {.control = Times(5, ok), .system_dns = Names("system", true), .direct_dns = direct_ok},
       C::kOk,
       L::kNone,
       "",
       0.95,
       0.99,
       "this machine's resolver answers for 3 of 3 control names"},
      {"ok_unverified_without_control_endpoints",
       {},
       C::kOk,
       L::kNone,
       "",
       0,
       0,
       "no control endpoints configured: this connection could not be verified"},
      {"ok_one_failing_site_of_two_is_not_a_majority",
       {.control = {ok, tcp_timeout}},
       C::kOk,
       L::kNone,
       "",
       0.3,
       0.4,
       "1 of 2 control sites load (TCP timeout)"},
      {"ok_a_dead_direct_resolver_is_noted",
       {.control = Times(3, ok),
        .system_dns = Names("system", true),
        .direct_dns =
            Concat(Names("198.51.100.53", true), Names("203.0.113.53", false, "timeout"))},
       C::kOk,
       L::kNone,
       "",
       0.9,
       0.95,
       "1 of 2 direct resolvers fail: 203.0.113.53 (DNS timeout)"},
      {"no_network_without_default_route",
       {.has_default_route = false, .control = Times(3, FailProbe(L::kTcp, "unreachable"))},
       C::kNoNetwork,
       L::kTcp,
       "unreachable",
       0.95,
       0.95,
       "no default route"},
      {"no_network_without_interface",
       {.has_interface = false, .has_default_route = false},
       C::kNoNetwork,
       L::kNone,
       "",
       0.95,
       0.95,
       "no usable network interface"},
      {"ok_without_route_on_a_directly_connected_network",
       {.has_default_route = false, .control = Times(2, ok)},
       C::kOk,
       L::kNone,
       "",
       0.85,
       0.9,
       "no default route, yet 2 of 2 control sites load: a directly connected network"},
      {"local_network_every_control_site_fails",
       {.control = Times(5, tcp_timeout),
        .system_dns = Names("system", false, "timeout"),
        .direct_dns = Concat(Names("198.51.100.53", false, "timeout"),
                             Names("203.0.113.53", false, "timeout"))},
       C::kLocalNetwork,
       L::kTcp,
       "timeout",
       0.95,
       0.99,
       "0 of 5 control sites load (TCP timeout)"},
      {"local_network_resolvers_dead_too",
       {.control = Times(3, FailProbe(L::kDns, "timeout")),
        .system_dns = Names("system", false, "timeout"),
        .direct_dns = Names("198.51.100.53", false, "timeout")},
       C::kLocalNetwork,
       L::kDns,
       "timeout",
       0.9,
       0.95,
       "control names fail via this machine's resolver (timeout) and via 1 of 1 direct resolvers "
       "(timeout)"},
      {"local_network_majority_fails",
       {.control = Concat(Times(3, tcp_timeout), Times(2, ok))},
       C::kLocalNetwork,
       L::kTcp,
       "timeout",
       0.5,
       0.6,
       "2 of 5 control sites load"},
      {"local_network_when_tcp_fails_even_if_resolver_is_broken",
       {.control = Concat(Times(2, tcp_timeout), {dns_servfail}),
        .system_dns = Names("system", false, "servfail"),
        .direct_dns = direct_ok},
       C::kLocalNetwork,
       L::kDns,
       "servfail",
       0.9,
       0.95,
       "this machine's resolver fails (SERVFAIL) for 3 of 3 control names"},
      {"local_dns_control_fails_at_dns_only",
       {.control = Times(5, dns_servfail),
        .system_dns = Names("system", false, "servfail"),
        .direct_dns = direct_ok},
       C::kLocalDns,
       L::kDns,
       "servfail",
       0.85,
       0.95,
       "this machine's resolver fails (SERVFAIL) for 3 of 3 control names; 2 of 2 direct "
       "resolvers answer"},
      {"local_dns_even_when_control_sites_load_by_address",
       {.control = Times(3, ok),
        .system_dns = Names("system", false, "refused"),
        .direct_dns = Names("198.51.100.53", true)},
       C::kLocalDns,
       L::kDns,
       "refused",
       0.85,
       0.9,
       "this machine's resolver fails (REFUSED) for 3 of 3 control names; 1 of 1 direct "
       "resolvers answer"},
  };
}

class ObserverTable : public ::testing::TestWithParam<ObserverCase> {};

TEST_P(ObserverTable, Connectivity) {
  const ObserverCase& c = GetParam();
  const Observer o = AssessObserver(c.in);
  EXPECT_EQ(core::ConnectivityName(o.connectivity), core::ConnectivityName(c.connectivity));
  EXPECT_EQ(core::LayerName(o.layer), core::LayerName(c.layer));
  EXPECT_EQ(o.detail, c.detail);
  EXPECT_GE(o.confidence, c.min_confidence);
  EXPECT_LE(o.confidence, c.max_confidence);
  EXPECT_THAT(o.evidence, Contains(HasSubstr(c.evidence))) << ::testing::PrintToString(o.evidence);
}

INSTANTIATE_TEST_SUITE_P(Situations, ObserverTable, ::testing::ValuesIn(Cases()),
                         [](const auto& info) { return info.param.name; });

// The contract of DESIGN.md: a machine with no internet says its own connection is down and never
// that every platform is down.
TEST(ObserverTest, NoInternetNeverBlamesThePlatforms) {
  ObserverInput in;
  in.has_default_route = false;
  in.control = Times(5, FailProbe(L::kDns, "timeout"));
  in.system_dns = Names("system", false, "timeout");
  const Observer o = AssessObserver(in);
  ASSERT_EQ(o.connectivity, C::kNoNetwork);
  for (const char* id : {"facebook", "instagram", "whatsapp"}) {
    PlatformInput p;
    p.platform = Plat(id, "meta");
    p.here = {FailProbe(L::kDns, "timeout")};
    p.status = Status("major");
    EXPECT_EQ(Diagnose(o, p).verdict, core::Verdict::kNoNetwork) << id;
  }
}

}  // namespace
}  // namespace lifeline::diagnose
