// The device check's routes end to end on loopback (device_routes.h): the probe list, a measured
// report accepted once per device per platform per hour, forged, contradictory and oversized
// reports refused with nothing stored, and the accepted ones counted with the crowd.
#include "api/device_routes.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "api/server.h"
#include "api/test_util.h"
#include "core/temp_dir.h"

namespace lifeline::api {
namespace {

using namespace std::chrono_literals;
using testing::FakeBackend;
using testing::Get;
using ::testing::HasSubstr;
using testing::Post;
using testing::Reply;
using json = nlohmann::json;

constexpr const char* kWa1 = "https://web.whatsapp.com/favicon.ico";
constexpr const char* kWa2 = "https://www.whatsapp.com/favicon.ico";
constexpr const char* kC1 = "https://www.wikipedia.org/static/favicon/wikipedia.ico";
constexpr const char* kC2 = "https://www.cloudflare.com/favicon.ico";

DeviceCatalog Catalog() {
  DeviceCatalog c;
  c.platforms = {{"whatsapp", "WhatsApp", "meta", {kWa1, kWa2}},
                 {"telegram", "Telegram", "telegram", {"https://telegram.org/favicon.ico"}}};
  c.controls = {{"wikipedia", {kC1}}, {"cloudflare", {kC2}}};
  c.timeout = 5000ms;
  return c;
}

// A well-formed report: WhatsApp fails from a device that reaches both control sites.
json Body(std::string device = "dev-0123456789abcdef") {
  return {
      {"device", device},
      {"platform", "whatsapp"},
      {"reached", false},
      {"probes",
       {{{"url", kWa1}, {"ok", false}, {"ms", 5000}}, {{"url", kWa2}, {"ok", false}, {"ms", 12}}}},
      {"controls",
       {{{"url", kC1}, {"ok", true}, {"ms", 80}}, {{"url", kC2}, {"ok", true}, {"ms", 95.5}}}},
      {"connection", {{"type", "cellular"}, {"effective_type", "4g"}}}};
}

class DeviceRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = store::OpenSqlite(dir_.path() + "/lifeline.db");
    ASSERT_TRUE(s.ok()) << s.error().ToString();
    store_ = std::move(*s);
    DeviceRoutesOptions o;
    o.max_per_address = 3;
    o.now = [this] { return now_; };
    routes_ = std::make_unique<DeviceRoutes>(Catalog(), *store_, o);
    ServerOptions options;
    options.listen = "127.0.0.1:0";
    options.anonymous_role = Role::kNone;  // the routes need no token even then
    options.groups = {routes_.get()};
    server_ = std::make_unique<Server>(backend_, options);
    auto started = server_->Start();
    ASSERT_TRUE(started.ok()) << started.error().ToString();
    port_ = server_->port();
  }

  void TearDown() override {
    if (server_) server_->Stop();
  }

  Reply Send(const json& body) { return Send(body.dump()); }
  Reply Send(const std::string& text) {
    return Post(port_, "/v1/device/reports", text, {{"Content-Type", "application/json"}});
  }

  static std::string Message(const Reply& r) {
    json j = json::parse(r.body, nullptr, false);
    return j.is_object() && j.contains("error") ? j["error"]["message"].get<std::string>() : r.body;
  }

  // Every measured report stored over the last day.
  std::int64_t Stored() {
    auto c = store_->DeviceReports().Count(
        "", {store::FromSystem(now_ - 24h), store::FromSystem(now_) + 1ms});
    EXPECT_TRUE(c.ok());
    std::int64_t n = 0;
    for (const auto& m : c.ok() ? *c : std::vector<store::MeasuredCount>{}) {
      n += m.unreachable + m.reachable;
    }
    return n;
  }

