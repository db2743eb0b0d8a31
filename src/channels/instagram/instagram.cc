// The Instagram publishing channel: config, caption checks, containers, status polls,
// media_publish and lookups (instagram.h).
#include "channels/instagram/instagram.h"

#include <algorithm>
#include <cctype>
#include <thread>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "channels/meta_graph.h"
#include "channels/post_text.h"

namespace lifeline::channels::instagram {

namespace yaml = config::yaml;
using adapter::FailAt;
using adapter::FailUrl;
using core::Error;
using core::ErrorCode;
using core::Result;
using core::Status;
using std::chrono::milliseconds;

namespace {

std::optional<adapter::Problem> Validate(InstagramConfig& c) {
  if (!adapter::IsDigits(c.account_id)) {
    return adapter::Problem{
        "account_id",
        fmt::format("'{}' is not an Instagram account id (digits, e.g. 17841400000000)",
                    c.account_id)};
  }
  if (!adapter::IsGraphVersion(c.api_version)) {
    return adapter::Problem{"api_version",
                            fmt::format("'{}' is not a Graph API version (v21.0)", c.api_version)};
  }
  if (c.publish_wait > c.timeout) {
    return adapter::Problem{"publish_wait",
                            fmt::format("{} ms is longer than the channel's timeout ({} ms)",
                                        c.publish_wait.count(), c.timeout.count())};
  }
  if (c.poll_interval < milliseconds(100)) {
    return adapter::Problem{"poll_interval", "at least 100ms (Meta suggests about once a minute)"};
  }
  return std::nullopt;
}

bool IsMentionChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.';
}

}  // namespace

bool IsVideoUrl(std::string_view url) {
  std::string_view path = url.substr(0, url.find_first_of("?#"));
  std::string tail(path.substr(path.size() >= 4 ? path.size() - 4 : 0));
  for (char& c : tail) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return tail == ".mp4" || tail == ".mov";
}

std::size_t CountMentions(std::string_view text) {
  std::size_t n = 0;
  for (std::size_t i = 0; i + 1 < text.size(); ++i) {
    if (text[i] != '@') continue;
    if (i > 0 && IsMentionChar(text[i - 1])) continue;  // an e-mail address
    if (IsMentionChar(text[i + 1]) && text[i + 1] != '.') ++n;
  }
  return n;
}

Result<InstagramConfig> ConfigFromYaml(const BuildContext& ctx, const yaml::Fields& fields) {
  LL_TRY(adapter::CheckKeys(
      ctx, fields,
      {"account_id", "access_token", "api_version", "api_base", "publish_wait", "poll_interval"}));
  auto c = adapter::ConfigFor<InstagramConfig>(ctx);
  c.publish_wait = std::min(c.publish_wait, c.timeout);
  LL_ASSIGN(c.account_id,
            adapter::RequiredString(ctx, fields, "account_id",
                                    "the Instagram professional account's id (digits)"));
  LL_ASSIGN(c.access_token,
            adapter::RequiredSecret(ctx, fields, "access_token",
                                    "an access token with instagram_content_publish"));
  LL_ASSIGN(std::string version, adapter::OptionalString(ctx, fields, "api_version", "v21.0"));
  if (!version.empty()) c.api_version = version;
  LL_ASSIGN(c.api_base, adapter::OptionalSecureBase(ctx, fields, "api_base", c.api_base));
  for (auto [key, target] :
       {std::pair{"publish_wait", &c.publish_wait}, std::pair{"poll_interval", &c.poll_interval}}) {
    if (const yaml::Field* f = fields.Find(key)) {
      LL_ASSIGN(*target, yaml::GetDuration(ctx.doc, f->value, f->where));
    }
  }
  if (auto p = Validate(c)) return adapter::FailProblem(ctx, fields, *p);
  return c;
}

