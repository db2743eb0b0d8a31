// The API server end to end on loopback: routing, error shapes, the auth matrix, body and query
// checks, live events (delivery, pings, slow clients), async checks, static files, metrics.
#include "api/server.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "api/route_group.h"
#include "api/test_util.h"

namespace lifeline::api {
namespace {

using namespace std::chrono_literals;
using testing::Client;
using testing::FakeBackend;
using testing::Get;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::Post;
using testing::RawConnection;
using testing::Reply;
using testing::WaitFor;
namespace http = boost::beast::http;
using json = nlohmann::json;

constexpr const char* kOperatorToken = "op-secret";
constexpr const char* kViewerToken = "viewer-secret";
constexpr const char* kAdminToken = "admin-secret";

std::pair<std::string, std::string> Bearer(const std::string& token) {
  return {"Authorization", "Bearer " + token};
}

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    backend.tokens = {{kOperatorToken, Role::kOperator},
                      {kViewerToken, Role::kViewer},
                      {kAdminToken, Role::kAdmin}};
    options.listen = "127.0.0.1:0";
  }

  void Start() {
    server = std::make_unique<Server>(backend, options);
    auto started = server->Start();
    ASSERT_TRUE(started.ok()) << started.error().ToString();
    port = server->port();
    ASSERT_NE(port, 0);
  }

  void TearDown() override {
    if (server) server->Stop();
  }

  // The error body's code, checking its shape on the way.
  static std::string ErrorCode(const Reply& r) {
    EXPECT_EQ(r.Header("content-type"), "application/json");
    json body = json::parse(r.body, nullptr, false);
    EXPECT_TRUE(body.is_object()) << r.body;
    if (!body.is_object() || !body.contains("error")) return "<no error object>";
    EXPECT_EQ(body.size(), 1u) << r.body;
    EXPECT_TRUE(body["error"]["message"].is_string()) << r.body;
    EXPECT_FALSE(body["error"]["message"].get<std::string>().empty());
    return body["error"]["code"].get<std::string>();
  }

  static std::string Message(const Reply& r) {
    return json::parse(r.body)["error"]["message"].get<std::string>();
  }

  FakeBackend backend;
  ServerOptions options;
  std::unique_ptr<Server> server;
  unsigned short port = 0;
};

// ---- routing and error shapes ----

TEST_F(ServerTest, PlatformsServesTheBackendsBodyAsIs) {
  Start();
  Reply r = Get(port, "/v1/platforms");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.body, *backend.platforms_body);
  EXPECT_EQ(r.Header("content-type"), "application/json");
  EXPECT_EQ(r.Header("cache-control"), "no-store");
  EXPECT_FALSE(r.Header("date").empty());
}

TEST_F(ServerTest, HeadAnswersGetsHeadersWithoutABody) {
  Start();
  Client c(port);
  Reply r = c.Send(http::verb::head, "/v1/platforms");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.Header("content-length"), std::to_string(backend.platforms_body->size()));
  EXPECT_TRUE(r.body.empty());
  // The connection is still usable: no stray body bytes were sent.
  Reply again = c.Send(http::verb::get, "/healthz");
  EXPECT_EQ(again.status, 200u);
  EXPECT_EQ(again.Json(), json::parse(R"({"status":"ok","store":"ok"})"));
}

TEST_F(ServerTest, KeepAliveServesManyRequestsOnOneConnection) {
  Start();
  Client c(port);
  for (int i = 0; i < 20; ++i) {
    Reply r = c.Send(http::verb::get, "/v1/platforms");
    ASSERT_EQ(r.status, 200u);
    ASSERT_FALSE(r.closed);
  }
}

TEST_F(ServerTest, UnknownApiPathIs404Json) {
  Start();
  Reply r = Get(port, "/v1/nothing-here");
  EXPECT_EQ(r.status, 404u);
  EXPECT_EQ(ErrorCode(r), "not_found");
  EXPECT_THAT(Message(r), HasSubstr("/v1/nothing-here"));
  EXPECT_EQ(Get(port, "/v1/platforms/").status, 404u);
}

TEST_F(ServerTest, WrongMethodIs405WithAllow) {
  Start();
  Client c(port);
  Reply r = c.Send(http::verb::delete_, "/v1/platforms");
  EXPECT_EQ(r.status, 405u);
  EXPECT_EQ(r.Header("allow"), "GET, HEAD");
  EXPECT_EQ(ErrorCode(r), "invalid_argument");
  Reply both = Client(port).Send(http::verb::put, "/v1/reports");
  EXPECT_EQ(both.status, 405u);
  EXPECT_EQ(both.Header("allow"), "POST, GET, HEAD");
  Reply check = Client(port).Send(http::verb::get, "/v1/check");
  EXPECT_EQ(check.Header("allow"), "POST");
}

