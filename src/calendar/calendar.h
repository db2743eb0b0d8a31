// The content calendar: a schedule of posts published through the relay on their due time, one
// part per target channel. A part whose channel's platform (or failure domain) has an open
// incident when it comes due is held — never handed to the relay, never marked as sent — while
// the post's other channels go out as planned. When the incident closes, each held part is
// released by its channel's policy (config.h): published now, moved to the next free slot, or
// dropped when its post has expired; every decision goes on the incident's timeline. Due times
// and releases are durable timers ("calendar.*") on the process's one scheduler, and a part is
// handed to the relay under an idempotency key per (post, channel), so a restart neither loses
// a post nor publishes one twice.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "calendar/config.h"
#include "calendar/csv.h"
#include "calendar/publisher.h"
#include "core/clock.h"
#include "core/incident_feed.h"
#include "core/listeners.h"
#include "core/result.h"
#include "store/store.h"
#include "timers/scheduler.h"

namespace lifeline::calendar {

// The timer kinds the calendar registers ("calendar.*").
inline constexpr std::string_view kPublishTimer = "calendar.publish";  // parts come due
inline constexpr std::string_view kReleaseTimer = "calendar.release";  // an incident closed
inline constexpr std::string_view kVerifyTimer = "calendar.verify";    // look a post up

// The incident-timeline event types the calendar writes.
inline constexpr std::string_view kHeldEvent = "calendar_held";
inline constexpr std::string_view kReleasedEvent = "calendar_released";
inline constexpr std::string_view kDroppedEvent = "calendar_dropped";
inline constexpr std::string_view kPublishedEvent = "calendar_published";
inline constexpr std::string_view kVerifiedEvent = "calendar_verified";  // found on the platform
inline constexpr std::string_view kMissingEvent = "calendar_missing";    // published, not there

struct CalendarOptions {
  core::Clock* clock = nullptr;  // null = the real clock
  std::function<void(std::string_view)> log;
  // A post added for a time further back than this is refused (it would go out at once, late).
  std::chrono::milliseconds past_tolerance = std::chrono::minutes(1);
};

// A post to add (API, CLI, CSV, config).
struct NewPost {
  std::string id;  // "" = one is made
  std::string text;
  std::vector<std::string> media;
  std::vector<std::string> channels;
  store::Time at;
  std::optional<store::Time> expires;
  std::string source = "api";
  std::string by;
};

// What an edit changes; an unset field stays as it is.
struct PostChanges {
  std::optional<std::string> text;
  std::optional<std::vector<std::string>> media;
  std::optional<std::vector<std::string>> channels;  // the new list, in order
  std::optional<store::Time> at;
  std::optional<std::optional<store::Time>> expires;  // set to nullopt: no expiry any more
  bool empty() const { return !text && !media && !channels && !at && !expires; }
};

// What the calendar tells its subscribers (Calendar::Subscribe), once stored: an entry it added
// to an incident's timeline, or a post that changed.
struct CalendarEvent {
  enum class Kind { kTimeline, kPost };
  Kind kind = Kind::kPost;
  store::IncidentEvent event;  // kTimeline
  store::Post post;            // kPost: the post as stored now
  // kPost: "added", "edited", "cancelled", "held", "released" or "updated" (a part's state
  // changed: published, queued, dropped, ...).
  std::string change;
};

struct ImportRequest {
  std::string csv;
  CsvOptions options;  // the file's name, default channels, date order
  std::string by;
};

// Thread-safety: every public method may be called from any thread. The feed's and the relay's
// sinks only queue; the calendar's thread handles them; timer handlers run on the scheduler's
// thread; people's actions on their callers' threads; decisions take turns on one lock.
class Calendar {
 public:
  // `publisher`, `store` and `scheduler` must outlive the calendar.
  Calendar(CalendarConfig config, Publisher& publisher, store::Store& store,
           timers::Scheduler& scheduler, CalendarOptions options = {});
  ~Calendar();  // Stop()
  Calendar(const Calendar&) = delete;
  Calendar& operator=(const Calendar&) = delete;

  const CalendarConfig& config() const { return config_; }
  Publisher& publisher() { return publisher_; }

  // Registers the calendar.* timer handlers (start the scheduler after), stores the config's
  // posts that are not stored yet, settles what a stop left behind (parts handed to the relay,
  // holds whose incident closed meanwhile, due timers) and starts the calendar's thread.
  [[nodiscard]] core::Status Start();
  void Stop();  // idempotent

  // Follows the engine's incidents. Keep the handle until Stop.
  [[nodiscard]] std::unique_ptr<core::IncidentFeed::Subscription> Watch(core::IncidentFeed& feed);
  void OnIncident(const core::IncidentNotice& notice);  // queues
  // Waits (real time) until every queued notice and delivery was handled. For tests.
  bool WaitIdle(std::chrono::milliseconds timeout);

