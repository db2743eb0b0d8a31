// Test helpers for the relay and the router (header-only): a subscriber that records every
// published outbox change and lets a test wait for one, instead of sleeping, and the fixture
// their tests share (a store, a fake clock, fake channels, the relay).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "channels/fake_channel.h"
#include "channels/outbox.h"
#include "core/fake_clock.h"
#include "core/temp_dir.h"
#include "store/store.h"

// Asserts that a Status or Result is ok, naming the expression and the error.
#define ASSERT_OK(expr)                                             \
  do {                                                              \
    auto&& _r = (expr);                                             \
    ASSERT_TRUE(_r.ok()) << #expr << ": " << _r.error().ToString(); \
  } while (0)

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

// What the relay's and the router's tests share: a SQLite store in a temporary directory, a fake
// clock at `start`, the relay's options, the fake channels the relay will own, and the relay and
// its change log once a test starts one (TearDown stops them before the rest goes).
class RelayFixture : public ::testing::Test {
 protected:
  RelayFixture(std::string_view dir, TimePoint start) : dir_(dir), clock_(start) {}

  void SetUp() override {
    auto s = store::OpenSqlite(dir_.path() + "/lifeline.db");
    ASSERT_TRUE(s.ok()) << s.error().ToString();
    store_ = std::move(*s);
  }
  void TearDown() override {
    changes_.reset();
    relay_.reset();
  }

  // A FakeChannel of `info` among the channels the relay will own; the pointer stays valid while
  // the relay lives.
  FakeChannel* AddFake(const Info& info) {
    auto fake = std::make_unique<FakeChannel>(info);
    FakeChannel* raw = fake.get();
    ChannelSetup c;
    c.name = info.name;
    c.kind = info.kind;
    c.platform = info.platform;
    c.traits = info.traits;
    c.channel = std::move(fake);
    setups_.push_back(std::move(c));
    return raw;
  }

  lifeline::testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  core::FakeClock clock_;
  RelayOptions options_;
  std::vector<ChannelSetup> setups_;
  std::unique_ptr<Relay> relay_;
  std::unique_ptr<Changes> changes_;
};

}  // namespace lifeline::channels::testing
