// Parsing of the kernel routing tables behind InspectLocalNetwork(), on sample /proc contents.
#include "probe/local_network.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "probe/probe.h"

namespace lifeline::probe {
namespace {

constexpr std::string_view kRouteHeader =
    "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n";

TEST(ProbeLocalNetworkTest, Ipv4DefaultRouteViaGateway) {
  std::string text = std::string(kRouteHeader) +
                     "eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
                     "eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n";
  EXPECT_TRUE(HasDefaultRouteV4(text));
}

TEST(ProbeLocalNetworkTest, Ipv4DefaultRouteWithoutGatewayCounts) {
  // "default dev wg0": a device route, flags RTF_UP only.
  std::string text =
      std::string(kRouteHeader) + "wg0\t00000000\t00000000\t0001\t0\t0\t0\t00000000\t0\t0\t0\n";
  EXPECT_TRUE(HasDefaultRouteV4(text));
}

TEST(ProbeLocalNetworkTest, Ipv4OnlyLinkRoutesIsNoDefault) {
  std::string text =
      std::string(kRouteHeader) + "eth0\t0064A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n";
  EXPECT_FALSE(HasDefaultRouteV4(text));
  EXPECT_FALSE(HasDefaultRouteV4(kRouteHeader));
  EXPECT_FALSE(HasDefaultRouteV4(""));
}

TEST(ProbeLocalNetworkTest, Ipv4RejectOrDownRouteIsNoDefault) {
  std::string reject =
      std::string(kRouteHeader) + "eth0\t00000000\t00000000\t0201\t0\t0\t0\t00000000\t0\t0\t0\n";
  std::string down =
      std::string(kRouteHeader) + "eth0\t00000000\t010200C0\t0002\t0\t0\t0\t00000000\t0\t0\t0\n";
  EXPECT_FALSE(HasDefaultRouteV4(reject));
  EXPECT_FALSE(HasDefaultRouteV4(down));
}

constexpr std::string_view kIpv6Routes =
    "fd000000000000000000000000000000 40 00000000000000000000000000000000 00 "
    "00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0\n"
    "00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
    "fd000000000000000000000000000001 00000400 00000002 00000000 00000003     eth0\n"
    "00000000000000000000000000000001 80 00000000000000000000000000000000 00 "
    "00000000000000000000000000000000 00000000 00000004 00000000 80200001       lo\n";

// Every namespace has this: an unreachable ::/0 on lo, which is no way out.
constexpr std::string_view kIpv6LoopbackOnly =
    "00000000000000000000000000000001 80 00000000000000000000000000000000 00 "
    "00000000000000000000000000000000 00000000 00000004 00000000 80200001       lo\n"
    "00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
    "00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo\n";

TEST(ProbeLocalNetworkTest, Ipv6DefaultRoute) {
  EXPECT_TRUE(HasDefaultRouteV6(kIpv6Routes));
  EXPECT_FALSE(HasDefaultRouteV6(kIpv6LoopbackOnly));
  EXPECT_FALSE(HasDefaultRouteV6(""));
}

TEST(ProbeLocalNetworkTest, ReadSmallFileOfMissingPathIsEmpty) {
  EXPECT_EQ(ReadSmallFile("/nonexistent/lifeline/route"), "");
}

TEST(ProbeLocalNetworkTest, InspectLocalNetworkNeverListsLoopback) {
  LocalNetwork net = InspectLocalNetwork();
  for (const auto& name : net.interfaces) EXPECT_NE(name, "lo");
}

// What an agent's AddressPolicy calls its own: every interface's addresses, loopback included.
TEST(ProbeLocalNetworkTest, LocalAddressesIncludeLoopbackOnce) {
  std::vector<core::IpAddress> own = LocalAddresses();
  auto loopback = core::IpAddress::Parse("127.0.0.1");
  ASSERT_TRUE(loopback.has_value());
  EXPECT_EQ(std::count(own.begin(), own.end(), *loopback), 1);
}

}  // namespace
}  // namespace lifeline::probe
