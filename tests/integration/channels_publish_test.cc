// Posts with media through the relay (a real Relay on a SQLite outbox, the real libcurl client)
// to the Facebook Page and Instagram publishing emulators in tests/fakes/social_apis.py, and the
// verification lookups of every public-post channel (Facebook, Instagram, Mastodon, Bluesky, X):
// a published post looks up as present, and as missing once the emulator deletes it. Waits for
// published outbox changes; never a fixed sleep.
#include <gtest/gtest.h>

#include <cctype>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "channels/outbox.h"
#include "channels/registry.h"
#include "channels/relay_test_util.h"
#include "channels/testing_http.h"
#include "core/temp_dir.h"
#include "integration/support/python_fake.h"
#include "store/store.h"

namespace lifeline::channels {
namespace {

using lifeline::testing::PythonFake;
using Presence = LookupResult::Presence;

class PublishThroughRelay : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("LL_PUB_GRAPH_TOKEN", "graph-tok", 1);
    setenv("LL_PUB_MASTODON_TOKEN", "mtok", 1);
    setenv("LL_PUB_BSKY_PASSWORD", "abcd-efgh-ijkl-mnop", 1);
    setenv("LL_PUB_X_BEARER", "xbearer", 1);
    for (const char* k : {"CK", "CS", "AT", "AS"}) {
      std::string v = k;
      for (char& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      setenv((std::string("LL_PUB_X_") + k).c_str(), v.c_str(), 1);
    }
    std::string error;
    ASSERT_TRUE(fake_.Start("social_apis.py",
                            {"--graph-token",
                             "graph-tok",
                             "--fb-page-id",
                             "1122334455",
                             "--ig-user-id",
                             "17841400000000",
                             "--ig-in-progress-polls",
                             "2",
                             "--mastodon-token",
                             "mtok",
                             "--bluesky-handle",
                             "brand.bsky.social",
                             "--bluesky-password",
                             "abcd-efgh-ijkl-mnop",
                             "--x-bearer",
                             "xbearer",
                             "--x-consumer-key",
                             "ck",
                             "--x-consumer-secret",
                             "cs",
                             "--x-access-token",
                             "at",
                             "--x-access-secret",
                             "as"},
                            &error))
        << error;
    http_ = MakeCurlHttpClient();
    auto s = store::OpenSqlite(dir_.path() + "/lifeline.db");
    ASSERT_TRUE(s.ok()) << s.error().ToString();
    store_ = std::move(*s);

    const std::string base = Base();
    std::vector<ChannelSetup> setups;
    Add(setups, "brand-facebook", "facebook_page",
        "page_id: \"1122334455\"\npage_token: { env: LL_PUB_GRAPH_TOKEN }\napi_base: " + base);
    Add(setups, "brand-instagram", "instagram_post",
        "account_id: \"17841400000000\"\naccess_token: { env: LL_PUB_GRAPH_TOKEN }\n"
        "poll_interval: 100ms\npublish_wait: 3s\napi_base: " +
            base);
    Add(setups, "brand-mastodon", "mastodon",
        "server: " + base + "\naccess_token: { env: LL_PUB_MASTODON_TOKEN }");
    Add(setups, "brand-bluesky", "bluesky",
        "handle: brand.bsky.social\napp_password: { env: LL_PUB_BSKY_PASSWORD }\nservice: " + base);
    Add(setups, "brand-x", "x", "bearer_token: { env: LL_PUB_X_BEARER }\napi: " + base);
    Add(setups, "brand-x-oauth1", "x",
        "consumer_key: { env: LL_PUB_X_CK }\nconsumer_secret: { env: LL_PUB_X_CS }\n"
        "access_token: { env: LL_PUB_X_AT }\naccess_token_secret: { env: LL_PUB_X_AS }\napi: " +
            base);
    ASSERT_EQ(setups.size(), 6u);
    relay_ = std::make_unique<Relay>(&store_->Outbox(), std::move(setups), RelayOptions{});
    changes_ = std::make_unique<testing::Changes>(*relay_);
    ASSERT_TRUE(relay_->Start().ok());
  }
  void TearDown() override {
    changes_.reset();
    if (relay_) relay_->Stop();
    relay_.reset();
  }

  std::string Base() const { return "http://127.0.0.1:" + std::to_string(fake_.port()); }

  void Add(std::vector<ChannelSetup>& setups, const std::string& name, const std::string& type,
           const std::string& keys) {
    const Kind* kind = FindKind(type);
    ASSERT_NE(kind, nullptr) << type;
    auto ch = testing::FromYaml(*kind, "type: " + type + "\n" + keys, http_.get(), name,
                                std::chrono::seconds(5));
    ASSERT_TRUE(ch.ok()) << ch.error().message();
    ChannelSetup c;
    c.name = name;
    c.kind = type;
    c.platform = (*ch)->info().platform;
    c.traits = (*ch)->info().traits;
    c.timeout = std::chrono::seconds(5);
    c.channel = std::move(*ch);
    setups.push_back(std::move(c));
  }