  lifeline::testing::TempDir dir_{"device-routes"};
  std::unique_ptr<store::Store> store_;
  // 2026-11-27T10:20:00Z
  std::chrono::system_clock::time_point now_{std::chrono::milliseconds(1795774800000)};
  FakeBackend backend_;
  std::unique_ptr<DeviceRoutes> routes_;
  std::unique_ptr<Server> server_;
  unsigned short port_ = 0;
};

TEST_F(DeviceRoutesTest, ListsEachPlatformsAndControlSitesProbesWithoutAToken) {
  Reply r = Get(port_, "/v1/device/probes");
  ASSERT_EQ(r.status, 200u) << r.body;
  json j = r.Json();
  ASSERT_EQ(j["platforms"].size(), 2u);
  EXPECT_EQ(j["platforms"][0]["platform"], "whatsapp");
  EXPECT_EQ(j["platforms"][0]["name"], "WhatsApp");
  EXPECT_EQ(j["platforms"][0]["device_probes"], json({kWa1, kWa2}));
  EXPECT_EQ(j["controls"][1]["id"], "cloudflare");
  EXPECT_EQ(j["timeout_ms"], 5000);
}

TEST_F(DeviceRoutesTest, AcceptedOncePerDevicePerPlatformPerHour) {
  Reply first = Send(Body());
  ASSERT_EQ(first.status, 201u) << first.body;
  json j = first.Json();
  EXPECT_EQ(j["accepted"], true);
  EXPECT_EQ(j["counted"], true) << "a device that cannot reach it counts towards the spike";
  EXPECT_EQ(j["reports_last_hour"], 1);
  EXPECT_EQ(j["measured_last_hour"]["unreachable"], 1);
  EXPECT_EQ(j["next_report_after"], "2026-11-27T11:00:00Z");

  now_ += 10min;
  json changed = Body();
  changed["reached"] = true;
  changed["probes"][1]["ok"] = true;
  Reply second = Send(changed);
  EXPECT_EQ(second.status, 429u) << second.body;
  EXPECT_THAT(Message(second), HasSubstr("already sent its result for WhatsApp this hour"));
  EXPECT_THAT(Message(second), HasSubstr("Send again after 11:00 UTC"));
  EXPECT_EQ(second.Json()["retry_after"], "2026-11-27T11:00:00Z");
  EXPECT_EQ(Stored(), 1);

  // Another platform from the same device, or the next hour: accepted.
  json telegram = Body();
  telegram["platform"] = "telegram";
  telegram["probes"] = {{{"url", "https://telegram.org/favicon.ico"}, {"ok", true}, {"ms", 40}}};
  telegram["reached"] = true;
  Reply other = Send(telegram);
  EXPECT_EQ(other.status, 201u) << other.body;
  EXPECT_EQ(other.Json()["counted"], false) << "a device that reaches it is no problem report";
  now_ += 40min;  // 11:10
  EXPECT_EQ(Send(changed).status, 201u);
  EXPECT_EQ(Stored(), 3);
}

TEST_F(DeviceRoutesTest, OneAddressCannotInventDevicesWithoutLimit) {
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(Send(Body("dev-forged-000000" + std::to_string(i))).status, 201u);
  }
  Reply over = Send(Body("dev-forged-0000009"));
  EXPECT_EQ(over.status, 429u);
  EXPECT_THAT(Message(over), HasSubstr("from this network this hour"));
  EXPECT_EQ(Stored(), 3);
}

TEST_F(DeviceRoutesTest, CountedInTheCrowdBesideTypedReports) {
  auto key = store_->ClientKey("198.51.100.20", store::FromSystem(now_));
  ASSERT_TRUE(key.ok());
  ASSERT_TRUE(store_->AddReport({"whatsapp", "", *key, store::FromSystem(now_ - 5min)}).ok());
  Reply r = Send(Body());
  ASSERT_EQ(r.status, 201u) << r.body;
  EXPECT_EQ(r.Json()["reports_last_hour"], 2) << "one typed, one measured";
  auto crowd = store_->CountReports("whatsapp",
                                    {store::FromSystem(now_ - 1h), store::FromSystem(now_) + 1ms});
  ASSERT_TRUE(crowd.ok());
  EXPECT_EQ(*crowd, 2);
}

