// The content calendar (calendar.h): start-up, incidents and deliveries, timers, the decisions on
// each part. People's actions (add, import, hold, release) are in calendar_people.cc.
#include "calendar/calendar.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "calendar/slots.h"
#include "core/types.h"

namespace lifeline::calendar {

using core::ErrorCode;
using core::MakeError;
using core::Result;
using core::Status;
using nlohmann::json;
using store::PartState;
using store::Post;
using store::PostPart;

namespace {

// A part due within this of now is due (timers fire a little early or late).
constexpr std::chrono::seconds kDueSlack{1};

std::string ClockTime(store::Time t) { return core::FormatTime(t); }

// The due timer of a post's parts due at `due`.
std::string PublishKey(const std::string& post_id, store::Time due) {
  return fmt::format("calendar/publish/{}/{}", post_id, store::ToMillis(due));
}

}  // namespace

struct Calendar::Gate {
  std::mutex mu;  // guards calendar
  Calendar* calendar = nullptr;
};

std::string Excerpt(std::string_view text, std::size_t max) {
  std::string out;
  std::size_t points = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    const bool starts = (c & 0xC0) != 0x80;
    if (starts) {
      if (points == max) {
        // Drop the trailing space of the cut.
        while (!out.empty() && out.back() == ' ') out.pop_back();
        return "\u201c" + out + "\u2026\u201d";
      }
      ++points;
    }
    out += (c == '\n' || c == '\r' || c == '\t') ? ' ' : text[i];
  }
  return "\u201c" + out + "\u201d";
}

Calendar::Calendar(CalendarConfig config, Publisher& publisher, store::Store& store,
                   timers::Scheduler& scheduler, CalendarOptions options)
    : config_(std::move(config)),
      publisher_(publisher),
      store_(store),
      scheduler_(scheduler),
      options_(std::move(options)),
      clock_(options_.clock ? *options_.clock : core::RealClock()),
      gate_(std::make_shared<Gate>()) {
  gate_->calendar = this;
}

Calendar::~Calendar() {
  Stop();
  std::lock_guard lock(gate_->mu);
  gate_->calendar = nullptr;
}

Status Calendar::Start() {
  {
    std::lock_guard lock(queue_mu_);
    if (started_) return MakeError(ErrorCode::kFailedPrecondition, "the calendar started before");
    started_ = true;
  }
  auto via = [gate = gate_](auto method) {
    return [gate, method](const store::Timer& t) -> Status {
      std::lock_guard lock(gate->mu);
      if (gate->calendar == nullptr) {
        return MakeError(ErrorCode::kUnavailable, "the content calendar is stopped");
      }
      return (gate->calendar->*method)(t);
    };
  };
  LL_TRY(scheduler_.On(std::string(kPublishTimer), via(&Calendar::OnPublishTimer)));
  LL_TRY(scheduler_.On(std::string(kReleaseTimer), via(&Calendar::OnReleaseTimer)));
  LL_TRY(scheduler_.On(std::string(kVerifyTimer), via(&Calendar::OnVerifyTimer)));
  deliveries_ = publisher_.Subscribe([this](const Delivery& d) {
    {
      std::lock_guard lock(queue_mu_);
      if (stopping_) return;
      queue_.push_back({std::nullopt, d});
    }
    queue_cv_.notify_one();
  });
  {
    std::lock_guard lock(mu_);
    LL_TRY(EnsureConfigPosts());
    LL_TRY(Settle());
  }
  thread_ = std::thread([this] { Run(); });
  Log(fmt::format("calendar: {} channels; release after an incident: {}{}",
                  publisher_.Channels().size(), PolicyName(config_.release.policy),
                  config_.platforms.empty()
                      ? ""
                      : fmt::format(" ({} platforms with their own)", config_.platforms.size())));
  return core::Ok();
}

void Calendar::Stop() {
  {
    std::lock_guard lock(queue_mu_);
    stopping_ = true;
  }
  queue_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  deliveries_.reset();
  idle_cv_.notify_all();
}

std::unique_ptr<core::IncidentFeed::Subscription> Calendar::Watch(core::IncidentFeed& feed) {
  return feed.SubscribeIncidents([this](const core::IncidentNotice& n) { OnIncident(n); });
}

void Calendar::OnIncident(const core::IncidentNotice& notice) {
  if (!notice.here) return;  // another instance acts on it
  {
    std::lock_guard lock(queue_mu_);
    if (stopping_) return;
    queue_.push_back({notice, std::nullopt});
  }
  queue_cv_.notify_one();
}

