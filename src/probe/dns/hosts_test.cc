// The hosts file as the system resolver applies it to HTTP/TCP probe hosts.
#include "probe/dns/hosts.h"

#include <gtest/gtest.h>

namespace lifeline::probe::dns {
namespace {

TEST(ProbeHostsTest, ParsesAddressesNamesAliasesAndComments) {
  HostsTable t = HostsTable::Parse(
      "# a comment\n"
      "127.0.0.1\tlocalhost\n"
      "::1 localhost ip6-localhost\n"
      "10.9.8.7   Blocked.Example.COM  alias.example.com # blocked on purpose\n"
      "0.0.0.0 ads.example.com\n"
      "2001:DB8::1 blocked.example.com\n"
      "not-an-ip bogus.example.com\n"
      "192.0.2.1\n");
  EXPECT_EQ(t.Lookup("localhost"), (std::vector<std::string>{"127.0.0.1", "::1"}));
  EXPECT_EQ(t.Lookup("blocked.example.com"),
            (std::vector<std::string>{"10.9.8.7", "2001:db8::1"}));  // IPv4 first
  EXPECT_EQ(t.Lookup("BLOCKED.example.com."), t.Lookup("blocked.example.com"));
  EXPECT_EQ(t.Lookup("alias.example.com"), std::vector<std::string>{"10.9.8.7"});
  EXPECT_EQ(t.Lookup("ads.example.com"), std::vector<std::string>{"0.0.0.0"});
  EXPECT_TRUE(t.Lookup("bogus.example.com").empty());
  EXPECT_TRUE(t.Lookup("www.instagram.com").empty());
}

TEST(ProbeHostsTest, LocalhostAlwaysResolvesToLoopback) {
  HostsTable empty = HostsTable::Parse("");
  EXPECT_EQ(empty.Lookup("localhost"), (std::vector<std::string>{"127.0.0.1", "::1"}));
  EXPECT_EQ(empty.Lookup("app.localhost"), (std::vector<std::string>{"127.0.0.1", "::1"}));
  EXPECT_TRUE(HostsTable::Load("/nonexistent/hosts").Lookup("example.com").empty());
}

}  // namespace
}  // namespace lifeline::probe::dns
