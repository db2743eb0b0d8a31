// The failover router (router.h): contact point choice, template rendering per channel, dry runs,
// the Rerouter hooks and the incident timeline entries.
#include "channels/router.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <utility>

namespace lifeline::channels {

using core::ErrorCode;
using core::MakeError;
using core::Result;

namespace {

std::string JoinRoute(const std::vector<std::string>& parts) {
  std::string out;
  for (const std::string& p : parts) {
    if (!out.empty()) out += "; ";
    out += p;
  }
  return out;
}

}  // namespace

Router::Router(Relay* relay, store::Store* store, std::vector<Contact> contacts,
               std::vector<Template> templates)
    : relay_(relay),
      store_(store),
      contacts_(std::move(contacts)),
      templates_(std::move(templates)) {}

const Contact* Router::FindContact(std::string_view id) const {
  for (const Contact& c : contacts_) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

const Template* Router::FindTemplate(std::string_view name) const {
  for (const Template& t : templates_) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

Planned Router::Render(const Outgoing& out, const ChannelSetup& channel, std::string to) const {
  Planned p;
  p.channel = channel.name;
  p.to = std::move(to);
  p.subject = out.subject;
  p.max_chars = channel.traits.max_chars;
  if (!out.template_name.empty()) {
    const Template* t = FindTemplate(out.template_name);
    const std::string* text = t ? t->TextFor(channel.name, channel.kind) : nullptr;
    if (text == nullptr) {
      p.problem = fmt::format("template {} has no text for {} (add {}: or default: to it)",
                              out.template_name, channel.name, channel.name);
      return p;
    }
    auto rendered = RenderTemplate(*text, out.vars);
    if (!rendered) {
      p.problem = rendered.error().message();
      return p;
    }
    p.text = std::move(*rendered);
    if (p.subject.empty() && !t->subject.empty()) {
      auto subject = RenderTemplate(t->subject, out.vars);
      if (!subject) {
        p.problem = subject.error().message();
        return p;
      }
      p.subject = std::move(*subject);
    }
  } else {
    p.text = out.text;
  }
  p.chars = CodePoints(p.text);
  SendRequest check;
  check.channel = channel.name;
  check.to = p.to;
  check.subject = p.subject;
  check.text = p.text;
  check.html = out.html;
  if (auto s = relay_->Validate(check); !s) p.problem = s.error().message();
  return p;
}

Result<Planned> Router::Plan(const Outgoing& out) const {
  if (out.text.empty() == out.template_name.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "give either a text or a template");
  }
  if (!out.template_name.empty() && FindTemplate(out.template_name) == nullptr) {
    std::vector<std::string> names;
    for (const Template& t : templates_) names.push_back(t.name);
    return MakeError(ErrorCode::kNotFound, "unknown template '{}' (templates: {})",
                     out.template_name,
                     names.empty() ? "none configured" : fmt::format("{}", fmt::join(names, ", ")));
  }
  if (out.contact.empty() == out.channel.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "give either a contact or a channel");
  }
  if (!out.channel.empty()) {
    const ChannelSetup* c = relay_->FindChannel(out.channel);
    if (c == nullptr) {
      return MakeError(ErrorCode::kNotFound, "unknown channel '{}' (channels: {})", out.channel,
                       fmt::join(relay_->ChannelNames(), ", "));
    }
    Planned p = Render(out, *c, out.to);
    if (!p.problem.empty()) return core::Error(ErrorCode::kInvalidArgument, p.problem);
    return p;
  }
  const Contact* contact = FindContact(out.contact);
  if (contact == nullptr) {
    std::vector<std::string> ids;
    for (const Contact& c : contacts_) ids.push_back(c.id);
    return MakeError(ErrorCode::kNotFound, "unknown contact '{}' (contacts: {})", out.contact,
                     ids.empty() ? "none configured" : fmt::format("{}", fmt::join(ids, ", ")));
  }
  // The first point whose circuit accepts and whose channel takes this text. When every circuit
  // is open, the first point that takes the text waits for its channel (and moves on when another
  // point's channel recovers first).
  std::vector<std::string> skipped;
  std::optional<Planned> waiting;
  std::vector<std::string> waiting_skipped;
  for (const ContactPoint& point : contact->points) {
    const ChannelSetup* c = relay_->FindChannel(point.channel);
    if (c == nullptr) {
      skipped.push_back(fmt::format("{}: not configured", point.channel));
      continue;
    }
    Planned p = Render(out, *c, point.to);
    if (!p.problem.empty()) {
      skipped.push_back(fmt::format("{}: {}", point.channel, p.problem));
      continue;
    }
    auto h = relay_->Health(point.channel);
    if (h.ok() && h->circuit == CircuitState::kOpen) {
      if (!waiting) {
        waiting = std::move(p);
        waiting_skipped = skipped;
      }
      skipped.push_back(fmt::format("{}: circuit open, {}", point.channel, h->circuit_reason));
      continue;
    }
    p.route = JoinRoute(skipped);
    return p;
  }
  if (waiting) {
    waiting_skipped.push_back(
        fmt::format("every contact point's circuit is open: waiting on {}", waiting->channel));
    waiting->route = JoinRoute(waiting_skipped);
    return std::move(*waiting);
  }
  return MakeError(ErrorCode::kInvalidArgument, "no contact point of {} can take this message: {}",
                   contact->id, JoinRoute(skipped));
}

Result<store::Enqueued> Router::Send(const Outgoing& out) {
  LL_ASSIGN(Planned p, Plan(out));
  SendRequest r;
  r.channel = p.channel;
  r.to = p.to;
  r.subject = p.subject;
  r.text = p.text;
  r.html = out.html;
  r.idempotency_key = out.idempotency_key;
  r.contact = out.contact;
  r.incident_id = out.incident_id;
  r.route = p.route;
  r.not_before = out.not_before;
  return relay_->Enqueue(r);
}

Result<std::vector<Planned>> Router::PlanAnnouncement(const Announcement& a) const {
  if (FindTemplate(a.template_name) == nullptr) {
    return MakeError(ErrorCode::kNotFound, "unknown template '{}'", a.template_name);
  }
  if (a.channels.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "an announcement names at least one channel");
  }
  Outgoing out;
  out.template_name = a.template_name;
  out.vars = a.vars;
  std::vector<Planned> plans;
  for (const std::string& name : a.channels) {
    const ChannelSetup* c = relay_->FindChannel(name);
    if (c == nullptr) {
      return MakeError(ErrorCode::kNotFound, "unknown channel '{}' (channels: {})", name,
                       fmt::join(relay_->ChannelNames(), ", "));
    }
    plans.push_back(Render(out, *c, ""));
  }
  return plans;
}

