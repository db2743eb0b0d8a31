// The sources' parsers (sources.h): each documented answer read into posts, pure.
#include <algorithm>
#include <cctype>
#include <cstdlib>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "listen/sources.h"
#include "sources/feed.h"

namespace lifeline::listen {
namespace {

using core::ErrorCode;
using core::MakeError;
using core::Result;
using nlohmann::json;

Result<json> ParseJson(std::string_view body, std::string_view what) {
  auto j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return MakeError(ErrorCode::kInvalidArgument, "{}: the answer is not JSON ({} bytes)", what,
                     body.size());
  }
  if (!j.is_object() && !j.is_array()) {
    return MakeError(ErrorCode::kInvalidArgument, "{}: expected a JSON object or array", what);
  }
  return j;
}

std::string Str(const json& j, const char* key) {
  if (!j.is_object()) return {};
  auto it = j.find(key);
  if (it == j.end()) return {};
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number_integer()) return std::to_string(it->get<std::int64_t>());
  return {};
}

std::int64_t Int(const json& j, const char* key) {
  if (!j.is_object()) return 0;
  auto it = j.find(key);
  if (it == j.end()) return 0;
  if (it->is_number_integer()) return it->get<std::int64_t>();
  if (it->is_number()) return static_cast<std::int64_t>(it->get<double>());
  return 0;
}

const json& Obj(const json& j, const char* key) {
  static const json kNull;
  if (!j.is_object()) return kNull;
  auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}

std::optional<TimePoint> Rfc3339(const std::string& s) {
  if (s.empty()) return std::nullopt;
  return sources::ParseRfc3339Time(s);
}

Result<TimePoint> NeedTime(const std::string& s, std::string_view what, std::string_view id) {
  auto t = Rfc3339(s);
  if (!t) {
    return MakeError(ErrorCode::kInvalidArgument, "{}: post {} has no readable time ('{}')", what,
                     id, s);
  }
  return *t;
}

}  // namespace

std::string_view PollOutcomeName(PollOutcome o) {
  switch (o) {
    case PollOutcome::kOk:
      return "ok";
    case PollOutcome::kRateLimited:
      return "rate_limited";
    case PollOutcome::kAuth:
      return "auth";
    case PollOutcome::kError:
      return "error";
  }
  return "error";
}

// https://docs.x.com/x-api/posts/search-recent-posts: {"data": [Tweet], "includes": {"users":
// [User]}, "meta": {"newest_id", "oldest_id", "result_count", "next_token"}}; no "data" when
// nothing matched.
Result<ParsedPage> ParseXSearch(std::string_view body) {
  LL_ASSIGN(json j, ParseJson(body, "x recent search"));
  if (!j.is_object())
    return MakeError(ErrorCode::kInvalidArgument, "x recent search: not an object");
  std::map<std::string, std::string> users;
  const json& inc = Obj(Obj(j, "includes"), "users");
  if (inc.is_array()) {
    for (const json& u : inc) users[Str(u, "id")] = Str(u, "username");
  }
  ParsedPage page;
  const json& data = Obj(j, "data");
  if (!data.is_null() && !data.is_array()) {
    return MakeError(ErrorCode::kInvalidArgument, "x recent search: data is not a list");
  }
  if (data.is_array()) {
    for (const json& t : data) {
      Post p;
      p.source = "x";
      p.id = Str(t, "id");
      p.text = Str(t, "text");
      if (p.id.empty()) {
        return MakeError(ErrorCode::kInvalidArgument, "x recent search: a post without id");
      }
      LL_ASSIGN(p.posted_at, NeedTime(Str(t, "created_at"), "x recent search", p.id));
      const std::string author_id = Str(t, "author_id");
      auto u = users.find(author_id);
      p.author = u != users.end() && !u->second.empty() ? u->second : author_id;
      p.url = u != users.end() && !u->second.empty()
                  ? fmt::format("https://x.com/{}/status/{}", u->second, p.id)
                  : fmt::format("https://x.com/i/web/status/{}", p.id);
      const json& m = Obj(t, "public_metrics");
      p.shares = Int(m, "retweet_count") + Int(m, "quote_count");
      page.posts.push_back(std::move(p));
    }
  }
  const json& meta = Obj(j, "meta");
  page.next = Str(meta, "next_token");
  page.newest = Str(meta, "newest_id");
  return page;
}

