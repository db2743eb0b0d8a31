// The relay assembled from a config, as `lifeline serve`, `lifeline send` and `lifeline demo` run
// it: the outbound HTTP client, the channels, the durable relay on the store's outbox, and the
// lock that keeps one relay per database.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "channels/alerts.h"
#include "channels/config.h"
#include "channels/http.h"
#include "channels/outbox.h"
#include "channels/router.h"
#include "channels/routes.h"
#include "config/config.h"
#include "core/result.h"
#include "store/store.h"

namespace lifeline::channels {

struct RuntimeOptions {
  // The database file the store was opened on: the relay lock sits beside it ("<db>.relay").
  std::string database_path;
  std::function<void(std::string_view)> log;
  HttpClientOptions http;  // CA file, address rule
};

// One process delivers from one database at a time: Acquire takes an exclusive lock (flock) on
// the file beside the database, held until the runtime is destroyed. Another process finding it
// taken (a running `lifeline serve`) only enqueues, and the holder delivers: its relay looks for
// due messages at least every RelayConfig poll interval.
class RelayRuntime {
 public:
  // Builds the channels from `config` (kInvalidArgument FILE:LINE: key errors). `store` must
  // outlive the runtime. A config without channels gives a runtime with an empty setup.
  static core::Result<std::unique_ptr<RelayRuntime>> Create(const config::Config& config,
                                                            store::Store& store,
                                                            RuntimeOptions options);
  ~RelayRuntime();  // stops the relay, releases the lock

  // True when this process holds the delivery lock (or took it now); false when another process
  // delivers. Errors: the lock file cannot be opened.
  [[nodiscard]] core::Result<bool> Acquire();
  // Subscribes the relay's circuits and the incident alerts to the engine's incidents. Keep the
  // handle until the relay stops.
  [[nodiscard]] std::unique_ptr<core::IncidentFeed::Subscription> Watch(core::IncidentFeed& feed);
  // Acquire() must have returned true. Recovers what a crash left in `sending` and starts
  // delivering.
  [[nodiscard]] core::Status Start();
  void Stop();

  // True when the config names no channel.
  bool empty() const { return relay_->ChannelNames().empty(); }
  Relay& relay() { return *relay_; }
  Router& router() { return *router_; }
  // Enqueues a message for a contact on its first healthy contact point (the router); the
  // routes' POST /v1/outbox {contact} and `lifeline send --to`.
  ContactSender SenderToContacts();
  // Contacts, templates and relay settings (the channels themselves are the relay's).
  const RelaySetup& setup() const { return setup_; }

 private:
  RelayRuntime() = default;

  RuntimeOptions options_;
  std::unique_ptr<HttpClient> http_;
  RelaySetup setup_;
  std::unique_ptr<Relay> relay_;
  std::unique_ptr<Router> router_;  // the relay's Rerouter
  std::unique_ptr<IncidentAlerts> alerts_;
  int lock_fd_ = -1;
  bool holds_lock_ = false;
};

}  // namespace lifeline::channels
