// Verifying publications (calendar.h): some time after the relay delivered a part, the calendar
// looks the post up on its platform by the id the platform gave (Publisher::Verify) and records
// what it found on the part — present (with its permalink), missing (the platform says it is not
// there: a post silently dropped, or deleted since), unknown after three tries, or unsupported
// (a channel that cannot look posts up). A missing post is flagged on the incident's timeline
// when the part belonged to one, and to the subscribers (the dashboard) either way.
#include <fmt/format.h>

#include "calendar/calendar.h"

namespace lifeline::calendar {

using core::ErrorCode;
using core::MakeError;
using core::Status;
using nlohmann::json;
using store::PartState;
using store::Post;
using store::PostPart;

namespace {

constexpr int kAttempts = 3;  // an answer that could not tell is asked again twice

}  // namespace

std::string_view VerificationName(Verification::State s) {
  switch (s) {
    case Verification::State::kPresent:
      return "present";
    case Verification::State::kMissing:
      return "missing";
    case Verification::State::kUnknown:
      return "unknown";
    case Verification::State::kUnsupported:
      return "unsupported";
  }
  return "unknown";
}

Status Calendar::ScheduleVerify(const Post& post, const PostPart& part, int attempt,
                                store::Time due) {
  if (config_.verify_after.count() <= 0 || part.remote_id.empty()) return core::Ok();
  store::NewTimer t;
  t.kind = std::string(kVerifyTimer);
  t.key =
      fmt::format("calendar/verify/{}/{}/{}/{}", post.id, part.channel, part.generation, attempt);
  t.owner = "calendar/" + post.id;
  t.due = due;
  t.payload_json = json{
      {"post", post.id},
      {"channel", part.channel},
      {"remote_id", part.remote_id},
      {"attempt",
       attempt}}.dump();
  LL_ASSIGN(auto scheduled, scheduler_.Schedule(std::move(t)));
  (void)scheduled;
  return core::Ok();
}

Status Calendar::OnVerifyTimer(const store::Timer& t) {
  json payload = json::parse(t.payload_json, nullptr, false);
  if (!payload.is_object() || !payload.contains("post") || !payload.contains("channel")) {
    return MakeError(ErrorCode::kInvalidArgument, "{} timer {} has no post", kVerifyTimer, t.key);
  }
  const std::string post_id = payload.value("post", std::string());
  const std::string channel = payload.value("channel", std::string());
  const std::string remote_id = payload.value("remote_id", std::string());
  const int attempt = payload.value("attempt", 0);
  // The platform is asked outside the decision lock: it is a request that may take seconds.
  auto asked = publisher_.Verify(channel, remote_id);
  Verification v;
  if (asked.ok()) {
    v = std::move(*asked);
  } else if (asked.error().code() == ErrorCode::kNotFound ||
             asked.error().code() == ErrorCode::kInvalidArgument) {
    v.state = Verification::State::kUnsupported;
    v.reason = asked.error().message();
  } else {
    return asked.error();  // the timer runs again
  }
  std::lock_guard lock(mu_);
  auto got = store_.Calendar().Get(post_id);
  if (!got.ok()) {
    if (got.error().code() == ErrorCode::kNotFound) return core::Ok();
    return got.error();
  }
  Post post = std::move(*got);
  PostPart* part = nullptr;
  for (PostPart& p : post.parts) {
    if (p.channel == channel && p.state == PartState::kPublished && p.remote_id == remote_id) {
      part = &p;
    }
  }
  if (part == nullptr) return core::Ok();  // published again since, or no longer published
  if (v.state == Verification::State::kUnknown && attempt + 1 < kAttempts) {
    const auto wait = config_.verify_after * (1 << (attempt + 1));
    Log(fmt::format("calendar: could not tell whether post {} is on {} ({}); looking again in {}s",
                    post.id, channel, v.reason,
                    std::chrono::duration_cast<std::chrono::seconds>(wait).count()));
    return ScheduleVerify(post, *part, attempt + 1, Now() + wait);
  }
  part->verified = std::string(VerificationName(v.state));
  part->verified_at = Now();
  switch (v.state) {
    case Verification::State::kPresent:
      part->verify_note = v.permalink.empty() ? "found on the platform" : v.permalink;
      break;
    case Verification::State::kMissing:
      part->verify_note = "not on the platform: " + v.reason;
      break;
    case Verification::State::kUnknown:
      part->verify_note = fmt::format("could not tell after {} tries: {}", kAttempts, v.reason);
      break;
    case Verification::State::kUnsupported:
      part->verify_note = v.reason.empty() ? "this channel cannot look posts up" : v.reason;
      break;
  }
  post.updated_at = Now();
  LL_TRY(Save(post, "verified"));
  const json data{{"post", post.id},
                  {"channel", channel},
                  {"remote_id", remote_id},
                  {"verified", part->verified},
                  {"note", part->verify_note}};
  if (v.state == Verification::State::kMissing) {
    Log(fmt::format("calendar: post {} was published on {} as {} but is not there: {}", post.id,
                    channel, remote_id, v.reason));
    Timeline(part->incident_id, kMissingEvent,
             fmt::format("Calendar: {} ({}) was published on {} as post {} but the platform does "
                         "not show it: {}",
                         Excerpt(post.text), post.id, channel, remote_id, v.reason),
             data);
  } else if (v.state == Verification::State::kPresent) {
    Timeline(part->incident_id, kVerifiedEvent,
             fmt::format("Calendar: {} ({}) is on {} ({})", Excerpt(post.text), post.id, channel,
                         part->verify_note),
             data);
  }
  return core::Ok();
}

}  // namespace lifeline::calendar
