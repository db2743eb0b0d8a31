// Reading `listen:` (config.h) with FILE:LINE: KEY errors.
#include "listen/config.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "config/values.h"
#include "config/yaml_read.h"
#include "listen/text.h"

namespace lifeline::listen {
namespace {

namespace yaml = config::yaml;
using core::Result;
using core::Status;
using yaml::Doc;
using yaml::Fail;
using yaml::Field;
using yaml::Fields;
using yaml::Where;
using namespace std::chrono_literals;

const yaml::Keys kTopKeys = {"brands", "chatter", "sources", "spike", "max_body"};
const yaml::Keys kBrandKeys = {"mentions", "hashtags"};
const yaml::Keys kChatterKeys = {"terms"};
const yaml::Keys kSourceKeys = {"kind",          "url",         "interval",     "timeout",
                                "max_pages",     "token",       "identifier",   "password",
                                "client_id",     "auth_url",    "user_agent",   "api_key",
                                "video_ids",     "channel_ids", "feeds",        "streaming",
                                "streaming_url", "app_secret",  "verify_token", "page_ids"};
const yaml::Keys kSpikeKeys = {"min_weeks",          "max_weeks",  "alpha",       "min_count",
                               "min_ratio",          "floor",      "consecutive", "cooldown",
                               "judge_partial_hour", "partial_min"};
const std::vector<std::string> kKinds = {"x",       "mastodon", "bluesky",      "reddit",
                                         "youtube", "rss",      "facebook_page"};

std::optional<SourceKind> ParseKind(std::string_view s) {
  if (s == "x") return SourceKind::kX;
  if (s == "mastodon") return SourceKind::kMastodon;
  if (s == "bluesky") return SourceKind::kBluesky;
  if (s == "reddit") return SourceKind::kReddit;
  if (s == "youtube") return SourceKind::kYouTube;
  if (s == "rss") return SourceKind::kRss;
  if (s == "facebook_page") return SourceKind::kFacebookPage;
  return std::nullopt;
}

// The documented public roots, and a poll interval that stays inside each free tier's limits.
std::string DefaultBase(SourceKind k) {
  switch (k) {
    case SourceKind::kX:
      return "https://api.x.com";
    case SourceKind::kMastodon:
      return "https://mastodon.social";
    case SourceKind::kBluesky:
      return "https://bsky.social";
    case SourceKind::kReddit:
      return "https://oauth.reddit.com";
    case SourceKind::kYouTube:
      return "https://www.googleapis.com";
    case SourceKind::kRss:
    case SourceKind::kFacebookPage:
      return "";
  }
  return "";
}

std::chrono::milliseconds DefaultInterval(SourceKind k) {
  switch (k) {
    case SourceKind::kX:
      return 15min;  // the Basic tier's recent search allows 60 requests per 15 minutes per app
    case SourceKind::kYouTube:
      return 15min;  // 10,000 quota units a day; a commentThreads.list costs 1
    case SourceKind::kRss:
      return 10min;
    default:
      return 2min;
  }
}

bool ValidName(std::string_view name) {
  return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
  });
}

std::string Suggest(std::string_view word, const std::vector<std::string>& valid) {
  if (auto near = config::Closest(word, valid)) return fmt::format("did you mean '{}'?", *near);
  if (valid.empty()) return "none are configured";
  return fmt::format("valid: {}", yaml::Join(valid));
}

// The lower-case words of a term, for exclude_terms: "#instagramdown" -> "instagramdown",
// "is instagram down" -> "is", "instagram", "down".
void AddWords(std::string_view term, std::vector<std::string>* out) {
  std::string lower = text::Lower(term);
  for (auto w : text::SplitWhitespace(lower)) {
    std::string word(w);
    while (!word.empty() && (word[0] == '#' || word[0] == '@')) word.erase(0, 1);
    if (word.empty()) continue;
    if (std::find(out->begin(), out->end(), word) == out->end()) out->push_back(word);
  }
}

