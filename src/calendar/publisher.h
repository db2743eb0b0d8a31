// What the content calendar needs of the relay, declared here so the calendar's tests use a fake
// and serve wires the real relay (RelayPublisher): the channels and their platforms, which open
// incident stops a channel now, checking a text against a channel, handing a post to the relay
// idempotently, calling a queued post back, and hearing what became of it.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "channels/outbox.h"
#include "core/listeners.h"
#include "core/result.h"

namespace lifeline::calendar {

// What a post says: its text and its media links. The publisher composes it for each channel: a
// channel that carries media itself (a Facebook Page's link, Instagram's images) gets them as
// media; the others get each link on a line of its own after the text (PublishedText).
struct Content {
  std::string text;
  std::vector<std::string> media;
};

// What the platform said when a published post was looked up by its id.
struct Verification {
  enum class State { kPresent, kMissing, kUnknown, kUnsupported };
  State state = State::kUnsupported;
  std::string reason;     // the platform's words, for people
  std::string permalink;  // where to see it, when the platform says
};
std::string_view VerificationName(Verification::State s);  // "present", "missing", ...

// A post's message on one channel as the relay has it.
struct Delivery {
  enum class State { kWaiting, kDelivered, kFailed, kCancelled };
  std::string key;         // the idempotency key the calendar gave it
  std::string message_id;  // the relay's id
  State state = State::kWaiting;
  std::string remote_id;  // the platform's post id, once delivered
  std::string reason;     // the relay's last reason, for people
};

// Thread-safe: every method may be called from any thread.
class Publisher {
 public:
  virtual ~Publisher() = default;

  virtual std::vector<std::string> Channels() const = 0;  // config order
  // The catalog platform a channel rides on ("" = none we watch, or an unknown channel).
  virtual std::string Platform(std::string_view channel) const = 0;
  // The open incident that stops `channel` now (an outage of its platform or of its failure
  // domain): its id, title and verdict; nullopt when none.
  struct Hold {
    std::string incident_id;
    std::string reason;  // "Telegram outage since 10:02 UTC (incident inc_...)"
  };
  virtual std::optional<Hold> HeldBy(std::string_view channel) const = 0;
  // kNotFound for an unknown channel; kInvalidArgument when the channel would refuse `content`
  // (too long, no media where the platform needs some).
  [[nodiscard]] virtual core::Status Check(std::string_view channel,
                                           const Content& content) const = 0;
  // Accepts `content` for `channel` under `key` (stored before it returns). The same key again
  // stores nothing and returns the message stored first.
  [[nodiscard]] virtual core::Result<Delivery> Publish(std::string_view channel,
                                                       const Content& content,
                                                       const std::string& key) = 0;
  // Looks a published post up on its platform by the id the platform gave (Delivery::remote_id).
  // Blocks for a request or two (the channel's timeout): call it from a worker or timer thread.
  // kNotFound for an unknown channel.
  [[nodiscard]] virtual core::Result<Verification> Verify(std::string_view channel,
                                                          const std::string& remote_id) = 0;
  // Calls a message back before it is sent: true when it was (it will never go out), false when
  // it is too late (being sent, or sent).
  [[nodiscard]] virtual core::Result<bool> CallBack(const std::string& message_id,
                                                    std::string_view note) = 0;
  // The message stored under `key`; nullopt when none.
  [[nodiscard]] virtual core::Result<std::optional<Delivery>> Find(const std::string& key) = 0;
  // `sink` hears of each message of the calendar (keys starting with "calendar/") reaching a
  // final state. It runs on a relay thread and must only queue.
  [[nodiscard]] virtual std::unique_ptr<core::Subscription> Subscribe(
      std::function<void(const Delivery&)> sink) = 0;
};

// The relay as a Publisher. `relay` must outlive it.
std::unique_ptr<Publisher> MakeRelayPublisher(channels::Relay& relay);

}  // namespace lifeline::calendar