bool Calendar::WaitIdle(std::chrono::milliseconds timeout) {
  std::unique_lock lock(queue_mu_);
  return idle_cv_.wait_for(lock, timeout, [&] { return (queue_.empty() && !busy_) || stopping_; });
}

void Calendar::Run() {
  while (true) {
    Work w;
    {
      std::unique_lock lock(queue_mu_);
      queue_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      w = std::move(queue_.front());
      queue_.pop_front();
      busy_ = true;
    }
    if (w.notice) HandleNotice(*w.notice);
    if (w.delivery) HandleDelivery(*w.delivery);
    {
      std::lock_guard lock(queue_mu_);
      busy_ = false;
    }
    idle_cv_.notify_all();
  }
}

// ---- incidents and deliveries ----

void Calendar::HandleNotice(const core::IncidentNotice& n) {
  std::lock_guard lock(mu_);
  if (n.change == core::IncidentNotice::Change::kClosed) {
    if (auto s = ScheduleRelease(n.incident_id); !s.ok()) Log("calendar: " + s.error().message());
    return;
  }
  // Parts handed to the relay but not sent yet, on a channel this incident now stops, are called
  // back into a hold: the relay would otherwise send them whenever the channel recovers, outside
  // the release policy.
  for (const std::string& channel : publisher_.Channels()) {
    auto hold = publisher_.HeldBy(channel);
    if (!hold || hold->incident_id != n.incident_id) continue;
    auto queued = store_.Calendar().ListParts({.state = PartState::kQueued, .channel = channel});
    if (!queued.ok()) {
      Log("calendar: " + queued.error().message());
      continue;
    }
    for (const store::PartRef& ref : *queued) {
      auto post = store_.Calendar().Get(ref.post_id);
      if (!post.ok()) continue;
      for (PostPart& part : post->parts) {
        if (part.channel != channel || part.state != PartState::kQueued) continue;
        auto held = HoldPart(*post, part, *hold);
        if (!held.ok()) {
          Log("calendar: " + held.error().message());
          continue;
        }
        if (!*held) continue;
        post->updated_at = Now();
        if (auto u = Save(*post, "held"); !u.ok()) {
          Log("calendar: " + u.error().message());
        }
      }
    }
  }
}

void Calendar::HandleDelivery(const Delivery& d) {
  std::lock_guard lock(mu_);
  if (auto s = ApplyDelivery(d); !s.ok()) Log("calendar: " + s.error().message());
}

Status Calendar::ApplyDelivery(const Delivery& d) {
  if (d.state == Delivery::State::kWaiting) return core::Ok();
  LL_ASSIGN(auto refs, store_.Calendar().ListParts({.message_key = d.key}));
  for (const store::PartRef& ref : refs) {
    LL_ASSIGN(Post post, store_.Calendar().Get(ref.post_id));
    bool changed = false;
    for (PostPart& part : post.parts) {
      if (part.message_key != d.key || part.state != PartState::kQueued) continue;
      const store::Time now = Now();
      part.updated_at = now;
      part.message_id = d.message_id;
      changed = true;
      switch (d.state) {
        case Delivery::State::kDelivered:
          part.state = PartState::kPublished;
          part.remote_id = d.remote_id;
          part.published_at = now;
          part.note = d.remote_id.empty() ? "published"
                                          : fmt::format("published (post id {})", d.remote_id);
          LL_TRY(ScheduleVerify(post, part, 0, now + config_.verify_after));
          if (!part.incident_id.empty()) {
            Timeline(
                part.incident_id, kPublishedEvent,
                fmt::format("Calendar: {} ({}) published on {}{}", Excerpt(post.text), post.id,
                            part.channel, d.remote_id.empty() ? "" : " as post " + d.remote_id),
                {{"post", post.id},
                 {"channel", part.channel},
                 {"message_id", d.message_id},
                 {"remote_id", d.remote_id}});
          }
          break;
        case Delivery::State::kFailed:
          part.state = PartState::kFailed;
          part.note = "the relay could not deliver it: " + d.reason;
          break;
        case Delivery::State::kCancelled:
          part.state = PartState::kFailed;
          part.note = "its message was cancelled in the outbox";
          break;
        case Delivery::State::kWaiting:
          break;
      }
    }
    if (changed) {
      post.updated_at = Now();
      LL_TRY(Save(post, "updated"));
    }
  }
  return core::Ok();
}

