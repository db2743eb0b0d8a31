// The relay's HTTP API, as a route group of `lifeline serve` (api/route_group.h): /v1/outbox
// (list, show, send, retry, cancel, decide), /v1/channels (health, circuit, rate) and
// /v1/contacts. Bodies and fields are described in docs/openapi.json.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/route_group.h"
#include "channels/config.h"
#include "channels/outbox.h"
#include "store/outbox.h"

namespace lifeline::channels {

// What a message looks like in the API, the CLI's --json and live events.
nlohmann::json MessageJson(const store::OutboxMessage& m);
nlohmann::json MessageEventJson(const store::MessageEvent& e);
nlohmann::json ChannelHealthJson(const ChannelHealth& h);

// A message for a contact (failover across its contact points) rather than for one channel.
// Returns the accepted message; kNotFound for an unknown contact. Set by the wiring once the
// router exists; null: POST /v1/outbox takes `channel` only.
using ContactSender =
    std::function<core::Result<store::Enqueued>(const std::string& contact, SendRequest request)>;

class RelayRoutes final : public api::RouteGroup {
 public:
  // `relay` and `setup` must outlive the routes (and the server serving them).
  RelayRoutes(Relay& relay, const RelaySetup& setup, ContactSender send_to_contact = nullptr);

  std::vector<api::PartRoute> Routes() override;
  std::string Metrics() override;
  // Live events of type "outbox": {"type": <event type>, "message": MessageJson}.
  std::unique_ptr<api::Backend::Subscription> Subscribe(
      std::function<void(const api::LiveEvent&)> sink) override;

 private:
  core::Result<api::PartResponse> List(const api::PartRequest& r);
  core::Result<api::PartResponse> Show(const api::PartRequest& r);
  core::Result<api::PartResponse> Send(const api::PartRequest& r);
  core::Result<api::PartResponse> Act(const api::PartRequest& r, const std::string& action);
  core::Result<api::PartResponse> Channels(const api::PartRequest& r);
  core::Result<api::PartResponse> Contacts(const api::PartRequest& r);

  Relay& relay_;
  const RelaySetup& setup_;
  ContactSender send_to_contact_;
};

}  // namespace lifeline::channels
