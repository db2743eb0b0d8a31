// The calendar's routes against docs/openapi.json (every route documented with its role and query
// parameters, and every documented calendar path routed); editing and cancelling through the
// routes, with errors naming the field; the live events a subscriber of the routes gets.
#include "calendar/routes.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>

#include "core/fake_clock.h"
#include "core/temp_dir.h"

namespace lifeline::calendar {
namespace {

using nlohmann::json;

// No channels: the routes are all this test needs.
class NoChannels final : public Publisher {
 public:
  std::vector<std::string> Channels() const override { return {}; }
  std::string Platform(std::string_view) const override { return ""; }
  std::optional<Hold> HeldBy(std::string_view) const override { return std::nullopt; }
  core::Status Check(std::string_view c, const Content&) const override {
    return core::MakeError(core::ErrorCode::kNotFound, "no channel {}", c);
  }
  core::Result<Delivery> Publish(std::string_view c, const Content&, const std::string&) override {
    return core::MakeError(core::ErrorCode::kNotFound, "no channel {}", c);
  }
  core::Result<bool> CallBack(const std::string&, std::string_view) override { return false; }
  core::Result<Verification> Verify(std::string_view, const std::string&) override {
    return Verification{};
  }
  core::Result<std::optional<Delivery>> Find(const std::string&) override {
    return std::optional<Delivery>();
  }
  std::unique_ptr<core::Subscription> Subscribe(std::function<void(const Delivery&)>) override {
    return nullptr;
  }
};

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

TEST(CalendarRoutesOpenApi, EveryRouteIsDocumentedAndEveryCalendarPathIsRouted) {
  std::ifstream in(std::string(LIFELINE_SOURCE_DIR) + "/docs/openapi.json");
  json doc = json::parse(in);
  lifeline::testing::TempDir dir{"calendar-openapi"};
  auto s = store::OpenSqlite(dir.path() + "/l.db");
  ASSERT_TRUE(s.ok());
  timers::Scheduler scheduler(&(*s)->Timers(), {});
  NoChannels publisher;
  Calendar calendar({}, publisher, **s, scheduler);
  CalendarRoutes routes(calendar, **s);
  std::set<std::pair<std::string, std::string>> routed;
  for (const api::PartRoute& r : routes.Routes()) {
    const std::string method = Lower(r.method);
    routed.insert({r.pattern, method});
    ASSERT_TRUE(doc["paths"].contains(r.pattern)) << r.pattern << " is not in docs/openapi.json";
    ASSERT_TRUE(doc["paths"][r.pattern].contains(method)) << r.method << " " << r.pattern;
    const json& op = doc["paths"][r.pattern][method];
    EXPECT_EQ(op["x-lifeline-part"], "calendar") << r.pattern;
    EXPECT_EQ(op["x-lifeline-min-role"], r.min_role == api::Role::kViewer ? "viewer" : "operator")
        << r.method << " " << r.pattern;
    std::set<std::string> documented;
    for (const json& p : op.value("parameters", json::array())) {
      if (p.value("in", "") == "query") documented.insert(p["name"].get<std::string>());
    }
    EXPECT_EQ(documented, std::set<std::string>(r.query.begin(), r.query.end())) << r.pattern;
  }
  for (const auto& [path, item] : doc["paths"].items()) {
    for (const auto& [method, op] : item.items()) {
      if (op.value("x-lifeline-part", "") != "calendar") continue;
      EXPECT_TRUE(routed.count({path, method})) << method << " " << path << " is not routed";
    }
  }
}

// One channel, "m", that takes every text; messages stay queued.
class OneChannel final : public Publisher {
 public:
  std::vector<std::string> Channels() const override { return {"m"}; }
  std::string Platform(std::string_view c) const override { return c == "m" ? "mastodon" : ""; }
  std::optional<Hold> HeldBy(std::string_view) const override { return std::nullopt; }
  core::Status Check(std::string_view c, const Content&) const override {
    if (c != "m") return core::MakeError(core::ErrorCode::kNotFound, "no channel {}", c);
    return core::Ok();
  }
  core::Result<Delivery> Publish(std::string_view, const Content&,
                                 const std::string& key) override {
    Delivery d;
    d.key = key;
    d.message_id = "msg_1";
    return d;
  }
  core::Result<bool> CallBack(const std::string&, std::string_view) override { return true; }
  core::Result<Verification> Verify(std::string_view, const std::string&) override {
    return Verification{};
  }
  core::Result<std::optional<Delivery>> Find(const std::string&) override {
    return std::optional<Delivery>();
  }
  std::unique_ptr<core::Subscription> Subscribe(std::function<void(const Delivery&)>) override {
    return nullptr;
  }
};

class CalendarRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = store::OpenSqlite(dir_.path() + "/l.db");
    ASSERT_TRUE(s.ok());
    store_ = std::move(*s);
    scheduler_ = std::make_unique<timers::Scheduler>(&store_->Timers(),
                                                     timers::SchedulerOptions{.clock = &clock_});
    calendar_ = std::make_unique<Calendar>(CalendarConfig{}, publisher_, *store_, *scheduler_,
                                           CalendarOptions{.clock = &clock_});
    ASSERT_TRUE(calendar_->Start().ok());
    routes_ = std::make_unique<CalendarRoutes>(*calendar_, *store_);
    table_ = routes_->Routes();
  }
  void TearDown() override { calendar_->Stop(); }

