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
  thread_ = std::thread([this] { Loop(); });
  sub_ = relay.Subscribe([this](const channels::OutboxChange& change) {
    const std::string& t = change.type;
    if (t != "delivered" && t != "failed" && t != "dead_lettered" && t != "rerouted" &&
        t != "unconfirmed" && t != "cancelled") {
      return;
    }
    if (!change.message.idempotency_key.starts_with("inbox/")) return;
    {
      std::lock_guard lock(mu_);
      queue_.emplace_back(change.message.id, t);
    }
    cv_.notify_one();
  });
}

RelayStatusFollower::~RelayStatusFollower() { Stop(); }

void RelayStatusFollower::Stop() {
  sub_.reset();
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void RelayStatusFollower::Loop() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    while (!queue_.empty()) {
      auto [id, status] = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      // A failed write leaves the status as it was: the relay's outbox keeps the truth.
      (void)store_.SetOutboundStatus(id, status);
      lock.lock();
    }
    if (stopping_) return;
  }
}

}  // namespace lifeline::inbox
