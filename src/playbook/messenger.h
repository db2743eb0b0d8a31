// How the playbook engine sends: one message to a person's relay contact (the router picks the
// first healthy contact point) or to an audience channel, idempotent by key. An interface, so the
// engine's tests record what would be sent; RelayMessenger is the relay's router behind it.
#pragma once

#include <string>

#include "channels/router.h"
#include "channels/templates.h"
#include "core/result.h"

namespace lifeline::playbook {

struct OutgoingMessage {
  std::string contact;  // a relay contact (a person's): the router picks the contact point; or
  std::string channel;  // a relay channel (a post to the audience), to its default recipient
  // A template (templates.NAME, rendered per channel) or an inline text; both take `vars`.
  std::string template_name;
  std::string text;
  std::string subject;  // with `text`: rendered with `vars` too; "" = none (or the template's)
  // `text` and `subject` are final: sent as written, not rendered (the engine's own wording,
  // which quotes titles that may hold braces).
  bool literal = false;
  channels::TemplateVars vars;
  // Appended after the rendered text on a line of its own (acknowledgement links); "" = none.
  std::string footer;
  // Required: the same key twice sends one message (the outbox keeps the first).
  std::string idempotency_key;
  std::string incident_id;
};

struct SentMessage {
  std::string channel;   // where it was accepted for ("" when the messenger cannot tell)
  std::string text;      // the text as accepted
  bool created = false;  // false: the key was accepted before; nothing new goes out
};

class Messenger {
 public:
  virtual ~Messenger() = default;
  // Accepts the message for delivery: stored before it returns, delivered later (delivery's own
  // failures are the relay's to handle and show). An error means nothing was accepted: the store
  // failing, an unknown contact or template, no contact point able to take the text.
  [[nodiscard]] virtual core::Result<SentMessage> Send(const OutgoingMessage& message) = 0;
};

// The relay's router as a Messenger. Thread-safe (the router is).
class RelayMessenger final : public Messenger {
 public:
  explicit RelayMessenger(channels::Router& router) : router_(router) {}
  core::Result<SentMessage> Send(const OutgoingMessage& message) override;

  // What Send would hand the router: the Outgoing with inline texts rendered and, when there is
  // a footer, the template rendered for the contact's first healthy point with the footer added.
  // For dry runs and tests that record instead of sending.
  static core::Result<channels::Outgoing> Prepare(const channels::Router& router,
                                                  const OutgoingMessage& message);

 private:
  channels::Router& router_;
};

}  // namespace lifeline::playbook
