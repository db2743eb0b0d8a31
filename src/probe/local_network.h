// Parsers behind InspectLocalNetwork(): the kernel's routing tables as text, so tests can feed
// sample /proc/net/route and /proc/net/ipv6_route contents.
#pragma once

#include <string>
#include <string_view>

namespace lifeline::probe {

// Whether /proc/net/route text holds a usable IPv4 default route: destination and mask 0, flag
// RTF_UP, not a reject route, on an interface other than lo.
bool HasDefaultRouteV4(std::string_view proc_net_route);

// Whether /proc/net/ipv6_route text holds a usable IPv6 default route (::/0, RTF_UP, not
// RTF_REJECT, not on lo: the kernel keeps an unreachable ::/0 on lo in every namespace).
bool HasDefaultRouteV6(std::string_view proc_net_ipv6_route);

// The whole file, or "" when it cannot be read (no /proc, no IPv6).
std::string ReadSmallFile(const std::string& path);

}  // namespace lifeline::probe
