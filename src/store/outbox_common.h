// What every dialect's outbox shares (store/outbox.h): input validation and the page cursor, so
// SQLite and a later PostgreSQL outbox differ only in SQL.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"
#include "store/outbox.h"

namespace lifeline::store::internal {

inline constexpr std::size_t kMaxKeyBytes = 200;
inline constexpr std::size_t kMaxNameBytes = 200;      // channel, contact, recipient, incident id
inline constexpr std::size_t kMaxTextBytes = 1 << 20;  // text, html, subject each

core::Status ValidateUpdate(const MessageUpdate& u);
core::Status ValidateMessageQuery(const MessageQuery& q);

// The position after the last message of a page (the dialect's insertion order number).
std::string EncodeMessageCursor(std::int64_t pos);
core::Result<std::int64_t> DecodeMessageCursor(std::string_view cursor);

}  // namespace lifeline::store::internal