Result<std::vector<store::Enqueued>> Router::Announce(const Announcement& a) {
  LL_ASSIGN(std::vector<Planned> plans, PlanAnnouncement(a));
  std::vector<std::string> problems;
  for (const Planned& p : plans) {
    if (!p.problem.empty()) problems.push_back(p.problem);
  }
  if (!problems.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "nothing was sent: {}", JoinRoute(problems));
  }
  std::vector<SendRequest> requests;
  for (const Planned& p : plans) {
    SendRequest r;
    r.channel = p.channel;
    r.subject = p.subject;
    r.text = p.text;
    if (!a.idempotency_key.empty()) r.idempotency_key = a.idempotency_key + "/" + p.channel;
    r.incident_id = a.incident_id;
    requests.push_back(std::move(r));
  }
  return relay_->EnqueueBatch(requests);
}

std::optional<Rerouter::Hop> Router::Next(const store::OutboxMessage& m, std::string_view why) {
  const Contact* contact = FindContact(m.contact);
  if (contact == nullptr) return std::nullopt;
  // Where the message is now; points after it are candidates (none is tried twice).
  std::size_t start = 0;
  for (std::size_t i = 0; i < contact->points.size(); ++i) {
    const ContactPoint& p = contact->points[i];
    if (p.channel == m.channel && p.to == m.recipient) {
      start = i + 1;
      break;
    }
  }
  std::vector<std::string> parts;
  if (!m.route.empty()) parts.push_back(m.route);
  parts.push_back(fmt::format("{}: {}", m.channel, why));
  for (std::size_t i = start; i < contact->points.size(); ++i) {
    const ContactPoint& p = contact->points[i];
    if (p.channel == m.channel) continue;
    if (relay_->FindChannel(p.channel) == nullptr) continue;
    auto h = relay_->Health(p.channel);
    if (!h.ok()) continue;
    if (h->circuit == CircuitState::kOpen) {
      parts.push_back(fmt::format("{}: circuit open, {}", p.channel, h->circuit_reason));
      continue;
    }
    SendRequest check;
    check.channel = p.channel;
    check.to = p.to;
    check.subject = m.subject;
    check.text = m.text;
    check.html = m.html;
    if (auto s = relay_->Validate(check); !s) {
      parts.push_back(fmt::format("{}: {}", p.channel, s.error().message()));
      continue;
    }
    return Hop{p.channel, p.to, JoinRoute(parts)};
  }
  return std::nullopt;
}

void Router::Final(const store::OutboxMessage& m) {
  if (store_ == nullptr || m.incident_id.empty()) return;
  bool delivered = m.state == store::MessageState::kDelivered;
  if (delivered && m.route.empty()) return;  // straight through: nothing to tell
  const Contact* contact = FindContact(m.contact);
  std::string who = contact != nullptr ? contact->name : m.contact;
  std::string what = delivered ? (m.route.empty() ? fmt::format("sent by {}", m.channel) : m.route)
                               : fmt::format("{}{}{}: {}", m.route, m.route.empty() ? "" : "; ",
                                             store::MessageStateName(m.state), m.last_reason);
  store::NewEvent ev;
  ev.at = m.updated_at;
  ev.type = std::string(kRelayRouteEvent);
  ev.message = fmt::format("Message to {}: {}", who, what);
  ev.data_json = nlohmann::json{
      {"message_id", m.id},
      {"contact", m.contact},
      {"channel", m.channel},
      {"state", store::MessageStateName(m.state)},
      {"route",
       m.route}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  // A deleted incident is no reason to fail a delivery: the message keeps its route either way.
  (void)store_->AppendEvent(m.incident_id, ev);
}

}  // namespace lifeline::channels
