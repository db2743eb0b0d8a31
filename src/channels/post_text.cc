// Text measures of the public-post channels (post_text.h).
#include "channels/post_text.h"

#include <algorithm>
#include <cctype>

namespace lifeline::channels::post_text {

namespace {

// The code point at text[i] and its length; invalid bytes decode as U+FFFD of length 1, so that
// counting always advances and never reads past the end.
std::pair<char32_t, std::size_t> Decode(std::string_view s, std::size_t i) {
  unsigned char b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) return {b0, 1};
  std::size_t len = (b0 & 0xE0) == 0xC0 ? 2 : (b0 & 0xF0) == 0xE0 ? 3 : (b0 & 0xF8) == 0xF0 ? 4 : 0;
  if (len == 0 || i + len > s.size()) return {0xFFFD, 1};
  char32_t cp = b0 & (0x7F >> len);
  for (std::size_t k = 1; k < len; ++k) {
    unsigned char b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return {0xFFFD, 1};
    cp = (cp << 6) | (b & 0x3F);
  }
  return {cp, len};
}

bool IsSpace(char32_t cp) {
  return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == 0x0B || cp == 0x0C ||
         cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
         cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

// Characters that attach to the one before them (Grapheme_Cluster_Break Extend, SpacingMark and
// ZWJ, for the blocks that matter in practice).
bool Attaches(char32_t cp) {
  return (cp >= 0x0300 && cp <= 0x036F) ||  // combining diacritical marks
         (cp >= 0x0483 && cp <= 0x0489) ||  // Cyrillic combining marks
         (cp >= 0x0591 && cp <= 0x05C7 && cp != 0x05BE && cp != 0x05C0 && cp != 0x05C3 &&
          cp != 0x05C6) ||  // Hebrew points
         (cp >= 0x0610 && cp <= 0x061A) ||
         (cp >= 0x064B && cp <= 0x065F) || cp == 0x0670 || (cp >= 0x0900 && cp <= 0x0903) ||
         (cp >= 0x093A && cp <= 0x094F) ||                                  // Devanagari signs
         (cp >= 0x0E31 && cp <= 0x0E3A && cp != 0x0E32 && cp != 0x0E33) ||  // Thai
         (cp >= 0x0E47 && cp <= 0x0E4E) || (cp >= 0x1AB0 && cp <= 0x1AFF) ||
         (cp >= 0x1DC0 && cp <= 0x1DFF) || cp == 0x200C || cp == 0x200D ||  // ZWNJ, ZWJ
         (cp >= 0x20D0 && cp <= 0x20FF) ||  // combining marks for symbols (keycap U+20E3)
         (cp >= 0xFE00 && cp <= 0xFE0F) ||  // variation selectors
         (cp >= 0xFE20 && cp <= 0xFE2F) ||
         (cp >= 0x1F3FB && cp <= 0x1F3FF) ||  // emoji skin-tone modifiers
         (cp >= 0xE0020 && cp <= 0xE007F) ||  // tags (subdivision flags)
         (cp >= 0xE0100 && cp <= 0xE01EF);    // variation selectors supplement
}

bool IsRegionalIndicator(char32_t cp) { return cp >= 0x1F1E6 && cp <= 0x1F1FF; }

bool IsEmojiBase(char32_t cp) {
  return (cp >= 0x1F000 && cp <= 0x1FAFF) || (cp >= 0x2600 && cp <= 0x27BF) ||
         (cp >= 0x2B00 && cp <= 0x2BFF) || (cp >= 0x2190 && cp <= 0x21FF) || cp == 0x00A9 ||
         cp == 0x00AE || cp == 0x203C || cp == 0x2049 || cp == 0x2122 || cp == 0x2139 ||
         (cp >= 0x231A && cp <= 0x23FF) || (cp >= 0x25AA && cp <= 0x25FE) || cp == 0x3030 ||
         cp == 0x303D || cp == 0x3297 || cp == 0x3299;
}

// One user-perceived character: [start, end) in bytes, and whether it is an emoji sequence.
struct Cluster {
  std::size_t start = 0;
  std::size_t end = 0;
  bool emoji = false;
};

std::vector<Cluster> Clusters(std::string_view s) {
  std::vector<Cluster> out;
  std::size_t i = 0;
  while (i < s.size()) {
    Cluster c;
    c.start = i;
    auto [first, len] = Decode(s, i);
    i += len;
    c.emoji = IsEmojiBase(first) || IsRegionalIndicator(first);
    if (first == '\r' && i < s.size() && s[i] == '\n') {
      ++i;
    } else if (IsRegionalIndicator(first) && i < s.size() &&
               IsRegionalIndicator(Decode(s, i).first)) {
      i += Decode(s, i).second;  // a flag: two regional indicators
    }
    if (first != '\r' && first != '\n') {
      bool joined = false;
      while (i < s.size()) {
        auto [cp, n] = Decode(s, i);
        if (Attaches(cp)) {
          if (cp == 0xFE0F || cp == 0x20E3 || (cp >= 0x1F3FB && cp <= 0x1F3FF)) c.emoji = true;
          joined = cp == 0x200D;
          i += n;
        } else if (joined && c.emoji) {
          i += n;  // the next emoji of a ZWJ sequence (a family, a profession)
          joined = false;
        } else {
          break;
        }
      }
    }
    c.end = i;
    out.push_back(c);
  }
  return out;
}

bool IsTrailingPunctuation(char c) {
  return std::string_view(".,;:!?'\"]}>*").find(c) != std::string_view::npos;
}

bool Overlaps(const std::vector<Span>& spans, std::size_t start, std::size_t end) {
  for (const Span& s : spans) {
    if (start < s.end && s.start < end) return true;
  }
  return false;
}

bool TokenBoundaryBefore(std::string_view text, std::size_t i) {
  if (i == 0) return true;
  // Walk back to the start of the previous code point.
  std::size_t j = i - 1;
  while (j > 0 && (static_cast<unsigned char>(text[j]) & 0xC0) == 0x80) --j;
  char32_t cp = Decode(text, j).first;
  return IsSpace(cp) || cp == '(' || cp == '[' || cp == '"' || cp == '\'' || cp == '<';
}

std::size_t TokenEnd(std::string_view text, std::size_t i) {
  while (i < text.size()) {
    auto [cp, n] = Decode(text, i);
    if (IsSpace(cp)) break;
    i += n;
  }
  return i;
}

}  // namespace

std::vector<Span> FindLinks(std::string_view text) {
  std::vector<Span> out;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t at = std::string_view::npos;
    for (std::string_view scheme : {std::string_view("https://"), std::string_view("http://")}) {
      std::size_t p = text.find(scheme, i);
      if (p != std::string_view::npos && p < at) at = p;
    }
    if (at == std::string_view::npos) break;
    std::size_t scheme_len = text.compare(at, 8, "https://") == 0 ? 8 : 7;
    if (!TokenBoundaryBefore(text, at)) {
      i = at + scheme_len;
      continue;
    }
    std::size_t end = TokenEnd(text, at);
    // Leave out trailing punctuation; keep ')' only when the link itself opened one.
    while (end > at + scheme_len) {
      char c = text[end - 1];
      if (IsTrailingPunctuation(c)) {
        --end;
        continue;
      }
      if (c == ')') {
        std::string_view body = text.substr(at, end - at);
        if (std::count(body.begin(), body.end(), '(') < std::count(body.begin(), body.end(), ')')) {
          --end;
          continue;
        }
      }
      break;
    }
    if (end > at + scheme_len) out.push_back({at, end, std::string(text.substr(at, end - at))});
    i = std::max(end, at + scheme_len);
  }
  return out;
}

