// Scalar value parsers for the config: durations, sizes, URLs, host:port, resolver addresses,
// and the edit-distance matcher behind "did you mean" suggestions.
#include "config/values.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <utility>

#include <fmt/core.h>

namespace lifeline::config {
namespace {

using core::ErrorCode;
using core::MakeError;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Splits "1.5MiB" into the number and the unit; the number is digits with at most one '.'.
bool SplitNumber(std::string_view text, double* number, std::string_view* unit) {
  std::size_t i = 0;
  bool dot = false;
  bool digit = false;
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (std::isdigit(static_cast<unsigned char>(c))) {
      digit = true;
    } else if (c == '.' && !dot) {
      dot = true;
    } else {
      break;
    }
  }
  if (!digit) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + i, *number);
  if (ec != std::errc() || ptr != text.data() + i) return false;
  *unit = Trim(text.substr(i));
  return true;
}

bool ParsePort(std::string_view text, std::uint16_t* port) {
  if (text.empty() || text.size() > 5) return false;
  unsigned value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size()) return false;
  if (value < 1 || value > 65535) return false;
  *port = static_cast<std::uint16_t>(value);
  return true;
}

bool IsIpv4(std::string_view text) {
  std::string s(text);
  in_addr a;
  return inet_pton(AF_INET, s.c_str(), &a) == 1;
}

bool IsIpv6(std::string_view text) {
  std::string s(text);
  in6_addr a;
  return inet_pton(AF_INET6, s.c_str(), &a) == 1;
}

}  // namespace

core::Result<std::chrono::milliseconds> ParseDuration(std::string_view text) {
  std::string_view t = Trim(text);
  double number = 0;
  std::string_view unit;
  if (!SplitNumber(t, &number, &unit)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "'{}' is not a duration (write e.g. 250ms, 5s, 1m, or a number of seconds)",
                     t);
  }
  double factor = 0;
  std::string u = Lower(unit);
  if (u.empty() || u == "s") {
    factor = 1000;
  } else if (u == "ms") {
    factor = 1;
  } else if (u == "m" || u == "min") {
    factor = 60'000;
  } else if (u == "h") {
    factor = 3'600'000;
  } else {
    return MakeError(ErrorCode::kInvalidArgument,
                     "'{}' has an unknown unit '{}' (use ms, s, m or h, e.g. 250ms or 5s)", t,
                     unit);
  }
  double ms = std::round(number * factor);
  if (ms < 1) {
    return MakeError(ErrorCode::kInvalidArgument, "'{}' must be greater than zero (e.g. 5s)", t);
  }
  if (ms > 7.0 * 24 * 3'600'000) {
    return MakeError(ErrorCode::kInvalidArgument, "'{}' is too long (at most a week)", t);
  }
  return std::chrono::milliseconds(static_cast<std::int64_t>(ms));
}

