// The Instagram publishing channel: posts to an Instagram professional account with the Content
// Publishing API's container-then-publish flow
// (https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/content-publishing):
//   1. POST /{ig-user-id}/media — a container: image_url (one image), media_type=REELS with
//      video_url (one .mp4/.mov link), or, for 2 to 10 links, one child container per link
//      (is_carousel_item) and a parent with media_type=CAROUSEL and children; `caption` = the text;
//   2. GET /{container-id}?fields=status_code,status until FINISHED (ERROR and EXPIRED fail);
//   3. POST /{ig-user-id}/media_publish with creation_id -> {"id": the media id} = remote_id.
// The container made for an outbox message is kept (in memory) so a retry publishes it instead
// of making another, unless it is 24 hours old: containers expire then. Config from YAML
// (`type: instagram_post`; `type: instagram` is the messaging channel) or
// igpost://TOKEN@IG_USER_ID.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "channels/channel.h"
#include "channels/http.h"
#include "channels/http_adapter.h"
#include "channels/registry.h"
#include "core/clock.h"

namespace lifeline::channels::instagram {

// Caption limits the API enforces (IG User Media reference): 2,200 characters, 30 hashtags, 20
// @mentions.
inline constexpr std::size_t kMaxCaptionChars = 2200;
inline constexpr std::size_t kMaxHashtags = 30;
inline constexpr std::size_t kMaxMentions = 20;
inline constexpr std::size_t kMaxCarouselItems = 10;
// Containers not published within 24 hours expire (IG Container status_code EXPIRED).
inline constexpr std::chrono::hours kContainerLifetime{24};
// content_publishing_limit: quota_total 50 per quota_duration 86,400 s (IG User Content
// Publishing Limit reference); media_publish answers 9/2207042 past it.
inline constexpr int kPostsPerDay = 50;

struct InstagramConfig {
  std::string account_id;    // the Instagram professional account's id (digits)
  std::string access_token;  // with instagram_content_publish (secret)
  std::string api_version = "v21.0";
  std::string api_base = "https://graph.facebook.com";
  // How long one attempt waits for a container still IN_PROGRESS (video) before giving the
  // message back for a later retry; at most the request timeout.
  std::chrono::milliseconds publish_wait{10000};
  std::chrono::milliseconds poll_interval{1000};
  std::string platform = "instagram";
  std::chrono::milliseconds timeout{15000};
};

// YAML keys: account_id, access_token (a secret), api_version, api_base, publish_wait,
// poll_interval.
core::Result<InstagramConfig> ConfigFromYaml(const BuildContext& ctx,
                                             const config::yaml::Fields& fields);
// igpost://ACCESS_TOKEN@IG_USER_ID[?api_version=&api_base=]
core::Result<InstagramConfig> ConfigFromUrl(const BuildContext& ctx, const AppriseUrl& url);

// A link Instagram takes as video (the path ends in .mp4 or .mov, any case).
bool IsVideoUrl(std::string_view url);
// "@name" mentions as Instagram counts them: '@' at the start or after a character that is not a
// letter, digit, '_' or '.', followed by a letter, digit, '_' or '.'.
std::size_t CountMentions(std::string_view text);

// How an attempt waits: the clock tells the time (container ages, the wait's end) and `sleep`
// pauses between status polls. Tests pass a FakeClock and a sleep that advances it.
struct Waiting {
  core::Clock* clock = nullptr;                          // null = the real clock
  std::function<void(std::chrono::milliseconds)> sleep;  // null = std::this_thread::sleep_for
};

class InstagramChannel : public adapter::HttpChannel<InstagramConfig> {
 public:
  InstagramChannel(std::string name, InstagramConfig config, HttpClient* http,
                   Waiting waiting = {});

  // Needs 1 to 10 media links; the caption's limits above.
  core::Status Check(const OutgoingMessage& message) const override;
  // GET /{id}?fields=id,permalink: present with the permalink; 100/33 ("does not exist") or 404
  // missing. An id that is a container (a publish whose answer was lost) is judged by its
  // status_code: PUBLISHED present, EXPIRED/ERROR/unpublished missing.
  LookupResult Lookup(const std::string& remote_id) override;

  // The container kept for outbox message `message_id`, if any (tests, diagnostics).
  std::optional<std::string> ContainerOf(const std::string& message_id) const;

 private:
  struct Container {
    std::string id;
    std::chrono::system_clock::time_point created;
  };
  // A new container for `message` (children first for a carousel), or the failure.
  std::optional<std::string> CreateContainer(const OutgoingMessage& message,
                                             DeliveryResult* failure);
  std::optional<std::string> PostContainer(const nlohmann::json& body, DeliveryResult* failure);
  DeliveryResult Deliver(const OutgoingMessage& message) override;
  DeliveryResult Publish(const std::string& message_id, const std::string& container);
  void Forget(const std::string& message_id);
  std::string Url(std::string_view path) const;

  core::Clock& clock_;
  std::function<void(std::chrono::milliseconds)> sleep_;
  mutable std::mutex mu_;                        // guards containers_
  std::map<std::string, Container> containers_;  // by outbox message id
};

// One Graph answer of the publishing flow, classified: the Content Publishing error codes first
// (9/2207042 the daily limit: retry, rate limited, in an hour; -1 and -2 server-side failures and
// 9007/2207027 "not ready": retry), then meta_graph.h's ReadFailure.
adapter::Reading ReadPublishingFailure(const HttpResponse& response);

// type "instagram_post", scheme igpost.
extern const Kind kKind;

}  // namespace lifeline::channels::instagram
