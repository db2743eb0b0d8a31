// A Facebook Page's feed webhook as a listening source, over the real API server and a real
// SQLite store: Meta's GET verification, the signature checked over the raw body (a wrong one is
// 401 with nothing stored), a comment delivered twice stored once, posts matched against the
// queries by their text, and deliveries for another Page refused whole.
#include "listen/page_feed.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "api/server.h"
#include "api/test_util.h"
#include "core/signature.h"
#include "core/temp_dir.h"
#include "listen/routes.h"

namespace lifeline::listen {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

constexpr const char* kSecret = "page-app-secret";

class NoHttp final : public channels::HttpClient {
 public:
  channels::HttpResponse Do(const channels::HttpRequest&) override { return {}; }
};

// A delivery of one change of Page 1234 (Meta's shape).
json Change(const std::string& item, const std::string& verb, const std::string& id,
            const std::string& message, long long created = 1795000000) {
  json value = {{"item", item},
                {"verb", verb},
                {"post_id", "1234_99"},
                {"message", message},
                {"from", {{"id", "555"}, {"name", "Ana Lima"}}},
                {"created_time", created}};
  if (item == "comment") value["comment_id"] = id;
  return {{"object", "page"},
          {"entry",
           {{{"id", "1234"},
             {"time", created},
             {"changes", {{{"field", "feed"}, {"value", value}}}}}}}};
}

class PageFeedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = store::OpenSqlite(dir_.path() + "/l.db");
    ASSERT_TRUE(s.ok()) << s.error().ToString();
    store_ = std::move(*s);
    setenv("LL_PAGE_SECRET", kSecret, 1);
    setenv("LL_PAGE_VERIFY", "verify-me", 1);
    auto c = config::LoadString(
        "listen:\n  brands:\n    acme: { mentions: [\"acme\"] }\n  chatter:\n    facebook:\n"
        "  sources:\n    acme-page:\n      kind: facebook_page\n"
        "      app_secret: { env: LL_PAGE_SECRET }\n      verify_token: { env: LL_PAGE_VERIFY }\n"
        "      page_ids: [\"1234\"]\n",
        "lifeline.yaml");
    ASSERT_TRUE(c.ok()) << c.error().message();
    auto lc = LoadListenConfig(*c);
    ASSERT_TRUE(lc.ok()) << lc.error().message();
    listener_ = std::make_unique<Listener>(std::move(*lc), *store_, http_);
    routes_ = std::make_unique<ListenRoutes>(*listener_, *store_);
    api::ServerOptions so;
    so.listen = "127.0.0.1:0";
    so.groups = {routes_.get()};
    server_ = std::make_unique<api::Server>(backend_, so);
    ASSERT_TRUE(server_->Start().ok());
  }
  void TearDown() override {
    if (server_) server_->Stop();
  }

  api::testing::Reply Deliver(const std::string& body, std::string signature = "") {
    if (signature.empty()) signature = "sha256=" + core::HmacSha256Hex(kSecret, body);
    return api::testing::Post(
        server_->port(), "/v1/listening/webhooks/acme-page", body,
        {{"Content-Type", "application/json"}, {"X-Hub-Signature-256", signature}});
  }
  std::vector<store::ListenPost> Posts(const std::string& query = "") {
    auto p = store_->Listening().ListPosts({.query = query, .limit = 100});
    EXPECT_TRUE(p.ok());
    return p.ok() ? *p : std::vector<store::ListenPost>{};
  }
  std::int64_t Count(const std::string& query) {
    auto c = store_->Listening().HourCounts(query, store::Time{}, store::FromMillis(1LL << 50));
    std::int64_t n = 0;
    for (const auto& h : *c) n += h.count;
    return n;
  }

  lifeline::testing::TempDir dir_{"page-feed"};
  std::unique_ptr<store::Store> store_;
  NoHttp http_;
  std::unique_ptr<Listener> listener_;
  std::unique_ptr<ListenRoutes> routes_;
  api::testing::FakeBackend backend_;
  std::unique_ptr<api::Server> server_;
};

TEST_F(PageFeedTest, MetaVerifiesTheSubscriptionWithItsToken) {
  auto ok = api::testing::Get(server_->port(),
                              "/v1/listening/webhooks/acme-page?hub.mode=subscribe&"
                              "hub.verify_token=verify-me&hub.challenge=1158201444");
  ASSERT_EQ(ok.status, 200u) << ok.body;
  EXPECT_EQ(ok.body, "1158201444");
  auto wrong = api::testing::Get(server_->port(),
                                 "/v1/listening/webhooks/acme-page?hub.mode=subscribe&"
                                 "hub.verify_token=guess&hub.challenge=1");
  EXPECT_EQ(wrong.status, 403u) << wrong.body;
  auto unknown = api::testing::Get(server_->port(),
                                   "/v1/listening/webhooks/nope?hub.mode=subscribe&"
                                   "hub.verify_token=verify-me&hub.challenge=1");
  EXPECT_EQ(unknown.status, 404u) << unknown.body;
}

