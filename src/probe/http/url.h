// http(s) URLs as the prober needs them: parsing, the Host header, resolving a redirect's Location
// against the URL that answered (RFC 3986 section 5), and whether two hosts belong to one site.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace lifeline::probe::http {

struct Url {
  bool tls = false;         // https
  std::string host;         // lowercase; IPv6 without brackets
  std::uint16_t port = 80;  // explicit or the scheme's default
  std::string target;       // path and query, never empty ("/" at least); no fragment

  bool host_is_ip() const;  // an IPv4 or IPv6 literal: no DNS, no SNI
  bool default_port() const { return port == (tls ? 443 : 80); }
  std::string HostHeader() const;  // "example.com", "example.com:8443", "[::1]:8080"
  std::string ToString() const;    // "https://example.com:8443/path?q"
};

// Accepts http:// and https:// URLs with a host; rejects user info, other schemes and bad ports.
core::Result<Url> ParseUrl(std::string_view text);

// The URL a Location header points to, relative to `base` (absolute, scheme-relative "//host/...",
// absolute-path "/x", relative "x/y", "../x", "?q"). Fails for non-http(s) targets.
core::Result<Url> ResolveLocation(const Url& base, std::string_view location);

// RFC 3986 section 5.2.4 dot-segment removal; exposed for tests.
std::string RemoveDotSegments(std::string_view path);

// Whether two hosts plausibly belong to one site: equal, one a subdomain of the other, or the same
// last two labels ("www.instagram.com" ~ "instagram.com" ~ "i.instagram.com"). A coarse stand-in
// for the public-suffix list, used only by the captive-portal heuristic.
bool SameSite(std::string_view a, std::string_view b);

}  // namespace lifeline::probe::http
