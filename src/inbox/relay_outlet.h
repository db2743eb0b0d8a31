// The inbox's Outlet (inbox.h) on the relay: replies and move messages go into the durable
// outbox with their idempotency keys; their delivery outcomes come back as the stored messages'
// status (RelayStatusFollower).
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include "channels/outbox.h"
#include "inbox/inbox.h"

namespace lifeline::inbox {

// `relay` must outlive the result.
std::unique_ptr<Outlet> MakeRelayOutlet(channels::Relay& relay);

// Follows the relay's changes of the inbox's messages (idempotency keys "inbox/...") and sets the
// stored outgoing message's status: delivered, failed, dead_lettered, rerouted, unconfirmed,
// cancelled. The relay's sink only queues; one thread of its own writes (the relay's threads
// never wait for the inbox's store).
class RelayStatusFollower {
 public:
  // `relay` and `store` must outlive the follower.
  RelayStatusFollower(channels::Relay& relay, store::InboxStore& store);
  ~RelayStatusFollower();  // Stop()
  void Stop();             // unsubscribes, writes what is queued, joins. Idempotent.

 private:
  void Loop();

  store::InboxStore& store_;
  std::mutex mu_;  // guards queue_ and stopping_
  std::condition_variable cv_;
  std::deque<std::pair<std::string, std::string>> queue_;  // relay id, status
  bool stopping_ = false;
  std::unique_ptr<core::Subscription> sub_;
  std::thread thread_;
};

}  // namespace lifeline::inbox
