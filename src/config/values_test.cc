// Tests for the config's scalar parsers: durations, sizes, URLs, host:port, resolver addresses and
// the edit distance behind "did you mean".
#include "config/values.h"

#include <gtest/gtest.h>

namespace lifeline::config {
namespace {

using std::chrono::milliseconds;

TEST(ParseDuration, AcceptsTheDocumentedForms) {
  struct Case {
    const char* text;
    long long ms;
  };
  const Case cases[] = {
      {"250ms", 250}, {"5s", 5000},  {"1m", 60000},   {"1h", 3600000},
      {"5", 5000},    {"0.25", 250}, {"1.5s", 1500},  {" 2s ", 2000},
      {"10MS", 10},   {"2 s", 2000}, {"1min", 60000},
  };
  for (const Case& c : cases) {
    auto d = ParseDuration(c.text);
    ASSERT_TRUE(d.ok()) << c.text << ": " << d.error().message();
    EXPECT_EQ(*d, milliseconds(c.ms)) << c.text;
  }
}

TEST(ParseDuration, RejectsWithTheReason) {
  struct Case {
    const char* text;
    const char* why;
  };
  const Case cases[] = {
      {"", "not a duration"},         {"fast", "not a duration"},
      {"-5s", "not a duration"},      {"5 seconds", "unknown unit 'seconds'"},
      {"5d", "unknown unit 'd'"},     {"0", "greater than zero"},
      {"0.1ms", "greater than zero"}, {"1000h", "too long"},
      {"1.2.3s", "unknown unit"},
  };
  for (const Case& c : cases) {
    auto d = ParseDuration(c.text);
    ASSERT_FALSE(d.ok()) << c.text;
    EXPECT_NE(d.error().message().find(c.why), std::string::npos)
        << c.text << " -> " << d.error().message();
  }
}

TEST(ParseSize, AcceptsBytesAndUnits) {
  struct Case {
    const char* text;
    std::size_t bytes;
  };
  const Case cases[] = {
      {"1048576", 1048576}, {"512KiB", 512 * 1024}, {"1MiB", 1 << 20}, {"1 MiB", 1 << 20},
      {"2GiB", 2ull << 30}, {"10KB", 10000},        {"1MB", 1000000},  {"100B", 100},
      {"1mib", 1 << 20},    {"1.5KiB", 1536},
  };
  for (const Case& c : cases) {
    auto s = ParseSize(c.text);
    ASSERT_TRUE(s.ok()) << c.text << ": " << s.error().message();
    EXPECT_EQ(*s, c.bytes) << c.text;
  }
}

TEST(ParseSize, RejectsWithTheReason) {
  for (const char* bad : {"", "big", "1TB", "0", "-1", "5 megs"}) {
    auto s = ParseSize(bad);
    EXPECT_FALSE(s.ok()) << bad;
  }
  EXPECT_NE(ParseSize("1TB").error().message().find("unknown unit 'TB'"), std::string::npos);
}

TEST(ParseUrl, SplitsValidUrls) {
  auto u = ParseUrl("https://www.example.com:8443/a/b?q=1#frag");
  ASSERT_TRUE(u.ok()) << u.error().message();
  EXPECT_EQ(u->scheme, "https");
  EXPECT_EQ(u->host, "www.example.com");
  EXPECT_EQ(u->port, 8443);
  EXPECT_EQ(u->target, "/a/b?q=1");

  u = ParseUrl("http://[::1]/");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, 80);

  u = ParseUrl("HTTPS://example.com");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->scheme, "https");
  EXPECT_EQ(u->port, 443);
  EXPECT_EQ(u->target, "/");

  u = ParseUrl("http://127.0.0.1:8080?x=1");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->target, "/?x=1");
}

TEST(ParseUrl, RejectsWithTheReason) {
  struct Case {
    const char* url;
    const char* why;
  };
  const Case cases[] = {
      {"www.example.com", "is not a URL"},
      {"ftp://example.com/", "scheme 'ftp' (use http:// or https://)"},
      {"htps://example.com/", "scheme 'htps'"},
      {"https:///path", "has no host"},
      {"https://:443/", "has no host"},
      {"https://example.com:0/", "invalid port '0'"},
      {"https://example.com:65536/", "invalid port '65536'"},
      {"https://example.com:http/", "invalid port 'http'"},
      {"https://example.com:/", "empty port"},
      {"https://exa mple.com/", "space"},
      {"https://user:pw@example.com/", "credentials"},
      {"https://[not-v6]/", "not an IPv6 address"},
      {"https://bad_host!/", "invalid host"},
  };
  for (const Case& c : cases) {
    auto u = ParseUrl(c.url);
    ASSERT_FALSE(u.ok()) << c.url;
    EXPECT_NE(u.error().message().find(c.why), std::string::npos)
        << c.url << " -> " << u.error().message();
  }
}

