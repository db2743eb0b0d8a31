// The spine the response half hangs on (DESIGN.md, "How the response half plugs in"): the serve
// engine publishes incident changes through this interface and each part (relay circuits,
// playbook, ads guard, calendar, inbox failover) subscribes and reacts. The engine never calls a
// part.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/listeners.h"
#include "core/types.h"

namespace lifeline::core {

struct IncidentNotice {
  enum class Change { kOpened, kUpdated, kClosed };
  // kPlatform: one platform fails (`domain` is still its failure domain, but the domain's other
  // platforms are fine); kDomain: the whole failure domain fails (every platform riding it, not
  // only those listed); kFlapping: a platform that keeps failing and recovering.
  enum class Kind { kPlatform, kDomain, kFlapping };
  Change change = Change::kOpened;
  Kind kind = Kind::kPlatform;
  std::string incident_id;
  std::string domain;                  // failure domain ("meta"); may be empty
  std::vector<std::string> platforms;  // every platform the incident names
  Verdict verdict = Verdict::kOutage;
  std::string title;
  std::chrono::system_clock::time_point opened_at;
  std::chrono::system_clock::time_point at;  // when this change happened
  // False: another `lifeline serve` on the shared database runs the incident's platforms
  // (serve/cluster.h) and acts on it; this instance only knows it is there (the relay's circuits
  // still follow it). Parts that act once per incident — send alerts, start responses, pause ads,
  // move conversations — skip such notices.
  bool here = true;
};

class IncidentFeed {
 public:
  virtual ~IncidentFeed() = default;

  using Subscription = core::Subscription;

  // `sink` first receives every incident open right now (as kOpened), then each change as it
  // happens, in order. It runs on the publisher's thread and must only queue or update a little
  // state of its own under its own lock: never call back into the feed. Unsubscribes when the
  // returned handle is destroyed.
  virtual std::unique_ptr<Subscription> SubscribeIncidents(
      std::function<void(const IncidentNotice&)> sink) = 0;
};

}  // namespace lifeline::core
