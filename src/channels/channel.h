// A channel: one configured way to reach people (a Telegram chat, a WhatsApp number, an SMTP
// server, a Mastodon account...). Every adapter under src/channels/<kind>/ implements this; the
// outbox and the failover router only ever see this interface.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace lifeline::channels {

// One message to deliver on one channel, as the outbox hands it to the adapter.
struct OutgoingMessage {
  std::string id;               // the outbox message id: the same on every attempt
  std::string idempotency_key;  // the same on every attempt; adapters whose far side
                                // deduplicates by a key send it (Mastodon's Idempotency-Key)
  std::string to;               // the address on this channel (chat id, phone number, e-mail
                                // address, PSID...); empty: the channel's configured recipient
  std::string subject;          // e-mail subject; chat channels may show it as a first line
  std::string text;             // plain text, already rendered
  std::string html;             // optional rich form (e-mail's HTML part); empty: text only
  // Absolute http(s) links to images or videos (at most 10, store::ValidateMedia). Adapters that
  // publish media use them (a Facebook Page post's link, Instagram's image_url / video_url); the
  // others ignore them (callers put links into `text` for those).
  std::vector<std::string> media;
  int attempt = 1;  // 1 for the first try
};

// What became of one attempt. A failed delivery is data, not an Error (STYLE.md habit 1).
enum class Outcome {
  kDelivered,    // the far side accepted it; remote_id says under which id when it tells
  kRetry,        // not delivered, safe to try again (after retry_after when the far side says)
  kFailed,       // not delivered and trying again cannot help (bad token, unknown chat, too long)
  kUnconfirmed,  // the request left but no answer came: it may or may not have been delivered,
                 // and the far side cannot deduplicate a second try
};

std::string_view OutcomeName(Outcome o);  // "delivered", "retry", "failed", "unconfirmed"

struct DeliveryResult {
  Outcome outcome = Outcome::kFailed;
  std::string remote_id;  // the far side's message id (kDelivered), when it gives one
  // kRetry: the far side asked us to wait this long (Telegram's retry_after, HTTP Retry-After).
  std::optional<std::chrono::milliseconds> retry_after;
  bool rate_limited = false;  // the far side said we go too fast (429, 130429, Telegram 429)
  int http_status = 0;        // the final HTTP status (or SMTP reply code), 0 if none
  std::string far_code;       // the far side's own error code ("131047", "FLOOD_WAIT"), if any
  // One line for a person: what happened and why, with the far side's words. Never a secret,
  // never the message text.
  std::string reason;
};

// What the outbox needs to know about a channel to deliver on it well.
struct Traits {
  std::size_t max_chars = 0;  // the far side's length limit on `text` (code points); 0 = none
  // The documented sending rate (token bucket: refill per second, bucket size).
  double rate_per_second = 1.0;
  double burst = 1.0;
  // True when a second try of a request whose answer was lost cannot produce a duplicate: the
  // far side deduplicates by OutgoingMessage::idempotency_key (Mastodon) or the adapter can look
  // the message up before resending. False: a lost answer makes the message kUnconfirmed.
  bool deduplicates = false;
  bool public_post = false;  // posts to the audience (Mastodon, Bluesky, X) rather than to a person
  // Publishes OutgoingMessage::media itself (a Facebook Page's link, Instagram's images); the
  // other channels ignore media, and a caller that has links puts them in the text for them.
  bool carries_media = false;
  bool needs_recipient = false;  // `to` must be given when the channel has no default recipient
};

// Whether a published post is still there, as the platform answers a lookup of its id (the
// DeliveryResult::remote_id of the delivery). Not an error either way: a lookup that could not
// tell is kUnknown.
struct LookupResult {
  enum class Presence {
    kPresent,      // the platform shows it
    kMissing,      // the platform positively says it is not there (404, "does not exist")
    kUnknown,      // no answer, a 5xx, a rate limit, refused credentials: try again later
    kUnsupported,  // this channel cannot look posts up (chat channels, e-mail)
  };
  Presence presence = Presence::kUnsupported;
  std::string reason;     // one line for a person, with the platform's words; never a secret
  std::string permalink;  // where a person can see the post, when the platform says; else ""
};

// "present", "missing", "unknown", "unsupported".
std::string_view PresenceName(LookupResult::Presence p);

// Static facts of one configured channel.
struct Info {
  std::string name;  // the config key: "team-telegram"
  std::string kind;  // the adapter: "telegram", "whatsapp", "email", "webhook", ...
  // The catalog platform it rides on ("telegram", "whatsapp", "slack"...), so that a failing
  // platform (or its failure domain) opens this channel's circuit; "" for none we watch.
  std::string platform;
  std::string recipient;  // the default recipient as a person may see it (never a secret)
  Traits traits;
};

// Contract: Check and Send may be called from several delivery threads at once; an adapter
// guards its own state. Send blocks (a worker thread is fine: DESIGN.md chooses libcurl for
// outbound calls) but never longer than its configured timeout. Neither ever logs or returns a
// credential or the message text.
class Channel {
 public:
  virtual ~Channel() = default;

  virtual const Info& info() const = 0;

  // What the far side would refuse, checked before a message is accepted into the outbox: the
  // length limit, the recipient's syntax, a missing recipient. kInvalidArgument with a message
  // that names the channel and the problem ("team-sms: 1,742 characters; SMS allows 1,600").
  virtual core::Status Check(const OutgoingMessage& message) const = 0;

  // One attempt. Classifies every answer: delivered, retry (with when), failed (with why), or
  // unconfirmed (the answer was lost and the far side cannot deduplicate).
  virtual DeliveryResult Send(const OutgoingMessage& message) = 0;

  // Looks a delivered post up by the id its delivery returned. Blocks like Send (bounded by the
  // channel's timeout); may be called from several threads at once. The default: kUnsupported.
  virtual LookupResult Lookup(const std::string& remote_id);
};

}  // namespace lifeline::channels
