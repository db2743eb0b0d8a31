// The fleet view: one vantage point's exchanges folded into its state (ok, unreachable with the
// reason kept, stale when no round reaches it), its latency and median, the events a dashboard
// gets, and the routes' answers (a list, one by name, 404 naming an unknown one).
#include "serve/fleet.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "serve/fleet_routes.h"

namespace lifeline::serve {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using namespace std::chrono;

const SystemTime kT0 = sys_days{year{2026} / 11 / 27} + hours(10);

agent::VantageReply Answer(const std::string& name, double connect_ms, double rtt_ms = 250) {
  agent::VantageReply r;
  r.name = name;
  r.region = "eu";
  r.reachable = true;
  r.connectivity = core::Connectivity::kOk;
  r.evidence = {"3 of 3 control sites load"};
  r.rtt_ms = rtt_ms;
  r.connect_ms = connect_ms;
  r.agent_version = "0.1.0";
  return r;
}

agent::VantageReply Failure(const std::string& name, const std::string& kind,
                            const std::string& error) {
  agent::VantageReply r;
  r.name = name;
  r.region = "eu";
  r.failure = kind;
  r.error = error;
  return r;
}

std::vector<core::VantagePoint> TwoPoints() {
  return {{"eu-west", "eu", "https://eu.example:8443", "/tokens/eu"},
          {"us-east", "us", "https://us.example:8443", "/tokens/us"}};
}

FleetOptions Options() {
  FleetOptions o;
  o.stale_after = seconds(90);
  o.latency_window = 5;
  o.update_every = seconds(10);
  return o;
}

TEST(FleetTest, UnknownUntilAskedThenOkWithVersionLatencyAndItsOwnConnection) {
  Fleet fleet(TwoPoints(), Options());
  auto before = fleet.List(kT0);
  ASSERT_EQ(before.size(), 2u);
  EXPECT_EQ(before[0].name, "eu-west");
  EXPECT_EQ(before[0].state, VantageState::kUnknown);
  EXPECT_FALSE(before[0].last_seen);

  fleet.Observe(Answer("eu-west", 12.5, 340), kT0);
  auto v = fleet.Find("eu-west", kT0 + seconds(1));
  ASSERT_TRUE(v);
  EXPECT_EQ(v->state, VantageState::kOk);
  EXPECT_EQ(v->last_seen, kT0);
  EXPECT_EQ(v->state_since, kT0);
  EXPECT_EQ(v->latency_ms, 12.5) << "the connect, not the agent's probing";
  EXPECT_EQ(v->exchange_ms, 340);
  EXPECT_EQ(v->version, "0.1.0");
  EXPECT_EQ(v->connectivity, core::Connectivity::kOk);
  EXPECT_EQ(v->connectivity_evidence, std::vector<std::string>{"3 of 3 control sites load"});
  EXPECT_EQ(v->answers, 1u);
  EXPECT_EQ(fleet.Find("us-east", kT0)->state, VantageState::kUnknown);
  EXPECT_FALSE(fleet.Find("nowhere", kT0));
}

TEST(FleetTest, UnreachableKeepsItsReasonAndWhatItLastSaid) {
  Fleet fleet(TwoPoints(), Options());
  fleet.Observe(Answer("eu-west", 10), kT0);
  const std::string why =
      "https://eu.example:8443/v1/probe: TLS certificate failure (unable to get local issuer "
      "certificate); verified against ca '/etc/lifeline/eu-ca.pem' (this vantage point's 'ca')";
  fleet.Observe(Failure("eu-west", "tls_verify", why), kT0 + seconds(30));
  fleet.Observe(Failure("eu-west", "tls_verify", why), kT0 + seconds(60));
  auto v = fleet.Find("eu-west", kT0 + seconds(61));
  ASSERT_TRUE(v);
  EXPECT_EQ(v->state, VantageState::kUnreachable);
  EXPECT_EQ(v->state_since, kT0 + seconds(30));
  EXPECT_EQ(v->last_error, why);
  EXPECT_EQ(v->last_error_kind, "tls_verify");
  EXPECT_EQ(v->last_error_at, kT0 + seconds(60));
  EXPECT_EQ(v->consecutive_failures, 2u);
  EXPECT_EQ(v->last_seen, kT0) << "last seen is its last answer";
  EXPECT_EQ(v->last_attempt, kT0 + seconds(60));
  EXPECT_EQ(v->version, "0.1.0") << "what it last reported stays known";

  // Back: ok again, the failure kept as history, the run of failures reset.
  fleet.Observe(Answer("eu-west", 11), kT0 + seconds(90));
  v = fleet.Find("eu-west", kT0 + seconds(90));
  EXPECT_EQ(v->state, VantageState::kOk);
  EXPECT_EQ(v->consecutive_failures, 0u);
  EXPECT_EQ(v->failures, 2u);
  EXPECT_EQ(v->last_error_kind, "tls_verify");
  json j = VantageJson(*v);
  EXPECT_EQ(j["state"], "ok");
  EXPECT_EQ(j["last_error"]["kind"], "tls_verify");
  EXPECT_EQ(j["last_error"]["message"], why);
  EXPECT_EQ(j["last_error"]["at"], "2026-11-27T10:01:00Z");
  EXPECT_EQ(j["last_seen"], "2026-11-27T10:01:30Z");
}

TEST(FleetTest, LatencyMedianOverTheLatestAnswers) {
  Fleet fleet(TwoPoints(), Options());  // window 5
  const double ms[] = {100, 10, 12, 11, 13, 14, 900};
  SystemTime t = kT0;
  for (double m : ms) {
    fleet.Observe(Answer("eu-west", m), t);
    t += seconds(5);
  }
  auto v = fleet.Find("eu-west", t);
  EXPECT_EQ(v->latency_ms, 900);
  // The window holds 12, 11, 13, 14, 900: one slow answer does not move the median much, and
  // the first 100 ms answer has left the window.
  EXPECT_EQ(v->latency_median_ms, 13);
  // A failure has no latency and leaves the median alone.
  fleet.Observe(Failure("eu-west", "timeout", "timeout"), t);
  EXPECT_EQ(fleet.Find("eu-west", t)->latency_median_ms, 13);
  // Even count: the mean of the middle two.
  Fleet two(TwoPoints(), Options());
  two.Observe(Answer("us-east", 10), kT0);
  two.Observe(Answer("us-east", 20), kT0 + seconds(1));
  EXPECT_EQ(two.Find("us-east", kT0 + seconds(1))->latency_median_ms, 15);
}

TEST(FleetTest, StaleWhenNoRoundReachesItForStaleAfter) {
  Fleet fleet(TwoPoints(), Options());  // stale after 90 s
  std::vector<FleetEvent> events;
  auto sub = fleet.Subscribe([&](const FleetEvent& e) { events.push_back(e); });
  fleet.Observe(Answer("eu-west", 10), kT0);
  fleet.Observe(Failure("us-east", "refused", "connection refused"), kT0);
  ASSERT_EQ(events.size(), 2u);
  events.clear();

  fleet.Sweep(kT0 + seconds(90));
  EXPECT_TRUE(events.empty()) << "not yet: exactly stale_after";
  EXPECT_EQ(fleet.Find("eu-west", kT0 + seconds(90))->state, VantageState::kOk);

  fleet.Sweep(kT0 + seconds(91));
  ASSERT_EQ(events.size(), 2u) << "both: an unreachable one goes stale too";
  EXPECT_EQ(events[0].view.name, "eu-west");
  EXPECT_EQ(events[0].view.state, VantageState::kStale);
  EXPECT_EQ(events[0].previous, VantageState::kOk);
  EXPECT_TRUE(events[0].state_changed);
  EXPECT_EQ(events[1].previous, VantageState::kUnreachable);
  auto v = fleet.Find("us-east", kT0 + seconds(100));
  EXPECT_EQ(v->state, VantageState::kStale);
  EXPECT_EQ(v->last_error_kind, "refused") << "the reason outlives the state";

  events.clear();
  fleet.Sweep(kT0 + seconds(120));
  EXPECT_TRUE(events.empty()) << "published once";

  fleet.Observe(Answer("eu-west", 10), kT0 + seconds(130));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].view.state, VantageState::kOk);
  EXPECT_EQ(events[0].previous, VantageState::kStale);
  EXPECT_EQ(events[0].view.state_since, kT0 + seconds(130));
}