std::vector<Span> FindHashtags(std::string_view text) {
  std::vector<Span> out;
  std::vector<Span> links = FindLinks(text);
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '#' || !(i == 0 || IsSpace(Decode(text, i - 1).first) ||
                            std::isspace(static_cast<unsigned char>(text[i - 1])))) {
      continue;
    }
    std::size_t end = i + 1;
    std::size_t chars = 0;
    bool all_digits = true;
    while (end < text.size()) {
      auto [cp, n] = Decode(text, end);
      bool word = cp >= 0x80 ? !IsSpace(cp) : (std::isalnum(static_cast<int>(cp)) || cp == '_');
      if (!word) break;
      if (cp < '0' || cp > '9') all_digits = false;
      end += n;
      ++chars;
    }
    if (chars == 0 || chars > 64 || all_digits || Overlaps(links, i, end)) continue;
    out.push_back({i, end, std::string(text.substr(i + 1, end - i - 1))});
    i = end - 1;
  }
  return out;
}

std::vector<Span> FindBareDomains(std::string_view text) {
  std::vector<Span> out;
  std::vector<Span> links = FindLinks(text);
  std::size_t i = 0;
  while (i < text.size()) {
    auto [cp, n] = Decode(text, i);
    if (IsSpace(cp)) {
      i += n;
      continue;
    }
    std::size_t start = i;
    std::size_t end = TokenEnd(text, i);
    i = end;
    while (end > start && (IsTrailingPunctuation(text[end - 1]) || text[end - 1] == ')')) --end;
    while (start < end && (text[start] == '(' || text[start] == '"' || text[start] == '\'')) {
      ++start;
    }
    if (end <= start || Overlaps(links, start, end)) continue;
    std::string_view token = text.substr(start, end - start);
    std::string_view host = token.substr(0, token.find('/'));
    if (host.find('@') != std::string_view::npos) continue;  // an e-mail address
    auto dot = host.rfind('.');
    if (dot == std::string_view::npos || dot == 0) continue;
    std::string_view tld = host.substr(dot + 1);
    if (tld.size() < 2 || !std::all_of(tld.begin(), tld.end(), [](char c) {
          return std::isalpha(static_cast<unsigned char>(c));
        })) {
      continue;
    }
    bool name_ok = std::all_of(host.begin(), host.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-';
    });
    if (name_ok && host.find("..") == std::string_view::npos) {
      out.push_back({start, end, std::string(token)});
    }
  }
  return out;
}

