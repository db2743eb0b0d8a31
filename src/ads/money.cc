// Exact money conversions (money.h).
#include "ads/money.h"

#include <array>
#include <charconv>
#include <limits>

#include <fmt/format.h>

namespace lifeline::ads {
namespace {

constexpr std::int64_t kMicros = 1000000;

// Currencies Meta counts with offset 1 (no minor unit in its API).
constexpr std::array<std::string_view, 16> kNoMinor = {"BIF", "CLP", "COP", "CRC", "HUF", "ISK",
                                                       "IDR", "JPY", "KRW", "PYG", "TWD", "UGX",
                                                       "VND", "XAF", "XOF", "XPF"};

}  // namespace

std::int64_t MinorPerUnit(std::string_view currency) {
  for (std::string_view c : kNoMinor) {
    if (c == currency) return 1;
  }
  return 100;
}

core::Result<Money> FromMinor(std::string_view currency, std::int64_t minor) {
  const std::int64_t factor = kMicros / MinorPerUnit(currency);
  if (minor > std::numeric_limits<std::int64_t>::max() / factor ||
      minor < std::numeric_limits<std::int64_t>::min() / factor) {
    return core::MakeError(core::ErrorCode::kInvalidArgument, "{} minor units of {} is too large",
                           minor, currency);
  }
  return Money{std::string(currency), minor * factor};
}

core::Result<std::int64_t> ToMinor(const Money& m) {
  const std::int64_t factor = kMicros / MinorPerUnit(m.currency);
  if (m.micros % factor != 0) {
    return core::MakeError(
        core::ErrorCode::kInvalidArgument, "{} cannot be written in {}'s smallest unit (1/{})",
        Format(m), m.currency.empty() ? "the currency" : m.currency, MinorPerUnit(m.currency));
  }
  return m.micros / factor;
}

Money FromMicros(std::string_view currency, std::int64_t micros) {
  return Money{std::string(currency), micros};
}

core::Result<Money> FromDecimal(std::string_view currency, std::string_view text) {
  auto bad = [&] {
    return core::MakeError(core::ErrorCode::kInvalidArgument,
                           "'{}' is not an amount of money (digits, an optional '.' and at most 6 "
                           "decimals)",
                           text.substr(0, 40));
  };
  std::string_view s = text;
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  const std::size_t dot = s.find('.');
  std::string_view whole = s.substr(0, dot);
  std::string_view frac = dot == std::string_view::npos ? std::string_view() : s.substr(dot + 1);
  if (whole.empty() && frac.empty()) return bad();
  for (char c : whole) {
    if (c < '0' || c > '9') return bad();
  }
  for (char c : frac) {
    if (c < '0' || c > '9') return bad();
  }
  while (frac.size() > 6 && frac.back() == '0') frac.remove_suffix(1);
  if (frac.size() > 6) return bad();
  std::int64_t units = 0;
  if (!whole.empty()) {
    auto [p, ec] = std::from_chars(whole.data(), whole.data() + whole.size(), units);
    if (ec != std::errc() || units > std::numeric_limits<std::int64_t>::max() / kMicros) {
      return bad();
    }
  }
  std::int64_t f = 0;
  for (std::size_t i = 0; i < 6; ++i) f = f * 10 + (i < frac.size() ? frac[i] - '0' : 0);
  std::int64_t micros = units * kMicros + f;
  return Money{std::string(currency), negative ? -micros : micros};
}

std::string ToDecimal(const Money& m) {
  const bool negative = m.micros < 0;
  // Magnitude in unsigned arithmetic: -INT64_MIN does not fit a signed value.
  const std::uint64_t abs =
      negative ? 0 - static_cast<std::uint64_t>(m.micros) : static_cast<std::uint64_t>(m.micros);
  std::string frac = fmt::format("{:06}", abs % kMicros);
  while (!frac.empty() && frac.back() == '0') frac.pop_back();
  return fmt::format("{}{}{}{}", negative ? "-" : "", abs / kMicros, frac.empty() ? "" : ".", frac);
}

std::string Format(const Money& m) {
  std::string d = ToDecimal(m);
  const std::size_t dot = d.find('.');
  if (dot == std::string::npos) {
    if (MinorPerUnit(m.currency) > 1) d += ".00";
  } else if (d.size() - dot == 2) {
    d += "0";
  }
  return m.currency.empty() ? d : d + " " + m.currency;
}

}  // namespace lifeline::ads
