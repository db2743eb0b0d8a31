// The content calendar's actions for people (calendar.h): add, import, hold, release.
#include <algorithm>
#include <random>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "calendar/calendar.h"
#include "config/values.h"
#include "core/types.h"

namespace lifeline::calendar {

using core::ErrorCode;
using core::MakeError;
using core::Result;
using core::Status;
using store::PartState;
using store::Post;
using store::PostPart;

namespace {

// "post_" + the time in base 36 (ids sort by creation) + 6 random characters.
std::string NewPostId(store::Time now) {
  static constexpr char kDigits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string t;
  for (auto ms = static_cast<std::uint64_t>(store::ToMillis(now)); ms > 0; ms /= 36) {
    t.insert(t.begin(), kDigits[ms % 36]);
  }
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::string r;
  for (int i = 0; i < 6; ++i) r += kDigits[rng() % 36];
  return "post_" + t + r;
}

// Where a field's error is: "text: " for the API, "FILE:LINE: column 2 (message): " for a CSV.
using Where = std::function<std::string(std::string_view field)>;

Where ApiWhere() {
  return [](std::string_view field) { return std::string(field) + ": "; };
}

std::string Suggest(std::string_view word, const std::vector<std::string>& valid) {
  if (auto near = config::Closest(word, valid)) return fmt::format("did you mean '{}'?", *near);
  if (valid.empty()) return "no channel is configured";
  return fmt::format("channels: {}", fmt::join(valid, ", "));
}

}  // namespace

namespace {

// The checks of one new post, with the errors placed by `where`.
Result<Post> Check(const NewPost& n, Publisher& publisher, store::Time now,
                   std::chrono::milliseconds past_tolerance, const Where& where,
                   bool check_past = true) {
  auto fail = [&](std::string_view field, std::string what) {
    return MakeError(ErrorCode::kInvalidArgument, "{}{}", where(field), what);
  };
  Post p;
  p.id = n.id.empty() ? NewPostId(now) : n.id;
  if (!n.id.empty()) {
    const bool ok = n.id.size() <= 64 && std::all_of(n.id.begin(), n.id.end(), [](char c) {
                      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                             (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
                    });
    if (!ok) {
      return fail("id", fmt::format("'{}' is not a post id (1 to 64 letters, digits, '_', '-', "
                                    "'.')",
                                    n.id.substr(0, 80)));
    }
  }
  if (n.text.empty()) return fail("text", "required (what the post says)");
  for (const auto& m : n.media) {
    if (!IsLink(m)) {
      return fail("media", fmt::format("'{}' is not an http:// or https:// link", m.substr(0, 80)));
    }
  }
  const std::vector<std::string> known = publisher.Channels();
  if (n.channels.empty()) {
    return fail("channels", fmt::format("at least one relay channel ({})", Suggest("", known)));
  }
  const Content content{n.text, n.media};
  for (const auto& c : n.channels) {
    if (std::find(known.begin(), known.end(), c) == known.end()) {
      return fail("channels", fmt::format("unknown channel '{}' ({})", c, Suggest(c, known)));
    }
    if (std::count(n.channels.begin(), n.channels.end(), c) > 1) {
      return fail("channels", fmt::format("'{}' is listed twice", c));
    }
    if (auto s = publisher.Check(c, content); !s.ok()) return fail("text", s.error().message());
  }
  if (check_past && n.at + past_tolerance < now) {
    return fail("at", fmt::format("{} is in the past (now {})", core::FormatTime(n.at),
                                  core::FormatTime(now)));
  }
  if (n.expires && *n.expires <= n.at) {
    return fail("expires", fmt::format("{} is not after the post's time {}",
                                       core::FormatTime(*n.expires), core::FormatTime(n.at)));
  }
  p.text = n.text;
  p.media = n.media;
  p.at = n.at;
  p.expires = n.expires;
  p.source = n.source;
  p.by = n.by;
  p.created_at = p.updated_at = now;
  for (const auto& c : n.channels) {
    PostPart part;
    part.channel = c;
    part.due = n.at;
    part.updated_at = now;
    p.parts.push_back(std::move(part));
  }
  return p;
}

}  // namespace

Result<Post> Calendar::Add(const NewPost& n) {
  std::lock_guard lock(mu_);
  LL_ASSIGN(Post p, Check(n, publisher_, Now(), options_.past_tolerance, ApiWhere()));
  LL_ASSIGN(auto added, store_.Calendar().Add(std::span<const Post>(&p, 1)));
  LL_TRY(SchedulePublish(p.id, p.at));
  Announce(added.at(0), "added");
  return added.at(0);
}

Result<std::vector<Post>> Calendar::Import(const ImportRequest& req) {
  LL_ASSIGN(std::vector<CsvRow> rows, ParseCsv(req.csv, req.options));
  std::lock_guard lock(mu_);
  const store::Time now = Now();
  std::vector<Post> posts;
  for (const CsvRow& row : rows) {
    const std::string file = req.options.file;
    Where where = [&](std::string_view field) {
      std::string_view column = field == "channels" ? row.channels_column
                                : field == "text"   ? row.text_column
                                : field == "at"     ? row.time_column
                                                    : field;
      return fmt::format("{}:{}: {}: ", file, row.line, column);
    };
    NewPost n;
    n.id = row.id;
    n.text = row.text;
    n.media = row.media;
    n.channels = row.channels;
    n.at = row.at;
    n.expires = row.expires;
    n.source = "csv:" + file;
    n.by = req.by;
    LL_ASSIGN(Post p, Check(n, publisher_, now, options_.past_tolerance, where));
    if (!row.id.empty()) {
      auto existing = store_.Calendar().Get(row.id);
      if (existing.ok()) {
        return MakeError(ErrorCode::kInvalidArgument, "{}id: a post '{}' exists already",
                         where("id"), row.id);
      }
      if (existing.error().code() != ErrorCode::kNotFound) return existing.error();
    }
    posts.push_back(std::move(p));
  }
  LL_ASSIGN(auto added, store_.Calendar().Add(posts));
  for (const Post& p : added) LL_TRY(SchedulePublish(p.id, p.at));
  for (const Post& p : added) Announce(p, "added");
  return added;
}

namespace {

// The parts of `post` on `channels` (all when empty); kInvalidArgument naming a channel the post
// is not on.
Result<std::vector<PostPart*>> Select(Post& post, const std::vector<std::string>& channels) {
  std::vector<PostPart*> out;
  for (const auto& c : channels) {
    auto it = std::find_if(post.parts.begin(), post.parts.end(),
                           [&](const PostPart& p) { return p.channel == c; });
    if (it == post.parts.end()) {
      std::vector<std::string> on;
      for (const auto& p : post.parts) on.push_back(p.channel);
      return MakeError(ErrorCode::kInvalidArgument,
                       "channels: post {} is not on '{}' (it is on {})", post.id, c,
                       fmt::join(on, ", "));
    }
  }
  for (PostPart& p : post.parts) {
    if (channels.empty() ||
        std::find(channels.begin(), channels.end(), p.channel) != channels.end()) {
      out.push_back(&p);
    }
  }
  return out;
}

}  // namespace

Result<Post> Calendar::Hold(std::string_view id, const std::vector<std::string>& channels,
                            std::string_view by) {
  std::lock_guard lock(mu_);
  LL_ASSIGN(Post post, store_.Calendar().Get(id));
  LL_ASSIGN(std::vector<PostPart*> parts, Select(post, channels));
  const store::Time now = Now();
  const std::string who = by.empty() ? "a person" : std::string(by);
  int held = 0;
  std::vector<std::string> why_not;
  for (PostPart* part : parts) {
    if (part->state == PartState::kQueued) {
      LL_ASSIGN(bool back, publisher_.CallBack(part->message_id, "held by " + who));
      if (!back) {
        why_not.push_back(fmt::format("{} is being sent or was sent", part->channel));
        continue;
      }
      ++part->generation;
      part->message_key.clear();
      part->message_id.clear();
    } else if (part->state != PartState::kScheduled && part->state != PartState::kHeld) {
      why_not.push_back(fmt::format("{} is {}", part->channel, store::PartStateName(part->state)));
      continue;
    }
    part->state = PartState::kHeld;
    part->hand_hold = who;
    part->note = fmt::format("held by {}", who);
    part->updated_at = now;
    ++held;
  }
  if (held == 0) {
    return MakeError(ErrorCode::kFailedPrecondition, "post {}: nothing to hold ({})", post.id,
                     fmt::join(why_not, "; "));
  }
  post.updated_at = now;
  return Save(post, "held");
}

Result<Post> Calendar::Release(std::string_view id, const std::vector<std::string>& channels,
                               std::optional<store::Time> at, std::string_view by) {
  std::lock_guard lock(mu_);
  LL_ASSIGN(Post post, store_.Calendar().Get(id));
  LL_ASSIGN(std::vector<PostPart*> parts, Select(post, channels));
  const store::Time now = Now();
  if (at && *at + options_.past_tolerance < now) {
    return MakeError(ErrorCode::kInvalidArgument, "at: {} is in the past (now {})",
                     core::FormatTime(*at), core::FormatTime(now));
  }
  const store::Time due = at.value_or(now);
  const std::string who = by.empty() ? "a person" : std::string(by);
  std::vector<PostPart*> held;
  for (PostPart* part : parts) {
    if (part->state != PartState::kHeld) continue;
    if (auto hold = publisher_.HeldBy(part->channel)) {
      return MakeError(ErrorCode::kFailedPrecondition,
                       "post {} on {}: {}; it is released by policy when the incident closes",
                       post.id, part->channel, hold->reason);
    }
    held.push_back(part);
  }
  if (held.empty()) {
    std::vector<std::string> states;
    for (const PostPart* p : parts) {
      states.push_back(fmt::format("{} is {}", p->channel, store::PartStateName(p->state)));
    }
    return MakeError(ErrorCode::kFailedPrecondition, "post {}: nothing is held ({})", post.id,
                     fmt::join(states, "; "));
  }
  for (PostPart* part : held) {
    part->state = PartState::kScheduled;
    part->held_by.clear();
    part->hand_hold.clear();
    part->due = due;
    part->note = fmt::format("released by {} for {}", who, core::FormatTime(due));
    part->updated_at = now;
    if (!part->incident_id.empty()) {
      Timeline(part->incident_id, kReleasedEvent,
               fmt::format("Calendar: {} ({}) on {} released by {} for {}", Excerpt(post.text),
                           post.id, part->channel, who, core::FormatTime(due)),
               {{"post", post.id},
                {"channel", part->channel},
                {"decision", "by_hand"},
                {"due", core::FormatTime(due)},
                {"by", who}});
    }
  }
  post.updated_at = now;
  LL_ASSIGN(Post stored, Save(post, "released"));
  LL_TRY(SchedulePublish(post.id, due));
  return stored;
}

Result<Post> Calendar::Edit(std::string_view id, const PostChanges& c, std::string_view by) {
  if (c.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "nothing to change: give text, media, channels, at or expires");
  }
  std::lock_guard lock(mu_);
  LL_ASSIGN(Post post, store_.Calendar().Get(id));
  const store::Time now = Now();
  const std::string who = by.empty() ? "a person" : std::string(by);
  if (post.cancelled_at) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "post {} was cancelled by {} at {}: it cannot be edited", post.id,
                     post.cancelled_by, core::FormatTime(*post.cancelled_at));
  }
  std::vector<std::string> out;
  for (const PostPart& part : post.parts) {
    if (part.state != PartState::kScheduled && part.state != PartState::kHeld) {
      out.push_back(fmt::format("{} is {}", part.channel, store::PartStateName(part.state)));
    }
  }
  if (!out.empty()) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "post {} cannot be edited: {}; only a post none of whose parts has gone to "
                     "the relay can be (add a new post instead)",
                     post.id, fmt::join(out, "; "));
  }
  // The post as it would be, checked like a new one; its time only when it changes (a held post's
  // time has passed).
  NewPost n;
  n.id = post.id;
  n.text = c.text.value_or(post.text);
  n.media = c.media.value_or(post.media);
  if (c.channels) {
    n.channels = *c.channels;
  } else {
    for (const PostPart& part : post.parts) n.channels.push_back(part.channel);
  }
  n.at = c.at.value_or(post.at);
  n.expires = c.expires ? *c.expires : post.expires;
  n.source = post.source;
  n.by = post.by;
  const bool moved = c.at && *c.at != post.at;
  LL_ASSIGN(Post checked, Check(n, publisher_, now, options_.past_tolerance, ApiWhere(), moved));
  (void)checked;

  std::set<store::Time> old_dues;
  for (const PostPart& part : post.parts) {
    if (part.state == PartState::kScheduled) old_dues.insert(part.due);
  }
  std::vector<PostPart> parts;
  for (const std::string& channel : n.channels) {
    auto it = std::find_if(post.parts.begin(), post.parts.end(),
                           [&](const PostPart& p) { return p.channel == channel; });
    if (it != post.parts.end()) {
      PostPart part = *it;
      if (moved && part.state == PartState::kScheduled) {
        part.due = n.at;
        part.updated_at = now;
      }
      parts.push_back(std::move(part));
      continue;
    }
    PostPart part;
    part.channel = channel;
    part.due = std::max(n.at, now);
    part.note = fmt::format("added by {}", who);
    part.updated_at = now;
    parts.push_back(std::move(part));
  }
  for (const PostPart& part : post.parts) {
    const bool kept =
        std::find(n.channels.begin(), n.channels.end(), part.channel) != n.channels.end();
    if (kept || part.state != PartState::kHeld) continue;
    return MakeError(ErrorCode::kFailedPrecondition,
                     "channels: post {} is held on {} ({}); a held part stays: release it, or "
                     "cancel the post",
                     post.id, part.channel, part.note);
  }
  post.text = n.text;
  post.media = n.media;
  post.at = n.at;
  post.expires = n.expires;
  post.parts = std::move(parts);
  post.edited_by = who;
  post.edited_at = now;
  post.updated_at = now;
  LL_ASSIGN(Post stored, Save(post, "edited"));
  std::set<store::Time> new_dues;
  for (const PostPart& part : stored.parts) {
    if (part.state == PartState::kScheduled) new_dues.insert(part.due);
  }
  for (store::Time due : old_dues) {
    if (!new_dues.count(due)) Disarm(stored.id, due);
  }
  for (store::Time due : new_dues) LL_TRY(SchedulePublish(stored.id, due));
  return stored;
}

