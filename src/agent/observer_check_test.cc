// Tests for the observer check: which probes it plans, how results are sorted back into the
// evidence, and that one Run carries them all.
#include "agent/observer_check.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "agent/test_util.h"

namespace lifeline::agent {
namespace {

using ::testing::ElementsAre;
using testing::FakeProber;

core::ProbeSpec Http(std::string id, std::string url) {
  core::ProbeSpec s;
  s.id = std::move(id);
  s.url = std::move(url);
  return s;
}

config::Config TwoControlsTwoResolvers() {
  config::Config c;
  c.control = {Http("wikipedia", "https://www.Wikipedia.org/"),
               Http("wiki-api", "https://www.wikipedia.org:443/w/api.php?x=1"),
               Http("cloudflare", "http://user@one.one.one.one/cdn-cgi/trace"),
               Http("by-ip", "http://198.51.100.9:8080/"), Http("v6", "http://[2001:db8::1]/")};
  c.resolvers = {"198.51.100.53", "[2001:db8::53]:53"};
  return c;
}

std::vector<std::string> Ids(const std::vector<core::ProbeSpec>& specs) {
  std::vector<std::string> ids;
  for (const auto& s : specs) ids.push_back(s.id);
  return ids;
}

TEST(ControlHostsTest, DistinctNamesWithoutIpLiterals) {
  EXPECT_THAT(ControlHosts(TwoControlsTwoResolvers().control),
              ElementsAre("www.wikipedia.org", "one.one.one.one"));
}

TEST(PlanObserverCheckTest, ControlsThenSystemDnsThenEachDirectResolver) {
  ObserverPlan plan = PlanObserverCheck(TwoControlsTwoResolvers());
  EXPECT_EQ(plan.control, 5u);
  EXPECT_EQ(plan.system_dns, 2u);
  EXPECT_EQ(plan.direct_dns, 4u);
  EXPECT_THAT(
      Ids(plan.specs),
      ElementsAre("wikipedia", "wiki-api", "cloudflare", "by-ip", "v6", "dns:www.wikipedia.org",
                  "dns:one.one.one.one", "dns:www.wikipedia.org@198.51.100.53",
                  "dns:one.one.one.one@198.51.100.53", "dns:www.wikipedia.org@[2001:db8::53]:53",
                  "dns:one.one.one.one@[2001:db8::53]:53"));
  const core::ProbeSpec& direct = plan.specs[7];
  EXPECT_EQ(direct.kind, core::ProbeKind::kDns);
  EXPECT_EQ(direct.host, "www.wikipedia.org");
  EXPECT_EQ(direct.resolver, "198.51.100.53");
  EXPECT_EQ(plan.specs[5].resolver, "");
}

TEST(GatherObserverEvidenceTest, OneRunSortedIntoControlSystemAndDirect) {
  FakeProber prober;
  prober.answer = [](const core::ProbeSpec& spec) {
    // This machine's resolver is broken; everything else works.
    if (spec.kind == core::ProbeKind::kDns && spec.resolver.empty()) {
      return testing::FailedResult(spec, core::Layer::kDns, core::detail::kServfail);
    }
    return testing::HealthyResult(spec);
  };
  config::Config config = TwoControlsTwoResolvers();
  boost::asio::io_context io;
  diagnose::ObserverInput in;
  boost::asio::co_spawn(
      io, GatherObserverEvidence(prober, config, probe::LocalNetwork{{"eth0"}, false}),
      [&](std::exception_ptr e, diagnose::ObserverInput got) {
        if (e) std::rethrow_exception(e);
        in = std::move(got);
      });
  io.run();
  EXPECT_EQ(prober.Runs().size(), 1u);
  EXPECT_TRUE(in.has_interface);
  EXPECT_FALSE(in.has_default_route);
  ASSERT_EQ(in.control.size(), 5u);
  EXPECT_EQ(in.control[0].probe_id, "wikipedia");
  ASSERT_EQ(in.system_dns.size(), 2u);
  EXPECT_FALSE(in.system_dns[0].ok);
  ASSERT_EQ(in.direct_dns.size(), 4u);
  EXPECT_TRUE(in.direct_dns[3].ok);
  EXPECT_EQ(in.direct_dns[3].resolver, "[2001:db8::53]:53");
}

TEST(AssembleObserverInputTest, NoInterfaceMeansNoInterface) {
  ObserverPlan plan;
  diagnose::ObserverInput in = AssembleObserverInput(plan, {}, probe::LocalNetwork{});
  EXPECT_FALSE(in.has_interface);
  EXPECT_FALSE(in.has_default_route);
  EXPECT_TRUE(in.control.empty());
}

}  // namespace
}  // namespace lifeline::agent