class Reader {
 public:
  explicit Reader(const config::Config& config) : config_(config) {
    for (const auto& p : config.platforms) platform_ids_.push_back(p.id);
  }

  Result<ListenConfig> Read(const config::PartSection& sec) {
    const Doc& doc = sec.doc;
    out_.configured = true;
    out_.file = doc.file;
    LL_ASSIGN(Fields fields, yaml::ReadMap(doc, sec.node, sec.where, kTopKeys, "listening"));
    for (const Field& f : fields.items) {
      if (f.key == "brands") {
        LL_TRY(Brands(doc, f));
      } else if (f.key == "chatter") {
        LL_TRY(Chatter(doc, f));
      } else if (f.key == "sources") {
        LL_TRY(Sources(doc, f));
      } else if (f.key == "spike") {
        LL_TRY(Spike(doc, f));
      } else if (f.key == "max_body") {
        LL_ASSIGN(out_.max_body_bytes, yaml::GetSize(doc, f.value, f.where));
        if (out_.max_body_bytes < 1024 || out_.max_body_bytes > (64u << 20)) {
          return Fail(doc, yaml::At(f.where, f.value), "expected 1KB to 64MB");
        }
      }
    }
    if (out_.queries.empty()) {
      return Fail(doc, sec.where,
                  "nothing to listen for: give brands: (mentions, hashtags) or chatter: "
                  "(platforms whose outage chatter to count)");
    }
    if (out_.sources.empty()) {
      return Fail(doc, sec.where,
                  fmt::format("sources: required (where to listen: {})", yaml::Join(kKinds)));
    }
    return std::move(out_);
  }

 private:
  Result<std::vector<std::string>> Terms(const Doc& doc, const Field& f, bool hashtags) {
    return yaml::GetStringList(
        doc, f.value, f.where, hashtags ? "a hashtag (#name)" : "a phrase",
        [&](const std::string& s, const Where& w) -> Status {
          if (s.size() > 128) return Fail(doc, w, "a term is at most 128 characters");
          if (hashtags && (s.size() < 2 || s[0] != '#' || s.find(' ') != std::string::npos)) {
            return Fail(doc, w, fmt::format("'{}' is not a hashtag (expected #name)", s));
          }
          return core::Ok();
        });
  }

  Status Brands(const Doc& doc, const Field& section) {
    LL_ASSIGN(Fields all, yaml::ReadMap(doc, section.value, section.where, {}, "brands"));
    for (const Field& b : all.items) {
      if (!ValidName(b.key)) {
        return Fail(doc, b.where,
                    fmt::format("'{}' is not a valid brand name (1 to 64 letters, digits, '_', "
                                "'-', '.')",
                                b.key));
      }
      LL_ASSIGN(Fields fields, yaml::ReadMap(doc, b.value, b.where, kBrandKeys, "a brand"));
      if (fields.items.empty()) {
        return Fail(doc, b.where, "give mentions: [\"@brand\", ...] and/or hashtags: [\"#brand\"]");
      }
      for (const Field& x : fields.items) {
        Query q;
        q.brand = b.key;
        q.kind = x.key == "mentions" ? QueryKind::kMentions : QueryKind::kHashtags;
        q.id = fmt::format("brand:{}:{}", b.key, x.key);
        q.line = static_cast<int>(x.where.mark.line) + 1;
        LL_ASSIGN(q.terms, Terms(doc, x, q.kind == QueryKind::kHashtags));
        for (const auto& t : q.terms) AddWords(t, &q.exclude_terms);
        out_.queries.push_back(std::move(q));
      }
    }
    return core::Ok();
  }

