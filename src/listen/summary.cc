// Dedup keys and hourly summaries of listening (summary.h).
#include "listen/summary.h"

#include <algorithm>
#include <map>
#include <unordered_map>

#include <openssl/evp.h>

#include "listen/terms.h"
#include "listen/text.h"

namespace lifeline::listen {
namespace {

// Query parameters that say who shared a link or how, not which post it is.
bool IsTrackingParam(std::string_view name, std::string_view host) {
  static constexpr std::string_view kNames[] = {"fbclid", "gclid",  "igshid",  "igsh",
                                                "si",     "ref",    "ref_src", "ref_url",
                                                "mc_cid", "mc_eid", "feature"};
  if (name.starts_with("utm_")) return true;
  if (std::find(std::begin(kNames), std::end(kNames), name) != std::end(kNames)) return true;
  return host == "x.com" && (name == "s" || name == "t");
}

std::string Sha256Hex(std::string_view data, std::size_t hex_digits) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr) != 1) std::abort();
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len && out.size() < hex_digits; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 0xF];
  }
  return out;
}

bool IsUrlToken(std::string_view t) {
  const std::string lower = text::Lower(t.substr(0, 8));
  return lower.starts_with("http://") || lower.starts_with("https://") || lower.starts_with("www.");
}

}  // namespace

std::string NormaliseUrl(std::string_view url) {
  while (!url.empty() && (url.front() == ' ' || url.front() == '\t')) url.remove_prefix(1);
  while (!url.empty() && (url.back() == ' ' || url.back() == '\t')) url.remove_suffix(1);
  const std::size_t colon = url.find("://");
  if (colon == std::string_view::npos) return "";
  const std::string scheme = text::Lower(url.substr(0, colon));
  if (scheme != "http" && scheme != "https") return "";
  std::string_view rest = url.substr(colon + 3);
  rest = rest.substr(0, rest.find('#'));
  const std::size_t path_at = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, path_at);
  std::string_view path_query = path_at == std::string_view::npos ? "" : rest.substr(path_at);
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  std::string host = text::Lower(authority);
  if (host.ends_with(":443") || host.ends_with(":80")) host.resize(host.rfind(':'));
  if (host.empty()) return "";
  for (std::string_view prefix : {"www.", "m.", "mobile.", "old."}) {
    if (host.starts_with(prefix) && host.size() > prefix.size()) {
      host.erase(0, prefix.size());
      break;
    }
  }
  if (host == "twitter.com") host = "x.com";
  std::string_view path = path_query.substr(0, path_query.find('?'));
  std::string_view query;
  if (auto q = path_query.find('?'); q != std::string_view::npos) query = path_query.substr(q + 1);
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  if (path == "/") path = "";
  std::vector<std::string_view> params;
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    std::string_view param = query.substr(0, amp);
    query.remove_prefix(amp == std::string_view::npos ? query.size() : amp + 1);
    if (param.empty() || IsTrackingParam(param.substr(0, param.find('=')), host)) continue;
    params.push_back(param);
  }
  std::sort(params.begin(), params.end());
  std::string out = "https://" + host + std::string(path);
  for (std::size_t i = 0; i < params.size(); ++i) {
    out += i == 0 ? '?' : '&';
    out += params[i];
  }
  return out;
}

std::string NormaliseText(std::string_view input) {
  std::string out;
  for (std::string_view token : text::SplitWhitespace(input)) {
    if (IsUrlToken(token)) continue;
    if (!out.empty()) out += ' ';
    out += text::Lower(token);
  }
  return out;
}

std::string NormaliseAuthor(std::string_view author) {
  std::string a = text::Lower(author);
  const auto first = a.find_first_not_of(" \t");
  a.erase(0, first == std::string::npos ? a.size() : first);
  while (!a.empty() && (a.back() == ' ' || a.back() == '\t')) a.pop_back();
  if (!a.empty() && a.front() == '@') a.erase(0, 1);
  return a;
}

std::string DedupKey(const Post& post) {
  if (std::string url = NormaliseUrl(post.url); !url.empty()) return "url:" + url;
  const std::string text = NormaliseText(post.text);
  if (!text.empty()) {
    return "text:" + Sha256Hex(NormaliseAuthor(post.author) + "\n" + text, 32);
  }
  return "id:" + post.source + ":" + post.id;
}

