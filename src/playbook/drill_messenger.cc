// DrillMessenger (drill_messenger.h): a drill's messages marked, routed around the simulated
// failure, and its audience posts kept away from the real audience.
#include "playbook/drill_messenger.h"

#include <algorithm>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace lifeline::playbook {
namespace {

using core::ErrorCode;
using core::MakeError;
using core::Result;
using json = nlohmann::json;

std::string Join(const std::vector<std::string>& items, std::string_view sep = ", ") {
  std::string out;
  for (const std::string& s : items) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

// "WhatsApp" / "Meta-wide": what the drill pretends failed, for routes and notes.
std::string WhatFailed(const store::Incident& drill) {
  if (drill.kind == store::IncidentKind::kDomain && !drill.domain.empty()) {
    return drill.domain + "-wide";
  }
  return Join(drill.platforms);
}

}  // namespace

DrillMessenger::DrillMessenger(Messenger& inner, channels::Relay& relay,
                               const channels::Router& router, store::Store& store,
                               const Plan& plan)
    : inner_(inner), relay_(relay), router_(router), store_(store), plan_(plan) {}

Result<bool> DrillMessenger::IsDrill(const std::string& incident_id) {
  if (incident_id.empty()) return false;
  {
    std::lock_guard lock(mu_);
    if (auto it = drills_.find(incident_id); it != drills_.end()) return it->second;
  }
  auto inc = store_.GetIncident(incident_id);
  if (!inc.ok()) {
    if (inc.error().code() == ErrorCode::kNotFound) return false;
    return inc.error();  // never guess: a drill's message must not reach the real audience
  }
  std::lock_guard lock(mu_);
  drills_[incident_id] = inc->drill;
  return inc->drill;
}

Result<SentMessage> DrillMessenger::Send(const OutgoingMessage& m) {
  LL_ASSIGN(bool drill, IsDrill(m.incident_id));
  if (!drill) return inner_.Send(m);
  LL_ASSIGN(store::Incident inc, store_.GetIncident(m.incident_id));
  if (m.contact.empty()) return Post(m, inc);
  return SendToPerson(m, inc);
}

bool DrillMessenger::Rides(std::string_view channel, const store::Incident& drill) const {
  auto h = relay_.Health(channel);
  if (!h.ok()) return false;
  if (!h->platform.empty() && std::find(drill.platforms.begin(), drill.platforms.end(),
                                        h->platform) != drill.platforms.end()) {
    return true;
  }
  return drill.kind == store::IncidentKind::kDomain && !drill.domain.empty() &&
         h->domain == drill.domain;
}

Result<SentMessage> DrillMessenger::SendToPerson(const OutgoingMessage& m,
                                                 const store::Incident& drill) {
  LL_ASSIGN(channels::Outgoing out, RelayMessenger::Prepare(router_, m));
  if (!out.template_name.empty()) {
    // The template as the first choice would get it, then marked (as Prepare does for footers).
    LL_ASSIGN(channels::Planned first, router_.Plan(out));
    out.text = first.text;
    if (out.subject.empty()) out.subject = first.subject;
    out.template_name.clear();
  }
  out.text = std::string(kDrillPrefix) + out.text;
  if (!out.subject.empty()) out.subject = std::string(kDrillPrefix) + out.subject;

  const channels::Contact* contact = router_.FindContact(out.contact);
  if (contact == nullptr) {
    return MakeError(ErrorCode::kNotFound, "unknown contact '{}' (drill {})", out.contact,
                     drill.id);
  }
  // The first contact point that neither rides the simulated failure nor has an open circuit
  // (a real outage's circuits would stop the first kind; the drill opens none).
  std::vector<std::string> skipped;
  for (const channels::ContactPoint& point : contact->points) {
    if (Rides(point.channel, drill)) {
      skipped.push_back(fmt::format("{}: rides the drill's simulated {} outage", point.channel,
                                    WhatFailed(drill)));
      continue;
    }
    channels::Outgoing one = out;
    one.contact.clear();
    one.channel = point.channel;
    one.to = point.to;
    auto planned = router_.Plan(one);
    if (!planned.ok()) {
      skipped.push_back(fmt::format("{}: {}", point.channel, planned.error().message()));
      continue;
    }
    if (!relay_.Accepting(point.channel)) {
      auto h = relay_.Health(point.channel);
      skipped.push_back(fmt::format("{}: circuit open, {}", point.channel,
                                    h.ok() ? h->circuit_reason : std::string("unavailable")));
      continue;
    }
    channels::SendRequest r;
    r.channel = planned->channel;
    r.to = planned->to;
    r.subject = planned->subject;
    r.text = planned->text;
    r.idempotency_key = out.idempotency_key;
    r.contact = out.contact;  // the relay may still fail it over to the next point
    r.incident_id = out.incident_id;
    r.route = Join(skipped, "; ");
    LL_ASSIGN(store::Enqueued e, relay_.Enqueue(r));
    return SentMessage{e.message.channel, e.message.text, e.created};
  }
  return MakeError(ErrorCode::kInvalidArgument,
                   "no contact point of {} can take this message during the drill's simulated {} "
                   "outage: {}",
                   contact->id, WhatFailed(drill), Join(skipped, "; "));
}

Result<SentMessage> DrillMessenger::Post(const OutgoingMessage& m, const store::Incident& drill) {
  // What the real audience channel would get: the text is rendered for it, never sent to it.
  LL_ASSIGN(channels::Outgoing out, RelayMessenger::Prepare(router_, m));
  LL_ASSIGN(channels::Planned planned, router_.Plan(out));
  std::string name = m.channel;
  std::string inventory;
  for (const InventoryChannel& c : plan_.inventory) {
    if (c.channel == m.channel) {
      name = c.name;
      inventory = c.id;
      break;
    }
  }
  if (plan_.drill.audience.empty()) {
    bool first = false;
    {
      std::lock_guard lock(mu_);
      first = skipped_.insert(m.idempotency_key).second;
    }
    if (first) {
      Note(drill, kDrillPostSkippedEvent,
           fmt::format("Drill: not posted on {} ({}): the plan names no test audience (drill: "
                       "audience), and a drill never posts to the real audience",
                       name, m.channel),
           json{{"inventory", inventory},
                {"channel", m.channel},
                {"key", m.idempotency_key},
                {"text", planned.text}}
               .dump());
    }
    // Not created: the engine records no "Posted on" for it.
    return SentMessage{"", planned.text, false};
  }
  std::vector<std::string> sent_to;
  for (const std::string& a : plan_.drill.audience) {
    channels::SendRequest r;
    r.channel = a;
    r.subject = planned.subject.empty() ? "" : std::string(kDrillPrefix) + planned.subject;
    r.text = std::string(kDrillPrefix) + planned.text;
    r.idempotency_key = m.idempotency_key + "/drill/" + a;
    r.incident_id = m.incident_id;
    r.route = fmt::format("{}: drill: posted on the test audience {} instead", m.channel, a);
    LL_ASSIGN(store::Enqueued e, relay_.Enqueue(r));
    sent_to.push_back(a);
    if (e.created) {
      Note(drill, kDrillMessageEvent,
           fmt::format("Drill: the post for {} ({}) went to the test audience {}; nothing was "
                       "posted on {}",
                       name, m.channel, a, name),
           json{{"inventory", inventory},
                {"channel", m.channel},
                {"test_audience", a},
                {"key", r.idempotency_key},
                {"message", e.message.id}}
               .dump());
    }
  }
  // Not created either: the engine's "Posted on <inventory channel>" would not be true.
  return SentMessage{Join(sent_to), std::string(kDrillPrefix) + planned.text, false};
}

void DrillMessenger::Note(const store::Incident& drill, std::string_view type, std::string message,
                          std::string data_json) {
  store::NewEvent e;
  e.at = store::FromSystem(std::chrono::system_clock::now());
  e.type = std::string(type);
  e.message = std::move(message);
  e.data_json = std::move(data_json);
  (void)store_.AppendEvent(drill.id, e);  // a note; the message itself is in the outbox
}

}  // namespace lifeline::playbook
