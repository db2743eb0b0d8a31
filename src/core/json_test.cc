// The JSON wire forms of ProbeSpec and ProbeResult round-trip and reject malformed input by name.
#include "core/json.h"

#include <gtest/gtest.h>

namespace lifeline::core {
namespace {

TEST(JsonTest, ProbeSpecRoundTrips) {
  ProbeSpec s;
  s.id = "api";
  s.url = "https://api.example.test/v1/me";
  s.headers = {{"Authorization", "Bearer x"}};
  s.api = true;
  s.expect.status = {200};
  s.expect.json_pointer = "/ok";
  s.expect.json_equals = "true";
  auto back = ProbeSpecFromJson(ToJson(s));
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  EXPECT_EQ(back->url, s.url);
  EXPECT_EQ(back->headers, s.headers);
  EXPECT_TRUE(back->api);
  EXPECT_EQ(back->expect.status, std::vector<int>{200});
  EXPECT_EQ(back->expect.json_equals, "true");
}

TEST(JsonTest, ProbeSpecErrorsNameTheField) {
  auto bad = ProbeSpecFromJson(nlohmann::json{{"kind", "http"}, {"url", 5}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("'url'"), std::string::npos);
  auto kind = ProbeSpecFromJson(nlohmann::json{{"kind", "ftp"}, {"url", "x"}});
  ASSERT_FALSE(kind.ok());
  EXPECT_NE(kind.error().message().find("'kind'"), std::string::npos);
  EXPECT_FALSE(ProbeSpecFromJson(nlohmann::json{{"kind", "dns"}}).ok());
}

TEST(JsonTest, ProbeResultRoundTrips) {
  ProbeResult r;
  r.probe_id = "web";
  r.target = "https://www.instagram.com/";
  r.from = "eu-west";
  r.layer = Layer::kDns;
  r.detail = "servfail";
  r.timings.dns = 12.04;
  auto j = ToJson(r);
  EXPECT_EQ(j["layer"], "dns");
  EXPECT_EQ(j["timings_ms"]["dns"], 12.0);
  auto back = ProbeResultFromJson(j);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->from, "eu-west");
  EXPECT_EQ(back->layer, Layer::kDns);
  EXPECT_EQ(back->detail, "servfail");
}

TEST(JsonTest, NamesAreStable) {
  EXPECT_EQ(VerdictName(Verdict::kRegionalOutage), "regional_outage");
  EXPECT_EQ(ParseVerdict("just_you"), Verdict::kJustYou);
  EXPECT_EQ(ConnectivityName(Connectivity::kLocalDns), "local_dns");
  EXPECT_FALSE(ParseVerdict("down").has_value());
}

}  // namespace
}  // namespace lifeline::core
