// The PostgreSQL outbox (store/outbox.h): all of its SQL. Every write is one transaction on the
// store's pool, committed with synchronous_commit on (Sync::kFull), so an accepted message
// survives a server crash and power loss.
#include "store/pg/outbox.h"

#include <algorithm>
#include <string>
#include <unordered_map>
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

// The claim of one channel's due messages ($1 channel, $2 now, $3 limit, $4 claimer) as two CTEs:
// `due` picks them, `claimed` moves them to `sending` and returns kColumns plus due_at.
std::string ClaimCtes(bool contact_only) {
  return Cat(Cat("due AS (SELECT pos AS due_pos, next_attempt_at AS due_at FROM messages "
                 "WHERE channel = $1::text AND next_attempt_at <= $2::bigint "
                 "AND next_attempt_at IS NOT NULL",
                 contact_only ? " AND contact <> ''" : "",
                 " ORDER BY next_attempt_at, pos LIMIT $3::bigint FOR UPDATE SKIP LOCKED), "
                 "claimed AS (UPDATE messages SET state = 'sending', attempts = attempts + 1, "
                 "next_attempt_at = NULL, updated_at = $2::bigint, last_seq = last_seq + 1, "
                 "claimed_by = $4::text FROM due WHERE pos = due.due_pos RETURNING "),
             kColumns, ", due.due_at)");
}

constexpr std::string_view kClaimEvents =
    ", ev AS (INSERT INTO message_events (message_id, seq, at, type, state, detail, answer) "
    "SELECT id, last_seq, $2::bigint, 'sending', 'sending', 'attempt ' || attempts, '{}' "
    "FROM claimed) SELECT * FROM claimed";