struct Forged {
  const char* name;
  std::function<void(json&)> change;
  const char* message;  // in the 400's message
};

class DeviceRoutesForged : public DeviceRoutesTest, public ::testing::WithParamInterface<Forged> {};

TEST_P(DeviceRoutesForged, RefusedWith400NamingTheFieldAndNothingStored) {
  json body = Body();
  GetParam().change(body);
  Reply r = Send(body);
  EXPECT_EQ(r.status, 400u) << r.body;
  EXPECT_THAT(Message(r), HasSubstr(GetParam().message));
  EXPECT_EQ(Stored(), 0);
}

INSTANTIATE_TEST_SUITE_P(
    Api, DeviceRoutesForged,
    ::testing::Values(
        Forged{"unknown_platform", [](json& b) { b["platform"] = "myspace"; },
               "field 'platform' \"myspace\" is not a watched platform"},
        Forged{"no_device", [](json& b) { b.erase("device"); }, "field 'device' is missing"},
        Forged{"short_device", [](json& b) { b["device"] = "abc"; }, "field 'device' must be"},
        Forged{"device_number", [](json& b) { b["device"] = 12345678901234567; },
               "field 'device' must be"},
        Forged{"unknown_field", [](json& b) { b["verdict"] = "outage"; },
               "unknown field \"verdict\""},
        Forged{"reached_contradicts", [](json& b) { b["reached"] = true; },
               "field 'reached' is true, but none of the probes completed"},
        Forged{"reached_string", [](json& b) { b["reached"] = "no"; },
               "field 'reached' must be true or false"},
        Forged{"foreign_url", [](json& b) { b["probes"][0]["url"] = "https://evil.example/x.ico"; },
               "field 'probes[0].url' \"https://evil.example/x.ico\" is not one of the device "
               "probes"},
        Forged{"url_twice", [](json& b) { b["probes"][1]["url"] = kWa1; },
               "field 'probes[1].url' \"https://web.whatsapp.com/favicon.ico\" is given twice"},
        Forged{"probe_missing", [](json& b) { b["probes"].erase(1); },
               "field 'probes' must give a result for each of the 2 URLs"},
        Forged{"ms_string", [](json& b) { b["controls"][0]["ms"] = "fast"; },
               "field 'controls[0].ms' must be a number"},
        Forged{"ms_negative", [](json& b) { b["controls"][0]["ms"] = -1; },
               "field 'controls[0].ms' must be between 0 and 60000"},
        Forged{"completed_after_timeout",
               [](json& b) {
                 b["reached"] = true;
                 b["probes"][0] = {{"url", kWa1}, {"ok", true}, {"ms", 9000}};
               },
               "longer than the page waits"},
        Forged{"probe_extra_field", [](json& b) { b["probes"][0]["status"] = 200; },
               "field 'probes[0]' has an unknown field \"status\""},
        Forged{"offline",
               [](json& b) {
                 b["controls"][0]["ok"] = false;
                 b["controls"][1]["ok"] = false;
               },
               "field 'controls' shows that this device reached no control site either"},
        Forged{"connection_type", [](json& b) { b["connection"]["type"] = "5g"; },
               "field 'connection.type' must be one of bluetooth, cellular"},
        Forged{"connection_none", [](json& b) { b["connection"]["type"] = "none"; },
               "field 'connection.type' is \"none\" (no network), yet"},
        Forged{"not_an_object",
               [](json& b) {
                 b = json::array({1, 2});
               },
               "the body must be a JSON object"}),
    [](const ::testing::TestParamInfo<Forged>& info) { return std::string(info.param.name); });

