// What a drill's messages look like (`lifeline drill`, docs/playbook.md "Drills"): the engine's
// messages pass through DrillMessenger, which hands a real incident's messages on unchanged and
// marks a drill's: team messages start with "[DRILL] " and avoid the contact points riding the
// simulated failure (as the relay's open circuits would in a real outage, without opening any),
// and audience posts go only to the plan's test audience (drill: audience), or nowhere.
#pragma once

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>

#include "channels/outbox.h"
#include "channels/router.h"
#include "playbook/messenger.h"
#include "playbook/plan.h"
#include "store/store.h"

namespace lifeline::playbook {

inline constexpr std::string_view kDrillPrefix = "[DRILL] ";

// Timeline events a drill's messages add (besides the engine's own).
inline constexpr std::string_view kDrillMessageEvent = "drill_message";
inline constexpr std::string_view kDrillPostSkippedEvent = "drill_post_skipped";

// Thread-safe (the engine calls it under its lock, one message at a time; the cache has its own).
class DrillMessenger final : public Messenger {
 public:
  // `inner` sends a real incident's messages. `relay` and `router` send a drill's (the router
  // renders templates, the relay takes the messages); `store` says which incidents are drills and
  // receives the drill's timeline entries. All must outlive the messenger.
  DrillMessenger(Messenger& inner, channels::Relay& relay, const channels::Router& router,
                 store::Store& store, const Plan& plan);

  core::Result<SentMessage> Send(const OutgoingMessage& message) override;

 private:
  core::Result<bool> IsDrill(const std::string& incident_id);
  core::Result<SentMessage> SendToPerson(const OutgoingMessage& m, const store::Incident& drill);
  core::Result<SentMessage> Post(const OutgoingMessage& m, const store::Incident& drill);
  // Whether `channel` rides the drill's simulated failure.
  bool Rides(std::string_view channel, const store::Incident& drill) const;
  void Note(const store::Incident& drill, std::string_view type, std::string message,
            std::string data_json);

  Messenger& inner_;
  channels::Relay& relay_;
  const channels::Router& router_;
  store::Store& store_;
  const Plan& plan_;

  std::mutex mu_;                                    // guards drills_ and skipped_
  std::map<std::string, bool, std::less<>> drills_;  // incident id -> is a drill (ids never change)
  std::set<std::string, std::less<>> skipped_;  // keys of posts recorded as skipped (once each)
};

}  // namespace lifeline::playbook