TEST_F(ServerTest, BackendErrorsMapToStatusAndCode) {
  Start();
  Reply missing = Get(port, "/v1/platforms/nosuch");
  EXPECT_EQ(missing.status, 404u);
  EXPECT_EQ(ErrorCode(missing), "not_found");
  EXPECT_THAT(Message(missing), HasSubstr("nosuch"));

  Reply found = Get(port, "/v1/platforms/whatsapp");
  EXPECT_EQ(found.status, 200u);
  EXPECT_EQ(found.Json()["platform"], "whatsapp");

  backend.health = core::MakeError(core::ErrorCode::kUnavailable, "database is locked");
  Reply health = Get(port, "/healthz");
  EXPECT_EQ(health.status, 503u);
  EXPECT_EQ(health.Json()["status"], "unavailable");
  EXPECT_EQ(health.Json()["error"]["message"], "database is locked");
}

TEST_F(ServerTest, PercentEncodedIdsAreDecoded) {
  Start();
  Reply r = Get(port, "/v1/incidents/inc%5F1");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.Json()["id"], "inc_1");
}

TEST_F(ServerTest, MalformedRequestIs400AndClosed) {
  Start();
  RawConnection raw(port);
  raw.Write("THIS IS NOT HTTP\r\n\r\n");
  ASSERT_TRUE(raw.ReadUntilClosed(5s));
  EXPECT_THAT(raw.received(), HasSubstr("HTTP/1.1 400"));
  EXPECT_THAT(raw.received(), HasSubstr("\"invalid_argument\""));
}

TEST_F(ServerTest, HugeHeaderIs431) {
  Start();
  RawConnection raw(port);
  raw.Write("GET /v1/platforms HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'a') +
            "\r\n\r\n");
  ASSERT_TRUE(raw.ReadUntilClosed(5s));
  EXPECT_THAT(raw.received(), HasSubstr("HTTP/1.1 431"));
}

TEST_F(ServerTest, SlowHeaderIsCutOff) {
  options.header_timeout = 200ms;
  Start();
  RawConnection raw(port);
  raw.Write("GET /v1/platforms HTTP/1.1\r\nHost: x\r\n");  // never finished
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(raw.ReadUntilClosed(5s));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
}

// ---- authentication and roles ----

TEST_F(ServerTest, AnonymousViewerCanReadButNotCheck) {
  Start();
  EXPECT_EQ(Get(port, "/v1/platforms").status, 200u);
  EXPECT_EQ(Get(port, "/v1/incidents").status, 200u);
  EXPECT_EQ(Get(port, "/metrics").status, 200u);
  Reply check = Post(port, "/v1/check", "");
  EXPECT_EQ(check.status, 401u);
  EXPECT_EQ(check.Header("www-authenticate"), "Bearer");
  EXPECT_EQ(ErrorCode(check), "unauthenticated");
  EXPECT_THAT(Message(check), HasSubstr("operator"));
  EXPECT_TRUE(backend.checks.empty());
}

TEST_F(ServerTest, OperatorTokenCanCheck) {
  Start();
  Reply r = Post(port, "/v1/check", R"({"platforms":["whatsapp"]})",
                 {{"Content-Type", "application/json"}, Bearer(kOperatorToken)});
  EXPECT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.Json()["platforms"], json::array({"whatsapp"}));
  Reply admin = Post(port, "/v1/check", "", {Bearer(kAdminToken)});
  EXPECT_EQ(admin.status, 200u) << admin.body;
  std::lock_guard lock(backend.mu);
  ASSERT_EQ(backend.checks.size(), 2u);
  EXPECT_EQ(backend.checks[0], std::vector<std::string>{"whatsapp"});
  EXPECT_TRUE(backend.checks[1].empty());  // no body: every platform
}

TEST_F(ServerTest, ViewerTokenIsForbiddenToCheck) {
  Start();
  Reply r = Post(port, "/v1/check", "", {Bearer(kViewerToken)});
  EXPECT_EQ(r.status, 403u);
  EXPECT_EQ(ErrorCode(r), "permission_denied");
  EXPECT_TRUE(r.Header("www-authenticate").empty());
}

TEST_F(ServerTest, UnknownOrRevokedTokenIs401EvenWhereAnonymousWouldDo) {
  options.anonymous_role = Role::kOperator;
  Start();
  EXPECT_EQ(Post(port, "/v1/check", "").status, 200u);  // anonymous operator (lifeline demo)
  Reply bad = Get(port, "/v1/platforms", {Bearer("revoked-or-made-up")});
  EXPECT_EQ(bad.status, 401u);
  EXPECT_EQ(bad.Header("www-authenticate"), "Bearer");
  EXPECT_EQ(ErrorCode(bad), "unauthenticated");
  Reply basic = Get(port, "/v1/platforms", {{"Authorization", "Basic dXNlcjpwdw=="}});
  EXPECT_EQ(basic.status, 401u);
}