TEST(FleetTest, EventsOnChangesAndAtMostEveryUpdateIntervalOtherwise) {
  Fleet fleet(TwoPoints(), Options());  // update_every 10 s
  std::vector<FleetEvent> events;
  auto sub = fleet.Subscribe([&](const FleetEvent& e) { events.push_back(e); });
  fleet.Observe(Answer("eu-west", 10), kT0);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_TRUE(events[0].state_changed);
  EXPECT_EQ(events[0].previous, VantageState::kUnknown);

  fleet.Observe(Answer("eu-west", 11), kT0 + seconds(2));
  fleet.Observe(Answer("eu-west", 12), kT0 + seconds(4));
  EXPECT_EQ(events.size(), 1u) << "every round would flood the stream";
  fleet.Observe(Answer("eu-west", 13), kT0 + seconds(10));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_FALSE(events[1].state_changed);
  EXPECT_EQ(events[1].view.last_seen, kT0 + seconds(10));

  // Its own connection changing is news at once.
  auto impaired = Answer("eu-west", 13);
  impaired.connectivity = core::Connectivity::kLocalDns;
  impaired.evidence = {"this machine's resolver fails; 2 of 2 direct resolvers answer"};
  fleet.Observe(impaired, kT0 + seconds(11));
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[2].view.connectivity, core::Connectivity::kLocalDns);
  EXPECT_EQ(VantageJson(events[2].view)["connectivity"], "local_dns");

  fleet.Observe(Failure("eu-west", "timeout", "timeout"), kT0 + seconds(12));
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[3].view.state, VantageState::kUnreachable);
  EXPECT_TRUE(events[3].state_changed);
  // Another kind of failure while unreachable: news too (a timeout became a refusal).
  fleet.Observe(Failure("eu-west", "refused", "refused"), kT0 + seconds(13));
  ASSERT_EQ(events.size(), 5u);
  EXPECT_FALSE(events[4].state_changed);
  EXPECT_EQ(events[4].view.last_error_kind, "refused");

  // A reply for a name not configured changes nothing.
  fleet.Observe(Answer("elsewhere", 1), kT0 + seconds(14));
  EXPECT_EQ(events.size(), 5u);
  EXPECT_EQ(fleet.List(kT0).size(), 2u);
}