// https://docs.joinmastodon.org/methods/timelines/#tag and /entities/Status/.
Result<ParsedPage> ParseMastodonStatuses(std::string_view body) {
  LL_ASSIGN(json j, ParseJson(body, "mastodon tag timeline"));
  if (!j.is_array()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "mastodon tag timeline: expected a list of statuses");
  }
  ParsedPage page;
  for (const json& s : j) {
    // A boost shows the boosted status: that is the post; the boost counts as a share.
    const json& st = Obj(s, "reblog").is_object() ? Obj(s, "reblog") : s;
    Post p;
    p.source = "mastodon";
    p.id = Str(st, "id");
    if (p.id.empty()) {
      return MakeError(ErrorCode::kInvalidArgument, "mastodon tag timeline: a status without id");
    }
    LL_ASSIGN(p.posted_at, NeedTime(Str(st, "created_at"), "mastodon tag timeline", p.id));
    p.url = Str(st, "url");
    if (p.url.empty()) p.url = Str(st, "uri");
    p.author = Str(Obj(st, "account"), "acct");
    p.text = HtmlToText(Str(st, "content"));
    p.shares = Int(st, "reblogs_count");
    page.posts.push_back(std::move(p));
    // The page's own ids (for min_id paging) are the timeline entries', boosts included.
    if (const std::string id = Str(s, "id"); !id.empty()) {
      if (page.newest.empty() || id.size() > page.newest.size() ||
          (id.size() == page.newest.size() && id > page.newest)) {
        page.newest = id;
      }
    }
  }
  return page;
}

// https://docs.bsky.app/docs/api/app-bsky-feed-search-posts: {"cursor", "hitsTotal", "posts":
// [PostView {uri, cid, author {did, handle}, record {text, createdAt}, repostCount, indexedAt}]}.
Result<ParsedPage> ParseBlueskySearch(std::string_view body) {
  LL_ASSIGN(json j, ParseJson(body, "bluesky searchPosts"));
  const json& posts = Obj(j, "posts");
  if (!posts.is_array()) {
    return MakeError(ErrorCode::kInvalidArgument, "bluesky searchPosts: posts is missing");
  }
  ParsedPage page;
  for (const json& v : posts) {
    Post p;
    p.source = "bluesky";
    p.id = Str(v, "uri");
    if (p.id.empty()) {
      return MakeError(ErrorCode::kInvalidArgument, "bluesky searchPosts: a post without uri");
    }
    const json& record = Obj(v, "record");
    p.text = Str(record, "text");
    std::string when = Str(record, "createdAt");
    if (!Rfc3339(when)) when = Str(v, "indexedAt");
    LL_ASSIGN(p.posted_at, NeedTime(when, "bluesky searchPosts", p.id));
    const std::string handle = Str(Obj(v, "author"), "handle");
    p.author = handle;
    // at://did/app.bsky.feed.post/RKEY -> https://bsky.app/profile/HANDLE/post/RKEY
    const auto slash = p.id.rfind('/');
    if (!handle.empty() && slash != std::string::npos) {
      p.url = fmt::format("https://bsky.app/profile/{}/post/{}", handle, p.id.substr(slash + 1));
    }
    p.shares = Int(v, "repostCount") + Int(v, "quoteCount");
    // The newest time seen, for the next poll's `since`.
    if (const std::string idx = Str(v, "indexedAt"); idx > page.newest) page.newest = idx;
    page.posts.push_back(std::move(p));
  }
  page.next = Str(j, "cursor");
  return page;
}