Result<InstagramConfig> ConfigFromUrl(const BuildContext& ctx, const AppriseUrl& url) {
  LL_TRY(adapter::CheckUrlQuery(ctx, url, {"api_version", "api_base"}));
  if (url.user.empty() || url.host.empty() || !url.path.empty()) {
    return FailUrl(ctx, "expected igpost://ACCESS_TOKEN@IG_USER_ID");
  }
  auto c = adapter::ConfigFor<InstagramConfig>(ctx);
  c.publish_wait = std::min(c.publish_wait, c.timeout);
  c.access_token = url.password.empty() ? url.user : url.password;
  c.account_id = url.host;
  if (std::string v = adapter::QueryValue(url, "api_version"); !v.empty()) c.api_version = v;
  LL_ASSIGN(c.api_base, adapter::QuerySecureBase(ctx, url, "api_base", c.api_base));
  if (auto p = Validate(c)) return FailUrl(ctx, p->key + ": " + p->what);
  return c;
}

InstagramChannel::InstagramChannel(std::string name, InstagramConfig config, HttpClient* http,
                                   Waiting waiting)
    : HttpChannel(std::move(config), http),
      clock_(waiting.clock != nullptr ? *waiting.clock : core::RealClock()),
      sleep_(waiting.sleep ? std::move(waiting.sleep)
                           : [](milliseconds d) { std::this_thread::sleep_for(d); }) {
  // 50 published posts per rolling 24 hours (content_publishing_limit). A token bucket of 40 a
  // day with a burst of 10 never passes 50 in any 24 hours. Not deduplicating: the kept container
  // is lost with the process, so a lost publish answer is unconfirmed (Deliver first asks the
  // container whether it was published).
  info_ = adapter::MakeInfo(std::move(name), "instagram_post", config_.platform, config_.account_id,
                            {.max_chars = kMaxCaptionChars,
                             .rate_per_second = 40.0 / 86400,
                             .burst = 10,
                             .deduplicates = false,
                             .public_post = true,
                             .carries_media = true});
}

std::string InstagramChannel::Url(std::string_view path) const {
  return fmt::format("{}/{}/{}", config_.api_base, config_.api_version, path);
}

Status InstagramChannel::Check(const OutgoingMessage& message) const {
  const std::string& name = info_.name;
  if (message.media.empty()) {
    return core::MakeError(ErrorCode::kInvalidArgument,
                           "{}: Instagram posts need an image or video link (media)", name);
  }
  if (message.media.size() > kMaxCarouselItems) {
    return core::MakeError(ErrorCode::kInvalidArgument,
                           "{}: {} media links; an Instagram carousel holds at most {}", name,
                           message.media.size(), kMaxCarouselItems);
  }
  if (!adapter::IsValidUtf8(message.text)) {
    return core::MakeError(ErrorCode::kInvalidArgument, "{}: the caption is not UTF-8", name);
  }
  LL_TRY(adapter::CheckLimit(name, adapter::CodePoints(message.text), kMaxCaptionChars,
                             "characters", "an Instagram caption"));
  LL_TRY(adapter::CheckLimit(name, post_text::FindHashtags(message.text).size(), kMaxHashtags,
                             "hashtags", "an Instagram caption"));
  return adapter::CheckLimit(name, CountMentions(message.text), kMaxMentions, "@mentions",
                             "an Instagram caption");
}

adapter::Reading ReadPublishingFailure(const HttpResponse& response) {
  auto e = graph::ReadError(response);
  if (e) {
    std::string far = graph::FarCode(*e);
    std::string words = graph::Words(*e);
    adapter::Reading reading{.far_code = far};
    reading.wait.retry_after_header = false;
    if (e->code == 9 && e->subcode == 2207042) {
      // The rolling 24-hour window frees a slot when the oldest post of the day leaves it.
      reading.verdict = adapter::Verdict::kRateLimited;
      reading.wait.stated = std::chrono::hours(1);
      reading.reason =
          fmt::format("Instagram's publishing limit ({} posts in 24 hours) is reached ({}): {}",
                      kPostsPerDay, far, words);
      return reading;
    }
    if (e->code == -1 || e->code == -2 || (e->code == 9007 && e->subcode == 2207027)) {
      reading.verdict = adapter::Verdict::kRetry;
      reading.wait.stated = std::chrono::seconds(30);
      reading.reason = fmt::format("Instagram failed for now ({}), try later: {}", far, words);
      return reading;
    }
  }
  return graph::ReadFailure(response, "Instagram");
}

