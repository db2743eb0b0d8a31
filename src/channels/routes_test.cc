// The relay's API (routes.h) served by the real api::Server on loopback over a real SQLite outbox
// with fake channels: send, list, show, retry, cancel, decide, channels, contacts, live events,
// bad input; and the OpenAPI document agreeing with the routes.
#include "channels/routes.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "api/server.h"
#include "api/test_util.h"
#include "channels/fake_channel.h"
#include "core/temp_dir.h"
#include "store/store.h"

namespace lifeline::channels {
namespace {

using json = nlohmann::json;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

class RelayRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = store::OpenSqlite(dir_.path() + "/lifeline.db");
    ASSERT_TRUE(s.ok()) << s.error().ToString();
    store_ = std::move(*s);
    std::vector<ChannelSetup> setups;
    for (const char* name : {"team-telegram", "team-whatsapp"}) {
      Info info = testing::FakeInfo(name, name == std::string("team-whatsapp") ? "whatsapp" : "",
                                    100, false);
      auto fake = std::make_unique<testing::FakeChannel>(info);
      fakes_[name] = fake.get();
      ChannelSetup c;
      c.name = name;
      c.kind = "fake";
      c.platform = info.platform;
      c.traits = info.traits;
      c.channel = std::move(fake);
      setups.push_back(std::move(c));
    }
    setup_.contacts = {{"ops", "Ops", "on_call", {{"team-whatsapp", ""}, {"team-telegram", ""}}}};
    RelayOptions ro;
    ro.config.workers = 1;
    ro.config.backoff_base = 10ms;
    ro.config.backoff_max = 20ms;
    ro.config.max_attempts = 2;
    ro.platform_domains = {{"whatsapp", "meta"}};
    relay_ = std::make_unique<Relay>(&store_->Outbox(), std::move(setups), ro);
    ASSERT_TRUE(relay_->Start().ok());
    routes_ = std::make_unique<RelayRoutes>(*relay_, setup_);
    backend_.tokens = {{"op", api::Role::kOperator}};
    api::ServerOptions so;
    so.listen = "127.0.0.1:0";
    so.groups = {routes_.get()};
    server_ = std::make_unique<api::Server>(backend_, so);
    ASSERT_TRUE(server_->Start().ok());
    port_ = server_->port();
  }
  void TearDown() override {
    if (server_) server_->Stop();
    if (relay_) relay_->Stop();
  }

  api::testing::Reply Post(const std::string& path, const json& body) {
    return api::testing::Post(
        port_, path, body.dump(),
        {{"Content-Type", "application/json"}, {"Authorization", "Bearer op"}});
  }
  json Get(const std::string& path) { return api::testing::Get(port_, path).Json(); }
  std::string StateOf(const std::string& id) {
    return Get("/v1/outbox/" + id)["message"]["state"].get<std::string>();
  }

  lifeline::testing::TempDir dir_{"relay-routes"};
  std::unique_ptr<store::Store> store_;
  std::map<std::string, testing::FakeChannel*> fakes_;
  RelaySetup setup_;
  std::unique_ptr<Relay> relay_;
  std::unique_ptr<RelayRoutes> routes_;
  api::testing::FakeBackend backend_;
  std::unique_ptr<api::Server> server_;
  unsigned short port_ = 0;
};

TEST_F(RelayRoutesTest, MediaLinksAreStoredShownAndHandedToTheChannel) {
  const json media = {"https://brand.example/back.jpg", "https://brand.example/clip.mp4"};
  auto sent = Post("/v1/outbox", {{"channel", "team-telegram"},
                                  {"text", "We are back"},
                                  {"media", media},
                                  {"idempotency_key", "k-media"}});
  ASSERT_EQ(sent.status, 202u) << sent.body;
  EXPECT_EQ(sent.Json()["message"]["media"], media);
  const std::string id = sent.Json()["message"]["id"];
  ASSERT_TRUE(api::testing::WaitFor([&] { return StateOf(id) == "delivered"; }));
  EXPECT_EQ(Get("/v1/outbox/" + id)["message"]["media"], media);
  auto handed = fakes_["team-telegram"]->sent();
  ASSERT_EQ(handed.size(), 1u);
  EXPECT_EQ(json(handed[0].media), media);
  // Without media: [].
  auto plain = Post("/v1/outbox", {{"channel", "team-telegram"}, {"text", "plain"}});
  ASSERT_EQ(plain.status, 202u) << plain.body;
  EXPECT_EQ(plain.Json()["message"]["media"], json::array());

  auto not_list =
      Post("/v1/outbox",
           {{"channel", "team-telegram"}, {"text", "x"}, {"media", "https://brand.example/a.jpg"}});
  EXPECT_EQ(not_list.status, 400u);
  EXPECT_THAT(not_list.body, HasSubstr("media: expected a list of http(s) links"));
  auto bad_link =
      Post("/v1/outbox", {{"channel", "team-telegram"},
                          {"text", "x"},
                          {"media", {"https://a.example/1.jpg", "javascript:alert(1)"}}});
  EXPECT_EQ(bad_link.status, 400u);
  EXPECT_THAT(bad_link.body, HasSubstr("team-telegram: media[1]"));
  auto to_contact = Post(
      "/v1/outbox", {{"contact", "ops"}, {"text", "x"}, {"media", {"https://a.example/1.jpg"}}});
  EXPECT_EQ(to_contact.status, 400u);
  EXPECT_THAT(to_contact.body, HasSubstr("media take a channel"));
}