TEST(ParseHostPort, AcceptsNamesAndAddresses) {
  auto hp = ParseHostPort("chat.example.com:5222");
  ASSERT_TRUE(hp.ok());
  EXPECT_EQ(hp->host, "chat.example.com");
  EXPECT_EQ(hp->port, 5222);
  hp = ParseHostPort("[2001:db8::1]:443");
  ASSERT_TRUE(hp.ok());
  EXPECT_EQ(hp->host, "2001:db8::1");
  EXPECT_EQ(hp->port, 443);
  hp = ParseHostPort("198.51.100.7:80");
  ASSERT_TRUE(hp.ok());
  EXPECT_EQ(hp->host, "198.51.100.7");
}

TEST(ParseHostPort, RejectsWithTheReason) {
  struct Case {
    const char* text;
    const char* why;
  };
  const Case cases[] = {
      {"chat.example.com", "needs a port"},
      {"chat.example.com:", "invalid port ''"},
      {"chat.example.com:99999", "invalid port '99999'"},
      {":443", "has no host"},
      {"2001:db8::1:443", "bare IPv6"},
      {"[2001:db8::1]", "needs a port"},
      {"https://chat.example.com:443", "is a URL"},
  };
  for (const Case& c : cases) {
    auto hp = ParseHostPort(c.text);
    ASSERT_FALSE(hp.ok()) << c.text;
    EXPECT_NE(hp.error().message().find(c.why), std::string::npos)
        << c.text << " -> " << hp.error().message();
  }
}

TEST(CheckResolver, IpLiteralsWithOptionalPort) {
  for (const char* ok : {"1.1.1.1", "9.9.9.9:53", "2620:fe::fe", "[2620:fe::fe]:53",
                         "[2620:fe::fe]", "127.0.0.1:5353", "::1"}) {
    EXPECT_TRUE(CheckResolver(ok).ok()) << ok;
  }
  struct Case {
    const char* text;
    const char* why;
  };
  const Case cases[] = {
      {"dns.google", "is a host name"},        {"dns.google:53", "is a host name"},
      {"1.1.1.1:0", "invalid port"},           {"1.1.1.1:dns", "invalid port"},
      {"[2620:fe::fe]:99999", "invalid port"}, {"999.1.1.1", "is not a resolver address"},
      {"", "is not a resolver address"},
  };
  for (const Case& c : cases) {
    auto st = CheckResolver(c.text);
    ASSERT_FALSE(st.ok()) << c.text;
    EXPECT_NE(st.error().message().find(c.why), std::string::npos)
        << c.text << " -> " << st.error().message();
  }
}

TEST(IsValidHostname, LabelsAndLengths) {
  EXPECT_TRUE(IsValidHostname("www.example.com"));
  EXPECT_TRUE(IsValidHostname("www.example.com."));
  EXPECT_TRUE(IsValidHostname("_dmarc.example.com"));
  EXPECT_TRUE(IsValidHostname("localhost"));
  EXPECT_FALSE(IsValidHostname(""));
  EXPECT_FALSE(IsValidHostname("a..b"));
  EXPECT_FALSE(IsValidHostname("-a.example.com"));
  EXPECT_FALSE(IsValidHostname("a b.com"));
  EXPECT_FALSE(IsValidHostname(std::string(64, 'a') + ".com"));
}

TEST(EditDistance, CountsTranspositionsAsOne) {
  EXPECT_EQ(EditDistance("instagram", "instagram"), 0);
  EXPECT_EQ(EditDistance("instgram", "instagram"), 1);   // deletion
  EXPECT_EQ(EditDistance("instagarm", "instagram"), 1);  // transposition
  EXPECT_EQ(EditDistance("facebok", "facebook"), 1);
  EXPECT_EQ(EditDistance("", "abc"), 3);
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3);
}

TEST(Closest, SuggestsOnlyPlausibleMatches) {
  const std::vector<std::string> ids = {"facebook", "instagram", "x", "threads", "reddit"};
  EXPECT_EQ(Closest("instagarm", ids), "instagram");
  EXPECT_EQ(Closest("Instagram", ids), "instagram");
  EXPECT_EQ(Closest("thread", ids), "threads");
  EXPECT_EQ(Closest("redit", ids), "reddit");
  EXPECT_EQ(Closest("myforum", ids), std::nullopt);
  EXPECT_EQ(Closest("ig", ids), std::nullopt);  // two edits from "x" is a rewrite, not a typo
  EXPECT_EQ(Closest("timout", {"timeout", "slow_threshold"}), "timeout");
}

}  // namespace
}  // namespace lifeline::config
