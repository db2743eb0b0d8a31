// The API's parts on their own: tokens on a real SQLite store, the OpenAPI document against the
// routing table, URL and time parsing, route patterns, SSE framing and metrics text.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

#include "api/http_util.h"
#include "api/metrics.h"
#include "api/routes.h"
#include "api/server.h"
#include "api/sse.h"
#include "api/tokens.h"
#include "store/store.h"

namespace lifeline::api {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using json = nlohmann::json;
namespace fs = std::filesystem;

// ---- tokens on the real store ----

class TokensTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() / ("lifeline_api_tokens_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    auto opened = store::OpenSqlite((dir / "lifeline.db").string());
    ASSERT_TRUE(opened.ok()) << opened.error().ToString();
    db = std::move(opened).value();
  }
  void TearDown() override {
    db.reset();
    fs::remove_all(dir);
  }

  // Every byte of every file of the database (WAL and all).
  std::string DatabaseBytes() const {
    std::string all;
    for (const auto& entry : fs::directory_iterator(dir)) {
      std::ifstream in(entry.path(), std::ios::binary);
      all.append(std::istreambuf_iterator<char>(in), {});
    }
    return all;
  }

  const store::Time now = store::FromSystem(std::chrono::system_clock::now());
  fs::path dir;
  std::unique_ptr<store::Store> db;
};

TEST_F(TokensTest, CreatedTokenAuthenticatesWithItsRoleAndIsStoredOnlyHashed) {
  auto created = CreateToken(*db, "ci", Role::kOperator, now);
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  const std::string secret = created->secret;
  EXPECT_GE(secret.size(), 40u);

  auto role = Authenticate(*db, secret, now);
  ASSERT_TRUE(role.ok()) << role.error().ToString();
  EXPECT_EQ(*role, Role::kOperator);

  const std::string bytes = DatabaseBytes();
  EXPECT_EQ(bytes.find(secret), std::string::npos) << "the secret must never be stored";
  EXPECT_EQ(bytes.find(secret.substr(4)), std::string::npos);
  EXPECT_NE(bytes.find(store::HashToken(secret)), std::string::npos);

  auto list = ListTokens(*db);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  json listed = TokenJson((*list)[0]);
  EXPECT_EQ(listed["name"], "ci");
  EXPECT_EQ(listed["role"], "operator");
  EXPECT_TRUE(listed["revoked_at"].is_null());
  EXPECT_FALSE(listed.contains("hash"));
  EXPECT_THAT(listed.dump(), Not(HasSubstr(secret)));
}

TEST_F(TokensTest, RevokedUnknownAndMalformedTokensAreUnauthenticated) {
  auto created = CreateToken(*db, "dashboard", Role::kViewer, now);
  ASSERT_TRUE(created.ok());
  ASSERT_TRUE(RevokeToken(*db, "dashboard", now).ok());
  auto revoked = Authenticate(*db, created->secret, now);
  ASSERT_FALSE(revoked.ok());
  EXPECT_EQ(revoked.error().code(), core::ErrorCode::kUnauthenticated);

  std::string made_up = "llt_" + std::string(64, 'a');
  for (const std::string& bearer : {made_up, std::string("nonsense"), std::string()}) {
    auto r = Authenticate(*db, bearer, now);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code(), core::ErrorCode::kUnauthenticated);
  }
  auto list = ListTokens(*db);
  ASSERT_TRUE(list.ok());
  EXPECT_FALSE(TokenJson((*list)[0])["revoked_at"].is_null());
  EXPECT_EQ(RevokeToken(*db, "no-such-token", now).error().code(), core::ErrorCode::kNotFound);
}

TEST_F(TokensTest, RevokeById) {
  auto created = CreateToken(*db, "a", Role::kAdmin, now);
  ASSERT_TRUE(created.ok());
  ASSERT_TRUE(RevokeToken(*db, created->token.id, now).ok());
  EXPECT_FALSE(Authenticate(*db, created->secret, now).ok());
}

