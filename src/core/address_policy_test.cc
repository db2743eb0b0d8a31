// Address classification, CIDR parsing and the address policy, on addresses as data: nothing here
// sends a packet.
#include "core/address_policy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace lifeline::core {
namespace {

using ::testing::HasSubstr;

IpAddress Ip(std::string_view text) {
  auto a = IpAddress::Parse(text);
  EXPECT_TRUE(a.has_value()) << text;
  return a.value_or(IpAddress());
}

AddressKind KindOf(std::string_view text) { return Classify(Ip(text)).kind; }

Cidr Range(std::string_view text) {
  auto c = ParseCidr(text);
  EXPECT_TRUE(c.ok()) << text << ": " << (c.ok() ? "" : c.error().message());
  return c.ok() ? *c : Cidr{};
}

TEST(IpAddressTest, ParsesWhatAPersonWritesAndNothingElse) {
  EXPECT_TRUE(Ip("192.0.2.1").is_v4());
  EXPECT_EQ(Ip("192.0.2.1").ToString(), "192.0.2.1");
  EXPECT_FALSE(Ip("2001:db8::1").is_v4());
  EXPECT_EQ(Ip("2001:0db8:0000::0001").ToString(), "2001:db8::1");
  EXPECT_EQ(Ip("::ffff:10.0.0.1").ToString(), "::ffff:10.0.0.1");
  EXPECT_EQ(Ip("10.0.0.1").bytes().size(), 4u);
  EXPECT_EQ(Ip("::1").bytes().size(), 16u);
  // Shorthand and octal/hex forms that inet_aton would take, brackets, zones, names: refused, so
  // "127.1" can never slip past as a name that later resolves to loopback unnoticed.
  for (std::string_view bad : std::initializer_list<std::string_view>{
           "", "127.1", "0x7f.0.0.1", "0177.0.0.1", "2130706433", "[::1]", "fe80::1%eth0",
           "localhost", "1.2.3.4.5", "256.1.1.1", "1.2.3.4 ", "::ffff:1.2.3",
           std::string_view("1.2.3.4\0", 8)}) {
    EXPECT_FALSE(IpAddress::Parse(bad).has_value()) << bad;
  }
}

TEST(ClassifyTest, Ipv4SpecialRanges) {
  EXPECT_EQ(KindOf("0.0.0.0"), AddressKind::kUnspecified);
  EXPECT_EQ(KindOf("0.1.2.3"), AddressKind::kThisNetwork);
  EXPECT_EQ(KindOf("10.0.0.1"), AddressKind::kPrivate);
  EXPECT_EQ(KindOf("10.255.255.255"), AddressKind::kPrivate);
  EXPECT_EQ(KindOf("100.64.0.1"), AddressKind::kSharedNat);
  EXPECT_EQ(KindOf("100.127.255.255"), AddressKind::kSharedNat);
  EXPECT_EQ(KindOf("100.128.0.1"), AddressKind::kPublic);
  EXPECT_EQ(KindOf("100.63.255.255"), AddressKind::kPublic);
  EXPECT_EQ(KindOf("127.0.0.1"), AddressKind::kLoopback);
  EXPECT_EQ(KindOf("127.255.0.9"), AddressKind::kLoopback);
  EXPECT_EQ(KindOf("169.254.169.254"), AddressKind::kLinkLocal);
  EXPECT_EQ(KindOf("172.16.0.1"), AddressKind::kPrivate);
  EXPECT_EQ(KindOf("172.31.255.255"), AddressKind::kPrivate);
  EXPECT_EQ(KindOf("172.15.255.255"), AddressKind::kPublic);
  EXPECT_EQ(KindOf("172.32.0.0"), AddressKind::kPublic);
  EXPECT_EQ(KindOf("192.168.1.1"), AddressKind::kPrivate);
  EXPECT_EQ(KindOf("192.0.0.8"), AddressKind::kReserved);
  EXPECT_EQ(KindOf("192.0.2.1"), AddressKind::kDocumentation);
  EXPECT_EQ(KindOf("198.51.100.9"), AddressKind::kDocumentation);
  EXPECT_EQ(KindOf("203.0.113.66"), AddressKind::kDocumentation);
  EXPECT_EQ(KindOf("198.18.0.1"), AddressKind::kReserved);
  EXPECT_EQ(KindOf("198.19.255.255"), AddressKind::kReserved);
  EXPECT_EQ(KindOf("198.20.0.0"), AddressKind::kPublic);
  EXPECT_EQ(KindOf("224.0.0.1"), AddressKind::kMulticast);
  EXPECT_EQ(KindOf("239.255.255.250"), AddressKind::kMulticast);
  EXPECT_EQ(KindOf("240.0.0.1"), AddressKind::kReserved);
  EXPECT_EQ(KindOf("255.255.255.255"), AddressKind::kBroadcast);
  for (std::string_view pub : {"1.1.1.1", "8.8.8.8", "9.9.9.9", "31.13.64.35", "157.240.1.35",
                               "11.0.0.1", "126.255.255.255", "128.0.0.1", "223.255.255.255"}) {
    EXPECT_EQ(KindOf(pub), AddressKind::kPublic) << pub;
  }
}

TEST(ClassifyTest, Ipv6SpecialRanges) {
  EXPECT_EQ(KindOf("::"), AddressKind::kUnspecified);
  EXPECT_EQ(KindOf("::1"), AddressKind::kLoopback);
  EXPECT_EQ(KindOf("fd00::1"), AddressKind::kUniqueLocal);
  EXPECT_EQ(KindOf("fc00::1"), AddressKind::kUniqueLocal);
  EXPECT_EQ(KindOf("fe80::1"), AddressKind::kLinkLocal);
  EXPECT_EQ(KindOf("febf::1"), AddressKind::kLinkLocal);
  EXPECT_EQ(KindOf("fec0::1"), AddressKind::kReserved);  // deprecated site-local
  EXPECT_EQ(KindOf("ff02::1"), AddressKind::kMulticast);
  EXPECT_EQ(KindOf("2001:db8::1"), AddressKind::kDocumentation);
  EXPECT_EQ(KindOf("3fff:fff::1"), AddressKind::kDocumentation);
  EXPECT_EQ(KindOf("2001:2::1"), AddressKind::kReserved);     // benchmarking
  EXPECT_EQ(KindOf("100::1"), AddressKind::kReserved);        // discard-only
  EXPECT_EQ(KindOf("::10.0.0.1"), AddressKind::kReserved);    // IPv4-compatible, deprecated
  EXPECT_EQ(KindOf("64:ff9b:1::1"), AddressKind::kReserved);  // local-use NAT64
  EXPECT_EQ(KindOf("4000::1"), AddressKind::kReserved);       // outside 2000::/3
  for (std::string_view pub : {"2606:4700:4700::1111", "2001:4860:4860::8888", "2a03:2880::1",
                               "2001:db9::1", "3fff:1000::1", "2001:3::1"}) {
    EXPECT_EQ(KindOf(pub), AddressKind::kPublic) << pub;
  }
}

TEST(ClassifyTest, Ipv6FormsOfIpv4AddressesAreJudgedByTheIpv4Address) {
  struct Case {
    std::string_view address;
    AddressKind kind;
    std::string_view embedded;
  };
  for (const Case& c : std::initializer_list<Case>{
           {"::ffff:127.0.0.1", AddressKind::kLoopback, "127.0.0.1"},
           {"::ffff:169.254.169.254", AddressKind::kLinkLocal, "169.254.169.254"},
           {"::ffff:a9fe:a9fe", AddressKind::kLinkLocal, "169.254.169.254"},
           {"::ffff:10.1.2.3", AddressKind::kPrivate, "10.1.2.3"},
           {"::ffff:0.0.0.0", AddressKind::kUnspecified, "0.0.0.0"},
           {"::ffff:8.8.8.8", AddressKind::kPublic, "8.8.8.8"},
           {"64:ff9b::10.0.0.1", AddressKind::kPrivate, "10.0.0.1"},
           {"64:ff9b::7f00:1", AddressKind::kLoopback, "127.0.0.1"},
           {"64:ff9b::808:808", AddressKind::kPublic, "8.8.8.8"},
           {"2002:c0a8:0101::1", AddressKind::kPrivate, "192.168.1.1"},
           {"2002:a9fe:a9fe::", AddressKind::kLinkLocal, "169.254.169.254"},
           {"2002:0808:0808::1", AddressKind::kPublic, "8.8.8.8"},
           // Teredo: the client address is stored inverted; ~127.0.0.1 = 80ff:fffe.
           {"2001:0:4136:e378:8000:63bf:80ff:fffe", AddressKind::kLoopback, "127.0.0.1"},
           {"2001:0:4136:e378:8000:63bf:f7f7:f7f7", AddressKind::kPublic, "8.8.8.8"},
       }) {
    AddressClass got = Classify(Ip(c.address));
    EXPECT_EQ(got.kind, c.kind) << c.address;
    ASSERT_TRUE(got.embedded.has_value()) << c.address;
    EXPECT_EQ(got.embedded->ToString(), c.embedded) << c.address;
  }
  EXPECT_FALSE(Classify(Ip("10.0.0.1")).embedded.has_value());
  EXPECT_FALSE(Classify(Ip("2a03:2880::1")).embedded.has_value());
}

TEST(CidrTest, ParsesRangesAndSingleAddresses) {
  Cidr c = Range("10.0.0.0/8");
  EXPECT_EQ(c.network.ToString(), "10.0.0.0");
  EXPECT_EQ(c.prefix, 8);
  EXPECT_EQ(c.ToString(), "10.0.0.0/8");
  EXPECT_EQ(Range("fd00::/8").ToString(), "fd00::/8");
  EXPECT_EQ(Range("192.0.2.7").ToString(), "192.0.2.7/32");
  EXPECT_EQ(Range("2001:db8::7").ToString(), "2001:db8::7/128");
  EXPECT_EQ(Range("0.0.0.0/0").ToString(), "0.0.0.0/0");
  EXPECT_EQ(Range("::/0").ToString(), "::/0");
  EXPECT_EQ(Range("172.16.0.0/12").ToString(), "172.16.0.0/12");
  EXPECT_EQ(Range("fe80::/10").ToString(), "fe80::/10");
}

TEST(CidrTest, ContainsComparesThePrefixOnlyAndNeverAcrossFamilies) {
  Cidr c = Range("172.16.0.0/12");
  EXPECT_TRUE(c.Contains(Ip("172.16.0.0")));
  EXPECT_TRUE(c.Contains(Ip("172.31.255.255")));
  EXPECT_FALSE(c.Contains(Ip("172.32.0.0")));
  EXPECT_FALSE(c.Contains(Ip("172.15.255.255")));
  EXPECT_FALSE(c.Contains(Ip("::ffff:172.16.0.1")));
  Cidr v6 = Range("fe80::/10");
  EXPECT_TRUE(v6.Contains(Ip("febf:ffff::1")));
  EXPECT_FALSE(v6.Contains(Ip("fec0::1")));
  EXPECT_FALSE(v6.Contains(Ip("10.0.0.1")));
  EXPECT_TRUE(Range("0.0.0.0/0").Contains(Ip("8.8.8.8")));
  EXPECT_FALSE(Range("0.0.0.0/0").Contains(Ip("::1")));
  EXPECT_TRUE(Range("10.1.2.3").Contains(Ip("10.1.2.3")));
  EXPECT_FALSE(Range("10.1.2.3").Contains(Ip("10.1.2.4")));
}

TEST(CidrTest, BadRangesSayWhatIsWrongAndWhatWouldBeValid) {
  struct Case {
    std::string_view text;
    std::string_view message;
  };
  for (const Case& c : std::initializer_list<Case>{
           {"",
            "'' is not an IP address range (a range such as 10.0.0.0/8 or fd00::/8, or one "
            "address)"},
           {"intranet", "'intranet' is not an IP address range"},
           {"10.0.0/8", "'10.0.0/8' is not an IP address range"},
           {"[fd00::]/8", "'[fd00::]/8' is not an IP address range"},
           {"10.0.0.0/33",
            "'10.0.0.0/33' has a bad prefix length (after the '/': a number from 0 to 32 for IPv4"},
           {"fd00::/129", "a number from 0 to 128 for IPv6"},
           {"10.0.0.0/", "'10.0.0.0/' has a bad prefix length"},
           {"10.0.0.0/-1", "'10.0.0.0/-1' has a bad prefix length"},
           {"10.0.0.0/8x", "'10.0.0.0/8x' has a bad prefix length"},
           {"10.0.0.0/ 8", "'10.0.0.0/ 8' has a bad prefix length"},
           {"10.1.2.3/8",
            "'10.1.2.3/8' has address bits set past the /8 prefix (did you mean "
            "10.0.0.0/8?)"},
           {"fd12:3456::1/16", "(did you mean fd12::/16?)"},
           {"192.168.1.1/23", "(did you mean 192.168.0.0/23?)"},
       }) {
    auto r = ParseCidr(c.text);
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
    EXPECT_THAT(r.error().message(), HasSubstr(c.message)) << c.text;
  }
}

constexpr char kRule[] = "agents probe public hosts only (agent.allow_private)";

TEST(AddressPolicyTest, RefusesEveryKindThatIsNotPublicWithAMessageNamingIt) {
  AddressPolicy policy({}, kRule);
  auto r = policy.Check(Ip("169.254.169.254"));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->kind, AddressKind::kLinkLocal);
  EXPECT_EQ(r->message,
            "169.254.169.254 is a link-local address; agents probe public hosts only "
            "(agent.allow_private)");
  EXPECT_EQ(policy.Check(Ip("127.0.0.1"))->message,
            std::string("127.0.0.1 is a loopback address; ") + kRule);
  EXPECT_EQ(policy.Check(Ip("10.0.0.5"))->message,
            std::string("10.0.0.5 is a private address; ") + kRule);
  EXPECT_EQ(policy.Check(Ip("fd00::40"))->message,
            std::string("fd00::40 is a unique-local (private IPv6) address; ") + kRule);
  EXPECT_EQ(
      policy.Check(Ip("::ffff:127.0.0.1"))->message,
      std::string("::ffff:127.0.0.1 is a loopback address (it stands for 127.0.0.1); ") + kRule);
  for (std::string_view refused :
       {"0.0.0.0", "0.0.0.1", "100.64.0.1", "172.20.0.1", "192.168.0.1", "224.0.0.251",
        "255.255.255.255", "240.0.0.1", "192.0.2.1", "198.51.100.1", "203.0.113.1", "::", "::1",
        "fe80::1", "ff02::1", "64:ff9b::a9fe:a9fe", "2002:7f00:1::", "::ffff:100.64.0.1"}) {
    EXPECT_TRUE(policy.Check(Ip(refused)).has_value()) << refused;
  }
  for (std::string_view allowed : {"1.1.1.1", "31.13.64.35", "2a03:2880:f10c:83:face:b00c::25de",
                                   "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1"}) {
    EXPECT_FALSE(policy.Check(Ip(allowed)).has_value()) << allowed;
  }
}