// ---- timers ----

Status Calendar::SchedulePublish(const std::string& post_id, store::Time due) {
  store::NewTimer t;
  t.kind = std::string(kPublishTimer);
  t.key = PublishKey(post_id, due);
  t.owner = "calendar/" + post_id;
  t.due = due;
  t.payload_json = json{{"post", post_id}}.dump();
  return Arm(std::move(t));
}

Status Calendar::Arm(store::NewTimer t) {
  const std::string key = t.key;
  const store::Time due = t.due;
  LL_ASSIGN(store::ScheduledTimer scheduled, scheduler_.Schedule(std::move(t)));
  // A timer with this key ran before (a part released for the very time it was first due, an
  // incident's release after a restart): arm it again. Its handler only acts on what is due.
  const store::TimerState s = scheduled.timer.state;
  if (!scheduled.created && s != store::TimerState::kPending && s != store::TimerState::kClaimed) {
    LL_ASSIGN(auto again, scheduler_.Reschedule(key, due));
    (void)again;
  }
  return core::Ok();
}

Status Calendar::ScheduleRelease(const std::string& incident) {
  store::NewTimer t;
  t.kind = std::string(kReleaseTimer);
  t.key = "calendar/release/" + incident;
  t.owner = "calendar/" + incident;
  t.due = Now();
  t.payload_json = json{{"incident", incident}}.dump();
  return Arm(std::move(t));
}

Status Calendar::OnPublishTimer(const store::Timer& t) {
  json payload = json::parse(t.payload_json, nullptr, false);
  if (!payload.is_object() || !payload.contains("post")) {
    return MakeError(ErrorCode::kInvalidArgument, "{} timer {} has no post", kPublishTimer, t.key);
  }
  std::lock_guard lock(mu_);
  return PublishDue(payload.value("post", std::string()));
}

Status Calendar::OnReleaseTimer(const store::Timer& t) {
  json payload = json::parse(t.payload_json, nullptr, false);
  if (!payload.is_object() || !payload.contains("incident")) {
    return MakeError(ErrorCode::kInvalidArgument, "{} timer {} has no incident", kReleaseTimer,
                     t.key);
  }
  std::lock_guard lock(mu_);
  return ReleaseHeld(payload.value("incident", std::string()));
}

// ---- decisions ----

std::string Calendar::Key(const Post& post, const PostPart& part) const {
  return fmt::format("calendar/{}/{}/{}", post.id, part.channel, part.generation);
}

Status Calendar::PublishPart(const Post& post, PostPart& part) {
  const std::string key = Key(post, part);
  auto d = publisher_.Publish(part.channel, Content{post.text, post.media}, key);
  part.updated_at = Now();
  if (!d.ok()) {
    const ErrorCode code = d.error().code();
    if (code == ErrorCode::kInvalidArgument || code == ErrorCode::kNotFound) {
      // The channel is gone from the config or refuses the text: trying again cannot help.
      part.state = PartState::kFailed;
      part.note = d.error().message();
      return core::Ok();
    }
    return d.error();
  }
  part.state = PartState::kQueued;
  part.message_key = key;
  part.message_id = d->message_id;
  part.note = "handed to the relay";
  if (d->state == Delivery::State::kDelivered) {
    // Handed before a restart and delivered since.
    part.state = PartState::kPublished;
    part.remote_id = d->remote_id;
    part.published_at = Now();
    part.note = "published";
    LL_TRY(ScheduleVerify(post, part, 0, Now() + config_.verify_after));
  }
  return core::Ok();
}

Result<bool> Calendar::HoldPart(const Post& post, PostPart& part, const Publisher::Hold& hold) {
  if (part.state == PartState::kQueued) {
    LL_ASSIGN(bool back,
              publisher_.CallBack(part.message_id, "held by the content calendar: " + hold.reason));
    if (!back) return false;  // being sent or sent: the relay has it
    ++part.generation;
    part.message_key.clear();
    part.message_id.clear();
  }
  part.state = PartState::kHeld;
  part.held_by = hold.incident_id;
  part.incident_id = hold.incident_id;
  part.note = "held: " + hold.reason;
  part.updated_at = Now();
  Timeline(hold.incident_id, kHeldEvent,
           fmt::format("Calendar: {} ({}) held on {}, due {}: {}", Excerpt(post.text), post.id,
                       part.channel, ClockTime(part.due), hold.reason),
           {{"post", post.id},
            {"channel", part.channel},
            {"due", ClockTime(part.due)},
            {"by", "lifeline"}});
  return true;
}