  Status Chatter(const Doc& doc, const Field& section) {
    LL_ASSIGN(Fields all,
              yaml::ReadMap(doc, section.value, section.where, {}, "outage chatter per platform"));
    for (const Field& p : all.items) {
      auto it = std::find_if(config_.platforms.begin(), config_.platforms.end(),
                             [&](const auto& x) { return x.id == p.key; });
      if (it == config_.platforms.end()) {
        return Fail(
            doc, p.where,
            fmt::format("unknown platform '{}' ({})", p.key, Suggest(p.key, platform_ids_)));
      }
      Query q;
      q.kind = QueryKind::kChatter;
      q.platform = p.key;
      q.platform_name = it->name;
      q.id = "chatter:" + p.key;
      q.line = static_cast<int>(p.where.mark.line) + 1;
      if (!p.value.IsNull()) {
        LL_ASSIGN(Fields fields,
                  yaml::ReadMap(doc, p.value, p.where, kChatterKeys, "a platform's chatter"));
        if (const Field* t = fields.Find("terms")) {
          LL_ASSIGN(q.terms, Terms(doc, *t, false));
        }
      }
      if (q.terms.empty()) q.terms = DefaultChatterTerms(it->id, it->name);
      for (const auto& t : q.terms) AddWords(t, &q.exclude_terms);
      out_.queries.push_back(std::move(q));
    }
    return core::Ok();
  }

  Result<std::string> Secret(const Doc& doc, const Field& x) {
    return yaml::GetSecret(doc, x.value, x.where, /*allow_plain=*/false);
  }

