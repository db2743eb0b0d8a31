// The PostgreSQL outbox (store/outbox.h): all of its SQL. Every write is one transaction on the
// store's pool, committed with synchronous_commit on (Sync::kFull), so an accepted message
// survives a server crash and power loss.
#include "store/pg/outbox.h"

#include <algorithm>
#include <string>
#include <unordered_set>
#include <utility>

#include <nlohmann/json.hpp>

#include "store/common.h"
#include "store/outbox_common.h"

namespace lifeline::store::pg {
namespace {

using core::ErrorCode;
using core::MakeError;
using core::Result;
using core::Status;
using Sync = Pool::Sync;

// The columns MessageFromRow reads, in its order; pos last (the page cursor).
constexpr std::string_view kColumns =
    "id, idempotency_key, channel, contact, recipient, subject, text, html, incident_id, state, "
    "attempts, next_attempt_at, created_at, updated_at, remote_id, last_reason, route, last_seq, "
    "media, pos";
constexpr int kPosColumn = 19;

std::string MediaJson(const std::vector<std::string>& media) {
  return nlohmann::json(media).dump();
}

// A stored JSON array of links; anything else (a row written by hand) reads as none.
std::vector<std::string> MediaFromJson(const std::string& text) {
  std::vector<std::string> out;
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_array()) return out;
  for (const auto& v : j) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

OutboxMessage MessageFromRow(const Row& r) {
  OutboxMessage m;
  m.id = r.ColText(0);
  m.idempotency_key = r.ColText(1);
  m.channel = r.ColText(2);
  m.contact = r.ColText(3);
  m.recipient = r.ColText(4);
  m.subject = r.ColText(5);
  m.text = r.ColText(6);
  m.html = r.ColText(7);
  m.incident_id = r.ColText(8);
  m.state = ParseMessageState(r.ColText(9)).value_or(MessageState::kQueued);
  m.attempts = static_cast<int>(r.ColInt(10));
  m.next_attempt_at = r.ColOptTime(11);
  m.created_at = r.ColTime(12);
  m.updated_at = r.ColTime(13);
  m.remote_id = r.ColText(14);
  m.last_reason = r.ColText(15);
  m.route = r.ColText(16);
  m.last_seq = r.ColInt(17);
  m.media = MediaFromJson(r.ColText(18));
  return m;
}

// Appends the event numbered m.last_seq (the UPDATE that produced `m` already counted it).
Status InsertEvent(Conn& c, const OutboxMessage& m, Time at, std::string_view type,
                   std::string_view detail, std::string_view answer_json) {
  LL_ASSIGN(Rows r, c.Exec("INSERT INTO message_events (message_id, seq, at, type, state, detail, "
                           "answer) VALUES ($1::text, $2::bigint, $3::bigint, $4::text, $5::text, "
                           "$6::text, $7::text)",
                           Params()
                               .Text(m.id)
                               .Int(m.last_seq)
                               .Time(at)
                               .Text(type)
                               .Text(MessageStateName(m.state))
                               .Text(detail)
                               .Text(answer_json.empty() ? std::string_view("{}") : answer_json),
                           "storing a message event"));
  (void)r;
  return core::Ok();
}

// The state of message `id` for an error message; kNotFound when it does not exist.
Result<MessageState> CurrentState(Conn& c, std::string_view id) {
  LL_ASSIGN(Rows r, c.Exec("SELECT state FROM messages WHERE id = $1::text", Params().Text(id),
                           "reading a message's state"));
  if (r.empty()) return MakeError(ErrorCode::kNotFound, "no message {}", id);
  return ParseMessageState(r[0].ColText(0)).value_or(MessageState::kQueued);
}

class PgOutbox final : public OutboxStore {
 public:
  PgOutbox(Pool* pool, std::string self) : pool_(pool), self_(std::move(self)) {}

