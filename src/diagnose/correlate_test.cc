// CorrelateDomains() and ExitCode(): one failure domain failing at one layer is one event (Meta,
// 4 October 2021), and the exit code of `lifeline check` follows docs/cli.md.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "diagnose/diagnose.h"
#include "diagnose/test_util.h"

namespace lifeline::diagnose {
namespace {

using namespace testutil;  // NOLINT: our builders
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using V = core::Verdict;
using L = core::Layer;

Diagnosis Made(std::string id, std::string domain, V verdict, L layer = L::kNone,
               std::string detail = "") {
  Diagnosis d;
  d.platform = std::move(id);
  d.domain = std::move(domain);
  d.verdict = verdict;
  d.layer = layer;
  d.detail = std::move(detail);
  return d;
}

// 4 October 2021: Meta's authoritative DNS withdrew; every resolver answered SERVFAIL for
// Facebook, Instagram and WhatsApp, here and everywhere else.
TEST(CorrelateTest, Meta4October2021IsOneDomainEvent) {
  std::vector<Diagnosis> diagnoses;
  for (const char* id : {"facebook", "instagram", "whatsapp"}) {
    PlatformInput in;
    in.platform = Plat(id, "meta");
    in.here = {FailProbe(L::kDns, "servfail")};
    in.dns_here = {DnsFail(std::string("www.") + id + ".test", "system", "servfail")};
    in.vantage = {VFail("us-1", "us-east", L::kDns, "servfail"),
                  VFail("eu-1", "eu-west", L::kDns, "servfail")};
    diagnoses.push_back(Diagnose(ObsOk(), in));
    EXPECT_EQ(diagnoses.back().verdict, V::kOutage) << id;
    EXPECT_EQ(diagnoses.back().layer, L::kDns) << id;
    EXPECT_EQ(diagnoses.back().detail, "servfail") << id;
  }
  PlatformInput telegram;
  telegram.platform = Plat("telegram", "telegram");
  telegram.here = {OkProbe()};
  diagnoses.push_back(Diagnose(ObsOk(), telegram));

  const auto domains = CorrelateDomains(diagnoses);
  ASSERT_EQ(domains.size(), 2u);
  const DomainEvent& meta = domains[0];
  EXPECT_EQ(meta.domain, "meta");
  EXPECT_EQ(meta.verdict, V::kOutage);
  EXPECT_TRUE(meta.correlated);
  EXPECT_EQ(meta.layer, L::kDns);
  EXPECT_EQ(meta.detail, "servfail");
  EXPECT_THAT(meta.platforms, ElementsAre("facebook", "instagram", "whatsapp"));
  EXPECT_THAT(meta.affected, ElementsAre("facebook", "instagram", "whatsapp"));
  EXPECT_THAT(meta.evidence, Contains("facebook, instagram, whatsapp fail together at DNS "
                                      "(servfail): one meta event"));
  EXPECT_EQ(domains[1].domain, "telegram");
  EXPECT_EQ(domains[1].verdict, V::kUp);
  EXPECT_FALSE(domains[1].correlated);
  EXPECT_TRUE(domains[1].affected.empty());
}

// 4 October 2021 as it first looked, without vantage points: this machine's resolver timed out on
// Instagram's name while it and the direct resolvers answered SERVFAIL for Facebook's and
// WhatsApp's. Facebook and WhatsApp are outages on their own evidence; Instagram's own evidence is
// inconclusive, and it fails at DNS like them: one Meta outage of three platforms.
std::vector<Diagnosis> MetaWithOneTimeout() {
  std::vector<Diagnosis> out;
  for (const char* id : {"facebook", "instagram", "whatsapp"}) {
    const std::string name = std::string("www.") + id + ".test";
    const std::string detail = std::string(id) == "instagram" ? "timeout" : "servfail";
    PlatformInput in;
    in.platform = Plat(id, "meta");
    in.here = {FailProbe(L::kDns, detail, "https://" + name + "/")};
    in.dns_here = {DnsFail(name, "system", detail)};
    in.dns_direct = {DnsFail(name, "198.51.100.9", detail)};
    out.push_back(Diagnose(ObsOk(), in));
  }
  PlatformInput x;
  x.platform = Plat("x", "x");
  x.here = {OkProbe("https://x.test/")};
  out.push_back(Diagnose(ObsOk(), x));
  return out;
}

TEST(JudgeWithDomainsTest, InconclusivePlatformIsJudgedWithItsDomainsOutage) {
  std::vector<Diagnosis> ds = MetaWithOneTimeout();
  ASSERT_EQ(ds[0].verdict, V::kOutage);
  ASSERT_EQ(ds[1].verdict, V::kUnknown);  // its own evidence: a DNS timeout, nothing to confirm
  ASSERT_EQ(ds[2].verdict, V::kOutage);
  const double sibling_confidence = ds[0].confidence;

  JudgeWithDomains(ds);
  const Diagnosis& ig = ds[1];
  EXPECT_EQ(ig.verdict, V::kOutage);
  EXPECT_EQ(ig.layer, L::kDns);
  EXPECT_EQ(ig.detail, "timeout");  // what it saw itself
  EXPECT_DOUBLE_EQ(ig.confidence, 0.8 * sibling_confidence);
  EXPECT_LT(ig.confidence, ds[0].confidence);
  EXPECT_THAT(ig.evidence,
              Contains("fails at DNS like facebook and whatsapp of its failure domain meta, which "
                       "are down"));
  EXPECT_EQ(ig.reason,
            "DNS timeout here, like facebook and whatsapp of its failure domain meta, which are "
            "down");
  // The others are as their own evidence left them.
  EXPECT_EQ(ds[0].verdict, V::kOutage);
  EXPECT_EQ(ds[2].verdict, V::kOutage);
  EXPECT_EQ(ds[3].verdict, V::kUp);

  // The meta event now names all three, as one event at DNS.
  const auto domains = CorrelateDomains(ds);
  ASSERT_EQ(domains.size(), 2u);
  EXPECT_EQ(domains[0].verdict, V::kOutage);
  EXPECT_THAT(domains[0].affected, ElementsAre("facebook", "instagram", "whatsapp"));
  EXPECT_TRUE(domains[0].correlated);
  EXPECT_EQ(domains[0].layer, L::kDns);
  EXPECT_EQ(domains[0].detail, "servfail");
  EXPECT_EQ(ExitCode(CheckReport{.platforms = ds}), 1);
}

TEST(JudgeWithDomainsTest, OneSiblingIsEnoughAndSaysSo) {
  std::vector<Diagnosis> ds = MetaWithOneTimeout();
  ds.erase(ds.begin() + 2);  // no whatsapp
  JudgeWithDomains(ds);
  EXPECT_EQ(ds[1].verdict, V::kOutage);
  EXPECT_THAT(ds[1].evidence,
              Contains("fails at DNS like facebook of its failure domain meta, which is down"));
}

// Never the other way, and never on other evidence than its domain's outage at its own layer.
struct KeepCase {
  std::string name;
  Diagnosis platform;  // instagram, beside facebook and whatsapp: outage at DNS (servfail)
  V verdict;           // what it stays
};

Diagnosis Probed(Diagnosis d, std::vector<ProbeResult> here) {
  d.probes = std::move(here);
  return d;
}

std::vector<KeepCase> KeepCases() {
  const auto dns_timeout = FailProbe(L::kDns, "timeout");
  return {
      {"its_own_probes_succeed_it_stays_up", Probed(Made("instagram", "meta", V::kUp), {OkProbe()}),
       V::kUp},
      {"partly_loading_here_is_its_own_evidence",
       Probed(Made("instagram", "meta", V::kUnknown, L::kDns, "timeout"),
              {dns_timeout, OkProbe("https://i.instagram.test/")}),
       V::kUnknown},
      {"failing_at_another_layer",
       Probed(Made("instagram", "meta", V::kUnknown, L::kTcp, "timeout"),
              {FailProbe(L::kTcp, "timeout")}),
       V::kUnknown},
      {"conclusive_just_you_stays",
       Probed(Made("instagram", "meta", V::kJustYou, L::kDns, "timeout"), {dns_timeout}),
       V::kJustYou},
      {"another_domain",
       Probed(Made("instagram", "insta-corp", V::kUnknown, L::kDns, "timeout"), {dns_timeout}),
       V::kUnknown},
      {"nothing_probed_here", Made("instagram", "meta", V::kUnknown), V::kUnknown},
      {"this_side_broken_stays_about_this_side",
       Probed(Made("instagram", "meta", V::kLocalDns, L::kDns, "timeout"), {dns_timeout}),
       V::kLocalDns},
  };
}

class KeepTable : public ::testing::TestWithParam<KeepCase> {};

TEST_P(KeepTable, Verdict) {
  const KeepCase& c = GetParam();
  std::vector<Diagnosis> ds = {
      Probed(Made("facebook", "meta", V::kOutage, L::kDns, "servfail"),
             {FailProbe(L::kDns, "servfail")}),
      c.platform,
      Probed(Made("whatsapp", "meta", V::kOutage, L::kDns, "servfail"),
             {FailProbe(L::kDns, "servfail")}),
  };
  JudgeWithDomains(ds);
  EXPECT_EQ(core::VerdictName(ds[1].verdict), core::VerdictName(c.verdict));
  EXPECT_EQ(ds[1].evidence, c.platform.evidence);
}

INSTANTIATE_TEST_SUITE_P(Situations, KeepTable, ::testing::ValuesIn(KeepCases()),
                         [](const auto& info) { return info.param.name; });

TEST(JudgeWithDomainsTest, InconclusivePlatformsAreNoEvidenceForEachOther) {
  // Two inconclusive platforms and no platform of the domain judged an outage on its own
  // evidence: nothing changes.
  const auto inconclusive = [](const char* id) {
    return Probed(Made(id, "meta", V::kUnknown, L::kDns, "timeout"),
                  {FailProbe(L::kDns, "timeout")});
  };
  std::vector<Diagnosis> ds = {inconclusive("instagram"), inconclusive("threads")};
  JudgeWithDomains(ds);
  EXPECT_EQ(ds[0].verdict, V::kUnknown);
  EXPECT_EQ(ds[1].verdict, V::kUnknown);
}

struct DomainCase {
  std::string name;
  std::vector<Diagnosis> diagnoses;
  V verdict;  // of the first domain
  bool correlated;
  L layer;
  std::string evidence;
};

std::vector<DomainCase> DomainCases() {
  return {
      {"all_up",
       {Made("facebook", "meta", V::kUp), Made("instagram", "meta", V::kUp)},
       V::kUp,
       false,
       L::kNone,
       "2 platforms up"},
      {"worst_verdict_wins_one_failing_is_not_correlated",
       {Made("facebook", "meta", V::kUp),
        Made("instagram", "meta", V::kDegraded, L::kHttp, "status"),
        Made("whatsapp", "meta", V::kOutage, L::kTcp, "timeout")},
       V::kOutage,
       false,
       L::kTcp,
       "whatsapp: outage at TCP (timeout)"},
      {"two_at_one_layer_correlate_the_third_listed",
       {Made("facebook", "meta", V::kOutage, L::kDns, "servfail"),
        Made("instagram", "meta", V::kRegionalOutage, L::kDns, "servfail"),
        Made("whatsapp", "meta", V::kDegraded, L::kHttp, "status")},
       V::kOutage,
       true,
       L::kDns,
       "whatsapp: degraded at HTTP (status)"},
      {"same_layer_different_detail_still_one_event",
       {Made("facebook", "meta", V::kOutage, L::kTls, "expired"),
        Made("instagram", "meta", V::kOutage, L::kTls, "expired"),
        Made("threads", "meta", V::kOutage, L::kTls, "handshake")},
       V::kOutage,
       true,
       L::kTls,
       "facebook, instagram, threads fail together at TLS (expired)"},
      {"blocked_only_here_together_is_correlated",
       {Made("facebook", "meta", V::kJustYou, L::kDns, "nxdomain"),
        Made("instagram", "meta", V::kJustYou, L::kDns, "nxdomain")},
       V::kJustYou,
       true,
       L::kDns,
       "one meta event"},
      {"observer_side_is_never_a_domain_event",
       {Made("facebook", "meta", V::kLocalNetwork, L::kTcp, "timeout"),
        Made("instagram", "meta", V::kLocalNetwork, L::kTcp, "timeout")},
       V::kLocalNetwork,
       false,
       L::kTcp,
       "this machine's own connection is at fault"},
      {"unknown_outranks_up_but_is_not_affected",
       {Made("facebook", "meta", V::kUp),
        Made("instagram", "meta", V::kUnknown, L::kTcp, "timeout")},
       V::kUnknown,
       false,
       L::kNone,
       "instagram: unknown at TCP (timeout)"},
      {"regional_outranks_degraded_and_just_you",
       {Made("x", "x-corp", V::kJustYou, L::kTcp, "timeout"),
        Made("x-api", "x-corp", V::kRegionalOutage, L::kHttp, "status"),
        Made("x-ads", "x-corp", V::kDegraded, L::kContent, "missing")},
       V::kRegionalOutage,
       false,
       L::kHttp,
       "x-api: regional_outage at HTTP (status)"},
  };
}

class DomainTable : public ::testing::TestWithParam<DomainCase> {};

TEST_P(DomainTable, Event) {
  const DomainCase& c = GetParam();
  const auto events = CorrelateDomains(c.diagnoses);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(core::VerdictName(events[0].verdict), core::VerdictName(c.verdict));
  EXPECT_EQ(events[0].correlated, c.correlated);
  EXPECT_EQ(core::LayerName(events[0].layer), core::LayerName(c.layer));
  EXPECT_THAT(events[0].evidence, Contains(HasSubstr(c.evidence)))
      << ::testing::PrintToString(events[0].evidence);
}

INSTANTIATE_TEST_SUITE_P(Situations, DomainTable, ::testing::ValuesIn(DomainCases()),
                         [](const auto& info) { return info.param.name; });

TEST(CorrelateTest, GroupsInFirstSeenOrderAndAPlatformWithoutDomainIsItsOwn) {
  const auto events =
      CorrelateDomains({Made("x", "x-corp", V::kUp), Made("facebook", "meta", V::kUp),
                        Made("mastodon", "", V::kUp), Made("xapi", "x-corp", V::kUp)});
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].domain, "x-corp");
  EXPECT_THAT(events[0].platforms, ElementsAre("x", "xapi"));
  EXPECT_EQ(events[1].domain, "meta");
  EXPECT_EQ(events[2].domain, "mastodon");
}