// https://www.reddit.com/dev/api/#GET_search: {"kind": "Listing", "data": {"after", "before",
// "children": [{"kind": "t3", "data": {name, id, title, selftext, author, created_utc,
// permalink, num_crossposts}}]}}.
Result<ParsedPage> ParseRedditListing(std::string_view body) {
  LL_ASSIGN(json j, ParseJson(body, "reddit search"));
  const json& data = Obj(j, "data");
  const json& children = Obj(data, "children");
  if (Str(j, "kind") != "Listing" || !children.is_array()) {
    return MakeError(ErrorCode::kInvalidArgument, "reddit search: expected a Listing");
  }
  ParsedPage page;
  for (const json& c : children) {
    if (Str(c, "kind") != "t3") continue;
    const json& d = Obj(c, "data");
    Post p;
    p.source = "reddit";
    p.id = Str(d, "name");
    if (p.id.empty()) {
      return MakeError(ErrorCode::kInvalidArgument, "reddit search: a link without name");
    }
    const json& created = Obj(d, "created_utc");
    if (!created.is_number()) {
      return MakeError(ErrorCode::kInvalidArgument, "reddit search: {} has no created_utc", p.id);
    }
    p.posted_at = TimePoint(
        std::chrono::milliseconds(static_cast<std::int64_t>(created.get<double>() * 1000)));
    p.author = Str(d, "author");
    const std::string title = Str(d, "title"), self = Str(d, "selftext");
    p.text = self.empty() ? title : title + "\n" + self;
    if (const std::string link = Str(d, "permalink"); !link.empty()) {
      p.url = "https://www.reddit.com" + link;
    }
    p.shares = Int(d, "num_crossposts");
    page.posts.push_back(std::move(p));
  }
  page.next = Str(data, "after");
  return page;
}

// https://developers.google.com/youtube/v3/docs/commentThreads/list: {"nextPageToken", "items":
// [{"id", "snippet": {"videoId", "topLevelComment": {"id", "snippet": {"textOriginal",
// "authorDisplayName", "publishedAt", "likeCount"}}, "totalReplyCount"}}]}.
Result<ParsedPage> ParseYouTubeThreads(std::string_view body) {
  LL_ASSIGN(json j, ParseJson(body, "youtube commentThreads"));
  const json& items = Obj(j, "items");
  if (!items.is_array()) {
    return MakeError(ErrorCode::kInvalidArgument, "youtube commentThreads: items is missing");
  }
  ParsedPage page;
  for (const json& it : items) {
    const json& sn = Obj(it, "snippet");
    const json& top = Obj(sn, "topLevelComment");
    const json& c = Obj(top, "snippet");
    Post p;
    p.source = "youtube";
    p.id = Str(top, "id");
    if (p.id.empty()) p.id = Str(it, "id");
    if (p.id.empty()) {
      return MakeError(ErrorCode::kInvalidArgument, "youtube commentThreads: a thread without id");
    }
    p.text = Str(c, "textOriginal");
    if (p.text.empty()) p.text = HtmlToText(Str(c, "textDisplay"));
    p.author = Str(c, "authorDisplayName");
    LL_ASSIGN(p.posted_at, NeedTime(Str(c, "publishedAt"), "youtube commentThreads", p.id));
    const std::string video = Str(sn, "videoId");
    if (!video.empty()) {
      p.url = fmt::format("https://www.youtube.com/watch?v={}&lc={}", video, p.id);
    }
    page.posts.push_back(std::move(p));
  }
  page.next = Str(j, "nextPageToken");
  return page;
}

Result<ParsedPage> ParseFeedPosts(std::string_view body) {
  auto items = sources::ReadFeedItems(body);
  if (!items.ok()) {
    return MakeError(ErrorCode::kInvalidArgument, "feed: {}", items.error().message());
  }
  ParsedPage page;
  for (auto& item : *items) {
    if (!item.at) continue;  // an undated item cannot be put in an hour
    Post p;
    p.source = "rss";
    p.id = !item.id.empty() ? item.id : item.link;
    p.url = item.link;
    p.author = item.author;
    p.text =
        item.text.empty() || item.text == item.title ? item.title : item.title + "\n" + item.text;
    p.posted_at = *item.at;
    if (p.id.empty() && p.text.empty()) continue;
    page.posts.push_back(std::move(p));
  }
  return page;
}

