// The adapter list: one line per adapter (registry.h).
#include "channels/registry.h"

namespace lifeline::channels {

const std::vector<Kind>& Kinds() {
  static const std::vector<Kind> kinds = {
      // One line per adapter: its folder's `Kind k<Name>Kind` (e.g. telegram::kKind).
  };
  return kinds;
}

const Kind* FindKind(std::string_view type) {
  for (const Kind& k : Kinds()) {
    if (k.type == type) return &k;
  }
  return nullptr;
}

const Kind* FindScheme(std::string_view scheme) {
  for (const Kind& k : Kinds()) {
    for (std::string_view s : k.schemes) {
      if (s == scheme) return &k;
    }
  }
  return nullptr;
}

}  // namespace lifeline::channels
