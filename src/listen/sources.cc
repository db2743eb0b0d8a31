// The sources (sources.h): each API's requests, paging and rate limits over channels::HttpClient.
#include "listen/sources.h"

#include <algorithm>
#include <mutex>
#include <variant>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sources/feed.h"

namespace lifeline::listen {
namespace {

using channels::HttpRequest;
using channels::HttpResponse;
using nlohmann::json;
using namespace std::chrono;

std::string Encode(std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string QueryString(const std::vector<std::pair<std::string, std::string>>& q) {
  std::string out;
  for (const auto& [k, v] : q) {
    out += out.empty() ? "?" : "&";
    out += Encode(k) + "=" + Encode(v);
  }
  return out;
}

std::string FormatIso(TimePoint t) { return core::FormatTime(time_point_cast<milliseconds>(t)); }

// Bigger of two decimal ids (snowflakes of different lengths compare by length first).
bool IdLess(const std::string& a, const std::string& b) {
  return a.size() != b.size() ? a.size() < b.size() : a < b;
}

// What every source shares: one GET/POST with the body cap and the answer classified.
class Base : public Source {
 public:
  Base(SourceConfig config, channels::HttpClient& http, std::size_t max_body)
      : config_(std::move(config)), http_(http), max_body_(max_body) {}
  const SourceConfig& config() const override { return config_; }

 protected:
  struct Answer {
    HttpResponse r;
    std::optional<PollResult> failure;  // set when the answer is not a usable 2xx
  };

  Answer Call(HttpRequest req, TimePoint now, std::string_view what) {
    req.timeout = config_.timeout;
    req.connect_timeout = std::min<milliseconds>(config_.timeout, milliseconds(5000));
    Answer a;
    a.r = http_.Do(req);
    auto fail = [&](PollOutcome o, std::string error) {
      PollResult p;
      p.outcome = o;
      p.error = std::move(error);
      return p;
    };
    if (a.r.transport != HttpResponse::Transport::kAnswered) {
      a.failure = fail(PollOutcome::kError, fmt::format("{}: {}", what, a.r.error));
      return a;
    }
    if (auto until = RateLimitedUntil(config_.kind, a.r, now)) {
      PollResult p = fail(
          PollOutcome::kRateLimited,
          fmt::format("{}: rate limited (HTTP {}) until {}", what, a.r.status, FormatIso(*until)));
      p.retry_at = until;
      p.rate_limit = RateText(a.r);
      a.failure = std::move(p);
      return a;
    }
    if (a.r.status == 401 || a.r.status == 403) {
      a.failure = fail(PollOutcome::kAuth, fmt::format("{}: HTTP {}: the credentials are refused "
                                                       "({})",
                                                       what, a.r.status, Snippet(a.r.body)));
      return a;
    }
    if (a.r.status < 200 || a.r.status >= 300) {
      a.failure = fail(PollOutcome::kError,
                       fmt::format("{}: HTTP {} ({})", what, a.r.status, Snippet(a.r.body)));
      return a;
    }
    if (a.r.body.size() > max_body_) {
      a.failure = fail(PollOutcome::kError,
                       fmt::format("{}: the answer is larger than {} bytes (listen.max_body): "
                                   "refused, nothing stored",
                                   what, max_body_));
      return a;
    }
    return a;
  }

  // Remembers a spent window (remaining 0) so the next poll waits for its reset.
  void NoteWindow(const HttpResponse& r, TimePoint now, PollResult* out) const {
    if (auto until = WindowSpentUntil(config_.kind, r, now)) {
      out->not_before = out->not_before ? std::max(*out->not_before, *until) : *until;
    }
  }

  PollResult Malformed(std::string_view what, const core::Error& e) {
    PollResult p;
    p.outcome = PollOutcome::kError;
    p.error = fmt::format("{}: {}: nothing stored", what, e.message());
    return p;
  }

  // The limit headers as a person reads them, "" when the API sent none.
  std::string RateText(const HttpResponse& r) const {
    std::string_view remaining, limit, reset;
    switch (config_.kind) {
      case SourceKind::kX:
        remaining = r.Header("x-rate-limit-remaining");
        limit = r.Header("x-rate-limit-limit");
        reset = r.Header("x-rate-limit-reset");
        break;
      case SourceKind::kMastodon:
        remaining = r.Header("x-ratelimit-remaining");
        limit = r.Header("x-ratelimit-limit");
        reset = r.Header("x-ratelimit-reset");
        break;
      case SourceKind::kBluesky:
        remaining = r.Header("ratelimit-remaining");
        limit = r.Header("ratelimit-limit");
        reset = r.Header("ratelimit-reset");
        break;
      case SourceKind::kReddit:
        remaining = r.Header("x-ratelimit-remaining");
        limit = r.Header("x-ratelimit-used");
        reset = r.Header("x-ratelimit-reset");
        if (remaining.empty()) return {};
        return fmt::format("{} left, {} used, resets in {} s", remaining, limit, reset);
      default:
        return {};
    }
    if (remaining.empty()) return {};
    return fmt::format("{} of {} left, resets {}", remaining, limit.empty() ? "?" : limit, reset);
  }

  static std::string Snippet(const std::string& body) {
    std::string s = body.substr(0, 200);
    for (char& c : s) {
      if (c == '\n' || c == '\r') c = ' ';
    }
    return s;
  }

  SourceConfig config_;
  channels::HttpClient& http_;
  std::size_t max_body_;
};

std::vector<std::string> AllTerms(const std::vector<Query>& queries) {
  std::vector<std::string> out;
  for (const auto& q : queries) {
    for (const auto& t : q.terms) {
      if (std::find(out.begin(), out.end(), t) == out.end()) out.push_back(t);
    }
  }
  return out;
}

// ---- X API v2 recent search ----
// https://docs.x.com/x-api/posts/search-recent-posts: bearer token; since_id resumes after the
// newest post seen, next_token pages back; 429 with x-rate-limit-reset (epoch seconds).
class XSource final : public Base {
 public:
  using Base::Base;
  std::vector<std::string> Terms(const std::vector<Query>& queries) const override {
    return AllTerms(queries);
  }
  PollResult Poll(const std::string& term, const std::string& cursor, TimePoint now) override {
    // A phrase is quoted; a hashtag searched as is. Retweets repeat the text: left out.
    std::string q = term[0] == '#' || term[0] == '@' ? term : "\"" + term + "\"";
    q += " -is:retweet";
    PollResult out;
    std::string next, newest = cursor;
    for (int page = 0; page < config_.max_pages; ++page) {
      std::vector<std::pair<std::string, std::string>> params = {
          {"query", q},
          {"max_results", "100"},
          {"tweet.fields", "created_at,public_metrics,author_id"},
          {"expansions", "author_id"},
          {"user.fields", "username"}};
      if (!cursor.empty()) params.emplace_back("since_id", cursor);
      if (!next.empty()) params.emplace_back("next_token", next);
      HttpRequest req;
      req.method = "GET";
      req.url = config_.base_url + "/2/tweets/search/recent" + QueryString(params);
      req.headers = {{"Authorization", "Bearer " + config_.token}};
      Answer a = Call(req, now, "x recent search");
      if (a.failure) return *a.failure;
      auto parsed = ParseXSearch(a.r.body);
      if (!parsed.ok()) return Malformed("x recent search", parsed.error());
      out.rate_limit = RateText(a.r);
      NoteWindow(a.r, now, &out);
      ++out.pages;
      if (page == 0 && !parsed->newest.empty() && IdLess(newest, parsed->newest)) {
        newest = parsed->newest;
      }
      for (auto& p : parsed->posts) out.posts.push_back(std::move(p));
      next = parsed->next;
      // The first poll reads the newest page only: hours before collection began are not
      // counted (listen::Series), so older pages would spend the quota for nothing.
      if (cursor.empty() || next.empty()) break;
    }
    out.cursor = newest;
    return out;
  }
};

// ---- Mastodon hashtag timeline ----
// https://docs.joinmastodon.org/methods/timelines/#tag: min_id gives the statuses immediately
// newer than it; the Link header's rel="prev" continues towards the newest. 429 with
// X-RateLimit-Reset (ISO 8601), https://docs.joinmastodon.org/api/rate-limits/.
class MastodonSource final : public Base {
 public:
  using Base::Base;
  std::vector<std::string> Terms(const std::vector<Query>& queries) const override {
    std::vector<std::string> out;
    for (const auto& t : AllTerms(queries)) {
      if (t.size() > 1 && t[0] == '#') {
        std::string tag = t.substr(1);
        if (std::find(out.begin(), out.end(), tag) == out.end()) out.push_back(tag);
      }
    }
    return out;
  }
  PollResult Poll(const std::string& tag, const std::string& cursor, TimePoint now) override {
    PollResult out;
    std::vector<std::pair<std::string, std::string>> params = {{"limit", "40"}};
    if (!cursor.empty()) params.emplace_back("min_id", cursor);
    std::string url =
        config_.base_url + "/api/v1/timelines/tag/" + Encode(tag) + QueryString(params);
    std::string newest = cursor;
    for (int page = 0; page < config_.max_pages && !url.empty(); ++page) {
      HttpRequest req;
      req.method = "GET";
      req.url = url;
      if (!config_.token.empty()) req.headers = {{"Authorization", "Bearer " + config_.token}};
      Answer a = Call(req, now, "mastodon tag timeline");
      if (a.failure) return *a.failure;
      auto parsed = ParseMastodonStatuses(a.r.body);
      if (!parsed.ok()) return Malformed("mastodon tag timeline", parsed.error());
      out.rate_limit = RateText(a.r);
      NoteWindow(a.r, now, &out);
      ++out.pages;
      if (!parsed->newest.empty() && IdLess(newest, parsed->newest)) newest = parsed->newest;
      const bool empty = parsed->posts.empty();
      for (auto& p : parsed->posts) out.posts.push_back(std::move(p));
      // The first poll reads the newest page only; later ones walk forward until nothing is new.
      if (cursor.empty() || empty) break;
      auto links = ParseLinkHeader(a.r.Header("link"));
      auto prev = links.find("prev");
      // Only a link on the same server is followed (the header is the far side's to write).
      url = prev != links.end() && prev->second.starts_with(config_.base_url + "/") ? prev->second
                                                                                    : "";
    }
    out.cursor = newest;
    return out;
  }
};

// ---- Bluesky searchPosts, signed in ----
// https://docs.bsky.app/docs/api/com-atproto-server-create-session and
// https://docs.bsky.app/docs/api/app-bsky-feed-search-posts: sort=latest, since (inclusive),
// cursor pages on; 429 with RateLimit-Reset (epoch seconds).
class BlueskySource final : public Base {
 public:
  using Base::Base;
  std::vector<std::string> Terms(const std::vector<Query>& queries) const override {
    return AllTerms(queries);
  }
  PollResult Poll(const std::string& term, const std::string& cursor, TimePoint now) override {
    std::string jwt;
    {
      std::lock_guard lock(mu_);
      jwt = access_jwt_;
    }
    bool fresh = false;  // signed in during this poll
    if (jwt.empty()) {
      auto s = SignIn(now);
      if (s) return *s;
      fresh = true;
      std::lock_guard lock(mu_);
      jwt = access_jwt_;
    }
    PollResult out;
    std::string page_cursor, newest = cursor;
    for (int page = 0; page < config_.max_pages; ++page) {
      std::vector<std::pair<std::string, std::string>> params = {
          {"q", term}, {"sort", "latest"}, {"limit", "100"}};
      if (!cursor.empty()) params.emplace_back("since", cursor);
      if (!page_cursor.empty()) params.emplace_back("cursor", page_cursor);
      HttpRequest req;
      req.method = "GET";
      req.url = config_.base_url + "/xrpc/app.bsky.feed.searchPosts" + QueryString(params);
      req.headers = {{"Authorization", "Bearer " + jwt}};
      Answer a = Call(req, now, "bluesky searchPosts");
      if (a.failure && a.r.status == 400 && a.r.body.find("ExpiredToken") != std::string::npos) {
        a.failure->outcome = PollOutcome::kAuth;
      }
      if (a.failure && a.failure->outcome == PollOutcome::kAuth && !fresh) {
        // The session expired (access tokens live minutes): sign in again and retry the page.
        if (auto s = SignIn(now)) return *s;
        fresh = true;
        std::lock_guard lock(mu_);
        jwt = access_jwt_;
        --page;
        continue;
      }
      if (a.failure) {
        if (a.failure->outcome == PollOutcome::kAuth) {
          std::lock_guard lock(mu_);
          access_jwt_.clear();  // sign in again next time
        }
        return *a.failure;
      }
      auto parsed = ParseBlueskySearch(a.r.body);
      if (!parsed.ok()) return Malformed("bluesky searchPosts", parsed.error());
      out.rate_limit = RateText(a.r);
      NoteWindow(a.r, now, &out);
      ++out.pages;
      if (parsed->newest > newest) newest = parsed->newest;
      const bool empty = parsed->posts.empty();
      for (auto& p : parsed->posts) out.posts.push_back(std::move(p));
      page_cursor = parsed->next;
      if (cursor.empty() || empty || page_cursor.empty()) break;
    }
    out.cursor = newest;
    return out;
  }

 private:
  std::optional<PollResult> SignIn(TimePoint now) {
    HttpRequest req;
    req.method = "POST";
    req.url = (config_.auth_url.empty() ? config_.base_url : config_.auth_url) +
              "/xrpc/com.atproto.server.createSession";
    req.headers = {{"Content-Type", "application/json"}};
    req.body = json({{"identifier", config_.identifier}, {"password", config_.password}}).dump();
    Answer a = Call(req, now, "bluesky createSession");
    if (a.failure) return a.failure;
    auto j = json::parse(a.r.body, nullptr, false);
    if (!j.is_object() || !j.contains("accessJwt") || !j["accessJwt"].is_string()) {
      PollResult p;
      p.outcome = PollOutcome::kError;
      p.error = "bluesky createSession: the answer has no accessJwt";
      return p;
    }
    std::lock_guard lock(mu_);
    access_jwt_ = j["accessJwt"].get<std::string>();
    return std::nullopt;
  }

  std::mutex mu_;  // guards access_jwt_
  std::string access_jwt_;
};

// ---- Reddit search ----
// https://www.reddit.com/dev/api/#GET_search (sort=new, after pages on) over OAuth
// (https://github.com/reddit-archive/reddit/wiki/OAuth2, client_credentials); X-Ratelimit-Used,
// -Remaining, -Reset (seconds) on every answer, 429 when spent.
class RedditSource final : public Base {
 public:
  using Base::Base;
  std::vector<std::string> Terms(const std::vector<Query>& queries) const override {
    return AllTerms(queries);
  }
  PollResult Poll(const std::string& term, const std::string& cursor, TimePoint now) override {
    std::string token = config_.token;
    if (token.empty()) {
      std::lock_guard lock(mu_);
      if (!token_.empty() && now < token_expires_) token = token_;
    }
    if (token.empty()) {
      auto got = Token(now);
      if (std::holds_alternative<PollResult>(got)) return std::get<PollResult>(got);
      token = std::get<std::string>(got);
    }
    // cursor: the created_utc (ms) of the newest post seen.
    const std::int64_t since_ms = cursor.empty() ? 0 : std::atoll(cursor.c_str());
    std::int64_t newest_ms = since_ms;
    PollResult out;
    std::string after;
    for (int page = 0; page < config_.max_pages; ++page) {
      std::vector<std::pair<std::string, std::string>> params = {
          {"q", term}, {"sort", "new"}, {"limit", "100"}, {"type", "link"}, {"raw_json", "1"}};
      if (!after.empty()) params.emplace_back("after", after);
      HttpRequest req;
      req.method = "GET";
      req.url = config_.base_url + "/search" + QueryString(params);
      req.headers = {{"Authorization", "Bearer " + token}, {"User-Agent", config_.user_agent}};
      Answer a = Call(req, now, "reddit search");
      if (a.failure) {
        if (a.failure->outcome == PollOutcome::kAuth) {
          std::lock_guard lock(mu_);
          token_.clear();
        }
        return *a.failure;
      }
      auto parsed = ParseRedditListing(a.r.body);
      if (!parsed.ok()) return Malformed("reddit search", parsed.error());
      out.rate_limit = RateText(a.r);
      NoteWindow(a.r, now, &out);
      ++out.pages;
      bool older_seen = false;
      for (auto& p : parsed->posts) {
        const std::int64_t ms = duration_cast<milliseconds>(p.posted_at.time_since_epoch()).count();
        if (ms <= since_ms && since_ms != 0) {
          older_seen = true;
          continue;
        }
        newest_ms = std::max(newest_ms, ms);
        out.posts.push_back(std::move(p));
      }
      after = parsed->next;
      // The first poll reads one page; later ones page back until they reach what was seen.
      if (cursor.empty() || older_seen || after.empty()) break;
      // Reddit asks clients to stop when the window's requests are spent.
      if (auto rem = a.r.Header("x-ratelimit-remaining");
          !rem.empty() && std::atof(std::string(rem).c_str()) < 1) {
        break;
      }
    }
    out.cursor = newest_ms == 0 ? cursor : std::to_string(newest_ms);
    return out;
  }

 private:
  std::variant<std::string, PollResult> Token(TimePoint now) {
    HttpRequest req;
    req.method = "POST";
    req.url =
        (config_.auth_url.empty() ? std::string("https://www.reddit.com") : config_.auth_url) +
        "/api/v1/access_token";
    req.basic_auth = config_.client_id + ":" + config_.password;
    req.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                   {"User-Agent", config_.user_agent}};
    req.body = "grant_type=client_credentials";
    Answer a = Call(req, now, "reddit access_token");
    if (a.failure) return *a.failure;
    auto j = json::parse(a.r.body, nullptr, false);
    if (!j.is_object() || !j.contains("access_token") || !j["access_token"].is_string()) {
      PollResult p;
      p.outcome = PollOutcome::kAuth;
      p.error = "reddit access_token: the answer has no access_token";
      return p;
    }
    std::lock_guard lock(mu_);
    token_ = j["access_token"].get<std::string>();
    const std::int64_t expires = j.value("expires_in", 3600);
    token_expires_ = now + seconds(std::max<std::int64_t>(expires - 60, 60));
    return token_;
  }

  std::mutex mu_;  // guards token_ and token_expires_
  std::string token_;
  TimePoint token_expires_{};
};

// ---- YouTube commentThreads ----
// https://developers.google.com/youtube/v3/docs/commentThreads/list: part=snippet, videoId or
// allThreadsRelatedToChannelId, order=time, pageToken; 1 quota unit a call, 403 quotaExceeded
// (https://developers.google.com/youtube/v3/docs/errors) until midnight Pacific.
class YouTubeSource final : public Base {
 public:
  using Base::Base;
  std::vector<std::string> Terms(const std::vector<Query>&) const override {
    std::vector<std::string> out;
    for (const auto& v : config_.video_ids) out.push_back("video:" + v);
    for (const auto& c : config_.channel_ids) out.push_back("channel:" + c);
    return out;
  }
  PollResult Poll(const std::string& term, const std::string& cursor, TimePoint now) override {
    const bool video = term.starts_with("video:");
    const std::string id = term.substr(term.find(':') + 1);
    const std::optional<TimePoint> since =
        cursor.empty() ? std::nullopt : sources::ParseRfc3339Time(cursor);
    // A plain flag and time rather than the optional in the loop: GCC's -O2 flow analysis takes
    // the optional's value as maybe uninitialized there.
    const bool has_since = since.has_value();
    const TimePoint since_at = since.value_or(TimePoint{});
    TimePoint newest = since_at;
    PollResult out;
    std::string token;
    for (int page = 0; page < config_.max_pages; ++page) {
      std::vector<std::pair<std::string, std::string>> params = {
          {"part", "snippet"},
          {video ? "videoId" : "allThreadsRelatedToChannelId", id},
          {"order", "time"},
          {"maxResults", "100"},
          {"textFormat", "plainText"}};
      if (!token.empty()) params.emplace_back("pageToken", token);
      HttpRequest req;
      req.method = "GET";
      // The key is a query parameter by the API's design; the request's URL is never logged.
      req.url = config_.base_url + "/youtube/v3/commentThreads" + QueryString(params) +
                "&key=" + Encode(config_.api_key);
      Answer a = Call(req, now, "youtube commentThreads");
      if (a.failure) return *a.failure;
      auto parsed = ParseYouTubeThreads(a.r.body);
      if (!parsed.ok()) return Malformed("youtube commentThreads", parsed.error());
      ++out.pages;
      bool older_seen = false;
      for (auto& p : parsed->posts) {
        if (has_since && p.posted_at <= since_at) {
          older_seen = true;
          continue;
        }
        newest = std::max(newest, p.posted_at);
        out.posts.push_back(std::move(p));
      }
      token = parsed->next;
      if (!has_since || older_seen || token.empty()) break;
    }
    out.cursor = newest == TimePoint{} ? cursor : FormatIso(newest);
    return out;
  }
};

// ---- RSS / Atom feeds of mentions ----
// Read with the status-page feed reader (sources/feed.h); the store keeps each item once.
class RssSource final : public Base {
 public:
  using Base::Base;
  std::vector<std::string> Terms(const std::vector<Query>&) const override { return config_.feeds; }
  PollResult Poll(const std::string& url, const std::string& cursor, TimePoint now) override {
    HttpRequest req;
    req.method = "GET";
    req.url = url;
    req.headers = {{"Accept", "application/rss+xml, application/atom+xml, application/xml"}};
    Answer a = Call(req, now, "feed " + url);
    if (a.failure) return *a.failure;
    auto parsed = ParseFeedPosts(a.r.body);
    if (!parsed.ok()) return Malformed("feed " + url, parsed.error());
    PollResult out;
    out.pages = 1;
    const std::optional<TimePoint> since =
        cursor.empty() ? std::nullopt : sources::ParseRfc3339Time(cursor);
    TimePoint newest = since.value_or(TimePoint{});
    for (auto& p : parsed->posts) {
      newest = std::max(newest, p.posted_at);
      out.posts.push_back(std::move(p));
    }
    out.cursor = newest == TimePoint{} ? cursor : FormatIso(newest);
    return out;
  }
};

// ---- Facebook Page feed ----
// Delivered by Meta's webhook (page_feed.h), never polled: no terms.
class PageFeedSource final : public Base {
 public:
  using Base::Base;
  std::vector<std::string> Terms(const std::vector<Query>&) const override { return {}; }
  PollResult Poll(const std::string&, const std::string&, TimePoint) override {
    PollResult p;
    p.outcome = PollOutcome::kError;
    p.error = "a facebook_page source is delivered by webhook, not polled";
    return p;
  }
};

}  // namespace

std::unique_ptr<Source> MakeSource(const SourceConfig& config, channels::HttpClient& http,
                                   std::size_t max_body_bytes) {
  switch (config.kind) {
    case SourceKind::kX:
      return std::make_unique<XSource>(config, http, max_body_bytes);
    case SourceKind::kMastodon:
      return std::make_unique<MastodonSource>(config, http, max_body_bytes);
    case SourceKind::kBluesky:
      return std::make_unique<BlueskySource>(config, http, max_body_bytes);
    case SourceKind::kReddit:
      return std::make_unique<RedditSource>(config, http, max_body_bytes);
    case SourceKind::kYouTube:
      return std::make_unique<YouTubeSource>(config, http, max_body_bytes);
    case SourceKind::kRss:
      return std::make_unique<RssSource>(config, http, max_body_bytes);
    case SourceKind::kFacebookPage:
      return std::make_unique<PageFeedSource>(config, http, max_body_bytes);
  }
  return nullptr;
}

}  // namespace lifeline::listen
