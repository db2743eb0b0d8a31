// The content calendar's slice of the store (Store::Calendar()): scheduled posts and, per post, one
// part per target channel with its own state, due time, hold and relay message. A part is what
// goes out on one channel, so a post can be published on one channel and held on another.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "store/records.h"

namespace lifeline::store {

// What became of a post's part on one channel.
enum class PartState {
  kScheduled,  // waits for its due time
  kHeld,       // due during an incident on its channel's platform (or held by a person)
  kQueued,     // handed to the relay (message_key, message_id): not delivered yet
  kPublished,  // the relay delivered it (remote_id: the platform's post id, when it gives one)
  kFailed,     // the relay could not deliver it (or a person cancelled the message)
  kDropped,    // deliberately not published (expired, or dropped by a person)
  kCancelled,  // its post was cancelled by a person before this part went out
};
std::string_view PartStateName(PartState s);
std::optional<PartState> ParsePartState(std::string_view s);

// A post's state, summarised from its parts: held when any part is held; else scheduled when any
// waits; else publishing while any is with the relay; else cancelled when any was cancelled; else
// failed when any failed; else published when any was published; else dropped.
enum class PostState { kScheduled, kHeld, kPublishing, kPublished, kFailed, kDropped, kCancelled };
std::string_view PostStateName(PostState s);
std::optional<PostState> ParsePostState(std::string_view s);

struct PostPart {
  std::string channel;  // a relay channel's name
  PartState state = PartState::kScheduled;
  Time due;                 // when it goes out: the post's time, or where a release moved it
  std::string held_by;      // while held: the incident holding it ("" = none)
  std::string hand_hold;    // while held by a person: who ("" = none)
  std::string incident_id;  // the last incident that held it (kept after the release)
  int generation = 0;       // bumped when a queued message is called back into a hold
  std::string message_key;  // the relay idempotency key of the current attempt ("" = none yet)
  std::string message_id;   // the relay's message id
  std::string remote_id;    // the platform's post id, once published
  std::string note;         // the last thing that happened, for people
  std::optional<Time> published_at;
  Time updated_at;
  // After publication, what the platform said when Lifeline looked the post up by remote_id:
  // "" (not yet), "present", "missing" (the platform says it is not there), "unknown" (no clear
  // answer after the retries), "unsupported" (the channel cannot look posts up).
  std::string verified;
  std::string verify_note;  // the permalink, or why
  std::optional<Time> verified_at;
};

struct Post {
  std::string id;  // letters, digits, '_', '-', '.'; at most 64
  std::string text;
  std::vector<std::string> media;           // links, published after the text
  Time at;                                  // the scheduled time
  std::optional<Time> expires;              // after this it is dropped rather than published late
  PostState state = PostState::kScheduled;  // computed by the store from the parts
  std::string source;                       // "config", "api", "cli", "csv:FILE"
  std::string by;                           // who added it
  std::vector<PostPart> parts;              // at least one, in the order given
  Time created_at;
  Time updated_at;
  // The last edit (text, media, channels, time): who and when; "" and unset when never edited.
  std::string edited_by;
  std::optional<Time> edited_at;
  // A cancelled post stays stored (its parts that had not gone out are kCancelled): who cancelled
  // it and when; "" and unset when it was not.
  std::string cancelled_by;
  std::optional<Time> cancelled_at;
};

PostState Summarise(const std::vector<PostPart>& parts);

struct PostQuery {
  std::optional<PostState> state;
  std::string channel;           // "" = any: posts with a part on this channel
  std::optional<Time> from, to;  // at in [from, to)
  std::size_t limit = 1000;
};

// A part with its post's id.
struct PartRef {
  std::string post_id;
  PostPart part;
};

struct PartQuery {
  std::optional<PartState> state;
  std::string channel;                   // "" = any
  std::string held_by;                   // "" = any
  std::string message_key;               // "" = any
  std::optional<Time> due_from, due_to;  // due in [due_from, due_to)
  std::size_t limit = 10000;
};

// Same contract as Store (store.h): thread-safe, atomic, durable (synchronous=FULL), errors only
// for the store failing or bad input (kInvalidArgument naming the field).
class CalendarStore {
 public:
  virtual ~CalendarStore() = default;

  // Stores the posts and their parts in one transaction, all or none; each post's state is
  // computed from its parts. kAlreadyExists naming the first id already stored.
  [[nodiscard]] virtual core::Result<std::vector<Post>> Add(std::span<const Post> posts) = 0;
  // kNotFound for an unknown id.
  [[nodiscard]] virtual core::Result<Post> Get(std::string_view id) = 0;
  // By scheduled time, then id.
  [[nodiscard]] virtual core::Result<std::vector<Post>> List(const PostQuery& query) = 0;
  // Replaces a stored post (by id) and its parts in one transaction — text, media, time, expiry,
  // the parts (channels added or removed), the edit and the cancellation; created_at is kept,
  // the state recomputed. kNotFound for an unknown id. Posts are never deleted: a cancelled post
  // is an update (Post::cancelled_by, parts kCancelled).
  [[nodiscard]] virtual core::Result<Post> Update(const Post& post) = 0;
  // Parts by due time, then post id and channel.
  [[nodiscard]] virtual core::Result<std::vector<PartRef>> ListParts(const PartQuery& query) = 0;
};

// Input checks every dialect makes (kInvalidArgument naming the field).
core::Status ValidatePost(const Post& p);

}  // namespace lifeline::store
