// The inbox's slice of the store (Store::Inbox()): one conversation per contact across channels,
// each contact's addresses per relay channel, and every message in and out, stored once per
// platform id (a webhook retry stores nothing twice) with the platform's timestamp beside the
// arrival time, so that messages replayed after downtime sort where they belong.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "store/records.h"

namespace lifeline::store {

enum class ConversationState { kOpen, kPending, kSnoozed, kResolved };
std::string_view ConversationStateName(ConversationState s);  // "open", "pending", ...
std::optional<ConversationState> ParseConversationState(std::string_view s);

struct Conversation {
  std::string id;       // "conv_" + 16 hex characters, derived from the contact
  std::string contact;  // a relay contact's id, or "ct_" + 16 hex for one the config does not know
  std::string name;     // the name the platform gave ("" = none)
  std::string channel;  // the relay channel the conversation is on now
  std::string address;  // the contact's address on it
  ConversationState state = ConversationState::kOpen;
  int priority = 0;      // 0 none, 1 low, 2 medium, 3 high, 4 urgent
  std::string assignee;  // a person or a role ("" = nobody)
  // The platform time of the oldest customer message not answered yet; unset when nobody waits.
  std::optional<Time> waiting_since;
  std::optional<Time> first_reply_at;   // the first reply ever sent in it
  std::optional<Time> last_inbound_at;  // the customer's last message (platform time)
  std::optional<Time> last_message_at;
  std::optional<Time> snoozed_until;
  std::string link_token;  // carried by move messages; a message carrying it joins this thread
  std::string moved_from;  // the channel it was moved away from last ("" = never moved)
  std::optional<Time> moved_at;
  Time created_at;
  Time updated_at;
};

enum class Direction { kIn, kOut };

struct InboxMessage {
  std::int64_t seq = 0;  // store order
  std::string id;        // "msg_" + 16 hex, derived from platform and platform_id
  std::string conversation_id;
  Direction direction = Direction::kIn;
  std::string channel;
  std::string address;
  std::string source;       // the inbox source it came through ("relay" for replies)
  std::string platform;     // the scope platform ids are unique in (ConversationKey docs)
  std::string platform_id;  // the platform's own id
  Time sent_at;             // the platform's timestamp
  Time received_at;         // when Lifeline stored it
  std::string text;
  std::string kind = "text";
  std::string author;    // out: who sent it
  std::string relay_id;  // out: the relay's message id
  std::string status;    // out: the relay's outcome: queued, delivered, failed, ...
  // out: the platform's id of our message once the relay delivered it (WhatsApp's wamid), and
  // what the platform reported of it since (WhatsApp statuses): sent, delivered, read or failed,
  // when, and a failure's error. "" / unset when it reported nothing.
  std::string remote_id;
  std::string platform_status;
  std::optional<Time> platform_status_at;
  std::string platform_error;
};

// A delivery status the platform reported for one of our messages (WhatsApp's statuses[]).
struct PlatformStatus {
  std::string platform;   // "whatsapp"
  std::string remote_id;  // the platform's id of our message (wamid)
  std::string status;     // sent, delivered, read, failed
  Time at;                // the platform's time
  std::string error;      // failed: what the platform said
  Time received_at;
};

// An inbound message as a webhook or a poll delivers it.
struct NewInbound {
  std::string source;
  std::string platform;
  std::string platform_id;
  std::string channel;  // the relay channel the source's conversations reply through
  std::string address;  // the sender on that channel
  std::string name;
  Time sent_at;
  Time received_at;
  std::string text;
  std::string kind = "text";
  // Used when (channel, address) is not known yet: the relay contact the config gives for it
  // ("" = none: a new contact), or a conversation's link token the message carries ("" = none;
  // takes precedence).
  std::string config_contact;
  std::string link_token;
};

struct Ingested {
  InboxMessage message;
  Conversation conversation;
  bool created = false;  // false: the platform id was already stored (a retry): nothing changed
};

// A reply or a move message sent through the relay.
struct NewOutbound {
  std::string conversation_id;
  std::string channel;
  std::string address;
  std::string relay_key;  // the relay idempotency key: the message's platform id is "relay:KEY"
  std::string relay_id;
  std::string status = "queued";
  std::string text;
  std::string author;
  Time at;
  // A reply answers the customer (clears waiting_since, sets first_reply_at); a move message
  // does not.
  bool answers = true;
};

struct ConversationQuery {
  std::optional<ConversationState> state;
  std::string channel;   // "" = any
  std::string assignee;  // "" = any
  bool waiting_only = false;
  std::size_t limit = 500;
};

struct InboxMessageQuery {
  std::string conversation_id;  // "" = any
  std::optional<Direction> direction;
  std::optional<Time> received_from, received_to;  // received_at in [from, to)
  std::size_t limit = 1000;
};

struct ConversationPatch {
  std::optional<ConversationState> state;
  std::optional<std::string> assignee;
  std::optional<int> priority;
  std::optional<std::optional<Time>> snoozed_until;
  Time at;
};

// One failover move (the plan's move_conversations step) of one conversation.
struct Move {
  std::string key;  // the step's key + "/" + the conversation's id: stored once
  std::string conversation_id;
  std::string incident_id;
  std::string from_channel;
  std::string to_channel;
  std::string to_address;
  std::string relay_id;
  Time at;
  std::string from_address;  // the contact's address on from_channel
  std::string from_name;     // the failed channel as people know it ("WhatsApp")
  std::string from_link;     // how customers reach it (the plan inventory's link), "" = none
  std::string to_name;       // the backup as people know it ("Telegram @brand")
  // What the customer is told once the platform is back (the step's on_restoration): "" nothing,
  // "stay" (it works again; we go on here), "back" (it works again; we go on there, and the
  // conversation moves back).
  std::string on_restoration;
  std::optional<Time> restored_at;  // when that was done (or found not to apply)
  std::string restored_note;        // what was done: "told on brand-telegram; moved back", ...
};

// The end of a move's after-restoration notice.
struct RestorationDone {
  std::string key;  // the move's
  Time at;
  std::string note;
  // Moves the conversation back to (from_channel, from_address) when it is still where the move
  // put it (a customer who wrote elsewhere since is where they wrote).
  bool move_back = false;
};

// Where an IMAP source has read its mailbox up to: every UID up to `last_uid` of the mailbox's
// `uidvalidity` is stored (a different UIDVALIDITY means the UIDs were reassigned).
struct ImapCursor {
  std::string source;
  std::int64_t uidvalidity = 0;
  std::int64_t last_uid = 0;
  Time updated_at;
};

// The headers of a stored e-mail a reply needs: its subject ("Re: ...") and threading ids.
struct EmailHeaders {
  std::string message_id;  // the inbox message (msg_...)
  std::string subject;
  std::string header_id;   // the Message-ID header as written ("<...>"), "" = none
  std::string references;  // the References header, "" = none
};

// What one catch-up found on one source (catch_up.h).
struct CatchUpRecord {
  std::int64_t seq = 0;
  std::string incident_id;  // "" = asked for without an incident
  std::string source;
  std::string kind;
  Time since, until, at;
  bool looked = false;                  // false: it could not look (`reason` says why)
  std::optional<std::int64_t> found;    // messages the platform had in the span
  std::optional<std::int64_t> fresh;    // of which not stored before: the gap
  std::optional<std::int64_t> pending;  // Telegram: updates it still holds for the webhook
  std::string reason;
  std::string detail;  // JSON
};

// Same contract as Store (store.h): thread-safe, atomic, durable (synchronous=FULL: a message is
// on disk when Ingest returns, before the webhook answers 200), errors only for the store failing
// or bad input (kInvalidArgument naming the field).
class InboxStore {
 public:
  virtual ~InboxStore() = default;

