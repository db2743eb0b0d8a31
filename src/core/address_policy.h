// Which addresses Lifeline may connect to on behalf of a remote caller (an agent's targets; later
// webhook URLs given through the API): the one function that decides, so every such place applies
// the same rule. Pure: it classifies addresses and never sends anything.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace lifeline::core {

// An IPv4 or IPv6 address, by value. Default: 0.0.0.0.
class IpAddress {
 public:
  IpAddress() = default;
  static IpAddress V4(const std::array<std::uint8_t, 4>& bytes);
  static IpAddress V6(const std::array<std::uint8_t, 16>& bytes);
  // "192.0.2.1" or "2001:db8::1" (also "::ffff:192.0.2.1"); no brackets, no zone ("%eth0"), no
  // shorthand IPv4 forms ("127.1", "0x7f.0.0.1"). nullopt for anything else.
  static std::optional<IpAddress> Parse(std::string_view text);

  bool is_v4() const { return v4_; }
  // In network order: 4 bytes for IPv4, 16 for IPv6.
  std::span<const std::uint8_t> bytes() const {
    return std::span<const std::uint8_t>(bytes_.data(), v4_ ? 4 : 16);
  }
  std::string ToString() const;  // "192.0.2.1", "2001:db8::1", "::ffff:10.0.0.1"

  bool operator==(const IpAddress&) const = default;

 private:
  bool v4_ = true;
  std::array<std::uint8_t, 16> bytes_{};
};

// An address range: `network` with every bit past `prefix` zero.
struct Cidr {
  IpAddress network;
  int prefix = 0;  // 0-32 for IPv4, 0-128 for IPv6

  // False for an address of the other family.
  bool Contains(const IpAddress& address) const;
  std::string ToString() const;  // "10.0.0.0/8", "fd00::/8"
  bool operator==(const Cidr&) const = default;
};

// "10.0.0.0/8", "fd00::/8", or one address ("192.0.2.7" is 192.0.2.7/32). kInvalidArgument saying
// what is wrong and what would be valid; a range with bits set past its prefix ("10.1.2.3/8") is
// refused with the range it probably means, since it is almost always a typing mistake.
Result<Cidr> ParseCidr(std::string_view text);

// What kind of address something is, as far as the policy cares (the IANA special-purpose
// registries, IPv4 RFC 6890 and IPv6 RFC 6890/8190).
enum class AddressKind {
  kPublic,         // globally routed unicast
  kUnspecified,    // 0.0.0.0, ::
  kThisNetwork,    // 0.0.0.0/8: Linux connects 0.x.y.z to this host
  kLoopback,       // 127.0.0.0/8, ::1
  kLinkLocal,      // 169.254.0.0/16 (cloud metadata services live here), fe80::/10
  kPrivate,        // RFC 1918: 10/8, 172.16/12, 192.168/16
  kUniqueLocal,    // fc00::/7, IPv6's private addresses
  kSharedNat,      // 100.64.0.0/10, carrier-grade NAT (RFC 6598)
  kMulticast,      // 224.0.0.0/4, ff00::/8
  kBroadcast,      // 255.255.255.255
  kDocumentation,  // 192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32, 3fff::/20
  kReserved,       // 192.0.0/24, 198.18/15 (benchmarks), 240/4, IPv6 outside 2000::/3, ...
  kOwn,            // an address of this machine (never from Classify: the policy knows them)
};

// "a link-local address", "this machine's own address", ...: the words of a refusal.
std::string_view DescribeKind(AddressKind kind);

struct AddressClass {
  AddressKind kind = AddressKind::kPublic;
  // The IPv4 address an IPv6 one carries and is judged by: IPv4-mapped ::ffff:0:0/96, NAT64
  // 64:ff9b::/96, 6to4 2002::/16, Teredo 2001::/32 (its client). A connection to such an address
  // ends at that IPv4 address (dual-stack socket, NAT64 gateway, tunnel), so it counts as one.
  std::optional<IpAddress> embedded;
};

AddressClass Classify(const IpAddress& address);

// Why an address is refused.
struct AddressRefusal {
  IpAddress address;
  AddressKind kind = AddressKind::kPublic;
  // "169.254.169.254 is a link-local address; agents probe public hosts only
  // (agent.allow_private)": the address, its kind and the policy's rule.
  std::string message;
};

// Refuses every address that is not public (Classify) and this machine's own addresses, unless a
// range of `allowed` holds it (or, for an IPv6 form of an IPv4 address, that IPv4 address). Check()
// is the one decision; callers apply it to every address they are about to connect to — after
// DNS, on every redirect — so a name that resolves to a private address is refused as well.
// Thread-safe.
//
// Each place that connects on a remote caller's behalf has its own policy and setting:
//   lifeline agent:  AddressPolicy(config.agent.allow_private,
//                                  "agents probe public hosts only (agent.allow_private)")
// A Prober applies one to all its connections (probe::Options::address_policy). Code that connects
// by other means — libcurl in a channel adapter posting to a webhook URL given through the API —
// calls Check() on the address about to be connected (libcurl: CURLOPT_OPENSOCKETFUNCTION sees it
// for every connection, redirects included), never on the URL's host name alone.
class AddressPolicy {
 public:
  // `rule` ends every refusal: what is allowed and the setting that allows more, e.g. "agents
  // probe public hosts only (agent.allow_private)".
  AddressPolicy(std::vector<Cidr> allowed, std::string rule);

  // This machine's addresses (they can change while it runs: call again with the new list).
  void SetOwnAddresses(std::vector<IpAddress> own);

  // nullopt when a connection to `address` is allowed.
  std::optional<AddressRefusal> Check(const IpAddress& address) const;

  const std::vector<Cidr>& allowed() const { return allowed_; }
  const std::string& rule() const { return rule_; }

 private:
  bool Allowed(const IpAddress& address) const;

  const std::vector<Cidr> allowed_;
  const std::string rule_;
  mutable std::mutex own_mu_;  // guards own_
  std::vector<IpAddress> own_;
};

}  // namespace lifeline::core
