// InspectLocalNetwork(): this device's interfaces (getifaddrs) and default routes (/proc/net), the
// first step of the reasoning order: without either, nothing beyond this machine can be judged.
#include "probe/local_network.h"

#include <ifaddrs.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "probe/probe.h"

namespace lifeline::probe {

namespace {

std::vector<std::string_view> Fields(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    std::size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

bool Hex(std::string_view s, unsigned long& value) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value, 16);
  return ec == std::errc() && end == s.data() + s.size();
}

bool AllZero(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c == '0'; });
}

template <typename F>
void ForEachLine(std::string_view text, F f) {
  while (!text.empty()) {
    auto nl = text.find('\n');
    f(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
  }
}

}  // namespace

bool HasDefaultRouteV4(std::string_view text) {
  bool found = false;
  ForEachLine(text, [&](std::string_view line) {
    // Iface Destination Gateway Flags RefCnt Use Metric Mask MTU Window IRTT
    auto f = Fields(line);
    unsigned long flags = 0;
    if (f.size() < 8 || f[0] == "Iface" || f[0] == "lo") return;
    if (!AllZero(f[1]) || !AllZero(f[7]) || !Hex(f[3], flags)) return;
    if ((flags & RTF_UP) && !(flags & RTF_REJECT)) found = true;
  });
  return found;
}

bool HasDefaultRouteV6(std::string_view text) {
  bool found = false;
  ForEachLine(text, [&](std::string_view line) {
    // dest dest_len src src_len next_hop metric refcnt use flags iface
    auto f = Fields(line);
    unsigned long flags = 0;
    if (f.size() < 10 || f[9] == "lo") return;
    if (!AllZero(f[0]) || f[1] != "00" || !Hex(f[8], flags)) return;
    if ((flags & RTF_UP) && !(flags & RTF_REJECT)) found = true;
  });
  return found;
}

std::string ReadSmallFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return "";
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

LocalNetwork InspectLocalNetwork() {
  LocalNetwork net;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) == 0) {
    for (ifaddrs* i = list; i; i = i->ifa_next) {
      if (!i->ifa_addr || !i->ifa_name) continue;
      if (!(i->ifa_flags & IFF_UP) || (i->ifa_flags & IFF_LOOPBACK)) continue;
      // Link-local addresses alone reach no further than the link: they do not count.
      if (i->ifa_addr->sa_family == AF_INET) {
        auto* a = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
        if ((ntohl(a->sin_addr.s_addr) & 0xffff0000u) == 0xa9fe0000u) continue;  // 169.254/16
      } else if (i->ifa_addr->sa_family == AF_INET6) {
        auto* a = reinterpret_cast<const sockaddr_in6*>(i->ifa_addr);
        if (IN6_IS_ADDR_LINKLOCAL(&a->sin6_addr)) continue;
      } else {
        continue;
      }
      if (std::find(net.interfaces.begin(), net.interfaces.end(), i->ifa_name) ==
          net.interfaces.end()) {
        net.interfaces.emplace_back(i->ifa_name);
      }
    }
    freeifaddrs(list);
  }
  net.has_default_route = HasDefaultRouteV4(ReadSmallFile("/proc/net/route")) ||
                          HasDefaultRouteV6(ReadSmallFile("/proc/net/ipv6_route"));
  return net;
}

std::vector<core::IpAddress> LocalAddresses() {
  std::vector<core::IpAddress> out;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return out;
  for (ifaddrs* i = list; i; i = i->ifa_next) {
    if (!i->ifa_addr) continue;
    core::IpAddress address;
    if (i->ifa_addr->sa_family == AF_INET) {
      const auto* a = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
      std::array<std::uint8_t, 4> b;
      std::memcpy(b.data(), &a->sin_addr, b.size());
      address = core::IpAddress::V4(b);
    } else if (i->ifa_addr->sa_family == AF_INET6) {
      const auto* a = reinterpret_cast<const sockaddr_in6*>(i->ifa_addr);
      std::array<std::uint8_t, 16> b;
      std::memcpy(b.data(), &a->sin6_addr, b.size());
      address = core::IpAddress::V6(b);
    } else {
      continue;
    }
    if (std::find(out.begin(), out.end(), address) == out.end()) out.push_back(address);
  }
  freeifaddrs(list);
  return out;
}

}  // namespace lifeline::probe
