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

// `probes` with the one at `index` timed out (DNS) — a lost question or answer.
std::vector<ProbeResult> Lossy(std::vector<ProbeResult> probes, std::size_t index) {
  ProbeResult& p = probes.at(index);
  p.ok = false;
  p.addresses.clear();
  p.layer = L::kDns;
  p.detail = "timeout";
  return probes;
}

// Three control sites on a lossy line: one loads, one loads slowly, one times out.
std::vector<ProbeResult> LossyControl() {
  return {OkProbe("https://control-a.test/"), OkProbe("https://control-b.test/", 2600, true),
          FailProbe(L::kTcp, "timeout", "https://control-c.test/")};
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
      // --- an unreliable line: timeouts and slow answers everywhere, some probes getting through
      {"local_network_unreliable_rather_than_ok",
       {.control = LossyControl(),
        .system_dns = Lossy(Names("system", true), 1),
        .direct_dns = Lossy(Names("198.51.100.53", true), 2)},
       C::kLocalNetwork,
       L::kTcp,
       "timeout",
       0.93,
       0.94,
       "unreliable connection: 4 of 9 probes to independent hosts failed or were slow"},
      {"local_network_unreliable_names_each_kind",
       {.control = LossyControl(),
        .system_dns = Lossy(Names("system", true), 1),
        .direct_dns = Lossy(Names("198.51.100.53", true), 2)},
       C::kLocalNetwork,
       L::kTcp,
       "timeout",
       0.93,
       0.94,
       "direct resolvers: 1 of 3 queries timed out or were answered slowly"},
      {"local_network_unreliable_rather_than_local_dns",
       // Without the direct resolver's one timeout this is local_dns (the next row).
       {.control = {FailProbe(L::kDns, "timeout", "https://control-a.test/"),
                    FailProbe(L::kDns, "timeout", "https://control-b.test/"),
                    FailProbe(L::kDns, "timeout", "https://control-c.test/")},
        .system_dns = Lossy(Lossy(Names("system", true), 0), 1),
        .direct_dns = Lossy(Names("198.51.100.53", true), 2)},
       C::kLocalNetwork,
       L::kDns,
       "timeout",
       0.93,
       0.94,
       "unreliable connection: 6 of 9 probes to independent hosts failed or were slow"},
      {"local_dns_when_the_direct_resolvers_are_clean",
       {.control = {FailProbe(L::kDns, "timeout", "https://control-a.test/"),
                    FailProbe(L::kDns, "timeout", "https://control-b.test/"),
                    FailProbe(L::kDns, "timeout", "https://control-c.test/")},
        .system_dns = Lossy(Lossy(Names("system", true), 0), 1),
        .direct_dns = Names("198.51.100.53", true)},
       C::kLocalDns,
       L::kDns,
       "timeout",
       0.85,
       0.9,
       "this machine's resolver fails (timeout) for 2 of 3 control names"},
      {"ok_one_host_in_trouble_is_that_hosts_problem",
       {.control = {FailProbe(L::kDns, "timeout", "https://control-a.test/"),
                    OkProbe("https://control-b.test/"), OkProbe("https://control-c.test/")},
        .system_dns = Lossy(Names("system", true), 0),
        .direct_dns = Lossy(Names("198.51.100.53", true), 0)},
       C::kOk,
       L::kNone,
       "",
       0.5,
       0.6,
       "2 of 3 control sites load (DNS timeout)"},
      {"ok_answers_are_not_losses",
       // SERVFAIL and an HTTP status came back over the line: nothing against it.
       {.control = {FailProbe(L::kHttp, "status", "https://control-a.test/", 503),
                    OkProbe("https://control-b.test/"), OkProbe("https://control-c.test/")},
        .system_dns = {DnsFail("control-a.test", "system", "servfail"),
                       DnsOk("control-b.test", "system"), DnsOk("control-c.test", "system")},
        .direct_dns = {DnsFail("control-a.test", "198.51.100.53", "servfail"),
                       DnsOk("control-b.test", "198.51.100.53"),
                       DnsOk("control-c.test", "198.51.100.53")}},
       C::kOk,
       L::kNone,
       "",
       0.5,
       0.6,
       "2 of 3 control sites load (HTTP 503)"},
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

TEST(ObserverTest, CountsTheLinesProbesWhateverTheVerdict) {
  ObserverInput in;
  in.control = LossyControl();
  in.system_dns = Lossy(Names("system", true), 1);
  in.direct_dns = Lossy(Names("198.51.100.53", true), 2);
  Observer o = AssessObserver(in);
  EXPECT_TRUE(o.unreliable);
  EXPECT_EQ(o.line_probes, 9u);
  EXPECT_EQ(o.line_impaired, 4u);
  EXPECT_EQ(o.evidence.front(),
            "unreliable connection: 4 of 9 probes to independent hosts failed or were slow");

  // A cut line lets nothing through: that is not unreliable, it is down (its usual evidence).
  for (auto* list : {&in.control, &in.system_dns, &in.direct_dns}) {
    for (auto& p : *list) {
      p.ok = false;
      p.slow = false;
      p.layer = p.kind == core::ProbeKind::kDns ? L::kDns : L::kTcp;
      p.detail = "timeout";
    }
  }
  o = AssessObserver(in);
  EXPECT_EQ(o.connectivity, C::kLocalNetwork);
  EXPECT_FALSE(o.unreliable);
  EXPECT_EQ(o.line_impaired, 9u);
  EXPECT_THAT(o.evidence, Contains("0 of 3 control sites load (TCP timeout)"));

  // A clean line.
  in.control = {OkProbe("https://control-a.test/"), OkProbe("https://control-b.test/")};
  in.system_dns = Names("system", true);
  in.direct_dns = Names("198.51.100.53", true);
  o = AssessObserver(in);
  EXPECT_EQ(o.connectivity, C::kOk);
  EXPECT_EQ(o.line_probes, 8u);
  EXPECT_EQ(o.line_impaired, 0u);
}

// Loss on this machine's line, control sites loading by luck: this line is named, and no platform
// is blamed for it.
TEST(ObserverTest, AnUnreliableLineNeverBlamesThePlatforms) {
  ObserverInput in;
  in.control = LossyControl();
  in.system_dns = Lossy(Names("system", true), 1);
  in.direct_dns = Lossy(Names("198.51.100.53", true), 2);
  const Observer o = AssessObserver(in);
  ASSERT_EQ(o.connectivity, C::kLocalNetwork);
  PlatformInput p;
  p.platform = Plat("telegram", "telegram");
  p.here = {OkProbe("https://telegram.test/", 2212, true)};
  p.vantage = {VOk("va", "eu")};
  const Diagnosis d = Diagnose(o, p);
  EXPECT_EQ(d.verdict, core::Verdict::kLocalNetwork);
  EXPECT_EQ(d.reason,
            "this machine's connection is unreliable: the platform cannot be judged from here (1 "
            "of 1 vantage points load it)");
}

}  // namespace
}  // namespace lifeline::diagnose