Status Calendar::PublishDue(const std::string& post_id) {
  auto got = store_.Calendar().Get(post_id);
  if (!got.ok()) {
    if (got.error().code() == ErrorCode::kNotFound) return core::Ok();
    return got.error();
  }
  Post post = std::move(*got);
  const store::Time now = Now();
  bool changed = false;
  Status failure = core::Ok();
  std::optional<store::Time> next;
  for (PostPart& part : post.parts) {
    if (part.state != PartState::kScheduled) continue;
    if (part.due > now + kDueSlack) {
      next = next ? std::min(*next, part.due) : part.due;
      continue;
    }
    const calendar::Release& release = config_.ReleaseFor(publisher_.Platform(part.channel));
    if (post.expires && *post.expires <= now && release.drop_expired) {
      part.state = PartState::kDropped;
      part.note = fmt::format("expired at {} before it went out", ClockTime(*post.expires));
      part.updated_at = now;
      changed = true;
      if (!part.incident_id.empty()) {
        Timeline(part.incident_id, kDroppedEvent,
                 fmt::format("Calendar: {} ({}) on {} dropped: it expired at {}",
                             Excerpt(post.text), post.id, part.channel, ClockTime(*post.expires)),
                 {{"post", post.id}, {"channel", part.channel}, {"reason", "expired"}});
      }
      continue;
    }
    if (auto hold = publisher_.HeldBy(part.channel)) {
      auto held = HoldPart(post, part, *hold);
      if (!held.ok()) {
        failure = held.error();
        continue;
      }
      changed = true;
      continue;
    }
    if (auto s = PublishPart(post, part); !s.ok()) {
      failure = s;
      continue;
    }
    changed = true;
  }
  if (changed) {
    post.updated_at = now;
    LL_TRY(Save(post, "updated"));
  }
  if (next) LL_TRY(SchedulePublish(post.id, *next));
  return failure;
}

