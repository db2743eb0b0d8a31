// Tests of the Instagram publishing channel against canned Graph answers (no network): config,
// the caption and media checks, the request shapes of an image, a reel and a carousel, status
// polls within the attempt's wait, reuse of a container by a retry and its recreation after 24
// hours (a fake clock), lost publish answers, error classification, and lookups.
#include "channels/instagram/instagram.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "channels/testing_http.h"
#include "core/fake_clock.h"

namespace lifeline::channels::instagram {
namespace {

using Presence = LookupResult::Presence;
using testing::HeaderOf;
using namespace std::chrono_literals;

constexpr const char* kBase = "https://graph.facebook.com/v21.0/";

std::string GraphError(int code, int subcode, const std::string& message) {
  nlohmann::json e = {{"message", message}, {"type", "OAuthException"}, {"code", code}};
  if (subcode != 0) e["error_subcode"] = subcode;
  return nlohmann::json{{"error", e}}.dump();
}
std::string Id(const std::string& id) { return R"({"id":")" + id + R"("})"; }
std::string StatusCode(const std::string& code) {
  return R"({"id":"c","status_code":")" + code + R"(","status":"x"})";
}

OutgoingMessage Post(std::vector<std::string> media, std::string text = "Back online #brand") {
  OutgoingMessage m = testing::Message(std::move(text));
  m.id = "msg_1";
  m.media = std::move(media);
  return m;
}

class InstagramTest : public testing::AdapterTest {
 protected:
  InstagramTest()
      : AdapterTest({{"LL_TEST_IG_TOKEN", "IGtok"}}),
        clock_(std::chrono::system_clock::from_time_t(1795773600)) {}

  std::unique_ptr<InstagramChannel> Channel(std::chrono::milliseconds wait = 3s) {
    InstagramConfig c;
    c.account_id = "17841400000000";
    c.access_token = "IGtok";
    c.publish_wait = wait;
    c.poll_interval = 1s;
    c.timeout = 5s;
    return std::make_unique<InstagramChannel>(
        "brand-instagram", c, &http_,
        Waiting{&clock_, [this](std::chrono::milliseconds d) { clock_.Advance(d); }});
  }
  std::vector<HttpRequest> Requests() { return http_.requests(); }
  static nlohmann::json Body(const HttpRequest& r) { return nlohmann::json::parse(r.body); }

  core::FakeClock clock_;
};

TEST_F(InstagramTest, ConfigFromYamlAndUrl) {
  auto ch = testing::FromYaml(kKind,
                              "type: instagram_post\naccount_id: \"17841400000000\"\n"
                              "access_token: { env: LL_TEST_IG_TOKEN }\npublish_wait: 2s\n",
                              &http_, "brand-instagram");
  ASSERT_TRUE(ch.ok()) << ch.error().message();
  const auto& c = dynamic_cast<InstagramChannel&>(**ch).config();
  EXPECT_EQ(c.account_id, "17841400000000");
  EXPECT_EQ(c.access_token, "IGtok");
  EXPECT_EQ(c.publish_wait, 2s);
  EXPECT_EQ((*ch)->info().kind, "instagram_post");
  EXPECT_EQ((*ch)->info().platform, "instagram");
  EXPECT_TRUE((*ch)->info().traits.public_post);
  // 50 a day at most: a bucket of 10 and 40 a day.
  EXPECT_LE((*ch)->info().traits.burst + (*ch)->info().traits.rate_per_second * 86400, 50.0 + 1e-9);

  auto url = testing::FromUrl(kKind, "igpost://IGurltok@17841400000000", &http_);
  ASSERT_TRUE(url.ok()) << url.error().message();
  EXPECT_EQ(dynamic_cast<InstagramChannel&>(**url).config().access_token, "IGurltok");

  const testing::BadConfig bad[] = {
      {"type: instagram_post\naccess_token: { env: LL_TEST_IG_TOKEN }\n", "missing 'account_id'"},
      {"type: instagram_post\naccount_id: brand\naccess_token: { env: LL_TEST_IG_TOKEN }\n",
       "test.yaml:4: channels.team.account_id: 'brand' is not an Instagram account id"},
      {"type: instagram_post\naccount_id: \"1\"\naccess_token: IGplain\n",
       "channels.team.access_token: expected { env: NAME } or { file: PATH }"},
      {"type: instagram_post\naccount_id: \"1\"\naccess_token: { env: LL_TEST_IG_TOKEN }\n"
       "publish_wait: 1h\n",
       "test.yaml:6: channels.team.publish_wait: 3600000 ms is longer than the channel's timeout"},
  };
  ExpectRefused(kKind, bad, {"IGtok"});
}

TEST_F(InstagramTest, CheckNeedsMediaAndKeepsTheCaptionLimits) {
  auto ch = Channel();
  auto none = ch->Check(Post({}));
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().message(),
            "brand-instagram: Instagram posts need an image or video link (media)");
  std::vector<std::string> eleven(11, "https://brand.example/a.jpg");
  EXPECT_FALSE(ch->Check(Post(eleven)).ok());
  EXPECT_TRUE(ch->Check(Post({"https://brand.example/a.jpg"})).ok());