namespace {

// Reads exactly `n` digits at text[*i], advancing *i.
bool Digits(std::string_view text, std::size_t* i, std::size_t n, int* out) {
  if (*i + n > text.size()) return false;
  int v = 0;
  for (std::size_t k = 0; k < n; ++k) {
    char c = text[*i + k];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *i += n;
  *out = v;
  return true;
}

bool Expect(std::string_view text, std::size_t* i, char c) {
  if (*i >= text.size() || text[*i] != c) return false;
  ++*i;
  return true;
}

}  // namespace

core::Result<std::chrono::system_clock::time_point> ParseTimestamp(std::string_view text) {
  using namespace std::chrono;
  std::string_view t = Trim(text);
  auto bad = [&]() {
    return MakeError(ErrorCode::kInvalidArgument,
                     "'{}' is not an RFC 3339 time (write e.g. 2026-11-27T02:00:00Z or "
                     "2026-11-27T03:00:00+01:00)",
                     t);
  };
  std::size_t i = 0;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (!Digits(t, &i, 4, &y) || !Expect(t, &i, '-') || !Digits(t, &i, 2, &mo) ||
      !Expect(t, &i, '-') || !Digits(t, &i, 2, &d)) {
    return bad();
  }
  if (i >= t.size() || (t[i] != 'T' && t[i] != 't' && t[i] != ' ')) return bad();
  ++i;
  if (!Digits(t, &i, 2, &h) || !Expect(t, &i, ':') || !Digits(t, &i, 2, &mi) ||
      !Expect(t, &i, ':') || !Digits(t, &i, 2, &sec)) {
    return bad();
  }
  milliseconds frac{0};
  if (i < t.size() && t[i] == '.') {
    ++i;
    int scale = 100;
    std::size_t start = i;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') {
      frac += milliseconds((t[i] - '0') * scale);
      scale /= 10;
      ++i;
    }
    if (i == start) return bad();
  }
  minutes offset{0};
  if (i < t.size() && (t[i] == 'Z' || t[i] == 'z')) {
    ++i;
  } else if (i < t.size() && (t[i] == '+' || t[i] == '-')) {
    int sign = t[i] == '-' ? -1 : 1;
    ++i;
    int oh = 0, om = 0;
    if (!Digits(t, &i, 2, &oh) || !Expect(t, &i, ':') || !Digits(t, &i, 2, &om) || oh > 23 ||
        om > 59) {
      return bad();
    }
    offset = minutes(sign * (oh * 60 + om));
  } else {
    return MakeError(ErrorCode::kInvalidArgument,
                     "'{}' has no time zone (end it with Z for UTC, or an offset such as +01:00)",
                     t);
  }
  if (i != t.size()) return bad();
  year_month_day ymd{year(y), month(static_cast<unsigned>(mo)), day(static_cast<unsigned>(d))};
  if (!ymd.ok() || h > 23 || mi > 59 || sec > 60) {
    return MakeError(ErrorCode::kInvalidArgument, "'{}' is not a valid date and time", t);
  }
  // The clock counts nanoseconds in 64 bits: a later year would overflow (fuzz/config_fuzz.cc).
  if (y < 1678 || y > 2261) {
    return MakeError(ErrorCode::kInvalidArgument, "'{}' is outside the years 1678 to 2261", t);
  }
  sys_days days_since = ymd;
  return system_clock::time_point(days_since) + hours(h) + minutes(mi) + seconds(sec) + frac -
         offset;
}

core::Result<std::chrono::minutes> ParseTimeOfDay(std::string_view text) {
  std::string_view t = Trim(text);
  std::size_t i = 0;
  int h = 0, m = 0;
  bool ok = (Digits(t, &i, 2, &h) || (i = 0, Digits(t, &i, 1, &h))) && Expect(t, &i, ':') &&
            Digits(t, &i, 2, &m) && i == t.size() && h <= 23 && m <= 59;
  if (!ok) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "'{}' is not a time of day (write HH:MM from 00:00 to 23:59, e.g. 02:30)", t);
  }
  return std::chrono::minutes(h * 60 + m);
}

core::Result<std::chrono::weekday> ParseWeekday(std::string_view text) {
  static constexpr std::array<std::string_view, 7> kNames = {
      "sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"};
  std::string t = Lower(Trim(text));
  for (unsigned i = 0; i < kNames.size(); ++i) {
    if (t.size() >= 3 && kNames[i].starts_with(t)) return std::chrono::weekday(i);
  }
  return MakeError(ErrorCode::kInvalidArgument,
                   "'{}' is not a day of the week (write mon, tue, wed, thu, fri, sat or sun)",
                   Trim(text));
}

core::Result<double> ParseShare(std::string_view text, double max) {
  std::string_view t = Trim(text);
  double number = 0;
  std::string_view unit;
  if (!SplitNumber(t, &number, &unit) || (!unit.empty() && unit != "%")) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "'{}' is not a share (write a percentage such as 10% or a fraction such as "
                     "0.1)",
                     t);
  }
  double share = unit == "%" ? number / 100 : number;
  if (share > max) {
    return MakeError(ErrorCode::kInvalidArgument, "'{}' is too large (at most {}%)", t,
                     std::round(max * 100));
  }
  return share;
}

