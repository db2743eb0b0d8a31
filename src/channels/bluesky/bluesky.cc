// The Bluesky channel: config, session handling, records with facets, answers (bluesky.h).
#include "channels/bluesky/bluesky.h"

#include <algorithm>
#include <cctype>
#include <ctime>

#include <fmt/core.h>

#include "channels/http_adapter.h"
#include "channels/post_text.h"

namespace lifeline::channels::bluesky {

namespace yaml = config::yaml;
using adapter::FailAt;
using adapter::FailUrl;
using core::Error;
using core::ErrorCode;
using core::Result;
using core::Status;

namespace {

// app.bsky.feed.post: text maxGraphemes 300, maxLength 3000 (bytes).
constexpr std::size_t kMaxGraphemes = 300;
constexpr std::size_t kMaxBytes = 3000;

std::string NormalizeIdentifier(std::string id) {
  if (!id.empty() && id.front() == '@') id.erase(0, 1);
  for (char& c : id) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  // Apprise: a bare name is a bsky.social handle.
  bool label = !id.empty() && std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-';
  });
  if (label) {
    id += ".bsky.social";
  }
  return id;
}

Status CheckIdentifier(std::string_view id) {
  if (id.starts_with("did:plc:") || id.starts_with("did:web:")) return core::Ok();
  // A handle is a domain name (atproto handle syntax).
  bool ok = !id.empty() && id.size() <= 253 && id.find('.') != std::string_view::npos &&
            id.front() != '.' && id.back() != '.' && id.find("..") == std::string_view::npos;
  for (char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-') ok = false;
  }
  if (ok) return core::Ok();
  return Error(ErrorCode::kInvalidArgument,
               fmt::format("'{}' is not a Bluesky handle (e.g. brand.bsky.social) or DID", id));
}

Status CheckLanguage(std::string_view v) {
  bool ok = v.size() >= 2 && v.size() <= 8 && std::all_of(v.begin(), v.end(), [](char c) {
              return std::isalpha(static_cast<unsigned char>(c)) || c == '-';
            });
  if (ok) return core::Ok();
  return Error(ErrorCode::kInvalidArgument,
               fmt::format("'{}' is not a language tag (e.g. en, pt-BR)", v));
}

std::string IsoMillis(std::chrono::system_clock::time_point t) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}.{:03d}Z", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     static_cast<int>(ms % 1000));
}

// XRPC errors: {"error": "ExpiredToken", "message": "Token has expired"}.
std::pair<std::string, std::string> XrpcError(const HttpResponse& r) {
  auto j = adapter::ParseJson(r.body);
  if (!j) return {"", adapter::OneLine(r.body, 120)};
  return {adapter::MemberText(*j, "error"), adapter::OneLine(adapter::MemberText(*j, "message"))};
}

// An XRPC error answer, classified: a 429 is a rate limit (until RateLimit-Reset when there is no
// Retry-After), 408 and 5xx the far side failing for now, the rest refusals; `words` says each.
struct XrpcWords {
  std::string_view rate_limited;  // "rate limited (HTTP 429)"
  std::string_view failed;        // followed by " (HTTP 503)"
  std::string_view auth_refused;  // 401 (and 403 when `forbidden_is_auth`), with the status
  bool forbidden_is_auth;
  std::string_view refused;  // every other status, with the status
};
adapter::Reading ReadXrpcError(const HttpResponse& r, std::chrono::system_clock::time_point now,
                               const XrpcWords& words) {
  auto [name, message] = XrpcError(r);
  std::string said = message.empty() ? name : fmt::format("{}: {}", name, message);
  adapter::Reading reading{.verdict = adapter::Verdict::kFailed, .far_code = name};
  if (r.status == 429) {
    reading.verdict = adapter::Verdict::kRateLimited;
    if (auto reset = adapter::EpochHeader(r, "ratelimit-reset")) {
      reading.wait.reset = adapter::Until(*reset, now);
    }
    reading.reason = fmt::format("{}: {}", words.rate_limited, said);
  } else if (r.status >= 500 || r.status == 408) {
    reading.verdict = adapter::Verdict::kRetry;
    reading.reason = fmt::format("{} (HTTP {}): {}", words.failed, r.status, said);
  } else if (r.status == 401 || (r.status == 403 && words.forbidden_is_auth)) {
    reading.reason = fmt::format("{} (HTTP {}): {}", words.auth_refused, r.status, said);
  } else {
    reading.reason = fmt::format("{} (HTTP {}): {}", words.refused, r.status, said);
  }
  return reading;
}

