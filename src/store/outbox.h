// The relay's durable outbox: every message Lifeline promised to deliver (team alerts, audience
// announcements, customer replies), its state, and the timeline of its attempts. Reached through
// Store::Outbox(); the delivery logic itself lives in src/channels/outbox.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "store/records.h"

namespace lifeline::store {

// The life of a message:
//
//   queued ──claim──> sending ──> delivered
//     ^                  │ ├───> retry_scheduled ──(due)──> claimed again
//     │                  │ ├───> unconfirmed ──Decide──> delivered | queued
//     │                  │ ├───> failed            (the far side refused it for good)
//     │                  │ └───> dead_lettered     (out of attempts or too old)
//     └── Retry (failed, dead_lettered, unconfirmed, cancelled)
//   queued | retry_scheduled | unconfirmed ──Cancel──> cancelled
enum class MessageState {
  kQueued,
  kSending,  // claimed by a delivery worker: an attempt may be in flight
  kDelivered,
  kRetryScheduled,
  kUnconfirmed,  // an attempt's answer was lost and the channel cannot deduplicate: a person
                 // decides
  kFailed,
  kDeadLettered,
  kCancelled,
};

inline constexpr MessageState kAllMessageStates[] = {
    MessageState::kQueued,         MessageState::kSending,     MessageState::kDelivered,
    MessageState::kRetryScheduled, MessageState::kUnconfirmed, MessageState::kFailed,
    MessageState::kDeadLettered,   MessageState::kCancelled,
};

// "queued", "sending", "delivered", "retry_scheduled", "unconfirmed", "failed", "dead_lettered",
// "cancelled": the names the API, the CLI and the database use.
std::string_view MessageStateName(MessageState s);
std::optional<MessageState> ParseMessageState(std::string_view name);
// Nothing more happens to a message in a final state unless a person retries it.
bool IsFinal(MessageState s);  // delivered, failed, dead_lettered, cancelled

// What a caller asks the outbox to deliver.
struct NewMessage {
  // Required, at most 200 bytes. Enqueueing a key that is already stored stores nothing and
  // returns the stored message (whatever the rest of this NewMessage says).
  std::string idempotency_key;
  std::string channel;    // required: the configured channel's name
  std::string contact;    // the contact it is addressed to ("" for none): lets the router fail over
  std::string recipient;  // the address on `channel`; "" = the channel's default recipient
  std::string subject;
  std::string text;  // required
  std::string html;
  std::string incident_id;  // the incident it belongs to, "" for none
  std::string route;        // why this channel was chosen, when a router chose it
  // Links to images or videos the post carries (ValidateMedia); stored as a JSON array.
  std::vector<std::string> media;
  Time created_at;
  std::optional<Time> not_before;  // first attempt not before this; unset = created_at
};

// The checks Enqueue makes on each message (kInvalidArgument naming the field: an empty key,
// channel or text; a key over 200 bytes; a name over 200 bytes; a text over 1 MiB; media as
// ValidateMedia says). Callers that batch other callers' messages run it first, so one bad
// message cannot fail the others.
core::Status ValidateNewMessage(const NewMessage& m);

inline constexpr std::size_t kMaxMedia = 10;            // links per message (Instagram's carousel)
inline constexpr std::size_t kMaxMediaUrlBytes = 2048;  // per link
// At most kMaxMedia links, each an absolute http:// or https:// URL with a host, without spaces
// or control characters, at most kMaxMediaUrlBytes. kInvalidArgument naming the link
// ("media[2]: ...").
core::Status ValidateMedia(std::span<const std::string> media);

struct OutboxMessage {
  std::string id;  // "msg_" + 26 characters that sort by created_at
  std::string idempotency_key;
  std::string channel;
  std::string contact;
  std::string recipient;
  std::string subject;
  std::string text;
  std::string html;
  std::string incident_id;
  std::vector<std::string> media;  // as enqueued; [] for messages stored before media existed
  MessageState state = MessageState::kQueued;
  // Attempts on the current channel (a failover to another channel starts again at 0; the
  // events keep every attempt). A claim counts one.
  int attempts = 0;
  // Set exactly when state is queued or retry_scheduled: when the message is due.
  std::optional<Time> next_attempt_at;
  Time created_at;
  Time updated_at;
  std::string remote_id;    // the far side's id of the delivered message, when it gave one
  std::string last_reason;  // the latest attempt's or decision's one-line reason
  // How the message got to its channel, for a person: "whatsapp: circuit open, Meta outage since
  // 10:02; sent by telegram". "" when it was addressed to a channel directly.
  std::string route;
  std::int64_t last_seq = 0;  // the newest event's seq
};

// One entry of a message's append-only timeline.
struct MessageEvent {
  std::string message_id;
  std::int64_t seq = 0;  // 1, 2, 3, ... per message, no gaps; 1 is "queued"
  Time at;
  // What happened: usually the new state's name; also "rerouted", "retried", "decided",
  // "released" (a claim given back without an attempt), "recovered" (found in `sending` at start).
  std::string type;
  MessageState state = MessageState::kQueued;  // the state after the event
  std::string detail;                          // one line for a person
  std::string answer_json = "{}";  // the far side's answer (status, code, id), any JSON object
};

struct Enqueued {
  OutboxMessage message;
  bool created = false;  // false: the idempotency key was already stored; `message` is that one
};

// Claim up to `limit` due messages of one channel.
struct ClaimRequest {
  std::string channel;
  std::size_t limit = 0;
  // Only messages addressed to a contact (which a router may move to another channel): what the
  // relay claims from a channel whose circuit is open.
  bool contact_only = false;
};

// What became of a claimed (`sending`) message. Unset or empty fields leave the column as it is.
struct MessageUpdate {
  std::string id;
  // Any state but kSending. kQueued and kRetryScheduled need next_attempt_at.
  MessageState state = MessageState::kDelivered;
  Time at;
  std::optional<Time> next_attempt_at;
  std::string remote_id;
  std::string reason;              // becomes last_reason and, unless `detail` is set, the detail
  std::string detail;              // the event's detail
  std::string answer_json = "{}";  // the event's far-side answer
  std::string event_type;          // "" = the new state's name
  // Failover: the message moves to `channel` (with `recipient`) and its attempts restart at 0.
  std::string channel;
  std::string recipient;
  std::string route;  // non-empty: replaces the route text
  // The claim is given back without an attempt having been made (circuit open, no token): the
  // claim's attempt is not counted.
  bool release = false;
};

// One step of a relay: its delivery outcomes, the messages accepted since the last step, and its
// next claims, stored in one transaction (one sync for all).
struct StepRequest {
  std::span<const MessageUpdate> updates;
  std::span<const NewMessage> enqueue;
  Time now;  // for the claims
  std::span<const ClaimRequest> claims;
};

struct StepResult {
  std::vector<OutboxMessage> updated;  // as Update returns them
  std::vector<Enqueued> enqueued;      // as Enqueue returns them
  std::vector<OutboxMessage> claimed;  // as ClaimDue returns them
};

struct MessageQuery {
  std::optional<MessageState> state;  // unset: every state
  std::string channel;                // "" = every channel
  std::string incident_id;            // "" = any (with or without an incident)
  std::string contact;                // "" = any
  std::size_t limit = 50;             // 1..1000
  std::string cursor;                 // MessagePage::next_cursor of the previous page
};

struct MessagePage {
  std::vector<OutboxMessage> messages;  // newest first (by enqueue order)
  std::string next_cursor;              // empty on the last page
};

struct MessageDetail {
  OutboxMessage message;
  std::vector<MessageEvent> events;  // by seq
};

struct StateCount {
  std::string channel;
  MessageState state = MessageState::kQueued;
  std::int64_t count = 0;
};

// Contract (the Store contract's rules on thread-safety, errors and times hold here too):
//
// Thread-safety: every method may be called from any thread at once.
//
// Durability: every write is one transaction that, once it returns OK, survives kill -9 and power
// loss (SQLite: WAL synced at commit). So a caller may acknowledge a message once Enqueue has
// returned it, and a delivery worker may send a message once ClaimDue has returned it.
//
// Batching: Enqueue, ClaimDue and Update take many messages and write them in one transaction
// (group commit): that is how the outbox reaches thousands of messages per second with a sync per
// commit. Validation happens before the transaction, so one bad item fails the whole call and
// stores nothing.
//
// Errors: the store failing (any code the Store contract names), kInvalidArgument for bad input
// (naming the field), kNotFound for an unknown message id, kFailedPrecondition for an operation
// the message's state does not allow (cancelling a delivered message). A message changed by
// another caller between a read and a write is never overwritten blindly: Update only applies to
// messages still in `sending`, Retry/Cancel/Decide check the state in the same transaction.
//
// Single claimer: a message in `sending` belongs to the worker that claimed it. On SQLite one relay
// owns the database (it runs RecoverAfterCrash at start, before claiming). On a store several
// instances share (Store::Cluster() not null), each claim carries the claiming instance's id:
// RecoverAfterCrash and RecoverOrphans take back only claims of instances that are not alive
// (cluster.h), and Update applies only to the caller's own claims.
class OutboxStore {
 public:
  virtual ~OutboxStore() = default;

