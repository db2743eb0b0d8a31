// URL parsing and redirect resolution for the HTTP probe; small on purpose: only what an http(s)
// probe target or a Location header can be.
#include "probe/http/url.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>

#include <fmt/core.h>

namespace lifeline::probe::http {

using core::ErrorCode;
using core::MakeError;

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool IsIp(const std::string& host) {
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

// The scheme of an absolute reference ("https" of "https://x"), or "" for a relative one.
std::string_view SchemeOf(std::string_view ref) {
  for (std::size_t i = 0; i < ref.size(); ++i) {
    char c = ref[i];
    if (c == ':') return i > 0 ? ref.substr(0, i) : std::string_view();
    bool ok = std::isalpha(static_cast<unsigned char>(c)) ||
              (i > 0 &&
               (std::isdigit(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.'));
    if (!ok) return {};
  }
  return {};
}

std::string_view StripFragment(std::string_view s) { return s.substr(0, s.find('#')); }

}  // namespace

bool Url::host_is_ip() const { return IsIp(host); }

std::string Url::HostHeader() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (!default_port()) h += fmt::format(":{}", port);
  return h;
}

std::string Url::ToString() const {
  return fmt::format("{}://{}{}", tls ? "https" : "http", HostHeader(), target);
}

core::Result<Url> ParseUrl(std::string_view text) {
  Url url;
  std::string_view rest = StripFragment(text);
  std::string scheme = Lower(SchemeOf(rest));
  if (scheme == "https") {
    url.tls = true;
    url.port = 443;
  } else if (scheme != "http") {
    return MakeError(ErrorCode::kInvalidArgument,
                     "URL '{}': only http:// and https:// are supported", text);
  }
  rest.remove_prefix(scheme.size() + 1);
  if (!rest.starts_with("//")) {
    return MakeError(ErrorCode::kInvalidArgument, "URL '{}': missing '//' after the scheme", text);
  }
  rest.remove_prefix(2);
  std::size_t auth_end = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, auth_end);
  std::string_view path_query = auth_end == std::string_view::npos ? "" : rest.substr(auth_end);
  if (authority.find('@') != std::string_view::npos) {
    return MakeError(ErrorCode::kInvalidArgument, "URL '{}': user info is not supported", text);
  }
  std::string_view host, port;
  if (authority.starts_with('[')) {
    auto close = authority.find(']');
    if (close == std::string_view::npos) {
      return MakeError(ErrorCode::kInvalidArgument, "URL '{}': missing ']'", text);
    }
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        return MakeError(ErrorCode::kInvalidArgument, "URL '{}': bad authority", text);
      }
      port = after.substr(1);
    }
    unsigned char buf[sizeof(in6_addr)];
    if (inet_pton(AF_INET6, std::string(host).c_str(), buf) != 1) {
      return MakeError(ErrorCode::kInvalidArgument, "URL '{}': bad IPv6 address", text);
    }
  } else {
    auto colon = authority.rfind(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (host.empty()) return MakeError(ErrorCode::kInvalidArgument, "URL '{}': no host", text);
  for (char c : host) {
    if (std::isspace(static_cast<unsigned char>(c)) ||
        std::iscntrl(static_cast<unsigned char>(c))) {
      return MakeError(ErrorCode::kInvalidArgument, "URL '{}': bad host", text);
    }
  }
  url.host = Lower(host);
  if (!port.empty()) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
      return MakeError(ErrorCode::kInvalidArgument, "URL '{}': bad port '{}'", text, port);
    }
    url.port = static_cast<std::uint16_t>(value);
  }
  // Built with push_back/append: GCC 12 at -O3 reports a bogus -Wrestrict for the equivalent
  // `target = "/"` and `"/" + path`.
  url.target.clear();
  if (path_query.empty() || path_query.front() == '?') url.target.push_back('/');
  url.target.append(path_query);
  for (char c : url.target) {
    if (c == ' ' || std::iscntrl(static_cast<unsigned char>(c))) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "URL '{}': unescaped space or control character", text);
    }
  }
  return url;
}

std::string RemoveDotSegments(std::string_view in) {
  std::string out;
  while (!in.empty()) {
    if (in.starts_with("../")) {
      in.remove_prefix(3);
    } else if (in.starts_with("./")) {
      in.remove_prefix(2);
    } else if (in.starts_with("/./")) {
      in.remove_prefix(2);
    } else if (in == "/.") {
      in = "/";
    } else if (in.starts_with("/../") || in == "/..") {
      in = in.size() == 3 ? std::string_view("/") : in.substr(3);
      auto slash = out.rfind('/');
      out.erase(slash == std::string::npos ? 0 : slash);
    } else if (in == "." || in == "..") {
      in = {};
    } else {
      std::size_t start = in.front() == '/' ? 1 : 0;
      std::size_t next = in.find('/', start);
      out.append(in.substr(0, next));
      in = next == std::string_view::npos ? std::string_view() : in.substr(next);
    }
  }
  return out;
}

core::Result<Url> ResolveLocation(const Url& base, std::string_view location) {
  std::string_view ref = StripFragment(location);
  // Servers sometimes send surrounding blanks; nothing else about Location is forgiven.
  while (!ref.empty() && (ref.front() == ' ' || ref.front() == '\t')) ref.remove_prefix(1);
  while (!ref.empty() && (ref.back() == ' ' || ref.back() == '\t')) ref.remove_suffix(1);
  if (!SchemeOf(ref).empty()) return ParseUrl(ref);
  if (ref.starts_with("//")) return ParseUrl(std::string(base.tls ? "https:" : "http:") += ref);

  Url out = base;
  std::string_view base_path = std::string_view(base.target).substr(0, base.target.find('?'));
  if (ref.empty()) return out;
  if (ref.front() == '?') {
    out.target = std::string(base_path) += ref;
    return out;
  }
  std::string_view ref_path = ref.substr(0, ref.find('?'));
  std::string_view ref_query =
      ref.find('?') == std::string_view::npos ? std::string_view() : ref.substr(ref.find('?'));
  std::string merged;
  if (ref_path.front() == '/') {
    merged = std::string(ref_path);
  } else {
    auto slash = base_path.rfind('/');
    if (slash == std::string_view::npos) {
      merged.push_back('/');
    } else {
      merged.append(base_path.substr(0, slash + 1));
    }
    merged += ref_path;
  }
  out.target = RemoveDotSegments(merged);
  if (out.target.empty() || out.target.front() != '/') out.target.insert(out.target.begin(), '/');
  out.target += ref_query;
  for (char c : out.target) {
    if (c == ' ' || std::iscntrl(static_cast<unsigned char>(c))) {
      return MakeError(ErrorCode::kInvalidArgument, "Location '{}': unescaped character", location);
    }
  }
  return out;
}

bool SameSite(std::string_view a, std::string_view b) {
  std::string x = Lower(a), y = Lower(b);
  while (!x.empty() && x.back() == '.') x.pop_back();
  while (!y.empty() && y.back() == '.') y.pop_back();
  if (x == y) return true;
  if (IsIp(x) || IsIp(y)) return false;
  auto last_two = [](std::string_view h) {
    auto last = h.rfind('.');
    if (last == std::string_view::npos || last == 0) return h;
    auto prev = h.rfind('.', last - 1);
    return prev == std::string_view::npos ? h : h.substr(prev + 1);
  };
  return last_two(x) == last_two(y);
}

}  // namespace lifeline::probe::http
