// Parsing of directly queried resolver addresses ("IP", "IP:PORT", "[IPv6]:PORT").
#include "probe/dns/resolver.h"

#include <gtest/gtest.h>

namespace lifeline::probe::dns {
namespace {

TEST(ProbeResolverTest, ParsesEveryAcceptedForm) {
  struct Case {
    const char* text;
    const char* ip;
    int port;
    bool v6;
  } cases[] = {
      {"1.1.1.1", "1.1.1.1", 53, false},
      {"127.0.0.1:5353", "127.0.0.1", 5353, false},
      {"[::1]:5353", "::1", 5353, true},
      {"[2001:db8::53]", "2001:db8::53", 53, true},
      {"2001:DB8:0:0::53", "2001:db8::53", 53, true},
  };
  for (const auto& c : cases) {
    auto r = ParseResolver(c.text);
    ASSERT_TRUE(r.ok()) << c.text << ": " << r.error().message();
    EXPECT_EQ(r->ip, c.ip) << c.text;
    EXPECT_EQ(r->port, c.port) << c.text;
    EXPECT_EQ(r->v6, c.v6) << c.text;
  }
  EXPECT_EQ(ParseResolver("[::1]:5353")->ToString(), "[::1]:5353");
  EXPECT_EQ(ParseResolver("9.9.9.9")->ToString(), "9.9.9.9:53");
}

TEST(ProbeResolverTest, RejectsNamesAndBadPorts) {
  for (const char* bad :
       {"", "dns.google", "dns.google:53", "1.2.3.4:", "1.2.3.4:0", "1.2.3.4:65536", "1.2.3.4:53x",
        "[::1", "[::1]5353", "[::1]:", "[1.2.3.4]:53", "1.2.3:53", "::1:53:x"}) {
    EXPECT_FALSE(ParseResolver(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace lifeline::probe::dns
