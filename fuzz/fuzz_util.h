// What the fuzz targets share: reading the fuzzer's bytes as text, taking a selector byte off the
// front, and an invariant check that aborts (a finding) with the broken rule in its message.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace lifeline::fuzz {

inline std::string_view Text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// The first byte of `in` (0 when empty), removed from it: picks which parser a target feeds.
inline unsigned TakeByte(std::string_view& in) {
  if (in.empty()) return 0;
  unsigned b = static_cast<unsigned char>(in.front());
  in.remove_prefix(1);
  return b;
}

// The text up to the first "\n--\n" (removed from `in` with the separator); all of `in` when none.
// Lets one input carry several parts (headers and body, one answer per request).
inline std::string_view TakePart(std::string_view& in) {
  constexpr std::string_view kSep = "\n--\n";
  auto at = in.find(kSep);
  std::string_view part = in.substr(0, at);
  in = at == std::string_view::npos ? std::string_view() : in.substr(at + kSep.size());
  return part;
}

// A parser's documented promise was broken by this input.
#define LL_FUZZ_CHECK(cond)                                                             \
  do {                                                                                  \
    if (!(cond)) {                                                                      \
      std::fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                     \
    }                                                                                   \
  } while (0)

}  // namespace lifeline::fuzz
