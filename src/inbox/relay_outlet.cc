// The inbox's Outlet on the relay (relay_outlet.h).
#include "inbox/relay_outlet.h"

namespace lifeline::inbox {
namespace {

class RelayOutlet final : public Outlet {
 public:
  explicit RelayOutlet(channels::Relay& relay) : relay_(relay) {}

  core::Result<SentRef> Send(const OutMessage& m) override {
    channels::SendRequest r;
    r.channel = m.channel;
    r.to = m.to;
    r.text = m.text;
    r.idempotency_key = m.idempotency_key;
    r.contact = m.contact;
    r.incident_id = m.incident_id;
    r.subject = m.subject;
    LL_ASSIGN(store::Enqueued e, relay_.Enqueue(r));
    return SentRef{e.message.id, e.message.idempotency_key};
  }

  std::string Platform(std::string_view channel) const override {
    const channels::ChannelSetup* c = relay_.FindChannel(channel);
    return c ? c->platform : std::string();
  }

  bool Accepting(std::string_view channel) const override { return relay_.Accepting(channel); }

 private:
  channels::Relay& relay_;
};

}  // namespace

std::unique_ptr<Outlet> MakeRelayOutlet(channels::Relay& relay) {
  return std::make_unique<RelayOutlet>(relay);
}

RelayStatusFollower::RelayStatusFollower(channels::Relay& relay, store::InboxStore& store)
    : store_(store) {
  sub_ = relay.Subscribe([this](const channels::OutboxChange& change) {
    const std::string& t = change.type;
    if (t != "delivered" && t != "failed" && t != "dead_lettered" && t != "rerouted" &&
        t != "unconfirmed" && t != "cancelled") {
      return;
    }
    if (!change.message.idempotency_key.starts_with("inbox/")) return;
    work_.Post([this, id = change.message.id, status = t,
                remote = t == "delivered" ? change.message.remote_id : std::string()] {
      // A failed write leaves the status as it was: the relay's outbox keeps the truth.
      (void)store_.SetOutboundStatus(id, status, remote);
    });
  });
}

RelayStatusFollower::~RelayStatusFollower() { Stop(); }

void RelayStatusFollower::Stop() {
  sub_.reset();
  work_.Stop();
}

}  // namespace lifeline::inbox
