// Signed webhooks, shared by every part that takes them (the inbox's WhatsApp, Messenger and
// Instagram webhooks, listening's Facebook Page feed): HMAC-SHA256 over the raw body compared in
// constant time, and Meta's GET subscription check. Pure: no I/O.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace lifeline::core {

inline constexpr const char* kMetaSignatureHeader = "X-Hub-Signature-256";

// Lowercase hex HMAC-SHA256.
std::string HmacSha256Hex(std::string_view key, std::string_view data);
// Equal length and content, in time that depends on the length only (OpenSSL's CRYPTO_memcmp).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// `header` must be "sha256=" + the hex HMAC-SHA256 of `signed_data` under `key` (hex in any
// case). kUnauthenticated naming `header_name` and what is wrong, never quoting the header, the
// key or the data.
Status CheckSha256Header(std::string_view header, std::string_view key,
                         std::string_view signed_data, std::string_view header_name);

// Meta's X-Hub-Signature-256 over the raw body with the app secret.
inline Status CheckMetaSignature(std::string_view app_secret, std::string_view header,
                                 std::string_view raw_body) {
  return CheckSha256Header(header, app_secret, raw_body, kMetaSignatureHeader);
}

// Meta's GET verification of a webhook subscription: hub.mode=subscribe and hub.verify_token
// equal to `verify_token` give back hub.challenge (at most 256 bytes). Null arguments are absent
// parameters. kInvalidArgument when one is missing, kPermissionDenied when the token differs.
Result<std::string> VerifyMetaSubscription(const std::string* mode, const std::string* token,
                                           const std::string* challenge,
                                           std::string_view verify_token);

}  // namespace lifeline::core
