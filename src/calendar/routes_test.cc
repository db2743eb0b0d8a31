// The calendar's routes against docs/openapi.json: every route documented with its role and
// query parameters, and every documented calendar path routed.
#include "calendar/routes.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>

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
  core::Status Check(std::string_view c, const std::string&) const override {
    return core::MakeError(core::ErrorCode::kNotFound, "no channel {}", c);
  }
  core::Result<Delivery> Publish(std::string_view c, const std::string&,
                                 const std::string&) override {
    return core::MakeError(core::ErrorCode::kNotFound, "no channel {}", c);
  }
  core::Result<bool> CallBack(const std::string&, std::string_view) override { return false; }
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

}  // namespace
}  // namespace lifeline::calendar