TEST_F(ServerTest, AnonymousNoneNeedsATokenForEverythingButPublicRoutes) {
  options.anonymous_role = Role::kNone;
  Start();
  EXPECT_EQ(Get(port, "/v1/platforms").status, 401u);
  EXPECT_EQ(Get(port, "/v1/platforms", {Bearer(kViewerToken)}).status, 200u);
  EXPECT_EQ(Get(port, "/healthz").status, 200u);
  EXPECT_EQ(Get(port, "/openapi.json").status, 200u);
  EXPECT_EQ(Post(port, "/v1/reports", R"({"platform":"whatsapp"})").status, 201u);
}

TEST_F(ServerTest, StoreFailureDuringAuthenticationIs503Not401) {
  struct Failing : FakeBackend {
    core::Result<Role> Authenticate(std::string_view) override {
      return core::MakeError(core::ErrorCode::kUnavailable, "database is locked");
    }
  } failing;
  Server s(failing, options);
  ASSERT_TRUE(s.Start().ok());
  Reply r = Get(s.port(), "/v1/platforms", {Bearer("anything")});
  EXPECT_EQ(r.status, 503u);
  EXPECT_EQ(ErrorCode(r), "unavailable");
  s.Stop();
}

TEST_F(ServerTest, TokensNeverAppearInLogs) {
  std::mutex log_mu;
  std::vector<std::string> lines;
  options.log = [&](std::string_view line) {
    std::lock_guard lock(log_mu);
    lines.emplace_back(line);
  };
  Start();
  EXPECT_EQ(Get(port, "/v1/platforms", {Bearer(kViewerToken)}).status, 200u);
  EXPECT_EQ(Get(port, "/v1/platforms", {Bearer("wrong-token-value")}).status, 401u);
  server->Stop();
  std::lock_guard lock(log_mu);
  ASSERT_GE(lines.size(), 2u);
  for (const auto& line : lines) {
    EXPECT_THAT(line, Not(HasSubstr(kViewerToken)));
    EXPECT_THAT(line, Not(HasSubstr("wrong-token-value")));
  }
}

// ---- bodies and queries ----

TEST_F(ServerTest, BodyOverTheCapIs413) {
  options.max_body_bytes = 1024;
  options.anonymous_role = Role::kOperator;
  Start();
  std::string big = R"({"platforms":[")" + std::string(2000, 'x') + R"("]})";
  Reply declared = Post(port, "/v1/check", big);
  EXPECT_EQ(declared.status, 413u);
  EXPECT_EQ(ErrorCode(declared), "resource_exhausted");
  EXPECT_THAT(Message(declared), HasSubstr("1024"));

  // Chunked, so no size is declared up front: the cap still holds.
  RawConnection raw(port);
  std::string chunk(1500, 'x');
  raw.Write(
      "POST /v1/check HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Transfer-Encoding: chunked\r\n\r\n" +
      fmt::format("{:x}\r\n{}\r\n0\r\n\r\n", chunk.size(), chunk));
  ASSERT_TRUE(raw.ReadUntil("\r\n\r\n", 5s));
  EXPECT_THAT(raw.received(), HasSubstr("HTTP/1.1 413"));
  EXPECT_TRUE(backend.checks.empty());
}

TEST_F(ServerTest, UnknownFieldIsRefusedByName) {
  Start();
  Reply r = Post(port, "/v1/reports", R"({"platform":"whatsapp","colour":"red"})");
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(ErrorCode(r), "invalid_argument");
  EXPECT_THAT(Message(r), HasSubstr("colour"));
  Reply check = Post(port, "/v1/check", R"({"platform":["x"]})",
                     {
                         {"Content-Type", "application/json"},
                         Bearer(kOperatorToken),
                     });
  EXPECT_EQ(check.status, 400u);
  EXPECT_THAT(Message(check), HasSubstr("\"platform\""));
}

TEST_F(ServerTest, BadJsonIs400) {
  Start();
  Reply r = Post(port, "/v1/reports", R"({"platform": "whatsapp",)");
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(ErrorCode(r), "invalid_argument");
  EXPECT_THAT(Message(r), HasSubstr("malformed JSON"));
  Reply array = Post(port, "/v1/reports", "[1,2]");
  EXPECT_EQ(array.status, 400u);
  EXPECT_THAT(Message(array), HasSubstr("object"));
  Reply wrong_type = Post(port, "/v1/check", R"({"platforms":"whatsapp"})",
                          {{"Content-Type", "application/json"}, Bearer(kOperatorToken)});
  EXPECT_EQ(wrong_type.status, 400u);
  EXPECT_THAT(Message(wrong_type), HasSubstr("platforms"));
}

TEST_F(ServerTest, NonJsonBodyIs415) {
  Start();
  Reply r = Post(port, "/v1/reports", "platform=whatsapp",
                 {{"Content-Type", "application/x-www-form-urlencoded"}});
  EXPECT_EQ(r.status, 415u);
  EXPECT_EQ(ErrorCode(r), "invalid_argument");
  Reply charset = Post(port, "/v1/reports", R"({"platform":"whatsapp"})",
                       {{"Content-Type", "Application/JSON; charset=utf-8"}});
  EXPECT_EQ(charset.status, 201u) << charset.body;
}

