// The content calendar's store slice shared by every dialect (calendar.h): state names, the
// post's summary state, input checks.
#include "store/calendar.h"

#include <algorithm>
#include <array>
#include <set>

namespace lifeline::store {
namespace {

using core::ErrorCode;
using core::MakeError;

constexpr std::array<std::pair<PartState, std::string_view>, 7> kPartStates = {{
    {PartState::kScheduled, "scheduled"},
    {PartState::kHeld, "held"},
    {PartState::kQueued, "queued"},
    {PartState::kPublished, "published"},
    {PartState::kFailed, "failed"},
    {PartState::kDropped, "dropped"},
    {PartState::kCancelled, "cancelled"},
}};

constexpr std::array<std::pair<PostState, std::string_view>, 7> kPostStates = {{
    {PostState::kScheduled, "scheduled"},
    {PostState::kHeld, "held"},
    {PostState::kPublishing, "publishing"},
    {PostState::kPublished, "published"},
    {PostState::kFailed, "failed"},
    {PostState::kDropped, "dropped"},
    {PostState::kCancelled, "cancelled"},
}};

bool ValidId(std::string_view id) {
  return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
  });
}

}  // namespace

std::string_view PartStateName(PartState s) {
  for (const auto& [state, name] : kPartStates) {
    if (state == s) return name;
  }
  return "failed";
}

std::optional<PartState> ParsePartState(std::string_view s) {
  for (const auto& [state, name] : kPartStates) {
    if (name == s) return state;
  }
  return std::nullopt;
}

std::string_view PostStateName(PostState s) {
  for (const auto& [state, name] : kPostStates) {
    if (state == s) return name;
  }
  return "failed";
}

std::optional<PostState> ParsePostState(std::string_view s) {
  for (const auto& [state, name] : kPostStates) {
    if (name == s) return state;
  }
  return std::nullopt;
}

PostState Summarise(const std::vector<PostPart>& parts) {
  auto any = [&](PartState s) {
    return std::any_of(parts.begin(), parts.end(), [&](const PostPart& p) { return p.state == s; });
  };
  if (any(PartState::kHeld)) return PostState::kHeld;
  if (any(PartState::kScheduled)) return PostState::kScheduled;
  if (any(PartState::kQueued)) return PostState::kPublishing;
  if (any(PartState::kCancelled)) return PostState::kCancelled;
  if (any(PartState::kFailed)) return PostState::kFailed;
  if (any(PartState::kPublished)) return PostState::kPublished;
  return PostState::kDropped;
}

core::Status ValidatePost(const Post& p) {
  if (!ValidId(p.id)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "id: '{}' is not a post id (1 to 64 letters, digits, '_', '-', '.')",
                     p.id.substr(0, 80));
  }
  if (p.text.empty()) return MakeError(ErrorCode::kInvalidArgument, "text: required");
  if (p.text.size() > 64 * 1024) {
    return MakeError(ErrorCode::kInvalidArgument, "text: at most 64 KiB");
  }
  if (p.media.size() > 20) {
    return MakeError(ErrorCode::kInvalidArgument, "media: at most 20 links");
  }
  if (p.parts.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "channels: at least one channel");
  }
  std::set<std::string_view> seen;
  for (const PostPart& part : p.parts) {
    if (part.channel.empty() || part.channel.size() > 200) {
      return MakeError(ErrorCode::kInvalidArgument, "channels: a channel name of 1 to 200 bytes");
    }
    if (!seen.insert(part.channel).second) {
      return MakeError(ErrorCode::kInvalidArgument, "channels: '{}' is listed twice", part.channel);
    }
  }
  if (p.expires && *p.expires <= p.at) {
    return MakeError(ErrorCode::kInvalidArgument, "expires: must be after the post's time");
  }
  if (p.cancelled_by.empty() != !p.cancelled_at.has_value()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "cancelled_by: a cancelled post has both who cancelled it and when");
  }
  if (p.edited_by.empty() != !p.edited_at.has_value()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "edited_by: an edited post has both who edited it and when");
  }
  return core::Ok();
}

}  // namespace lifeline::store