std::map<std::string, std::string> ParseLinkHeader(std::string_view value) {
  std::map<std::string, std::string> out;
  std::size_t i = 0;
  while (i < value.size()) {
    const auto lt = value.find('<', i);
    if (lt == std::string_view::npos) break;
    const auto gt = value.find('>', lt);
    if (gt == std::string_view::npos) break;
    const std::string url(value.substr(lt + 1, gt - lt - 1));
    auto next = value.find('<', gt);
    std::string_view params = value.substr(
        gt + 1, next == std::string_view::npos ? std::string_view::npos : next - gt - 1);
    auto rel = params.find("rel=");
    if (rel != std::string_view::npos) {
      std::string_view v = params.substr(rel + 4);
      if (!v.empty() && v[0] == '"') v.remove_prefix(1);
      std::size_t end = 0;
      while (end < v.size() && v[end] != '"' && v[end] != ';' && v[end] != ',') ++end;
      // rel may list several ("prev next"): each gets the URL.
      std::string rels(v.substr(0, end));
      std::size_t s = 0;
      while (s < rels.size()) {
        auto sp = rels.find(' ', s);
        std::string one = rels.substr(s, sp == std::string::npos ? std::string::npos : sp - s);
        if (!one.empty()) out.emplace(one, url);
        if (sp == std::string::npos) break;
        s = sp + 1;
      }
    }
    if (next == std::string_view::npos) break;
    i = next;
  }
  return out;
}

std::string HtmlToText(std::string_view html) {
  std::string out;
  std::size_t i = 0;
  while (i < html.size()) {
    char c = html[i];
    if (c == '<') {
      auto end = html.find('>', i);
      if (end == std::string_view::npos) break;
      std::string tag(html.substr(i + 1, end - i - 1));
      for (char& t : tag) t = static_cast<char>(std::tolower(static_cast<unsigned char>(t)));
      if (tag.starts_with("br") || tag == "/p" || tag.starts_with("p ") || tag == "p") out += ' ';
      i = end + 1;
    } else if (c == '&') {
      auto end = html.find(';', i);
      if (end == std::string_view::npos || end - i > 10) {
        out += c;
        ++i;
        continue;
      }
      std::string ent(html.substr(i + 1, end - i - 1));
      std::uint32_t cp = 0;
      if (ent == "amp")
        cp = '&';
      else if (ent == "lt")
        cp = '<';
      else if (ent == "gt")
        cp = '>';
      else if (ent == "quot")
        cp = '"';
      else if (ent == "apos")
        cp = '\'';
      else if (ent == "nbsp")
        cp = ' ';
      else if (ent.size() > 1 && ent[0] == '#') {
        cp = ent[1] == 'x' || ent[1] == 'X'
                 ? static_cast<std::uint32_t>(std::strtoul(ent.c_str() + 2, nullptr, 16))
                 : static_cast<std::uint32_t>(std::strtoul(ent.c_str() + 1, nullptr, 10));
      }
      if (cp == 0 || cp > 0x10FFFF) {
        out += c;
        ++i;
        continue;
      }
      if (cp < 0x80) {
        out += static_cast<char>(cp);
      } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
      } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
      } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
      }
      i = end + 1;
    } else {
      out += c;
      ++i;
    }
  }
  // Collapse the spaces the tags left.
  std::string squashed;
  for (char c : out) {
    if (c == ' ' && (squashed.empty() || squashed.back() == ' ')) continue;
    squashed += c;
  }
  while (!squashed.empty() && squashed.back() == ' ') squashed.pop_back();
  return squashed;
}

