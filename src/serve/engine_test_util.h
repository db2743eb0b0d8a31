// Shared by the serve engine's tests: waiting for a condition, and reading back what the engine
// stored and shows (its incidents, their timelines, a platform's view). Test-only, header-only.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "serve/engine.h"
#include "store/store.h"

namespace lifeline::serve::testing {

// Polls `pred` until it holds or `timeout` passes; its last answer.
template <typename Pred>
bool WaitFor(Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return pred();
}

// Up to 100 incidents, newest first.
inline std::vector<store::Incident> StoredIncidents(store::Store& store) {
  store::IncidentQuery q;
  q.limit = 100;
  auto page = store.ListIncidents(q);
  EXPECT_TRUE(page.ok());
  return page.ok() ? page->incidents : std::vector<store::Incident>{};
}

// An incident's timeline (up to 1,000 events).
inline std::vector<store::IncidentEvent> StoredEvents(store::Store& store, const std::string& id) {
  auto e = store.ListEvents(id, 0, 1000);
  EXPECT_TRUE(e.ok());
  return e.ok() ? *e : std::vector<store::IncidentEvent>{};
}

// GET /v1/platforms as the engine would answer it (null when it has none yet).
inline nlohmann::json PlatformsBody(Engine& engine) {
  auto b = engine.PlatformsBody();
  return b ? nlohmann::json::parse(*b) : nlohmann::json();
}

// One platform's entry in that body, or null.
inline nlohmann::json PlatformView(Engine& engine, const std::string& id) {
  nlohmann::json body = PlatformsBody(engine);  // the range must not be a member of a temporary
  for (const auto& p : body["platforms"]) {
    if (p["platform"] == id) return p;
  }
  return nlohmann::json();
}

}  // namespace lifeline::serve::testing
