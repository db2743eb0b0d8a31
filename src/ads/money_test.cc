// Exact money conversions between Meta minor units, Google micros and TikTok decimals.
#include "ads/money.h"

#include <gtest/gtest.h>

namespace lifeline::ads {
namespace {

TEST(Money, MinorUnitsFollowTheCurrency) {
  auto usd = FromMinor("USD", 5000);
  ASSERT_TRUE(usd.ok());
  EXPECT_EQ(usd->micros, 50000000);
  EXPECT_EQ(Format(*usd), "50.00 USD");
  auto jpy = FromMinor("JPY", 5000);
  ASSERT_TRUE(jpy.ok());
  EXPECT_EQ(jpy->micros, 5000000000);
  EXPECT_EQ(Format(*jpy), "5000 JPY");
}

TEST(Money, MicrosToMinorIsExactOrRefused) {
  auto cents = ToMinor(FromMicros("USD", 12340000));
  ASSERT_TRUE(cents.ok());
  EXPECT_EQ(*cents, 1234);
  auto bad = ToMinor(FromMicros("USD", 12345000));  // 12.345 USD: no such number of cents
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("12.345 USD"), std::string::npos) << bad.error().message();
  EXPECT_FALSE(ToMinor(FromMicros("JPY", 1500000)).ok());  // 1.5 yen
}

TEST(Money, DecimalsRoundTripExactly) {
  for (const char* text : {"0", "50", "50.5", "0.01", "123456.789012", "-3.25", "0.000001"}) {
    auto m = FromDecimal("EUR", text);
    ASSERT_TRUE(m.ok()) << text;
    EXPECT_EQ(ToDecimal(*m), std::string(text)) << text;
  }
  EXPECT_EQ(FromDecimal("EUR", "50.10")->micros, 50100000);
  EXPECT_EQ(FromDecimal("EUR", "1.2300000")->micros, 1230000);  // trailing zeros past 6 places
  // 0.1 + 0.2 through doubles would not be 0.3; through micros it is.
  EXPECT_EQ(FromDecimal("EUR", "0.1")->micros + FromDecimal("EUR", "0.2")->micros,
            FromDecimal("EUR", "0.3")->micros);
}

TEST(Money, BadDecimalsAreRefused) {
  for (const char* text : {"", ".", "abc", "1.2.3", "1e5", "0.0000001", "12,50", " 5"}) {
    EXPECT_FALSE(FromDecimal("EUR", text).ok()) << text;
  }
}

TEST(Money, MetaCentsToTikTokDecimalToGoogleMicros) {
  // 49.99 USD moved from a Meta campaign to TikTok and to Google is the same amount everywhere.
  auto m = FromMinor("USD", 4999);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(ToDecimal(*m), "49.99");
  EXPECT_EQ(FromDecimal("USD", ToDecimal(*m))->micros, 49990000);
  EXPECT_EQ(*ToMinor(FromMicros("USD", m->micros)), 4999);
}

}  // namespace
}  // namespace lifeline::ads
