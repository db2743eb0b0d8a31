// Token file reading and the constant-time comparison of bearer tokens.
#include "agent/token.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace lifeline::agent {

core::Result<std::string> ReadTokenFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return core::MakeError(core::ErrorCode::kUnavailable, "cannot read token file {}: {}", path,
                           std::strerror(errno));
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) {
    return core::MakeError(core::ErrorCode::kUnavailable, "cannot read token file {}: {}", path,
                           std::strerror(errno));
  }
  std::string token = buf.str();
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) {
    token.pop_back();
  }
  if (token.empty()) {
    return core::MakeError(core::ErrorCode::kInvalidArgument, "token file {} is empty", path);
  }
  bool printable = std::all_of(token.begin(), token.end(),
                               [](unsigned char c) { return c > 0x20 && c != 0x7f; });
  if (!printable) {
    return core::MakeError(core::ErrorCode::kInvalidArgument,
                           "token file {} holds whitespace or control characters inside the "
                           "token; it must be one line",
                           path);
  }
  return token;
}

bool TokenEquals(std::string_view expected, std::string_view given) {
  if (expected.empty()) return false;  // no configured token never matches
  // Copy `given` into a buffer of the secret's length so the work depends only on that length.
  std::string candidate(expected.size(), '\0');
  std::memcpy(candidate.data(), given.data(), std::min(given.size(), expected.size()));
  int differ = CRYPTO_memcmp(candidate.data(), expected.data(), expected.size());
  // Bitwise & on purpose: no short circuit on the length.
  return static_cast<int>(differ == 0) & static_cast<int>(given.size() == expected.size());
}

}  // namespace lifeline::agent