std::optional<std::string> InstagramChannel::PostContainer(const nlohmann::json& body,
                                                           DeliveryResult* failure) {
  HttpResponse r = http_->Do(
      graph::Post(Url(config_.account_id + "/media"), body, config_.access_token, config_.timeout));
  if (r.transport == HttpResponse::Transport::kAnswered &&
      adapter::StatusOutcome(r.status) == Outcome::kDelivered) {
    auto j = adapter::ParseJson(r.body);
    std::string id = j ? adapter::MemberText(*j, "id") : "";
    if (!id.empty()) return id;
    failure->outcome = Outcome::kRetry;
    failure->http_status = r.status;
    failure->reason =
        fmt::format("HTTP {} without a container id: is this the Graph API?", r.status);
    return std::nullopt;
  }
  // A container is not a post: a lost answer leaves nothing the audience sees, so a retry (with
  // a new container) is safe.
  *failure = adapter::Classify(r, /*deduplicates=*/true, ReadPublishingFailure(r));
  if (failure->outcome == Outcome::kFailed) {
    failure->reason = "creating the media container: " + failure->reason;
  }
  return std::nullopt;
}

std::optional<std::string> InstagramChannel::CreateContainer(const OutgoingMessage& message,
                                                             DeliveryResult* failure) {
  if (message.media.size() == 1) {
    const std::string& url = message.media.front();
    nlohmann::json body = {{"caption", message.text}};
    if (IsVideoUrl(url)) {
      // Since July 2023 every single video published through the API is a reel.
      body["media_type"] = "REELS";
      body["video_url"] = url;
    } else {
      body["image_url"] = url;
    }
    return PostContainer(body, failure);
  }
  nlohmann::json children = nlohmann::json::array();
  for (const std::string& url : message.media) {
    nlohmann::json child = {{"is_carousel_item", true}};
    if (IsVideoUrl(url)) {
      child["media_type"] = "VIDEO";
      child["video_url"] = url;
    } else {
      child["image_url"] = url;
    }
    auto id = PostContainer(child, failure);
    if (!id) return std::nullopt;
    children.push_back(*id);
  }
  return PostContainer(
      {{"media_type", "CAROUSEL"}, {"children", children}, {"caption", message.text}}, failure);
}

void InstagramChannel::Forget(const std::string& message_id) {
  std::lock_guard lock(mu_);
  containers_.erase(message_id);
}

std::optional<std::string> InstagramChannel::ContainerOf(const std::string& message_id) const {
  std::lock_guard lock(mu_);
  auto it = containers_.find(message_id);
  if (it == containers_.end()) return std::nullopt;
  return it->second.id;
}