TEST_F(RelayRoutesTest, ASentMessageIsStoredDeliveredAndShownWithItsTimeline) {
  auto sent =
      Post("/v1/outbox",
           {{"channel", "team-telegram"}, {"text", "WhatsApp is down"}, {"idempotency_key", "k1"}});
  ASSERT_EQ(sent.status, 202u) << sent.body;
  const std::string id = sent.Json()["message"]["id"];
  EXPECT_TRUE(sent.Json()["created"].get<bool>());
  ASSERT_TRUE(api::testing::WaitFor([&] { return StateOf(id) == "delivered"; }));
  json detail = Get("/v1/outbox/" + id);
  EXPECT_EQ(detail["message"]["text"], "WhatsApp is down");
  EXPECT_FALSE(detail["message"]["remote_id"].get<std::string>().empty());
  std::vector<std::string> types;
  for (const auto& e : detail["events"]) types.push_back(e["type"]);
  EXPECT_THAT(types, ::testing::ElementsAre("queued", "sending", "delivered"));
  // The same key again stores nothing new.
  auto again = Post("/v1/outbox",
                    {{"channel", "team-telegram"}, {"text", "other"}, {"idempotency_key", "k1"}});
  EXPECT_EQ(again.status, 200u);
  EXPECT_EQ(again.Json()["message"]["id"], id);
  EXPECT_FALSE(again.Json()["created"].get<bool>());
  // Listed, filtered by state and channel.
  json list = Get("/v1/outbox?state=delivered&channel=team-telegram");
  ASSERT_EQ(list["messages"].size(), 1u);
  EXPECT_TRUE(list["next_cursor"].is_null());
  EXPECT_TRUE(Get("/v1/outbox?channel=team-whatsapp")["messages"].empty());
}

TEST_F(RelayRoutesTest, BadInputIsRefusedByNameAndStoresNothing) {
  auto unknown = Post("/v1/outbox", {{"channel", "team-telegram"}, {"text", "x"}, {"colour", 1}});
  EXPECT_EQ(unknown.status, 400u);
  EXPECT_THAT(unknown.body, HasSubstr("unknown field \\\"colour\\\""));
  auto no_channel = Post("/v1/outbox", {{"channel", "team-fax"}, {"text", "x"}});
  EXPECT_EQ(no_channel.status, 404u) << no_channel.body;
  auto both = Post("/v1/outbox", {{"channel", "team-telegram"}, {"contact", "ops"}, {"text", "x"}});
  EXPECT_EQ(both.status, 400u);
  auto too_long =
      Post("/v1/outbox", {{"channel", "team-telegram"}, {"text", std::string(101, 'a')}});
  EXPECT_EQ(too_long.status, 400u);
  EXPECT_THAT(too_long.body, HasSubstr("team-telegram"));
  auto bad_state = api::testing::Get(port_, "/v1/outbox?state=lost");
  EXPECT_EQ(bad_state.status, 400u);
  EXPECT_THAT(bad_state.body, HasSubstr("state must be one of"));
  EXPECT_TRUE(Get("/v1/outbox")["messages"].empty());
  // A viewer may read but not send.
  auto anonymous = api::testing::Post(port_, "/v1/outbox", R"({"channel":"team-telegram"})");
  EXPECT_EQ(anonymous.status, 401u);
}