  // Stores an inbound message in one transaction: finds the contact by (channel, address) — or
  // by the link token, the config contact, or a new one — and its conversation (created when
  // absent), stores the message unless (platform, platform_id) is stored already (then returns
  // that one, created=false, and changes nothing), and updates the conversation: it moves to the
  // message's channel and address, waiting_since becomes the oldest unanswered message's platform
  // time, a snoozed, pending or resolved conversation opens again.
  [[nodiscard]] virtual core::Result<Ingested> Ingest(const NewInbound& message) = 0;
  // Ingest without holding the caller's thread: `done` gets what Ingest would return, once the
  // message is durably stored (or not), possibly on the store's own committing thread — so it
  // must be short and must not write through the store itself. A store without such a thread
  // (this default) stores now and calls `done` before returning.
  virtual void IngestAsync(const NewInbound& message,
                           std::function<void(core::Result<Ingested>)> done) {
    done(Ingest(message));
  }
  // Stores a message sent through the relay (idempotent by relay_key). A reply clears
  // waiting_since and sets first_reply_at when unset. kNotFound for an unknown conversation.
  [[nodiscard]] virtual core::Result<InboxMessage> AddOutbound(const NewOutbound& message) = 0;
  // Sets an outbound message's status by its relay id, and its remote id when not empty; OK and
  // nothing changed when unknown.
  [[nodiscard]] virtual core::Status SetOutboundStatus(std::string_view relay_id,
                                                       std::string_view status,
                                                       std::string_view remote_id = {}) = 0;
  // Records a platform's delivery status of one of our messages, whether or not the message's
  // remote id is known yet (a status may arrive before the relay records what it sent): the
  // furthest one is kept (sent < failed < delivered < read: WhatsApp may report "delivered" from
  // one device after "failed" from another, and statuses arrive in any order). Returns the
  // conversation of the message when the remote id is one of ours and the status changed.
  [[nodiscard]] virtual core::Result<std::optional<std::string>> ApplyStatus(
      const PlatformStatus& status) = 0;
  // ApplyStatus as IngestAsync is to Ingest.
  virtual void ApplyStatusAsync(
      const PlatformStatus& status,
      std::function<void(core::Result<std::optional<std::string>>)> done) {
    done(ApplyStatus(status));
  }
  // Records that (channel, address) is `contact`'s (from the config's contacts); keeps an
  // existing mapping.
  [[nodiscard]] virtual core::Status AddAddress(std::string_view contact, std::string_view channel,
                                                std::string_view address, Time at) = 0;
  // The contact's addresses as (channel, address), oldest first.
  [[nodiscard]] virtual core::Result<std::vector<std::pair<std::string, std::string>>> Addresses(
      std::string_view contact) = 0;

