// Diagnose(): one table row per situation of DESIGN.md's verdict table, asserting verdict, failing
// layer and detail, a confidence range and the evidence a person would read.
#include "diagnose/diagnose.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "diagnose/evidence.h"
#include "diagnose/test_util.h"

namespace lifeline::diagnose {
namespace {

using namespace testutil;  // NOLINT: our builders
using ::testing::Contains;
using ::testing::HasSubstr;
using V = core::Verdict;
using L = core::Layer;

struct Case {
  std::string name;
  Observer observer;
  PlatformInput in;
  V verdict;
  L layer;
  std::string detail;
  double min_confidence;
  double max_confidence;
  std::string evidence;  // a substring of one evidence line
  std::string reason;    // a substring of the reason
};

std::vector<ProbeResult> Servfail(int n) {
  std::vector<ProbeResult> r;
  for (int i = 0; i < n; ++i) r.push_back(FailProbe(L::kDns, "servfail"));
  return r;
}

std::vector<Case> Cases() {
  const auto ok = OkProbe();
  const auto tcp_timeout = FailProbe(L::kTcp, "timeout");
  return {
      // --- up ---
      {"up_here_and_everywhere",
       ObsOk(),
       {.here = {ok, OkProbe("https://m.platform.test/")},
        .vantage = {VOk("us-1", "us-east"), VOk("eu-1", "eu-west")}},
       V::kUp,
       L::kNone,
       "",
       0.9,
       0.99,
       "2 of 2 vantage points load it",
       "loads here and from 2 of 2 vantage points"},
      {"up_here_only",
       ObsOk(),
       {.here = {ok}},
       V::kUp,
       L::kNone,
       "",
       0.74,
       0.76,
       "its endpoint loads here",
       "loads here"},
      {"up_status_none_agrees",
       ObsOk(),
       {.here = {ok}, .status = Status("none", "All Systems Operational")},
       V::kUp,
       L::kNone,
       "",
       0.87,
       0.88,
       "official status: none (All Systems Operational)",
       "loads here"},
      {"up_maintenance_is_evidence_only",
       ObsOk(),
       {.here = {ok}, .status = Status("maintenance", "Scheduled maintenance")},
       V::kUp,
       L::kNone,
       "",
       0.74,
       0.76,
       "official status: maintenance",
       "loads here"},
      // --- degraded ---
      {"degraded_slow",
       ObsOk(),
       {.here = {OkProbe("https://www.platform.test/", 2400, true)}},
       V::kDegraded,
       L::kNone,
       "",
       0.7,
       0.8,
       "slowly",
       "slow here (median 2400 ms)"},
      {"degraded_one_endpoint_of_two",
       ObsOk(),
       {.here = {ok, FailProbe(L::kTcp, "timeout", "https://upload.platform.test/")},
        .vantage = {Vantage("us-1", "us-east", {ok, tcp_timeout})}},
       V::kDegraded,
       L::kTcp,
       "timeout",
       0.85,
       0.9,
       "https://upload.platform.test/",
       "1 of 2 endpoints fail here (TCP timeout)"},
      {"degraded_slow_here_and_from_a_vantage_point",
       ObsNotClean(),
       {.here = {OkProbe("https://www.platform.test/", 2400, true)},
        .vantage = {Vantage("us-1", "us-east", {OkProbe("https://www.platform.test/", 2500, true)}),
                    VOk("eu-1", "eu-west")}},
       V::kDegraded,
       L::kNone,
       "",
       0.87,
       0.88,
       "1 of 2 vantage points see it slow too",
       "slow here (median 2400 ms); loads here"},
      {"degraded_partly_failing_with_a_platform_answer_on_a_line_not_clean",
       ObsNotClean(),
       {.here = {ok, FailProbe(L::kHttp, "status", "https://upload.platform.test/", 503)}},
       V::kDegraded,
       L::kHttp,
       "status",
       0.74,
       0.76,
       "https://upload.platform.test/",
       "1 of 2 endpoints fail here (HTTP 503)"},
      {"degraded_partly_timing_out_on_a_clean_line",
       ObsOk(),
       {.here = {ok, FailProbe(L::kTcp, "timeout", "https://upload.platform.test/")}},
       V::kDegraded,
       L::kTcp,
       "timeout",
       0.74,
       0.76,
       "https://upload.platform.test/",
       "1 of 2 endpoints fail here (TCP timeout)"},
      {"degraded_status_minor",
       ObsOk(),
       {.here = {ok}, .status = Status("minor", "Partially Degraded Service")},
       V::kDegraded,
       L::kNone,
       "",
       0.7,
       0.8,
       "official status: minor (Partially Degraded Service)",
       "official status: minor; loads here"},
      {"degraded_status_major_but_fine_here",
       ObsOk(),
       {.here = {ok}, .vantage = {VOk("us-1", "us-east")}, .status = Status("major")},
       V::kDegraded,
       L::kNone,
       "",
       0.7,
       0.8,
       "1 of 1 vantage points load it",
       "official status: major"},
      {"degraded_api_only_unconfirmed",
       ObsOk(),
       {.here = {ok, Api(FailProbe(L::kHttp, "status", "", 500))}},
       V::kDegraded,
       L::kHttp,
       "status",
       0.7,
       0.8,
       "no vantage point could confirm the API failure",
       "API fails here (HTTP 500); the site loads"},
      {"degraded_api_some_vantage",
       ObsOk(),
       {.here = {ok, Api(FailProbe(L::kHttp, "status", "", 500))},
        .vantage = {Vantage("us-1", "us-east", {ok, Api(FailProbe(L::kHttp, "status", "", 500))}),
                    Vantage("eu-1", "eu-west", {ok, Api(OkProbe())})}},
       V::kDegraded,
       L::kHttp,
       "status",
       0.5,
       0.7,
       "1 of 2 vantage points see the API fail",
       "API fails here and from 1 of 2 vantage points"},
      // --- outage ---
      {"outage_dns_servfail_everywhere",
       ObsOk(),
       {.here = Servfail(2),
        .vantage = {VFail("us-1", "us-east", L::kDns, "servfail"),
                    VFail("eu-1", "eu-west", L::kDns, "servfail"),
                    VFail("ap-1", "ap-south", L::kDns, "servfail")}},
       V::kOutage,
       L::kDns,
       "servfail",
       0.96,
       0.99,
       "3 of 3 vantage points fail with DNS SERVFAIL",
       "DNS SERVFAIL here and from 3 of 3 vantage points"},
      {"outage_http_503_everywhere",
       ObsOk(),
       {.here = {FailProbe(L::kHttp, "status", "https://www.platform.test/", 503)},
        .vantage = {VFail("us-1", "us-east", L::kHttp, "status"),
                    VFail("eu-1", "eu-west", L::kHttp, "status")}},
       V::kOutage,
       L::kHttp,
       "status",
       0.9,
       0.99,
       "2 of 2 vantage points fail with HTTP",
       "HTTP 503 here and from 2 of 2 vantage points"},
      {"outage_vantage_dns_results_are_not_endpoints",
       ObsOk(),
       {.here = {FailProbe(L::kHttp, "status", "https://www.platform.test/", 503)},
        .vantage = {Vantage("us-1", "us-east",
                            {FailProbe(L::kHttp, "status", "https://www.platform.test/", 503),
                             DnsOk("www.platform.test", "system")}),
                    Vantage("eu-1", "eu-west",
                            {FailProbe(L::kHttp, "status", "https://www.platform.test/", 503),
                             DnsOk("www.platform.test", "system")})}},
       V::kOutage,
       L::kHttp,
       "status",
       0.9,
       0.99,
       "2 of 2 vantage points fail with HTTP 503",
       "HTTP 503 here and from 2 of 2 vantage points"},
      {"unknown_when_a_vantage_point_only_resolved_names",
       ObsOk(),
       {.here = {FailProbe(L::kTcp, "timeout")},
        .vantage = {Vantage("us-1", "us-east", {DnsOk("www.platform.test", "system")})}},
       V::kUnknown,
       L::kTcp,
       "timeout",
       0,
       0,
       "vantage point us-1 (us-east) returned no results for this platform",
       "no vantage point could confirm"},
      {"outage_at_the_everyone_threshold_in_one_region",
       ObsOk(),
       {.here = {tcp_timeout},
        .vantage = {VFail("a", "r1", L::kTcp, "timeout"), VFail("b", "r1", L::kTcp, "timeout"),
                    VFail("c", "r1", L::kTcp, "timeout"), VOk("d", "r1")}},
       V::kOutage,
       L::kTcp,
       "timeout",
       0.6,
       0.7,
       "1 of 4 vantage points load it: d (r1)",
       "TCP timeout here and from 3 of 4 vantage points"},
      {"outage_earliest_layer_wins",
       ObsOk(),
       {.here = {tcp_timeout, FailProbe(L::kDns, "servfail", "https://m.platform.test/")},
        .vantage = {VFail("us-1", "us-east", L::kDns, "servfail"),
                    VFail("eu-1", "eu-west", L::kDns, "servfail")}},
       V::kOutage,
       L::kDns,
       "servfail",
       0.9,
       0.95,
       "2 of 2 endpoints fail here (DNS SERVFAIL)",
       "DNS SERVFAIL here"},
      {"outage_status_major_no_vantage",
       ObsOk(),
       {.here = {tcp_timeout}, .status = Status("major", "Major System Outage")},
       V::kOutage,
       L::kTcp,
       "timeout",
       0.85,
       0.9,
       "official status: major (Major System Outage)",
       "TCP timeout here; official status: major"},
      {"outage_dns_everywhere_no_vantage",
       ObsOk(),
       {.here = Servfail(1),
        .dns_here = {DnsFail("www.platform.test", "system", "servfail")},
        .dns_direct = {DnsFail("www.platform.test", "198.51.100.53", "servfail"),
                       DnsFail("www.platform.test", "203.0.113.53", "servfail")}},
       V::kOutage,
       L::kDns,
       "servfail",
       0.85,
       0.9,
       "its names fail via this machine's resolver (SERVFAIL) and via 2 of 2 direct resolvers",
       "DNS SERVFAIL here and via 2 of 2 direct resolvers"},
      {"outage_api_everywhere_5_march_2024",
       ObsOk(),
       {.here = {ok, Api(FailProbe(L::kHttp, "status", "", 503))},
        .vantage = {Vantage("us-1", "us-east", {ok, Api(FailProbe(L::kHttp, "status", "", 503))}),
                    Vantage("eu-1", "eu-west", {ok, Api(FailProbe(L::kHttp, "status", "", 503))})}},
       V::kOutage,
       L::kHttp,
       "status",
       0.9,
       0.99,
       "API probe fails here: https://api.platform.test",
       "API fails here and from 2 of 2 vantage points (HTTP 503); the site loads"},
      {"outage_api_401_everywhere_warns_about_credentials",
       ObsOk(),
       {.here = {ok, Api(FailProbe(L::kHttp, "status", "", 401))},
        .vantage = {Vantage("us-1", "us-east", {ok, Api(FailProbe(L::kHttp, "status", "", 401))})}},
       V::kOutage,
       L::kHttp,
       "status",
       0.65,
       0.75,  // one region only: 0.8 x 0.875
       "also check the API probe's credentials",
       "API fails here"},
      {"outage_api_status_major_no_vantage",
       ObsOk(),
       {.here = {ok, Api(FailProbe(L::kContent, "json"))}, .status = Status("critical")},
       V::kOutage,
       L::kContent,
       "json",
       0.85,
       0.9,
       "official status: critical",
       "API fails here (content: JSON check failed); official status: critical"},
      // --- regional_outage ---
      {"regional_here_and_one_region",
       ObsOk(),
       {.here = {tcp_timeout},
        .vantage = {VFail("eu-1", "eu-west", L::kTcp, "timeout"), VOk("us-1", "us-east"),
                    VOk("ap-1", "ap-south")}},
       V::kRegionalOutage,
       L::kTcp,
       "timeout",
       0.85,
       0.9,
       "1 of 3 vantage points fail with TCP timeout: eu-1 (eu-west)",
       "fails here and from eu-1 (eu-west) (TCP timeout); loads from us-1 (us-east), ap-1 "
       "(ap-south)"},
      {"regional_works_here_fails_in_one_region",
       ObsOk(),
       {.here = {ok},
        .vantage = {VFail("eu-1", "eu-west", L::kTcp, "unreachable"), VOk("us-1", "us-east")}},
       V::kRegionalOutage,
       L::kTcp,
       "unreachable",
       0.55,
       0.65,
       "its endpoint loads here",
       "fails from eu-1 (eu-west) (TCP unreachable); loads here and from us-1 (us-east)"},
      // --- just_you ---
      {"just_you_firewall_here",
       ObsOk(),
       {.here = {tcp_timeout}, .vantage = {VOk("us-1", "us-east"), VOk("eu-1", "eu-west")}},
       V::kJustYou,
       L::kTcp,
       "timeout",
       0.9,
       0.95,
       "its endpoint fails here (TCP timeout)",
       "fails only from here (TCP timeout); 2 of 2 vantage points load it"},
      {"just_you_slow_only_here",
       ObsNotClean(),
       {.here = {OkProbe("https://www.platform.test/", 2212, true)},
        .vantage = {VOk("va", "eu"), VUnreachable("vb", "us", "timeout")}},
       V::kJustYou,
       L::kNone,
       "",
       0.87,
       0.88,
       "1 of 1 vantage points load it",
       "slow here (median 2212 ms); 1 of 1 vantage points load it without delay"},
      {"just_you_partly_failing_only_here",
       ObsOk(),
       {.here = {ok, FailProbe(L::kTcp, "timeout", "https://upload.platform.test/")},
        .vantage = {VOk("us-1", "us-east"), VOk("eu-1", "eu-west")}},
       V::kJustYou,
       L::kTcp,
       "timeout",
       0.93,
       0.94,
       "2 of 2 vantage points load it",
       "1 of 2 endpoints fail only from here (TCP timeout); 2 of 2 vantage points load it fully"},
      {"just_you_api_here_only",
       ObsOk(),
       {.here = {ok, Api(FailProbe(L::kHttp, "status", "", 429))},
        .vantage = {Vantage("us-1", "us-east", {ok, Api(OkProbe())}),
                    Vantage("eu-1", "eu-west", {ok, Api(OkProbe())})}},
       V::kJustYou,
       L::kHttp,
       "status",
       0.9,
       0.95,
       "0 of 2 vantage points see the API fail",
       "API fails only from here (HTTP 429); 2 of 2 vantage points reach it"},
      {"just_you_local_dns_override_no_vantage",
       ObsOk(),
       {.here = {FailProbe(L::kDns, "nxdomain")},
        .dns_here = {DnsFail("www.platform.test", "system", "nxdomain")},
        .dns_direct = {DnsOk("www.platform.test", "198.51.100.53"),
                       DnsOk("www.platform.test", "203.0.113.53")}},
       V::kJustYou,
       L::kDns,
       "nxdomain",
       0.9,
       0.95,
       "a local DNS override or block",
       "fails only from here (DNS NXDOMAIN via this machine's resolver); 2 of 2 direct resolvers "
       "resolve it"},
      {"just_you_dns_override_with_vantage",
       ObsOk(),
       {.here = {FailProbe(L::kDns, "nxdomain")},
        .dns_here = {DnsFail("www.platform.test", "system", "nxdomain")},
        .dns_direct = {DnsOk("www.platform.test", "198.51.100.53")},
        .vantage = {VOk("us-1", "us-east")}},
       V::kJustYou,
       L::kDns,
       "nxdomain",
       0.9,
       0.95,
       "a local DNS override or block",
       "fails only from here (DNS NXDOMAIN)"},
      {"just_you_ignores_unreachable_agent",
       ObsOk(),
       {.here = {tcp_timeout},
        .vantage = {VOk("us-1", "us-east"), VUnreachable("eu-1", "eu-west", "connection refused")}},
       V::kJustYou,
       L::kTcp,
       "timeout",
       0.85,
       0.9,
       "vantage point eu-1 (eu-west) unreachable: connection refused — its evidence is missing",
       "1 of 1 vantage points load it"},
      {"just_you_ignores_unhealthy_agent",
       ObsOk(),
       {.here = {tcp_timeout},
        .vantage = {VOk("us-1", "us-east"),
                    VUnhealthy("eu-1", "eu-west", Connectivity::kLocalNetwork, {tcp_timeout})}},
       V::kJustYou,
       L::kTcp,
       "timeout",
       0.85,
       0.9,
       "vantage point eu-1 (eu-west)'s own connection is local_network — its evidence is ignored",
       "fails only from here"},
      // --- local_dns / local_network / no_network: this side, the platform unjudged ---
      {"local_network_even_if_agents_see_an_outage",
       ObsBad(Connectivity::kLocalNetwork, L::kTcp, "timeout", "0 of 5 control sites load"),
       {.here = {tcp_timeout},
        .vantage = {VFail("us-1", "us-east", L::kDns, "servfail"),
                    VFail("eu-1", "eu-west", L::kDns, "servfail")}},
       V::kLocalNetwork,
       L::kTcp,
       "timeout",
       0.89,
       0.91,
       "from elsewhere: 2 of 2 vantage points fail with DNS SERVFAIL",
       "cannot be judged from here (2 of 2 vantage points see it fail)"},
      {"local_network_agents_load_it",
       ObsBad(Connectivity::kLocalNetwork, L::kTcp, "unreachable", "0 of 5 control sites load"),
       {.here = {FailProbe(L::kTcp, "unreachable")}, .vantage = {VOk("us-1", "us-east")}},
       V::kLocalNetwork,
       L::kTcp,
       "unreachable",
       0.89,
       0.91,
       "this side is local_network: 0 of 5 control sites load",
       "the platform cannot be judged from here (1 of 1 vantage points load it)"},
      {"local_dns_mirrors_observer",
       ObsBad(Connectivity::kLocalDns, L::kDns, "servfail",
              "this machine's resolver fails (SERVFAIL) for 3 of 3 control names"),
       {.here = Servfail(1)},
       V::kLocalDns,
       L::kDns,
       "servfail",
       0.89,
       0.91,
       "this side is local_dns",
       "this machine's resolver is failing"},
      {"local_dns_layer_even_when_platform_failed_later",
       ObsBad(Connectivity::kLocalDns, L::kDns, "timeout", "resolver fails"),
       {.here = {tcp_timeout}},
       V::kLocalDns,
       L::kDns,
       "timeout",
       0.89,
       0.91,
       "its endpoint fails here",
       "cannot be judged from here"},
      {"no_network_mirrors_observer",
       ObsBad(Connectivity::kNoNetwork, L::kNone, "", "no default route"),
       {.here = {FailProbe(L::kTcp, "unreachable")}},
       V::kNoNetwork,
       L::kTcp,
       "unreachable",
       0.89,
       0.91,
       "this side is no_network: no default route",
       "this machine has no network connection: the platform cannot be judged from here"},
      // --- unknown ---
      {"unknown_no_vantage_points",
       ObsOk(),
       {.here = {tcp_timeout}},
       V::kUnknown,
       L::kTcp,
       "timeout",
       0,
       0,
       "no vantage point could confirm: no vantage points configured",
       "fails here (TCP timeout); no vantage point could confirm"},
      {"unknown_every_agent_missing",
       ObsOk(),
       {.here = {tcp_timeout},
        .vantage = {VUnreachable("eu-1", "eu-west", "connection refused"),
                    VUnhealthy("us-1", "us-east", Connectivity::kLocalDns, {tcp_timeout})},
        .status = StatusInput{.fetched = false, .error = "HTTP 500"}},
       V::kUnknown,
       L::kTcp,
       "timeout",
       0,
       0,
       "official status page not fetched: HTTP 500 — its evidence is missing",
       "no vantage point could confirm"},
      {"unknown_status_minor_is_not_enough",
       ObsOk(),
       {.here = {tcp_timeout}, .status = Status("minor")},
       V::kUnknown,
       L::kTcp,
       "timeout",
       0,
       0,
       "official status: minor",
       "no vantage point could confirm"},
      {"unknown_slow_here_on_a_line_not_clean",
       ObsNotClean(3, 9),
       {.here = {OkProbe("https://www.platform.test/", 2400, true)}},
       V::kUnknown,
       L::kNone,
       "",
       0,
       0,
       "this connection was not clean this round: 3 of 9 probes to independent hosts timed out "
       "or were slow",
       "slow here (median 2400 ms); no vantage point could confirm"},
      {"unknown_partly_timing_out_on_a_line_not_clean",
       ObsNotClean(),
       {.here = {ok, FailProbe(L::kTcp, "timeout", "https://upload.platform.test/")},
        .vantage = {VUnreachable("eu-1", "eu-west", "timeout")}},
       V::kUnknown,
       L::kTcp,
       "timeout",
       0,
       0,
       "no vantage point could confirm: none of the vantage points gave usable evidence",
       "1 of 2 endpoints fail here (TCP timeout); no vantage point could confirm"},
      {"unknown_api_timing_out_on_a_line_not_clean",
       ObsNotClean(),
       {.here = {ok, Api(FailProbe(L::kTcp, "timeout"))}},
       V::kUnknown,
       L::kTcp,
       "timeout",
       0,
       0,
       "no vantage point could confirm: no vantage points configured",
       "API fails here (TCP timeout); no vantage point could confirm"},
      {"unknown_nothing_probed",
       ObsOk(),
       {},
       V::kUnknown,
       L::kNone,
       "",
       0,
       0,
       "no probes to run here",
       "nothing was probed here"},
  };
}

class DiagnoseTable : public ::testing::TestWithParam<Case> {};

TEST_P(DiagnoseTable, Verdict) {
  const Case& c = GetParam();
  PlatformInput in = c.in;
  in.platform = Plat("instagram", "meta");
  const Diagnosis d = Diagnose(c.observer, in);
  EXPECT_EQ(core::VerdictName(d.verdict), core::VerdictName(c.verdict)) << d.reason;
  EXPECT_EQ(core::LayerName(d.layer), core::LayerName(c.layer));
  EXPECT_EQ(d.detail, c.detail);
  EXPECT_GE(d.confidence, c.min_confidence);
  EXPECT_LE(d.confidence, c.max_confidence);
  EXPECT_THAT(d.evidence, Contains(HasSubstr(c.evidence)));
  EXPECT_THAT(d.reason, HasSubstr(c.reason));
  EXPECT_EQ(d.platform, "instagram");
  EXPECT_EQ(d.domain, "meta");
}

INSTANTIATE_TEST_SUITE_P(Situations, DiagnoseTable, ::testing::ValuesIn(Cases()),
                         [](const auto& info) { return info.param.name; });

TEST(DiagnoseTest, LatencyIsTheMedianOfSuccessfulProbesHere) {
  PlatformInput in;
  in.platform = Plat("x", "x");
  in.here = {OkProbe("https://a.test/", 100), OkProbe("https://b.test/", 300),
             OkProbe("https://c.test/", 200), FailProbe(L::kTcp, "timeout", "https://d.test/")};
  const Diagnosis d = Diagnose(ObsOk(), in);
  ASSERT_TRUE(d.latency_ms.has_value());
  EXPECT_DOUBLE_EQ(*d.latency_ms, 200);

  in.here = {FailProbe(L::kTcp, "timeout")};
  EXPECT_FALSE(Diagnose(ObsOk(), in).latency_ms.has_value());
}

TEST(DiagnoseTest, ProbesListHereThenDnsThenEachVantagePoint) {
  PlatformInput in;
  in.platform = Plat("x", "x");
  in.here = {OkProbe("https://here.test/")};
  in.dns_here = {DnsOk("here.test", "system")};
  in.dns_direct = {DnsOk("here.test", "198.51.100.53")};
  in.vantage = {VOk("us-1", "us-east"), VOk("eu-1", "eu-west")};
  const Diagnosis d = Diagnose(ObsOk(), in);
  ASSERT_EQ(d.probes.size(), 5u);
  EXPECT_EQ(d.probes[0].target, "https://here.test/");
  EXPECT_EQ(d.probes[1].target, "dns:here.test");
  EXPECT_EQ(d.probes[2].target, "dns:here.test@198.51.100.53");
  EXPECT_EQ(d.probes[3].from, "us-1");
  EXPECT_EQ(d.probes[4].from, "eu-1");
}

// Where regions cannot decide — every vantage point in one region, or failures in every region
// but some region only partly — the share of failing vantage points does.
TEST(DiagnoseTest, EveryoneFractionIsAThreshold) {
  PlatformInput in;
  in.platform = Plat("x", "x");
  in.here = {FailProbe(L::kTcp, "timeout")};
  in.vantage = {VFail("a", "r1", L::kTcp, "timeout"), VFail("b", "r1", L::kTcp, "timeout"),
                VOk("c", "r1")};
  EXPECT_EQ(Diagnose(ObsOk(), in).verdict, V::kRegionalOutage);  // 2 of 3 < 0.75
  EXPECT_EQ(Diagnose(ObsOk(), in, {.everyone_fraction = 0.6}).verdict, V::kOutage);

  in.vantage = {VFail("a", "r1", L::kTcp, "timeout"), VFail("b", "r2", L::kTcp, "timeout"),
                VOk("c", "r2")};
  EXPECT_EQ(Diagnose(ObsOk(), in).verdict, V::kDegraded);  // r2 fails only partly, 2 of 3
  EXPECT_EQ(Diagnose(ObsOk(), in, {.everyone_fraction = 0.6}).verdict, V::kOutage);

  // A healthy region makes it regional whatever the share.
  in.vantage = {VFail("a", "r1", L::kTcp, "timeout"), VFail("b", "r2", L::kTcp, "timeout"),
                VOk("c", "r3")};
  EXPECT_EQ(Diagnose(ObsOk(), in, {.everyone_fraction = 0.6}).verdict, V::kRegionalOutage);
}

TEST(DiagnoseTest, StatusComponentsAreEvidence) {
  PlatformInput in;
  in.platform = Plat("x", "x");
  in.here = {OkProbe()};
  in.status = Status("minor", "Partially Degraded Service");
  in.status->degraded_components = {{"API", "degraded_performance"}, {"Login", "partial_outage"}};
  const Diagnosis d = Diagnose(ObsOk(), in);
  EXPECT_EQ(d.verdict, V::kDegraded);
  EXPECT_THAT(
      d.evidence,
      Contains(HasSubstr("components: API (degraded_performance), Login (partial_outage)")));
  ASSERT_TRUE(d.status.has_value());
  EXPECT_EQ(d.status->indicator, "minor");
}

TEST(ConfidenceTest, GrowsWithAgreeingObserversAndShrinksWithDissent) {
  using internal::Confidence;
  EXPECT_DOUBLE_EQ(Confidence(0, 3), 0);
  EXPECT_DOUBLE_EQ(Confidence(1, 0), 0.75);
  EXPECT_DOUBLE_EQ(Confidence(2, 0), 0.875);
  EXPECT_DOUBLE_EQ(Confidence(3, 0), 0.9375);
  EXPECT_DOUBLE_EQ(Confidence(3, 1), 0.9375 * 0.75);
  EXPECT_DOUBLE_EQ(Confidence(20, 0), 0.99);
  for (int a = 1; a < 5; ++a) EXPECT_LT(Confidence(a, 0), Confidence(a + 1, 0));
}

TEST(DescribeTest, ReadsLikeAPerson) {
  using internal::Describe;
  EXPECT_EQ(Describe({L::kDns, "servfail", 0}), "DNS SERVFAIL");
  EXPECT_EQ(Describe({L::kDns, "noanswer", 0}), "DNS empty answer");
  EXPECT_EQ(Describe({L::kTcp, "timeout", 0}), "TCP timeout");
  EXPECT_EQ(Describe({L::kTls, "expired", 0}), "TLS certificate expired");
  EXPECT_EQ(Describe({L::kHttp, "status", 503}), "HTTP 503");
  EXPECT_EQ(Describe({L::kContent, "captive_portal", 0}), "content: captive portal");
}

}  // namespace
}  // namespace lifeline::diagnose
