// Incident alerts (`alerts:` in the config): when an incident opens or closes, tell the listed
// contacts through the router — on the first of their channels that still works. The smallest
// useful plan; the contingency plan (playbook) builds richer ones on the same relay.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "channels/router.h"
#include "config/config.h"
#include "core/incident_feed.h"
#include "core/result.h"

namespace lifeline::channels {

struct AlertRule {
  std::vector<std::string> contacts;  // contacts.ID, each told once per change
  std::string opened;                 // template for an opened incident ("" = none)
  std::string closed;                 // template for a closed one ("" = none)
  // Only incidents naming one of these platforms or failure domains; empty = every incident.
  std::vector<std::string> only;
};

// Parses `alerts:` (a list of rules) against the relay's contacts and templates, with
// FILE:LINE: key errors. No section: no rules.
core::Result<std::vector<AlertRule>> LoadAlertRules(const config::Config& config,
                                                    const Router& router);

// Sends the alerts. Each message's idempotency key is "alert/<incident>/<change>/<contact>", so
// a restart that sees the same incident open again sends nothing twice.
class IncidentAlerts {
 public:
  // `router` must outlive this. Platform names come from `config`'s catalog.
  // `log` gets one line per alert that could not be enqueued (never silent); may be null.
  IncidentAlerts(Router& router, std::vector<AlertRule> rules, const config::Config& config,
                 std::function<void(std::string_view)> log);
  ~IncidentAlerts();  // stops the sender thread (alerts not sent yet are dropped: the notices
                      // come again at the next start while the incident is open)

  // Subscribes to the feed and starts sending. Keep the handle while alerts should flow.
  [[nodiscard]] std::unique_ptr<core::IncidentFeed::Subscription> Watch(core::IncidentFeed& feed);

  // What the feed's sink does: queue the notice (never blocks on delivery).
  void OnIncident(const core::IncidentNotice& notice);

 private:
  void Run();
  void Send(const core::IncidentNotice& notice);

  Router& router_;
  const std::vector<AlertRule> rules_;
  const std::function<void(std::string_view)> log_;
  std::map<std::string, std::string> names_;    // platform id -> name
  std::map<std::string, std::string> domains_;  // platform id -> failure domain

  std::mutex mu_;  // guards queue_, stopping_
  std::condition_variable cv_;
  std::deque<core::IncidentNotice> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace lifeline::channels