  Result<std::vector<Enqueued>> Enqueue(std::span<const NewMessage> messages) override;
  Result<std::vector<OutboxMessage>> ClaimDue(Time now,
                                              std::span<const ClaimRequest> requests) override;
  Result<std::optional<Time>> NextDue(std::string_view channel, bool contact_only) override;
  Result<std::vector<OutboxMessage>> Update(std::span<const MessageUpdate> updates) override;
  Result<StepResult> Step(const StepRequest& step) override;
  Result<MessageDetail> Get(std::string_view id) override;
  Result<OutboxMessage> FindByKey(std::string_view key) override;
  Result<MessagePage> List(const MessageQuery& query) override;
  Result<OutboxMessage> Retry(std::string_view id, Time at, std::string_view note) override;
  Result<OutboxMessage> Cancel(std::string_view id, Time at, std::string_view note) override;
  Result<OutboxMessage> Decide(std::string_view id, bool delivered, Time at,
                               std::string_view note) override;
  Result<std::vector<OutboxMessage>> RecoverAfterCrash(
      Time at, std::span<const std::string> deduplicating_channels) override {
    return Recover(at, deduplicating_channels, "");
  }
  Result<std::vector<OutboxMessage>> RecoverOrphans(
      Time at, std::span<const std::string> deduplicating_channels) override {
    return Recover(at, deduplicating_channels, self_);
  }
  Result<std::vector<StateCount>> Counts() override;
  Result<std::int64_t> PruneFinal(Time before) override;

 private:
  // Moves `id` from one of the states in `from_sql` (a SQL list) to `to` with one event; the
  // precondition error names the state it was in.
  Result<OutboxMessage> Transition(std::string_view id, std::string_view from_sql,
                                   std::string_view allowed, MessageState to,
                                   std::optional<Time> due, bool reset_attempts, Time at,
                                   std::string_view type, std::string_view detail);

  // RecoverAfterCrash and RecoverOrphans: the messages in `sending` whose claimer is not alive at
  // `at` (and is not `spare`, when set).
  Result<std::vector<OutboxMessage>> Recover(Time at, std::span<const std::string> dedupe,
                                             std::string_view spare);