  // Stores each message as queued with a "queued" event (seq 1), or finds the stored message with
  // its idempotency key; results are in the order given. A key repeated within the batch stores
  // one message (the first) and returns it for each.
  [[nodiscard]] virtual core::Result<std::vector<Enqueued>> Enqueue(
      std::span<const NewMessage> messages) = 0;

  // Atomically moves due messages (queued or retry_scheduled with next_attempt_at <= now) of each
  // requested channel to `sending`, counts an attempt, appends a "sending" event, and returns them
  // (per request, earliest due first; requests in order). A request for an unknown channel claims
  // nothing. Uses an index per channel, so a backlog of other channels costs nothing.
  [[nodiscard]] virtual core::Result<std::vector<OutboxMessage>> ClaimDue(
      Time now, std::span<const ClaimRequest> requests) = 0;

  // The earliest next_attempt_at among `channel`'s queued and retry_scheduled messages (only
  // those with a contact when contact_only), or nullopt when none waits.
  [[nodiscard]] virtual core::Result<std::optional<Time>> NextDue(std::string_view channel,
                                                                  bool contact_only = false) = 0;

  // Applies each update to its message if the message is still in `sending`, appending one event
  // each; updates for messages in any other state (or unknown ids) are skipped. Returns the
  // messages as updated, in the order given, skipped ones left out.
  [[nodiscard]] virtual core::Result<std::vector<OutboxMessage>> Update(
      std::span<const MessageUpdate> updates) = 0;