  core::Result<api::PartResponse> Call(const std::string& method, const std::string& pattern,
                                       const std::string& id, const std::string& body) {
    for (const api::PartRoute& r : table_) {
      if (r.method != method || r.pattern != pattern) continue;
      api::PartRequest req;
      req.method = method;
      req.params = {{"id", id}};
      req.body = body;
      req.role = api::Role::kOperator;
      return r.handle(req);
    }
    ADD_FAILURE() << "no route " << method << " " << pattern;
    return core::MakeError(core::ErrorCode::kInternal, "no route");
  }
  std::string Error(const core::Result<api::PartResponse>& r) {
    return r.ok() ? "ok" : r.error().message();
  }

  lifeline::testing::TempDir dir_{"calendar-routes"};
  core::FakeClock clock_{std::chrono::system_clock::time_point(
      std::chrono::milliseconds(1'795'773'600'000))};  // 2026-11-27T10:00:00Z
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<timers::Scheduler> scheduler_;
  OneChannel publisher_;
  std::unique_ptr<Calendar> calendar_;
  std::unique_ptr<CalendarRoutes> routes_;
  std::vector<api::PartRoute> table_;
};

TEST_F(CalendarRoutesTest, PatchEditsOnlyTheFieldsGivenAndNamesTheFieldThatIsWrong) {
  auto added = Call("POST", "/v1/calendar/posts", "",
                    R"({"id":"bf","text":"Black Friday","channels":["m"],)"
                    R"("at":"2026-11-27T12:00:00Z","expires":"2026-11-27T18:00:00Z","by":"ana"})");
  ASSERT_TRUE(added.ok()) << Error(added);
  const std::string path = "/v1/calendar/posts/{id}";
  EXPECT_EQ(Error(Call("PATCH", path, "bf", R"({"txt":"x","by":"bo"})")),
            "unknown field \"txt\" (fields: text, media, channels, at, expires, by)");
  EXPECT_EQ(Error(Call("PATCH", path, "bf", R"({"text":"x"})")), "by: required (who edits it)");
  EXPECT_THAT(Error(Call("PATCH", path, "bf", R"({"at":"tomorrow","by":"bo"})")),
              ::testing::StartsWith("at: "));
  EXPECT_EQ(Error(Call("PATCH", path, "bf", R"({"text":5,"by":"bo"})")), "text: expected a string");
  EXPECT_EQ(Error(Call("PATCH", path, "bf", R"({"channels":"m","by":"bo"})")),
            "channels: expected a list of strings");
  EXPECT_THAT(Error(Call("PATCH", path, "bf", R"({"channels":["x"],"by":"bo"})")),
              ::testing::StartsWith("channels: unknown channel 'x'"));
  EXPECT_THAT(Error(Call("PATCH", path, "bf", R"({"by":"bo"})")),
              ::testing::StartsWith("nothing to change"));
  EXPECT_EQ(Call("PATCH", path, "nope", R"({"text":"x","by":"bo"})").error().code(),
            core::ErrorCode::kNotFound);

  auto edited = Call("PATCH", path, "bf",
                     R"({"text":"Black Friday, noon","at":"2026-11-27T13:00:00Z",)"
                     R"("expires":null,"by":"bo"})");
  ASSERT_TRUE(edited.ok()) << Error(edited);
  const json& post = edited->body["post"];
  EXPECT_EQ(post["text"], "Black Friday, noon");
  EXPECT_EQ(post["at"], "2026-11-27T13:00:00Z");
  EXPECT_TRUE(post["expires"].is_null());
  EXPECT_EQ(post["parts"][0]["due"], "2026-11-27T13:00:00Z");
  EXPECT_EQ(post["edited_by"], "bo");
  EXPECT_EQ(post["by"], "ana");
}

