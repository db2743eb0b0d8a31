// Signed webhooks (signature.h).
#include "core/signature.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cctype>
#include <cstdlib>

namespace lifeline::core {

std::string HmacSha256Hex(std::string_view key, std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), md, &len) == nullptr) {
    std::abort();  // only on allocation failure or a broken OpenSSL
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  return out;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

Status CheckSha256Header(std::string_view header, std::string_view key,
                         std::string_view signed_data, std::string_view header_name) {
  constexpr std::string_view kPrefix = "sha256=";
  if (header.empty()) {
    return MakeError(ErrorCode::kUnauthenticated, "no {} header: the request is not signed",
                     header_name);
  }
  if (header.size() != kPrefix.size() + 64 || header.substr(0, kPrefix.size()) != kPrefix) {
    return MakeError(ErrorCode::kUnauthenticated, "{} is not \"sha256=\" and 64 hex digits",
                     header_name);
  }
  std::string given(header.substr(kPrefix.size()));
  for (char& c : given) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!ConstantTimeEquals(given, HmacSha256Hex(key, signed_data))) {
    return MakeError(ErrorCode::kUnauthenticated,
                     "{} does not match the body: wrong secret, or the body was changed on the way",
                     header_name);
  }
  return Ok();
}

Result<std::string> VerifyMetaSubscription(const std::string* mode, const std::string* token,
                                           const std::string* challenge,
                                           std::string_view verify_token) {
  if (mode == nullptr || *mode != "subscribe" || token == nullptr || challenge == nullptr) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "Meta's verification needs hub.mode=subscribe, hub.verify_token and "
                     "hub.challenge");
  }
  if (verify_token.empty() || !ConstantTimeEquals(*token, verify_token)) {
    return MakeError(ErrorCode::kPermissionDenied,
                     "hub.verify_token does not match the source's verify_token");
  }
  return challenge->substr(0, 256);
}

}  // namespace lifeline::core