  auto long_caption = ch->Check(Post({"https://b.example/a.jpg"}, std::string(2201, 'a')));
  ASSERT_FALSE(long_caption.ok());
  EXPECT_EQ(long_caption.error().message(),
            "brand-instagram: 2,201 characters; an Instagram caption allows 2,200");
  std::string tags, mentions;
  for (int i = 0; i < 31; ++i) tags += "#tag" + std::to_string(i) + " ";
  for (int i = 0; i < 21; ++i) mentions += "@user" + std::to_string(i) + " ";
  auto too_many_tags = ch->Check(Post({"https://b.example/a.jpg"}, tags));
  ASSERT_FALSE(too_many_tags.ok());
  EXPECT_NE(too_many_tags.error().message().find("31 hashtags"), std::string::npos);
  auto too_many_mentions = ch->Check(Post({"https://b.example/a.jpg"}, mentions));
  ASSERT_FALSE(too_many_mentions.ok());
  EXPECT_NE(too_many_mentions.error().message().find("21 @mentions"), std::string::npos);
  // An e-mail address is not a mention.
  EXPECT_EQ(CountMentions("write to help@brand.example or @brand_support"), 1u);
}

TEST_F(InstagramTest, PublishesAnImageInThreeSteps) {
  auto ch = Channel();
  http_.Answer(200, Id("c1"));
  http_.Answer(200, StatusCode("FINISHED"));
  http_.Answer(200, Id("m1"));
  DeliveryResult r = ch->Send(Post({"https://brand.example/outage.jpg"}));
  ASSERT_EQ(r.outcome, Outcome::kDelivered) << r.reason;
  EXPECT_EQ(r.remote_id, "m1");
  auto reqs = Requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[0].method, "POST");
  EXPECT_EQ(reqs[0].url, std::string(kBase) + "17841400000000/media");
  EXPECT_EQ(Body(reqs[0]), (nlohmann::json{{"image_url", "https://brand.example/outage.jpg"},
                                           {"caption", "Back online #brand"}}));
  EXPECT_EQ(HeaderOf(reqs[0], "Authorization"), "Bearer IGtok");
  EXPECT_EQ(reqs[1].method, "GET");
  EXPECT_EQ(reqs[1].url, std::string(kBase) + "c1?fields=status_code,status");
  EXPECT_EQ(reqs[2].url, std::string(kBase) + "17841400000000/media_publish");
  EXPECT_EQ(Body(reqs[2]), (nlohmann::json{{"creation_id", "c1"}}));
  EXPECT_FALSE(ch->ContainerOf("msg_1").has_value()) << "a published container is forgotten";
}

