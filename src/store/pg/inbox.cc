// The PostgreSQL inbox store (store/inbox.h): the SQL of messages, replies, statuses and
// conversations (inbox_moves.cc has the rest). Messages and replies commit with synchronous_commit
// on (Sync::kFull): a message is on the server's disk before the webhook that brought it is
// answered.
#include "store/pg/inbox.h"

#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "store/pg/inbox_internal.h"

namespace lifeline::store::pg {
namespace internal {
namespace {

using core::ErrorCode;
using core::MakeError;
using core::Result;
using core::Status;
using Sync = Pool::Sync;

constexpr std::string_view kConvColumns =
    "id, contact, name, channel, address, state, priority, assignee, waiting_since, "
    "first_reply_at, last_inbound_at, last_message_at, snoozed_until, link_token, moved_from, "
    "moved_at, created_at, updated_at";
// Messages are read with the platform's status of their remote id (statuses are kept apart:
// they may arrive before the relay records the remote id).
constexpr std::string_view kMsgColumns =
    "m.seq, m.id, m.conversation_id, m.direction, m.channel, m.address, m.source, m.platform, "
    "m.platform_id, m.sent_at, m.received_at, m.text, m.kind, m.author, m.relay_id, m.status, "
    "m.remote_id, s.status, s.at, s.error";
constexpr std::string_view kMsgFrom =
    " FROM inbox_messages m LEFT JOIN inbox_statuses s ON m.remote_id <> '' AND s.remote_id = "
    "m.remote_id";

// How often Ingest starts over after finding its message stored by another instance meanwhile
// (the next attempt finds it at once and answers as for a retry).
constexpr int kIngestAttempts = 3;

// Appends " AND column = $n::text" taking `value` as parameter n, unless `value` is "" (any).
void AndEquals(std::string& sql, Params& p, std::string_view column, std::string_view value) {
  if (value.empty()) return;
  p.Text(value);
  sql += fmt::format(" AND {} = ${}::text", column, p.size());
}

Conversation ConvFromRow(const Row& r) {
  Conversation c;
  c.id = r.ColText(0);
  c.contact = r.ColText(1);
  c.name = r.ColText(2);
  c.channel = r.ColText(3);
  c.address = r.ColText(4);
  c.state = ParseConversationState(r.ColText(5)).value_or(ConversationState::kOpen);
  c.priority = static_cast<int>(r.ColInt(6));
  c.assignee = r.ColText(7);
  c.waiting_since = r.ColOptTime(8);
  c.first_reply_at = r.ColOptTime(9);
  c.last_inbound_at = r.ColOptTime(10);
  c.last_message_at = r.ColOptTime(11);
  c.snoozed_until = r.ColOptTime(12);
  c.link_token = r.ColText(13);
  c.moved_from = r.ColText(14);
  c.moved_at = r.ColOptTime(15);
  c.created_at = r.ColTime(16);
  c.updated_at = r.ColTime(17);
  return c;
}

InboxMessage MsgFromRow(const Row& r) {
  InboxMessage m;
  m.seq = r.ColInt(0);
  m.id = r.ColText(1);
  m.conversation_id = r.ColText(2);
  m.direction = r.ColText(3) == "out" ? Direction::kOut : Direction::kIn;
  m.channel = r.ColText(4);
  m.address = r.ColText(5);
  m.source = r.ColText(6);
  m.platform = r.ColText(7);
  m.platform_id = r.ColText(8);
  m.sent_at = r.ColTime(9);
  m.received_at = r.ColTime(10);
  m.text = r.ColText(11);
  m.kind = r.ColText(12);
  m.author = r.ColText(13);
  m.relay_id = r.ColText(14);
  m.status = r.ColText(15);
  m.remote_id = r.ColText(16);
  m.platform_status = r.ColText(17);  // "" when NULL (no status)
  m.platform_status_at = r.ColOptTime(18);
  m.platform_error = r.ColText(19);
  return m;
}

// The conversation whose `column` is `value`; `lock`: locked until the transaction ends (the
// latest committed version, once another transaction holding it has finished).
Result<std::optional<Conversation>> ConvWhere(Conn& c, std::string_view column,
                                              std::string_view value, bool lock) {
  LL_ASSIGN(Rows r, c.Exec(Cat(Cat("SELECT ", kConvColumns, " FROM inbox_conversations WHERE "),
                               column, lock ? " = $1::text FOR UPDATE" : " = $1::text"),
                           Params().Text(value), "reading a conversation"));
  if (r.empty()) return std::optional<Conversation>();
  return std::optional<Conversation>(ConvFromRow(r[0]));
}

Result<std::optional<InboxMessage>> MsgWhere(Conn& c, std::string_view platform,
                                             std::string_view platform_id) {
  LL_ASSIGN(Rows r, c.Exec(Cat(Cat("SELECT ", kMsgColumns, kMsgFrom),
                               " WHERE m.platform = $1::text AND m.platform_id = $2::text"),
                           Params().Text(platform).Text(platform_id), "reading a message"));
  if (r.empty()) return std::optional<InboxMessage>();
  return std::optional<InboxMessage>(MsgFromRow(r[0]));
}

Result<std::string> ContactOf(Conn& c, std::string_view channel, std::string_view address) {
  LL_ASSIGN(Rows r, c.Exec("SELECT contact FROM inbox_addresses WHERE channel = $1::text AND "
                           "address = $2::text",
                           Params().Text(channel).Text(address), "reading an address"));
  return r.empty() ? std::string() : r[0].ColText(0);
}

// Maps (channel, address) to `contact` unless it is mapped already; true when this call mapped it.
Result<bool> InsertAddress(Conn& c, std::string_view contact, std::string_view channel,
                           std::string_view address, std::string_view name, Time at) {
  LL_ASSIGN(Rows r, c.Exec("INSERT INTO inbox_addresses (channel, address, contact, name, "
                           "created_at) VALUES ($1::text, $2::text, $3::text, $4::text, "
                           "$5::bigint) ON CONFLICT (channel, address) DO NOTHING",
                           Params().Text(channel).Text(address).Text(contact).Text(name).Time(at),
                           "storing an address"));
  return r.affected() > 0;
}

// Stores `m` unless (platform, platform_id) is stored; its seq, or nullopt when it was. No conflict
// target: the id (derived from platform and platform_id) is unique too, and either may be the
// one the insert meets first when another transaction is storing the same message.
Result<std::optional<std::int64_t>> InsertMessage(Conn& c, const InboxMessage& m) {
  LL_ASSIGN(Rows r,
            c.Exec("INSERT INTO inbox_messages (id, conversation_id, direction, channel, address, "
                   "source, platform, platform_id, sent_at, received_at, text, kind, author, "
                   "relay_id, status, remote_id) VALUES ($1::text, $2::text, $3::text, $4::text, "
                   "$5::text, $6::text, $7::text, $8::text, $9::bigint, $10::bigint, $11::text, "
                   "$12::text, $13::text, $14::text, $15::text, '') "
                   "ON CONFLICT DO NOTHING RETURNING seq",
                   Params()
                       .Text(m.id)
                       .Text(m.conversation_id)
                       .Text(m.direction == Direction::kOut ? "out" : "in")
                       .Text(m.channel)
                       .Text(m.address)
                       .Text(m.source)
                       .Text(m.platform)
                       .Text(m.platform_id)
                       .Time(m.sent_at)
                       .Time(m.received_at)
                       .Text(m.text)
                       .Text(m.kind)
                       .Text(m.author)
                       .Text(m.relay_id)
                       .Text(m.status),
                   "storing a message"));
  if (r.empty()) return std::optional<std::int64_t>();
  return std::optional<std::int64_t>(r[0].ColInt(0));
}

}  // namespace

Result<Conversation> GetConversation(Conn& c, std::string_view id, bool lock) {
  LL_ASSIGN(auto conv, ConvWhere(c, "id", id, lock));
  if (!conv) return MakeError(ErrorCode::kNotFound, "no conversation '{}'", id);
  return std::move(*conv);
}

Status SaveConversation(Conn& c, const Conversation& conv) {
  LL_ASSIGN(Rows r,
            c.Exec("UPDATE inbox_conversations SET contact = $2::text, name = $3::text, "
                   "channel = $4::text, address = $5::text, state = $6::text, priority = "
                   "$7::integer, assignee = $8::text, waiting_since = $9::bigint, first_reply_at "
                   "= $10::bigint, last_inbound_at = $11::bigint, last_message_at = $12::bigint, "
                   "snoozed_until = $13::bigint, link_token = $14::text, moved_from = $15::text, "
                   "moved_at = $16::bigint, created_at = $17::bigint, updated_at = $18::bigint "
                   "WHERE id = $1::text",
                   Params()
                       .Text(conv.id)
                       .Text(conv.contact)
                       .Text(conv.name)
                       .Text(conv.channel)
                       .Text(conv.address)
                       .Text(ConversationStateName(conv.state))
                       .Int(conv.priority)
                       .Text(conv.assignee)
                       .OptTime(conv.waiting_since)
                       .OptTime(conv.first_reply_at)
                       .OptTime(conv.last_inbound_at)
                       .OptTime(conv.last_message_at)
                       .OptTime(conv.snoozed_until)
                       .Text(conv.link_token)
                       .Text(conv.moved_from)
                       .OptTime(conv.moved_at)
                       .Time(conv.created_at)
                       .Time(conv.updated_at),
                   "updating a conversation"));
  if (r.affected() == 0) return MakeError(ErrorCode::kNotFound, "no conversation '{}'", conv.id);
  return core::Ok();
}

namespace {

// The contact's conversation, locked; created (open, nobody waiting yet) when it has none.
// `created` says which.
Result<Conversation> LockOrCreate(Conn& c, const std::string& contact, const NewInbound& in,
                                  const std::string& fresh_token, bool& created) {
  created = false;
  LL_ASSIGN(auto conv, ConvWhere(c, "contact", contact, true));
  if (conv) return std::move(*conv);
  // Another instance creating it at once makes this insert wait for it and then do nothing: its
  // conversation is the contact's. No conflict target: the id (derived from the contact) and the
  // contact are both unique, and either may be the one the insert meets first.
  LL_ASSIGN(Rows r, c.Exec(Cat("INSERT INTO inbox_conversations (", kConvColumns,
                               ") VALUES ($1::text, $2::text, '', $3::text, $4::text, 'open', 0, "
                               "'', NULL, NULL, NULL, NULL, NULL, $5::text, '', NULL, $6::bigint, "
                               "$6::bigint) ON CONFLICT DO NOTHING RETURNING ")
                               .append(kConvColumns),
                           Params()
                               .Text(ConversationIdFor(contact))
                               .Text(contact)
                               .Text(in.channel)
                               .Text(in.address)
                               .Text(fresh_token)
                               .Time(in.received_at),
                           "creating a conversation"));
  if (!r.empty()) {
    created = true;
    return ConvFromRow(r[0]);
  }
  LL_ASSIGN(conv, ConvWhere(c, "contact", contact, true));
  if (!conv) {
    return MakeError(ErrorCode::kInternal,
                     "the conversation of contact {} is neither new nor stored", contact);
  }
  return std::move(*conv);
}

std::optional<Time> Earlier(std::optional<Time> a, Time b) { return a ? std::min(*a, b) : b; }
std::optional<Time> Later(std::optional<Time> a, Time b) { return a ? std::max(*a, b) : b; }

}  // namespace

Result<Ingested> PgInbox::Ingest(const NewInbound& in) {
  LL_TRY(ValidateInbound(in));
  // Drawn before the transaction: used only when the conversation is new.
  const std::string fresh_token = NewLinkToken();
  for (int attempt = 1;; ++attempt) {
    bool raced = false;
    auto r = pool_->Write(Sync::kFull, "storing an inbound message", [&](Conn& c) {
      raced = false;
      return IngestIn(c, in, fresh_token, raced);
    });
    if (r.ok() || !raced || attempt == kIngestAttempts) return r;
  }
}

void PgInbox::IngestAsync(const NewInbound& in, std::function<void(Result<Ingested>)> done) {
  if (auto v = ValidateInbound(in); !v.ok()) return done(v.error());
  auto job = std::make_shared<std::pair<NewInbound, std::function<void(Result<Ingested>)>>>(
      in, std::move(done));
  if (!work_.Post([this, job] { job->second(Ingest(job->first)); })) {
    job->second(MakeError(ErrorCode::kUnavailable, "the inbox store is closing"));
  }
}

Result<Ingested> PgInbox::IngestIn(Conn& c, const NewInbound& in, const std::string& fresh_token,
                                   bool& raced) {
  Ingested out;
  LL_ASSIGN(auto existing, MsgWhere(c, in.platform, in.platform_id));
  if (existing) {
    out.message = std::move(*existing);
    LL_ASSIGN(out.conversation, GetConversation(c, out.message.conversation_id, false));
    return out;
  }
  LL_ASSIGN(std::string contact, ContactOf(c, in.channel, in.address));
  if (contact.empty()) {
    if (!in.link_token.empty()) {
      LL_ASSIGN(auto by_token, ConvWhere(c, "link_token", in.link_token, false));
      if (by_token) contact = by_token->contact;
    }
    if (contact.empty()) {
      contact =
          !in.config_contact.empty() ? in.config_contact : NewContactId(in.channel, in.address);
    }
    // Another instance mapping the same address at once: its insert came first (this one waited
    // for it and did nothing), so its contact is the address's.
    LL_ASSIGN(bool mapped,
              InsertAddress(c, contact, in.channel, in.address, in.name, in.received_at));
    if (!mapped) {
      LL_ASSIGN(contact, ContactOf(c, in.channel, in.address));
    }
  }
  bool insert = false;
  LL_ASSIGN(Conversation conv, LockOrCreate(c, contact, in, fresh_token, insert));
  // With the conversation locked, every other message of it waits here: the message is stored by
  // this transaction, or by one that committed before (a retry that reached another instance).
  InboxMessage m;
  m.id = MessageIdFor(in.platform, in.platform_id);
  m.conversation_id = conv.id;
  m.direction = Direction::kIn;
  m.channel = in.channel;
  m.address = in.address;
  m.source = in.source;
  m.platform = in.platform;
  m.platform_id = in.platform_id;
  m.sent_at = in.sent_at;
  m.received_at = in.received_at;
  m.text = in.text;
  m.kind = in.kind;
  LL_ASSIGN(auto seq, InsertMessage(c, m));
  if (!seq) {
    raced = true;
    return MakeError(ErrorCode::kUnavailable,
                     "message {} {} was stored by another instance meanwhile", in.platform,
                     in.platform_id);
  }
  m.seq = *seq;  // no status yet: nothing else to read back
  if (!in.name.empty()) conv.name = in.name;
  // The customer is where they last wrote (by platform time: a replayed older message does not
  // pull the conversation back).
  if (!conv.last_inbound_at || in.sent_at >= *conv.last_inbound_at || insert) {
    conv.channel = in.channel;
    conv.address = in.address;
  }
  // Unanswered unless a reply was sent after it (by platform time).
  LL_ASSIGN(Rows answered_rows,
            c.Exec("SELECT 1 FROM inbox_messages WHERE conversation_id = $1::text AND "
                   "direction = 'out' AND author <> '' AND sent_at > $2::bigint LIMIT 1",
                   Params().Text(conv.id).Time(in.sent_at), "reading a conversation's replies"));
  const bool answered = !answered_rows.empty();
  if (!answered) conv.waiting_since = Earlier(conv.waiting_since, in.sent_at);
  conv.last_inbound_at = Later(conv.last_inbound_at, in.sent_at);
  conv.last_message_at = Later(conv.last_message_at, in.sent_at);
  if (conv.state != ConversationState::kOpen && !answered) {
    conv.state = ConversationState::kOpen;
    conv.snoozed_until.reset();
  }
  conv.updated_at = in.received_at;
  LL_TRY(SaveConversation(c, conv));
  out.message = std::move(m);
  out.conversation = std::move(conv);
  out.created = true;
  return out;
}

Result<InboxMessage> PgInbox::AddOutbound(const NewOutbound& o) {
  if (o.relay_key.empty()) return MakeError(ErrorCode::kInvalidArgument, "relay_key is empty");
  const std::string platform_id = "relay:" + o.relay_key;
  return pool_->Write(Sync::kFull, "storing a reply", [&](Conn& c) -> Result<InboxMessage> {
    LL_ASSIGN(auto existing, MsgWhere(c, "lifeline", platform_id));
    if (existing) return std::move(*existing);
    LL_ASSIGN(Conversation conv, GetConversation(c, o.conversation_id, true));
    InboxMessage m;
    m.id = MessageIdFor("lifeline", platform_id);
    m.conversation_id = conv.id;
    m.direction = Direction::kOut;
    m.channel = o.channel;
    m.address = o.address;
    m.source = "relay";
    m.platform = "lifeline";
    m.platform_id = platform_id;
    m.sent_at = o.at;
    m.received_at = o.at;
    m.text = o.text;
    m.kind = "text";
    m.author = o.answers ? (o.author.empty() ? std::string("lifeline") : o.author) : "";
    m.relay_id = o.relay_id;
    m.status = o.status;
    LL_ASSIGN(auto seq, InsertMessage(c, m));
    if (seq) {
      if (o.answers) {
        conv.waiting_since.reset();
        if (!conv.first_reply_at) conv.first_reply_at = o.at;
      }
      conv.last_message_at = Later(conv.last_message_at, o.at);
      conv.updated_at = o.at;
      LL_TRY(SaveConversation(c, conv));
    }
    // Stored now, or by another instance since this one looked: either way the stored one.
    LL_ASSIGN(auto stored, MsgWhere(c, "lifeline", platform_id));
    if (!stored) return MakeError(ErrorCode::kInternal, "reply {} vanished", platform_id);
    return std::move(*stored);
  });
}

Status PgInbox::SetOutboundStatus(std::string_view relay_id, std::string_view status,
                                  std::string_view remote_id) {
  if (relay_id.empty()) return core::Ok();
  return pool_->Write(Sync::kNormal, "updating a reply's status", [&](Conn& c) -> Status {
    LL_ASSIGN(Rows r, c.Exec("UPDATE inbox_messages SET status = $2::text, remote_id = CASE "
                             "WHEN $3::text = '' THEN remote_id ELSE $3::text END "
                             "WHERE relay_id = $1::text AND relay_id <> ''",
                             Params().Text(relay_id).Text(status).Text(remote_id),
                             "updating a reply's status"));
    (void)r;
    return core::Ok();
  });
}

Result<std::optional<std::string>> PgInbox::ApplyStatus(const PlatformStatus& st) {
  using Out = std::optional<std::string>;
  LL_TRY(ValidateStatus(st));
  return pool_->Write(Sync::kFull, "storing a delivery status", [&](Conn& c) -> Result<Out> {
    // One statement: the stored status is replaced only by a further one, whichever instance
    // stores either.
    LL_ASSIGN(Rows r,
              c.Exec("INSERT INTO inbox_statuses (remote_id, platform, status, at, error, "
                     "received_at) VALUES ($1::text, $2::text, $3::text, $4::bigint, $5::text, "
                     "$6::bigint) ON CONFLICT (remote_id) DO UPDATE SET status = excluded.status, "
                     "at = excluded.at, error = excluded.error, received_at = "
                     "excluded.received_at WHERE (CASE inbox_statuses.status WHEN 'sent' THEN 1 "
                     "WHEN 'failed' THEN 2 WHEN 'delivered' THEN 3 WHEN 'read' THEN 4 ELSE 0 END) "
                     "< $7::integer RETURNING remote_id",
                     Params()
                         .Text(st.remote_id)
                         .Text(st.platform)
                         .Text(st.status)
                         .Time(st.at)
                         .Text(st.error)
                         .Time(st.received_at)
                         .Int(PlatformStatusRank(st.status)),
                     "storing a delivery status"));
    if (r.empty()) return Out();  // older news
    LL_ASSIGN(Rows conv, c.Exec("SELECT conversation_id FROM inbox_messages WHERE remote_id = "
                                "$1::text AND remote_id <> '' AND direction = 'out' LIMIT 1",
                                Params().Text(st.remote_id), "finding a status's message"));
    if (conv.empty()) return Out();
    return Out(conv[0].ColText(0));
  });
}

void PgInbox::ApplyStatusAsync(const PlatformStatus& st,
                               std::function<void(Result<std::optional<std::string>>)> done) {
  if (auto v = ValidateStatus(st); !v.ok()) return done(v.error());
  auto job = std::make_shared<
      std::pair<PlatformStatus, std::function<void(Result<std::optional<std::string>>)>>>(
      st, std::move(done));
  if (!work_.Post([this, job] { job->second(ApplyStatus(job->first)); })) {
    job->second(MakeError(ErrorCode::kUnavailable, "the inbox store is closing"));
  }
}

Status PgInbox::AddAddress(std::string_view contact, std::string_view channel,
                           std::string_view address, Time at) {
  if (contact.empty() || channel.empty() || address.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "contact, channel and address are required");
  }
  return pool_->Write(Sync::kFull, "storing an address", [&](Conn& c) -> Status {
    LL_ASSIGN(bool mapped, InsertAddress(c, contact, channel, address, "", at));
    (void)mapped;  // an existing mapping is kept
    return core::Ok();
  });
}

Result<std::vector<std::pair<std::string, std::string>>> PgInbox::Addresses(
    std::string_view contact) {
  using Out = std::vector<std::pair<std::string, std::string>>;
  return pool_->Read("reading addresses", [&](Conn& c) -> Result<Out> {
    LL_ASSIGN(Rows r, c.Exec("SELECT channel, address FROM inbox_addresses WHERE contact = "
                             "$1::text ORDER BY created_at, channel COLLATE \"C\", "
                             "address COLLATE \"C\"",
                             Params().Text(contact), "reading addresses"));
    Out out;
    for (int i = 0; i < r.size(); ++i) out.emplace_back(r[i].ColText(0), r[i].ColText(1));
    return out;
  });
}

Result<Conversation> PgInbox::Get(std::string_view id) {
  return pool_->Read("reading a conversation", [&](Conn& c) -> Result<Conversation> {
    return GetConversation(c, id, false);
  });
}

Result<std::vector<Conversation>> PgInbox::List(const ConversationQuery& q) {
  // One statement text per filter combination, each with only the parameters it uses.
  std::string sql = Cat("SELECT ", kConvColumns, " FROM inbox_conversations WHERE true");
  Params p;
  AndEquals(sql, p, "state", q.state ? ConversationStateName(*q.state) : "");
  AndEquals(sql, p, "channel", q.channel);
  AndEquals(sql, p, "assignee", q.assignee);
  if (q.waiting_only) sql += " AND waiting_since IS NOT NULL";
  p.Int(static_cast<std::int64_t>(q.limit == 0 ? 500 : q.limit));
  // NULLS LAST: SQLite sorts a NULL first, so last in a descending order.
  sql += fmt::format(
      " ORDER BY waiting_since IS NULL, waiting_since, last_message_at DESC NULLS LAST, "
      "id COLLATE \"C\" LIMIT ${}::bigint",
      p.size());
  return pool_->Read("listing conversations", [&](Conn& c) -> Result<std::vector<Conversation>> {
    LL_ASSIGN(Rows r, c.Exec(sql, p, "listing conversations"));
    std::vector<Conversation> out;
    for (int i = 0; i < r.size(); ++i) out.push_back(ConvFromRow(r[i]));
    return out;
  });
}

Result<std::vector<InboxMessage>> PgInbox::Messages(const InboxMessageQuery& q) {
  std::string sql = Cat(Cat("SELECT ", kMsgColumns, kMsgFrom), " WHERE true");
  Params p;
  AndEquals(sql, p, "m.conversation_id", q.conversation_id);
  AndEquals(sql, p, "m.direction",
            !q.direction                     ? ""
            : *q.direction == Direction::kIn ? "in"
                                             : "out");
  if (q.received_from) {
    p.Time(*q.received_from);
    sql += fmt::format(" AND m.received_at >= ${}::bigint", p.size());
  }
  if (q.received_to) {
    p.Time(*q.received_to);
    sql += fmt::format(" AND m.received_at < ${}::bigint", p.size());
  }
  p.Int(static_cast<std::int64_t>(q.limit == 0 ? 1000 : q.limit));
  sql += fmt::format(" ORDER BY m.sent_at, m.received_at, m.seq LIMIT ${}::bigint", p.size());
  return pool_->Read("listing messages", [&](Conn& c) -> Result<std::vector<InboxMessage>> {
    LL_ASSIGN(Rows r, c.Exec(sql, p, "listing messages"));
    std::vector<InboxMessage> out;
    for (int i = 0; i < r.size(); ++i) out.push_back(MsgFromRow(r[i]));
    return out;
  });
}

Result<Conversation> PgInbox::Update(std::string_view id, const ConversationPatch& p) {
  if (p.priority && (*p.priority < 0 || *p.priority > 4)) {
    return MakeError(ErrorCode::kInvalidArgument, "priority must be 0 to 4");
  }
  return pool_->Write(Sync::kFull, "updating a conversation", [&](Conn& c) -> Result<Conversation> {
    LL_ASSIGN(Conversation conv, GetConversation(c, id, true));
    if (p.state) conv.state = *p.state;
    if (p.assignee) conv.assignee = *p.assignee;
    if (p.priority) conv.priority = *p.priority;
    if (p.snoozed_until) conv.snoozed_until = *p.snoozed_until;
    if (conv.state != ConversationState::kSnoozed) conv.snoozed_until.reset();
    conv.updated_at = p.at;
    LL_TRY(SaveConversation(c, conv));
    return conv;
  });
}

}  // namespace internal

std::unique_ptr<InboxStore> NewPgInbox(Pool* pool) {
  return std::make_unique<internal::PgInbox>(pool);
}

}  // namespace lifeline::store::pg