Status Calendar::ReleaseHeld(const std::string& incident) {
  LL_ASSIGN(auto refs,
            store_.Calendar().ListParts({.state = PartState::kHeld, .held_by = incident}));
  for (const store::PartRef& ref : refs) {
    LL_ASSIGN(Post post, store_.Calendar().Get(ref.post_id));
    auto it = std::find_if(post.parts.begin(), post.parts.end(),
                           [&](const PostPart& p) { return p.channel == ref.part.channel; });
    if (it == post.parts.end() || it->state != PartState::kHeld || it->held_by != incident) {
      continue;
    }
    PostPart& part = *it;
    const store::Time now = Now();
    part.updated_at = now;
    post.updated_at = now;
    const std::string what =
        fmt::format("Calendar: {} ({}) on {}", Excerpt(post.text), post.id, part.channel);
    json data{{"post", post.id}, {"channel", part.channel}, {"by", "lifeline"}};
    std::optional<store::Time> publish_at;
    if (auto other = publisher_.HeldBy(part.channel); other && other->incident_id != incident) {
      // Another incident still stops the channel: the part waits for that one.
      part.held_by = other->incident_id;
      part.incident_id = other->incident_id;
      part.note = "held: " + other->reason;
      data["decision"] = "still_held";
      data["incident"] = other->incident_id;
      Timeline(incident, kHeldEvent, fmt::format("{} stays held: {}", what, other->reason), data);
    } else if (!part.hand_hold.empty()) {
      part.held_by.clear();
      part.note = fmt::format("the incident closed; still held by {}", part.hand_hold);
      data["decision"] = "held_by_hand";
      Timeline(incident, kHeldEvent,
               fmt::format("{} stays held: {} held it by hand", what, part.hand_hold), data);
    } else {
      const std::string platform = publisher_.Platform(part.channel);
      const calendar::Release& release = config_.ReleaseFor(platform);
      data["policy"] = PolicyName(release.policy);
      const bool expired = post.expires && *post.expires <= now;
      if (expired && release.drop_expired) {
        part.state = PartState::kDropped;
        part.held_by.clear();
        part.note =
            fmt::format("dropped after the incident: it expired at {}", ClockTime(*post.expires));
        data["decision"] = "dropped";
        data["reason"] = "expired";
        data["expires"] = ClockTime(*post.expires);
        Timeline(incident, kDroppedEvent,
                 fmt::format("{} dropped: it expired at {}, during the incident", what,
                             ClockTime(*post.expires)),
                 data);
      } else if (release.policy == Policy::kPublishNow) {
        part.state = PartState::kScheduled;
        part.held_by.clear();
        part.due = now;
        part.note = "released after the incident: publish now";
        publish_at = now;
        data["decision"] = "publish_now";
        data["due"] = ClockTime(now);
        Timeline(incident, kReleasedEvent,
                 fmt::format("{} released: published now (it was due {})", what,
                             ClockTime(ref.part.due)),
                 data);
      } else if (release.policy == Policy::kNextFreeSlot) {
        std::vector<store::Time> taken;
        LL_ASSIGN(auto others,
                  store_.Calendar().ListParts(
                      {.channel = part.channel, .due_from = now - std::chrono::hours(24)}));
        for (const store::PartRef& o : others) {
          if (o.post_id == post.id) continue;
          const PartState s = o.part.state;
          if (s == PartState::kScheduled || s == PartState::kQueued || s == PartState::kPublished) {
            taken.push_back(o.part.due);
          }
        }
        auto slot = NextFreeSlot(release, now, std::move(taken));
        if (!slot) {
          part.held_by.clear();
          part.note = "no free slot within 14 days: release it by hand";
          data["decision"] = "no_free_slot";
          Timeline(incident, kHeldEvent,
                   fmt::format("{} stays held: no free slot within 14 days", what), data);
        } else if (post.expires && *slot >= *post.expires && release.drop_expired) {
          part.state = PartState::kDropped;
          part.held_by.clear();
          part.note = fmt::format(
              "dropped after the incident: it expires at {}, before the next "
              "free slot ({})",
              ClockTime(*post.expires), ClockTime(*slot));
          data["decision"] = "dropped";
          data["reason"] = "expires_before_slot";
          data["expires"] = ClockTime(*post.expires);
          Timeline(incident, kDroppedEvent,
                   fmt::format("{} dropped: it expires at {}, before the next free slot ({})", what,
                               ClockTime(*post.expires), ClockTime(*slot)),
                   data);
        } else {
          part.state = PartState::kScheduled;
          part.held_by.clear();
          part.due = *slot;
          part.note = fmt::format("released after the incident: moved to {}", ClockTime(*slot));
          publish_at = *slot;
          data["decision"] = "next_free_slot";
          data["due"] = ClockTime(*slot);
          Timeline(incident, kReleasedEvent,
                   fmt::format("{} released: moved to the next free slot, {} (it was due {})", what,
                               ClockTime(*slot), ClockTime(ref.part.due)),
                   data);
        }
      } else {
        part.held_by.clear();
        part.note = fmt::format("waits for a person: lifeline calendar release {}", post.id);
        data["decision"] = "manual";
        Timeline(incident, kHeldEvent,
                 fmt::format("{} stays held until a person releases it (policy manual)", what),
                 data);
      }
    }
    LL_TRY(Save(post, "released"));
    if (publish_at) LL_TRY(SchedulePublish(post.id, *publish_at));
  }
  return core::Ok();
}

// ---- start-up ----

Status Calendar::EnsureConfigPosts() {
  for (const ConfigPost& c : config_.posts) {
    auto stored = store_.Calendar().Get(c.id);
    if (stored.ok()) {
      std::vector<std::string> channels;
      for (const auto& p : stored->parts) channels.push_back(p.channel);
      const bool same = stored->text == c.text && stored->media == c.media && stored->at == c.at &&
                        stored->expires == c.expires && channels == c.channels;
      if (same) continue;
      const bool untouched =
          std::all_of(stored->parts.begin(), stored->parts.end(),
                      [](const PostPart& p) { return p.state == PartState::kScheduled; });
      if (!untouched || stored->source != "config" || !stored->edited_by.empty()) {
        Log(
            fmt::format("calendar: post {} changed in the config after it was held or went out "
                        "(or was added, edited or cancelled another way): the stored post stays "
                        "as it is",
                        c.id));
        continue;
      }
    } else if (stored.error().code() != ErrorCode::kNotFound) {
      return stored.error();
    }
    const store::Time now = Now();
    Post p;
    p.id = c.id;
    p.text = c.text;
    p.media = c.media;
    p.at = c.at;
    p.expires = c.expires;
    p.source = "config";
    p.by = "config";
    p.created_at = p.updated_at = now;
    // A post whose time passed before serve first saw it is not published hours late.
    const bool past = c.at + std::chrono::minutes(5) < now;
    for (const std::string& ch : c.channels) {
      PostPart part;
      part.channel = ch;
      part.due = c.at;
      part.updated_at = now;
      if (past) {
        part.state = PartState::kDropped;
        part.note = "its time had passed when serve first read it from the config";
      }
      p.parts.push_back(std::move(part));
    }
    if (stored.ok()) {
      p.created_at = stored->created_at;
      LL_TRY(Save(p, "edited"));
    } else {
      LL_ASSIGN(auto added, store_.Calendar().Add(std::span<const Post>(&p, 1)));
      for (const Post& a : added) Announce(a, "added");
    }
    if (!past) LL_TRY(SchedulePublish(p.id, p.at));
  }
  return core::Ok();
}

