// What the other `lifeline serve` instances on a shared database watch, read back from the store
// (serve/cluster.h shares the platforms out by lease; the engine runs only its own): their
// platforms' last diagnoses and status pages, which incident each platform is in, and the
// incidents' new events — so every instance serves the whole board, GET /v1/platforms and
// /v1/events alike.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/result.h"
#include "store/store.h"

namespace lifeline::serve {

class SharedView {
 public:
  explicit SharedView(store::Store& store) : store_(store) {}

  struct IncidentChange {
    store::Incident incident;                  // as stored now
    std::vector<store::IncidentEvent> events;  // new since the last Read, by seq
  };
  struct Update {
    // Platform states and status pages whose stored time moved since the last Read (all of them
    // the first time).
    std::vector<store::PlatformState> states;
    std::vector<store::StatusPageState> pages;
    // Every open incident's id by platform (the newest incident when several name one platform).
    std::map<std::string, std::string> incident_of;
    // Incidents opened, changed or closed since the last Read (also one opened and closed in
    // between), with their new events. The first Read reports every open incident without events
    // (what is open, not what happened).
    std::vector<IncidentChange> incidents;
  };

  // Reads the store. Not thread-safe (the engine's event loop calls it).
  [[nodiscard]] core::Result<Update> Read();

 private:
  store::Store& store_;
  bool first_ = true;
  std::map<std::string, store::Time> state_at_;  // by platform
  store::Time newest_{};                         // the latest updated_at read
  std::map<std::string, store::Time> page_at_;   // by platform
  std::map<std::string, std::int64_t> seq_;      // open incidents: the last seq reported
  std::set<std::string> closed_;                 // the newest closed ones, already reported
};

}  // namespace lifeline::serve