core::Result<std::size_t> ParseSize(std::string_view text) {
  std::string_view t = Trim(text);
  double number = 0;
  std::string_view unit;
  if (!SplitNumber(t, &number, &unit)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "'{}' is not a size (write a byte count or e.g. 512KiB, 1MiB)", t);
  }
  static constexpr std::array<std::pair<std::string_view, double>, 7> kUnits{{
      {"b", 1},
      {"kb", 1e3},
      {"mb", 1e6},
      {"gb", 1e9},
      {"kib", 1024.0},
      {"mib", 1024.0 * 1024},
      {"gib", 1024.0 * 1024 * 1024},
  }};
  double factor = 0;
  std::string u = Lower(unit);
  if (u.empty()) {
    factor = 1;
  } else {
    for (const auto& [name, f] : kUnits) {
      if (u == name) factor = f;
    }
  }
  if (factor == 0) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "'{}' has an unknown unit '{}' (use B, KiB, MiB, GiB, KB, MB or GB)", t, unit);
  }
  double bytes = std::round(number * factor);
  if (bytes < 1) {
    return MakeError(ErrorCode::kInvalidArgument, "'{}' must be at least one byte", t);
  }
  if (bytes > static_cast<double>(std::numeric_limits<std::uint32_t>::max()) * 1024) {
    return MakeError(ErrorCode::kInvalidArgument, "'{}' is too large", t);
  }
  return static_cast<std::size_t>(bytes);
}

core::Result<UrlParts> ParseUrl(std::string_view url) {
  auto bad = [&](std::string_view why) {
    return core::Error(ErrorCode::kInvalidArgument, fmt::format("'{}' {}", url, why));
  };
  for (char c : url) {
    if (std::isspace(static_cast<unsigned char>(c)) ||
        std::iscntrl(static_cast<unsigned char>(c))) {
      return bad("contains a space or control character (percent-encode it, e.g. %20)");
    }
  }
  std::size_t sep = url.find("://");
  if (sep == std::string_view::npos) {
    return bad("is not a URL (write the scheme and host, e.g. https://www.example.com/)");
  }
  UrlParts parts;
  parts.scheme = Lower(url.substr(0, sep));
  if (parts.scheme != "http" && parts.scheme != "https") {
    return bad(fmt::format("has scheme '{}' (use http:// or https://)", url.substr(0, sep)));
  }
  std::string_view rest = url.substr(sep + 3);
  std::size_t end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  std::string_view target = end == std::string_view::npos ? "" : rest.substr(end);
  if (authority.find('@') != std::string_view::npos) {
    return bad("carries credentials before '@' (put them in a header instead)");
  }
  std::string_view host = authority;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return bad("has an unclosed '[' in its host");
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad("has text after ']' that is not ':PORT'");
      port = after.substr(1);
      if (port.empty()) return bad("has an empty port after ':'");
    }
    if (!IsIpv6(host)) return bad(fmt::format("has '{}' in brackets, not an IPv6 address", host));
  } else {
    std::size_t colon = authority.rfind(':');
    if (colon != std::string_view::npos) {
      host = authority.substr(0, colon);
      port = authority.substr(colon + 1);
      if (port.empty()) return bad("has an empty port after ':'");
    }
    if (host.empty()) return bad("has no host (e.g. https://www.example.com/)");
    if (!IsValidHostname(host)) {
      return bad(fmt::format("has an invalid host '{}' (letters, digits, '-', '.' only)", host));
    }
  }
  if (host.empty()) return bad("has no host (e.g. https://www.example.com/)");
  parts.host = std::string(host);
  if (!port.empty()) {
    if (!ParsePort(port, &parts.port)) {
      return bad(fmt::format("has an invalid port '{}' (a number from 1 to 65535)", port));
    }
  } else {
    parts.port = parts.scheme == "https" ? 443 : 80;
  }
  std::size_t hash = target.find('#');
  if (hash != std::string_view::npos) target = target.substr(0, hash);
  parts.target = target.empty() ? "/" : std::string(target);
  if (parts.target.front() == '?') parts.target.insert(0, "/");
  return parts;
}

core::Result<HostPort> ParseHostPort(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return core::Error(ErrorCode::kInvalidArgument, fmt::format("'{}' {}", text, why));
  };
  if (text.find("://") != std::string_view::npos) {
    return bad("is a URL; 'tcp' takes HOST:PORT (e.g. chat.example.com:5222)");
  }
  HostPort hp;
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    std::size_t close = text.find(']');
    if (close == std::string_view::npos) return bad("has an unclosed '['");
    host = text.substr(1, close - 1);
    std::string_view after = text.substr(close + 1);
    if (after.size() < 2 || after.front() != ':') {
      return bad("needs a port after the address (write [ADDRESS]:PORT, e.g. [2001:db8::1]:443)");
    }
    port = after.substr(1);
    if (!IsIpv6(host)) return bad(fmt::format("has '{}' in brackets, not an IPv6 address", host));
  } else {
    std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      return bad("needs a port (write HOST:PORT, e.g. chat.example.com:5222)");
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return bad("looks like a bare IPv6 address (write [ADDRESS]:PORT, e.g. [2001:db8::1]:443)");
    }
    if (host.empty()) return bad("has no host (write HOST:PORT, e.g. chat.example.com:5222)");
    if (!IsValidHostname(host)) {
      return bad(fmt::format("has an invalid host '{}' (letters, digits, '-', '.' only)", host));
    }
  }
  if (!ParsePort(port, &hp.port)) {
    return bad(fmt::format("has an invalid port '{}' (a number from 1 to 65535)", port));
  }
  hp.host = std::string(host);
  return hp;
}

