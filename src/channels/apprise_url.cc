// ParseAppriseUrl (registry.h): splits an Apprise-style channel address into its parts. Errors
// never quote the URL: it usually carries a token.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <string>

#include "channels/registry.h"

namespace lifeline::channels {

namespace {

using core::ErrorCode;
using core::MakeError;
using core::Result;

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// %XX escapes only: '+' stays a '+' (Apprise users paste phone numbers such as +15551234567,
// which form-decoding would turn into a space).
Result<std::string> Decode(std::string_view s, std::string_view part) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    int hi = i + 2 < s.size() ? HexValue(s[i + 1]) : -1;
    int lo = i + 2 < s.size() ? HexValue(s[i + 2]) : -1;
    if (hi < 0 || lo < 0) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "the URL's {} has a '%' that is not followed by two hex digits (write a "
                       "literal '%' as %25)",
                       part);
    }
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

Result<AppriseUrl> ParseAppriseUrl(std::string_view url) {
  AppriseUrl out;
  for (char c : url) {
    if (std::iscntrl(static_cast<unsigned char>(c)) || c == ' ') {
      return MakeError(ErrorCode::kInvalidArgument,
                       "the URL contains a space or control character (write a space as %20)");
    }
  }
  auto sep = url.find("://");
  if (sep == std::string_view::npos || sep == 0) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "not an Apprise-style URL: expected SCHEME://... (such as tgram://TOKEN/CHAT "
                     "or json://host/path)");
  }
  out.scheme = Lower(url.substr(0, sep));
  bool scheme_ok =
      std::isalpha(static_cast<unsigned char>(out.scheme[0])) &&
      std::all_of(out.scheme.begin(), out.scheme.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
      });
  if (!scheme_ok) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "the URL's scheme must be letters, digits, '+', '-' or '.'");
  }
  std::string_view rest = url.substr(sep + 3);
  // Apprise writes some services with three slashes (workflows:///host:443/...): the host is then
  // the first path segment.
  while (rest.starts_with("/")) rest.remove_prefix(1);

  // '#' is not a fragment here: Apprise addresses use it for channel names (slack://.../#general).
  std::string_view query;
  if (auto q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  std::string_view authority = rest;
  std::string_view path;
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    authority = rest.substr(0, slash);
    path = rest.substr(slash + 1);
  }

  // user[:password]@host: the last '@' ends the user part (a password may contain '@' unescaped).
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    std::string_view user = userinfo;
    if (auto colon = userinfo.find(':'); colon != std::string_view::npos) {
      user = userinfo.substr(0, colon);
      LL_ASSIGN(out.password, Decode(userinfo.substr(colon + 1), "password"));
    }
    LL_ASSIGN(out.user, Decode(user, "user name"));
  }

  std::string_view host = authority;
  std::string_view port;
  if (host.starts_with("[")) {
    auto close = host.find(']');
    if (close == std::string_view::npos) {
      return MakeError(ErrorCode::kInvalidArgument, "the URL's IPv6 address lacks its ']'");
    }
    if (close + 1 < host.size()) {
      if (host[close + 1] != ':') {
        return MakeError(ErrorCode::kInvalidArgument,
                         "the URL has text after its IPv6 address's ']' that is not :PORT");
      }
      port = host.substr(close + 2);
    }
    host = host.substr(1, close - 1);
  } else if (auto colon = host.rfind(':'); colon != std::string_view::npos) {
    std::string_view after = host.substr(colon + 1);
    // Only digits make a port: a Telegram bot token (123456:ABC-xyz) sits where the host is.
    if (!after.empty() && after.size() <= 5 && std::all_of(after.begin(), after.end(), [](char c) {
          return std::isdigit(static_cast<unsigned char>(c));
        })) {
      port = after;
      host = host.substr(0, colon);
    }
  }
  if (!port.empty()) {
    int p = 0;
    auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (ec != std::errc() || ptr != port.data() + port.size() || p < 1 || p > 65535) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "the URL's port must be a number from 1 to 65535");
    }
    out.port = p;
  }
  LL_ASSIGN(out.host, Decode(host, "host"));

  while (!path.empty()) {
    auto slash = path.find('/');
    std::string_view seg = path.substr(0, slash);
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
    if (seg.empty()) continue;
    LL_ASSIGN(std::string decoded, Decode(seg, "path"));
    out.path.push_back(std::move(decoded));
  }

  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    std::string_view key = pair.substr(0, eq);
    std::string_view value =
        eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    LL_ASSIGN(std::string k, Decode(key, "query"));
    LL_ASSIGN(std::string v, Decode(value, "query"));
    if (k.empty()) {
      return MakeError(ErrorCode::kInvalidArgument, "the URL's query has a value without a name");
    }
    out.query.emplace(Lower(k), std::move(v));
  }
  return out;
}

}  // namespace lifeline::channels