  Status Sources(const Doc& doc, const Field& section) {
    LL_ASSIGN(Fields all, yaml::ReadMap(doc, section.value, section.where, {}, "sources"));
    for (const Field& s : all.items) {
      if (!ValidName(s.key)) {
        return Fail(doc, s.where,
                    fmt::format("'{}' is not a valid source name (1 to 64 letters, digits, '_', "
                                "'-', '.')",
                                s.key));
      }
      LL_ASSIGN(Fields fields, yaml::ReadMap(doc, s.value, s.where, kSourceKeys, "a source"));
      SourceConfig c;
      c.name = s.key;
      c.line = static_cast<int>(s.where.mark.line) + 1;
      std::optional<SourceKind> kind = ParseKind(s.key);
      if (const Field* k = fields.Find("kind")) {
        LL_ASSIGN(std::string name, yaml::GetNonEmpty(doc, k->value, k->where, "a source kind"));
        kind = ParseKind(name);
        if (!kind) {
          return Fail(doc, yaml::At(k->where, k->value),
                      fmt::format("unknown kind '{}' ({})", name, Suggest(name, kKinds)));
        }
      }
      if (!kind) {
        return Fail(
            doc, s.where,
            fmt::format("kind: required (the source's name is not one of {})", yaml::Join(kKinds)));
      }
      c.kind = *kind;
      c.base_url = DefaultBase(c.kind);
      c.interval = DefaultInterval(c.kind);
      for (const Field& x : fields.items) {
        if (x.key == "url") {
          LL_ASSIGN(c.base_url, yaml::GetNonEmpty(doc, x.value, x.where, "an http(s) URL"));
          if (!c.base_url.starts_with("http://") && !c.base_url.starts_with("https://")) {
            return Fail(doc, yaml::At(x.where, x.value), "expected an http:// or https:// URL");
          }
          while (c.base_url.ends_with("/")) c.base_url.pop_back();
        } else if (x.key == "interval") {
          LL_ASSIGN(c.interval, yaml::GetDuration(doc, x.value, x.where));
          if (c.interval < 1s || c.interval > 24h) {
            return Fail(doc, yaml::At(x.where, x.value), "expected 1s to 24h between polls");
          }
        } else if (x.key == "timeout") {
          LL_ASSIGN(c.timeout, yaml::GetDuration(doc, x.value, x.where));
          if (c.timeout < 100ms || c.timeout > 5min) {
            return Fail(doc, yaml::At(x.where, x.value), "expected 100ms to 5m");
          }
        } else if (x.key == "max_pages") {
          LL_ASSIGN(long long n, yaml::GetInt(doc, x.value, x.where, 1, 100));
          c.max_pages = static_cast<int>(n);
        } else if (x.key == "token") {
          LL_ASSIGN(c.token, Secret(doc, x));
        } else if (x.key == "identifier") {
          LL_ASSIGN(c.identifier, yaml::GetNonEmpty(doc, x.value, x.where, "a handle or DID"));
        } else if (x.key == "password") {
          LL_ASSIGN(c.password, Secret(doc, x));
        } else if (x.key == "client_id") {
          LL_ASSIGN(c.client_id, yaml::GetNonEmpty(doc, x.value, x.where, "a client id"));
        } else if (x.key == "auth_url") {
          LL_ASSIGN(c.auth_url, yaml::GetNonEmpty(doc, x.value, x.where, "an http(s) URL"));
          while (c.auth_url.ends_with("/")) c.auth_url.pop_back();
        } else if (x.key == "user_agent") {
          LL_ASSIGN(c.user_agent, yaml::GetNonEmpty(doc, x.value, x.where, "a User-Agent"));
        } else if (x.key == "api_key") {
          LL_ASSIGN(c.api_key, Secret(doc, x));
        } else if (x.key == "streaming") {
          LL_ASSIGN(c.streaming, yaml::GetBool(doc, x.value, x.where));
        } else if (x.key == "streaming_url") {
          LL_ASSIGN(c.streaming_url, yaml::GetNonEmpty(doc, x.value, x.where, "an http(s) URL"));
          if (!c.streaming_url.starts_with("http://") && !c.streaming_url.starts_with("https://")) {
            return Fail(doc, yaml::At(x.where, x.value), "expected an http:// or https:// URL");
          }
          while (c.streaming_url.ends_with("/")) c.streaming_url.pop_back();
        } else if (x.key == "app_secret") {
          LL_ASSIGN(c.app_secret, Secret(doc, x));
        } else if (x.key == "verify_token") {
          LL_ASSIGN(c.verify_token, Secret(doc, x));
        } else if (x.key == "page_ids") {
          LL_ASSIGN(c.page_ids, yaml::GetStringList(doc, x.value, x.where, "a Page id",
                                                    [&](const std::string& v, const Where& w) {
                                                      return CheckPageId(doc, v, w);
                                                    }));
        } else if (x.key == "video_ids" || x.key == "channel_ids" || x.key == "feeds") {
          const bool feed = x.key == "feeds";
          LL_ASSIGN(auto list,
                    yaml::GetStringList(
                        doc, x.value, x.where, feed ? "a feed URL" : "an id",
                        [&](const std::string& v, const Where& w) -> Status {
                          if (feed && !v.starts_with("http://") && !v.starts_with("https://")) {
                            return Fail(doc, w, "expected an http:// or https:// URL");
                          }
                          return core::Ok();
                        }));
          (x.key == "video_ids"     ? c.video_ids
           : x.key == "channel_ids" ? c.channel_ids
                                    : c.feeds) = std::move(list);
        }
      }
      LL_TRY(Check(doc, s, fields, c));
      out_.sources.push_back(std::move(c));
    }
    return core::Ok();
  }

  static Status CheckPageId(const Doc& doc, const std::string& v, const Where& w) {
    if (v.empty() || v.size() > 32 ||
        !std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return Fail(doc, w, fmt::format("'{}' is not a Page id (digits)", v.substr(0, 40)));
    }
    return core::Ok();
  }