TEST_F(PageFeedTest, AWrongSignatureIsRefusedWithNothingStored) {
  const std::string body = Change("comment", "add", "99_1", "is facebook down? acme help").dump();
  auto wrong = Deliver(body, "sha256=" + core::HmacSha256Hex("not-the-secret", body));
  EXPECT_EQ(wrong.status, 401u) << wrong.body;
  EXPECT_THAT(wrong.body, HasSubstr("X-Hub-Signature-256 does not match"));
  EXPECT_THAT(wrong.body, ::testing::Not(HasSubstr("acme help")));
  auto unsigned_ = api::testing::Post(server_->port(), "/v1/listening/webhooks/acme-page", body);
  EXPECT_EQ(unsigned_.status, 401u) << unsigned_.body;
  // Signed over another body: the one delivered was changed on the way.
  auto changed = Deliver(body, "sha256=" + core::HmacSha256Hex(kSecret, body + " "));
  EXPECT_EQ(changed.status, 401u) << changed.body;
  EXPECT_TRUE(Posts().empty());
}

TEST_F(PageFeedTest, ACommentDeliveredTwiceIsStoredOnceAndMatchedAgainstTheQueries) {
  const std::string body =
      Change("comment", "add", "99_1", "Is Facebook down? @acme answer please").dump();
  auto first = Deliver(body);
  ASSERT_EQ(first.status, 200u) << first.body;
  EXPECT_EQ(first.Json()["new_posts"], 1);
  auto again = Deliver(body);  // Meta retries a delivery it saw no 200 for
  ASSERT_EQ(again.status, 200u) << again.body;
  EXPECT_EQ(again.Json()["new_posts"], 0);
  // An edit of the same comment is the same post.
  auto edited =
      Deliver(Change("comment", "edited", "99_1", "Is Facebook down?? @acme answer please").dump());
  ASSERT_EQ(edited.status, 200u) << edited.body;

  auto posts = Posts();
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(posts[0].source, "facebook");
  EXPECT_EQ(posts[0].source_id, "99_1");
  EXPECT_EQ(posts[0].author, "Ana Lima");
  EXPECT_EQ(posts[0].url, "https://www.facebook.com/1234_99?comment_id=99_1");
  EXPECT_EQ(posts[0].posted_at, store::FromMillis(1795000000LL * 1000));
  EXPECT_THAT(posts[0].queries,
              ::testing::UnorderedElementsAre("brand:acme:mentions", "chatter:facebook"));
  EXPECT_EQ(Count("chatter:facebook"), 1);
  EXPECT_EQ(Count("brand:acme:mentions"), 1);

  // A post of the Page that says none of the queries' terms is not a listening post; a
  // reaction is not a post at all.
  auto other = Deliver(Change("post", "add", "", "Our winter sale starts today").dump());
  ASSERT_EQ(other.status, 200u) << other.body;
  EXPECT_EQ(other.Json()["new_posts"], 0);
  auto reaction = Deliver(Change("reaction", "add", "", "").dump());
  ASSERT_EQ(reaction.status, 200u) << reaction.body;
  EXPECT_EQ(reaction.Json()["ignored"], 1);
  EXPECT_EQ(Posts().size(), 1u);
}

TEST_F(PageFeedTest, AnotherPagesDeliveryOrAMalformedOneIsRefusedWhole) {
  json body = Change("comment", "add", "99_2", "facebook down");
  body["entry"].push_back(body["entry"][0]);
  body["entry"][1]["id"] = "9999";
  auto other = Deliver(body.dump());
  EXPECT_EQ(other.status, 400u) << other.body;
  EXPECT_THAT(other.body, HasSubstr("page '9999' is not one of the source's page_ids"));
  auto malformed = Deliver(R"({"object":"page","entry":{}})");
  EXPECT_EQ(malformed.status, 400u) << malformed.body;
  json no_id = Change("comment", "add", "", "facebook down");
  auto missing = Deliver(no_id.dump());
  EXPECT_EQ(missing.status, 400u) << missing.body;
  EXPECT_THAT(missing.body, HasSubstr("comment_id"));
  EXPECT_TRUE(Posts().empty());
}

TEST(PageFeedConfig, ASourceNeedsItsSecretTokenAndPages) {
  setenv("LL_PAGE_SECRET", kSecret, 1);
  auto c = config::LoadString(
      "listen:\n  chatter:\n    facebook:\n  sources:\n    page:\n      kind: facebook_page\n"
      "      app_secret: { env: LL_PAGE_SECRET }\n",
      "lifeline.yaml");
  ASSERT_TRUE(c.ok()) << c.error().message();
  auto lc = LoadListenConfig(*c);
  ASSERT_FALSE(lc.ok());
  EXPECT_THAT(lc.error().message(), HasSubstr("listen.sources.page"));
  EXPECT_THAT(lc.error().message(), HasSubstr("verify_token: required"));
  auto streaming = config::LoadString(
      "listen:\n  chatter:\n    facebook:\n  sources:\n    x: { token: { env: LL_PAGE_SECRET }, "
      "streaming: true }\n",
      "lifeline.yaml");
  ASSERT_TRUE(streaming.ok());
  auto sc = LoadListenConfig(*streaming);
  ASSERT_FALSE(sc.ok());
  EXPECT_THAT(sc.error().message(), HasSubstr("not used by a x source"));
}

}  // namespace
}  // namespace lifeline::listen
