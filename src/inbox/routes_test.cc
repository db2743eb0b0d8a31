// The inbox's routes against docs/openapi.json: every route documented with its role and query
// parameters, every documented inbox path routed, and the webhooks public.
#include "inbox/routes.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>

#include "core/temp_dir.h"

namespace lifeline::inbox {
namespace {

using nlohmann::json;

class NoOutlet final : public Outlet {
 public:
  core::Result<SentRef> Send(const OutMessage&) override {
    return core::MakeError(core::ErrorCode::kUnavailable, "no relay");
  }
  std::string Platform(std::string_view) const override { return ""; }
  bool Accepting(std::string_view) const override { return false; }
};

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string RoleName(api::Role r) {
  switch (r) {
    case api::Role::kNone:
      return "none";
    case api::Role::kViewer:
      return "viewer";
    case api::Role::kOperator:
      return "operator";
    default:
      return "admin";
  }
}

TEST(InboxRoutesOpenApi, EveryRouteIsDocumentedAndEveryInboxPathIsRouted) {
  std::ifstream in(std::string(LIFELINE_SOURCE_DIR) + "/docs/openapi.json");
  json doc = json::parse(in);
  lifeline::testing::TempDir dir{"inbox-openapi"};
  auto s = store::OpenSqlite(dir.path() + "/l.db");
  ASSERT_TRUE(s.ok());
  NoOutlet outlet;
  Inbox inbox({}, **s, outlet, {});
  InboxRoutes routes(inbox);
  std::set<std::pair<std::string, std::string>> routed;
  for (const api::PartRoute& r : routes.Routes()) {
    const std::string method = Lower(r.method);
    routed.insert({r.pattern, method});
    ASSERT_TRUE(doc["paths"].contains(r.pattern)) << r.pattern << " is not in docs/openapi.json";
    ASSERT_TRUE(doc["paths"][r.pattern].contains(method)) << r.method << " " << r.pattern;
    const json& op = doc["paths"][r.pattern][method];
    EXPECT_EQ(op["x-lifeline-part"], "inbox") << r.pattern;
    EXPECT_EQ(op["x-lifeline-min-role"], RoleName(r.min_role)) << r.method << " " << r.pattern;
    std::set<std::string> documented;
    for (const json& p : op.value("parameters", json::array())) {
      if (p.value("in", "") == "query") documented.insert(p["name"].get<std::string>());
    }
    EXPECT_EQ(documented, std::set<std::string>(r.query.begin(), r.query.end())) << r.pattern;
    if (r.pattern.starts_with("/v1/inbox/webhooks/")) {
      EXPECT_EQ(r.min_role, api::Role::kNone) << "the platforms have no token";
    }
  }
  for (const auto& [path, item] : doc["paths"].items()) {
    for (const auto& [method, op] : item.items()) {
      if (op.value("x-lifeline-part", "") != "inbox") continue;
      EXPECT_TRUE(routed.count({path, method})) << method << " " << path << " is not routed";
    }
  }
}

}  // namespace
}  // namespace lifeline::inbox