  // What each kind needs, named with the key to add.
  Status Check(const Doc& doc, const Field& s, const Fields& fields, const SourceConfig& c) {
    auto need = [&](bool ok, std::string_view what) -> Status {
      if (ok) return core::Ok();
      return Fail(doc, s.where, std::string(what));
    };
    auto only = [&](std::string_view key, bool allowed) -> Status {
      const Field* f = fields.Find(key);
      if (f == nullptr || allowed) return core::Ok();
      return Fail(doc, f->where, fmt::format("not used by a {} source", SourceKindName(c.kind)));
    };
    const bool x = c.kind == SourceKind::kX, bsky = c.kind == SourceKind::kBluesky,
               reddit = c.kind == SourceKind::kReddit, yt = c.kind == SourceKind::kYouTube,
               rss = c.kind == SourceKind::kRss, masto = c.kind == SourceKind::kMastodon;
    LL_TRY(only("token", x || masto || reddit));
    LL_TRY(only("identifier", bsky));
    LL_TRY(only("password", bsky || reddit));
    LL_TRY(only("client_id", reddit));
    LL_TRY(only("auth_url", bsky || reddit));
    LL_TRY(only("user_agent", reddit));
    LL_TRY(only("api_key", yt));
    LL_TRY(only("video_ids", yt));
    LL_TRY(only("channel_ids", yt));
    LL_TRY(only("feeds", rss));
    const bool page = c.kind == SourceKind::kFacebookPage;
    LL_TRY(only("streaming", masto));
    LL_TRY(only("streaming_url", masto));
    LL_TRY(only("app_secret", page));
    LL_TRY(only("verify_token", page));
    LL_TRY(only("page_ids", page));
    if (page) {
      LL_TRY(need(!c.app_secret.empty(),
                  "app_secret: required (the Meta app's secret, { env: NAME }: it signs every "
                  "delivery with X-Hub-Signature-256)"));
      LL_TRY(need(!c.verify_token.empty(),
                  "verify_token: required (the token typed in the app's webhook settings, "
                  "{ env: NAME })"));
      LL_TRY(need(!c.page_ids.empty(), "page_ids: required (the Pages whose feed to take)"));
    }
    if (x)
      LL_TRY(need(!c.token.empty(), "token: required (the app's bearer token, { env: NAME })"));
    if (bsky) {
      LL_TRY(need(!c.identifier.empty() && !c.password.empty(),
                  "identifier: and password: required (a handle and an app password, "
                  "{ env: NAME }): searchPosts needs a signed-in session"));
    }
    if (reddit) {
      LL_TRY(need(!c.token.empty() || (!c.client_id.empty() && !c.password.empty()),
                  "token: or client_id: and password: (the app's secret) required"));
      LL_TRY(need(!c.user_agent.empty(),
                  "user_agent: required (reddit asks for \"<platform>:<app id>:<version> (by "
                  "/u/<username>)\")"));
    }
    if (yt) {
      LL_TRY(need(!c.api_key.empty(), "api_key: required ({ env: NAME })"));
      LL_TRY(need(!c.video_ids.empty() || !c.channel_ids.empty(),
                  "video_ids: or channel_ids: required (whose comment threads to read)"));
    }
    if (rss) LL_TRY(need(!c.feeds.empty(), "feeds: required (the URLs of feeds of mentions)"));
    return core::Ok();
  }

  Status Spike(const Doc& doc, const Field& section) {
    LL_ASSIGN(Fields fields,
              yaml::ReadMap(doc, section.value, section.where, kSpikeKeys, "spike thresholds"));
    SpikeConfig& s = out_.spike;
    for (const Field& x : fields.items) {
      const Where at = yaml::At(x.where, x.value);
      if (x.key == "min_weeks" || x.key == "max_weeks" || x.key == "consecutive") {
        LL_ASSIGN(long long n, yaml::GetInt(doc, x.value, x.where, 1, 52));
        (x.key == "min_weeks"   ? s.min_weeks
         : x.key == "max_weeks" ? s.max_weeks
                                : s.consecutive) = static_cast<int>(n);
      } else if (x.key == "min_count") {
        LL_ASSIGN(s.min_count, yaml::GetInt(doc, x.value, x.where, 1, 1000000));
      } else if (x.key == "alpha" || x.key == "min_ratio" || x.key == "floor") {
        LL_ASSIGN(std::string v, yaml::GetNonEmpty(doc, x.value, x.where, "a number"));
        char* end = nullptr;
        double d = std::strtod(v.c_str(), &end);
        if (end == v.c_str() || *end != '\0') {
          return Fail(doc, at, fmt::format("expected a number, got '{}'", v));
        }
        (x.key == "alpha" ? s.alpha : x.key == "min_ratio" ? s.min_ratio : s.floor) = d;
      } else if (x.key == "cooldown" || x.key == "partial_min") {
        LL_ASSIGN(auto d, yaml::GetDuration(doc, x.value, x.where));
        (x.key == "cooldown" ? s.cooldown : s.partial_min) =
            std::chrono::duration_cast<std::chrono::minutes>(d);
      } else if (x.key == "judge_partial_hour") {
        LL_ASSIGN(s.judge_partial_hour, yaml::GetBool(doc, x.value, x.where));
      }
    }
    if (auto v = s.Validate(); !v.ok()) {
      // The detector names the field first ("alpha must be ..."): point at its line.
      const std::string& m = v.error().message();
      const Field* f = fields.Find(m.substr(0, m.find(' ')));
      return Fail(doc, f != nullptr ? yaml::At(f->where, f->value) : section.where, m);
    }
    return core::Ok();
  }

