// The `check --json` document: the key names and value types scripts depend on (DESIGN.md), for a
// full report with an outage, an up platform, a missing vantage point and a status page.
#include "diagnose/report_json.h"

#include <gtest/gtest.h>

#include "diagnose/test_util.h"

namespace lifeline::diagnose {
namespace {

using namespace testutil;  // NOLINT: our builders
using nlohmann::json;
using L = core::Layer;

CheckReport Sample() {
  CheckReport report;
  report.checked_at = std::chrono::system_clock::from_time_t(1795773600);  // 2026-11-27T10:00:00Z
  report.observer = ObsOk();
  PlatformInput ig;
  ig.platform = Plat("instagram", "meta");
  ig.here = {FailProbe(L::kDns, "servfail", "https://www.instagram.com/")};
  ig.here[0].timings.dns = 12;
  ig.vantage = {VFail("us-1", "us-east", L::kDns, "servfail"),
                VUnreachable("eu-1", "eu-west", "connection refused")};
  ig.status = Status("major", "Partial System Outage");
  ig.status->degraded_components = {{"Feed", "major_outage"}};
  PlatformInput tg;
  tg.platform = Plat("telegram", "telegram");
  tg.here = {OkProbe("https://telegram.org/", 87.25)};
  report.platforms = {Diagnose(report.observer, ig), Diagnose(report.observer, tg)};
  report.domains = CorrelateDomains(report.platforms);
  report.vantage_points = {
      {"us-1", "us-east", true, "", core::Connectivity::kOk, 41.5},
      {"eu-1", "eu-west", false, "connection refused", core::Connectivity::kOk, std::nullopt}};
  report.notes = {"vantage point eu-1 unreachable: connection refused"};
  return report;
}

void ExpectKeys(const json& j, std::initializer_list<std::pair<const char*, json::value_t>> keys) {
  ASSERT_TRUE(j.is_object()) << j.dump();
  for (const auto& [key, type] : keys) {
    ASSERT_TRUE(j.contains(key)) << "missing key '" << key << "' in " << j.dump();
    EXPECT_EQ(j[key].type(), type) << "key '" << key << "' is " << j[key].type_name();
  }
}

TEST(ReportJsonTest, KeyNamesAndTypesAreStable) {
  using T = json::value_t;
  const json j = ToJson(Sample());
  ExpectKeys(j, {{"checked_at", T::string},
                 {"observer", T::object},
                 {"platforms", T::array},
                 {"domains", T::array},
                 {"vantage_points", T::array},
                 {"notes", T::array},
                 {"exit_code", T::number_integer}});
  EXPECT_EQ(j["checked_at"], "2026-11-27T10:00:00Z");
  EXPECT_EQ(j["exit_code"], 1);
  ExpectKeys(j["observer"], {{"connectivity", T::string},
                             {"evidence", T::array},
                             {"layer", T::string},
                             {"detail", T::string},
                             {"confidence", T::number_float}});
  EXPECT_EQ(j["observer"]["connectivity"], "ok");

  ASSERT_EQ(j["platforms"].size(), 2u);
  const json& ig = j["platforms"][0];
  ExpectKeys(ig, {{"platform", T::string},
                  {"name", T::string},
                  {"domain", T::string},
                  {"verdict", T::string},
                  {"layer", T::string},
                  {"detail", T::string},
                  {"confidence", T::number_float},
                  {"reason", T::string},
                  {"evidence", T::array},
                  {"latency_ms", T::null},
                  {"status", T::object},
                  {"probes", T::array}});
  EXPECT_EQ(ig["platform"], "instagram");
  EXPECT_EQ(ig["name"], "Instagram");
  EXPECT_EQ(ig["verdict"], "outage");
  EXPECT_EQ(ig["layer"], "dns");
  EXPECT_EQ(ig["detail"], "servfail");
  // here, us-1 and the status page agree; eu-1 is unreachable, so the vantage points that gave
  // evidence sit in one region only: 0.8 x 0.97.
  EXPECT_GE(ig["confidence"].get<double>(), 0.75);
  EXPECT_EQ(ig["evidence"][0].type(), T::string);
  ExpectKeys(ig["status"], {{"fetched", T::boolean},
                            {"error", T::string},
                            {"indicator", T::string},
                            {"description", T::string},
                            {"components", T::array}});
  EXPECT_EQ(ig["status"]["components"][0]["name"], "Feed");
  EXPECT_EQ(ig["status"]["components"][0]["status"], "major_outage");
  const json& probe = ig["probes"][0];
  ExpectKeys(probe, {{"target", T::string},
                     {"from", T::string},
                     {"ok", T::boolean},
                     {"layer", T::string},
                     {"detail", T::string},
                     {"timings_ms", T::object}});
  EXPECT_EQ(probe["from"], "here");
  EXPECT_EQ(probe["timings_ms"]["dns"], 12.0);
  EXPECT_EQ(ig["probes"][1]["from"], "us-1");

  const json& tg = j["platforms"][1];
  EXPECT_EQ(tg["verdict"], "up");
  EXPECT_EQ(tg["layer"], "");  // no failing layer
  EXPECT_EQ(tg["detail"], "");
  EXPECT_EQ(tg["latency_ms"], 87.3);
  EXPECT_TRUE(tg["status"].is_null());

  ASSERT_EQ(j["domains"].size(), 2u);
  ExpectKeys(j["domains"][0], {{"domain", T::string},
                               {"verdict", T::string},
                               {"platforms", T::array},
                               {"affected", T::array},
                               {"correlated", T::boolean},
                               {"layer", T::string},
                               {"detail", T::string},
                               {"evidence", T::array}});
  EXPECT_EQ(j["domains"][0]["domain"], "meta");
  EXPECT_EQ(j["domains"][0]["verdict"], "outage");
  EXPECT_EQ(j["domains"][0]["platforms"], json::array({"instagram"}));

  ASSERT_EQ(j["vantage_points"].size(), 2u);
  ExpectKeys(j["vantage_points"][0], {{"name", T::string},
                                      {"region", T::string},
                                      {"reachable", T::boolean},
                                      {"error", T::string},
                                      {"connectivity", T::string},
                                      {"rtt_ms", T::number_float}});
  EXPECT_EQ(j["vantage_points"][1]["reachable"], false);
  EXPECT_EQ(j["vantage_points"][1]["error"], "connection refused");
  EXPECT_TRUE(j["vantage_points"][1]["rtt_ms"].is_null());
  EXPECT_EQ(j["notes"][0], "vantage point eu-1 unreachable: connection refused");
}

// A script parses what we print: the document survives a dump and a parse unchanged.
TEST(ReportJsonTest, RoundTripsThroughText) {
  const json j = ToJson(Sample());
  EXPECT_EQ(json::parse(j.dump()), j);
}

TEST(ReportJsonTest, ConfidenceIsRoundedToTwoDecimals) {
  Diagnosis d;
  d.confidence = 0.93751;
  EXPECT_EQ(ToJson(d)["confidence"], 0.94);
}

}  // namespace
}  // namespace lifeline::diagnose