TEST_F(RelayRoutesTest, AFailedMessageCanBeRetriedAndAnUnconfirmedOneDecided) {
  testing::FakeChannel* tg = fakes_["team-telegram"];
  DeliveryResult refused;
  refused.outcome = Outcome::kFailed;
  refused.http_status = 400;
  refused.reason = "HTTP 400: Bad Request: chat not found";
  DeliveryResult lost;
  lost.outcome = Outcome::kUnconfirmed;
  lost.reason = "no answer within 3 s";
  tg->Script({refused});
  const std::string failed =
      Post("/v1/outbox", {{"channel", "team-telegram"}, {"text", "a"}}).Json()["message"]["id"];
  ASSERT_TRUE(api::testing::WaitFor([&] { return StateOf(failed) == "failed"; }));
  EXPECT_THAT(Get("/v1/outbox/" + failed)["message"]["last_reason"].get<std::string>(),
              HasSubstr("chat not found"));
  // Cancelling a failed message is not possible; retrying it is.
  EXPECT_EQ(Post("/v1/outbox/" + failed + "/cancel", json::object()).status, 409u);
  auto retried = Post("/v1/outbox/" + failed + "/retry", json::object());
  ASSERT_EQ(retried.status, 200u) << retried.body;
  ASSERT_TRUE(api::testing::WaitFor([&] { return StateOf(failed) == "delivered"; }));

  tg->Script({lost});
  const std::string unsure =
      Post("/v1/outbox", {{"channel", "team-telegram"}, {"text", "b"}}).Json()["message"]["id"];
  ASSERT_TRUE(api::testing::WaitFor([&] { return StateOf(unsure) == "unconfirmed"; }));
  auto no_answer = Post("/v1/outbox/" + unsure + "/decide", json::object());
  EXPECT_EQ(no_answer.status, 400u);
  auto decided = Post("/v1/outbox/" + unsure + "/decide", {{"delivered", true}});
  ASSERT_EQ(decided.status, 200u) << decided.body;
  EXPECT_EQ(decided.Json()["message"]["state"], "delivered");
  EXPECT_EQ(Post("/v1/outbox/msg_nope/retry", json::object()).status, 404u);
}

TEST_F(RelayRoutesTest, ChannelsShowTheirCircuitAndContactsTheirPoints) {
  core::IncidentNotice meta;
  meta.incident_id = "inc_1";
  meta.domain = "meta";
  meta.platforms = {"whatsapp"};
  meta.verdict = core::Verdict::kOutage;
  meta.title = "Meta outage";
  relay_->OnIncident(meta);
  json channels = Get("/v1/channels")["channels"];
  ASSERT_EQ(channels.size(), 2u);
  EXPECT_EQ(channels[0]["name"], "team-telegram");
  EXPECT_EQ(channels[0]["circuit"], "closed");
  EXPECT_EQ(channels[1]["circuit"], "open");
  EXPECT_EQ(channels[1]["incident_id"], "inc_1");
  json contacts = Get("/v1/contacts")["contacts"];
  ASSERT_EQ(contacts.size(), 1u);
  EXPECT_EQ(contacts[0]["points"][0]["channel"], "team-whatsapp");
  EXPECT_EQ(contacts[0]["points"][0]["circuit"], "open");
}

TEST(RelayRoutesOpenApi, EveryRouteIsDocumentedAndEveryRelayPathIsRouted) {
  std::ifstream in(std::string(LIFELINE_SOURCE_DIR) + "/docs/openapi.json");
  json doc = json::parse(in);
  lifeline::testing::TempDir dir{"relay-openapi"};
  auto s = store::OpenSqlite(dir.path() + "/l.db");
  ASSERT_TRUE(s.ok());
  Relay relay(&(*s)->Outbox(), {}, RelayOptions{});
  RelaySetup setup;
  RelayRoutes routes(relay, setup);
  std::set<std::pair<std::string, std::string>> routed;
  for (const api::PartRoute& r : routes.Routes()) {
    const std::string method = Lower(r.method);
    routed.insert({r.pattern, method});
    ASSERT_TRUE(doc["paths"].contains(r.pattern)) << r.pattern << " is not in docs/openapi.json";
    ASSERT_TRUE(doc["paths"][r.pattern].contains(method)) << r.method << " " << r.pattern;
    const json& op = doc["paths"][r.pattern][method];
    EXPECT_EQ(op["x-lifeline-part"], "relay") << r.pattern;
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
      if (op.value("x-lifeline-part", "") != "relay") continue;
      EXPECT_TRUE(routed.count({path, method})) << method << " " << path << " is not routed";
    }
  }
}

}  // namespace
}  // namespace lifeline::channels