  const config::Config& config_;
  std::vector<std::string> platform_ids_;
  ListenConfig out_;
};

bool WordChar(unsigned char c) { return std::isalnum(c) || c == '_' || c >= 0x80; }

}  // namespace

std::string_view QueryKindName(QueryKind k) {
  switch (k) {
    case QueryKind::kMentions:
      return "mentions";
    case QueryKind::kHashtags:
      return "hashtags";
    case QueryKind::kChatter:
      return "chatter";
  }
  return "mentions";
}

std::string_view SourceKindName(SourceKind k) {
  switch (k) {
    case SourceKind::kX:
      return "x";
    case SourceKind::kMastodon:
      return "mastodon";
    case SourceKind::kBluesky:
      return "bluesky";
    case SourceKind::kReddit:
      return "reddit";
    case SourceKind::kYouTube:
      return "youtube";
    case SourceKind::kRss:
      return "rss";
    case SourceKind::kFacebookPage:
      return "facebook_page";
  }
  return "x";
}

std::vector<std::string> DefaultChatterTerms(std::string_view id, std::string_view name) {
  std::string lower = text::Lower(name);
  std::string tag;
  for (char c : lower) {
    if (WordChar(static_cast<unsigned char>(c))) tag += c;
  }
  if (tag.empty()) tag = text::Lower(id);
  std::vector<std::string> out = {lower + " down", "#" + tag + "down", "is " + lower + " down"};
  const std::string id_tag = "#" + text::Lower(id) + "down";
  if (id_tag != out[1]) out.push_back(id_tag);
  return out;
}

bool Query::Matches(std::string_view text) const {
  const std::string hay = text::Lower(text);
  for (const std::string& term : terms) {
    const std::string needle = text::Lower(term);
    if (needle.empty()) continue;
    for (std::size_t at = hay.find(needle); at != std::string::npos;
         at = hay.find(needle, at + 1)) {
      const bool tag = needle[0] == '#' || needle[0] == '@';
      const bool left_ok = at == 0 || (!WordChar(static_cast<unsigned char>(hay[at - 1])) &&
                                       (!tag || hay[at - 1] != needle[0]));
      const std::size_t end = at + needle.size();
      const bool right_ok = end >= hay.size() || !WordChar(static_cast<unsigned char>(hay[end]));
      if (left_ok && right_ok) return true;
    }
  }
  return false;
}

const Query* ListenConfig::FindQuery(std::string_view id) const {
  for (const auto& q : queries) {
    if (q.id == id) return &q;
  }
  return nullptr;
}

core::Result<ListenConfig> LoadListenConfig(const config::Config& config) {
  const config::PartSection* sec = config.Section("listen");
  if (sec == nullptr) return ListenConfig{};
  Reader r(config);
  return r.Read(*sec);
}

}  // namespace lifeline::listen