// Whether an answer says the access token is no longer good (and a new session may fix it).
bool TokenExpired(const HttpResponse& r) {
  if (r.transport != HttpResponse::Transport::kAnswered) return false;
  if (r.status != 400 && r.status != 401) return false;
  return XrpcError(r).first == "ExpiredToken";
}
bool TokenRefused(const HttpResponse& r) {
  if (r.transport != HttpResponse::Transport::kAnswered || r.status != 401) return false;
  std::string e = XrpcError(r).first;
  return e == "InvalidToken" || e == "AuthenticationRequired" || e.empty();
}

DeliveryResult LoginFailure(const HttpResponse& r, std::chrono::system_clock::time_point now) {
  if (r.transport != HttpResponse::Transport::kAnswered) {
    // No post can have been made: only the login was in flight, so another try is safe.
    DeliveryResult out;
    out.outcome = Outcome::kRetry;
    out.reason = fmt::format("login (createSession) got no answer: {}", r.error);
    return out;
  }
  return adapter::ClassifyAnswered(
      r, ReadXrpcError(r, now,
                       {.rate_limited =
                            "login rate limited (createSession allows 30 per 5 minutes, 300 a day)",
                        .failed = "login failed on the far side",
                        .auth_refused = "Bluesky refused the handle or app password",
                        .forbidden_is_auth = false,
                        .refused = "login refused"}));
}

}  // namespace

Result<BlueskyConfig> ConfigFromYaml(const BuildContext& ctx, const yaml::Fields& fields) {
  LL_TRY(adapter::CheckKeys(ctx, fields, {"handle", "app_password", "service", "language"}));
  auto c = adapter::ConfigFor<BlueskyConfig>(ctx);
  LL_ASSIGN(std::string handle,
            adapter::RequiredString(ctx, fields, "handle", "the account, e.g. brand.bsky.social"));
  c.identifier = NormalizeIdentifier(handle);
  if (auto s = CheckIdentifier(c.identifier); !s.ok()) {
    return FailAt(ctx, *fields.Find("handle"), s.error().message());
  }
  LL_ASSIGN(c.app_password,
            adapter::RequiredSecret(ctx, fields, "app_password",
                                    "an app password from Settings > Privacy and security"));
  LL_ASSIGN(c.service, adapter::OptionalSecureBase(ctx, fields, "service", c.service));
  if (const yaml::Field* f = fields.Find("language")) {
    LL_ASSIGN(c.language, yaml::GetNonEmpty(ctx.doc, f->value, f->where, "a language tag"));
    if (auto s = CheckLanguage(c.language); !s.ok()) return FailAt(ctx, *f, s.error().message());
  }
  return c;
}

Result<BlueskyConfig> ConfigFromUrl(const BuildContext& ctx, const AppriseUrl& url) {
  LL_TRY(adapter::CheckUrlQuery(ctx, url, {"service", "language"}));
  if (!url.path.empty()) {
    return FailUrl(ctx, "nothing may follow the app password (bluesky://HANDLE@APP-PASSWORD)");
  }
  auto c = adapter::ConfigFor<BlueskyConfig>(ctx);
  // Apprise: {schema}://{user}@{password} — the app password sits where a host would.
  if (url.user.empty() || url.host.empty()) {
    return FailUrl(ctx, "expected bluesky://HANDLE@APP-PASSWORD");
  }
  c.identifier = NormalizeIdentifier(url.user);
  if (auto s = CheckIdentifier(c.identifier); !s.ok()) return FailUrl(ctx, s.error().message());
  c.app_password = url.password.empty() ? url.host : url.password;
  LL_ASSIGN(c.service, adapter::QuerySecureBase(ctx, url, "service", c.service));
  c.language = adapter::QueryValue(url, "language");
  if (!c.language.empty()) {
    if (auto s = CheckLanguage(c.language); !s.ok()) return FailUrl(ctx, s.error().message());
  }
  return c;
}