  // Update, Enqueue and ClaimDue (in this order, so a failed-over or new message due now can be
  // claimed at once) in one transaction: all or nothing. A relay calls this once per cycle, so
  // one sync covers what would otherwise take three.
  [[nodiscard]] virtual core::Result<StepResult> Step(const StepRequest& step) = 0;

  // A message and its whole timeline; kNotFound for an unknown id.
  [[nodiscard]] virtual core::Result<MessageDetail> Get(std::string_view id) = 0;
  // The message stored under an idempotency key; kNotFound when none.
  [[nodiscard]] virtual core::Result<OutboxMessage> FindByKey(std::string_view key) = 0;

  // Newest first, keyset-paged (pages never skip a message; a message may move between state
  // filters while a client pages). Every filter combination uses an index: a page costs the same
  // with a million stored messages as with ten.
  [[nodiscard]] virtual core::Result<MessagePage> List(const MessageQuery& query) = 0;

  // failed, dead_lettered, unconfirmed or cancelled -> queued, due at `at`, attempts back to 0,
  // with a "retried" event carrying `note` (who asked). kFailedPrecondition in other states.
  [[nodiscard]] virtual core::Result<OutboxMessage> Retry(std::string_view id, Time at,
                                                          std::string_view note) = 0;
  // queued, retry_scheduled or unconfirmed -> cancelled. kFailedPrecondition in other states
  // (a message being sent cannot be called back).
  [[nodiscard]] virtual core::Result<OutboxMessage> Cancel(std::string_view id, Time at,
                                                           std::string_view note) = 0;
  // A person's decision on an unconfirmed message: it did arrive (-> delivered) or send it again
  // (-> queued, due at `at`). kFailedPrecondition unless the message is unconfirmed.
  [[nodiscard]] virtual core::Result<OutboxMessage> Decide(std::string_view id, bool delivered,
                                                           Time at, std::string_view note) = 0;

  // Resolves messages left in `sending` by a crash, in one transaction: those on a channel in
  // `deduplicating_channels` (a second try cannot make a duplicate) go back to queued, due at
  // `at`; all others become unconfirmed for a person to decide. Call once at start, before any
  // claim. Returns the messages it changed.
  [[nodiscard]] virtual core::Result<std::vector<OutboxMessage>> RecoverAfterCrash(
      Time at, std::span<const std::string> deduplicating_channels) = 0;
  // RecoverAfterCrash while running, for a store several instances share: resolves the messages
  // in `sending` whose claiming instance is not alive at `at` (it was killed mid-send), never the
  // caller's own or a live instance's. A claimer that never wrote a heartbeat (no membership
  // loop) counts as dead only once its claim is 5 minutes old. The relay calls it every little
  // while. A store one relay owns has no one else's claims: this default returns nothing.
  [[nodiscard]] virtual core::Result<std::vector<OutboxMessage>> RecoverOrphans(
      Time at, std::span<const std::string> deduplicating_channels) {
    (void)at;
    (void)deduplicating_channels;
    return std::vector<OutboxMessage>{};
  }

  // How many messages each channel has in each state (states with none are absent), by channel
  // then state. Kept as counters by the store, so this costs the same however many messages.
  [[nodiscard]] virtual core::Result<std::vector<StateCount>> Counts() = 0;

  // Deletes messages in a final state last updated before `before`, with their events; returns
  // how many. Messages that may still change are never deleted.
  [[nodiscard]] virtual core::Result<std::int64_t> PruneFinal(Time before) = 0;
};

}  // namespace lifeline::store
