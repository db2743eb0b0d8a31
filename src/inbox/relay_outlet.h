// The inbox's Outlet (inbox.h) on the relay: replies and move messages go into the durable
// outbox with their idempotency keys; their delivery outcomes come back as the stored messages'
// status (RelayStatusFollower).
#pragma once

#include <memory>
#include <string>
#include <utility>

#include "channels/outbox.h"
#include "core/work_queue.h"
#include "inbox/inbox.h"

namespace lifeline::inbox {

// `relay` must outlive the result.
std::unique_ptr<Outlet> MakeRelayOutlet(channels::Relay& relay);

// Follows the relay's changes of the inbox's messages (idempotency keys "inbox/...") and sets the
// stored outgoing message's status: delivered (with the platform's id of the message, which its
// delivery statuses name), failed, dead_lettered, rerouted, unconfirmed, cancelled. The relay's
// sink only queues; a worker of its own writes (the relay's threads never wait for the store).
class RelayStatusFollower {
 public:
  // `relay` and `store` must outlive the follower.
  RelayStatusFollower(channels::Relay& relay, store::InboxStore& store);
  ~RelayStatusFollower();  // Stop()
  void Stop();             // unsubscribes, writes what is queued, joins. Idempotent.

 private:
  store::InboxStore& store_;
  core::WorkQueue work_;
  std::unique_ptr<core::Subscription> sub_;
};

}  // namespace lifeline::inbox