TEST_F(TokensTest, RoleNoneIsNotATokenRole) {
  auto r = CreateToken(*db, "x", Role::kNone, now);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), core::ErrorCode::kInvalidArgument);
  EXPECT_EQ(CreateToken(*db, "", Role::kViewer, now).error().code(),
            core::ErrorCode::kInvalidArgument);
}

// The bug fuzz/agent_fuzz.cc found in the agent's reader, here too: a number past a double's range
// threw nlohmann's out_of_range past the parse_error handler.
TEST(ParseJsonObjectTest, NumberTooLargeIsMalformedJson) {
  auto r = internal::ParseJsonObject(R"({"name": "x", "weight": 1e400})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), core::ErrorCode::kInvalidArgument);
  EXPECT_THAT(r.error().message(), HasSubstr("malformed JSON: number overflow parsing '1e400'"));
}

TEST(RolesTest, NamesRoundTrip) {
  for (Role r : {Role::kNone, Role::kViewer, Role::kOperator, Role::kAdmin}) {
    EXPECT_EQ(ParseRole(RoleName(r)), r);
  }
  EXPECT_EQ(ParseRole("Admin"), std::nullopt);
  EXPECT_FALSE(ParseTokenRole("none").ok());
  EXPECT_EQ(*ParseTokenRole("operator"), Role::kOperator);
  EXPECT_LT(Role::kViewer, Role::kOperator);
  EXPECT_LT(Role::kOperator, Role::kAdmin);
}

// ---- the OpenAPI document ----

std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

json LoadDoc() { return json::parse(OpenApiDocument()); }

TEST(OpenApiTest, EmbeddedDocumentIsTheFileInDocs) {
  std::ifstream in(std::string(LIFELINE_SOURCE_DIR) + "/docs/openapi.json");
  std::string file((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(file, OpenApiDocument());
}

TEST(OpenApiTest, EveryRouteIsDocumentedAndEveryDocumentedPathIsRouted) {
  json doc = LoadDoc();
  ASSERT_EQ(doc["openapi"], "3.0.3");
  const json& paths = doc["paths"];
  std::set<std::pair<std::string, std::string>> routed;
  for (const RouteInfo& r : Routes()) {
    routed.insert({r.pattern, Lower(r.method)});
    ASSERT_TRUE(paths.contains(r.pattern)) << r.pattern << " is not in docs/openapi.json";
    ASSERT_TRUE(paths[r.pattern].contains(Lower(r.method))) << r.method << " " << r.pattern;
    const json& op = paths[r.pattern][Lower(r.method)];
    EXPECT_EQ(op["x-lifeline-min-role"], RoleName(r.min_role)) << r.method << " " << r.pattern;
    // Query parameters: the same set in both.
    std::set<std::string> documented;
    for (const json& p : op.value("parameters", json::array())) {
      json param = p;
      if (p.contains("$ref")) {
        std::string name =
            p["$ref"].get<std::string>().substr(sizeof("#/components/parameters/") - 1);
        param = doc["components"]["parameters"][name];
      }
      if (param["in"] == "query") documented.insert(param["name"].get<std::string>());
      if (param["in"] == "path") {
        EXPECT_THAT(r.pattern, HasSubstr("{" + param["name"].get<std::string>() + "}"));
      }
    }
    std::set<std::string> accepted(r.query.begin(), r.query.end());
    EXPECT_EQ(documented, accepted) << r.method << " " << r.pattern;
    EXPECT_TRUE(op["responses"].is_object() && !op["responses"].empty());
  }
  for (const auto& [path, item] : paths.items()) {
    for (const auto& [method, op] : item.items()) {
      // A response part's routes (x-lifeline-part) are checked by that part's own tests.
      if (op.contains("x-lifeline-part")) continue;
      EXPECT_TRUE(routed.count({path, method})) << method << " " << path << " is not routed";
    }
  }
}

// Every "$ref" resolves inside the document.
void CheckRefs(const json& doc, const json& node, const std::string& where) {
  if (node.is_object()) {
    if (auto ref = node.find("$ref"); ref != node.end()) {
      std::string pointer = ref->get<std::string>();
      ASSERT_TRUE(pointer.starts_with("#/")) << where;
      EXPECT_TRUE(doc.contains(json::json_pointer(pointer.substr(1))))
          << pointer << " at " << where;
    }
    for (const auto& [k, v] : node.items()) CheckRefs(doc, v, where + "/" + k);
  } else if (node.is_array()) {
    for (std::size_t i = 0; i < node.size(); ++i) {
      CheckRefs(doc, node[i], where + "/" + std::to_string(i));
    }
  }
}

TEST(OpenApiTest, ReferencesResolveAndTheContractsSchemasExist) {
  json doc = LoadDoc();
  CheckRefs(doc, doc, "");
  const json& schemas = doc["components"]["schemas"];
  for (const char* name : {"PlatformView", "Incident", "Event", "Error", "ProbeResult"}) {
    EXPECT_TRUE(schemas.contains(name)) << name;
  }
  EXPECT_EQ(doc["components"]["securitySchemes"]["bearerAuth"]["scheme"], "bearer");
  for (const char* field : {"platform", "verdict", "state", "incident_id", "suppressed",
                            "status_page", "crowd", "evidence", "checked_at"}) {
    EXPECT_TRUE(schemas["PlatformView"]["properties"].contains(field)) << field;
  }
}

// ---- parsing helpers ----

TEST(HttpUtilTest, PercentDecoding) {
  EXPECT_EQ(internal::PercentDecode("a%20b%2Fc", false), "a b/c");
  EXPECT_EQ(internal::PercentDecode("a+b", true), "a b");
  EXPECT_EQ(internal::PercentDecode("a+b", false), "a+b");
  EXPECT_EQ(internal::PercentDecode("%zz", false), std::nullopt);
  EXPECT_EQ(internal::PercentDecode("%4", false), std::nullopt);
  EXPECT_EQ(internal::PercentDecode("%", false), std::nullopt);
  EXPECT_EQ(internal::PercentDecode("%00", false), std::nullopt);
}

TEST(HttpUtilTest, QueryStrings) {
  auto q = internal::ParseQuery("state=open&&limit=5&cursor=a%3Db&flag");
  ASSERT_TRUE(q.ok());
  ASSERT_EQ(q->size(), 4u);
  EXPECT_EQ((*q)[2], (std::pair<std::string, std::string>{"cursor", "a=b"}));
  EXPECT_EQ((*q)[3], (std::pair<std::string, std::string>{"flag", ""}));
  EXPECT_FALSE(internal::ParseQuery("a=%G0").ok());
}

TEST(HttpUtilTest, Rfc3339) {
  using std::chrono::sys_days;
  using namespace std::chrono;
  auto base = sys_days(2026y / November / 27) + 10h;
  EXPECT_EQ(*internal::ParseRfc3339("2026-11-27T10:00:00Z"), base);
  EXPECT_EQ(*internal::ParseRfc3339("2026-11-27T12:00:00+02:00"), base);
  EXPECT_EQ(*internal::ParseRfc3339("2026-11-27T09:30:00-00:30"), base);
  EXPECT_EQ(*internal::ParseRfc3339("2026-11-27T10:00:00.250Z"), base + 250ms);
  for (const char* bad :
       {"2026-11-27", "2026-11-27T10:00:00", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z",
        "2026-11-27T10:00:00Zjunk", "yesterday", "2026-11-27T25:00:00Z"}) {
    EXPECT_FALSE(internal::ParseRfc3339(bad).ok()) << bad;
  }
}

TEST(HttpUtilTest, ErrorStatusesAndBodies) {
  namespace http = boost::beast::http;
  EXPECT_EQ(internal::StatusFor(core::ErrorCode::kInvalidArgument), http::status::bad_request);
  EXPECT_EQ(internal::StatusFor(core::ErrorCode::kUnauthenticated), http::status::unauthorized);
  EXPECT_EQ(internal::StatusFor(core::ErrorCode::kPermissionDenied), http::status::forbidden);
  EXPECT_EQ(internal::StatusFor(core::ErrorCode::kNotFound), http::status::not_found);
  EXPECT_EQ(internal::StatusFor(core::ErrorCode::kAlreadyExists), http::status::conflict);
  EXPECT_EQ(internal::StatusFor(core::ErrorCode::kResourceExhausted),
            http::status::too_many_requests);
  EXPECT_EQ(internal::StatusFor(core::ErrorCode::kUnavailable), http::status::service_unavailable);
  json body = json::parse(internal::ErrorBody("not_found", "no platform 'x'"));
  EXPECT_EQ(body, json::parse(R"({"error":{"code":"not_found","message":"no platform 'x'"}})"));
}

TEST(HttpUtilTest, UnknownFieldsAreNamed) {
  json doc = json::parse(R"({"platform":"x","colour":"red"})");
  auto s = internal::RejectUnknownFields(doc, {"platform", "kind"});
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.error().message(), HasSubstr("\"colour\""));
  EXPECT_THAT(s.error().message(), HasSubstr("platform, kind"));
  EXPECT_TRUE(
      internal::RejectUnknownFields(json::parse(R"({"kind":"login"})"), {"platform", "kind"}).ok());
}

TEST(RoutesTest, PatternsMatchWholeSegments) {
  std::vector<std::pair<std::string, std::string>> params;
  EXPECT_TRUE(internal::MatchPattern("/v1/platforms/{id}", "/v1/platforms/whatsapp", params));
  ASSERT_EQ(params.size(), 1u);
  EXPECT_EQ(params[0].second, "whatsapp");
  EXPECT_FALSE(internal::MatchPattern("/v1/platforms/{id}", "/v1/platforms/", params));
  EXPECT_FALSE(internal::MatchPattern("/v1/platforms/{id}", "/v1/platforms", params));
  EXPECT_FALSE(internal::MatchPattern("/v1/platforms/{id}", "/v1/platforms/a/b", params));
  EXPECT_FALSE(internal::MatchPattern("/v1/platforms", "/v1/platformsx", params));
  EXPECT_TRUE(
      internal::MatchPattern("/v1/incidents/{id}/events", "/v1/incidents/a%20b/events", params));
  EXPECT_EQ(params[0].second, "a b");
  EXPECT_TRUE(internal::IsApiPath("/v1"));
  EXPECT_TRUE(internal::IsApiPath("/v1/anything"));
  EXPECT_FALSE(internal::IsApiPath("/v1x"));
  EXPECT_FALSE(internal::IsApiPath("/assets/app.js"));
}

TEST(RoutesTest, ReportKeyIsAStableHashOfTheAddress) {
  std::string key = internal::ReportClientKey("198.51.100.7");
  EXPECT_EQ(key.size(), 64u);
  EXPECT_EQ(key, internal::ReportClientKey("198.51.100.7"));
  EXPECT_NE(key, internal::ReportClientKey("198.51.100.8"));
  EXPECT_EQ(key.find("198"), std::string::npos);
}

TEST(SseTest, FramesAreOneEventEach) {
  LiveEvent e{"incident_event", {{"incident_id", "inc_1"}, {"message", "line1\nline2"}}};
  EXPECT_EQ(internal::SseFrame(e),
            "event: incident_event\ndata: {\"incident_id\":\"inc_1\",\"message\":\"line1\\nline2\"}"
            "\n\n");
  EXPECT_THAT(internal::SseFrame({"bad\ntype", json::object()}), HasSubstr("event: message\n"));
}

TEST(MetricsTest, PrometheusText) {
  HttpMetrics m;
  m.Observe(200, std::chrono::microseconds(300));
  m.Observe(200, std::chrono::milliseconds(3));
  m.Observe(404, std::chrono::seconds(20));
  std::string text = m.Render();
  EXPECT_THAT(text, HasSubstr("lifeline_http_requests_total{code=\"200\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("lifeline_http_requests_total{code=\"404\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("lifeline_http_request_duration_seconds_bucket{le=\"0.0005\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("lifeline_http_request_duration_seconds_bucket{le=\"0.005\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("lifeline_http_request_duration_seconds_bucket{le=\"5\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("lifeline_http_request_duration_seconds_bucket{le=\"+Inf\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("lifeline_http_request_duration_seconds_count 3\n"));
}

}  // namespace
}  // namespace lifeline::api