TEST_F(ServerTest, QueryParametersAreValidated) {
  Start();
  Reply limit = Get(port, "/v1/incidents?limit=abc");
  EXPECT_EQ(limit.status, 400u);
  EXPECT_THAT(Message(limit), HasSubstr("'limit'"));
  EXPECT_EQ(Get(port, "/v1/incidents?limit=0").status, 400u);
  EXPECT_EQ(Get(port, "/v1/incidents?limit=1001").status, 400u);
  Reply state = Get(port, "/v1/incidents?state=sideways");
  EXPECT_EQ(state.status, 400u);
  EXPECT_THAT(Message(state), HasSubstr("'state'"));
  Reply unknown = Get(port, "/v1/incidents?colour=red");
  EXPECT_EQ(unknown.status, 400u);
  EXPECT_THAT(Message(unknown), HasSubstr("colour"));
  EXPECT_THAT(Message(unknown), HasSubstr("state, limit, cursor"));
  EXPECT_EQ(Get(port, "/v1/platforms?x=1").status, 400u);
  EXPECT_EQ(Get(port, "/v1/incidents?limit=5&limit=6").status, 400u);

  Reply ok = Get(port, "/v1/incidents?state=open&limit=5&cursor=abc%3D");
  EXPECT_EQ(ok.status, 200u);
  std::lock_guard lock(backend.mu);
  ASSERT_EQ(backend.incident_queries.size(), 1u);
  EXPECT_EQ(backend.incident_queries[0].state, "open");
  EXPECT_EQ(backend.incident_queries[0].limit, 5u);
  EXPECT_EQ(backend.incident_queries[0].cursor, "abc=");
}

TEST_F(ServerTest, HistoryRangeAndEventsAfter) {
  Start();
  Reply r = Get(
      port,
      "/v1/platforms/whatsapp/history?from=2026-11-27T10:00:00Z&to=2026-11-27T12:00:00%2B01:00");
  EXPECT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(Get(port, "/v1/platforms/whatsapp/history?from=yesterday").status, 400u);
  EXPECT_EQ(Get(port, "/v1/platforms/whatsapp/history?step=5m").status, 400u);
  Reply backwards =
      Get(port, "/v1/platforms/whatsapp/history?from=2026-11-27T12:00:00Z&to=2026-11-27T10:00:00Z");
  EXPECT_EQ(backwards.status, 400u);
  EXPECT_EQ(Get(port, "/v1/platforms/whatsapp/history").status, 200u);  // default: last 6 h
  EXPECT_EQ(Get(port, "/v1/incidents/inc_1/events?after=3").status, 200u);
  EXPECT_EQ(Get(port, "/v1/incidents/inc_1/events?after=-1").status, 400u);
  std::lock_guard lock(backend.mu);
  ASSERT_EQ(backend.history_ranges.size(), 2u);
  EXPECT_EQ(backend.history_ranges[0].second - backend.history_ranges[0].first, 1h);
  EXPECT_EQ(backend.history_ranges[1].second - backend.history_ranges[1].first, 6h);
  EXPECT_EQ(backend.event_afters, std::vector<std::int64_t>{3});
}

// ---- crowd reports ----

TEST_F(ServerTest, ReportsPassAHashedClientKeyNeverTheAddress) {
  Start();
  Reply r = Post(port, "/v1/reports", R"({"platform":"whatsapp","kind":"messages"})");
  EXPECT_EQ(r.status, 201u) << r.body;
  EXPECT_EQ(r.Json()["platform"], "whatsapp");
  Reply again = Post(port, "/v1/reports", R"({"platform":"whatsapp"})");
  EXPECT_EQ(again.status, 201u);
  std::lock_guard lock(backend.mu);
  ASSERT_EQ(backend.reports.size(), 2u);
  const auto& [platform, kind, key] = backend.reports[0];
  EXPECT_EQ(platform, "whatsapp");
  EXPECT_EQ(kind, "messages");
  EXPECT_EQ(key.size(), 64u);
  EXPECT_THAT(key, Not(HasSubstr("127.0.0.1")));
  EXPECT_EQ(std::get<2>(backend.reports[1]), key);  // same client, same key
  EXPECT_EQ(std::get<1>(backend.reports[1]), "");
}

TEST_F(ServerTest, ReportsAreValidated) {
  Start();
  EXPECT_EQ(Post(port, "/v1/reports", R"({"kind":"login"})").status, 400u);
  EXPECT_EQ(Post(port, "/v1/reports", R"({"platform":""})").status, 400u);
  Reply kind = Post(port, "/v1/reports", R"({"platform":"whatsapp","kind":"everything"})");
  EXPECT_EQ(kind.status, 400u);
  EXPECT_THAT(Message(kind), HasSubstr("kind"));
  EXPECT_EQ(Post(port, "/v1/reports", "").status, 400u);
  EXPECT_TRUE(backend.reports.empty());
}