  // ---- People (the API and the CLI) ----
  // kInvalidArgument naming the field (an unknown channel, a text a channel refuses, a time in
  // the past); kAlreadyExists for a used id.
  [[nodiscard]] core::Result<store::Post> Add(const NewPost& post);
  // All rows or none: kInvalidArgument "FILE:LINE: column N (NAME): what" for the first bad row.
  [[nodiscard]] core::Result<std::vector<store::Post>> Import(const ImportRequest& request);
  // Holds the post's parts on `channels` (empty = all) that are not out yet; a part already
  // handed to the relay is called back when it has not been sent. kFailedPrecondition when
  // nothing could be held.
  [[nodiscard]] core::Result<store::Post> Hold(std::string_view id,
                                               const std::vector<std::string>& channels,
                                               std::string_view by);
  // Releases the post's held parts on `channels` (empty = all) to go out at `at` (unset: now).
  // kFailedPrecondition when a channel is still stopped by an open incident (its parts are
  // released by policy when it closes) or nothing is held.
  [[nodiscard]] core::Result<store::Post> Release(std::string_view id,
                                                  const std::vector<std::string>& channels,
                                                  std::optional<store::Time> at,
                                                  std::string_view by);
  // Changes a post none of whose parts has gone out: every part is scheduled or held
  // (kFailedPrecondition naming the parts that are queued, published, failed, dropped or
  // cancelled). The result is checked like Add (kInvalidArgument naming the field; `at` only
  // when it changes). A new time moves every scheduled part there and re-arms its due timer; a
  // held part stays held (a channel whose part is held cannot be removed). A new channel's part
  // is due at the post's time (now, when that has passed).
  [[nodiscard]] core::Result<store::Post> Edit(std::string_view id, const PostChanges& changes,
                                               std::string_view by);
  // Cancels a post: its parts that have not gone out never will (a part handed to the relay is
  // called back; one the relay is already sending stays with it, and its note says so). The post
  // is kept, state cancelled, with who and when. kFailedPrecondition when a part was published
  // or the post was cancelled before. Failed and dropped parts stay as they are.
  [[nodiscard]] core::Result<store::Post> Remove(std::string_view id, std::string_view by);

  // Every timeline entry the calendar stores (calendar_held, _released, _dropped, _published) and
  // every post it adds or changes, once stored. The sink runs on the calendar's threads, under
  // its lock, and must only queue. Unsubscribes when the handle is destroyed.
  [[nodiscard]] std::unique_ptr<core::Subscription> Subscribe(
      std::function<void(const CalendarEvent&)> sink);

 private:
  struct Work {
    std::optional<core::IncidentNotice> notice;
    std::optional<Delivery> delivery;
  };

  void Run();
  void HandleNotice(const core::IncidentNotice& n);
  void HandleDelivery(const Delivery& d);

  core::Status OnPublishTimer(const store::Timer& t);
  core::Status OnReleaseTimer(const store::Timer& t);
  // Looks a published part up on its platform (verify.cc).
  core::Status OnVerifyTimer(const store::Timer& t);
  // After a part is published: its look-up `config_.verify_after` later (attempt 0), or again
  // after an answer that could not tell; under mu_.
  core::Status ScheduleVerify(const store::Post& post, const store::PostPart& part, int attempt,
                              store::Time due);
  // Publishes or holds the parts of `post_id` that are due; under mu_.
  core::Status PublishDue(const std::string& post_id);
  // Releases the parts held by `incident` by their policies; under mu_.
  core::Status ReleaseHeld(const std::string& incident);
  core::Status SchedulePublish(const std::string& post_id, store::Time due);
  core::Status ScheduleRelease(const std::string& incident);
  // Schedules `t`, or arms its key's timer again when that one already ran.
  core::Status Arm(store::NewTimer t);
  // Hands one part to the relay (or finds it handed already); updates `part`.
  core::Status PublishPart(const store::Post& post, store::PostPart& part);
  // Holds a part for `hold`; a queued one only when the relay gives it back. True when held.
  core::Result<bool> HoldPart(const store::Post& post, store::PostPart& part,
                              const Publisher::Hold& hold);
  // Applies a delivery's outcome to its part (under mu_).
  core::Status ApplyDelivery(const Delivery& d);
  core::Status Settle();  // Start's catch-up
  core::Status EnsureConfigPosts();

  std::string Key(const store::Post& post, const store::PostPart& part) const;
  // Stores a changed post and tells the subscribers (`change`: CalendarEvent::change).
  core::Result<store::Post> Save(const store::Post& post, std::string_view change);
  void Announce(const store::Post& post, std::string_view change);
  // Cancels the post's due timer for `due` (hygiene: a stale one would find nothing due).
  void Disarm(const std::string& post_id, store::Time due);

  void Timeline(const std::string& incident, std::string_view type, std::string message,
                nlohmann::json data);
  store::Time Now() const;
  void Log(std::string_view line) const;

  CalendarConfig config_;
  Publisher& publisher_;
  store::Store& store_;
  timers::Scheduler& scheduler_;
  CalendarOptions options_;
  core::Clock& clock_;
  // Cleared when the calendar goes, so a late timer finds no calendar instead of a dangling one.
  struct Gate;
  std::shared_ptr<Gate> gate_;
  std::unique_ptr<core::Subscription> deliveries_;
  core::Listeners<CalendarEvent> listeners_;

  std::mutex mu_;  // serialises decisions on posts and parts (timers, notices, people)

  std::mutex queue_mu_;  // guards queue_, busy_, stopping_, started_
  std::condition_variable queue_cv_;
  std::condition_variable idle_cv_;
  std::deque<Work> queue_;
  bool busy_ = false;
  bool stopping_ = false;
  bool started_ = false;
  std::thread thread_;
};

// "“Black Friday starts…”": a post's text cut for one line of a timeline or a list.
std::string Excerpt(std::string_view text, std::size_t max = 40);

}  // namespace lifeline::calendar