TEST_F(InstagramTest, AVideoLinkIsAReel) {
  auto ch = Channel();
  http_.Answer(200, Id("c1"));
  http_.Answer(200, StatusCode("FINISHED"));
  http_.Answer(200, Id("m1"));
  ASSERT_EQ(ch->Send(Post({"https://cdn.example/clip.MP4?sig=abc"})).outcome, Outcome::kDelivered);
  auto body = Body(Requests()[0]);
  EXPECT_EQ(body["media_type"], "REELS");
  EXPECT_EQ(body["video_url"], "https://cdn.example/clip.MP4?sig=abc");
  EXPECT_FALSE(body.contains("image_url"));
}

TEST_F(InstagramTest, SeveralLinksAreACarousel) {
  auto ch = Channel();
  http_.Answer(200, Id("k1"));
  http_.Answer(200, Id("k2"));
  http_.Answer(200, Id("k3"));
  http_.Answer(200, Id("parent"));
  http_.Answer(200, StatusCode("FINISHED"));
  http_.Answer(200, Id("m1"));
  DeliveryResult r = ch->Send(Post(
      {"https://b.example/1.jpg", "https://b.example/2.mov", "https://b.example/3.png"}, "Three"));
  ASSERT_EQ(r.outcome, Outcome::kDelivered) << r.reason;
  auto reqs = Requests();
  ASSERT_EQ(reqs.size(), 6u);
  EXPECT_EQ(Body(reqs[0]),
            (nlohmann::json{{"image_url", "https://b.example/1.jpg"}, {"is_carousel_item", true}}));
  EXPECT_EQ(Body(reqs[1]), (nlohmann::json{{"media_type", "VIDEO"},
                                           {"video_url", "https://b.example/2.mov"},
                                           {"is_carousel_item", true}}));
  EXPECT_EQ(Body(reqs[3]), (nlohmann::json{{"media_type", "CAROUSEL"},
                                           {"children", {"k1", "k2", "k3"}},
                                           {"caption", "Three"}}));
  EXPECT_EQ(reqs[4].url, std::string(kBase) + "parent?fields=status_code,status");
  EXPECT_EQ(Body(reqs[5]), (nlohmann::json{{"creation_id", "parent"}}));
}

TEST_F(InstagramTest, PollsWhileInProgressWithinTheWait) {
  auto ch = Channel(3s);
  auto start = clock_.Now();
  http_.Answer(200, Id("c1"));
  http_.Answer(200, StatusCode("IN_PROGRESS"));
  http_.Answer(200, StatusCode("IN_PROGRESS"));
  http_.Answer(200, StatusCode("FINISHED"));
  http_.Answer(200, Id("m1"));
  DeliveryResult r = ch->Send(Post({"https://b.example/clip.mp4"}));
  ASSERT_EQ(r.outcome, Outcome::kDelivered) << r.reason;
  EXPECT_EQ(clock_.Now() - start, 2s) << "two polls, a second apart";
}

TEST_F(InstagramTest, AContainerStillInProgressIsReusedByTheRetry) {
  auto ch = Channel(2s);
  http_.Answer(200, Id("c1"));
  for (int i = 0; i < 3; ++i) http_.Answer(200, StatusCode("IN_PROGRESS"));
  DeliveryResult first = ch->Send(Post({"https://b.example/clip.mp4"}));
  EXPECT_EQ(first.outcome, Outcome::kRetry) << first.reason;
  EXPECT_NE(first.reason.find("IN_PROGRESS"), std::string::npos) << first.reason;
  EXPECT_EQ(ch->ContainerOf("msg_1"), "c1");
  const std::size_t before = Requests().size();

  clock_.Advance(1h);
  http_.Answer(200, StatusCode("FINISHED"));
  http_.Answer(200, Id("m1"));
  OutgoingMessage again = Post({"https://b.example/clip.mp4"});
  again.attempt = 2;
  DeliveryResult second = ch->Send(again);
  ASSERT_EQ(second.outcome, Outcome::kDelivered) << second.reason;
  auto reqs = Requests();
  ASSERT_EQ(reqs.size(), before + 2) << "no second container";
  EXPECT_EQ(reqs[before].url, std::string(kBase) + "c1?fields=status_code,status");
  EXPECT_EQ(Body(reqs[before + 1]), (nlohmann::json{{"creation_id", "c1"}}));
}