  Pool* pool_;  // owned by the PgStore; its own mutex guards the idle sessions
  const std::string self_;
};

// Ids are drawn before the transaction (RAND_bytes is not worth holding a session for).
Result<std::vector<std::string>> NewIds(std::span<const NewMessage> messages) {
  std::vector<std::string> ids;
  ids.reserve(messages.size());
  for (const NewMessage& m : messages) {
    LL_TRY(ValidateNewMessage(m));
    LL_ASSIGN(std::string id, internal::NewId("msg_", m.created_at));
    ids.push_back(std::move(id));
  }
  return ids;
}

Result<std::vector<Enqueued>> EnqueueIn(Conn& c, std::span<const NewMessage> messages,
                                        const std::vector<std::string>& ids) {
  std::vector<Enqueued> out;
  out.reserve(messages.size());
  for (std::size_t i = 0; i < messages.size(); ++i) {
    const NewMessage& m = messages[i];
    Time due = m.not_before.value_or(m.created_at);
    // A concurrent enqueue of the same key (another instance) makes this insert wait for it and
    // then do nothing; the SELECT below (a new snapshot: READ COMMITTED) then sees its message.
    LL_ASSIGN(Rows ins,
              c.Exec("INSERT INTO messages (id, idempotency_key, channel, contact, recipient, "
                     "subject, text, html, incident_id, state, attempts, next_attempt_at, "
                     "created_at, updated_at, remote_id, last_reason, route, last_seq, media) "
                     "VALUES ($1::text, $2::text, $3::text, $4::text, $5::text, $6::text, "
                     "$7::text, $8::text, $9::text, 'queued', 0, $10::bigint, $11::bigint, "
                     "$11::bigint, '', '', $12::text, 1, $13::text) "
                     "ON CONFLICT (idempotency_key) DO NOTHING",
                     Params()
                         .Text(ids[i])
                         .Text(m.idempotency_key)
                         .Text(m.channel)
                         .Text(m.contact)
                         .Text(m.recipient)
                         .Text(m.subject)
                         .Text(m.text)
                         .Text(m.html)
                         .Text(m.incident_id)
                         .Time(due)
                         .Time(m.created_at)
                         .Text(m.route)
                         .Text(MediaJson(m.media)),
                     "enqueueing a message"));
    if (ins.affected() == 0) {
      LL_ASSIGN(Rows sel,
                c.Exec(Cat("SELECT ", kColumns, " FROM messages WHERE idempotency_key = $1::text"),
                       Params().Text(m.idempotency_key), "finding a stored message"));
      if (sel.empty()) {
        return MakeError(ErrorCode::kInternal, "message with key {} vanished during enqueue",
                         m.idempotency_key);
      }
      out.push_back({MessageFromRow(sel[0]), false});
      continue;
    }
    Enqueued e;
    e.created = true;
    OutboxMessage& o = e.message;
    o.id = ids[i];
    o.idempotency_key = m.idempotency_key;
    o.channel = m.channel;
    o.contact = m.contact;
    o.recipient = m.recipient;
    o.subject = m.subject;
    o.text = m.text;
    o.html = m.html;
    o.incident_id = m.incident_id;
    o.media = m.media;
    o.state = MessageState::kQueued;
    o.next_attempt_at = due;
    o.created_at = m.created_at;
    o.updated_at = m.created_at;
    o.route = m.route;
    o.last_seq = 1;
    LL_TRY(InsertEvent(c, o, m.created_at, "queued",
                       m.route.empty() ? fmt::format("accepted for {}", m.channel) : m.route,
                       "{}"));
    out.push_back(std::move(e));
  }
  return out;
}

Result<std::vector<Enqueued>> PgOutbox::Enqueue(std::span<const NewMessage> messages) {
  if (messages.empty()) return std::vector<Enqueued>{};
  LL_ASSIGN(std::vector<std::string> ids, NewIds(messages));
  return pool_->Write(Sync::kFull, "enqueueing messages",
                      [&](Conn& c) { return EnqueueIn(c, messages, ids); });
}

// RecoverOrphans: a claim by an instance that never wrote a heartbeat (a relay in a process
// without serve's membership loop) counts as abandoned only this long after it was made — longer
// than any attempt takes — since its claimer's liveness cannot be known sooner.
constexpr std::chrono::minutes kSilentClaimerAfter{5};

// Claims for `self` (the store's instance id), so that only a dead instance's claims are ever
// recovered while others run (RecoverOrphans).
Result<std::vector<OutboxMessage>> ClaimIn(Conn& c, Time now,
                                           std::span<const ClaimRequest> requests,
                                           std::string_view self) {
  std::vector<OutboxMessage> out;
  for (const ClaimRequest& r : requests) {
    if (r.limit == 0) continue;
    LL_ASSIGN(
        Rows rows,
        c.Exec(
            ClaimSql(r.contact_only),
            Params().Text(r.channel).Time(now).Int(static_cast<std::int64_t>(r.limit)).Text(self),
            "claiming due messages"));
    // RETURNING has no order: put them back in due order (due time, then enqueue order).
    struct Claimed {
      std::int64_t due;
      std::int64_t pos;
      OutboxMessage m;
    };
    std::vector<Claimed> claimed;
    claimed.reserve(static_cast<std::size_t>(rows.size()));
    for (int i = 0; i < rows.size(); ++i) {
      claimed.push_back(
          {rows[i].ColInt(kPosColumn + 1), rows[i].ColInt(kPosColumn), MessageFromRow(rows[i])});
    }
    std::sort(claimed.begin(), claimed.end(), [](const Claimed& a, const Claimed& b) {
      return a.due != b.due ? a.due < b.due : a.pos < b.pos;
    });
    for (Claimed& cl : claimed) {
      LL_TRY(InsertEvent(c, cl.m, now, "sending", fmt::format("attempt {}", cl.m.attempts), "{}"));
      out.push_back(std::move(cl.m));
    }
  }
  return out;
}

Result<std::vector<OutboxMessage>> PgOutbox::ClaimDue(Time now,
                                                      std::span<const ClaimRequest> requests) {
  return pool_->Write(Sync::kFull, "claiming due messages",
                      [&](Conn& c) { return ClaimIn(c, now, requests, self_); });
}

Result<std::optional<Time>> PgOutbox::NextDue(std::string_view channel, bool contact_only) {
  return pool_->Read("finding the next due message", [&](Conn& c) -> Result<std::optional<Time>> {
    LL_ASSIGN(Rows r,
              c.Exec(contact_only ? "SELECT min(next_attempt_at) FROM messages "
                                    "WHERE channel = $1::text AND next_attempt_at IS NOT NULL "
                                    "AND contact <> ''"
                                  : "SELECT min(next_attempt_at) FROM messages "
                                    "WHERE channel = $1::text AND next_attempt_at IS NOT NULL",
                     Params().Text(channel), "finding the next due message"));
    return r[0].ColOptTime(0);
  });
}

// Only `self`'s claims: a claim recovered from this instance (it was thought dead) and taken by
// another is the other's now.
Result<std::vector<OutboxMessage>> UpdateIn(Conn& c, std::span<const MessageUpdate> updates,
                                            std::string_view self) {
  std::vector<OutboxMessage> out;
  out.reserve(updates.size());
  for (const MessageUpdate& u : updates) {
    LL_ASSIGN(
        Rows r,
        c.Exec(Cat("UPDATE messages SET state = $2::text, next_attempt_at = $3::bigint, "
                   "updated_at = $4::bigint, "
                   "remote_id = CASE WHEN $5::text = '' THEN remote_id ELSE $5::text END, "
                   "last_reason = CASE WHEN $6::text = '' THEN last_reason ELSE $6::text END, "
                   "channel = CASE WHEN $7::text = '' THEN channel ELSE $7::text END, "
                   "recipient = CASE WHEN $7::text = '' THEN recipient ELSE $8::text END, "
                   "attempts = CASE WHEN $7::text <> '' THEN 0 "
                   "WHEN $10::boolean THEN greatest(attempts - 1, 0) ELSE attempts END, "
                   "route = CASE WHEN $9::text = '' THEN route ELSE $9::text END, "
                   "last_seq = last_seq + 1 WHERE id = $1::text AND state = 'sending' "
                   "AND claimed_by = $11::text RETURNING ",
                   kColumns),
               Params()
                   .Text(u.id)
                   .Text(MessageStateName(u.state))
                   .OptTime(u.next_attempt_at)
                   .Time(u.at)
                   .Text(u.remote_id)
                   .Text(u.reason)
                   .Text(u.channel)
                   .Text(u.recipient)
                   .Text(u.route)
                   .Bool(u.release)
                   .Text(self),
               "recording a delivery outcome"));
    if (r.empty()) continue;
    OutboxMessage m = MessageFromRow(r[0]);
    std::string_view type =
        u.event_type.empty() ? MessageStateName(u.state) : std::string_view(u.event_type);
    LL_TRY(InsertEvent(c, m, u.at, type, u.detail.empty() ? u.reason : u.detail, u.answer_json));
    out.push_back(std::move(m));
  }
  return out;
}

Result<std::vector<OutboxMessage>> PgOutbox::Update(std::span<const MessageUpdate> updates) {
  if (updates.empty()) return std::vector<OutboxMessage>{};
  for (const MessageUpdate& u : updates) LL_TRY(internal::ValidateUpdate(u));
  return pool_->Write(Sync::kFull, "recording delivery outcomes",
                      [&](Conn& c) { return UpdateIn(c, updates, self_); });
}

Result<StepResult> PgOutbox::Step(const StepRequest& step) {
  for (const MessageUpdate& u : step.updates) LL_TRY(internal::ValidateUpdate(u));
  LL_ASSIGN(std::vector<std::string> ids, NewIds(step.enqueue));
  return pool_->Write(Sync::kFull, "storing the relay's step", [&](Conn& c) -> Result<StepResult> {
    StepResult out;
    // Outcomes first, so a message failed over to another channel can be claimed there at once;
    // new messages before the claims, so a message due now can leave in the same step.
    LL_ASSIGN(out.updated, UpdateIn(c, step.updates, self_));
    LL_ASSIGN(out.enqueued, EnqueueIn(c, step.enqueue, ids));
    LL_ASSIGN(out.claimed, ClaimIn(c, step.now, step.claims, self_));
    return out;
  });
}

Result<MessageDetail> PgOutbox::Get(std::string_view id) {
  return pool_->Read("reading a message", [&](Conn& c) -> Result<MessageDetail> {
    MessageDetail d;
    LL_ASSIGN(Rows r, c.Exec(Cat("SELECT ", kColumns, " FROM messages WHERE id = $1::text"),
                             Params().Text(id), "reading a message"));
    if (r.empty()) return MakeError(ErrorCode::kNotFound, "no message {}", id);
    d.message = MessageFromRow(r[0]);
    LL_ASSIGN(Rows ev, c.Exec("SELECT seq, at, type, state, detail, answer FROM message_events "
                              "WHERE message_id = $1::text ORDER BY seq",
                              Params().Text(id), "reading a message's events"));
    for (int i = 0; i < ev.size(); ++i) {
      MessageEvent e;
      e.message_id = d.message.id;
      e.seq = ev[i].ColInt(0);
      e.at = ev[i].ColTime(1);
      e.type = ev[i].ColText(2);
      e.state = ParseMessageState(ev[i].ColText(3)).value_or(MessageState::kQueued);
      e.detail = ev[i].ColText(4);
      e.answer_json = ev[i].ColText(5);
      d.events.push_back(std::move(e));
    }
    return d;
  });
}

Result<OutboxMessage> PgOutbox::FindByKey(std::string_view key) {
  return pool_->Read("finding a message by key", [&](Conn& c) -> Result<OutboxMessage> {
    LL_ASSIGN(Rows r,
              c.Exec(Cat("SELECT ", kColumns, " FROM messages WHERE idempotency_key = $1::text"),
                     Params().Text(key), "finding a message by key"));
    if (r.empty()) {
      return MakeError(ErrorCode::kNotFound, "no message with idempotency key {}", key);
    }
    return MessageFromRow(r[0]);
  });
}

Result<MessagePage> PgOutbox::List(const MessageQuery& q) {
  LL_TRY(internal::ValidateMessageQuery(q));
  std::int64_t after = 0;
  if (!q.cursor.empty()) {
    LL_ASSIGN(after, internal::DecodeMessageCursor(q.cursor));
  }
  // One statement text per filter combination, each with only the parameters it uses (numbered
  // from $1), so each is prepared once and planned with the index that matches it.
  std::string sql = Cat("SELECT ", kColumns, " FROM messages WHERE true");
  Params p;
  auto add = [&](std::string_view term, std::string_view value) {
    p.Text(value);
    sql += fmt::format(" AND {}${}::text", term, p.size());
  };
  if (q.state) add("state = ", MessageStateName(*q.state));
  if (!q.channel.empty()) add("channel = ", q.channel);
  if (!q.incident_id.empty()) {
    sql += " AND incident_id <> ''";
    add("incident_id = ", q.incident_id);
  }
  if (!q.contact.empty()) {
    sql += " AND contact <> ''";
    add("contact = ", q.contact);
  }
  if (after > 0) {
    p.Int(after);
    sql += fmt::format(" AND pos < ${}::bigint", p.size());
  }
  p.Int(static_cast<std::int64_t>(q.limit) + 1);
  sql += fmt::format(" ORDER BY pos DESC LIMIT ${}::bigint", p.size());
  return pool_->Read("listing messages", [&](Conn& c) -> Result<MessagePage> {
    LL_ASSIGN(Rows r, c.Exec(sql, p, "listing messages"));
    MessagePage page;
    for (int i = 0; i < r.size(); ++i) {
      if (page.messages.size() == q.limit) {
        page.next_cursor = internal::EncodeMessageCursor(r[i - 1].ColInt(kPosColumn));
        break;
      }
      page.messages.push_back(MessageFromRow(r[i]));
    }
    return page;
  });
}

Result<OutboxMessage> PgOutbox::Transition(std::string_view id, std::string_view from_sql,
                                           std::string_view allowed, MessageState to,
                                           std::optional<Time> due, bool reset_attempts, Time at,
                                           std::string_view type, std::string_view detail) {
  std::string sql =
      Cat(Cat("UPDATE messages SET state = $2::text, next_attempt_at = $3::bigint, "
              "updated_at = $4::bigint, attempts = CASE WHEN $5::boolean THEN 0 ELSE attempts "
              "END, last_reason = CASE WHEN $6::text = '' THEN last_reason ELSE $6::text END, "
              "last_seq = last_seq + 1 WHERE id = $1::text AND state IN "),
          from_sql, Cat(" RETURNING ", kColumns));
  return pool_->Write(Sync::kFull, "changing a message", [&](Conn& c) -> Result<OutboxMessage> {
    LL_ASSIGN(Rows r, c.Exec(sql,
                             Params()
                                 .Text(id)
                                 .Text(MessageStateName(to))
                                 .OptTime(due)
                                 .Time(at)
                                 .Bool(reset_attempts)
                                 .Text(detail),
                             "changing a message"));
    if (r.empty()) {
      LL_ASSIGN(MessageState now, CurrentState(c, id));
      return MakeError(ErrorCode::kFailedPrecondition,
                       "message {} is {}; only {} messages can be {}", id, MessageStateName(now),
                       allowed, type);
    }
    OutboxMessage m = MessageFromRow(r[0]);
    LL_TRY(InsertEvent(c, m, at, type, detail, "{}"));
    return m;
  });
}

Result<OutboxMessage> PgOutbox::Retry(std::string_view id, Time at, std::string_view note) {
  return Transition(id, "('failed', 'dead_lettered', 'unconfirmed', 'cancelled')",
                    "failed, dead_lettered, unconfirmed or cancelled", MessageState::kQueued, at,
                    /*reset_attempts=*/true, at, "retried",
                    note.empty() ? std::string("retry requested") : std::string(note));
}

Result<OutboxMessage> PgOutbox::Cancel(std::string_view id, Time at, std::string_view note) {
  return Transition(id, "('queued', 'retry_scheduled', 'unconfirmed')",
                    "queued, retry_scheduled or unconfirmed", MessageState::kCancelled,
                    std::nullopt, false, at, "cancelled",
                    note.empty() ? std::string("cancelled") : std::string(note));
}

Result<OutboxMessage> PgOutbox::Decide(std::string_view id, bool delivered, Time at,
                                       std::string_view note) {
  std::string detail(note);
  if (detail.empty()) detail = delivered ? "confirmed delivered" : "resend requested";
  if (delivered) {
    return Transition(id, "('unconfirmed')", "unconfirmed", MessageState::kDelivered, std::nullopt,
                      false, at, "decided", detail);
  }
  return Transition(id, "('unconfirmed')", "unconfirmed", MessageState::kQueued, at, true, at,
                    "decided", detail);
}

Result<std::vector<OutboxMessage>> PgOutbox::Recover(
    Time at, std::span<const std::string> deduplicating_channels, std::string_view spare) {
  std::unordered_set<std::string> dedupe(deduplicating_channels.begin(),
                                         deduplicating_channels.end());
  return pool_->Write(
      Sync::kFull, "recovering messages left in sending",
      [&](Conn& c) -> Result<std::vector<OutboxMessage>> {
        LL_ASSIGN(Rows found,
                  c.Exec("SELECT id, channel FROM messages m WHERE state = 'sending' "
                         "AND ($2::text = '' OR claimed_by <> $2::text) AND NOT EXISTS (SELECT 1 "
                         "FROM instances i "
                         "WHERE i.id = m.claimed_by AND i.expires_at > $1::bigint) "
                         // While running, a claimer that never beat (a process without the
                         // membership loop) is taken for dead only once its claim is old.
                         "AND ($2::text = '' OR EXISTS (SELECT 1 FROM instances i WHERE i.id = "
                         "m.claimed_by) OR m.updated_at < $3::bigint) "
                         "ORDER BY pos FOR UPDATE",
                         Params().Time(at).Text(spare).Time(at - kSilentClaimerAfter),
                         "recovering messages left in sending"));
        std::vector<OutboxMessage> out;
        for (int i = 0; i < found.size(); ++i) {
          std::string id = found[i].ColText(0);
          std::string channel = found[i].ColText(1);
          bool requeue = dedupe.count(channel) > 0;
          std::string_view found_how = spare.empty() ? "found in sending after a restart"
                                                     : "the instance sending it stopped";
          std::string reason =
              requeue ? fmt::format("{}; {} deduplicates, so it is sent again", found_how, channel)
                      : fmt::format(
                            "{}; {} cannot deduplicate, so it may or may not have arrived: "
                            "decide",
                            found_how, channel);
          LL_ASSIGN(Rows r,
                    c.Exec(Cat("UPDATE messages SET state = $2::text, next_attempt_at = "
                               "$3::bigint, updated_at = $4::bigint, last_reason = $5::text, "
                               "last_seq = last_seq + 1 WHERE id = $1::text "
                               "AND state = 'sending' RETURNING ",
                               kColumns),
                           Params()
                               .Text(id)
                               .Text(requeue ? "queued" : "unconfirmed")
                               .OptTime(requeue ? std::optional<Time>(at) : std::nullopt)
                               .Time(at)
                               .Text(reason),
                           "recovering a message left in sending"));
          if (r.empty()) continue;
          OutboxMessage m = MessageFromRow(r[0]);
          LL_TRY(InsertEvent(c, m, at, "recovered", reason, "{}"));
          out.push_back(std::move(m));
        }
        return out;
      });
}

Result<std::vector<StateCount>> PgOutbox::Counts() {
  // Fold the deltas written since the last count into the counters (one instance at a time: the
  // others skip the fold and add the deltas up themselves), then count both.
  LL_TRY(pool_->Write(Sync::kNormal, "folding message counters", [&](Conn& c) -> Status {
    LL_ASSIGN(Rows lock,
              c.Exec("SELECT pg_try_advisory_xact_lock(7406357)", "folding message counters"));
    if (!lock[0].ColBool(0)) return core::Ok();
    LL_TRY(
        c.Exec("WITH moved AS (DELETE FROM message_count_deltas RETURNING channel, state, "
               "delta) INSERT INTO message_counts (channel, state, count) "
               "SELECT channel, state, sum(delta) FROM moved GROUP BY channel, state "
               "ON CONFLICT (channel, state) DO UPDATE SET count = message_counts.count + "
               "excluded.count",
               "folding message counters"));
    return core::Ok();
  }));
  return pool_->Read("counting messages", [&](Conn& c) -> Result<std::vector<StateCount>> {
    LL_ASSIGN(Rows r,
              c.Exec("SELECT channel, state, sum(count) AS n FROM (SELECT channel, state, count "
                     "FROM message_counts UNION ALL SELECT channel, state, delta FROM "
                     "message_count_deltas) AS all_counts GROUP BY channel, state "
                     "HAVING sum(count) > 0 ORDER BY channel COLLATE \"C\", state COLLATE \"C\"",
                     "counting messages"));
    std::vector<StateCount> out;
    for (int i = 0; i < r.size(); ++i) {
      out.push_back({r[i].ColText(0),
                     ParseMessageState(r[i].ColText(1)).value_or(MessageState::kQueued),
                     r[i].ColInt(2)});
    }
    return out;
  });
}

Result<std::int64_t> PgOutbox::PruneFinal(Time before) {
  return pool_->Write(Sync::kNormal, "pruning old messages", [&](Conn& c) -> Result<std::int64_t> {
    // Events go with their message (ON DELETE CASCADE).
    LL_ASSIGN(Rows r, c.Exec("DELETE FROM messages WHERE state IN ('delivered', 'failed', "
                             "'dead_lettered', 'cancelled') AND updated_at < $1::bigint",
                             Params().Time(before), "pruning old messages"));
    return r.affected();
  });
}

}  // namespace

// Selects the due messages with FOR UPDATE SKIP LOCKED and claims them in the same statement:
// rows another transaction holds (another instance claiming or updating them) are skipped, not
// waited for, and the guarded UPDATE can only take rows still due. Returns kColumns plus the due
// time each was claimed at (column 20), for ordering.
std::string ClaimSql(bool contact_only) {
  return Cat(Cat("WITH due AS (SELECT pos AS due_pos, next_attempt_at AS due_at FROM messages "
                 "WHERE channel = $1::text AND next_attempt_at <= $2::bigint "
                 "AND next_attempt_at IS NOT NULL",
                 contact_only ? " AND contact <> ''" : "",
                 " ORDER BY next_attempt_at, pos LIMIT $3::bigint FOR UPDATE SKIP LOCKED) "
                 "UPDATE messages SET state = 'sending', attempts = attempts + 1, "
                 "next_attempt_at = NULL, updated_at = $2::bigint, last_seq = last_seq + 1, "
                 "claimed_by = $4::text FROM due WHERE pos = due.due_pos RETURNING "),
             kColumns, ", due.due_at");
}

std::unique_ptr<OutboxStore> NewPgOutbox(Pool* pool, std::string self) {
  return std::make_unique<PgOutbox>(pool, std::move(self));
}

}  // namespace lifeline::store::pg
