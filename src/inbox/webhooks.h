// Inbound webhooks, each read against its platform's documented format, and their signatures
// checked over the raw body in constant time. Pure functions: no I/O, no clock (callers pass
// `now`), so every shape and every signature is tested from documented examples.
//   WhatsApp Cloud API: https://developers.facebook.com/documentation/business-messaging/whatsapp/
//     webhooks/reference/messages/ (entry[].changes[].value.{metadata,contacts,messages,statuses})
//   Messenger and Instagram messaging: https://developers.facebook.com/docs/messenger-platform/
//     webhooks (entry[].messaging[] with sender.id, recipient.id, timestamp in ms, message.mid)
//   Meta's signature: X-Hub-Signature-256: "sha256=" + hex HMAC-SHA256(app secret, raw body);
//     the GET verification echoes hub.challenge when hub.verify_token matches (same page).
//   Telegram: https://core.telegram.org/bots/api#setwebhook (secret_token comes back as
//     X-Telegram-Bot-Api-Secret-Token) and #update (update_id, message.message_id, chat.id,
//     from, date in seconds); getUpdates answers {"ok":true,"result":[Update...]}.
//   The generic webhook is ours: docs/inbox.md.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/signature.h"
#include "store/records.h"

namespace lifeline::inbox {

// One customer message found in a webhook body.
struct ParsedMessage {
  std::string account;      // the business side: phone_number_id, page id, IG account id, bot
  std::string platform_id;  // unique per platform (Telegram: "CHAT:MESSAGE_ID")
  std::string address;      // the sender: wa_id, PSID, IGSID, Telegram chat id, generic "from"
  std::string name;         // as the platform gives it; "" = none
  store::Time sent_at;      // the platform's timestamp
  std::string text;         // the text, a caption, a button's title, or "[image]" for media
  std::string kind = "text";
};

// A delivery status of a message we sent (WhatsApp statuses[]).
struct ParsedStatus {
  std::string account;
  std::string platform_id;  // the sent message's wamid
  std::string status;       // sent, delivered, read, failed
  std::string recipient;
  store::Time at;
  std::string error;  // failed: "131047 Re-engagement message: details" from errors[0]; else ""
};

struct ParsedBatch {
  std::vector<ParsedMessage> messages;
  std::vector<ParsedStatus> statuses;
  // Events that are not customer messages (echoes of our own, reads, reactions...): accepted
  // and not stored.
  std::size_t ignored = 0;
  std::int64_t last_update_id = -1;  // Telegram: the highest update_id seen (-1 = none)
};

// kInvalidArgument saying what is missing or malformed (never quoting the body at length).
core::Result<ParsedBatch> ParseWhatsApp(std::string_view body);
// `object` is "page" (Messenger) or "instagram".
core::Result<ParsedBatch> ParseMessaging(std::string_view body, std::string_view object);
// One Update object (a webhook's body).
core::Result<ParsedBatch> ParseTelegramUpdate(std::string_view body);
// getUpdates' answer: {"ok":true,"result":[...]}. kUnavailable when ok is false.
core::Result<ParsedBatch> ParseTelegramUpdates(std::string_view body);
// The generic webhook's body: {"id", "from", "name"?, "text", "kind"?, "timestamp"} where
// timestamp is RFC 3339 or Unix seconds.
core::Result<ParsedBatch> ParseGeneric(std::string_view body);

// HMAC-SHA256 in hex, the constant-time compare and Meta's X-Hub-Signature-256 check, shared with
// listening's Page feed (core/signature.h).
using core::CheckMetaSignature;
using core::ConstantTimeEquals;
using core::HmacSha256Hex;

// The generic webhook: X-Lifeline-Timestamp (Unix seconds) within `max_skew` of `now`, and
// X-Lifeline-Signature == "sha256=" + hex HMAC-SHA256(key, timestamp + "." + raw body).
core::Status CheckGenericSignature(std::string_view key, std::string_view timestamp_header,
                                   std::string_view signature_header, std::string_view raw_body,
                                   store::Time now, std::chrono::seconds max_skew);

using core::kMetaSignatureHeader;
inline constexpr const char* kTelegramSecretHeader = "X-Telegram-Bot-Api-Secret-Token";
inline constexpr const char* kGenericSignatureHeader = "X-Lifeline-Signature";
inline constexpr const char* kGenericTimestampHeader = "X-Lifeline-Timestamp";

}  // namespace lifeline::inbox
