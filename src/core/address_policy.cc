// Address classification and the policy of address_policy.h. The tables follow the IANA IPv4 and
// IPv6 special-purpose address registries; anything the policy refuses by mistake can be allowed
// by the operator, so when in doubt a range is refused.
#include "core/address_policy.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include <fmt/core.h>

namespace lifeline::core {

namespace {

std::uint32_t V4Value(const IpAddress& a) {
  auto b = a.bytes();
  return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) |
         std::uint32_t{b[3]};
}

IpAddress V4From(std::uint32_t v) {
  return IpAddress::V4({static_cast<std::uint8_t>(v >> 24), static_cast<std::uint8_t>(v >> 16),
                        static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)});
}

IpAddress V4At(std::span<const std::uint8_t> b, std::size_t i) {
  return IpAddress::V4({b[i], b[i + 1], b[i + 2], b[i + 3]});
}

// Whether the first `bits` bits of `a` and `b` agree.
bool PrefixEquals(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b, int bits) {
  std::size_t whole = static_cast<std::size_t>(bits / 8);
  if (std::memcmp(a.data(), b.data(), whole) != 0) return false;
  int rest = bits % 8;
  if (rest == 0) return true;
  auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (a[whole] & mask) == (b[whole] & mask);
}

struct V4Range {
  std::uint32_t network;
  int prefix;
  AddressKind kind;
};

// Most specific first where ranges nest (0.0.0.0 in 0/8, 255.255.255.255 in 240/4).
constexpr V4Range kV4Ranges[] = {
    {0x00000000, 32, AddressKind::kUnspecified},    // 0.0.0.0
    {0x00000000, 8, AddressKind::kThisNetwork},     // 0.0.0.0/8
    {0x0a000000, 8, AddressKind::kPrivate},         // 10.0.0.0/8
    {0x64400000, 10, AddressKind::kSharedNat},      // 100.64.0.0/10
    {0x7f000000, 8, AddressKind::kLoopback},        // 127.0.0.0/8
    {0xa9fe0000, 16, AddressKind::kLinkLocal},      // 169.254.0.0/16
    {0xac100000, 12, AddressKind::kPrivate},        // 172.16.0.0/12
    {0xc0000000, 24, AddressKind::kReserved},       // 192.0.0.0/24, IETF protocol assignments
    {0xc0000200, 24, AddressKind::kDocumentation},  // 192.0.2.0/24
    {0xc0a80000, 16, AddressKind::kPrivate},        // 192.168.0.0/16
    {0xc6120000, 15, AddressKind::kReserved},       // 198.18.0.0/15, benchmarking
    {0xc6336400, 24, AddressKind::kDocumentation},  // 198.51.100.0/24
    {0xcb007100, 24, AddressKind::kDocumentation},  // 203.0.113.0/24
    {0xe0000000, 4, AddressKind::kMulticast},       // 224.0.0.0/4
    {0xffffffff, 32, AddressKind::kBroadcast},      // 255.255.255.255
    {0xf0000000, 4, AddressKind::kReserved},        // 240.0.0.0/4
};

AddressKind ClassifyV4(std::uint32_t v) {
  for (const V4Range& r : kV4Ranges) {
    std::uint32_t mask = r.prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - r.prefix);
    if ((v & mask) == r.network) return r.kind;
  }
  return AddressKind::kPublic;
}

struct V6Range {
  std::array<std::uint8_t, 16> network;
  int prefix;
  AddressKind kind;
};

// IPv6 ranges other than those carrying an IPv4 address; checked in order. Everything outside
// 2000::/3 (global unicast) that none of them names is reserved.
const V6Range kV6Ranges[] = {
    {{}, 128, AddressKind::kUnspecified},                                             // ::
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128, AddressKind::kLoopback},  // ::1
    {{0xfc}, 7, AddressKind::kUniqueLocal},                                           // fc00::/7
    {{0xfe, 0x80}, 10, AddressKind::kLinkLocal},                                      // fe80::/10
    {{0xff}, 8, AddressKind::kMulticast},                                             // ff00::/8
    {{0x20, 0x01, 0x0d, 0xb8}, 32, AddressKind::kDocumentation},   // 2001:db8::/32
    {{0x3f, 0xff}, 20, AddressKind::kDocumentation},               // 3fff::/20
    {{0x20, 0x01, 0x00, 0x02, 0, 0}, 48, AddressKind::kReserved},  // 2001:2::/48
};

}  // namespace

