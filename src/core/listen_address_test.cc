// The one listen-address parser of `lifeline agent --listen` and `api.listen`.
#include "core/listen_address.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace lifeline::core {
namespace {

using ::testing::HasSubstr;

TEST(ParseListenAddressTest, AcceptsIpv4AndBracketedIpv6) {
  auto any = ParseListenAddress("0.0.0.0:8089");
  ASSERT_TRUE(any.ok());
  EXPECT_TRUE(any->address().is_v4());
  EXPECT_EQ(any->address().to_string(), "0.0.0.0");
  EXPECT_EQ(any->port(), 8089);
  auto loop = ParseListenAddress("127.0.0.1:8080");
  ASSERT_TRUE(loop.ok());
  EXPECT_EQ(loop->port(), 8080);
  auto v6 = ParseListenAddress("[::1]:0");
  ASSERT_TRUE(v6.ok());
  EXPECT_TRUE(v6->address().is_v6());
  EXPECT_EQ(v6->address().to_string(), "::1");
  EXPECT_EQ(v6->port(), 0);
  auto all6 = ParseListenAddress("[::]:65535");
  ASSERT_TRUE(all6.ok());
  EXPECT_EQ(all6->port(), 65535);
}

TEST(ParseListenAddressTest, RefusesWhatIsNotAddrPortSayingWhy) {
  struct Case {
    std::string_view text;
    std::string_view why;
  };
  for (const Case& c : std::initializer_list<Case>{
           {"8089", "no port"},
           {"127.0.0.1", "no port"},
           {"localhost:8089", "not an IP address"},
           {"::1:8089", "an IPv6 address must be in brackets"},
           {"[::1]8089", "an IPv6 address must be in brackets"},
           {":8089", "no address"},
           {"[]:8089", "no address"},
           {"1.2.3.4:", "the port must be a number"},
           {"1.2.3.4:80x", "the port must be a number"},
           {"1.2.3.4:-1", "the port must be a number"},
           {"1.2.3.4:+80", "the port must be a number"},
           {"1.2.3.4:123456", "the port must be a number"},
           {"1.2.3.4:70000", "the port must be at most 65535"},
           {"127.0.0.1:99999", "the port must be at most 65535"},
       }) {
    auto r = ParseListenAddress(c.text);
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
    EXPECT_THAT(
        r.error().message(),
        HasSubstr(fmt::format("listen address '{}': {}; expected ADDR:PORT", c.text, c.why)))
        << c.text;
  }
}

}  // namespace
}  // namespace lifeline::core
