// Outbox message states by name, and the checks every dialect's outbox applies before writing
// (outbox.h, outbox_common.h).
#include "store/outbox.h"

#include <cctype>
#include <charconv>

#include "store/common.h"
#include "store/outbox_common.h"

namespace lifeline::store {

using core::ErrorCode;
using core::MakeError;

std::string_view MessageStateName(MessageState s) {
  switch (s) {
    case MessageState::kQueued:
      return "queued";
    case MessageState::kSending:
      return "sending";
    case MessageState::kDelivered:
      return "delivered";
    case MessageState::kRetryScheduled:
      return "retry_scheduled";
    case MessageState::kUnconfirmed:
      return "unconfirmed";
    case MessageState::kFailed:
      return "failed";
    case MessageState::kDeadLettered:
      return "dead_lettered";
    case MessageState::kCancelled:
      return "cancelled";
  }
  return "queued";
}

std::optional<MessageState> ParseMessageState(std::string_view name) {
  for (MessageState s : kAllMessageStates) {
    if (MessageStateName(s) == name) return s;
  }
  return std::nullopt;
}

bool IsFinal(MessageState s) {
  return s == MessageState::kDelivered || s == MessageState::kFailed ||
         s == MessageState::kDeadLettered || s == MessageState::kCancelled;
}

namespace {

core::Status Require(std::string_view field, std::string_view v, std::size_t max) {
  if (v.empty()) return MakeError(ErrorCode::kInvalidArgument, "{} is empty", field);
  if (v.size() > max) {
    return MakeError(ErrorCode::kInvalidArgument, "{} is longer than {} bytes", field, max);
  }
  return core::Ok();
}

core::Status AtMost(std::string_view field, std::string_view v, std::size_t max) {
  if (v.size() > max) {
    return MakeError(ErrorCode::kInvalidArgument, "{} is longer than {} bytes", field, max);
  }
  return core::Ok();
}

}  // namespace

namespace internal {

core::Status ValidateUpdate(const MessageUpdate& u) {
  LL_TRY(Require("message id", u.id, kMaxNameBytes));
  if (u.state == MessageState::kSending) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "message {}: an update cannot move a message to sending (ClaimDue does)",
                     u.id);
  }
  bool waits = u.state == MessageState::kQueued || u.state == MessageState::kRetryScheduled;
  if (waits != u.next_attempt_at.has_value()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "message {}: next_attempt_at must be set exactly for queued and "
                     "retry_scheduled (state {})",
                     u.id, MessageStateName(u.state));
  }
  if (u.channel.empty() && !u.recipient.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "message {}: a recipient is only changed together with the channel", u.id);
  }
  LL_TRY(AtMost("channel", u.channel, kMaxNameBytes));
  LL_TRY(AtMost("recipient", u.recipient, kMaxNameBytes));
  LL_TRY(AtMost("route", u.route, kMaxTextBytes));
  return ValidateJson("answer_json", u.answer_json);
}

core::Status ValidateMessageQuery(const MessageQuery& q) {
  if (q.limit < 1 || q.limit > 1000) {
    return MakeError(ErrorCode::kInvalidArgument, "limit must be 1..1000 (got {})", q.limit);
  }
  if (!q.cursor.empty()) LL_TRY(DecodeMessageCursor(q.cursor));
  return core::Ok();
}

std::string EncodeMessageCursor(std::int64_t pos) { return fmt::format("m{}", pos); }

core::Result<std::int64_t> DecodeMessageCursor(std::string_view cursor) {
  std::int64_t pos = 0;
  if (cursor.size() >= 2 && cursor[0] == 'm') {
    auto [ptr, ec] = std::from_chars(cursor.data() + 1, cursor.data() + cursor.size(), pos);
    if (ec == std::errc() && ptr == cursor.data() + cursor.size() && pos > 0) return pos;
  }
  return MakeError(ErrorCode::kInvalidArgument,
                   "cursor is not one this server gave out (use next_cursor as returned)");
}

}  // namespace internal

core::Status ValidateMedia(std::span<const std::string> media) {
  if (media.size() > kMaxMedia) {
    return MakeError(ErrorCode::kInvalidArgument, "media: {} links; at most {} are allowed",
                     media.size(), kMaxMedia);
  }
  for (std::size_t i = 0; i < media.size(); ++i) {
    const std::string& url = media[i];
    if (url.size() > kMaxMediaUrlBytes) {
      return MakeError(ErrorCode::kInvalidArgument, "media[{}]: the link is longer than {} bytes",
                       i, kMaxMediaUrlBytes);
    }
    std::string_view rest;
    std::string lower = url.substr(0, 8);
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower.starts_with("https://")) {
      rest = std::string_view(url).substr(8);
    } else if (lower.starts_with("http://")) {
      rest = std::string_view(url).substr(7);
    } else {
      return MakeError(ErrorCode::kInvalidArgument,
                       "media[{}]: '{}' is not an absolute http:// or https:// link", i,
                       url.substr(0, 80));
    }
    std::string_view host = rest.substr(0, rest.find_first_of("/?#"));
    if (host.empty() || host.front() == ':' || host.front() == '@') {
      return MakeError(ErrorCode::kInvalidArgument, "media[{}]: the link has no host", i);
    }
    for (unsigned char c : url) {
      if (c <= 0x20 || c == 0x7F) {
        return MakeError(ErrorCode::kInvalidArgument,
                         "media[{}]: the link holds a space or control character (percent-encode "
                         "it)",
                         i);
      }
    }
  }
  return core::Ok();
}

core::Status ValidateNewMessage(const NewMessage& m) {
  LL_TRY(Require("idempotency_key", m.idempotency_key, internal::kMaxKeyBytes));
  LL_TRY(Require("channel", m.channel, internal::kMaxNameBytes));
  LL_TRY(AtMost("contact", m.contact, internal::kMaxNameBytes));
  LL_TRY(AtMost("recipient", m.recipient, internal::kMaxNameBytes));
  LL_TRY(AtMost("incident_id", m.incident_id, internal::kMaxNameBytes));
  LL_TRY(Require("text", m.text, internal::kMaxTextBytes));
  LL_TRY(AtMost("subject", m.subject, internal::kMaxTextBytes));
  LL_TRY(AtMost("html", m.html, internal::kMaxTextBytes));
  LL_TRY(AtMost("route", m.route, internal::kMaxTextBytes));
  return ValidateMedia(m.media);
}

}  // namespace lifeline::store
