// An incident's whole timeline from a Store, across ListEvents' pages: what the incident report
// and the other instances' view of the shared store (serve/shared_view.h) read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "store/store.h"

namespace lifeline::store {

// Every event of incident `id` with seq > after_seq, by seq (kNotFound for no incident).
inline core::Result<std::vector<IncidentEvent>> ListAllEvents(Store& store, std::string_view id,
                                                              std::int64_t after_seq = 0) {
  constexpr std::size_t kPage = 10000;  // ListEvents' largest page
  std::vector<IncidentEvent> all;
  for (;;) {
    LL_ASSIGN(std::vector<IncidentEvent> page, store.ListEvents(id, after_seq, kPage));
    if (page.empty()) break;
    after_seq = page.back().seq;
    const bool full = page.size() == kPage;
    all.insert(all.end(), std::make_move_iterator(page.begin()),
               std::make_move_iterator(page.end()));
    if (!full) break;
  }
  return all;
}

}  // namespace lifeline::store
