// The hosts file as this machine's resolver applies it before DNS ("files dns" in nsswitch): a
// name listed there never reaches a DNS server, which is also how a local override shows up.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace lifeline::probe::dns {

class HostsTable {
 public:
  // Parses hosts(5) text: "ADDRESS NAME [ALIAS...]" lines, '#' comments, names case-insensitive.
  // Lines whose address is not IPv4/IPv6 are skipped.
  static HostsTable Parse(std::string_view text);
  // The file's table; empty when it cannot be read.
  static HostsTable Load(const std::string& path);

  // IPv4 addresses first, then IPv6, each in file order; empty when the name is not listed.
  // "localhost" (and names under ".localhost") always resolve to loopback (RFC 6761).
  std::vector<std::string> Lookup(std::string_view name) const;

 private:
  std::unordered_map<std::string, std::vector<std::string>> v4_, v6_;
};

}  // namespace lifeline::probe::dns