TEST(FleetTest, RegionFromTheAgentWhenNoneIsConfigured) {
  Fleet fleet({{"bare", "", "https://bare.example", "/t"}}, Options());
  auto r = Answer("bare", 5);
  r.region = "ap-south";
  fleet.Observe(r, kT0);
  EXPECT_EQ(fleet.Find("bare", kT0)->region, "ap-south");
}

TEST(FleetTest, StaleAfterIsThreeOfTheShortestIntervalsPlusTheExchange) {
  config::Config c;
  c.timeout = seconds(5);
  c.serve.interval = seconds(30);
  core::Platform a;
  a.id = "a";
  core::Platform b = a;
  b.id = "b";
  c.platforms = {a, b};
  EXPECT_EQ(StaleAfter(c), milliseconds(3 * 30000 + 5000 + 1500));
  c.serve.intervals = {{"b", seconds(10)}};
  EXPECT_EQ(StaleAfter(c), milliseconds(3 * 10000 + 5000 + 1500));
}

TEST(FleetRoutesTest, ListsTheFleetAndNamesAnUnknownVantagePoint) {
  Fleet fleet(TwoPoints(), Options());
  fleet.Observe(Answer("eu-west", 12), SystemTime(system_clock::now()));
  fleet.Observe(Failure("us-east", "unauthorized",
                        "https://us.example:8443/v1/probe: HTTP 401: invalid token"),
                system_clock::now());
  FleetRoutes routes(fleet);
  auto call = [&](const std::string& pattern, const std::string& name) {
    for (const auto& r : routes.Routes()) {
      if (r.pattern != pattern) continue;
      EXPECT_EQ(r.min_role, api::Role::kViewer);
      api::PartRequest req;
      req.method = r.method;
      req.path = pattern;
      if (!name.empty()) req.params = {{"name", name}};
      return r.handle(req);
    }
    return core::Result<api::PartResponse>(core::MakeError(core::ErrorCode::kInternal, "none"));
  };
  auto list = call("/v1/vantage-points", "");
  ASSERT_TRUE(list.ok()) << list.error().message();
  const json& body = list->body;
  EXPECT_EQ(body["stale_after_ms"], 90000);
  ASSERT_EQ(body["vantage_points"].size(), 2u);
  EXPECT_EQ(body["vantage_points"][0]["name"], "eu-west");
  EXPECT_EQ(body["vantage_points"][0]["state"], "ok");
  EXPECT_EQ(body["vantage_points"][0]["version"], "0.1.0");
  EXPECT_EQ(body["vantage_points"][0]["latency_ms"], 12);
  EXPECT_EQ(body["vantage_points"][1]["state"], "unreachable");
  EXPECT_EQ(body["vantage_points"][1]["last_error"]["kind"], "unauthorized");
  EXPECT_EQ(body["vantage_points"][1]["version"], nullptr);

  auto one = call("/v1/vantage-points/{name}", "us-east");
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->body["name"], "us-east");
  EXPECT_EQ(one->body["region"], "us");

  auto missing = call("/v1/vantage-points/{name}", "mars-1");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), core::ErrorCode::kNotFound);
  EXPECT_THAT(missing.error().message(), HasSubstr("no vantage point 'mars-1'"));

  const std::string m = routes.Metrics();
  EXPECT_THAT(m, HasSubstr("lifeline_vantage_point_up{vantage_point=\"eu-west\",region=\"eu\"} 1"));
  EXPECT_THAT(m, HasSubstr("lifeline_vantage_point_up{vantage_point=\"us-east\",region=\"us\"} 0"));
  EXPECT_THAT(m, HasSubstr("lifeline_vantage_point_latency_seconds{vantage_point=\"eu-west\","
                           "region=\"eu\"} 0.012"));

  std::vector<api::LiveEvent> live;
  auto sub = routes.Subscribe([&](const api::LiveEvent& e) { live.push_back(e); });
  fleet.Observe(Failure("eu-west", "refused", "connection refused"), system_clock::now());
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(live[0].type, "vantage_point");
  EXPECT_EQ(live[0].data["name"], "eu-west");
  EXPECT_EQ(live[0].data["state"], "unreachable");
  EXPECT_EQ(live[0].data["previous_state"], "ok");
  EXPECT_EQ(live[0].data["state_changed"], true);
}