core::Status CheckResolver(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return core::Error(ErrorCode::kInvalidArgument, fmt::format("'{}' {}", text, why));
  };
  constexpr std::string_view kValid =
      "(an IP address with an optional port: 9.9.9.9, 9.9.9.9:53, "
      "2620:fe::fe or [2620:fe::fe]:53)";
  std::uint16_t port = 0;
  if (!text.empty() && text.front() == '[') {
    std::size_t close = text.find(']');
    if (close == std::string_view::npos) return bad(fmt::format("has an unclosed '[' {}", kValid));
    std::string_view addr = text.substr(1, close - 1);
    std::string_view after = text.substr(close + 1);
    if (!IsIpv6(addr)) return bad(fmt::format("is not a resolver address {}", kValid));
    if (!after.empty() && (after.front() != ':' || !ParsePort(after.substr(1), &port))) {
      return bad("has an invalid port (a number from 1 to 65535)");
    }
    return core::Ok();
  }
  if (IsIpv6(text) || IsIpv4(text)) return core::Ok();
  std::size_t colon = text.rfind(':');
  if (colon != std::string_view::npos && text.find(':') == colon) {
    std::string_view addr = text.substr(0, colon);
    if (IsIpv4(addr)) {
      if (!ParsePort(text.substr(colon + 1), &port)) {
        return bad("has an invalid port (a number from 1 to 65535)");
      }
      return core::Ok();
    }
  }
  std::string_view name = text.substr(0, colon);
  bool numeric = name.find_first_not_of("0123456789.") == std::string_view::npos;
  if (!numeric && IsValidHostname(name)) {
    return bad(fmt::format(
        "is a host name; a resolver must be an IP address so no other resolver is needed to "
        "find it {}",
        kValid));
  }
  return bad(fmt::format("is not a resolver address {}", kValid));
}

bool IsValidHostname(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.empty() || name.size() > 253) return false;
  std::size_t start = 0;
  while (start <= name.size()) {
    std::size_t dot = name.find('.', start);
    std::string_view label =
        name.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || label.size() > 63) return false;
    if (label.front() == '-' || label.back() == '-') return false;
    for (char c : label) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
    }
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return true;
}

bool IsIpLiteral(std::string_view text) { return IsIpv4(text) || IsIpv6(text); }

int EditDistance(std::string_view a, std::string_view b) {
  const std::size_t n = a.size();
  const std::size_t m = b.size();
  // Three rows suffice for optimal string alignment: the transposition looks two rows back.
  std::vector<int> prev2(m + 1), prev(m + 1), cur(m + 1);
  for (std::size_t j = 0; j <= m; ++j) prev[j] = static_cast<int>(j);
  for (std::size_t i = 1; i <= n; ++i) {
    cur[0] = static_cast<int>(i);
    for (std::size_t j = 1; j <= m; ++j) {
      int cost = a[i - 1] == b[j - 1] ? 0 : 1;
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        cur[j] = std::min(cur[j], prev2[j - 2] + 1);
      }
    }
    std::swap(prev2, prev);
    std::swap(prev, cur);
  }
  return prev[m];
}

std::optional<std::string> Closest(std::string_view word,
                                   const std::vector<std::string>& candidates) {
  std::string w = Lower(word);
  const int threshold = std::max(2, static_cast<int>(w.size()) / 3);
  std::optional<std::string> best;
  int best_distance = threshold + 1;
  for (const std::string& c : candidates) {
    int d = EditDistance(w, Lower(c));
    // A distance as large as the longer word means nothing was kept: no real resemblance.
    if (d >= static_cast<int>(std::max(w.size(), c.size()))) continue;
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best;
}

}  // namespace lifeline::config