std::optional<TimePoint> RateLimitedUntil(SourceKind kind, const channels::HttpResponse& r,
                                          TimePoint now) {
  using namespace std::chrono;
  if (r.transport != channels::HttpResponse::Transport::kAnswered) return std::nullopt;
  bool limited = r.status == 429;
  if (kind == SourceKind::kYouTube && r.status == 403) {
    // {"error": {"errors": [{"reason": "quotaExceeded", "domain": "youtube.quota"}]}}
    auto j = json::parse(r.body, nullptr, false);
    std::string reason;
    const json& errs = Obj(Obj(j, "error"), "errors");
    if (errs.is_array() && !errs.empty()) reason = Str(errs[0], "reason");
    if (reason == "quotaExceeded" || reason == "dailyLimitExceeded") {
      // The daily quota resets at midnight Pacific time; UTC-8 (PST) is used all year, which
      // waits an hour too long in summer rather than an hour too short.
      const auto pacific = now - hours(8);
      const auto next_midnight = floor<days>(pacific) + days(1);
      return time_point_cast<TimePoint::duration>(next_midnight + hours(8));
    }
    if (reason == "rateLimitExceeded" || reason == "userRateLimitExceeded") limited = true;
    if (!limited) return std::nullopt;
  }
  if (!limited) return std::nullopt;
  auto epoch = [&](std::string_view v) -> std::optional<TimePoint> {
    char* end = nullptr;
    std::string s(v);
    long long secs = std::strtoll(s.c_str(), &end, 10);
    if (s.empty() || end == s.c_str() || secs <= 0) return std::nullopt;
    // Past what the clock counts (nanoseconds: the year 2262) is misread too (the hour below),
    // not an overflow (fuzz/listen_fuzz.cc).
    constexpr long long kMaxSecs =
        duration_cast<seconds>(TimePoint::max().time_since_epoch()).count();
    return TimePoint(seconds(std::min(secs, kMaxSecs)));
  };
  std::optional<TimePoint> at;
  switch (kind) {
    case SourceKind::kX:
      at = epoch(r.Header("x-rate-limit-reset"));
      break;
    case SourceKind::kMastodon:
      if (auto v = r.Header("x-ratelimit-reset"); !v.empty()) at = Rfc3339(std::string(v));
      break;
    case SourceKind::kBluesky:
      at = epoch(r.Header("ratelimit-reset"));
      break;
    case SourceKind::kReddit:
      if (auto v = r.Header("x-ratelimit-reset"); !v.empty()) {
        double secs = std::strtod(std::string(v).c_str(), nullptr);
        // Capped at two days (past 25 h is misread: the hour below), so it cannot overflow.
        if (secs > 0) {
          at = now + milliseconds(static_cast<std::int64_t>(std::min(secs, 2 * 86400.0) * 1000));
        }
      }
      break;
    default:
      break;
  }
  if (!at) {
    if (auto ra = channels::ParseRetryAfter(r.Header("retry-after"), now)) at = now + *ra;
  }
  if (!at || *at <= now) at = now + minutes(1);
  // A reset more than a day away is a misread header, not a plan.
  if (*at > now + hours(25)) at = now + hours(1);
  return at;
}

std::optional<TimePoint> WindowSpentUntil(SourceKind kind, const channels::HttpResponse& r,
                                          TimePoint now) {
  std::string_view remaining;
  switch (kind) {
    case SourceKind::kX:
      remaining = r.Header("x-rate-limit-remaining");
      break;
    case SourceKind::kMastodon:
    case SourceKind::kReddit:
      remaining = r.Header("x-ratelimit-remaining");
      break;
    case SourceKind::kBluesky:
      remaining = r.Header("ratelimit-remaining");
      break;
    default:
      return std::nullopt;
  }
  if (remaining.empty()) return std::nullopt;
  char* end = nullptr;
  const std::string v(remaining);
  const double left = std::strtod(v.c_str(), &end);
  if (end == v.c_str() || left >= 1) return std::nullopt;
  // Read the reset as a 429 would be read.
  channels::HttpResponse as_429 = r;
  as_429.status = 429;
  return RateLimitedUntil(kind, as_429, now);
}

}  // namespace lifeline::listen