struct ExitCase {
  std::string name;
  core::Connectivity connectivity;
  std::vector<V> verdicts;
  int code;
};

std::vector<ExitCase> ExitCases() {
  using C = core::Connectivity;
  return {
      {"all_up", C::kOk, {V::kUp, V::kUp}, 0},
      {"nothing_checked", C::kOk, {}, 0},
      {"outage", C::kOk, {V::kUp, V::kOutage}, 1},
      {"regional_outage", C::kOk, {V::kRegionalOutage}, 1},
      {"degraded", C::kOk, {V::kDegraded, V::kUp}, 1},
      {"just_you", C::kOk, {V::kJustYou, V::kUp}, 3},
      {"platform_problem_outranks_this_side", C::kOk, {V::kJustYou, V::kOutage}, 1},
      {"this_side_outranks_unknown", C::kOk, {V::kUnknown, V::kJustYou}, 3},
      {"platform_problem_outranks_unknown", C::kOk, {V::kUnknown, V::kDegraded}, 1},
      {"unknown", C::kOk, {V::kUp, V::kUnknown}, 4},
      {"local_dns", C::kLocalDns, {V::kLocalDns}, 3},
      {"local_network", C::kLocalNetwork, {V::kLocalNetwork, V::kLocalNetwork}, 3},
      {"no_network", C::kNoNetwork, {V::kNoNetwork}, 3},
      {"bad_connection_makes_every_verdict_about_this_side", C::kLocalNetwork, {V::kOutage}, 3},
  };
}

class ExitTable : public ::testing::TestWithParam<ExitCase> {};

TEST_P(ExitTable, Code) {
  const ExitCase& c = GetParam();
  CheckReport report;
  report.observer.connectivity = c.connectivity;
  for (V v : c.verdicts) report.platforms.push_back(Made("p", "d", v));
  EXPECT_EQ(ExitCode(report), c.code);
}

INSTANTIATE_TEST_SUITE_P(Rules, ExitTable, ::testing::ValuesIn(ExitCases()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace lifeline::diagnose