TEST(FleetRoutesTest, EveryRouteIsDocumentedInOpenApi) {
  Fleet fleet(TwoPoints(), Options());
  FleetRoutes routes(fleet);
  std::ifstream in(std::string(LIFELINE_SOURCE_DIR) + "/docs/openapi.json");
  json doc = json::parse(in);
  std::set<std::string> routed;
  for (const api::PartRoute& r : routes.Routes()) {
    routed.insert(r.pattern);
    ASSERT_TRUE(doc["paths"].contains(r.pattern)) << r.pattern << " is not in docs/openapi.json";
    const json& op = doc["paths"][r.pattern]["get"];
    EXPECT_EQ(op["x-lifeline-part"], "fleet") << r.pattern;
    EXPECT_EQ(op["x-lifeline-min-role"], "viewer") << r.pattern;
  }
  for (const auto& [path, item] : doc["paths"].items()) {
    for (const auto& [method, op] : item.items()) {
      if (op.value("x-lifeline-part", "") == "fleet") {
        EXPECT_TRUE(routed.count(path)) << path;
      }
    }
  }
  // The documented fields are the ones sent.
  const json props = doc["components"]["schemas"]["VantagePoint"]["properties"];
  json sent = VantageJson(fleet.List(kT0)[0]);
  for (const auto& [key, value] : sent.items()) EXPECT_TRUE(props.contains(key)) << key;
  for (const auto& [key, value] : props.items()) EXPECT_TRUE(sent.contains(key)) << key;
}

}  // namespace
}  // namespace lifeline::serve
