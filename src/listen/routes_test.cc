// Listening's routes against docs/openapi.json (every route documented with its role and query
// parameters, every documented listening path routed), their answers over a real store, bad
// queries refused naming the parameter, and the live events a subscriber gets.
#include "listen/routes.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "core/temp_dir.h"

namespace lifeline::listen {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using namespace std::chrono;

// No network: a client that answers nothing.
class NoHttp final : public channels::HttpClient {
 public:
  channels::HttpResponse Do(const channels::HttpRequest&) override { return {}; }
};

class ListenRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = store::OpenSqlite(dir_.path() + "/l.db");
    ASSERT_TRUE(s.ok()) << s.error().ToString();
    store_ = std::move(*s);
    setenv("LL_ROUTES_X", "token", 1);
    auto c = config::LoadString(
        "listen:\n  chatter:\n    instagram:\n  sources:\n    x: { token: { env: LL_ROUTES_X } }\n",
        "lifeline.yaml");
    ASSERT_TRUE(c.ok()) << c.error().message();
    auto lc = LoadListenConfig(*c);
    ASSERT_TRUE(lc.ok()) << lc.error().message();
    listener_ = std::make_unique<Listener>(std::move(*lc), *store_, http_);
    routes_ = std::make_unique<ListenRoutes>(*listener_, *store_);
  }

  core::Result<api::PartResponse> Call(const std::string& pattern,
                                       std::vector<std::pair<std::string, std::string>> query) {
    for (const auto& r : routes_->Routes()) {
      if (r.pattern != pattern) continue;
      api::PartRequest req;
      req.method = r.method;
      req.path = pattern;
      req.query = std::move(query);
      return r.handle(req);
    }
    return core::MakeError(core::ErrorCode::kNotFound, "no route");
  }

  lifeline::testing::TempDir dir_{"listen-routes"};
  std::unique_ptr<store::Store> store_;
  NoHttp http_;
  std::unique_ptr<Listener> listener_;
  std::unique_ptr<ListenRoutes> routes_;
};

TEST_F(ListenRoutesTest, EveryRouteIsDocumentedAndEveryListeningPathIsRouted) {
  std::ifstream in(std::string(LIFELINE_SOURCE_DIR) + "/docs/openapi.json");
  json doc = json::parse(in);
  std::set<std::pair<std::string, std::string>> routed;
  for (const api::PartRoute& r : routes_->Routes()) {
    std::string method = r.method;
    for (char& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    routed.insert({r.pattern, method});
    ASSERT_TRUE(doc["paths"].contains(r.pattern)) << r.pattern << " is not in docs/openapi.json";
    const json& op = doc["paths"][r.pattern][method];
    EXPECT_EQ(op["x-lifeline-part"], "listening") << r.pattern;
    // The webhooks are public (Meta signs them); everything else is for viewers.
    EXPECT_EQ(op["x-lifeline-min-role"], r.min_role == api::Role::kNone ? "none" : "viewer")
        << r.pattern;
    std::set<std::string> documented;
    for (const json& p : op.value("parameters", json::array())) {
      if (p.value("in", "") == "query") documented.insert(p["name"].get<std::string>());
    }
    EXPECT_EQ(documented, std::set<std::string>(r.query.begin(), r.query.end())) << r.pattern;
  }
  for (const auto& [path, item] : doc["paths"].items()) {
    for (const auto& [method, op] : item.items()) {
      if (op.value("x-lifeline-part", "") != "listening") continue;
      EXPECT_TRUE(routed.count({path, method})) << method << " " << path << " is not routed";
    }
  }
}

TEST_F(ListenRoutesTest, StatusShowsEachTermOfEachSourceBeforeAndAfterAPoll) {
  auto r = Call("/v1/listening", {});
  ASSERT_TRUE(r.ok()) << r.error().message();
  const json& src = r->body["sources"][0];
  EXPECT_EQ(src["name"], "x");
  EXPECT_EQ(src["health"], "not_polled");
  ASSERT_EQ(src["terms"].size(), 3u);
  EXPECT_TRUE(src["terms"][0]["outcome"].is_null());
  // A poll with no network: each term is failing, with the transport's error and a back-off.
  listener_->RunOnce(system_clock::now());
  r = Call("/v1/listening", {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->body["sources"][0]["health"], "failing");
  EXPECT_EQ(r->body["sources"][0]["terms"][0]["outcome"], "error");
  EXPECT_TRUE(r->body["sources"][0]["terms"][0]["retry_at"].is_string());
  EXPECT_EQ(r->body["queries"][0]["id"], "chatter:instagram");
}

TEST_F(ListenRoutesTest, BadQueriesAreRefusedNamingTheParameter) {
  auto r = Call("/v1/listening/hours", {});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message(), HasSubstr("query: required"));
  r = Call("/v1/listening/hours", {{"query", "chatter:nope"}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), core::ErrorCode::kNotFound);
  r = Call("/v1/listening/posts", {{"limit", "0"}});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message(), HasSubstr("limit: expected 1 to 1000"));
  r = Call("/v1/listening/spikes", {{"spiking", "yes"}});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message(), HasSubstr("spiking: expected true or false"));
  r = Call("/v1/listening/posts", {{"from", "yesterday"}});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message(), HasSubstr("from:"));
}

