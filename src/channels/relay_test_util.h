// Test helpers for the relay and the router (header-only): a subscriber that records every
// published outbox change and lets a test wait for one, instead of sleeping.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "channels/outbox.h"

namespace lifeline::channels::testing {

// Records every published change; tests wait on it.
class Changes {
 public:
  explicit Changes(Relay& relay)
      : sub_(relay.Subscribe([this](const OutboxChange& c) {
          std::lock_guard lock(mu_);
          log_.push_back(c);
          cv_.notify_all();
        })) {}

  // Waits until message `id` was published in `state` (or, with an empty id, until `n`
  // messages were).
  bool WaitState(const std::string& id, store::MessageState state, std::size_t n = 1) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(20), [&] {
      std::set<std::string> ids;
      for (const auto& c : log_) {
        if (c.message.state == state && (id.empty() || c.message.id == id)) {
          ids.insert(c.message.id);
        }
      }
      return ids.size() >= n;
    });
  }
  bool WaitType(const std::string& type, std::size_t n = 1) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(20), [&] {
      std::size_t k = 0;
      for (const auto& c : log_) k += c.type == type;
      return k >= n;
    });
  }
  std::vector<OutboxChange> log() {
    std::lock_guard lock(mu_);
    return log_;
  }

 private:
  std::mutex mu_;  // guards log_
  std::condition_variable cv_;
  std::vector<OutboxChange> log_;
  std::unique_ptr<Relay::Subscription> sub_;
};

}  // namespace lifeline::channels::testing