Status Calendar::Settle() {
  // Parts handed to the relay before a stop: what became of them.
  LL_ASSIGN(auto queued, store_.Calendar().ListParts({.state = PartState::kQueued}));
  for (const store::PartRef& ref : queued) {
    LL_ASSIGN(auto d, publisher_.Find(ref.part.message_key));
    if (d) LL_TRY(ApplyDelivery(*d));
  }
  // Holds whose incident closed while Lifeline was stopped are released now.
  LL_ASSIGN(auto held, store_.Calendar().ListParts({.state = PartState::kHeld}));
  std::set<std::string> incidents;
  for (const store::PartRef& ref : held) {
    if (!ref.part.held_by.empty()) incidents.insert(ref.part.held_by);
  }
  for (const std::string& id : incidents) {
    auto inc = store_.GetIncident(id);
    if (inc.ok() && inc->state == store::IncidentState::kOpen) continue;
    if (!inc.ok() && inc.error().code() != ErrorCode::kNotFound) return inc.error();
    LL_TRY(ScheduleRelease(id));
  }
  // Every waiting part has its timer (a stop between storing a post and scheduling it).
  LL_ASSIGN(auto scheduled, store_.Calendar().ListParts({.state = PartState::kScheduled}));
  for (const store::PartRef& ref : scheduled) LL_TRY(SchedulePublish(ref.post_id, ref.part.due));
  return core::Ok();
}

// ---- small things ----

void Calendar::Timeline(const std::string& incident, std::string_view type, std::string message,
                        json data) {
  if (incident.empty()) return;
  store::NewEvent e;
  e.at = Now();
  e.type = std::string(type);
  e.message = std::move(message);
  e.data_json = data.dump();
  auto stored = store_.AppendEvent(incident, e);
  if (!stored.ok()) {
    Log(fmt::format("calendar: cannot add to the timeline of {}: {}", incident,
                    stored.error().message()));
    return;
  }
  if (listeners_.empty()) return;
  CalendarEvent out;
  out.kind = CalendarEvent::Kind::kTimeline;
  out.event = std::move(*stored);
  listeners_.Publish(out);
}

Result<Post> Calendar::Save(const Post& post, std::string_view change) {
  LL_ASSIGN(Post stored, store_.Calendar().Update(post));
  Announce(stored, change);
  return stored;
}

void Calendar::Announce(const Post& post, std::string_view change) {
  if (listeners_.empty()) return;
  CalendarEvent e;
  e.kind = CalendarEvent::Kind::kPost;
  e.post = post;
  e.change = std::string(change);
  listeners_.Publish(e);
}

std::unique_ptr<core::Subscription> Calendar::Subscribe(
    std::function<void(const CalendarEvent&)> sink) {
  return listeners_.Add(std::move(sink));
}

void Calendar::Disarm(const std::string& post_id, store::Time due) {
  const std::string key = PublishKey(post_id, due);
  auto r = scheduler_.Cancel(key);
  // Not there, or it ran already: nothing to disarm.
  if (!r.ok() && r.error().code() != ErrorCode::kNotFound &&
      r.error().code() != ErrorCode::kFailedPrecondition) {
    Log(fmt::format("calendar: cannot cancel the timer {}: {}", key, r.error().message()));
  }
}

store::Time Calendar::Now() const { return store::FromSystem(clock_.Now()); }

void Calendar::Log(std::string_view line) const {
  if (options_.log) options_.log(line);
}

}  // namespace lifeline::calendar
