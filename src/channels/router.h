// The failover router: sends to a contact on the first of its contact points whose channel is
// healthy, moves a message to the next point when it fails for good or its circuit opens, renders
// templates per channel, and answers dry runs with exactly what each channel would get. Sits on
// top of the Relay (outbox.h) as its Rerouter.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "channels/config.h"
#include "channels/outbox.h"
#include "channels/templates.h"
#include "core/result.h"
#include "store/store.h"

namespace lifeline::channels {

// One message to send: to a contact (the router picks the channel) or to a channel directly,
// with a text or a template.
struct Outgoing {
  std::string contact;  // contacts.ID; or
  std::string channel;  // a channel, with `to` ("" = its default recipient)
  std::string to;
  std::string text;           // the text; or
  std::string template_name;  // a template, rendered per channel with `vars`
  TemplateVars vars;
  std::string subject;  // "" = the template's subject, if any
  std::string html;
  // The same key twice stores one message. "" = a unique key (not idempotent).
  std::string idempotency_key;
  std::string incident_id;
  std::optional<TimePoint> not_before;
};

// An announcement: one template posted on several channels, each with its own text.
struct Announcement {
  std::string template_name;
  TemplateVars vars;
  std::vector<std::string> channels;  // at least one
  // Each channel's message gets KEY/CHANNEL, so re-announcing with the same key sends nothing new.
  std::string idempotency_key;
  std::string incident_id;
};

// Exactly what one channel would get (a dry run), or what was enqueued.
struct Planned {
  std::string channel;
  std::string to;  // "" = the channel's default recipient
  std::string subject;
  std::string text;
  std::size_t chars = 0;      // code points of text
  std::size_t max_chars = 0;  // the channel's limit, 0 = none
  // Why this channel ("whatsapp: circuit open, Meta outage since 10:02 UTC (incident ...)");
  // "" when it is the first choice.
  std::string route;
  // Why it could not be sent as planned (the channel's Check, a missing template text); "" = OK.
  std::string problem;
};

// Thread-safe: the contacts and templates are fixed at construction; the relay and the store are
// thread-safe.
class Router final : public Rerouter {
 public:
  // `store` (may be null: no timeline) receives the routes of incident messages. All pointers
  // must outlive the router. Call relay->SetRerouter(&router) before relay->Start().
  Router(Relay* relay, store::Store* store, std::vector<Contact> contacts,
         std::vector<Template> templates);

  // What Send would enqueue, without storing: the chosen channel and why, the rendered text, the
  // length against the limit. kNotFound for an unknown contact, channel or template;
  // kInvalidArgument when no contact point can take the message (each point's reason listed).
  [[nodiscard]] core::Result<Planned> Plan(const Outgoing& out) const;
  // Plans, then enqueues (stored before it returns).
  [[nodiscard]] core::Result<store::Enqueued> Send(const Outgoing& out);

  // Every channel's message, each with `problem` set when it would be refused (nothing fails:
  // a dry run shows every problem at once). kNotFound for an unknown template or channel.
  [[nodiscard]] core::Result<std::vector<Planned>> PlanAnnouncement(const Announcement& a) const;
  // All channels' messages in one transaction, or none: kInvalidArgument naming each problem.
  [[nodiscard]] core::Result<std::vector<store::Enqueued>> Announce(const Announcement& a);

  const std::vector<Contact>& contacts() const { return contacts_; }
  const std::vector<Template>& templates() const { return templates_; }
  const Contact* FindContact(std::string_view id) const;
  const Template* FindTemplate(std::string_view name) const;

  // Rerouter: the contact's next point after the message's current one whose channel accepts
  // and whose Check passes (points are never revisited, so a message cannot loop).
  std::optional<Hop> Next(const store::OutboxMessage& message, std::string_view why) override;
  // Appends a "relay_route" event to the message's incident (when it has one) for a message
  // that was routed around a channel or failed.
  void Final(const store::OutboxMessage& message) override;

 private:
  // The text, subject and the channel's problem with it for `channel`.
  Planned Render(const Outgoing& out, const ChannelSetup& channel, std::string to) const;

  Relay* relay_;
  store::Store* store_;
  const std::vector<Contact> contacts_;
  const std::vector<Template> templates_;
};

// The Store events the router writes (incident timeline).
inline constexpr std::string_view kRelayRouteEvent = "relay_route";

}  // namespace lifeline::channels