TEST(AddressPolicyTest, AllowListOpensRangesOnPurposeAndCoversIpv6FormsOfIpv4) {
  AddressPolicy policy({Range("127.0.0.0/8"), Range("10.20.0.0/16"), Range("fd00::/8")}, kRule);
  EXPECT_FALSE(policy.Check(Ip("127.0.0.1")).has_value());
  EXPECT_FALSE(policy.Check(Ip("127.9.9.9")).has_value());
  EXPECT_FALSE(policy.Check(Ip("10.20.30.40")).has_value());
  EXPECT_FALSE(policy.Check(Ip("::ffff:10.20.30.40")).has_value());
  EXPECT_FALSE(policy.Check(Ip("64:ff9b::a14:1e28")).has_value());  // 10.20.30.40
  EXPECT_FALSE(policy.Check(Ip("fd00::40")).has_value());
  // Outside the allowed ranges: still refused.
  EXPECT_TRUE(policy.Check(Ip("10.21.0.1")).has_value());
  EXPECT_TRUE(policy.Check(Ip("::1")).has_value());  // 127.0.0.0/8 is IPv4 only
  EXPECT_TRUE(policy.Check(Ip("169.254.169.254")).has_value());
  EXPECT_TRUE(policy.Check(Ip("fc00::1")).has_value());
  // Everything, on purpose.
  AddressPolicy open({Range("0.0.0.0/0"), Range("::/0")}, kRule);
  for (std::string_view a : {"127.0.0.1", "169.254.169.254", "::1", "fe80::1", "10.0.0.1"}) {
    EXPECT_FALSE(open.Check(Ip(a)).has_value()) << a;
  }
}