TEST_F(InstagramTest, AContainerOlderThan24HoursIsMadeAgain) {
  auto ch = Channel(500ms);
  http_.Answer(200, Id("c1"));
  http_.Answer(200, StatusCode("IN_PROGRESS"));
  ASSERT_EQ(ch->Send(Post({"https://b.example/a.jpg"})).outcome, Outcome::kRetry);
  EXPECT_EQ(ch->ContainerOf("msg_1"), "c1");

  clock_.Advance(24h + 1min);
  http_.Answer(200, Id("c2"));
  http_.Answer(200, StatusCode("FINISHED"));
  http_.Answer(200, Id("m2"));
  DeliveryResult r = ch->Send(Post({"https://b.example/a.jpg"}));
  ASSERT_EQ(r.outcome, Outcome::kDelivered) << r.reason;
  EXPECT_EQ(r.remote_id, "m2");
  EXPECT_NE(r.reason.find("over 24 hours old"), std::string::npos) << r.reason;
  auto reqs = Requests();
  ASSERT_EQ(reqs.size(), 5u);
  EXPECT_EQ(reqs[2].url, std::string(kBase) + "17841400000000/media") << "a new container";
  EXPECT_EQ(Body(reqs[4]), (nlohmann::json{{"creation_id", "c2"}}));
}

TEST_F(InstagramTest, ALostPublishAnswerAsksTheContainer) {
  auto ch = Channel();
  // Published after all: delivered, the container's id standing for the post.
  http_.Answer(200, Id("c1"));
  http_.Answer(200, StatusCode("FINISHED"));
  http_.Fail(HttpResponse::Transport::kLost, "timed out");
  http_.Answer(200, StatusCode("PUBLISHED"));
  DeliveryResult published = ch->Send(Post({"https://b.example/a.jpg"}));
  EXPECT_EQ(published.outcome, Outcome::kDelivered) << published.reason;
  EXPECT_EQ(published.remote_id, "c1");

  // Not (yet) published: unconfirmed, the container kept; a second attempt finds it PUBLISHED
  // and publishes nothing twice.
  OutgoingMessage m = Post({"https://b.example/b.jpg"});
  m.id = "msg_2";
  http_.Answer(200, Id("c2"));
  http_.Answer(200, StatusCode("FINISHED"));
  http_.Fail(HttpResponse::Transport::kLost, "timed out");
  http_.Answer(200, StatusCode("FINISHED"));
  DeliveryResult lost = ch->Send(m);
  EXPECT_EQ(lost.outcome, Outcome::kUnconfirmed) << lost.reason;
  EXPECT_EQ(ch->ContainerOf("msg_2"), "c2");
  http_.Answer(200, StatusCode("PUBLISHED"));
  m.attempt = 2;
  DeliveryResult again = ch->Send(m);
  EXPECT_EQ(again.outcome, Outcome::kDelivered) << again.reason;
  EXPECT_EQ(again.remote_id, "c2");
  EXPECT_EQ(Requests().back().method, "GET") << "no second media_publish";
}