DeliveryResult InstagramChannel::Publish(const std::string& message_id,
                                         const std::string& container) {
  HttpResponse r =
      http_->Do(graph::Post(Url(config_.account_id + "/media_publish"),
                            {{"creation_id", container}}, config_.access_token, config_.timeout));
  if (r.transport == HttpResponse::Transport::kLost) {
    // It may have been published: ask the container before anyone decides.
    HttpResponse s = http_->Do(
        graph::Get(Url(container + "?fields=status_code"), config_.access_token, config_.timeout));
    auto j = s.status == 200 ? adapter::ParseJson(s.body) : std::nullopt;
    if (j && adapter::MemberText(*j, "status_code") == "PUBLISHED") {
      Forget(message_id);
      DeliveryResult d;
      d.outcome = Outcome::kDelivered;
      d.remote_id = container;
      d.http_status = 200;
      d.reason = fmt::format(
          "the publish answer was lost, and container {} says PUBLISHED (its id stands for the "
          "post)",
          container);
      return d;
    }
  }
  adapter::Reading reading;
  if (r.transport == HttpResponse::Transport::kAnswered &&
      adapter::StatusOutcome(r.status) == Outcome::kDelivered) {
    auto j = adapter::ParseJson(r.body);
    std::string id = j ? adapter::MemberText(*j, "id") : "";
    reading = adapter::Accepted(
        id, fmt::format("published media {} (container {})", id, container),
        fmt::format("HTTP {} without the media id: the post may or may not exist", r.status));
  } else if (r.transport == HttpResponse::Transport::kAnswered) {
    reading = ReadPublishingFailure(r);
    auto e = graph::ReadError(r);
    if (e && e->subcode == 2207020) {
      // The container expired: the next attempt makes a new one.
      Forget(message_id);
      reading.verdict = adapter::Verdict::kRetry;
      reading.reason = "the container expired before it was published; a new one comes next: " +
                       graph::Words(*e);
    }
  }
  DeliveryResult d = adapter::Classify(r, /*deduplicates=*/false, reading);
  if (d.outcome == Outcome::kDelivered || d.outcome == Outcome::kFailed) Forget(message_id);
  return d;
}

DeliveryResult InstagramChannel::Deliver(const OutgoingMessage& message) {
  const auto start = clock_.Now();
  std::optional<Container> kept;
  bool recreated_old = false;
  {
    std::lock_guard lock(mu_);
    // Drop containers that can no longer be published (their messages moved on or expired).
    for (auto it = containers_.begin(); it != containers_.end();) {
      if (start - it->second.created >= kContainerLifetime) {
        recreated_old |= it->first == message.id;
        it = containers_.erase(it);
      } else {
        ++it;
      }
    }
    if (auto it = containers_.find(message.id); it != containers_.end()) kept = it->second;
  }
  bool reused = kept.has_value();
  for (int round = 0; round < 2; ++round) {
    if (!kept) {
      DeliveryResult failure;
      auto id = CreateContainer(message, &failure);
      if (!id) return failure;
      kept = Container{*id, clock_.Now()};
      std::lock_guard lock(mu_);
      containers_[message.id] = *kept;
    }
    const auto deadline = start + config_.publish_wait;
    while (true) {
      HttpResponse r = http_->Do(graph::Get(Url(kept->id + "?fields=status_code,status"),
                                            config_.access_token, config_.timeout));
      if (r.transport != HttpResponse::Transport::kAnswered ||
          adapter::StatusOutcome(r.status) != Outcome::kDelivered) {
        // Nothing was published by asking: the container stays for the retry.
        DeliveryResult d = adapter::Classify(r, /*deduplicates=*/true, ReadPublishingFailure(r));
        d.reason = fmt::format("checking container {}: {}", kept->id, d.reason);
        return d;
      }
      auto j = adapter::ParseJson(r.body);
      std::string code = j ? adapter::MemberText(*j, "status_code") : "";
      std::string detail = j ? adapter::MemberText(*j, "status") : "";
      if (code == "FINISHED") {
        DeliveryResult d = Publish(message.id, kept->id);
        if (recreated_old && d.outcome == Outcome::kDelivered) {
          d.reason +=
              "; the container of an earlier attempt was over 24 hours old and was made "
              "again";
        }
        return d;
      }
      if (code == "PUBLISHED") {
        Forget(message.id);
        DeliveryResult d;
        d.outcome = Outcome::kDelivered;
        d.remote_id = kept->id;
        d.http_status = r.status;
        d.reason = fmt::format(
            "container {} was already published by an earlier attempt (its id stands for the "
            "post)",
            kept->id);
        return d;
      }
      if (code == "IN_PROGRESS") {
        if (clock_.Now() + config_.poll_interval > deadline) {
          DeliveryResult d;
          d.outcome = Outcome::kRetry;
          d.http_status = r.status;
          d.retry_after = std::chrono::seconds(30);
          d.reason = fmt::format(
              "Instagram is still processing the media (container {} IN_PROGRESS); the next "
              "attempt publishes it",
              kept->id);
          return d;
        }
        sleep_(config_.poll_interval);
        continue;
      }
      if (code == "EXPIRED" && reused && round == 0) {
        // Older than we knew (the process restarted its clock, or Meta's is ahead): make a new one.
        Forget(message.id);
        kept.reset();
        reused = false;
        break;
      }
      DeliveryResult d;
      d.http_status = r.status;
      d.far_code = code;
      if (code == "ERROR" || code == "EXPIRED") {
        Forget(message.id);
        d.outcome = Outcome::kFailed;
        d.reason = code == "ERROR"
                       ? fmt::format(
                             "Instagram could not process the media (container {} ERROR: "
                             "{})",
                             kept->id, detail.empty() ? "no detail" : detail)
                       : fmt::format("container {} EXPIRED before it was published", kept->id);
      } else {
        d.outcome = Outcome::kRetry;
        d.reason = fmt::format("container {}: unexpected status_code '{}'", kept->id, code);
      }
      return d;
    }
  }
  DeliveryResult d;
  d.outcome = Outcome::kRetry;
  d.reason = "the container expired twice; trying again later";
  return d;
}