nlohmann::json BuildRecord(const std::string& text, const std::string& language,
                           std::chrono::system_clock::time_point created_at) {
  nlohmann::json record = {
      {"$type", "app.bsky.feed.post"}, {"text", text}, {"createdAt", IsoMillis(created_at)}};
  nlohmann::json facets = nlohmann::json::array();
  for (const post_text::Span& link : post_text::FindLinks(text)) {
    facets.push_back(
        {{"index", {{"byteStart", link.start}, {"byteEnd", link.end}}},
         {"features", {{{"$type", "app.bsky.richtext.facet#link"}, {"uri", link.value}}}}});
  }
  for (const post_text::Span& tag : post_text::FindHashtags(text)) {
    facets.push_back(
        {{"index", {{"byteStart", tag.start}, {"byteEnd", tag.end}}},
         {"features", {{{"$type", "app.bsky.richtext.facet#tag"}, {"tag", tag.value}}}}});
  }
  if (!facets.empty()) record["facets"] = facets;
  if (!language.empty()) record["langs"] = nlohmann::json::array({language});
  return record;
}

BlueskyChannel::BlueskyChannel(std::string name, BlueskyConfig config, HttpClient* http)
    : HttpChannel(std::move(config), http) {
  // max_chars: graphemes, really; Check counts them. The PDS budgets writes in points: 5,000 an
  // hour and 35,000 a day, a created record costing 3 (about 1,666 an hour, 11,666 a day). 0.13 a
  // second with a burst of 50 stays under both. createRecord has no idempotency key: a lost
  // answer leaves the post unconfirmed.
  info_ = adapter::MakeInfo(std::move(name), "bluesky", config_.platform, config_.identifier,
                            {.max_chars = kMaxGraphemes,
                             .rate_per_second = 0.13,
                             .burst = 50,
                             .deduplicates = false,
                             .public_post = true});
}

Status BlueskyChannel::Check(const OutgoingMessage& message) const {
  LL_TRY(adapter::CheckPostText(info_.name, message.text, "post"));
  LL_TRY(adapter::CheckLimit(info_.name, post_text::Graphemes(message.text), kMaxGraphemes,
                             "characters", "Bluesky"));
  return adapter::CheckLimit(info_.name, message.text.size(), kMaxBytes, "bytes of UTF-8",
                             "Bluesky");
}

std::optional<BlueskyChannel::Session> BlueskyChannel::Login(DeliveryResult* failure) {
  nlohmann::json body = {{"identifier", config_.identifier}, {"password", config_.app_password}};
  HttpRequest req = adapter::JsonPost(config_.service + "/xrpc/com.atproto.server.createSession",
                                      adapter::Dump(body), config_.timeout);
  HttpResponse r = http_->Do(req);
  if (r.transport == HttpResponse::Transport::kAnswered && r.status == 200) {
    auto j = adapter::ParseJson(r.body);
    Session s;
    if (j) {
      s.access_jwt = adapter::MemberText(*j, "accessJwt");
      s.refresh_jwt = adapter::MemberText(*j, "refreshJwt");
      s.did = adapter::MemberText(*j, "did");
    }
    if (!s.access_jwt.empty() && !s.did.empty()) {
      session_ = s;
      return s;
    }
    failure->outcome = Outcome::kRetry;
    failure->http_status = 200;
    failure->reason = "login answer without accessJwt and did: is the service a Bluesky PDS?";
    return std::nullopt;
  }
  *failure = LoginFailure(r, std::chrono::system_clock::now());
  return std::nullopt;
}