TEST(AddressPolicyTest, RefusesThisMachinesOwnPublicAddressesUnlessAllowed) {
  AddressPolicy policy({}, kRule);
  EXPECT_FALSE(policy.Check(Ip("8.8.4.4")).has_value());
  policy.SetOwnAddresses({Ip("8.8.4.4"), Ip("2606:4700::6810:1"), Ip("127.0.0.1")});
  auto own = policy.Check(Ip("8.8.4.4"));
  ASSERT_TRUE(own.has_value());
  EXPECT_EQ(own->kind, AddressKind::kOwn);
  EXPECT_EQ(own->message, std::string("8.8.4.4 is this machine's own address; ") + kRule);
  EXPECT_EQ(policy.Check(Ip("2606:4700::6810:1"))->kind, AddressKind::kOwn);
  EXPECT_EQ(policy.Check(Ip("::ffff:8.8.4.4"))->kind, AddressKind::kOwn);
  // A special-purpose address keeps its own kind, which says more than "own".
  EXPECT_EQ(policy.Check(Ip("127.0.0.1"))->kind, AddressKind::kLoopback);
  // Addresses change: the new list replaces the old.
  policy.SetOwnAddresses({});
  EXPECT_FALSE(policy.Check(Ip("8.8.4.4")).has_value());
  // An allowed range allows this machine's addresses in it too.
  AddressPolicy allowing({Range("8.8.4.0/24")}, kRule);
  allowing.SetOwnAddresses({Ip("8.8.4.4")});
  EXPECT_FALSE(allowing.Check(Ip("8.8.4.4")).has_value());
}

}  // namespace
}  // namespace lifeline::core