TEST_F(CalendarRoutesTest, CancelKeepsThePostAndSaysWhy409WhenItCannot) {
  ASSERT_TRUE(Call("POST", "/v1/calendar/posts", "",
                   R"({"id":"bf","text":"Black Friday","channels":["m"],)"
                   R"("at":"2026-11-27T12:00:00Z","by":"ana"})")
                  .ok());
  const std::string path = "/v1/calendar/posts/{id}/cancel";
  EXPECT_EQ(Error(Call("POST", path, "bf", "")), "by: required (who cancels it)");
  EXPECT_THAT(Error(Call("POST", path, "bf", R"({"by":"bo","why":"x"})")),
              ::testing::StartsWith("unknown field \"why\""));
  auto r = Call("POST", path, "bf", R"({"by":"bo"})");
  ASSERT_TRUE(r.ok()) << Error(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body["post"]["state"], "cancelled");
  EXPECT_EQ(r->body["post"]["cancelled_by"], "bo");
  EXPECT_EQ(r->body["post"]["parts"][0]["state"], "cancelled");
  auto again = Call("POST", path, "bf", R"({"by":"bo"})");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code(), core::ErrorCode::kFailedPrecondition);  // 409
  auto got = Call("GET", "/v1/calendar/posts/{id}", "bf", "");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->body["post"]["state"], "cancelled") << "kept";
}

TEST_F(CalendarRoutesTest, SubscribersGetCalendarEventsWithThePostAsTheApiShowsIt) {
  std::mutex mu;
  std::vector<api::LiveEvent> heard;
  auto sub = routes_->Subscribe([&](const api::LiveEvent& e) {
    std::lock_guard lock(mu);
    heard.push_back(e);
  });
  ASSERT_NE(sub, nullptr);
  ASSERT_TRUE(Call("POST", "/v1/calendar/posts", "",
                   R"({"id":"bf","text":"Black Friday","channels":["m"],)"
                   R"("at":"2026-11-27T12:00:00Z","by":"ana"})")
                  .ok());
  ASSERT_TRUE(Call("PATCH", "/v1/calendar/posts/{id}", "bf", R"({"text":"Noon","by":"bo"})").ok());
  ASSERT_TRUE(Call("POST", "/v1/calendar/posts/{id}/cancel", "bf", R"({"by":"bo"})").ok());
  std::lock_guard lock(mu);
  ASSERT_EQ(heard.size(), 3u);
  std::vector<std::string> changes;
  for (const auto& e : heard) {
    EXPECT_EQ(e.type, "calendar");
    EXPECT_EQ(e.data["post"]["id"], "bf");
    EXPECT_EQ(e.data["post"]["parts"][0]["platform"], "mastodon");
    changes.push_back(e.data["change"]);
  }
  EXPECT_THAT(changes, ::testing::ElementsAre("added", "edited", "cancelled"));
  EXPECT_EQ(heard[1].data["post"]["text"], "Noon");
  EXPECT_EQ(heard[2].data["post"]["state"], "cancelled");
}

}  // namespace
}  // namespace lifeline::calendar