  // Sends through the relay and waits until it is delivered; returns the stored message.
  store::OutboxMessage Deliver(const std::string& channel, const std::string& text,
                               std::vector<std::string> media = {}) {
    SendRequest r;
    r.channel = channel;
    r.text = text;
    r.media = std::move(media);
    r.idempotency_key = "calendar/launch/" + channel;
    auto e = relay_->Enqueue(r);
    EXPECT_TRUE(e.ok()) << e.error().ToString();
    if (!e.ok()) return {};
    EXPECT_TRUE(changes_->WaitState(e->message.id, store::MessageState::kDelivered))
        << channel << ": " << Detail(e->message.id) << fake_.log();
    auto m = relay_->outbox().Get(e->message.id);
    EXPECT_TRUE(m.ok());
    return m.ok() ? m->message : store::OutboxMessage{};
  }
  std::string Detail(const std::string& id) {
    auto d = relay_->outbox().Get(id);
    if (!d.ok()) return d.error().ToString();
    std::string out = std::string(store::MessageStateName(d->message.state));
    for (const auto& e : d->events) out += " | " + e.type + ": " + e.detail;
    return out;
  }

  void Control(const nlohmann::json& body) {
    HttpRequest req;
    req.url = Base() + "/_control";
    req.body = body.dump();
    req.headers.emplace_back("Content-Type", "application/json");
    HttpResponse r = http_->Do(req);
    ASSERT_EQ(r.status, 200) << r.error << fake_.log();
  }
  nlohmann::json Received() {
    HttpRequest req;
    req.method = "GET";
    req.url = Base() + "/_received";
    HttpResponse r = http_->Do(req);
    EXPECT_EQ(r.status, 200) << r.error;
    return nlohmann::json::parse(r.body, nullptr, false);
  }

  // Looks `remote_id` up through the relay: present, then, once the emulator deleted it, missing.
  void PresentThenMissing(const std::string& channel, const std::string& api,
                          const std::string& remote_id) {
    auto there = relay_->Lookup(channel, remote_id);
    ASSERT_TRUE(there.ok()) << there.error().ToString();
    EXPECT_EQ(there->presence, Presence::kPresent) << channel << ": " << there->reason;
    Control({{"delete", {{"api", api}, {"id", remote_id}}}});
    auto gone = relay_->Lookup(channel, remote_id);
    ASSERT_TRUE(gone.ok()) << gone.error().ToString();
    EXPECT_EQ(gone->presence, Presence::kMissing) << channel << ": " << gone->reason;
  }

  lifeline::testing::TempDir dir_{"lifeline-publish"};
  PythonFake fake_;
  std::unique_ptr<HttpClient> http_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<Relay> relay_;
  std::unique_ptr<testing::Changes> changes_;
};

TEST_F(PublishThroughRelay, FacebookPagePostWithALinkIsPublishedAndVerified) {
  store::OutboxMessage m = Deliver("brand-facebook", "Instagram is down; we answer here",
                                   {"https://brand.example/outage.jpg"});
  ASSERT_EQ(m.state, store::MessageState::kDelivered);
  EXPECT_EQ(m.media, std::vector<std::string>{"https://brand.example/outage.jpg"});
  EXPECT_EQ(m.remote_id.rfind("1122334455_", 0), 0u) << m.remote_id;
  auto got = Received();
  ASSERT_EQ(got["created"]["facebook"].size(), 1u);
  EXPECT_EQ(got["created"]["facebook"][0]["id"], m.remote_id);
  EXPECT_EQ(got["created"]["facebook"][0]["message"], "Instagram is down; we answer here");
  EXPECT_EQ(got["created"]["facebook"][0]["link"], "https://brand.example/outage.jpg");

  auto there = relay_->Lookup("brand-facebook", m.remote_id);
  ASSERT_TRUE(there.ok());
  EXPECT_NE(there->permalink.find("facebook.com/1122334455/posts/"), std::string::npos);
  PresentThenMissing("brand-facebook", "facebook", m.remote_id);
}

TEST_F(PublishThroughRelay, InstagramCarouselGoesThroughContainersAndIsVerified) {
  store::OutboxMessage m =
      Deliver("brand-instagram", "We are back #brand",
              {"https://brand.example/a.jpg", "https://brand.example/clip.mp4"});
  ASSERT_EQ(m.state, store::MessageState::kDelivered);
  auto got = Received();
  ASSERT_EQ(got["created"]["instagram"].size(), 1u) << got.dump();
  const auto& media = got["created"]["instagram"][0];
  EXPECT_EQ(media["id"], m.remote_id);
  EXPECT_EQ(media["media_type"], "CAROUSEL_ALBUM");
  EXPECT_EQ(media["caption"], "We are back #brand");
  EXPECT_EQ(media["media_urls"],
            nlohmann::json({"https://brand.example/a.jpg", "https://brand.example/clip.mp4"}));
  EXPECT_EQ(got["containers"].size(), 3u) << "two children and the carousel";
  // The carousel was IN_PROGRESS for two polls: the attempt waited for FINISHED, then published.
  std::size_t polls = 0;
  for (const auto& r : got["instagram"]) {
    polls += r["method"] == "GET" &&
             r["query"].value("fields", "").find("status_code") != std::string::npos;
  }
  EXPECT_EQ(polls, 3u);

  PresentThenMissing("brand-instagram", "instagram", m.remote_id);
}

TEST_F(PublishThroughRelay, InstagramRefusesAPostWithoutMedia) {
  SendRequest r;
  r.channel = "brand-instagram";
  r.text = "no picture";
  auto e = relay_->Enqueue(r);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().code(), core::ErrorCode::kInvalidArgument);
  EXPECT_NE(e.error().message().find("need an image or video link"), std::string::npos);
  r.media = {"ftp://brand.example/a.jpg"};
  auto bad = relay_->Enqueue(r);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("brand-instagram: media[0]"), std::string::npos)
      << bad.error().message();
}

