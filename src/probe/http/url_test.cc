// URL parsing and redirect resolution: where a probe goes next decides what it measures.
#include "probe/http/url.h"

#include <gtest/gtest.h>

namespace lifeline::probe::http {
namespace {

Url Parse(std::string_view text) {
  auto url = ParseUrl(text);
  EXPECT_TRUE(url.ok()) << text << ": " << (url.ok() ? "" : url.error().message());
  return url.ok() ? *url : Url();
}

TEST(ProbeUrlTest, ParsesSchemeHostPortTarget) {
  Url u = Parse("https://WWW.Example.com:8443/a/b?x=1#frag");
  EXPECT_TRUE(u.tls);
  EXPECT_EQ(u.host, "www.example.com");
  EXPECT_EQ(u.port, 8443);
  EXPECT_EQ(u.target, "/a/b?x=1");
  EXPECT_EQ(u.HostHeader(), "www.example.com:8443");
  EXPECT_EQ(u.ToString(), "https://www.example.com:8443/a/b?x=1");

  Url plain = Parse("http://example.com");
  EXPECT_FALSE(plain.tls);
  EXPECT_EQ(plain.port, 80);
  EXPECT_EQ(plain.target, "/");
  EXPECT_EQ(plain.HostHeader(), "example.com");

  EXPECT_EQ(Parse("http://example.com?q=1").target, "/?q=1");
}

TEST(ProbeUrlTest, Ipv6AndIpv4Literals) {
  Url v6 = Parse("http://[::1]:8080/x");
  EXPECT_EQ(v6.host, "::1");
  EXPECT_EQ(v6.port, 8080);
  EXPECT_TRUE(v6.host_is_ip());
  EXPECT_EQ(v6.HostHeader(), "[::1]:8080");
  EXPECT_TRUE(Parse("https://127.0.0.1/").host_is_ip());
  EXPECT_FALSE(Parse("https://localhost/").host_is_ip());
}

TEST(ProbeUrlTest, RejectsWhatAProbeCannotFetch) {
  for (const char* bad :
       {"ftp://example.com/", "example.com", "https:///path", "https://:443/",
        "http://user:pw@example.com/", "http://example.com:0/", "http://example.com:99999/",
        "http://example.com:8x/", "http://[::1/", "http://[nothex]/", "http://example.com/a b"}) {
    EXPECT_FALSE(ParseUrl(bad).ok()) << bad;
  }
}

TEST(ProbeUrlTest, RemoveDotSegmentsFollowsRfc3986) {
  EXPECT_EQ(RemoveDotSegments("/a/b/c/./../../g"), "/a/g");
  EXPECT_EQ(RemoveDotSegments("mid/content=5/../6"), "mid/6");
  EXPECT_EQ(RemoveDotSegments("/../x"), "/x");
  EXPECT_EQ(RemoveDotSegments("/a/.."), "/");
}

TEST(ProbeUrlTest, ResolvesEveryKindOfLocation) {
  Url base = Parse("https://www.example.com:8443/a/b/c?q=1");
  struct Case {
    const char* location;
    const char* want;
  } cases[] = {
      {"http://other.test/x", "http://other.test/x"},
      {"//cdn.example.com/y?z", "https://cdn.example.com/y?z"},
      {"/login?next=%2F", "https://www.example.com:8443/login?next=%2F"},
      {"d", "https://www.example.com:8443/a/b/d"},
      {"./d/", "https://www.example.com:8443/a/b/d/"},
      {"../d", "https://www.example.com:8443/a/d"},
      {"../../../../d", "https://www.example.com:8443/d"},
      {"?p=2", "https://www.example.com:8443/a/b/c?p=2"},
      {"", "https://www.example.com:8443/a/b/c?q=1"},
      {"d#frag", "https://www.example.com:8443/a/b/d"},
      {"  /spaced  ", "https://www.example.com:8443/spaced"},
      {"HTTPS://Upper.Example.COM/", "https://upper.example.com/"},
  };
  for (const auto& c : cases) {
    auto got = ResolveLocation(base, c.location);
    ASSERT_TRUE(got.ok()) << c.location;
    EXPECT_EQ(got->ToString(), c.want) << "Location: " << c.location;
  }
}

TEST(ProbeUrlTest, RelativeToTheRootTarget) {
  Url base = Parse("http://127.0.0.1:8080/redirect/2");
  EXPECT_EQ(ResolveLocation(base, "1")->ToString(), "http://127.0.0.1:8080/redirect/1");
  Url root = Parse("http://h.test");
  EXPECT_EQ(ResolveLocation(root, "x")->ToString(), "http://h.test/x");
}

TEST(ProbeUrlTest, RejectsNonHttpLocations) {
  Url base = Parse("https://example.com/");
  EXPECT_FALSE(ResolveLocation(base, "javascript:alert(1)").ok());
  EXPECT_FALSE(ResolveLocation(base, "mailto:x@example.com").ok());
}

TEST(ProbeUrlTest, SameSite) {
  EXPECT_TRUE(SameSite("instagram.com", "www.instagram.com"));
  EXPECT_TRUE(SameSite("i.instagram.com", "www.instagram.com"));
  EXPECT_TRUE(SameSite("Example.COM.", "example.com"));
  EXPECT_FALSE(SameSite("www.instagram.com", "portal.hotel-wifi.test"));
  EXPECT_FALSE(SameSite("10.0.0.1", "192.168.0.1"));
  EXPECT_TRUE(SameSite("127.0.0.1", "127.0.0.1"));
  EXPECT_FALSE(SameSite("127.0.0.1", "localhost"));
}

}  // namespace
}  // namespace lifeline::probe::http