TEST_F(ListenRoutesTest, HoursShowVolumeSentimentAndTopPosts) {
  const auto now = system_clock::now();
  const Hour h = HourOf(now) - hours(1);
  std::vector<store::ListenPost> posts;
  const char* texts[] = {"instagram down again, awful", "instagram down? great, love it",
                         "instagram down for everyone"};
  for (int i = 0; i < 3; ++i) {
    store::ListenPost p;
    p.key = "k" + std::to_string(i);
    p.source = "x";
    p.text = texts[i];
    p.author = "a" + std::to_string(i);
    p.posted_at = time_point_cast<milliseconds>(h + minutes(i));
    p.fetched_at = p.posted_at;
    p.shares = i;
    p.queries = {"chatter:instagram"};
    posts.push_back(p);
  }
  const std::vector<store::Time> covered = {time_point_cast<milliseconds>(h),
                                            time_point_cast<milliseconds>(HourOf(now))};
  ASSERT_TRUE(store_->Listening().AddPosts(posts, nullptr, covered).ok());
  auto r = Call("/v1/listening/hours", {{"query", "chatter:instagram"}});
  ASSERT_TRUE(r.ok()) << r.error().message();
  const json& hours_json = r->body["hours"];
  ASSERT_EQ(hours_json.size(), 24u);
  const json& last = hours_json[22];
  EXPECT_EQ(last["posts"], 3);
  EXPECT_EQ(last["reason"], "not_enough_history");
  EXPECT_TRUE(last["band"].is_null());
  EXPECT_EQ(last["sentiment"]["negative"], 1);
  EXPECT_EQ(last["sentiment"]["positive"], 1);
  ASSERT_EQ(last["top_posts"].size(), 2u) << "shared posts only";
  EXPECT_EQ(last["top_posts"][0]["shares"], 2);
  EXPECT_TRUE(hours_json[0]["posts"].is_null()) << "not collecting then: no data, not zero";
  EXPECT_EQ(hours_json[23]["complete"], false);
}

TEST_F(ListenRoutesTest, SubscribersGetListeningEvents) {
  std::vector<api::LiveEvent> got;
  auto sub = routes_->Subscribe([&](const api::LiveEvent& e) { got.push_back(e); });
  listener_->RunOnce(system_clock::now());
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(got[0].type, "listening");
  EXPECT_EQ(got[0].data["kind"], "source");
  EXPECT_EQ(got[0].data["outcome"], "error");
}

}  // namespace
}  // namespace lifeline::listen