TEST_F(InstagramTest, AnswersAreClassified) {
  auto ch = Channel();
  // The daily publishing limit: retry later, rate limited; the container stays.
  http_.Answer(200, Id("c1"));
  http_.Answer(200, StatusCode("FINISHED"));
  http_.Answer(400, GraphError(9, 2207042,
                               "You reached maximum number of posts that is allowed to be "
                               "published by Content Publishing API."));
  DeliveryResult limit = ch->Send(Post({"https://b.example/a.jpg"}));
  EXPECT_EQ(limit.outcome, Outcome::kRetry);
  EXPECT_TRUE(limit.rate_limited);
  EXPECT_EQ(limit.far_code, "9/2207042");
  ASSERT_TRUE(limit.retry_after.has_value());
  EXPECT_EQ(*limit.retry_after, 1h);
  EXPECT_EQ(ch->ContainerOf("msg_1"), "c1");

  // The container failed to process: failed, and forgotten.
  http_.Answer(200, R"({"id":"c1","status_code":"ERROR","status":"Error: 2207052"})");
  DeliveryResult error = ch->Send(Post({"https://b.example/a.jpg"}));
  EXPECT_EQ(error.outcome, Outcome::kFailed);
  EXPECT_NE(error.reason.find("2207052"), std::string::npos) << error.reason;
  EXPECT_FALSE(ch->ContainerOf("msg_1").has_value());

  // An expired container at publishing: retry with a new one.
  http_.Answer(200, Id("c3"));
  http_.Answer(200, StatusCode("FINISHED"));
  http_.Answer(400, GraphError(-2, 2207020, "The media you are trying to access has expired"));
  DeliveryResult expired = ch->Send(Post({"https://b.example/a.jpg"}));
  EXPECT_EQ(expired.outcome, Outcome::kRetry) << expired.reason;
  EXPECT_FALSE(ch->ContainerOf("msg_1").has_value());

  // Refusals at the container step fail.
  http_.Answer(400, GraphError(190, 0, "Invalid OAuth access token"));
  DeliveryResult token = ch->Send(Post({"https://b.example/a.jpg"}));
  EXPECT_EQ(token.outcome, Outcome::kFailed);
  EXPECT_NE(token.reason.find("creating the media container"), std::string::npos);
  http_.Answer(400, GraphError(613, 0, "Calls to this api have exceeded the rate limit."));
  DeliveryResult rate = ch->Send(Post({"https://b.example/a.jpg"}));
  EXPECT_EQ(rate.outcome, Outcome::kRetry);
  EXPECT_TRUE(rate.rate_limited);
  // A lost answer to the container request made no post: retry.
  http_.Fail(HttpResponse::Transport::kLost, "timed out");
  EXPECT_EQ(ch->Send(Post({"https://b.example/a.jpg"})).outcome, Outcome::kRetry);
}

TEST_F(InstagramTest, LookupOfMediaAndContainers) {
  auto ch = Channel();
  http_.Answer(200, R"({"id":"m1","permalink":"https://www.instagram.com/p/ABC/"})");
  LookupResult there = ch->Lookup("m1");
  EXPECT_EQ(there.presence, Presence::kPresent) << there.reason;
  EXPECT_EQ(there.permalink, "https://www.instagram.com/p/ABC/");
  EXPECT_EQ(http_.last().url, std::string(kBase) + "m1?fields=id,permalink");

  http_.Answer(400, GraphError(100, 33, "Object with ID 'm1' does not exist"));
  EXPECT_EQ(ch->Lookup("m1").presence, Presence::kMissing);

  // A container's id (a publish whose answer was lost): its status decides.
  http_.Answer(400, GraphError(100, 0, "(#100) Tried accessing nonexisting field (permalink)"));
  http_.Answer(200, StatusCode("PUBLISHED"));
  EXPECT_EQ(ch->Lookup("c1").presence, Presence::kPresent);
  EXPECT_EQ(http_.last().url, std::string(kBase) + "c1?fields=status_code");
  http_.Answer(400, GraphError(100, 0, "(#100) Tried accessing nonexisting field (permalink)"));
  http_.Answer(200, StatusCode("EXPIRED"));
  EXPECT_EQ(ch->Lookup("c1").presence, Presence::kMissing);

  http_.Answer(500, GraphError(2, 0, "Service temporarily unavailable"));
  EXPECT_EQ(ch->Lookup("m1").presence, Presence::kUnknown);
  http_.Answer(400, GraphError(4, 0, "Application request limit reached"));
  EXPECT_EQ(ch->Lookup("m1").presence, Presence::kUnknown);
}

}  // namespace
}  // namespace lifeline::channels::instagram