IpAddress IpAddress::V4(const std::array<std::uint8_t, 4>& bytes) {
  IpAddress a;
  a.v4_ = true;
  std::copy(bytes.begin(), bytes.end(), a.bytes_.begin());
  return a;
}

IpAddress IpAddress::V6(const std::array<std::uint8_t, 16>& bytes) {
  IpAddress a;
  a.v4_ = false;
  a.bytes_ = bytes;
  return a;
}

std::optional<IpAddress> IpAddress::Parse(std::string_view text) {
  // Longest IPv6 text form with an embedded IPv4 address is 45 characters.
  if (text.empty() || text.size() > 45 || text.find('\0') != std::string_view::npos) {
    return std::nullopt;
  }
  char buf[46] = {};
  std::memcpy(buf, text.data(), text.size());
  if (text.find(':') == std::string_view::npos) {
    // inet_pton takes dotted quads only (not inet_aton's "127.1" or "0x7f.1"), and no leading
    // zeros: what a person would write.
    std::array<std::uint8_t, 4> b{};
    if (inet_pton(AF_INET, buf, b.data()) != 1) return std::nullopt;
    return V4(b);
  }
  std::array<std::uint8_t, 16> b{};
  if (inet_pton(AF_INET6, buf, b.data()) != 1) return std::nullopt;
  return V6(b);
}

std::string IpAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(v4_ ? AF_INET : AF_INET6, bytes_.data(), buf, sizeof buf);
  return buf;
}

bool Cidr::Contains(const IpAddress& address) const {
  if (address.is_v4() != network.is_v4()) return false;
  return PrefixEquals(address.bytes(), network.bytes(), prefix);
}

std::string Cidr::ToString() const { return fmt::format("{}/{}", network.ToString(), prefix); }

Result<Cidr> ParseCidr(std::string_view text) {
  constexpr std::string_view kValid = "a range such as 10.0.0.0/8 or fd00::/8, or one address";
  auto slash = text.find('/');
  auto address = IpAddress::Parse(text.substr(0, slash));
  if (!address) {
    return MakeError(ErrorCode::kInvalidArgument, "'{}' is not an IP address range ({})", text,
                     kValid);
  }
  const int max = address->is_v4() ? 32 : 128;
  Cidr cidr{*address, max};
  if (slash != std::string_view::npos) {
    std::string_view digits = text.substr(slash + 1);
    int prefix = -1;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || prefix < 0 ||
        prefix > max) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "'{}' has a bad prefix length (after the '/': a number from 0 to {} for "
                       "{}; {})",
                       text, max, address->is_v4() ? "IPv4" : "IPv6", kValid);
    }
    cidr.prefix = prefix;
  }
  // The range's first address: every bit past the prefix cleared.
  std::array<std::uint8_t, 16> masked{};
  auto b = address->bytes();
  for (std::size_t i = 0; i < b.size(); ++i) {
    int bits = std::clamp(cidr.prefix - static_cast<int>(i) * 8, 0, 8);
    masked[i] = static_cast<std::uint8_t>(b[i] & (bits == 0 ? 0 : 0xff << (8 - bits)));
  }
  IpAddress network = address->is_v4() ? IpAddress::V4({masked[0], masked[1], masked[2], masked[3]})
                                       : IpAddress::V6(masked);
  if (network != *address) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "'{}' has address bits set past the /{} prefix (did you mean {}/{}?)", text,
                     cidr.prefix, network.ToString(), cidr.prefix);
  }
  return cidr;
}