TEST_F(PublishThroughRelay, InstagramPublishingLimitIsARateLimitedRetry) {
  Control({{"api", "instagram"},
           {"path", "media_publish"},
           {"status", 400},
           {"body",
            {{"error",
              {{"message", "Application request limit reached"},
               {"type", "OAuthException"},
               {"code", 9},
               {"error_subcode", 2207042}}}}}});
  SendRequest r;
  r.channel = "brand-instagram";
  r.text = "over the limit";
  r.media = {"https://brand.example/a.jpg"};
  auto e = relay_->Enqueue(r);
  ASSERT_TRUE(e.ok());
  ASSERT_TRUE(changes_->WaitState(e->message.id, store::MessageState::kRetryScheduled))
      << Detail(e->message.id);
  auto d = relay_->outbox().Get(e->message.id);
  ASSERT_TRUE(d.ok());
  EXPECT_NE(d->message.last_reason.find("publishing limit"), std::string::npos)
      << d->message.last_reason;
  auto h = relay_->Health("brand-instagram");
  ASSERT_TRUE(h.ok());
  EXPECT_TRUE(h->paused_until.has_value()) << "a rate-limited answer pauses the channel";
}

TEST_F(PublishThroughRelay, MastodonBlueskyAndXPostsAreLookedUp) {
  store::OutboxMessage toot = Deliver("brand-mastodon", "Back online https://brand.example/a.jpg");
  ASSERT_EQ(toot.state, store::MessageState::kDelivered);
  PresentThenMissing("brand-mastodon", "mastodon", toot.remote_id);

  store::OutboxMessage skeet = Deliver("brand-bluesky", "Back online #brand");
  ASSERT_EQ(skeet.state, store::MessageState::kDelivered);
  PresentThenMissing("brand-bluesky", "bluesky", skeet.remote_id);

  store::OutboxMessage post = Deliver("brand-x", "Back online, all channels");
  ASSERT_EQ(post.state, store::MessageState::kDelivered);
  // A GET signed with OAuth 1.0a passes the emulator's signature check as well.
  auto signed_lookup = relay_->Lookup("brand-x-oauth1", post.remote_id);
  ASSERT_TRUE(signed_lookup.ok());
  EXPECT_EQ(signed_lookup->presence, Presence::kPresent) << signed_lookup->reason;
  PresentThenMissing("brand-x", "x", post.remote_id);
}

TEST_F(PublishThroughRelay, LookupNamesWhatItCannotDo) {
  EXPECT_EQ(relay_->Lookup("brand-nowhere", "1").error().code(), core::ErrorCode::kNotFound);
  EXPECT_EQ(relay_->Lookup("brand-x", "").error().code(), core::ErrorCode::kInvalidArgument);
  // A post the platform silently dropped: delivered, yet the lookup says missing.
  Control({{"api", "facebook"}, {"drop", true}, {"path", "feed"}});
  store::OutboxMessage m = Deliver("brand-facebook", "dropped on the floor");
  ASSERT_EQ(m.state, store::MessageState::kDelivered);
  auto gone = relay_->Lookup("brand-facebook", m.remote_id);
  ASSERT_TRUE(gone.ok());
  EXPECT_EQ(gone->presence, Presence::kMissing) << gone->reason;
  // The emulator down: unknown, not missing.
  Control({{"api", "facebook"}, {"status", 503}, {"body", "unavailable"}, {"method", "GET"}});
  auto unknown = relay_->Lookup("brand-facebook", m.remote_id);
  ASSERT_TRUE(unknown.ok());
  EXPECT_EQ(unknown->presence, Presence::kUnknown) << unknown->reason;
}

}  // namespace
}  // namespace lifeline::channels
