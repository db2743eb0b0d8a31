// The inbox's store slice shared by every dialect (inbox.h): state names, derived ids, link
// tokens, input checks.
#include "store/inbox.h"

#include <openssl/rand.h>

#include <array>
#include <cstdlib>

#include "store/common.h"

namespace lifeline::store {
namespace {

using core::ErrorCode;
using core::MakeError;

constexpr std::array<std::pair<ConversationState, std::string_view>, 4> kStates = {{
    {ConversationState::kOpen, "open"},
    {ConversationState::kPending, "pending"},
    {ConversationState::kSnoozed, "snoozed"},
    {ConversationState::kResolved, "resolved"},
}};

constexpr std::string_view kBase32 = "abcdefghijklmnopqrstuvwxyz234567";

bool IsBase32(char c) { return (c >= 'a' && c <= 'z') || (c >= '2' && c <= '7'); }
bool IsWordChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

}  // namespace

std::string_view ConversationStateName(ConversationState s) {
  for (const auto& [state, name] : kStates) {
    if (state == s) return name;
  }
  return "open";
}

std::optional<ConversationState> ParseConversationState(std::string_view s) {
  for (const auto& [state, name] : kStates) {
    if (name == s) return state;
  }
  return std::nullopt;
}

std::string ConversationIdFor(std::string_view contact) {
  return "conv_" +
         internal::Sha256Hex(std::string("conversation\n") + std::string(contact)).substr(0, 16);
}

std::string NewContactId(std::string_view channel, std::string_view address) {
  return "ct_" +
         internal::Sha256Hex("contact\n" + std::string(channel) + "\n" + std::string(address))
             .substr(0, 16);
}

std::string MessageIdFor(std::string_view platform, std::string_view platform_id) {
  return "msg_" +
         internal::Sha256Hex("message\n" + std::string(platform) + "\n" + std::string(platform_id))
             .substr(0, 16);
}

std::string NewLinkToken() {
  unsigned char rnd[10];
  if (RAND_bytes(rnd, sizeof rnd) != 1) std::abort();  // a broken OpenSSL: nothing safe to do
  std::string t = "ll";
  for (int i = 0; i < 10; ++i) t += kBase32[rnd[i] & 31];
  return t;
}

std::string FindLinkToken(std::string_view text) {
  for (std::size_t i = 0; i + 12 <= text.size(); ++i) {
    if (text[i] != 'l' || text[i + 1] != 'l') continue;
    if (i > 0 && IsWordChar(text[i - 1])) continue;
    bool ok = true;
    for (std::size_t j = i + 2; j < i + 12 && ok; ++j) ok = IsBase32(text[j]);
    if (!ok || (i + 12 < text.size() && IsWordChar(text[i + 12]))) continue;
    return std::string(text.substr(i, 12));
  }
  return "";
}

core::Status ValidateInbound(const NewInbound& m) {
  auto need = [](const std::string& v, const char* field) -> core::Status {
    if (v.empty()) return MakeError(ErrorCode::kInvalidArgument, "{} is empty", field);
    if (v.size() > 512) {
      return MakeError(ErrorCode::kInvalidArgument, "{} is over 512 characters", field);
    }
    return core::Ok();
  };
  LL_TRY(need(m.source, "source"));
  LL_TRY(need(m.platform, "platform"));
  LL_TRY(need(m.platform_id, "platform_id"));
  LL_TRY(need(m.channel, "channel"));
  LL_TRY(need(m.address, "address"));
  LL_TRY(need(m.kind, "kind"));
  if (m.text.size() > 64 * 1024) {
    return MakeError(ErrorCode::kInvalidArgument, "text is over 64 KiB");
  }
  return core::Ok();
}

int PlatformStatusRank(std::string_view status) {
  if (status == "sent") return 1;
  if (status == "failed") return 2;
  if (status == "delivered") return 3;
  if (status == "read") return 4;
  return 0;
}

core::Status ValidateStatus(const PlatformStatus& s) {
  if (s.platform.empty() || s.remote_id.empty() || s.remote_id.size() > 512) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "a status needs a platform and a remote id of at most 512 characters");
  }
  if (PlatformStatusRank(s.status) == 0) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "status '{}' is not one of sent, delivered, read, failed", s.status);
  }
  return core::Ok();
}

}  // namespace lifeline::store