LookupResult InstagramChannel::Lookup(const std::string& remote_id) {
  using Presence = LookupResult::Presence;
  std::string id = adapter::EncodePathSegment(remote_id);
  HttpResponse r = http_->Do(
      graph::Get(Url(id + "?fields=id,permalink"), config_.access_token, config_.timeout));
  if (r.transport == HttpResponse::Transport::kAnswered && r.status == 200) {
    auto j = adapter::ParseJson(r.body);
    if (!j || adapter::MemberText(*j, "id").empty()) {
      return {Presence::kUnknown, "HTTP 200 without the media's id: not Graph's answer", ""};
    }
    return {Presence::kPresent, fmt::format("media {} is on the account", remote_id),
            adapter::MemberText(*j, "permalink")};
  }
  auto e = r.transport == HttpResponse::Transport::kAnswered ? graph::ReadError(r) : std::nullopt;
  if (!e || e->code != 100 || e->subcode == 33) return graph::LookupFailure(r, "media");
  // Error 100 without "does not exist": the id may be a container (no permalink field). Its
  // status says whether it was published.
  HttpResponse s =
      http_->Do(graph::Get(Url(id + "?fields=status_code"), config_.access_token, config_.timeout));
  if (s.transport != HttpResponse::Transport::kAnswered || s.status != 200) {
    return graph::LookupFailure(s, "media");
  }
  auto j = adapter::ParseJson(s.body);
  std::string code = j ? adapter::MemberText(*j, "status_code") : "";
  if (code == "PUBLISHED") {
    return {Presence::kPresent, fmt::format("container {} is PUBLISHED", remote_id), ""};
  }
  if (code.empty()) {
    return {Presence::kUnknown, fmt::format("media {}: {}", remote_id, graph::Words(*e)), ""};
  }
  return {Presence::kMissing,
          fmt::format("container {} was never published (status_code {})", remote_id, code), ""};
}

namespace {

Result<std::unique_ptr<Channel>> FromYaml(const BuildContext& ctx, const yaml::Fields& fields) {
  return adapter::MakeChannel<InstagramChannel>("instagram_post", ctx, ConfigFromYaml(ctx, fields));
}

Result<std::unique_ptr<Channel>> FromUrl(const BuildContext& ctx, const AppriseUrl& url) {
  return adapter::MakeChannel<InstagramChannel>("instagram_post", ctx, ConfigFromUrl(ctx, url));
}

}  // namespace

const Kind kKind = {"instagram_post", {"igpost"}, "instagram", FromYaml, FromUrl};

}  // namespace lifeline::channels::instagram