TEST_F(DeviceRoutesTest, OversizedAndMalformedReportsAreRefusedAndStoreNothing) {
  json big = Body();
  big["device"] = std::string(5000, 'a');
  Reply r = Send(big);
  EXPECT_EQ(r.status, 413u) << r.body;
  EXPECT_THAT(Message(r), HasSubstr("over the limit of 4096 bytes"));
  // Over the server's own cap (64 KiB): refused before the body is read.
  Reply huge = Send(std::string(70 * 1024, ' '));
  EXPECT_EQ(huge.status, 413u);
  EXPECT_EQ(Send(std::string("{\"device\":")).status, 400u);
  Reply text = Post(port_, "/v1/device/reports", Body().dump(), {{"Content-Type", "text/plain"}});
  EXPECT_EQ(text.status, 415u);
  EXPECT_EQ(Stored(), 0);
  // Refused by the route (the two others never reached it).
  EXPECT_THAT(routes_->Metrics(),
              HasSubstr("lifeline_device_reports_total{outcome=\"refused\"} 2"));
}

TEST(ParseMeasuredBody, KeepsTheFastestCompletedProbeAndTheConnection) {
  json b = Body();
  b["reached"] = true;
  b["probes"][0] = {{"url", kWa1}, {"ok", true}, {"ms", 300}};
  b["probes"][1] = {{"url", kWa2}, {"ok", true}, {"ms", 120}};
  b["controls"][1]["ok"] = false;
  auto m = ParseMeasuredBody(b.dump(), Catalog());
  ASSERT_TRUE(m.ok()) << m.error().message();
  EXPECT_TRUE(m->reached);
  EXPECT_EQ(m->best_ms, 120);
  EXPECT_EQ(m->controls_ok, 1);
  EXPECT_EQ(m->controls_total, 2);
  EXPECT_EQ(m->connection, "cellular");
  EXPECT_EQ(m->effective_type, "4g");
  // The connection is optional: browsers other than Chromium do not tell it.
  b.erase("connection");
  EXPECT_TRUE(ParseMeasuredBody(b.dump(), Catalog()).ok());
}

// Both routes are in docs/openapi.json, marked as this part's, public, with what they answer.
TEST(DeviceRoutesOpenApi, EveryRouteIsDocumented) {
  std::ifstream in(std::string(LIFELINE_SOURCE_DIR) + "/docs/openapi.json");
  json doc = json::parse(in);
  lifeline::testing::TempDir dir{"device-openapi"};
  auto s = store::OpenSqlite(dir.path() + "/l.db");
  ASSERT_TRUE(s.ok());
  DeviceRoutes routes(Catalog(), **s);
  std::set<std::pair<std::string, std::string>> routed;
  for (const PartRoute& r : routes.Routes()) {
    std::string method = r.method;
    for (char& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    routed.insert({r.pattern, method});
    ASSERT_TRUE(doc["paths"].contains(r.pattern)) << r.pattern << " is not in docs/openapi.json";
    ASSERT_TRUE(doc["paths"][r.pattern].contains(method)) << r.method << " " << r.pattern;
    const json& op = doc["paths"][r.pattern][method];
    EXPECT_EQ(op["x-lifeline-part"], "device");
    EXPECT_EQ(op["x-lifeline-min-role"], "none");
    EXPECT_FALSE(op.contains("parameters")) << "the routes take no query";
  }
  const json& post = doc["paths"]["/v1/device/reports"]["post"]["responses"];
  for (const char* status : {"201", "400", "413", "429"})
    EXPECT_TRUE(post.contains(status)) << status;
  for (const auto& [path, item] : doc["paths"].items()) {
    for (const auto& [method, op] : item.items()) {
      if (op.value("x-lifeline-part", "") != "device") continue;
      EXPECT_TRUE(routed.count({path, method})) << method << " " << path << " is not routed";
    }
  }
  EXPECT_TRUE(doc["components"]["schemas"]["Crowd"]["properties"].contains("measured"));
}

}  // namespace
}  // namespace lifeline::api