std::size_t Graphemes(std::string_view text) { return Clusters(text).size(); }

std::size_t MastodonLength(std::string_view text) {
  std::vector<Span> links = FindLinks(text);
  std::size_t n = 0;
  std::size_t i = 0;
  std::size_t next_link = 0;
  while (i < text.size()) {
    if (next_link < links.size() && links[next_link].start == i) {
      n += 23;
      i = links[next_link].end;
      ++next_link;
      continue;
    }
    // "@user@server.example" counts as "@user": the server part is free.
    if (text[i] == '@' && TokenBoundaryBefore(text, i)) {
      std::size_t end = TokenEnd(text, i);
      std::string_view mention = text.substr(i, end - i);
      auto second = mention.find('@', 1);
      if (second != std::string_view::npos && second > 1) {
        n += second;  // '@' + the user name, all ASCII in Mastodon
        i = end;
        continue;
      }
    }
    i += Decode(text, i).second;
    ++n;
  }
  return n;
}

std::size_t XWeightedLength(std::string_view text) {
  std::vector<Span> links = FindLinks(text);
  for (Span& s : FindBareDomains(text)) links.push_back(std::move(s));
  std::sort(links.begin(), links.end(),
            [](const Span& a, const Span& b) { return a.start < b.start; });
  std::size_t weight = 0;  // in hundredths, as twitter-text scales it
  std::size_t next_link = 0;
  for (const Cluster& c : Clusters(text)) {
    while (next_link < links.size() && links[next_link].end <= c.start) ++next_link;
    if (next_link < links.size() && c.start >= links[next_link].start) {
      if (c.start == links[next_link].start) {
        // A link is 23. A bare domain X may not take for a link weighs what its characters do,
        // if that is more: the count stays at or above X's.
        std::size_t own = 0;
        for (std::size_t j = links[next_link].start; j < links[next_link].end;) {
          auto [cp, n] = Decode(text, j);
          own += cp <= 0x10FF ? 100 : 200;
          j += n;
        }
        bool scheme = links[next_link].value.starts_with("http");
        weight += scheme ? 2300 : std::max<std::size_t>(2300, own);
      }
      continue;
    }
    if (c.emoji) {
      weight += 200;
      continue;
    }
    for (std::size_t j = c.start; j < c.end;) {
      auto [cp, n] = Decode(text, j);
      bool light = cp <= 4351 || (cp >= 8192 && cp <= 8205) || (cp >= 8208 && cp <= 8223) ||
                   (cp >= 8242 && cp <= 8247);
      weight += light ? 100 : 200;
      j += n;
    }
  }
  return (weight + 99) / 100;
}

}  // namespace lifeline::channels::post_text
