// hosts(5) parsing for HTTP/TCP probe host resolution; loaded once per Prober.
#include "probe/dns/hosts.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

#include "probe/local_network.h"

namespace lifeline::probe::dns {

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  while (!out.empty() && out.back() == '.') out.pop_back();
  return out;
}

void AddUnique(std::vector<std::string>& list, const std::string& address) {
  if (std::find(list.begin(), list.end(), address) == list.end()) list.push_back(address);
}

}  // namespace

HostsTable HostsTable::Parse(std::string_view text) {
  HostsTable table;
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    line = line.substr(0, line.find('#'));
    std::vector<std::string_view> fields;
    std::size_t i = 0;
    while (i < line.size()) {
      while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i]))) ++i;
      std::size_t start = i;
      while (i < line.size() && !std::isspace(static_cast<unsigned char>(line[i]))) ++i;
      if (i > start) fields.push_back(line.substr(start, i - start));
    }
    if (fields.size() < 2) continue;
    std::string address(fields[0]);
    unsigned char buf[16];
    char canonical[INET6_ADDRSTRLEN];
    auto* map = &table.v4_;
    int family = AF_INET;
    if (inet_pton(AF_INET, address.c_str(), buf) != 1) {
      // "fe80::1%eth0" (scoped) cannot be a probe target address here: skipped with the rest.
      if (inet_pton(AF_INET6, address.c_str(), buf) != 1) continue;
      map = &table.v6_;
      family = AF_INET6;
    }
    if (!inet_ntop(family, buf, canonical, sizeof canonical)) continue;
    for (std::size_t f = 1; f < fields.size(); ++f) AddUnique((*map)[Lower(fields[f])], canonical);
  }
  return table;
}

HostsTable HostsTable::Load(const std::string& path) { return Parse(ReadSmallFile(path)); }

std::vector<std::string> HostsTable::Lookup(std::string_view name) const {
  std::string key = Lower(name);
  std::vector<std::string> out;
  if (auto it = v4_.find(key); it != v4_.end()) out = it->second;
  if (auto it = v6_.find(key); it != v6_.end())
    out.insert(out.end(), it->second.begin(), it->second.end());
  if (out.empty() && (key == "localhost" || key.ends_with(".localhost")))
    out = {"127.0.0.1", "::1"};
  return out;
}

}  // namespace lifeline::probe::dns