// ClaimSql with the claimed messages' "sending" events appended by the same statement.
const std::string& ClaimAndLogSql(bool contact_only) {
  static const std::string sql[2] = {
      Cat("WITH ", ClaimCtes(false), kClaimEvents),
      Cat("WITH ", ClaimCtes(true), kClaimEvents),
  };
  return sql[contact_only ? 1 : 0];
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

// One statement stores the batch and its "queued" events: the messages travel as one array per
// column and are inserted in the order given (pos follows it); a message whose key is already
// stored is left out by ON CONFLICT. A concurrent enqueue of the same key (another instance) makes
// the insert wait for it and then skip the row; the SELECT after it (a new snapshot: READ
// COMMITTED) then sees that message.
constexpr std::string_view kEnqueueSql =
    "WITH v AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], "
    "$6::text[], $7::text[], $8::text[], $9::text[], $10::bigint[], $11::bigint[], $12::text[], "
    "$13::text[], $14::text[]) WITH ORDINALITY AS v(n_id, n_key, n_channel, n_contact, "
    "n_recipient, n_subject, n_text, n_html, n_incident, n_due, n_created, n_route, n_media, "
    "n_detail, n_ord)), "
    "ins AS (INSERT INTO messages (id, idempotency_key, channel, contact, recipient, subject, "
    "text, html, incident_id, state, attempts, next_attempt_at, created_at, updated_at, "
    "remote_id, last_reason, route, last_seq, media) SELECT n_id, n_key, n_channel, n_contact, "
    "n_recipient, n_subject, n_text, n_html, n_incident, 'queued', 0, n_due, n_created, "
    "n_created, '', '', n_route, 1, n_media FROM v ORDER BY n_ord "
    "ON CONFLICT (idempotency_key) DO NOTHING RETURNING id), "
    "ev AS (INSERT INTO message_events (message_id, seq, at, type, state, detail, answer) "
    "SELECT n_id, 1, n_created, 'queued', 'queued', n_detail, '{}' FROM v JOIN ins "
    "ON ins.id = v.n_id) "
    "SELECT id FROM ins";

// A batch's enqueue statement, and which message each of the batch's stands for: a key repeated
// within the batch stores its first message, and the others return that one.
struct EnqueuePlan {
  Statement statement;
  std::vector<std::size_t> first_of;  // per message, the index of the first with its key
  std::size_t unique = 0;             // messages with a key of their own
};

EnqueuePlan PlanEnqueue(std::span<const NewMessage> messages, const std::vector<std::string>& ids) {
  EnqueuePlan plan;
  plan.statement.sql = kEnqueueSql;
  plan.first_of.resize(messages.size());
  std::unordered_map<std::string_view, std::size_t> first;  // key -> its first message's index
  struct {
    ArrayParam id, key, channel, contact, recipient, subject, text, html, incident, due, created,
        route, media, detail;
  } col;
  for (std::size_t i = 0; i < messages.size(); ++i) {
    const NewMessage& m = messages[i];
    auto [it, fresh] = first.emplace(m.idempotency_key, i);
    plan.first_of[i] = it->second;
    if (!fresh) continue;
    col.id.Text(ids[i]);
    col.key.Text(m.idempotency_key);
    col.channel.Text(m.channel);
    col.contact.Text(m.contact);
    col.recipient.Text(m.recipient);
    col.subject.Text(m.subject);
    col.text.Text(m.text);
    col.html.Text(m.html);
    col.incident.Text(m.incident_id);
    col.due.Time(m.not_before.value_or(m.created_at));
    col.created.Time(m.created_at);
    col.route.Text(m.route);
    col.media.Text(MediaJson(m.media));
    col.detail.Text(m.route.empty() ? fmt::format("accepted for {}", m.channel) : m.route);
  }
  plan.unique = first.size();
  plan.statement.params.Array(col.id).Array(col.key).Array(col.channel).Array(col.contact);
  plan.statement.params.Array(col.recipient).Array(col.subject).Array(col.text).Array(col.html);
  plan.statement.params.Array(col.incident).Array(col.due).Array(col.created).Array(col.route);
  plan.statement.params.Array(col.media).Array(col.detail);
  return plan;
}

// The batch's results from the ids the enqueue statement returned (`ins`): the messages it did not
// store were stored before, and are read in one more statement.
Result<std::vector<Enqueued>> FinishEnqueue(Conn& c, const EnqueuePlan& plan,
                                            std::span<const NewMessage> messages,
                                            const std::vector<std::string>& ids, const Rows& ins) {
  std::unordered_set<std::string> created;  // ids
  for (int i = 0; i < ins.size(); ++i) created.insert(ins[i].ColText(0));
  std::unordered_map<std::string, OutboxMessage> stored;  // key -> message
  if (created.size() < plan.unique) {
    ArrayParam keys;
    for (std::size_t i = 0; i < messages.size(); ++i) {
      if (plan.first_of[i] == i && created.count(ids[i]) == 0) {
        keys.Text(messages[i].idempotency_key);
      }
    }
    LL_ASSIGN(Rows sel, c.Exec(Cat("SELECT ", kColumns,
                                   " FROM messages WHERE idempotency_key = ANY($1::text[])"),
                               Params().Array(keys), "finding stored messages"));
    for (int i = 0; i < sel.size(); ++i) {
      OutboxMessage m = MessageFromRow(sel[i]);
      std::string key = m.idempotency_key;
      stored.emplace(std::move(key), std::move(m));
    }
  }
  std::vector<Enqueued> out;
  out.reserve(messages.size());
  for (std::size_t i = 0; i < messages.size(); ++i) {
    const NewMessage& m = messages[i];
    if (plan.first_of[i] != i) {
      out.push_back({out[plan.first_of[i]].message, false});
      continue;
    }
    if (created.count(ids[i]) == 0) {
      auto it = stored.find(m.idempotency_key);
      if (it == stored.end()) {
        return MakeError(ErrorCode::kInternal, "message with key {} vanished during enqueue",
                         m.idempotency_key);
      }
      out.push_back({it->second, false});
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
    o.next_attempt_at = m.not_before.value_or(m.created_at);
    o.created_at = m.created_at;
    o.updated_at = m.created_at;
    o.route = m.route;
    o.last_seq = 1;
    out.push_back(std::move(e));
  }
  return out;
}

Result<std::vector<Enqueued>> EnqueueIn(Conn& c, std::span<const NewMessage> messages,
                                        const std::vector<std::string>& ids) {
  if (messages.empty()) return std::vector<Enqueued>{};
  EnqueuePlan plan = PlanEnqueue(messages, ids);
  LL_ASSIGN(Rows ins, c.Exec(plan.statement.sql, plan.statement.params, "enqueueing messages"));
  return FinishEnqueue(c, plan, messages, ids, ins);
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
// recovered while others run (RecoverOrphans): one statement per request claims the messages and
// appends their "sending" events.
Statement PlanClaim(const ClaimRequest& r, Time now, std::string_view self) {
  Statement st{ClaimAndLogSql(r.contact_only), Params()};
  st.params.Text(r.channel).Time(now).Int(static_cast<std::int64_t>(r.limit)).Text(self);
  return st;
}

// Appends one request's claims to `out` in due order (RETURNING has none): due time, then enqueue
// order.
void FinishClaim(const Rows& rows, std::vector<OutboxMessage>& out) {
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
  for (Claimed& cl : claimed) out.push_back(std::move(cl.m));
}

Result<std::vector<OutboxMessage>> ClaimIn(Conn& c, Time now,
                                           std::span<const ClaimRequest> requests,
                                           std::string_view self) {
  std::vector<OutboxMessage> out;
  for (const ClaimRequest& r : requests) {
    if (r.limit == 0) continue;
    Statement st = PlanClaim(r, now, self);
    LL_ASSIGN(Rows rows, c.Exec(st.sql, st.params, "claiming due messages"));
    FinishClaim(rows, out);
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

// One statement applies a batch of outcomes and appends their events (kColumns plus each update's
// place in the batch, column 20). Only `self`'s claims: a claim recovered from this instance (it
// was thought dead) and taken by another is the other's now, and is skipped like a message no
// longer in `sending`.
const std::string& UpdateSql() {
  static const std::string sql = Cat(
      "WITH v AS (SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], "
      "$5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::boolean[], $11::text[], "
      "$12::text[], $13::text[]) WITH ORDINALITY AS v(u_id, u_state, u_next, u_at, u_remote_id, "
      "u_reason, u_channel, u_recipient, u_route, u_release, u_type, u_detail, u_answer, "
      "u_ord)), "
      "up AS (UPDATE messages SET state = u_state, next_attempt_at = u_next, updated_at = u_at, "
      "remote_id = CASE WHEN u_remote_id = '' THEN remote_id ELSE u_remote_id END, "
      "last_reason = CASE WHEN u_reason = '' THEN last_reason ELSE u_reason END, "
      "channel = CASE WHEN u_channel = '' THEN channel ELSE u_channel END, "
      "recipient = CASE WHEN u_channel = '' THEN recipient ELSE u_recipient END, "
      "attempts = CASE WHEN u_channel <> '' THEN 0 "
      "WHEN u_release THEN greatest(attempts - 1, 0) ELSE attempts END, "
      "route = CASE WHEN u_route = '' THEN route ELSE u_route END, "
      "last_seq = last_seq + 1 FROM v WHERE id = u_id AND state = 'sending' "
      "AND claimed_by = $14::text RETURNING ",
      kColumns,
      ", u_ord, u_at, u_type, u_detail, u_answer), "
      "ev AS (INSERT INTO message_events (message_id, seq, at, type, state, detail, answer) "
      "SELECT id, last_seq, u_at, u_type, state, u_detail, u_answer FROM up) "
      "SELECT * FROM up");
  return sql;
}

Statement PlanUpdate(std::span<const MessageUpdate> updates, std::string_view self) {
  struct {
    ArrayParam id, state, next, at, remote_id, reason, channel, recipient, route, release, type,
        detail, answer;
  } col;
  // An id repeated within the batch: its first update applies; the others would find the message
  // out of `sending` and be skipped.
  std::unordered_set<std::string_view> seen;
  for (const MessageUpdate& u : updates) {
    if (!seen.insert(u.id).second) continue;
    col.id.Text(u.id);
    col.state.Text(MessageStateName(u.state));
    col.next.OptTime(u.next_attempt_at);
    col.at.Time(u.at);
    col.remote_id.Text(u.remote_id);
    col.reason.Text(u.reason);
    col.channel.Text(u.channel);
    col.recipient.Text(u.recipient);
    col.route.Text(u.route);
    col.release.Bool(u.release);
    col.type.Text(u.event_type.empty() ? MessageStateName(u.state)
                                       : std::string_view(u.event_type));
    col.detail.Text(u.detail.empty() ? u.reason : u.detail);
    col.answer.Text(u.answer_json.empty() ? std::string_view("{}") : u.answer_json);
  }
  Statement st{UpdateSql(), Params()};
  st.params.Array(col.id).Array(col.state).Array(col.next).Array(col.at).Array(col.remote_id);
  st.params.Array(col.reason).Array(col.channel).Array(col.recipient).Array(col.route);
  st.params.Array(col.release).Array(col.type).Array(col.detail).Array(col.answer).Text(self);
  return st;
}

// The updated messages in the order given (RETURNING has none).
std::vector<OutboxMessage> FinishUpdate(const Rows& r) {
  std::vector<std::pair<std::int64_t, OutboxMessage>> done;
  done.reserve(static_cast<std::size_t>(r.size()));
  for (int i = 0; i < r.size(); ++i) {
    done.emplace_back(r[i].ColInt(kPosColumn + 1), MessageFromRow(r[i]));
  }
  std::sort(done.begin(), done.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<OutboxMessage> out;
  out.reserve(done.size());
  for (auto& [ord, m] : done) out.push_back(std::move(m));
  return out;
}

Result<std::vector<OutboxMessage>> UpdateIn(Conn& c, std::span<const MessageUpdate> updates,
                                            std::string_view self) {
  if (updates.empty()) return std::vector<OutboxMessage>{};
  Statement st = PlanUpdate(updates, self);
  LL_ASSIGN(Rows r, c.Exec(st.sql, st.params, "recording delivery outcomes"));
  return FinishUpdate(r);
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
  // Outcomes first, so a message failed over to another channel can be claimed there at once;
  // new messages before the claims, so a message due now can leave in the same step. All of it
  // in one round trip.
  std::vector<Statement> statements;
  if (!step.updates.empty()) statements.push_back(PlanUpdate(step.updates, self_));
  EnqueuePlan enqueue;
  if (!step.enqueue.empty()) {
    enqueue = PlanEnqueue(step.enqueue, ids);
    statements.push_back(std::move(enqueue.statement));
  }
  for (const ClaimRequest& r : step.claims) {
    if (r.limit > 0) statements.push_back(PlanClaim(r, step.now, self_));
  }
  return pool_->Write(Sync::kFull, "storing the relay's step", [&](Conn& c) -> Result<StepResult> {
    StepResult out;
    LL_ASSIGN(std::vector<Rows> rows, c.ExecPipeline(statements, "storing the relay's step"));
    std::size_t next = 0;
    if (!step.updates.empty()) out.updated = FinishUpdate(rows[next++]);
    if (!step.enqueue.empty()) {
      LL_ASSIGN(out.enqueued, FinishEnqueue(c, enqueue, step.enqueue, ids, rows[next++]));
    }
    while (next < rows.size()) FinishClaim(rows[next++], out.claimed);
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
// time each was claimed at (column 20), for ordering. ClaimDue runs it with the claims' events
// appended (ClaimAndLogSql).
std::string ClaimSql(bool contact_only) {
  return Cat("WITH ", ClaimCtes(contact_only), " SELECT * FROM claimed");
}

std::unique_ptr<OutboxStore> NewPgOutbox(Pool* pool, std::string self) {
  return std::make_unique<PgOutbox>(pool, std::move(self));
}

}  // namespace lifeline::store::pg