TEST_F(ServerTest, SecondReportThisHourIs429) {
  backend.report_answer =
      core::MakeError(core::ErrorCode::kResourceExhausted, "already reported this hour");
  Start();
  Reply r = Post(port, "/v1/reports", R"({"platform":"whatsapp"})");
  EXPECT_EQ(r.status, 429u);
  EXPECT_EQ(ErrorCode(r), "resource_exhausted");
}

// ---- async checks ----

TEST_F(ServerTest, CheckWaitsWithoutBlockingOtherRequests) {
  backend.check_delay = 3s;
  Start();
  std::thread checker([&] {
    Reply r = Post(port, "/v1/check", "", {Bearer(kOperatorToken)});
    EXPECT_EQ(r.status, 200u);
  });
  ASSERT_TRUE(WaitFor([&] {
    std::lock_guard lock(backend.mu);
    return !backend.checks.empty();
  }));
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(Get(port, "/v1/platforms").status, 200u);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1500ms);  // not after the check's 3 s
  checker.join();
}

TEST_F(ServerTest, CheckThatNeverAnswersTimesOut) {
  backend.check_never_answers = true;
  options.check_timeout = 200ms;
  Start();
  Reply r = Post(port, "/v1/check", "", {Bearer(kOperatorToken)});
  EXPECT_EQ(r.status, 504u);
  EXPECT_EQ(ErrorCode(r), "deadline_exceeded");
  // The backend answering late is harmless.
  std::lock_guard lock(backend.mu);
  ASSERT_EQ(backend.pending_done.size(), 1u);
  backend.pending_done[0](json::object());
}

TEST_F(ServerTest, StopAnswersAWaitingCheckWith503) {
  backend.check_never_answers = true;
  Start();
  Reply r;
  std::thread checker([&] { r = Post(port, "/v1/check", "", {Bearer(kOperatorToken)}); });
  ASSERT_TRUE(WaitFor([&] {
    std::lock_guard lock(backend.mu);
    return !backend.pending_done.empty();
  }));
  server->Stop();
  checker.join();
  EXPECT_EQ(r.status, 503u);
  std::lock_guard lock(backend.mu);
  backend.pending_done[0](json::object());  // after Stop: ignored, no crash
}

// ---- response parts' route groups ----

// A part with its own routes, metrics and live events, as the relay and the playbook bring them.
class FakeGroup : public RouteGroup {
 public:
  std::vector<PartRoute> Routes() override {
    return {
        {"GET",
         "/v1/things",
         Role::kViewer,
         {"state"},
         PartBody::kNone,
         [](const PartRequest& r) -> core::Result<PartResponse> {
           const std::string* state = r.Query("state");
           return PartResponse{200, {{"state", state ? *state : "all"}}};
         }},
        {"GET",
         "/v1/things/{id}",
         Role::kViewer,
         {},
         PartBody::kNone,
         [](const PartRequest& r) -> core::Result<PartResponse> {
           if (r.Param("id") != "t1") {
             return core::MakeError(core::ErrorCode::kNotFound, "no thing {}", r.Param("id"));
           }
           return PartResponse{200, {{"id", "t1"}}};
         }},
        {"POST",
         "/v1/things/{id}/retry",
         Role::kOperator,
         {},
         PartBody::kOptional,
         [](const PartRequest& r) -> core::Result<PartResponse> {
           return PartResponse{202, {{"retried", std::string(r.Param("id"))}, {"body", r.body}}};
         }},
    };
  }
  std::string Metrics() override { return "lifeline_things_total 3\n"; }
  std::unique_ptr<Backend::Subscription> Subscribe(
      std::function<void(const LiveEvent&)> sink) override {
    std::lock_guard lock(mu);
    this->sink = std::move(sink);
    return std::make_unique<Backend::Subscription>();
  }
  void Publish(const LiveEvent& e) {
    std::lock_guard lock(mu);
    if (sink) sink(e);
  }
  bool subscribed() {
    std::lock_guard lock(mu);
    return static_cast<bool>(sink);
  }

  std::mutex mu;  // guards sink
  std::function<void(const LiveEvent&)> sink;
};

TEST_F(ServerTest, PartRoutesAreServedWithTheCoreApisChecks) {
  FakeGroup group;
  options.groups = {&group};
  Start();
  EXPECT_EQ(Get(port, "/v1/things?state=open").Json()["state"], "open");
  Reply unknown_query = Get(port, "/v1/things?color=red");
  EXPECT_EQ(unknown_query.status, 400u);
  EXPECT_THAT(Message(unknown_query), HasSubstr("this endpoint takes state"));
  Reply missing = Get(port, "/v1/things/t9");
  EXPECT_EQ(missing.status, 404u);
  EXPECT_EQ(ErrorCode(missing), "not_found");
  // Anonymous viewers may read but not act; an operator may.
  EXPECT_EQ(Post(port, "/v1/things/t1/retry", "{}").status, 401u);
  Reply retried = Post(port, "/v1/things/t1/retry", "{\"why\":1}",
                       {{"Content-Type", "application/json"}, Bearer(kOperatorToken)});
  EXPECT_EQ(retried.status, 202u);
  EXPECT_EQ(retried.Json()["retried"], "t1");
  EXPECT_EQ(retried.Json()["body"], "{\"why\":1}");
  Reply wrong_method = Client(port).Send(http::verb::delete_, "/v1/things/t1");
  EXPECT_EQ(wrong_method.status, 405u);
  EXPECT_EQ(wrong_method.Header("allow"), "GET, HEAD");
  // The core API is still there.
  EXPECT_EQ(Get(port, "/v1/platforms").status, 200u);
  EXPECT_THAT(Get(port, "/metrics").body, HasSubstr("lifeline_things_total 3\n"));
}

