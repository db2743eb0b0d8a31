// The SQLite outbox (store/outbox.h): all of its SQL. Every write is one IMMEDIATE transaction on
// the store's writer, synced at commit (Sync::kFull), so an accepted message survives power loss.
#include "store/sqlite/outbox.h"

#include <algorithm>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include <nlohmann/json.hpp>

#include "store/common.h"
#include "store/outbox_common.h"

namespace lifeline::store::sqlite {
namespace {

using core::ErrorCode;
using core::MakeError;
using core::Result;
using core::Status;
using Sync = Connections::Sync;

// The columns MessageFromRow reads, in its order; pos last (the page cursor).
constexpr std::string_view kColumns =
    "id, idempotency_key, channel, contact, recipient, subject, text, html, incident_id, state, "
    "attempts, next_attempt_at, created_at, updated_at, remote_id, last_reason, route, last_seq, "
    "media, pos";
constexpr int kPosColumn = 19;

std::string Sql(std::string_view a, std::string_view b = {}, std::string_view c = {}) {
  std::string s(a);
  s += b;
  s += c;
  return s;
}

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

OutboxMessage MessageFromRow(const Stmt& s) {
  OutboxMessage m;
  m.id = s.ColText(0);
  m.idempotency_key = s.ColText(1);
  m.channel = s.ColText(2);
  m.contact = s.ColText(3);
  m.recipient = s.ColText(4);
  m.subject = s.ColText(5);
  m.text = s.ColText(6);
  m.html = s.ColText(7);
  m.incident_id = s.ColText(8);
  m.state = ParseMessageState(s.ColText(9)).value_or(MessageState::kQueued);
  m.attempts = static_cast<int>(s.ColInt(10));
  m.next_attempt_at = s.ColOptTime(11);
  m.created_at = s.ColTime(12);
  m.updated_at = s.ColTime(13);
  m.remote_id = s.ColText(14);
  m.last_reason = s.ColText(15);
  m.route = s.ColText(16);
  m.last_seq = s.ColInt(17);
  m.media = MediaFromJson(s.ColText(18));
  return m;
}

// Appends the event numbered m.last_seq (the UPDATE that produced `m` already counted it).
Status InsertEvent(Db& db, const OutboxMessage& m, Time at, std::string_view type,
                   std::string_view detail, std::string_view answer_json) {
  auto ins = db.Prepare(
      "INSERT INTO message_events (message_id, seq, at, type, state, detail, answer) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  if (!ins) return ins.error();
  ins->Text(1, m.id)
      .Int(2, m.last_seq)
      .Time(3, at)
      .Text(4, type)
      .Text(5, MessageStateName(m.state))
      .Text(6, detail)
      .Text(7, answer_json.empty() ? std::string_view("{}") : answer_json);
  return ins->Run();
}

// Runs a prepared UPDATE ... RETURNING <kColumns>; nullopt when it matched no row.
Result<std::optional<OutboxMessage>> UpdateReturning(Stmt& up) {
  auto row = up.Step();
  if (!row) return row.error();
  if (!*row) return std::optional<OutboxMessage>();
  OutboxMessage m = MessageFromRow(up);
  // Finish the statement so its write completes before the next one.
  if (auto rest = up.Run(); !rest) return rest.error();
  return std::optional<OutboxMessage>(std::move(m));
}

// The state of message `id` for an error message; kNotFound when it does not exist.
Result<MessageState> CurrentState(Db& db, std::string_view id) {
  auto sel = db.Prepare("SELECT state FROM messages WHERE id = ?1");
  if (!sel) return sel.error();
  sel->Text(1, id);
  auto row = sel->Step();
  if (!row) return row.error();
  if (!*row) return MakeError(ErrorCode::kNotFound, "no message {}", id);
  MessageState s = ParseMessageState(sel->ColText(0)).value_or(MessageState::kQueued);
  (void)sel->Run();
  return s;
}

class SqliteOutbox final : public OutboxStore {
 public:
  explicit SqliteOutbox(Connections* conns) : conns_(conns) {}

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
      Time at, std::span<const std::string> deduplicating_channels) override;
  Result<std::vector<StateCount>> Counts() override;
  Result<std::int64_t> PruneFinal(Time before) override;

 private:
  // Moves `id` from one of the states in `from` (a SQL list) to `to` with one event; the
  // precondition error names the state it was in.
  Result<OutboxMessage> Transition(std::string_view id, std::string_view from_sql,
                                   std::string_view allowed, MessageState to,
                                   std::optional<Time> due, bool reset_attempts, Time at,
                                   std::string_view type, std::string_view detail);

  Connections* conns_;  // owned by the SqliteStore; its own mutexes guard the connections
};

// Ids are drawn before the transaction (RAND_bytes is not worth holding the writer for).
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

Result<std::vector<Enqueued>> EnqueueIn(Db& db, std::span<const NewMessage> messages,
                                        const std::vector<std::string>& ids) {
  std::vector<Enqueued> out;
  out.reserve(messages.size());
  for (std::size_t i = 0; i < messages.size(); ++i) {
    const NewMessage& m = messages[i];
    Time due = m.not_before.value_or(m.created_at);
    {
      auto ins = db.Prepare(
          "INSERT INTO messages (id, idempotency_key, channel, contact, recipient, subject, "
          "text, html, incident_id, state, attempts, next_attempt_at, created_at, "
          "updated_at, "
          "remote_id, last_reason, route, last_seq, media) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
          "?8, ?9, 'queued', 0, ?10, ?11, ?11, '', '', ?12, 1, ?13) "
          "ON CONFLICT (idempotency_key) DO NOTHING");
      if (!ins) return ins.error();
      ins->Text(1, ids[i])
          .Text(2, m.idempotency_key)
          .Text(3, m.channel)
          .Text(4, m.contact)
          .Text(5, m.recipient)
          .Text(6, m.subject)
          .Text(7, m.text)
          .Text(8, m.html)
          .Text(9, m.incident_id)
          .Time(10, due)
          .Time(11, m.created_at)
          .Text(12, m.route)
          .Text(13, MediaJson(m.media));
      LL_TRY(ins->Run());
    }
    if (db.Changes() == 0) {
      auto sel = db.Prepare(Sql("SELECT ", kColumns, " FROM messages WHERE idempotency_key = ?1"));
      if (!sel) return sel.error();
      sel->Text(1, m.idempotency_key);
      auto row = sel->Step();
      if (!row) return row.error();
      if (!*row) {
        return MakeError(ErrorCode::kInternal, "message with key {} vanished during enqueue",
                         m.idempotency_key);
      }
      Enqueued e{MessageFromRow(*sel), false};
      LL_TRY(sel->Run());
      out.push_back(std::move(e));
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
    LL_TRY(InsertEvent(db, o, m.created_at, "queued",
                       m.route.empty() ? fmt::format("accepted for {}", m.channel) : m.route,
                       "{}"));
    out.push_back(std::move(e));
  }
  return out;
}

Result<std::vector<Enqueued>> SqliteOutbox::Enqueue(std::span<const NewMessage> messages) {
  if (messages.empty()) return std::vector<Enqueued>{};
  LL_ASSIGN(std::vector<std::string> ids, NewIds(messages));
  return conns_->Write(Sync::kFull, "enqueueing messages",
                       [&](Db& db) { return EnqueueIn(db, messages, ids); });
}

Result<std::vector<OutboxMessage>> ClaimIn(Db& db, Time now,
                                           std::span<const ClaimRequest> requests) {
  std::vector<OutboxMessage> out;
  for (const ClaimRequest& r : requests) {
    if (r.limit == 0) continue;
    auto sel = db.Prepare(ClaimSql(r.contact_only));
    if (!sel) return sel.error();
    sel->Text(1, r.channel).Time(2, now).Int(3, static_cast<std::int64_t>(r.limit));
    std::vector<std::int64_t> due;
    while (true) {
      auto row = sel->Step();
      if (!row) return row.error();
      if (!*row) break;
      due.push_back(sel->ColInt(0));
    }
    auto up =
        db.Prepare(Sql("UPDATE messages SET state = 'sending', attempts = attempts + 1, "
                       "next_attempt_at = NULL, updated_at = ?2, last_seq = last_seq + 1 "
                       "WHERE pos = ?1 RETURNING ",
                       kColumns));
    if (!up) return up.error();
    for (std::int64_t pos : due) {
      up->Int(1, pos).Time(2, now);
      LL_ASSIGN(auto m, UpdateReturning(*up));
      if (!m) continue;
      LL_TRY(InsertEvent(db, *m, now, "sending", fmt::format("attempt {}", m->attempts), "{}"));
      out.push_back(std::move(*m));
    }
  }
  return out;
}

Result<std::vector<OutboxMessage>> SqliteOutbox::ClaimDue(Time now,
                                                          std::span<const ClaimRequest> requests) {
  return conns_->Write(Sync::kFull, "claiming due messages",
                       [&](Db& db) { return ClaimIn(db, now, requests); });
}

Result<std::optional<Time>> SqliteOutbox::NextDue(std::string_view channel, bool contact_only) {
  return conns_->Read("finding the next due message", [&](Db& db) -> Result<std::optional<Time>> {
    auto sel =
        db.Prepare(contact_only ? "SELECT min(next_attempt_at) FROM messages WHERE channel = ?1 "
                                  "AND next_attempt_at IS NOT NULL AND contact <> ''"
                                : "SELECT min(next_attempt_at) FROM messages WHERE channel = ?1 "
                                  "AND next_attempt_at IS NOT NULL");
    if (!sel) return sel.error();
    sel->Text(1, channel);
    auto row = sel->Step();
    if (!row) return row.error();
    std::optional<Time> t = sel->ColOptTime(0);
    LL_TRY(sel->Run());
    return t;
  });
}

Result<std::vector<OutboxMessage>> UpdateIn(Db& db, std::span<const MessageUpdate> updates) {
  auto up =
      db.Prepare(Sql("UPDATE messages SET state = ?2, next_attempt_at = ?3, updated_at = ?4, "
                     "remote_id = CASE WHEN ?5 = '' THEN remote_id ELSE ?5 END, "
                     "last_reason = CASE WHEN ?6 = '' THEN last_reason ELSE ?6 END, "
                     "channel = CASE WHEN ?7 = '' THEN channel ELSE ?7 END, "
                     "recipient = CASE WHEN ?7 = '' THEN recipient ELSE ?8 END, "
                     "attempts = CASE WHEN ?7 <> '' THEN 0 WHEN ?10 THEN max(attempts - 1, 0) "
                     "ELSE attempts END, "
                     "route = CASE WHEN ?9 = '' THEN route ELSE ?9 END, last_seq = last_seq + 1 "
                     "WHERE id = ?1 AND state = 'sending' RETURNING ",
                     kColumns));
  if (!up) return up.error();
  std::vector<OutboxMessage> out;
  out.reserve(updates.size());
  for (const MessageUpdate& u : updates) {
    up->Text(1, u.id)
        .Text(2, MessageStateName(u.state))
        .OptTime(3, u.next_attempt_at)
        .Time(4, u.at)
        .Text(5, u.remote_id)
        .Text(6, u.reason)
        .Text(7, u.channel)
        .Text(8, u.recipient)
        .Text(9, u.route)
        .Int(10, u.release ? 1 : 0);
    LL_ASSIGN(auto m, UpdateReturning(*up));
    if (!m) continue;
    std::string_view type =
        u.event_type.empty() ? MessageStateName(u.state) : std::string_view(u.event_type);
    LL_TRY(InsertEvent(db, *m, u.at, type, u.detail.empty() ? u.reason : u.detail, u.answer_json));
    out.push_back(std::move(*m));
  }
  return out;
}

Result<std::vector<OutboxMessage>> SqliteOutbox::Update(std::span<const MessageUpdate> updates) {
  if (updates.empty()) return std::vector<OutboxMessage>{};
  for (const MessageUpdate& u : updates) LL_TRY(internal::ValidateUpdate(u));
  return conns_->Write(Sync::kFull, "recording delivery outcomes",
                       [&](Db& db) { return UpdateIn(db, updates); });
}

Result<StepResult> SqliteOutbox::Step(const StepRequest& step) {
  for (const MessageUpdate& u : step.updates) LL_TRY(internal::ValidateUpdate(u));
  LL_ASSIGN(std::vector<std::string> ids, NewIds(step.enqueue));
  return conns_->Write(Sync::kFull, "storing the relay's step", [&](Db& db) -> Result<StepResult> {
    StepResult out;
    // Outcomes first, so a message failed over to another channel can be claimed there at once;
    // new messages before the claims, so a message due now can leave in the same step.
    LL_ASSIGN(out.updated, UpdateIn(db, step.updates));
    LL_ASSIGN(out.enqueued, EnqueueIn(db, step.enqueue, ids));
    LL_ASSIGN(out.claimed, ClaimIn(db, step.now, step.claims));
    return out;
  });
}

Result<MessageDetail> SqliteOutbox::Get(std::string_view id) {
  return conns_->Read("reading a message", [&](Db& db) -> Result<MessageDetail> {
    MessageDetail d;
    {
      auto sel = db.Prepare(Sql("SELECT ", kColumns, " FROM messages WHERE id = ?1"));
      if (!sel) return sel.error();
      sel->Text(1, id);
      auto row = sel->Step();
      if (!row) return row.error();
      if (!*row) return MakeError(ErrorCode::kNotFound, "no message {}", id);
      d.message = MessageFromRow(*sel);
      LL_TRY(sel->Run());
    }
    auto ev = db.Prepare(
        "SELECT seq, at, type, state, detail, answer FROM message_events WHERE message_id = ?1 "
        "ORDER BY seq");
    if (!ev) return ev.error();
    ev->Text(1, id);
    while (true) {
      auto row = ev->Step();
      if (!row) return row.error();
      if (!*row) break;
      MessageEvent e;
      e.message_id = d.message.id;
      e.seq = ev->ColInt(0);
      e.at = ev->ColTime(1);
      e.type = ev->ColText(2);
      e.state = ParseMessageState(ev->ColText(3)).value_or(MessageState::kQueued);
      e.detail = ev->ColText(4);
      e.answer_json = ev->ColText(5);
      d.events.push_back(std::move(e));
    }
    return d;
  });
}

Result<OutboxMessage> SqliteOutbox::FindByKey(std::string_view key) {
  return conns_->Read("finding a message by key", [&](Db& db) -> Result<OutboxMessage> {
    auto sel = db.Prepare(Sql("SELECT ", kColumns, " FROM messages WHERE idempotency_key = ?1"));
    if (!sel) return sel.error();
    sel->Text(1, key);
    auto row = sel->Step();
    if (!row) return row.error();
    if (!*row) return MakeError(ErrorCode::kNotFound, "no message with idempotency key {}", key);
    OutboxMessage m = MessageFromRow(*sel);
    LL_TRY(sel->Run());
    return m;
  });
}

Result<MessagePage> SqliteOutbox::List(const MessageQuery& q) {
  LL_TRY(internal::ValidateMessageQuery(q));
  std::int64_t after = 0;
  if (!q.cursor.empty()) {
    LL_ASSIGN(after, internal::DecodeMessageCursor(q.cursor));
  }
  std::string sql = ListSql(q, after > 0);
  return conns_->Read("listing messages", [&](Db& db) -> Result<MessagePage> {
    auto sel = db.Prepare(sql);
    if (!sel) return sel.error();
    if (q.state) sel->Text(1, MessageStateName(*q.state));
    if (!q.channel.empty()) sel->Text(2, q.channel);
    if (!q.incident_id.empty()) sel->Text(3, q.incident_id);
    if (!q.contact.empty()) sel->Text(4, q.contact);
    if (after > 0) sel->Int(5, after);
    sel->Int(6, static_cast<std::int64_t>(q.limit) + 1);
    MessagePage page;
    std::int64_t last_pos = 0;
    while (true) {
      auto row = sel->Step();
      if (!row) return row.error();
      if (!*row) break;
      if (page.messages.size() == q.limit) {
        page.next_cursor = internal::EncodeMessageCursor(last_pos);
        LL_TRY(sel->Run());
        break;
      }
      page.messages.push_back(MessageFromRow(*sel));
      last_pos = sel->ColInt(kPosColumn);
    }
    return page;
  });
}

Result<OutboxMessage> SqliteOutbox::Transition(std::string_view id, std::string_view from_sql,
                                               std::string_view allowed, MessageState to,
                                               std::optional<Time> due, bool reset_attempts,
                                               Time at, std::string_view type,
                                               std::string_view detail) {
  return conns_->Write(Sync::kFull, "changing a message", [&](Db& db) -> Result<OutboxMessage> {
    auto up =
        db.Prepare(Sql("UPDATE messages SET state = ?2, next_attempt_at = ?3, updated_at = ?4, "
                       "attempts = CASE WHEN ?5 THEN 0 ELSE attempts END, "
                       "last_reason = CASE WHEN ?6 = '' THEN last_reason ELSE ?6 END, "
                       "last_seq = last_seq + 1 WHERE id = ?1 AND state IN ",
                       from_sql, Sql(" RETURNING ", kColumns)));
    if (!up) return up.error();
    up->Text(1, id)
        .Text(2, MessageStateName(to))
        .OptTime(3, due)
        .Time(4, at)
        .Int(5, reset_attempts ? 1 : 0)
        .Text(6, detail);
    LL_ASSIGN(auto m, UpdateReturning(*up));
    if (!m) {
      LL_ASSIGN(MessageState now, CurrentState(db, id));
      return MakeError(ErrorCode::kFailedPrecondition,
                       "message {} is {}; only {} messages can be {}", id, MessageStateName(now),
                       allowed, type);
    }
    LL_TRY(InsertEvent(db, *m, at, type, detail, "{}"));
    return std::move(*m);
  });
}

Result<OutboxMessage> SqliteOutbox::Retry(std::string_view id, Time at, std::string_view note) {
  return Transition(id, "('failed', 'dead_lettered', 'unconfirmed', 'cancelled')",
                    "failed, dead_lettered, unconfirmed or cancelled", MessageState::kQueued, at,
                    /*reset_attempts=*/true, at, "retried",
                    note.empty() ? std::string("retry requested") : std::string(note));
}

Result<OutboxMessage> SqliteOutbox::Cancel(std::string_view id, Time at, std::string_view note) {
  return Transition(id, "('queued', 'retry_scheduled', 'unconfirmed')",
                    "queued, retry_scheduled or unconfirmed", MessageState::kCancelled,
                    std::nullopt, false, at, "cancelled",
                    note.empty() ? std::string("cancelled") : std::string(note));
}

Result<OutboxMessage> SqliteOutbox::Decide(std::string_view id, bool delivered, Time at,
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

Result<std::vector<OutboxMessage>> SqliteOutbox::RecoverAfterCrash(
    Time at, std::span<const std::string> deduplicating_channels) {
  std::unordered_set<std::string> dedupe(deduplicating_channels.begin(),
                                         deduplicating_channels.end());
  return conns_->Write(
      Sync::kFull, "recovering messages left in sending",
      [&](Db& db) -> Result<std::vector<OutboxMessage>> {
        std::vector<std::pair<std::string, std::string>> found;  // id, channel
        {
          auto sel = db.Prepare("SELECT id, channel FROM messages WHERE state = 'sending'");
          if (!sel) return sel.error();
          while (true) {
            auto row = sel->Step();
            if (!row) return row.error();
            if (!*row) break;
            found.emplace_back(sel->ColText(0), sel->ColText(1));
          }
        }
        auto up = db.Prepare(
            Sql("UPDATE messages SET state = ?2, next_attempt_at = ?3, updated_at = ?4, "
                "last_reason = ?5, last_seq = last_seq + 1 WHERE id = ?1 AND state = 'sending' "
                "RETURNING ",
                kColumns));
        if (!up) return up.error();
        std::vector<OutboxMessage> out;
        for (const auto& [id, channel] : found) {
          bool requeue = dedupe.count(channel) > 0;
          std::string reason =
              requeue ? fmt::format(
                            "found in sending after a restart; {} deduplicates, so it is "
                            "sent again",
                            channel)
                      : fmt::format(
                            "found in sending after a restart; {} cannot deduplicate, so "
                            "it may or may not have arrived: decide",
                            channel);
          up->Text(1, id)
              .Text(2, requeue ? "queued" : "unconfirmed")
              .OptTime(3, requeue ? std::optional<Time>(at) : std::nullopt)
              .Time(4, at)
              .Text(5, reason);
          LL_ASSIGN(auto m, UpdateReturning(*up));
          if (!m) continue;
          LL_TRY(InsertEvent(db, *m, at, "recovered", reason, "{}"));
          out.push_back(std::move(*m));
        }
        return out;
      });
}

Result<std::vector<StateCount>> SqliteOutbox::Counts() {
  return conns_->Read("counting messages", [&](Db& db) -> Result<std::vector<StateCount>> {
    auto sel = db.Prepare(
        "SELECT channel, state, count FROM message_counts WHERE count > 0 ORDER BY channel, state");
    if (!sel) return sel.error();
    std::vector<StateCount> out;
    while (true) {
      auto row = sel->Step();
      if (!row) return row.error();
      if (!*row) break;
      out.push_back({sel->ColText(0),
                     ParseMessageState(sel->ColText(1)).value_or(MessageState::kQueued),
                     sel->ColInt(2)});
    }
    return out;
  });
}

Result<std::int64_t> SqliteOutbox::PruneFinal(Time before) {
  return conns_->Write(Sync::kNormal, "pruning old messages", [&](Db& db) -> Result<std::int64_t> {
    // Events go with their message (ON DELETE CASCADE).
    auto del = db.Prepare(
        "DELETE FROM messages WHERE state IN ('delivered', 'failed', 'dead_lettered', "
        "'cancelled') AND updated_at < ?1");
    if (!del) return del.error();
    del->Time(1, before);
    LL_TRY(del->Run());
    return db.Changes();
  });
}

}  // namespace

std::string ListSql(const MessageQuery& q, bool after_cursor) {
  // One statement text per filter combination (each cached once), so SQLite plans each with the
  // index that matches it; the "x <> ''" terms let the partial indexes apply.
  std::string sql = Sql("SELECT ", kColumns, " FROM messages WHERE 1");
  if (q.state) sql += " AND state = ?1";
  if (!q.channel.empty()) sql += " AND channel = ?2";
  if (!q.incident_id.empty()) sql += " AND incident_id = ?3 AND incident_id <> ''";
  if (!q.contact.empty()) sql += " AND contact = ?4 AND contact <> ''";
  if (after_cursor) sql += " AND pos < ?5";
  sql += " ORDER BY pos DESC LIMIT ?6";
  return sql;
}

std::string ClaimSql(bool contact_only) {
  // The literal terms select the partial indexes messages_due / messages_due_contact.
  return contact_only ? "SELECT pos FROM messages WHERE channel = ?1 AND next_attempt_at <= ?2 "
                        "AND next_attempt_at IS NOT NULL AND contact <> '' "
                        "ORDER BY next_attempt_at, pos LIMIT ?3"
                      : "SELECT pos FROM messages WHERE channel = ?1 AND next_attempt_at <= ?2 "
                        "AND next_attempt_at IS NOT NULL ORDER BY next_attempt_at, pos LIMIT ?3";
}

std::unique_ptr<OutboxStore> NewSqliteOutbox(Connections* conns) {
  return std::make_unique<SqliteOutbox>(conns);
}

}  // namespace lifeline::store::sqlite