std::optional<BlueskyChannel::Session> BlueskyChannel::CurrentSession(DeliveryResult* failure) {
  std::lock_guard<std::mutex> lock(mu_);
  if (session_) return session_;
  return Login(failure);
}

std::optional<BlueskyChannel::Session> BlueskyChannel::Renewed(const Session& stale, Renew how,
                                                               DeliveryResult* failure) {
  std::lock_guard<std::mutex> lock(mu_);
  // Another send renewed it meanwhile: use theirs.
  if (session_ && session_->access_jwt != stale.access_jwt) return session_;
  session_.reset();
  if (how == Renew::kRefresh && !stale.refresh_jwt.empty()) {
    HttpRequest req = adapter::JsonPost(config_.service + "/xrpc/com.atproto.server.refreshSession",
                                        "", config_.timeout);
    req.headers.emplace_back("Authorization", "Bearer " + stale.refresh_jwt);
    HttpResponse r = http_->Do(req);
    if (r.transport == HttpResponse::Transport::kAnswered && r.status == 200) {
      auto j = adapter::ParseJson(r.body);
      Session s = stale;
      if (j) {
        s.access_jwt = adapter::MemberText(*j, "accessJwt");
        s.refresh_jwt = adapter::MemberText(*j, "refreshJwt");
        if (std::string did = adapter::MemberText(*j, "did"); !did.empty()) s.did = did;
      }
      if (!s.access_jwt.empty()) {
        session_ = s;
        return s;
      }
    }
    // An expired or revoked refresh token: log in again below.
  }
  return Login(failure);
}

HttpResponse BlueskyChannel::CreateRecord(const Session& session, const OutgoingMessage& message) {
  nlohmann::json body = {
      {"repo", session.did},
      {"collection", "app.bsky.feed.post"},
      {"record", BuildRecord(message.text, config_.language, std::chrono::system_clock::now())}};
  HttpRequest req = adapter::JsonPost(config_.service + "/xrpc/com.atproto.repo.createRecord",
                                      adapter::Dump(body), config_.timeout);
  req.headers.emplace_back("Authorization", "Bearer " + session.access_jwt);
  return http_->Do(req);
}

DeliveryResult ClassifyRecordAnswer(const HttpResponse& r,
                                    std::chrono::system_clock::time_point now) {
  adapter::Reading reading;
  if (r.status == 200) {
    auto j = adapter::ParseJson(r.body);
    std::string uri = j ? adapter::MemberText(*j, "uri") : "";
    if (!uri.starts_with("at://")) uri.clear();
    // A 200 without a record URI is not the documented answer; something in between answered.
    // Whether the post exists is unknown, and createRecord cannot deduplicate.
    reading = adapter::Accepted(uri, fmt::format("posted {}", uri),
                                "HTTP 200 without a record uri: the post may or may not exist");
  } else {
    reading = ReadXrpcError(r, now,
                            {.rate_limited = "rate limited (HTTP 429)",
                             .failed = "the PDS failed",
                             .auth_refused = "Bluesky refused the session",
                             .forbidden_is_auth = true,
                             .refused = "Bluesky refused the post"});
  }
  // createRecord has no idempotency key.
  return adapter::Classify(r, /*deduplicates=*/false, reading);
}

DeliveryResult BlueskyChannel::Deliver(const OutgoingMessage& message) {
  DeliveryResult failure;
  std::optional<Session> session = CurrentSession(&failure);
  if (!session) return failure;
  HttpResponse r = CreateRecord(*session, message);
  // An expired access token (they last about two hours) or a revoked session: renew once and
  // post again. Safe: the refusal was an answer, so nothing was created.
  if (TokenExpired(r) || TokenRefused(r)) {
    session = Renewed(*session, TokenExpired(r) ? Renew::kRefresh : Renew::kLogin, &failure);
    if (!session) return failure;
    r = CreateRecord(*session, message);
  }
  return ClassifyRecordAnswer(r, std::chrono::system_clock::now());
}