TEST_F(ServerTest, PartEventsJoinTheLiveStream) {
  FakeGroup group;
  options.groups = {&group};
  Start();
  RawConnection sse(port);
  sse.Write("GET /v1/events HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(sse.ReadUntil("\r\n\r\n", 5s));
  ASSERT_TRUE(WaitFor([&] { return backend.subscribers() == 1 && group.subscribed(); }));
  group.Publish({"outbox", {{"id", "msg_1"}, {"state", "delivered"}}});
  EXPECT_TRUE(
      sse.ReadUntil("event: outbox\ndata: {\"id\":\"msg_1\",\"state\":\"delivered\"}\n\n", 5s))
      << sse.received();
}

TEST_F(ServerTest, TwoRoutesForOnePathRefuseToStart) {
  FakeGroup a;
  FakeGroup b;
  options.groups = {&a, &b};
  server = std::make_unique<Server>(backend, options);
  auto started = server->Start();
  ASSERT_FALSE(started.ok());
  EXPECT_THAT(started.error().message(), HasSubstr("two API routes for GET /v1/things"));
  server.reset();
}

// ---- live events ----

TEST_F(ServerTest, EventsStreamDeliversPublishedEventsAndPings) {
  options.sse_ping_interval = 100ms;
  Start();
  RawConnection sse(port);
  sse.Write("GET /v1/events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n");
  ASSERT_TRUE(sse.ReadUntil("\r\n\r\n", 5s));
  EXPECT_THAT(sse.received(), HasSubstr("HTTP/1.1 200"));
  EXPECT_THAT(sse.received(), HasSubstr("Content-Type: text/event-stream"));
  ASSERT_TRUE(WaitFor([&] { return backend.subscribers() == 1; }));
  // Published from another thread, as the engine does.
  std::thread publisher([&] {
    backend.Publish({"platform", {{"platform", "whatsapp"}, {"verdict", "outage"}}});
  });
  publisher.join();
  EXPECT_TRUE(sse.ReadUntil(
      "event: platform\ndata: {\"platform\":\"whatsapp\",\"verdict\":\"outage\"}\n\n", 5s))
      << sse.received();
  EXPECT_TRUE(sse.ReadUntil(": ping\n\n", 2s)) << sse.received();
}

TEST_F(ServerTest, EventsNeedTheViewerRole) {
  options.anonymous_role = Role::kNone;
  Start();
  EXPECT_EQ(Get(port, "/v1/events").status, 401u);
  EXPECT_EQ(backend.subscribers(), 0u);
}

TEST_F(ServerTest, EventsClientThatLeavesIsUnsubscribed) {
  Start();
  {
    RawConnection sse(port);
    sse.Write("GET /v1/events HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_TRUE(sse.ReadUntil("\r\n\r\n", 5s));
    ASSERT_TRUE(WaitFor([&] { return backend.subscribers() == 1; }));
  }
  EXPECT_TRUE(WaitFor([&] { return backend.subscribers() == 0; }));
}

TEST_F(ServerTest, SlowEventsClientIsDroppedWithAFinalError) {
  options.sse_queue_events = 8;
  Start();
  RawConnection sse(port, 4096);  // a small receive window, and it does not read for now
  sse.Write("GET /v1/events HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(WaitFor([&] { return backend.subscribers() == 1; }));
  // While it keeps up, it gets its events.
  backend.Publish({"platform", {{"platform", "x"}, {"verdict", "up"}}});
  ASSERT_TRUE(sse.ReadUntil("event: platform\ndata: {\"platform\":\"x\"", 5s)) << sse.received();
  json big = {{"platform", "whatsapp"}, {"padding", std::string(64 * 1024, 'x')}};
  // Now it stops reading: far more than the socket buffers and the queue hold. What is still
  // queued when it falls behind is dropped (it must reload the state anyway).
  for (int i = 0; i < 200; ++i) backend.Publish({"platform", big});
  // The client catches up at last: whatever the socket held, then the error, then the end.
  ASSERT_TRUE(sse.ReadUntilClosed(10s));
  EXPECT_THAT(sse.received(),
              HasSubstr("event: error\ndata: {\"error\":{\"code\":\"resource_exhausted\""));
  // The queue never grew past its bound: far fewer than the 200 events published arrived.
  EXPECT_LT(sse.received().size(), 100u * 64 * 1024);
  EXPECT_TRUE(WaitFor([&] { return backend.subscribers() == 0; }));
  EXPECT_THAT(Get(port, "/metrics").body, HasSubstr("lifeline_sse_dropped_total 1\n"));
}

TEST_F(ServerTest, StuckEventsClientIsDisconnected) {
  options.sse_queue_events = 8;
  Start();
  RawConnection sse(port, 4096);  // never reads
  sse.Write("GET /v1/events HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(WaitFor([&] { return backend.subscribers() == 1; }));
  json big = {{"platform", "whatsapp"}, {"padding", std::string(64 * 1024, 'x')}};
  for (int i = 0; i < 200; ++i) backend.Publish({"platform", big});
  EXPECT_TRUE(WaitFor([&] { return backend.subscribers() == 0; }))
      << "a client that does not read must be unsubscribed";
  EXPECT_TRUE(WaitFor([&] {
    return Get(port, "/metrics").body.find("lifeline_sse_dropped_total 1\n") != std::string::npos;
  }));
}

TEST_F(ServerTest, StopEndsEventStreams) {
  Start();
  RawConnection sse(port);
  sse.Write("GET /v1/events HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(WaitFor([&] { return backend.subscribers() == 1; }));
  auto start = std::chrono::steady_clock::now();
  server->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);  // not the 5 s drain timeout
  EXPECT_EQ(backend.subscribers(), 0u);
  EXPECT_TRUE(sse.ReadUntilClosed(2s));
}

// ---- static files ----

class StaticServerTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    root = std::filesystem::temp_directory_path() /
           ("lifeline_api_static_" + std::to_string(::getpid()));
    std::filesystem::remove_all(root);
    std::filesystem::create_directories(root / "web" / "assets");
    Write(root / "web" / "index.html", "<!doctype html><title>Lifeline</title>");
    Write(root / "web" / "assets" / "app-1234.js", "console.log('hi')");
    Write(root / "web" / "assets" / "app-1234.css", "body{}");
    Write(root / "web" / "favicon.svg", "<svg/>");
    Write(root / "secret.txt", "TOP SECRET");
    std::filesystem::create_symlink(root / "secret.txt", root / "web" / "assets" / "link.txt");
    options.web_root = (root / "web").string();
  }
  void TearDown() override {
    ServerTest::TearDown();
    std::filesystem::remove_all(root);
  }
  static void Write(const std::filesystem::path& p, const std::string& text) {
    std::ofstream(p) << text;
  }
  std::filesystem::path root;
};

TEST_F(StaticServerTest, ServesIndexAssetsAndClientRoutes) {
  Start();
  Reply index = Get(port, "/");
  EXPECT_EQ(index.status, 200u);
  EXPECT_THAT(index.body, HasSubstr("<title>Lifeline</title>"));
  EXPECT_EQ(index.Header("content-type"), "text/html; charset=utf-8");
  EXPECT_EQ(index.Header("cache-control"), "no-cache");

  Reply js = Get(port, "/assets/app-1234.js");
  EXPECT_EQ(js.status, 200u);
  EXPECT_EQ(js.body, "console.log('hi')");
  EXPECT_EQ(js.Header("content-type"), "text/javascript; charset=utf-8");
  EXPECT_THAT(js.Header("cache-control"), HasSubstr("immutable"));
  EXPECT_EQ(Get(port, "/assets/app-1234.css").Header("content-type"), "text/css; charset=utf-8");
  EXPECT_EQ(Get(port, "/favicon.svg").Header("content-type"), "image/svg+xml");

  Reply route = Get(port, "/incidents/inc_1");  // a client-side route
  EXPECT_EQ(route.status, 200u);
  EXPECT_THAT(route.body, HasSubstr("<title>Lifeline</title>"));
  EXPECT_EQ(Get(port, "/assets/missing.js").status, 404u);
  EXPECT_EQ(Client(port).Send(http::verb::post, "/").status, 405u);
}

TEST_F(StaticServerTest, ServesTheServiceWorkerFromTheRootAsJavaScript) {
  Start();
  EXPECT_EQ(Get(port, "/sw.js").status, 404u) << "without a built worker: 404, not index.html";
  Write(root / "web" / "sw.js", "self.addEventListener('fetch', () => {});");
  Reply sw = Get(port, "/sw.js");
  EXPECT_EQ(sw.status, 200u);
  EXPECT_EQ(sw.Header("content-type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(sw.Header("cache-control"), "no-cache") << "a new build's worker is found at once";
  EXPECT_THAT(sw.body, HasSubstr("addEventListener"));
}

TEST_F(StaticServerTest, PathTraversalIsRefused) {
  Start();
  for (const char* target :
       {"/../secret.txt", "/assets/../../secret.txt", "/%2e%2e/secret.txt",
        "/assets/%2E%2E/%2E%2E/secret.txt", "/..%2fsecret.txt", "/assets/..%5c..%5csecret.txt",
        "/assets/link.txt", "/%00", "/.%2e/secret.txt"}) {
    RawConnection raw(port);
    raw.Write(fmt::format("GET {} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", target));
    ASSERT_TRUE(raw.ReadUntilClosed(5s)) << target;
    EXPECT_THAT(raw.received(), Not(HasSubstr("TOP SECRET"))) << target;
    EXPECT_THAT(raw.received(), HasSubstr("HTTP/1.1 400")) << target << "\n" << raw.received();
  }
}

TEST_F(ServerTest, MissingWebRootExplainsHowToBuildTheDashboard) {
  options.web_root = "/nonexistent/lifeline/web/dist";
  Start();
  Reply r = Get(port, "/");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.Header("content-type"), "text/html; charset=utf-8");
  EXPECT_THAT(r.body, HasSubstr("not been built"));
  EXPECT_THAT(r.body, HasSubstr("npm --prefix web"));
  EXPECT_EQ(Get(port, "/v1/platforms").status, 200u);
}

// ---- metrics, OpenAPI, CORS, threads ----

TEST_F(ServerTest, MetricsCombineHttpCountersAndTheBackends) {
  Start();
  ASSERT_EQ(Get(port, "/v1/platforms").status, 200u);
  ASSERT_EQ(Get(port, "/v1/nope").status, 404u);
  Reply m = Get(port, "/metrics");
  EXPECT_EQ(m.status, 200u);
  EXPECT_EQ(m.Header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_THAT(m.body, HasSubstr("lifeline_http_requests_total{code=\"200\"} 1\n"));
  EXPECT_THAT(m.body, HasSubstr("lifeline_http_requests_total{code=\"404\"} 1\n"));
  EXPECT_THAT(m.body, HasSubstr("# TYPE lifeline_http_request_duration_seconds histogram"));
  EXPECT_THAT(m.body, HasSubstr("lifeline_http_request_duration_seconds_bucket{le=\"+Inf\"} 2\n"));
  EXPECT_THAT(m.body, HasSubstr("lifeline_incidents_open 2\n"));
}

TEST_F(ServerTest, ServesTheOpenApiDocument) {
  Start();
  Reply r = Get(port, "/openapi.json");
  EXPECT_EQ(r.status, 200u);
  json doc = r.Json();
  EXPECT_EQ(doc["openapi"], "3.0.3");
  EXPECT_TRUE(doc["paths"].contains("/v1/platforms"));
}

TEST_F(ServerTest, NoCorsHeadersByDefault) {
  Start();
  Reply r = Get(port, "/v1/platforms", {{"Origin", "https://evil.example"}});
  EXPECT_TRUE(r.Header("access-control-allow-origin").empty());
  EXPECT_EQ(Client(port).Send(http::verb::options, "/v1/platforms").status, 405u);
}

TEST_F(ServerTest, CorsWhenConfigured) {
  options.cors_origin = "https://board.example";
  Start();
  Reply r = Get(port, "/v1/platforms", {{"Origin", "https://board.example"}});
  EXPECT_EQ(r.Header("access-control-allow-origin"), "https://board.example");
  Reply pre = Client(port).Send(
      http::verb::options, "/v1/check",
      {{"Origin", "https://board.example"}, {"Access-Control-Request-Method", "POST"}});
  EXPECT_EQ(pre.status, 204u);
  EXPECT_THAT(pre.Header("access-control-allow-methods"), HasSubstr("POST"));
  EXPECT_THAT(pre.Header("access-control-allow-headers"), HasSubstr("Authorization"));
}

TEST_F(ServerTest, SeveralThreadsServeConcurrentClients) {
  options.threads = 2;
  Start();
  std::vector<std::thread> clients;
  std::atomic<int> ok{0};
  for (int t = 0; t < 8; ++t) {
    clients.emplace_back([&] {
      Client c(port);
      for (int i = 0; i < 50; ++i) {
        if (c.Send(http::verb::get, "/v1/platforms").status == 200) ++ok;
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(ok.load(), 400);
}

TEST_F(ServerTest, ListenErrorsAreClear) {
  Start();
  ServerOptions taken = options;
  taken.listen = fmt::format("127.0.0.1:{}", port);
  Server second(backend, taken);
  auto s = second.Start();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), core::ErrorCode::kUnavailable);
  EXPECT_THAT(s.error().message(), HasSubstr(taken.listen));

  ServerOptions bad = options;
  bad.listen = "localhost";
  Server third(backend, bad);
  auto b = third.Start();
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().code(), core::ErrorCode::kInvalidArgument);
}

TEST_F(ServerTest, StopClosesIdleKeepAliveConnectionsPromptly) {
  Start();
  Client idle(port);
  ASSERT_EQ(idle.Send(http::verb::get, "/healthz").status, 200u);
  auto start = std::chrono::steady_clock::now();
  server->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);  // not the 5 s drain timeout
}

}  // namespace
}  // namespace lifeline::api
