// The Facebook Page channel: config, checks, POST /{page-id}/feed and its answers, lookups
// (facebook.h).
#include "channels/facebook/facebook.h"

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "channels/meta_graph.h"

namespace lifeline::channels::facebook {

namespace yaml = config::yaml;
using adapter::FailAt;
using adapter::FailUrl;
using core::Error;
using core::ErrorCode;
using core::Result;
using core::Status;

namespace {

std::optional<adapter::Problem> Validate(const FacebookPageConfig& c) {
  if (!adapter::IsDigits(c.page_id)) {
    return adapter::Problem{"page_id", fmt::format("'{}' is not a Page id (digits)", c.page_id)};
  }
  if (!adapter::IsGraphVersion(c.api_version)) {
    return adapter::Problem{"api_version",
                            fmt::format("'{}' is not a Graph API version (v21.0)", c.api_version)};
  }
  return std::nullopt;
}

std::string Base(const FacebookPageConfig& c) {
  return fmt::format("{}/{}", c.api_base, c.api_version);
}

}  // namespace

Result<FacebookPageConfig> ConfigFromYaml(const BuildContext& ctx, const yaml::Fields& fields) {
  LL_TRY(adapter::CheckKeys(ctx, fields, {"page_id", "page_token", "api_version", "api_base"}));
  auto c = adapter::ConfigFor<FacebookPageConfig>(ctx);
  LL_ASSIGN(c.page_id, adapter::RequiredString(ctx, fields, "page_id", "the Page's id (digits)"));
  LL_ASSIGN(c.page_token, adapter::RequiredSecret(ctx, fields, "page_token",
                                                  "a Page access token with pages_manage_posts"));
  LL_ASSIGN(std::string version, adapter::OptionalString(ctx, fields, "api_version", "v21.0"));
  if (!version.empty()) c.api_version = version;
  LL_ASSIGN(c.api_base, adapter::OptionalSecureBase(ctx, fields, "api_base", c.api_base));
  if (auto p = Validate(c)) return adapter::FailProblem(ctx, fields, *p);
  return c;
}

Result<FacebookPageConfig> ConfigFromUrl(const BuildContext& ctx, const AppriseUrl& url) {
  LL_TRY(adapter::CheckUrlQuery(ctx, url, {"api_version", "api_base"}));
  if (url.user.empty() || url.host.empty() || !url.path.empty()) {
    return FailUrl(ctx, "expected facebook://PAGE_TOKEN@PAGE_ID");
  }
  auto c = adapter::ConfigFor<FacebookPageConfig>(ctx);
  c.page_token = url.password.empty() ? url.user : url.password;
  c.page_id = url.host;
  if (std::string v = adapter::QueryValue(url, "api_version"); !v.empty()) c.api_version = v;
  LL_ASSIGN(c.api_base, adapter::QuerySecureBase(ctx, url, "api_base", c.api_base));
  if (auto p = Validate(c)) return FailUrl(ctx, p->key + ": " + p->what);
  return c;
}

FacebookPageChannel::FacebookPageChannel(std::string name, FacebookPageConfig config,
                                         HttpClient* http)
    : HttpChannel(std::move(config), http) {
  // Meta documents no posting rate for Pages, only the Page's call budget (4,800 calls times its
  // engaged users per 24 hours) and spam checks on bursts (368): one post every 10 seconds,
  // bursts of 10. POST /feed takes no idempotency key: a lost answer is unconfirmed.
  info_ = adapter::MakeInfo(std::move(name), "facebook_page", config_.platform, config_.page_id,
                            {.max_chars = kMaxChars,
                             .rate_per_second = 0.1,
                             .burst = 10,
                             .deduplicates = false,
                             .public_post = true,
                             .carries_media = true});
}

Status FacebookPageChannel::Check(const OutgoingMessage& message) const {
  LL_TRY(adapter::CheckPostText(info_.name, message.text, "post"));
  return adapter::CheckLimit(info_.name, adapter::CodePoints(message.text), kMaxChars, "characters",
                             "a Facebook Page post");
}

HttpRequest FacebookPageChannel::BuildRequest(const OutgoingMessage& message) const {
  nlohmann::json body = {{"message", message.text}};
  // The feed takes one link, shown as a preview; further media links are not attached.
  if (!message.media.empty()) body["link"] = message.media.front();
  return graph::Post(fmt::format("{}/{}/feed", Base(config_), config_.page_id), body,
                     config_.page_token, config_.timeout);
}

DeliveryResult ClassifyAnswer(const HttpResponse& response) {
  adapter::Reading reading;
  if (adapter::StatusOutcome(response.status) == Outcome::kDelivered) {
    auto j = adapter::ParseJson(response.body);
    std::string id = j ? adapter::MemberText(*j, "id") : "";
    reading = adapter::Accepted(
        id, fmt::format("posted {} on the Page", id),
        fmt::format("HTTP {} without the post id: the post may or may not exist", response.status));
  } else {
    reading = graph::ReadFailure(response, "Facebook");
  }
  return adapter::Classify(response, /*deduplicates=*/false, reading);
}

DeliveryResult FacebookPageChannel::Deliver(const OutgoingMessage& message) {
  return ClassifyAnswer(http_->Do(BuildRequest(message)));
}

LookupResult FacebookPageChannel::Lookup(const std::string& remote_id) {
  using Presence = LookupResult::Presence;
  HttpResponse r =
      http_->Do(graph::Get(fmt::format("{}/{}?fields=id,is_published,permalink_url", Base(config_),
                                       adapter::EncodePathSegment(remote_id)),
                           config_.page_token, config_.timeout));
  if (r.transport != HttpResponse::Transport::kAnswered || r.status != 200) {
    return graph::LookupFailure(r, "post");
  }
  auto j = adapter::ParseJson(r.body);
  if (!j || adapter::MemberText(*j, "id").empty()) {
    return {Presence::kUnknown, "HTTP 200 without the post's id: not Graph's answer", ""};
  }
  std::string permalink = adapter::MemberText(*j, "permalink_url");
  auto published = j->find("is_published");
  if (published != j->end() && published->is_boolean() && !published->get<bool>()) {
    return {Presence::kMissing, fmt::format("post {} exists but is not published", remote_id),
            permalink};
  }
  return {Presence::kPresent, fmt::format("post {} is on the Page", remote_id), permalink};
}

namespace {

Result<std::unique_ptr<Channel>> FromYaml(const BuildContext& ctx, const yaml::Fields& fields) {
  return adapter::MakeChannel<FacebookPageChannel>("facebook_page", ctx,
                                                   ConfigFromYaml(ctx, fields));
}

Result<std::unique_ptr<Channel>> FromUrl(const BuildContext& ctx, const AppriseUrl& url) {
  return adapter::MakeChannel<FacebookPageChannel>("facebook_page", ctx, ConfigFromUrl(ctx, url));
}

}  // namespace

const Kind kKind = {"facebook_page", {"facebook"}, "facebook", FromYaml, FromUrl};

}  // namespace lifeline::channels::facebook