HttpResponse BlueskyChannel::GetPosts(const Session& session, const std::string& uri) {
  HttpRequest req;
  req.method = "GET";
  req.url = config_.service + "/xrpc/app.bsky.feed.getPosts?uris=" + adapter::EncodeQueryValue(uri);
  req.headers.emplace_back("Accept", "application/json");
  req.headers.emplace_back("Authorization", "Bearer " + session.access_jwt);
  req.timeout = config_.timeout;
  req.connect_timeout = std::min(config_.timeout, std::chrono::milliseconds(5000));
  return http_->Do(req);
}

LookupResult BlueskyChannel::Lookup(const std::string& remote_id) {
  using Presence = LookupResult::Presence;
  // at://DID/app.bsky.feed.post/RKEY, as createRecord answered.
  constexpr std::string_view kCollection = "/app.bsky.feed.post/";
  auto at = remote_id.find(kCollection);
  if (!remote_id.starts_with("at://") || at == std::string::npos) {
    return {Presence::kUnknown, fmt::format("'{}' is not an app.bsky.feed.post URI", remote_id),
            ""};
  }
  DeliveryResult failure;
  std::optional<Session> session = CurrentSession(&failure);
  if (!session) return {Presence::kUnknown, "no session: " + failure.reason, ""};
  HttpResponse r = GetPosts(*session, remote_id);
  if (TokenExpired(r) || TokenRefused(r)) {
    session = Renewed(*session, TokenExpired(r) ? Renew::kRefresh : Renew::kLogin, &failure);
    if (!session) return {Presence::kUnknown, "no session: " + failure.reason, ""};
    r = GetPosts(*session, remote_id);
  }
  if (r.transport != HttpResponse::Transport::kAnswered) {
    return {Presence::kUnknown, fmt::format("no answer: {}", r.error), ""};
  }
  if (r.status == 200) {
    auto j = adapter::ParseJson(r.body);
    if (!j || !j->contains("posts") || !(*j)["posts"].is_array()) {
      return {Presence::kUnknown, "HTTP 200 without posts: not the AppView's answer", ""};
    }
    for (const auto& post : (*j)["posts"]) {
      if (adapter::MemberText(post, "uri") != remote_id) continue;
      std::string did = remote_id.substr(5, at - 5);
      std::string rkey = remote_id.substr(at + kCollection.size());
      return {Presence::kPresent, fmt::format("post {} is there", remote_id),
              fmt::format("https://bsky.app/profile/{}/post/{}", did, rkey)};
    }
    // getPosts leaves out what it cannot find (deleted, or taken down).
    return {Presence::kMissing, fmt::format("Bluesky has no post {} (getPosts: none)", remote_id),
            ""};
  }
  auto [name, message] = XrpcError(r);
  if (name == "NotFound" || name == "RecordNotFound" || r.status == 404) {
    return {Presence::kMissing,
            fmt::format("Bluesky has no post {} ({}: {})", remote_id, name, message), ""};
  }
  return {Presence::kUnknown,
          fmt::format("the lookup failed (HTTP {}): {}{}", r.status, name,
                      message.empty() ? "" : ": " + message),
          ""};
}

namespace {

Result<std::unique_ptr<Channel>> FromYaml(const BuildContext& ctx, const yaml::Fields& fields) {
  return adapter::MakeChannel<BlueskyChannel>("bluesky", ctx, ConfigFromYaml(ctx, fields));
}

Result<std::unique_ptr<Channel>> FromUrl(const BuildContext& ctx, const AppriseUrl& url) {
  return adapter::MakeChannel<BlueskyChannel>("bluesky", ctx, ConfigFromUrl(ctx, url));
}

}  // namespace

const Kind kKind = {"bluesky", {"bluesky", "bsky"}, "bluesky", FromYaml, FromUrl};

}  // namespace lifeline::channels::bluesky
