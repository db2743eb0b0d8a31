// Live-change subscriptions, one way for every part: a publisher keeps a Listeners<Event>, a
// subscriber keeps the Subscription it got back for as long as it wants the events. The serve
// engine, the relay and the playbook engine publish through it; GET /v1/events merges them.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>

namespace lifeline::core {

// Unsubscribes when destroyed. The publisher may be gone by then (the handle then does nothing).
class Subscription {
 public:
  virtual ~Subscription() = default;
};

// Thread-safe. Sinks run on the publisher's thread, under the list's lock, in subscription order:
// they must only queue or update a little state of their own, never call back into the publisher
// (nor subscribe or unsubscribe from inside a sink).
template <typename Event>
class Listeners {
 public:
  using Sink = std::function<void(const Event&)>;

  [[nodiscard]] std::unique_ptr<Subscription> Add(Sink sink) {
    std::lock_guard lock(state_->mu);
    const std::uint64_t id = state_->next++;
    state_->sinks.emplace(id, std::move(sink));
    return std::make_unique<Handle>(state_, id);
  }

  void Publish(const Event& event) const {
    std::lock_guard lock(state_->mu);
    for (const auto& [id, sink] : state_->sinks) sink(event);
  }

  // True when nobody listens: a publisher may skip building the event.
  bool empty() const {
    std::lock_guard lock(state_->mu);
    return state_->sinks.empty();
  }

 private:
  struct State {
    mutable std::mutex mu;  // guards sinks and next
    std::map<std::uint64_t, Sink> sinks;
    std::uint64_t next = 0;
  };
  class Handle final : public Subscription {
   public:
    Handle(std::weak_ptr<State> state, std::uint64_t id) : state_(std::move(state)), id_(id) {}
    ~Handle() override {
      if (auto s = state_.lock()) {
        std::lock_guard lock(s->mu);
        s->sinks.erase(id_);
      }
    }

   private:
    std::weak_ptr<State> state_;
    std::uint64_t id_;
  };

  std::shared_ptr<State> state_ = std::make_shared<State>();
};

}  // namespace lifeline::core