  // kNotFound for an unknown id.
  [[nodiscard]] virtual core::Result<Conversation> Get(std::string_view id) = 0;
  // Waiting ones first (longest waiting first), then by last message, newest first; then id.
  [[nodiscard]] virtual core::Result<std::vector<Conversation>> List(
      const ConversationQuery& query) = 0;
  // By platform time, then arrival, then store order.
  [[nodiscard]] virtual core::Result<std::vector<InboxMessage>> Messages(
      const InboxMessageQuery& query) = 0;
  // kNotFound for an unknown id.
  [[nodiscard]] virtual core::Result<Conversation> Update(std::string_view id,
                                                          const ConversationPatch& patch) = 0;

  // The stored move with this key, if any.
  [[nodiscard]] virtual core::Result<std::optional<Move>> FindMove(std::string_view key) = 0;
  // Stores the move and moves the conversation to (to_channel, to_address) in one transaction;
  // kAlreadyExists when the key is stored.
  [[nodiscard]] virtual core::Result<Conversation> RecordMove(const Move& move) = 0;
  // An incident's moves, by time.
  [[nodiscard]] virtual core::Result<std::vector<Move>> Moves(std::string_view incident_id) = 0;

  // An IMAP source's cursor (nullopt: it never stored a mail).
  [[nodiscard]] virtual core::Result<std::optional<ImapCursor>> GetImapCursor(
      std::string_view source) = 0;
  // Sets it (synced: called after the mail it covers is stored).
  [[nodiscard]] virtual core::Status SetImapCursor(const ImapCursor& cursor) = 0;
  // Keeps the first headers stored for a message.
  [[nodiscard]] virtual core::Status SaveEmailHeaders(const EmailHeaders& headers) = 0;
  // The headers of the conversation's latest inbound e-mail (by platform time), if any.
  [[nodiscard]] virtual core::Result<std::optional<EmailHeaders>> LatestEmailHeaders(
      std::string_view conversation_id) = 0;
  // Stores one source's catch-up result; returns it with its seq.
  [[nodiscard]] virtual core::Result<CatchUpRecord> AddCatchUp(const CatchUpRecord& record) = 0;
  // The catch-ups of an incident ("" = those without one), oldest first.
  [[nodiscard]] virtual core::Result<std::vector<CatchUpRecord>> CatchUps(
      std::string_view incident_id, std::size_t limit = 1000) = 0;
  // Moves whose after-restoration notice is still to do (on_restoration set, restored_at unset),
  // by time.
  [[nodiscard]] virtual core::Result<std::vector<Move>> PendingRestorations() = 0;
  // Marks the move's notice done and, when asked, moves the conversation back, in one
  // transaction. kNotFound for an unknown key; done twice changes nothing the second time.
  [[nodiscard]] virtual core::Result<Conversation> FinishRestoration(
      const RestorationDone& done) = 0;
};

// Ids derived from their natural keys, the same in every dialect.
std::string ConversationIdFor(std::string_view contact);
std::string NewContactId(std::string_view channel, std::string_view address);
std::string MessageIdFor(std::string_view platform, std::string_view platform_id);
// A fresh random token for a new conversation, what its move messages carry: "ll" + 10
// lowercase base-32 characters (50 random bits).
std::string NewLinkToken();
// The first link token in `text` ("" = none): "ll" + 10 base-32 characters standing alone.
std::string FindLinkToken(std::string_view text);

// Input checks every dialect makes (kInvalidArgument naming the field).
core::Status ValidateInbound(const NewInbound& m);
// A platform status's place in the order ApplyStatus keeps the furthest of: sent 1, failed 2,
// delivered 3, read 4; 0 for anything else (refused with kInvalidArgument by ValidateStatus).
int PlatformStatusRank(std::string_view status);
core::Status ValidateStatus(const PlatformStatus& s);

}  // namespace lifeline::store