namespace {

// A post that survived deduplication: its key, where it is in the input, and the merged figures.
struct Keyed {
  std::string key;
  std::size_t index;
  std::int64_t shares;
  TimePoint posted_at;
};

std::vector<Keyed> DeduplicateKeyed(std::span<const Post> posts) {
  std::vector<Keyed> out;
  std::unordered_map<std::string, std::size_t> seen;
  seen.reserve(posts.size());
  for (std::size_t i = 0; i < posts.size(); ++i) {
    const Post& p = posts[i];
    std::string key = DedupKey(p);
    auto [it, inserted] = seen.try_emplace(key, out.size());
    if (inserted) {
      out.push_back({std::move(key), i, p.shares, p.posted_at});
      continue;
    }
    Keyed& kept = out[it->second];
    kept.shares = std::max(kept.shares, p.shares);
    kept.posted_at = std::min(kept.posted_at, p.posted_at);
  }
  return out;
}

}  // namespace

std::vector<Post> Deduplicate(std::span<const Post> posts) {
  std::vector<Post> out;
  for (const Keyed& k : DeduplicateKeyed(posts)) {
    out.push_back(posts[k.index]);
    out.back().shares = k.shares;
    out.back().posted_at = k.posted_at;
  }
  return out;
}

double HourSummary::share(Polarity p) const {
  if (posts == 0) return 0;
  const int n = p == Polarity::kPositive ? positive : p == Polarity::kNegative ? negative : neutral;
  return static_cast<double>(n) / posts;
}

std::vector<HourSummary> SummariseHours(std::span<const Post> posts, const Vader& vader,
                                        const SummaryOptions& options) {
  struct Acc {
    HourSummary summary;
    double compound_sum = 0;
    std::unordered_map<std::string, int> terms;
    std::vector<TopPost> shared;
  };
  auto excluded = [&](const std::string& term) {
    std::string_view bare = term;
    if (bare.starts_with('#')) bare.remove_prefix(1);
    for (const auto& x : options.exclude_terms) {
      if (x == term || x == bare) return true;
    }
    return false;
  };
  std::map<Hour, Acc> hours;
  for (const Keyed& k : DeduplicateKeyed(posts)) {
    const Post& p = posts[k.index];
    const Hour h = HourOf(k.posted_at);
    Acc& acc = hours[h];
    acc.summary.hour = h;
    ++acc.summary.posts;
    const double compound = vader.Score(p.text).compound;
    acc.compound_sum += compound;
    switch (Classify(compound)) {
      case Polarity::kPositive:
        ++acc.summary.positive;
        break;
      case Polarity::kNeutral:
        ++acc.summary.neutral;
        break;
      case Polarity::kNegative:
        ++acc.summary.negative;
        break;
    }
    for (std::string& t : Terms(p.text)) {
      if (!excluded(t)) ++acc.terms[std::move(t)];
    }
    if (k.shares > 0) {
      acc.shared.push_back(
          {k.key, p.source, p.url, p.author, p.text, k.posted_at, k.shares, compound});
    }
  }
  std::vector<HourSummary> out;
  out.reserve(hours.size());
  for (auto& [hour, acc] : hours) {
    HourSummary& s = acc.summary;
    s.mean_compound = acc.compound_sum / s.posts;
    for (auto& [term, n] : acc.terms) s.top_terms.push_back({term, n});
    std::sort(s.top_terms.begin(), s.top_terms.end(), [](const TermCount& a, const TermCount& b) {
      return a.posts != b.posts ? a.posts > b.posts : a.term < b.term;
    });
    if (s.top_terms.size() > options.top_terms) s.top_terms.resize(options.top_terms);
    std::sort(acc.shared.begin(), acc.shared.end(), [](const TopPost& a, const TopPost& b) {
      if (a.shares != b.shares) return a.shares > b.shares;
      if (a.posted_at != b.posted_at) return a.posted_at < b.posted_at;
      return a.key < b.key;
    });
    if (acc.shared.size() > options.top_posts) acc.shared.resize(options.top_posts);
    s.top_posts = std::move(acc.shared);
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace lifeline::listen