std::string_view DescribeKind(AddressKind kind) {
  switch (kind) {
    case AddressKind::kPublic:
      return "a public address";
    case AddressKind::kUnspecified:
      return "the unspecified address";
    case AddressKind::kThisNetwork:
      return "a 'this network' address (0.0.0.0/8, which reaches this machine)";
    case AddressKind::kLoopback:
      return "a loopback address";
    case AddressKind::kLinkLocal:
      return "a link-local address";
    case AddressKind::kPrivate:
      return "a private address";
    case AddressKind::kUniqueLocal:
      return "a unique-local (private IPv6) address";
    case AddressKind::kSharedNat:
      return "a carrier-grade NAT address (100.64.0.0/10)";
    case AddressKind::kMulticast:
      return "a multicast address";
    case AddressKind::kBroadcast:
      return "the broadcast address";
    case AddressKind::kDocumentation:
      return "a documentation address (not routed on the internet)";
    case AddressKind::kReserved:
      return "a reserved address (not routed on the internet)";
    case AddressKind::kOwn:
      return "this machine's own address";
  }
  return "an address";
}

AddressClass Classify(const IpAddress& address) {
  if (address.is_v4()) return {ClassifyV4(V4Value(address)), std::nullopt};
  auto b = address.bytes();
  auto embedded = [&](IpAddress v4) { return AddressClass{ClassifyV4(V4Value(v4)), v4}; };
  static constexpr std::array<std::uint8_t, 16> kMapped = {0, 0, 0, 0, 0,    0,
                                                           0, 0, 0, 0, 0xff, 0xff};
  static constexpr std::array<std::uint8_t, 16> kNat64 = {0x00, 0x64, 0xff, 0x9b};
  static constexpr std::array<std::uint8_t, 16> k6to4 = {0x20, 0x02};
  static constexpr std::array<std::uint8_t, 16> kTeredo = {0x20, 0x01, 0x00, 0x00};
  if (PrefixEquals(b, kMapped, 96)) return embedded(V4At(b, 12));
  if (PrefixEquals(b, kNat64, 96)) return embedded(V4At(b, 12));
  if (PrefixEquals(b, k6to4, 16)) return embedded(V4At(b, 2));
  if (PrefixEquals(b, kTeredo, 32)) {
    // The client's IPv4 address is stored with every bit inverted (RFC 4380).
    return embedded(V4From(~V4Value(V4At(b, 12))));
  }
  for (const V6Range& r : kV6Ranges) {
    if (PrefixEquals(b, r.network, r.prefix)) return {r.kind, std::nullopt};
  }
  // Only 2000::/3 is allocated for global unicast; the rest (IPv4-compatible ::/96, discard-only
  // 100::/64, deprecated site-local fec0::/10, ...) is not reachable on the internet.
  if ((b[0] & 0xe0) != 0x20) return {AddressKind::kReserved, std::nullopt};
  return {AddressKind::kPublic, std::nullopt};
}

AddressPolicy::AddressPolicy(std::vector<Cidr> allowed, std::string rule)
    : allowed_(std::move(allowed)), rule_(std::move(rule)) {}

void AddressPolicy::SetOwnAddresses(std::vector<IpAddress> own) {
  std::lock_guard lock(own_mu_);
  own_ = std::move(own);
}

bool AddressPolicy::Allowed(const IpAddress& address) const {
  return std::any_of(allowed_.begin(), allowed_.end(),
                     [&](const Cidr& c) { return c.Contains(address); });
}

std::optional<AddressRefusal> AddressPolicy::Check(const IpAddress& address) const {
  const AddressClass c = Classify(address);
  if (Allowed(address) || (c.embedded && Allowed(*c.embedded))) return std::nullopt;
  AddressKind kind = c.kind;
  if (kind == AddressKind::kPublic) {
    std::lock_guard lock(own_mu_);
    auto own = [&](const IpAddress& a) {
      return std::find(own_.begin(), own_.end(), a) != own_.end();
    };
    if (!own(address) && !(c.embedded && own(*c.embedded))) return std::nullopt;
    kind = AddressKind::kOwn;
  }
  std::string via = c.embedded ? fmt::format(" (it stands for {})", c.embedded->ToString()) : "";
  return AddressRefusal{
      address, kind,
      fmt::format("{} is {}{}; {}", address.ToString(), DescribeKind(kind), via, rule_)};
}

}  // namespace lifeline::core