Result<Post> Calendar::Remove(std::string_view id, std::string_view by) {
  std::lock_guard lock(mu_);
  LL_ASSIGN(Post post, store_.Calendar().Get(id));
  const store::Time now = Now();
  const std::string who = by.empty() ? "a person" : std::string(by);
  if (post.cancelled_at) {
    return MakeError(ErrorCode::kFailedPrecondition, "post {} was cancelled already, by {} at {}",
                     post.id, post.cancelled_by, core::FormatTime(*post.cancelled_at));
  }
  std::vector<std::string> published;
  for (const PostPart& part : post.parts) {
    if (part.state != PartState::kPublished) continue;
    published.push_back(part.remote_id.empty()
                            ? part.channel
                            : fmt::format("{} (post id {})", part.channel, part.remote_id));
  }
  if (!published.empty()) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "post {} was published on {}: a post that went out cannot be cancelled "
                     "(hold its other channels instead)",
                     post.id, fmt::join(published, ", "));
  }
  std::set<store::Time> dues;
  int cancelled = 0;
  std::vector<std::string> left;
  for (PostPart& part : post.parts) {
    const PartState was = part.state;
    if (was == PartState::kQueued) {
      LL_ASSIGN(bool back, publisher_.CallBack(part.message_id, "cancelled by " + who));
      if (!back) {
        part.note = fmt::format("was being sent when {} cancelled the post: the relay has it", who);
        part.updated_at = now;
        continue;
      }
      part.note = fmt::format("cancelled by {} (its message was called back from the relay)", who);
    } else if (was == PartState::kScheduled || was == PartState::kHeld) {
      if (was == PartState::kScheduled) dues.insert(part.due);
      part.note = fmt::format("cancelled by {}", who);
    } else {
      left.push_back(fmt::format("{} is {}", part.channel, store::PartStateName(was)));
      continue;
    }
    part.state = PartState::kCancelled;
    part.held_by.clear();
    part.hand_hold.clear();
    part.updated_at = now;
    ++cancelled;
    if (!part.incident_id.empty()) {
      Timeline(
          part.incident_id, kDroppedEvent,
          fmt::format("Calendar: {} ({}) on {} dropped: cancelled by {}", Excerpt(post.text),
                      post.id, part.channel, who),
          {{"post", post.id}, {"channel", part.channel}, {"reason", "cancelled"}, {"by", who}});
    }
  }
  if (cancelled == 0) {
    return MakeError(ErrorCode::kFailedPrecondition, "post {}: nothing left to cancel ({})",
                     post.id, fmt::join(left, "; "));
  }
  post.cancelled_by = who;
  post.cancelled_at = now;
  post.updated_at = now;
  LL_ASSIGN(Post stored, Save(post, "cancelled"));
  for (store::Time due : dues) Disarm(stored.id, due);
  return stored;
}

}  // namespace lifeline::calendar
