// Regions weigh in Diagnose() (docs/verdicts.md, step 3): one table row per situation — whole
// regions failing while another loads it, failures across regions, a region failing only partly,
// vantage points in one region only or without a region, and unreachable or unhealthy agents,
// which are evidence about the agent, never about the platform.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "diagnose/diagnose.h"
#include "diagnose/test_util.h"

namespace lifeline::diagnose {
namespace {

using namespace testutil;  // NOLINT: our builders
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;
using V = core::Verdict;
using L = core::Layer;

struct Case {
  std::string name;
  std::vector<ProbeResult> here;
  std::vector<VantageInput> vantage;
  V verdict;
  double min_confidence;
  double max_confidence;
  std::vector<std::string> evidence;  // each a substring of some evidence line
  std::string reason;                 // a substring of the reason
  std::string absent = "";            // a substring no evidence line may hold ("" = unchecked)
};

constexpr const char* kOneRegion = "usable vantage points in one region only";

VantageInput Down(std::string name, std::string region) {
  return VFail(std::move(name), std::move(region), L::kTcp, "timeout");
}

std::vector<Case> Cases() {
  const auto fail = FailProbe(L::kTcp, "timeout");
  const auto ok = OkProbe();
  return {
      // --- whole regions failing, another region healthy: regional_outage ---
      {"one_region_all_failing_others_healthy",
       {fail},
       {Down("eu-1", "eu-west"), Down("eu-2", "eu-west"), VOk("us-1", "us-east"),
        VOk("ap-1", "ap-south")},
       V::kRegionalOutage,
       0.9,
       0.95,
       {"2 of 4 vantage points fail with TCP timeout: eu-1 (eu-west), eu-2 (eu-west)",
        "vantage points by region: eu-west 2 of 2 fail, us-east 0 of 1 fail, ap-south 0 of 1 "
        "fail"},
       "fails here and from eu-1 (eu-west), eu-2 (eu-west) (TCP timeout); loads from us-1 "
       "(us-east), ap-1 (ap-south)",
       kOneRegion},
      // docs/verdicts.md's worked example.
      {"two_agents_of_one_region_failing_another_healthy",
       {fail},
       {Down("eu-1", "eu-west"), Down("eu-2", "eu-west"), VOk("us-1", "us-east")},
       V::kRegionalOutage,
       0.93,
       0.94,
       {"its endpoint fails here (TCP timeout)",
        "2 of 3 vantage points fail with TCP timeout: eu-1 (eu-west), eu-2 (eu-west)",
        "1 of 3 vantage points load it: us-1 (us-east)",
        "vantage points by region: eu-west 2 of 2 fail, us-east 0 of 1 fail"},
       "fails here and from eu-1 (eu-west), eu-2 (eu-west) (TCP timeout); loads from us-1 "
       "(us-east)"},
      // Three agents of one region are not "everyone" (3 of 4 used to be an outage).
      {"three_agents_of_one_region_failing_another_healthy",
       {fail},
       {Down("eu-1", "eu-west"), Down("eu-2", "eu-west"), Down("eu-3", "eu-west"),
        VOk("us-1", "us-east")},
       V::kRegionalOutage,
       0.95,
       0.99,
       {"vantage points by region: eu-west 3 of 3 fail, us-east 0 of 1 fail"},
       "loads from us-1 (us-east)"},
      {"three_regions_failing_a_fourth_healthy",
       {fail},
       {Down("eu-1", "eu-west"), Down("us-1", "us-east"), Down("ap-1", "ap-south"),
        VOk("sa-1", "sa-east")},
       V::kRegionalOutage,
       0.95,
       0.99,
       {"1 of 4 vantage points load it: sa-1 (sa-east)"},
       "loads from sa-1 (sa-east)"},
      {"works_here_one_whole_region_fails",
       {ok},
       {Down("eu-1", "eu-west"), Down("eu-2", "eu-west"), VOk("us-1", "us-east")},
       V::kRegionalOutage,
       0.65,
       0.75,  // 0.8: not seen failing here
       {"vantage points by region: eu-west 2 of 2 fail, us-east 0 of 1 fail"},
       "fails from eu-1 (eu-west), eu-2 (eu-west) (TCP timeout); loads here and from us-1 "
       "(us-east)"},
      // --- failures in two regions or more, none healthy: outage ---
      {"two_regions_failing_none_healthy",
       {fail},
       {Down("eu-1", "eu-west"), Down("us-1", "us-east")},
       V::kOutage,
       0.9,
       0.95,
       {"2 of 2 vantage points fail with TCP timeout"},
       "TCP timeout here and from 2 of 2 vantage points",
       kOneRegion},
      {"every_region_failing_one_partly_above_the_share",
       {fail},
       {Down("eu-1", "eu-west"), Down("eu-2", "eu-west"), Down("us-1", "us-east"),
        Down("us-2", "us-east"), VOk("us-3", "us-east")},
       V::kOutage,
       0.75,
       0.85,
       {"vantage points by region: eu-west 2 of 2 fail, us-east 2 of 3 fail"},
       "TCP timeout here and from 4 of 5 vantage points"},
      // --- a region failing only partly: no whole region, not everyone: degraded ---
      {"region_partly_failing_another_healthy",
       {fail},
       {Down("eu-1", "eu-west"), VOk("eu-2", "eu-west"), VOk("us-1", "us-east")},
       V::kDegraded,
       0.4,
       0.45,  // here and eu-1 against eu-2 and us-1
       {"vantage points by region: eu-west 1 of 2 fail, us-east 0 of 1 fail"},
       "fails here and from eu-1 (eu-west) (TCP timeout), but not from all of eu-west; loads from "
       "eu-2 (eu-west), us-1 (us-east)"},
      {"every_region_failing_one_partly_below_the_share",
       {fail},
       {Down("eu-1", "eu-west"), Down("us-1", "us-east"), VOk("us-2", "us-east")},
       V::kDegraded,
       0.65,
       0.75,
       {"vantage points by region: eu-west 1 of 1 fail, us-east 1 of 2 fail"},
       "but not from all of us-east"},
      {"works_here_region_partly_failing",
       {ok},
       {Down("eu-1", "eu-west"), VOk("eu-2", "eu-west"), VOk("us-1", "us-east")},
       V::kDegraded,
       0.1,
       0.3,
       {"its endpoint loads here", "vantage points by region: eu-west 1 of 2 fail"},
       "fails from eu-1 (eu-west) (TCP timeout), but not from all of eu-west; loads here"},
      // --- vantage points in one region only: today's rules, lower confidence, said so ---
      {"one_region_only_all_failing_is_still_an_outage",
       {fail},
       {Down("eu-1", "eu-west"), Down("eu-2", "eu-west")},
       V::kOutage,
       0.7,
       0.8,  // 0.8 x 0.94
       {"usable vantage points in one region only (eu-west): whether it fails beyond that region "
        "is not known"},
       "TCP timeout here and from 2 of 2 vantage points"},
      {"one_region_only_partly_failing_is_regional_as_before",
       {fail},
       {Down("eu-1", "eu-west"), VOk("eu-2", "eu-west")},
       V::kRegionalOutage,
       0.65,
       0.75,  // 0.8 x 0.875
       {kOneRegion},
       "fails here and from eu-1 (eu-west) (TCP timeout); loads from eu-2 (eu-west)"},
      {"one_region_only_works_here",
       {ok},
       {Down("eu-1", "eu-west")},
       V::kRegionalOutage,
       0.45,
       0.5,  // 0.8 x 0.8 x 0.75
       {kOneRegion},
       "fails from eu-1 (eu-west) (TCP timeout); loads here"},
      {"one_region_only_all_loading_is_just_you",
       {fail},
       {VOk("eu-1", "eu-west"), VOk("eu-2", "eu-west")},
       V::kJustYou,
       0.9,
       0.95,
       {"2 of 2 vantage points load it"},
       "fails only from here (TCP timeout)",
       kOneRegion},
      // --- vantage points without a region: each is a region of its own ---
      {"no_region_each_vantage_point_its_own_region",
       {fail},
       {Down("a", ""), Down("b", "")},
       V::kOutage,
       0.9,
       0.95,
       {"2 of 2 vantage points fail with TCP timeout"},
       "TCP timeout here and from 2 of 2 vantage points",
       kOneRegion},
      {"no_region_one_failing_one_loading_is_regional",
       {fail},
       {Down("a", ""), VOk("b", "")},
       V::kRegionalOutage,
       0.85,
       0.9,
       {"1 of 2 vantage points fail with TCP timeout: a"},
       "fails here and from a (TCP timeout); loads from b"},
      {"no_region_single_vantage_point",
       {fail},
       {Down("a", "")},
       V::kOutage,
       0.65,
       0.75,
       {"usable vantage points in one region only (a, which names no region)"},
       "TCP timeout here and from 1 of 1 vantage points"},
      {"a_vantage_point_named_like_a_region_is_not_in_it",
       {fail},
       {Down("eu-west", ""), VOk("eu-1", "eu-west")},
       V::kRegionalOutage,
       0.85,
       0.9,
       {"1 of 2 vantage points load it: eu-1 (eu-west)"},
       "loads from eu-1 (eu-west)",
       "vantage points by region"},
      // --- unreachable and unhealthy agents: evidence about the agent, not the platform ---
      {"unreachable_agent_does_not_make_its_region_partial",
       {fail},
       {Down("eu-1", "eu-west"), VUnreachable("eu-2", "eu-west", "connection refused"),
        VOk("us-1", "us-east")},
       V::kRegionalOutage,
       0.85,
       0.9,
       {"vantage point eu-2 (eu-west) unreachable: connection refused — its evidence is missing",
        "1 of 2 vantage points load it: us-1 (us-east)"},
       "fails here and from eu-1 (eu-west) (TCP timeout); loads from us-1 (us-east)"},
      {"unreachable_region_is_no_region",
       {fail},
       {Down("eu-1", "eu-west"), VUnreachable("us-1", "us-east", "timeout")},
       V::kOutage,
       0.65,
       0.75,
       {"usable vantage points in one region only (eu-west)",
        "vantage point us-1 (us-east) unreachable: timeout — its evidence is missing"},
       "TCP timeout here and from 1 of 1 vantage points"},
      {"unreachable_agents_never_make_an_outage",
       {fail},
       {VUnreachable("eu-1", "eu-west", "timeout"), VUnreachable("us-1", "us-east", "timeout")},
       V::kUnknown,
       0,
       0,
       {"no vantage point could confirm: none of the vantage points gave usable evidence",
        "vantage point eu-1 (eu-west) unreachable: timeout"},
       "no vantage point could confirm"},
      {"unreachable_agents_never_make_it_fail_where_it_loads",
       {ok},
       {VUnreachable("eu-1", "eu-west", "timeout"), VOk("us-1", "us-east")},
       V::kUp,
       0.85,
       0.9,
       {"vantage point eu-1 (eu-west) unreachable: timeout"},
       "loads here and from 1 of 1 vantage points"},
      {"unhealthy_agent_does_not_count_for_its_region",
       {fail},
       {Down("eu-1", "eu-west"),
        VUnhealthy("eu-2", "eu-west", core::Connectivity::kLocalNetwork, {OkProbe()}),
        VOk("us-1", "us-east")},
       V::kRegionalOutage,
       0.85,
       0.9,
       {"vantage point eu-2 (eu-west)'s own connection is local_network — its evidence is "
        "ignored"},
       "loads from us-1 (us-east)"},
  };
}

class RegionTable : public ::testing::TestWithParam<Case> {};

TEST_P(RegionTable, Verdict) {
  const Case& c = GetParam();
  PlatformInput in;
  in.platform = Plat("instagram", "meta");
  in.here = c.here;
  in.vantage = c.vantage;
  const Diagnosis d = Diagnose(ObsOk(), in);
  EXPECT_EQ(core::VerdictName(d.verdict), core::VerdictName(c.verdict)) << d.reason;
  EXPECT_GE(d.confidence, c.min_confidence) << d.reason;
  EXPECT_LE(d.confidence, c.max_confidence) << d.reason;
  for (const auto& e : c.evidence) {
    EXPECT_THAT(d.evidence, Contains(HasSubstr(e)));
  }
  if (!c.absent.empty()) {
    EXPECT_THAT(d.evidence, Not(Contains(HasSubstr(c.absent))));
  }
  EXPECT_THAT(d.reason, HasSubstr(c.reason));
  if (d.verdict != V::kUnknown && d.verdict != V::kUp) {
    EXPECT_EQ(d.layer, L::kTcp);
    EXPECT_EQ(d.detail, "timeout");
  }
}

INSTANTIATE_TEST_SUITE_P(Situations, RegionTable, ::testing::ValuesIn(Cases()),
                         [](const auto& info) { return info.param.name; });

// The API probe's outage from vantage points of one region only is said so, with less confidence.
TEST(RegionTest, ApiOutageFromOneRegionOnly) {
  PlatformInput in;
  in.platform = Plat("x", "x");
  const auto api_fails = Api(FailProbe(L::kHttp, "status", "", 503));
  in.here = {OkProbe(), api_fails};
  in.vantage = {Vantage("eu-1", "eu-west", {OkProbe(), api_fails}),
                Vantage("eu-2", "eu-west", {OkProbe(), api_fails})};
  Diagnosis d = Diagnose(ObsOk(), in);
  EXPECT_EQ(d.verdict, V::kOutage);
  EXPECT_THAT(d.evidence,
              Contains(HasSubstr("usable vantage points in one region only (eu-west)")));
  const double one_region = d.confidence;

  in.vantage[1].region = "us-east";
  d = Diagnose(ObsOk(), in);
  EXPECT_EQ(d.verdict, V::kOutage);
  EXPECT_THAT(d.evidence, Not(Contains(HasSubstr(kOneRegion))));
  EXPECT_GT(d.confidence, one_region);
}

}  // namespace
}  // namespace lifeline::diagnose
