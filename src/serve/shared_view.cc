// serve/shared_view.h: one read of the shared store, reduced to what changed.
#include "serve/shared_view.h"

#include <algorithm>
#include <optional>
#include <set>
#include <utility>

#include "store/events.h"

namespace lifeline::serve {

core::Result<SharedView::Update> SharedView::Read() {
  Update u;
  // After the first read only the states stored lately: the newest seen, less a minute for a
  // round that stored its state late. 100,000 platforms are not read every 2 s.
  std::optional<store::Time> since;
  if (!state_at_.empty()) since = newest_ - std::chrono::minutes(1);
  LL_ASSIGN(auto states, store_.ListPlatformStates(since));
  for (auto& st : states) {
    newest_ = std::max(newest_, st.updated_at);
    auto [it, fresh] = state_at_.try_emplace(st.platform, st.updated_at);
    if (!fresh && it->second == st.updated_at) continue;
    it->second = st.updated_at;
    u.states.push_back(std::move(st));
  }
  LL_ASSIGN(auto pages, store_.ListStatusPages());
  for (auto& p : pages) {
    auto [it, fresh] = page_at_.try_emplace(p.platform, p.fetched_at);
    if (!fresh && it->second == p.fetched_at) continue;
    it->second = p.fetched_at;
    u.pages.push_back(std::move(p));
  }

  store::IncidentQuery q;
  q.state = store::IncidentState::kOpen;
  q.limit = 1000;
  std::set<std::string> open;
  do {
    LL_ASSIGN(auto page, store_.ListIncidents(q));
    for (auto& inc : page.incidents) {
      if (inc.state != store::IncidentState::kOpen) continue;  // closed while we paged
      open.insert(inc.id);
      // Oldest first in the listing's order (newest opened first): the newest wins.
      for (const auto& p : inc.platforms) u.incident_of.try_emplace(p, inc.id);
      auto known = seq_.find(inc.id);
      if (first_) {
        seq_[inc.id] = inc.last_seq;
        u.incidents.push_back({std::move(inc), {}});
        continue;
      }
      const std::int64_t after = known == seq_.end() ? 0 : known->second;
      if (after == inc.last_seq) continue;
      LL_ASSIGN(auto events, store::ListAllEvents(store_, inc.id, after));
      seq_[inc.id] = inc.last_seq;
      u.incidents.push_back({std::move(inc), std::move(events)});
    }
    q.cursor = page.next_cursor;
  } while (!q.cursor.empty());
  // Known open before, not any more: closed (or deleted).
  for (auto it = seq_.begin(); it != seq_.end();) {
    if (open.count(it->first)) {
      ++it;
      continue;
    }
    closed_.insert(it->first);
    auto inc = store_.GetIncident(it->first);
    if (inc.ok()) {
      LL_ASSIGN(auto events, store::ListAllEvents(store_, it->first, it->second));
      u.incidents.push_back({std::move(*inc), std::move(events)});
    } else if (inc.error().code() != core::ErrorCode::kNotFound) {
      return inc.error();
    }
    it = seq_.erase(it);
  }
  // Opened and closed between two reads, never seen open: among the newest closed (the listing
  // puts the newest opened first, and these are the newest). Reported with their whole timeline.
  store::IncidentQuery closed;
  closed.state = store::IncidentState::kClosed;
  closed.limit = 50;
  LL_ASSIGN(auto recent, store_.ListIncidents(closed));
  std::set<std::string> listed;
  for (auto& inc : recent.incidents) {
    listed.insert(inc.id);
    if (first_ || closed_.count(inc.id) || inc.state != store::IncidentState::kClosed) continue;
    LL_ASSIGN(auto events, store::ListAllEvents(store_, inc.id, 0));
    u.incidents.push_back({std::move(inc), std::move(events)});
  }
  closed_ = std::move(listed);
  first_ = false;
  return u;
}

}  // namespace lifeline::serve
