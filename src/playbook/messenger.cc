// RelayMessenger (messenger.h): the engine's messages handed to the relay's router.
#include "playbook/messenger.h"

namespace lifeline::playbook {

core::Result<channels::Outgoing> RelayMessenger::Prepare(const channels::Router& router,
                                                         const OutgoingMessage& m) {
  channels::Outgoing out;
  out.contact = m.contact;
  out.channel = m.contact.empty() ? m.channel : "";
  out.vars = m.vars;
  out.idempotency_key = m.idempotency_key;
  out.incident_id = m.incident_id;
  if (m.literal) {
    out.text = m.text;
    out.subject = m.subject;
  } else if (!m.text.empty()) {
    LL_ASSIGN(out.text, channels::RenderTemplate(m.text, m.vars));
    if (!m.subject.empty()) {
      LL_ASSIGN(out.subject, channels::RenderTemplate(m.subject, m.vars));
    }
  } else {
    out.template_name = m.template_name;
  }
  if (!m.footer.empty()) {
    if (out.text.empty()) {
      // The template as the chosen point would get it; the router then routes the whole text
      // (the same point, unless the footer makes it too long there).
      LL_ASSIGN(channels::Planned planned, router.Plan(out));
      out.text = planned.text;
      if (out.subject.empty()) out.subject = planned.subject;
      out.template_name.clear();
    }
    out.text += "\n" + m.footer;
  }
  return out;
}

core::Result<SentMessage> RelayMessenger::Send(const OutgoingMessage& m) {
  LL_ASSIGN(channels::Outgoing out, Prepare(router_, m));
  LL_ASSIGN(store::Enqueued e, router_.Send(out));
  return SentMessage{e.message.channel, e.message.text, e.created};
}

}  // namespace lifeline::playbook
