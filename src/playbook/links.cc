// Acknowledgement links (links.h): the secret, signing and verifying tokens.
#include "playbook/links.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "store/cluster.h"

namespace lifeline::playbook {

using core::ErrorCode;
using core::MakeError;

namespace {

constexpr std::size_t kMinSecretChars = 32;
constexpr std::size_t kNonceBytes = 12;  // 16 base64url characters
constexpr std::size_t kMacBytes = 16;    // 22 base64url characters (128 bits: unforgeable)

std::string Base64Url(const unsigned char* data, std::size_t n) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (std::size_t i = 0; i < n; ++i) {
    acc = (acc << 8) | data[i];
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += kAlphabet[(acc >> bits) & 0x3F];
    }
  }
  if (bits > 0) out += kAlphabet[(acc << (6 - bits)) & 0x3F];
  return out;
}

bool IsBase64Url(std::string_view s) {
  for (char c : s) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')) return false;
  }
  return true;
}

std::string Mac(std::string_view secret, std::string_view nonce, std::string_view assignment,
                std::string_view action, std::string_view person, std::int64_t expires_ms) {
  const std::string msg =
      fmt::format("lifeline-link/v1|{}|{}|{}|{}|{}", nonce, assignment, action, person, expires_ms);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(msg.data()), msg.size(), md, &len);
  return Base64Url(md, kMacBytes);
}

std::string Hex(const unsigned char* data, std::size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (std::size_t i = 0; i < n; ++i) {
    out += kDigits[data[i] >> 4];
    out += kDigits[data[i] & 0xF];
  }
  return out;
}

}  // namespace

std::string_view LinkActionName(LinkAction a) {
  switch (a) {
    case LinkAction::kAcknowledge:
      return "acknowledge";
    case LinkAction::kDone:
      return "done";
    case LinkAction::kApprove:
      return "approve";
    case LinkAction::kRefuse:
      return "refuse";
  }
  return "acknowledge";
}

std::optional<LinkAction> ParseLinkAction(std::string_view name) {
  for (LinkAction a :
       {LinkAction::kAcknowledge, LinkAction::kDone, LinkAction::kApprove, LinkAction::kRefuse}) {
    if (LinkActionName(a) == name) return a;
  }
  return std::nullopt;
}

core::Result<std::string> LoadOrCreateLinkSecret(const std::string& path) {
  if (const char* env = std::getenv(kLinkSecretEnv); env != nullptr && *env != '\0') {
    if (std::strlen(env) < kMinSecretChars) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "${} is shorter than {} characters: give a long random secret (e.g. "
                       "openssl rand -hex 32)",
                       kLinkSecretEnv, kMinSecretChars);
    }
    return std::string(env);
  }
  // Create it first if missing: O_EXCL, so two processes starting at once keep one secret.
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    unsigned char raw[32];
    if (RAND_bytes(raw, sizeof raw) != 1) {
      ::close(fd);
      ::unlink(path.c_str());
      return MakeError(ErrorCode::kInternal, "no random bytes for the link secret");
    }
    const std::string text = Hex(raw, sizeof raw) + "\n";
    const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                    ::fsync(fd) == 0;
    ::close(fd);
    if (!ok) {
      ::unlink(path.c_str());
      return MakeError(ErrorCode::kUnavailable, "cannot write the link secret {}: {}", path,
                       std::strerror(errno));
    }
    return text.substr(0, text.size() - 1);
  }
  if (errno != EEXIST) {
    return MakeError(errno == EACCES ? ErrorCode::kPermissionDenied : ErrorCode::kUnavailable,
                     "cannot create the link secret {}: {}", path, std::strerror(errno));
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return MakeError(ErrorCode::kUnavailable, "cannot read the link secret {}: {}", path,
                     std::strerror(errno));
  }
  if ((st.st_mode & 0077) != 0) {
    return MakeError(ErrorCode::kPermissionDenied,
                     "the link secret {} may be read by others (mode {:o}): chmod 600 it", path,
                     st.st_mode & 0777);
  }
  std::ifstream in(path);
  std::stringstream buf;
  buf << in.rdbuf();
  if (!in) {
    return MakeError(ErrorCode::kUnavailable, "cannot read the link secret {}", path);
  }
  std::string secret = buf.str();
  while (!secret.empty() &&
         (secret.back() == '\n' || secret.back() == '\r' || secret.back() == ' ')) {
    secret.pop_back();
  }
  if (secret.size() < kMinSecretChars) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "the link secret {} is shorter than {} characters: delete it and a new one "
                     "is made (links sent before stop working)",
                     path, kMinSecretChars);
  }
  return secret;
}

core::Result<std::string> InstallationLinkSecret(const std::string& path,
                                                 store::ClusterStore* cluster) {
  LL_ASSIGN(std::string own, LoadOrCreateLinkSecret(path));
  const char* env = std::getenv(kLinkSecretEnv);
  if (cluster == nullptr || (env != nullptr && *env != '\0')) return own;
  return cluster->SharedSecret(kLinkSecretName, own);
}

core::Result<std::string> LinkSigner::Issue(std::string_view assignment, std::string_view action,
                                            std::string_view person, std::int64_t expires_ms,
                                            std::string* mac) const {
  if (secret.empty()) return MakeError(ErrorCode::kFailedPrecondition, "no link secret");
  unsigned char raw[kNonceBytes];
  if (RAND_bytes(raw, sizeof raw) != 1) {
    return MakeError(ErrorCode::kInternal, "no random bytes for a link token");
  }
  const std::string nonce = Base64Url(raw, sizeof raw);
  std::string m = Mac(secret, nonce, assignment, action, person, expires_ms);
  if (mac != nullptr) *mac = m;
  return nonce + "." + m;
}

bool LinkSigner::Verify(std::string_view token, std::string_view assignment,
                        std::string_view action, std::string_view person,
                        std::int64_t expires_ms) const {
  const auto dot = token.find('.');
  if (secret.empty() || dot == std::string_view::npos) return false;
  const std::string_view nonce = token.substr(0, dot);
  const std::string_view mac = token.substr(dot + 1);
  if (nonce.size() != 16 || mac.size() != 22 || !IsBase64Url(nonce) || !IsBase64Url(mac)) {
    return false;
  }
  const std::string want = Mac(secret, nonce, assignment, action, person, expires_ms);
  return CRYPTO_memcmp(want.data(), mac.data(), want.size()) == 0;
}

std::string LinkTokenHash(std::string_view token) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), md);
  return Hex(md, sizeof md);
}

std::string_view TokenOfLink(std::string_view link) {
  if (auto at = link.rfind(kLinkPath); at != std::string_view::npos) {
    link = link.substr(at + kLinkPath.size());
  }
  if (auto end = link.find_first_of("?#"); end != std::string_view::npos) {
    link = link.substr(0, end);
  }
  while (!link.empty() && link.back() == '/') link.remove_suffix(1);
  return link;
}

}  // namespace lifeline::playbook
