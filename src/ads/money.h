// Money as the three ad platforms write it, converted exactly: Meta budgets in the currency's
// minor units ("5000" = 50.00 USD, "5000" = 5000 JPY), Google in micros (50000000 = 50.00), TikTok
// in decimal currency (50.0). One type holds micros, so a conversion either is exact or fails.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace lifeline::ads {

struct Money {
  std::string currency;     // ISO 4217 ("USD", "JPY"); "" when the platform did not say
  std::int64_t micros = 0;  // 1 unit of currency = 1,000,000 micros

  friend bool operator==(const Money&, const Money&) = default;
};

// How many minor units make one unit of `currency`, as Meta counts them (its "offset"): 100 for
// most currencies, 1 for those without a minor unit in use (JPY, KRW, CLP, ...).
std::int64_t MinorPerUnit(std::string_view currency);

// Meta: minor units -> Money. kInvalidArgument on overflow.
core::Result<Money> FromMinor(std::string_view currency, std::int64_t minor);
// Money -> Meta minor units; kInvalidArgument when it is not a whole number of them ("50.005 USD
// cannot be written in cents").
core::Result<std::int64_t> ToMinor(const Money& m);
// Google: micros -> Money (always exact).
Money FromMicros(std::string_view currency, std::int64_t micros);
// TikTok and Meta insights: "50", "50.5", "-0.000001" -> Money; kInvalidArgument for anything
// else or more than 6 decimals that are not zeros.
core::Result<Money> FromDecimal(std::string_view currency, std::string_view text);
// Money -> "50.5" (shortest exact decimal; "50" for whole amounts).
std::string ToDecimal(const Money& m);
// "50.50 USD" for people (2 decimals, or the exact value when it needs more).
std::string Format(const Money& m);

}  // namespace lifeline::ads
