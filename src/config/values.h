// Parsers and checks for the scalar values a config holds (durations, sizes, URLs, host:port,
// resolver addresses) and the "did you mean" matcher. Errors carry only the "what is wrong" part.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace lifeline::config {

// "250ms", "5s", "1.5s", "1m", "1h", or a bare number of seconds ("5", "0.25"). Must be > 0.
core::Result<std::chrono::milliseconds> ParseDuration(std::string_view text);

// A byte count: "1048576", "512KiB", "1MiB", "2GiB", "10KB", "1MB" (KB/MB/GB are powers of 1000,
// KiB/MiB/GiB of 1024; units are case-insensitive, a space before the unit is allowed). Must be >
// 0.
core::Result<std::size_t> ParseSize(std::string_view text);

struct UrlParts {
  std::string scheme;      // "http" or "https", lowercase
  std::string host;        // without brackets for IPv6
  std::uint16_t port = 0;  // explicit or the scheme's default
  std::string target;      // path + query, "/" when empty
};

// An absolute http:// or https:// URL with a host and, if given, a port in 1-65535.
core::Result<UrlParts> ParseUrl(std::string_view url);

struct HostPort {
  std::string host;  // without brackets for IPv6
  std::uint16_t port = 0;
};

// "host:port", "192.0.2.1:443" or "[2001:db8::1]:443"; the port is required.
core::Result<HostPort> ParseHostPort(std::string_view text);

// An RFC 3339 time with a zone: "2026-11-27T02:00:00Z", "2026-11-27T03:00:00+01:00",
// "2026-11-27 02:00:00.5Z" (a space for the 'T', fractions of a second). Returned in UTC.
core::Result<std::chrono::system_clock::time_point> ParseTimestamp(std::string_view text);

// A time of day "HH:MM" (00:00-23:59), as minutes since midnight.
core::Result<std::chrono::minutes> ParseTimeOfDay(std::string_view text);

// A day of the week: "mon", "monday", "Mon" ... (English, any case).
core::Result<std::chrono::weekday> ParseWeekday(std::string_view text);

// A share: "10%" or a fraction "0.1"; the result is a fraction (0.1). Must be in [0, max].
core::Result<double> ParseShare(std::string_view text, double max);

// A resolver address: an IP literal with an optional port: "1.1.1.1", "9.9.9.9:53", "2620:fe::fe",
// "[2620:fe::fe]:53".
core::Status CheckResolver(std::string_view text);

// A DNS name: dot-separated labels of letters, digits, '-' and '_', at most 253 characters.
bool IsValidHostname(std::string_view name);
bool IsIpLiteral(std::string_view text);  // IPv4 or IPv6 (without brackets)

// Optimal-string-alignment distance (Levenshtein plus adjacent transpositions).
int EditDistance(std::string_view a, std::string_view b);

// The candidate closest to `word`, if within max(2, len/3) edits and not a complete rewrite.
// Ties go to the earlier candidate. Case is ignored.
std::optional<std::string> Closest(std::string_view word,
                                   const std::vector<std::string>& candidates);

}  // namespace lifeline::config
