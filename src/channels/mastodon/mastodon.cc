// The Mastodon channel: config, checks, POST /api/v1/statuses and its answers (mastodon.h).
#include "channels/mastodon/mastodon.h"

#include <cctype>
#include <cstdio>
#include <ctime>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "channels/http_adapter.h"
#include "channels/post_text.h"

namespace lifeline::channels::mastodon {

namespace yaml = config::yaml;
using adapter::FailAt;
using adapter::FailUrl;
using core::Error;
using core::ErrorCode;
using core::Result;
using core::Status;

namespace {

Status CheckVisibility(std::string_view v) {
  if (v == "public" || v == "unlisted" || v == "private" || v == "direct") return core::Ok();
  return Error(ErrorCode::kInvalidArgument,
               fmt::format("'{}' is not a visibility (public, unlisted, private or direct)", v));
}

Status CheckLanguage(std::string_view v) {
  bool ok = (v.size() == 2 || v.size() == 3) && std::all_of(v.begin(), v.end(), [](char c) {
              return std::islower(static_cast<unsigned char>(c));
            });
  if (ok) return core::Ok();
  return Error(ErrorCode::kInvalidArgument,
               fmt::format("'{}' is not an ISO 639 language code (e.g. en, de, pt)", v));
}

// Mastodon's X-RateLimit-Reset: "2024-12-05T03:00:00.000000Z" (ISO 8601, UTC).
std::optional<std::chrono::system_clock::time_point> ParseIsoTime(std::string_view s) {
  int y, mo, d, h, mi, sec;
  std::string copy(s.substr(0, 19));
  if (std::sscanf(copy.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &sec) != 6) {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  std::time_t t = timegm(&tm);
  if (t == -1) return std::nullopt;
  return std::chrono::system_clock::from_time_t(t);
}

std::string ErrorText(const HttpResponse& r) {
  auto j = adapter::ParseJson(r.body);
  if (j) {
    std::string e = adapter::MemberText(*j, "error");
    if (!e.empty()) return adapter::OneLine(e);
  }
  return adapter::OneLine(r.body, 120);
}

Status Validate(const MastodonConfig& c) {
  LL_TRY(CheckVisibility(c.visibility));
  if (!c.language.empty()) LL_TRY(CheckLanguage(c.language));
  return core::Ok();
}

}  // namespace

Result<MastodonConfig> ConfigFromYaml(const BuildContext& ctx, const yaml::Fields& fields) {
  LL_TRY(adapter::CheckKeys(ctx, fields,
                            {"server", "access_token", "visibility", "language", "max_chars"}));
  auto c = adapter::ConfigFor<MastodonConfig>(ctx);
  LL_ASSIGN(
      std::string server,
      adapter::RequiredString(ctx, fields, "server", "the instance, e.g. https://mastodon.social"));
  auto base = adapter::CheckSecureBase(server);
  if (!base.ok()) return FailAt(ctx, *fields.Find("server"), base.error().message());
  c.server = *base;
  LL_ASSIGN(c.access_token, adapter::RequiredSecret(ctx, fields, "access_token",
                                                    "an access token with write:statuses"));
  if (const yaml::Field* f = fields.Find("visibility")) {
    LL_ASSIGN(c.visibility, yaml::GetNonEmpty(ctx.doc, f->value, f->where, "a visibility"));
    if (auto s = CheckVisibility(c.visibility); !s.ok())
      return FailAt(ctx, *f, s.error().message());
  }
  if (const yaml::Field* f = fields.Find("language")) {
    LL_ASSIGN(c.language, yaml::GetNonEmpty(ctx.doc, f->value, f->where, "a language code"));
    if (auto s = CheckLanguage(c.language); !s.ok()) return FailAt(ctx, *f, s.error().message());
  }
  if (const yaml::Field* f = fields.Find("max_chars")) {
    LL_ASSIGN(long long n, yaml::GetInt(ctx.doc, f->value, f->where, 1, 100000));
    c.max_chars = static_cast<std::size_t>(n);
  }
  return c;
}

Result<MastodonConfig> ConfigFromUrl(const BuildContext& ctx, const AppriseUrl& url) {
  LL_TRY(adapter::CheckUrlQuery(ctx, url, {"visibility", "language", "max_chars"}));
  if (!url.path.empty()) {
    return FailUrl(ctx,
                   "targets after the host send direct messages in Apprise; Lifeline posts "
                   "statuses to the audience (remove them, or use visibility=direct)");
  }
  auto c = adapter::ConfigFor<MastodonConfig>(ctx);
  // Apprise: mastodon://{token}@{host}; the token sits where a user name would.
  c.access_token = url.password.empty() ? url.user : url.password;
  if (c.access_token.empty()) return FailUrl(ctx, "no access token (mastodons://TOKEN@host)");
  if (url.host.empty()) return FailUrl(ctx, "no instance host (mastodons://TOKEN@host)");
  bool tls = url.scheme == "mastodons" || url.scheme == "toots";
  std::string host = url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
  std::string server = fmt::format("{}://{}{}", tls ? "https" : "http", host,
                                   url.port != 0 ? ":" + std::to_string(url.port) : "");
  auto base = adapter::CheckSecureBase(server);
  if (!base.ok()) {
    return FailUrl(ctx, fmt::format("{} (use mastodons:// for https)", base.error().message()));
  }
  c.server = *base;
  if (std::string v = adapter::QueryValue(url, "visibility"); !v.empty()) c.visibility = v;
  c.language = adapter::QueryValue(url, "language");
  if (std::string m = adapter::QueryValue(url, "max_chars"); !m.empty()) {
    char* end = nullptr;
    long n = std::strtol(m.c_str(), &end, 10);
    if (*end != '\0' || n < 1 || n > 100000) return FailUrl(ctx, "max_chars must be 1 to 100000");
    c.max_chars = static_cast<std::size_t>(n);
  }
  if (auto s = Validate(c); !s.ok()) return FailUrl(ctx, s.error().message());
  return c;
}

MastodonChannel::MastodonChannel(std::string name, MastodonConfig config, HttpClient* http)
    : HttpChannel(std::move(config), http) {
  // Mastodon's RateLimiter allows 300 statuses per account per 3 hours (app/lib/rate_limiter.rb).
  // A token bucket cannot model a fixed window exactly: 250 per 3 hours with a burst of 50 never
  // exceeds 300 in any 3 hours. POST /api/v1/statuses honours Idempotency-Key (kept for an hour):
  // a retry after a lost answer returns the status the first request made.
  info_ = adapter::MakeInfo(std::move(name), "mastodon", config_.platform, config_.server,
                            {.max_chars = config_.max_chars,
                             .rate_per_second = 250.0 / (3 * 3600),
                             .burst = 50,
                             .deduplicates = true,
                             .public_post = true});
}

Status MastodonChannel::Check(const OutgoingMessage& message) const {
  LL_TRY(adapter::CheckPostText(info_.name, message.text, "status"));
  return adapter::CheckLimit(info_.name, post_text::MastodonLength(message.text), config_.max_chars,
                             "characters (links count 23)", "this Mastodon instance");
}

HttpRequest MastodonChannel::BuildRequest(const OutgoingMessage& message) const {
  nlohmann::json body = {{"status", message.text}, {"visibility", config_.visibility}};
  if (!config_.language.empty()) body["language"] = config_.language;
  HttpRequest req =
      adapter::JsonPost(config_.server + "/api/v1/statuses", adapter::Dump(body), config_.timeout);
  req.headers.emplace_back("Authorization", "Bearer " + config_.access_token);
  // The same key on every attempt of one message: Mastodon answers a repeat with the status the
  // first request created.
  req.headers.emplace_back("Idempotency-Key",
                           message.idempotency_key.empty() ? message.id : message.idempotency_key);
  return req;
}

DeliveryResult ClassifyAnswer(const HttpResponse& response,
                              std::chrono::system_clock::time_point now) {
  int s = response.status;
  adapter::Reading reading;
  if (adapter::StatusOutcome(s) == Outcome::kDelivered) {
    auto j = adapter::ParseJson(response.body);
    std::string id = j ? adapter::MemberText(*j, "id") : "";
    if (id.empty()) {
      // Accepted, but not the Status entity the API documents: a proxy or not Mastodon at all.
      // Another try may well post it (the key deduplicates only on Mastodon itself).
      reading.verdict = adapter::Verdict::kRetry;
      reading.wait.retry_after_header = false;
      reading.reason =
          fmt::format("HTTP {} without a status id: is the server a Mastodon instance?", s);
    } else {
      reading.verdict = adapter::Verdict::kDelivered;
      reading.remote_id = id;
      std::string url = adapter::MemberText(*j, "url");
      reading.reason = url.empty() ? fmt::format("posted status {}", id)
                                   : fmt::format("posted status {} ({})", id, url);
    }
  } else {
    reading.detail = ErrorText(response);
    const std::string& detail = reading.detail;
    if (s == 429) {
      // Mastodon's own signal: X-RateLimit-Reset, when the window ends.
      if (auto reset = ParseIsoTime(response.Header("x-ratelimit-reset"))) {
        reading.wait.reset = adapter::Until(*reset, now);
      }
    } else if (s == 401) {
      reading.reason = fmt::format("Mastodon refused the access token (HTTP 401): {}", detail);
    } else if (s == 403) {
      reading.reason = fmt::format(
          "Mastodon forbids it (HTTP 403; the token needs write:statuses, or the account is "
          "limited): {}",
          detail);
    } else if (s == 422) {
      reading.reason = fmt::format("Mastodon refused the status (HTTP 422): {}", detail);
    } else if (s == 404) {
      reading.reason = fmt::format("no Mastodon API at this server (HTTP 404): {}", detail);
    }
  }
  // The Idempotency-Key makes a retry after a lost answer safe.
  return adapter::Classify(response, /*deduplicates=*/true, reading);
}

DeliveryResult MastodonChannel::Deliver(const OutgoingMessage& message) {
  return ClassifyAnswer(http_->Do(BuildRequest(message)), std::chrono::system_clock::now());
}

LookupResult MastodonChannel::Lookup(const std::string& remote_id) {
  using Presence = LookupResult::Presence;
  HttpRequest req;
  req.method = "GET";
  req.url = config_.server + "/api/v1/statuses/" + adapter::EncodePathSegment(remote_id);
  req.headers.emplace_back("Accept", "application/json");
  req.headers.emplace_back("Authorization", "Bearer " + config_.access_token);
  req.timeout = config_.timeout;
  req.connect_timeout = std::min(config_.timeout, std::chrono::milliseconds(5000));
  HttpResponse r = http_->Do(req);
  if (r.transport != HttpResponse::Transport::kAnswered) {
    return {Presence::kUnknown, fmt::format("no answer: {}", r.error), ""};
  }
  if (r.status == 200) {
    auto j = adapter::ParseJson(r.body);
    if (!j || adapter::MemberText(*j, "id").empty()) {
      return {Presence::kUnknown,
              "HTTP 200 without a status id: is the server a Mastodon instance?", ""};
    }
    return {Presence::kPresent, fmt::format("status {} is there", remote_id),
            adapter::MemberText(*j, "url")};
  }
  if (r.status == 404 || r.status == 410) {
    return {
        Presence::kMissing,
        fmt::format("Mastodon has no status {} (HTTP {}): {}", remote_id, r.status, ErrorText(r)),
        ""};
  }
  return {Presence::kUnknown,
          fmt::format("the lookup failed (HTTP {}): {}", r.status, ErrorText(r)), ""};
}

namespace {

Result<std::unique_ptr<Channel>> FromYaml(const BuildContext& ctx, const yaml::Fields& fields) {
  return adapter::MakeChannel<MastodonChannel>("mastodon", ctx, ConfigFromYaml(ctx, fields));
}

Result<std::unique_ptr<Channel>> FromUrl(const BuildContext& ctx, const AppriseUrl& url) {
  return adapter::MakeChannel<MastodonChannel>("mastodon", ctx, ConfigFromUrl(ctx, url));
}

}  // namespace

const Kind kKind = {
    "mastodon", {"mastodon", "mastodons", "toot", "toots"}, "mastodon", FromYaml, FromUrl};

}  // namespace lifeline::channels::mastodon
