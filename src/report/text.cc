// Times, durations, figures and escaping for the report's renderers (text.h).
#include "report/text.h"

#include <cmath>
#include <cstdint>

#include <fmt/format.h>

#include "core/types.h"

namespace lifeline::report {

std::string IsoTime(store::Time t) { return core::FormatTime(t); }

std::string ClockTime(store::Time t) { return IsoTime(t).substr(11); }

std::string HumanDuration(std::chrono::milliseconds d) {
  if (d.count() < 0) return "-" + HumanDuration(-d);
  const std::int64_t ms = d.count();
  if (ms == 0) return "0 s";
  if (ms < 1000) return fmt::format("{} ms", ms);
  const std::int64_t s = ms / 1000;
  auto two = [](std::int64_t big, const char* big_unit, std::int64_t small,
                const char* small_unit) {
    return small == 0 ? fmt::format("{} {}", big, big_unit)
                      : fmt::format("{} {} {} {}", big, big_unit, small, small_unit);
  };
  if (s < 60) return fmt::format("{} s", s);
  if (s < 3600) return two(s / 60, "min", s % 60, "s");
  if (s < 86400) return two(s / 3600, "h", (s % 3600) / 60, "min");
  return two(s / 86400, "d", (s % 86400) / 3600, "h");
}

std::string Offset(std::chrono::milliseconds d) {
  return d.count() < 0 ? HumanDuration(d) : "+" + HumanDuration(d);
}

std::string Percent(std::optional<double> share) {
  if (!share) return "—";
  std::string s = fmt::format("{:.1f}", *share * 100.0);
  if (s.ends_with(".0")) s.resize(s.size() - 2);
  return s + "%";
}

std::string Millis(std::optional<double> ms) {
  if (!ms) return "—";
  return fmt::format("{} ms", static_cast<std::int64_t>(std::llround(*ms)));
}

std::string Shorten(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  std::size_t cut = max_bytes;
  // Back to the start of a UTF-8 sequence (never inside one).
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xc0) == 0x80) --cut;
  return std::string(text.substr(0, cut)) + "…";
}

std::string Clean(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  const auto* s = reinterpret_cast<const unsigned char*>(in.data());
  const std::size_t n = in.size();
  for (std::size_t i = 0; i < n;) {
    unsigned char c = s[i];
    if (c < 0x80) {
      if ((c >= 0x20 && c != 0x7f) || c == '\t' || c == '\n') out += static_cast<char>(c);
      ++i;
      continue;
    }
    // The length of a well-formed UTF-8 sequence starting here (RFC 3629), or 0.
    std::size_t len = 0;
    if (c >= 0xc2 && c <= 0xdf) {
      len = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
      len = 3;
    } else if (c >= 0xf0 && c <= 0xf4) {
      len = 4;
    }
    bool ok = len != 0 && i + len <= n;
    for (std::size_t k = 1; ok && k < len; ++k) ok = (s[i + k] & 0xc0) == 0x80;
    if (ok && len == 3) {
      // No overlong forms, no surrogates.
      ok = !(c == 0xe0 && s[i + 1] < 0xa0) && !(c == 0xed && s[i + 1] >= 0xa0);
    }
    if (ok && len == 4) ok = !(c == 0xf0 && s[i + 1] < 0x90) && !(c == 0xf4 && s[i + 1] >= 0x90);
    if (ok && len == 2 && c == 0xc2 && s[i + 1] < 0xa0) {
      // C1 control characters (U+0080..U+009F): dropped like C0 ones.
      i += 2;
      continue;
    }
    if (!ok) {
      out += "\xef\xbf\xbd";  // U+FFFD
      ++i;
      continue;
    }
    out.append(in.substr(i, len));
    i += len;
  }
  return out;
}

std::string EscapeHtml(std::string_view text) {
  std::string out;
  for (char c : Clean(text)) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string EscapeMarkdown(std::string_view text) {
  std::string line = Clean(text);
  for (char& c : line) {
    if (c == '\n' || c == '\t') c = ' ';
  }
  std::string out;
  out.reserve(line.size() + 8);
  // A leading block marker (heading, quote, list item, setext underline, ordered list): escaped,
  // in case the text ends up at the start of a line.
  std::size_t start = line.find_first_not_of(' ');
  std::size_t digits_end = start;
  while (digits_end < line.size() && line[digits_end] >= '0' && line[digits_end] <= '9') {
    ++digits_end;
  }
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    const bool leading = i == start && (c == '#' || c == '+' || c == '-' || c == '=' || c == '>');
    const bool ordered = i == digits_end && digits_end != start && (c == '.' || c == ')');
    switch (c) {
      case '\\':
      case '`':
      case '*':
      case '_':
      case '[':
      case ']':
      case '<':
      case '>':
      case '|':
      case '~':
      case '&':
        out += '\\';
        break;
      default:
        if (leading || ordered) out += '\\';
    }
    out += c;
  }
  return out;
}

}  // namespace lifeline::report
