// The relay as the calendar's Publisher (publisher.h).
#include <string>

#include "calendar/config.h"
#include "calendar/publisher.h"

namespace lifeline::calendar {
namespace {

using core::ErrorCode;
using core::Result;

constexpr std::string_view kKeyPrefix = "calendar/";

Delivery FromMessage(const store::OutboxMessage& m) {
  Delivery d;
  d.key = m.idempotency_key;
  d.message_id = m.id;
  d.remote_id = m.remote_id;
  d.reason = m.last_reason;
  switch (m.state) {
    case store::MessageState::kDelivered:
      d.state = Delivery::State::kDelivered;
      break;
    case store::MessageState::kFailed:
    case store::MessageState::kDeadLettered:
      d.state = Delivery::State::kFailed;
      break;
    case store::MessageState::kCancelled:
      d.state = Delivery::State::kCancelled;
      break;
    default:
      d.state = Delivery::State::kWaiting;  // unconfirmed too: a person decides in the outbox
  }
  return d;
}

class RelayPublisher final : public Publisher {
 public:
  explicit RelayPublisher(channels::Relay& relay) : relay_(relay) {}

  std::vector<std::string> Channels() const override { return relay_.ChannelNames(); }

  std::string Platform(std::string_view channel) const override {
    const channels::ChannelSetup* c = relay_.FindChannel(channel);
    return c == nullptr ? std::string() : c->platform;
  }

  std::optional<Hold> HeldBy(std::string_view channel) const override {
    auto h = relay_.Health(channel);
    if (!h.ok() || h->incident_id.empty()) return std::nullopt;
    return Hold{h->incident_id, h->circuit_reason};
  }

  core::Status Check(std::string_view channel, const Content& content) const override {
    return relay_.Validate(Compose(channel, content));
  }

  Result<Delivery> Publish(std::string_view channel, const Content& content,
                           const std::string& key) override {
    channels::SendRequest r = Compose(channel, content);
    r.idempotency_key = key;
    LL_ASSIGN(store::Enqueued e, relay_.Enqueue(r));
    return FromMessage(e.message);
  }

  Result<Verification> Verify(std::string_view channel, const std::string& remote_id) override {
    LL_ASSIGN(channels::LookupResult l, relay_.Lookup(channel, remote_id));
    Verification v;
    v.reason = l.reason;
    v.permalink = l.permalink;
    switch (l.presence) {
      case channels::LookupResult::Presence::kPresent:
        v.state = Verification::State::kPresent;
        break;
      case channels::LookupResult::Presence::kMissing:
        v.state = Verification::State::kMissing;
        break;
      case channels::LookupResult::Presence::kUnknown:
        v.state = Verification::State::kUnknown;
        break;
      case channels::LookupResult::Presence::kUnsupported:
        v.state = Verification::State::kUnsupported;
        break;
    }
    return v;
  }

  Result<bool> CallBack(const std::string& message_id, std::string_view note) override {
    auto r = relay_.Cancel(message_id, note);
    if (r.ok()) return true;
    if (r.error().code() == ErrorCode::kFailedPrecondition) return false;
    return r.error();
  }

  Result<std::optional<Delivery>> Find(const std::string& key) override {
    auto m = relay_.outbox().FindByKey(key);
    if (!m.ok()) {
      if (m.error().code() == ErrorCode::kNotFound) return std::optional<Delivery>();
      return m.error();
    }
    return std::optional<Delivery>(FromMessage(*m));
  }

  std::unique_ptr<core::Subscription> Subscribe(
      std::function<void(const Delivery&)> sink) override {
    return relay_.Subscribe([sink = std::move(sink)](const channels::OutboxChange& c) {
      if (!c.message.idempotency_key.starts_with(kKeyPrefix)) return;
      if (!store::IsFinal(c.message.state)) return;
      sink(FromMessage(c.message));
    });
  }

 private:
  // A channel that publishes media itself (Facebook Page, Instagram) gets the links as media;
  // any other gets them as lines after the text.
  channels::SendRequest Compose(std::string_view channel, const Content& content) const {
    channels::SendRequest r;
    r.channel = std::string(channel);
    const channels::ChannelSetup* c = relay_.FindChannel(channel);
    if (c != nullptr && c->traits.carries_media) {
      r.text = content.text;
      r.media = content.media;
    } else {
      r.text = PublishedText(content.text, content.media);
    }
    return r;
  }

  channels::Relay& relay_;
};

}  // namespace

std::unique_ptr<Publisher> MakeRelayPublisher(channels::Relay& relay) {
  return std::make_unique<RelayPublisher>(relay);
}

}  // namespace lifeline::calendar
