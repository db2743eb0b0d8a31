// The SQLite inbox store (store/inbox.h): all of its SQL.
#include "store/sqlite/inbox.h"

#include <algorithm>
#include <limits>

namespace lifeline::store::sqlite {
namespace {

using core::ErrorCode;
using core::MakeError;
using core::Result;
using core::Status;
using Sync = Connections::Sync;

constexpr const char* kConvColumns =
    "id, contact, name, channel, address, state, priority, assignee, waiting_since, "
    "first_reply_at, last_inbound_at, last_message_at, snoozed_until, link_token, moved_from, "
    "moved_at, created_at, updated_at";
// Messages are read with the platform's status of their remote id (statuses are kept apart:
// they may arrive before the relay records the remote id).
constexpr const char* kMsgColumns =
    "m.seq, m.id, m.conversation_id, m.direction, m.channel, m.address, m.source, m.platform, "
    "m.platform_id, m.sent_at, m.received_at, m.text, m.kind, m.author, m.relay_id, m.status, "
    "m.remote_id, s.status, s.at, s.error";
constexpr const char* kMsgFrom =
    " FROM inbox_messages m LEFT JOIN inbox_statuses s ON m.remote_id <> '' AND s.remote_id = "
    "m.remote_id";
constexpr const char* kMoveColumns =
    "key, conversation_id, incident_id, from_channel, to_channel, to_address, relay_id, at, "
    "from_address, on_restoration, restored_at, restored_note, from_name, from_link, to_name";

constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();

Conversation ConvFromRow(const Stmt& s) {
  Conversation c;
  c.id = s.ColText(0);
  c.contact = s.ColText(1);
  c.name = s.ColText(2);
  c.channel = s.ColText(3);
  c.address = s.ColText(4);
  c.state = ParseConversationState(s.ColText(5)).value_or(ConversationState::kOpen);
  c.priority = static_cast<int>(s.ColInt(6));
  c.assignee = s.ColText(7);
  c.waiting_since = s.ColOptTime(8);
  c.first_reply_at = s.ColOptTime(9);
  c.last_inbound_at = s.ColOptTime(10);
  c.last_message_at = s.ColOptTime(11);
  c.snoozed_until = s.ColOptTime(12);
  c.link_token = s.ColText(13);
  c.moved_from = s.ColText(14);
  c.moved_at = s.ColOptTime(15);
  c.created_at = s.ColTime(16);
  c.updated_at = s.ColTime(17);
  return c;
}

InboxMessage MsgFromRow(const Stmt& s) {
  InboxMessage m;
  m.seq = s.ColInt(0);
  m.id = s.ColText(1);
  m.conversation_id = s.ColText(2);
  m.direction = s.ColText(3) == "out" ? Direction::kOut : Direction::kIn;
  m.channel = s.ColText(4);
  m.address = s.ColText(5);
  m.source = s.ColText(6);
  m.platform = s.ColText(7);
  m.platform_id = s.ColText(8);
  m.sent_at = s.ColTime(9);
  m.received_at = s.ColTime(10);
  m.text = s.ColText(11);
  m.kind = s.ColText(12);
  m.author = s.ColText(13);
  m.relay_id = s.ColText(14);
  m.status = s.ColText(15);
  m.remote_id = s.ColText(16);
  m.platform_status = s.ColText(17);
  m.platform_status_at = s.ColOptTime(18);
  m.platform_error = s.ColText(19);
  return m;
}

Move MoveFromRow(const Stmt& s) {
  Move m;
  m.key = s.ColText(0);
  m.conversation_id = s.ColText(1);
  m.incident_id = s.ColText(2);
  m.from_channel = s.ColText(3);
  m.to_channel = s.ColText(4);
  m.to_address = s.ColText(5);
  m.relay_id = s.ColText(6);
  m.at = s.ColTime(7);
  m.from_address = s.ColText(8);
  m.on_restoration = s.ColText(9);
  m.restored_at = s.ColOptTime(10);
  m.restored_note = s.ColText(11);
  m.from_name = s.ColText(12);
  m.from_link = s.ColText(13);
  m.to_name = s.ColText(14);
  return m;
}

Result<std::optional<Conversation>> ConvWhere(Db& db, const char* column, std::string_view v) {
  auto sel = db.Prepare(std::string("SELECT ") + kConvColumns + " FROM inbox_conversations WHERE " +
                        column + " = ?1");
  if (!sel) return sel.error();
  sel->Text(1, v);
  LL_ASSIGN(bool row, sel->Step());
  if (!row) return std::optional<Conversation>();
  Conversation c = ConvFromRow(*sel);
  LL_TRY(sel->Run());
  return std::optional<Conversation>(std::move(c));
}

Result<Conversation> GetIn(Db& db, std::string_view id) {
  LL_ASSIGN(auto c, ConvWhere(db, "id", id));
  if (!c) return MakeError(ErrorCode::kNotFound, "no conversation '{}'", id);
  return std::move(*c);
}

Result<std::optional<InboxMessage>> MsgWhere(Db& db, std::string_view platform,
                                             std::string_view platform_id) {
  auto sel = db.Prepare(std::string("SELECT ") + kMsgColumns + kMsgFrom +
                        " WHERE m.platform = ?1 AND m.platform_id = ?2");
  if (!sel) return sel.error();
  sel->Text(1, platform).Text(2, platform_id);
  LL_ASSIGN(bool row, sel->Step());
  if (!row) return std::optional<InboxMessage>();
  InboxMessage m = MsgFromRow(*sel);
  LL_TRY(sel->Run());
  return std::optional<InboxMessage>(std::move(m));
}

Result<std::string> ContactOf(Db& db, std::string_view channel, std::string_view address) {
  auto sel = db.Prepare("SELECT contact FROM inbox_addresses WHERE channel = ?1 AND address = ?2");
  if (!sel) return sel.error();
  sel->Text(1, channel).Text(2, address);
  LL_ASSIGN(bool row, sel->Step());
  if (!row) return std::string();
  std::string contact = sel->ColText(0);
  LL_TRY(sel->Run());
  return contact;
}

Status InsertAddress(Db& db, std::string_view contact, std::string_view channel,
                     std::string_view address, std::string_view name, Time at) {
  auto ins = db.Prepare(
      "INSERT INTO inbox_addresses (channel, address, contact, name, created_at) VALUES (?1, ?2, "
      "?3, ?4, ?5) ON CONFLICT (channel, address) DO NOTHING");
  if (!ins) return ins.error();
  ins->Text(1, channel).Text(2, address).Text(3, contact).Text(4, name).Time(5, at);
  return ins->Run();
}

Status InsertMessage(Db& db, const InboxMessage& m) {
  auto ins = db.Prepare(
      "INSERT INTO inbox_messages (id, conversation_id, direction, channel, address, source, "
      "platform, platform_id, sent_at, received_at, text, kind, author, relay_id, status) VALUES "
      "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)");
  if (!ins) return ins.error();
  ins->Text(1, m.id)
      .Text(2, m.conversation_id)
      .Text(3, m.direction == Direction::kOut ? "out" : "in")
      .Text(4, m.channel)
      .Text(5, m.address)
      .Text(6, m.source)
      .Text(7, m.platform)
      .Text(8, m.platform_id)
      .Time(9, m.sent_at)
      .Time(10, m.received_at)
      .Text(11, m.text)
      .Text(12, m.kind)
      .Text(13, m.author)
      .Text(14, m.relay_id)
      .Text(15, m.status);
  return ins->Run();
}

Status SaveConversation(Db& db, const Conversation& c, bool insert) {
  auto st = db.Prepare(
      insert ? "INSERT INTO inbox_conversations (id, contact, name, channel, address, state, "
               "priority, assignee, waiting_since, first_reply_at, last_inbound_at, "
               "last_message_at, snoozed_until, link_token, moved_from, moved_at, created_at, "
               "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, "
               "?15, ?16, ?17, ?18)"
             : "UPDATE inbox_conversations SET contact = ?2, name = ?3, channel = ?4, address = "
               "?5, state = ?6, priority = ?7, assignee = ?8, waiting_since = ?9, first_reply_at "
               "= ?10, last_inbound_at = ?11, last_message_at = ?12, snoozed_until = ?13, "
               "link_token = ?14, moved_from = ?15, moved_at = ?16, created_at = ?17, updated_at "
               "= ?18 WHERE id = ?1");
  if (!st) return st.error();
  st->Text(1, c.id)
      .Text(2, c.contact)
      .Text(3, c.name)
      .Text(4, c.channel)
      .Text(5, c.address)
      .Text(6, ConversationStateName(c.state))
      .Int(7, c.priority)
      .Text(8, c.assignee)
      .OptTime(9, c.waiting_since)
      .OptTime(10, c.first_reply_at)
      .OptTime(11, c.last_inbound_at)
      .OptTime(12, c.last_message_at)
      .OptTime(13, c.snoozed_until)
      .Text(14, c.link_token)
      .Text(15, c.moved_from)
      .OptTime(16, c.moved_at)
      .Time(17, c.created_at)
      .Time(18, c.updated_at);
  return st->Run();
}

std::optional<Time> Earlier(std::optional<Time> a, Time b) { return a ? std::min(*a, b) : b; }
std::optional<Time> Later(std::optional<Time> a, Time b) { return a ? std::max(*a, b) : b; }

class SqliteInbox final : public InboxStore {
 public:
  explicit SqliteInbox(Connections* conns) : conns_(conns) {}

  Result<Ingested> Ingest(const NewInbound& in) override {
    LL_TRY(ValidateInbound(in));
    // Drawn before the transaction: used only when the conversation is new.
    const std::string fresh_token = NewLinkToken();
    // Grouped: concurrent webhooks share one commit (one fsync), each still on disk before it
    // returns.
    return conns_->WriteGrouped("storing an inbound message",
                                [&](Db& db) { return IngestIn(db, in, fresh_token); });
  }

  void IngestAsync(const NewInbound& in, std::function<void(Result<Ingested>)> done) override {
    if (auto v = ValidateInbound(in); !v.ok()) return done(v.error());
    conns_->WriteGroupedAsync(
        "storing an inbound message",
        [this, in, fresh_token = NewLinkToken()](Db& db) { return IngestIn(db, in, fresh_token); },
        std::move(done));
  }

  Result<InboxMessage> AddOutbound(const NewOutbound& o) override {
    if (o.relay_key.empty()) {
      return MakeError(ErrorCode::kInvalidArgument, "relay_key is empty");
    }
    return conns_->Write(Sync::kFull, "storing a reply", [&](Db& db) -> Result<InboxMessage> {
      const std::string platform_id = "relay:" + o.relay_key;
      LL_ASSIGN(auto existing, MsgWhere(db, "lifeline", platform_id));
      if (existing) return std::move(*existing);
      LL_ASSIGN(Conversation c, GetIn(db, o.conversation_id));
      InboxMessage m;
      m.id = MessageIdFor("lifeline", platform_id);
      m.conversation_id = c.id;
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
      LL_TRY(InsertMessage(db, m));
      if (o.answers) {
        c.waiting_since.reset();
        if (!c.first_reply_at) c.first_reply_at = o.at;
      }
      c.last_message_at = Later(c.last_message_at, o.at);
      c.updated_at = o.at;
      LL_TRY(SaveConversation(db, c, false));
      LL_ASSIGN(auto stored, MsgWhere(db, "lifeline", platform_id));
      return std::move(*stored);
    });
  }

  Status SetOutboundStatus(std::string_view relay_id, std::string_view status,
                           std::string_view remote_id) override {
    if (relay_id.empty()) return core::Ok();
    return conns_->Write(Sync::kNormal, "updating a reply's status", [&](Db& db) -> Status {
      auto up = db.Prepare(
          "UPDATE inbox_messages SET status = ?2, remote_id = CASE WHEN coalesce(?3, '') = '' THEN "
          "remote_id ELSE ?3 END WHERE relay_id = ?1");
      if (!up) return up.error();
      up->Text(1, relay_id).Text(2, status).Text(3, remote_id);
      return up->Run();
    });
  }

  Result<std::optional<std::string>> ApplyStatus(const PlatformStatus& st) override {
    LL_TRY(ValidateStatus(st));
    return conns_->WriteGrouped("storing a delivery status",
                                [&](Db& db) { return ApplyStatusIn(db, st); });
  }

  void ApplyStatusAsync(const PlatformStatus& st,
                        std::function<void(Result<std::optional<std::string>>)> done) override {
    if (auto v = ValidateStatus(st); !v.ok()) return done(v.error());
    conns_->WriteGroupedAsync(
        "storing a delivery status", [this, st](Db& db) { return ApplyStatusIn(db, st); },
        std::move(done));
  }

  Status AddAddress(std::string_view contact, std::string_view channel, std::string_view address,
                    Time at) override {
    if (contact.empty() || channel.empty() || address.empty()) {
      return MakeError(ErrorCode::kInvalidArgument, "contact, channel and address are required");
    }
    return conns_->Write(Sync::kFull, "storing an address", [&](Db& db) -> Status {
      return InsertAddress(db, contact, channel, address, "", at);
    });
  }

  Result<std::vector<std::pair<std::string, std::string>>> Addresses(
      std::string_view contact) override {
    using Out = std::vector<std::pair<std::string, std::string>>;
    return conns_->Read("reading addresses", [&](Db& db) -> Result<Out> {
      auto sel = db.Prepare(
          "SELECT channel, address FROM inbox_addresses WHERE contact = ?1 ORDER BY created_at, "
          "channel, address");
      if (!sel) return sel.error();
      sel->Text(1, contact);
      Out out;
      while (true) {
        LL_ASSIGN(bool row, sel->Step());
        if (!row) break;
        out.emplace_back(sel->ColText(0), sel->ColText(1));
      }
      return out;
    });
  }

  Result<Conversation> Get(std::string_view id) override {
    return conns_->Read("reading a conversation",
                        [&](Db& db) -> Result<Conversation> { return GetIn(db, id); });
  }

  Result<std::vector<Conversation>> List(const ConversationQuery& q) override {
    return conns_->Read("listing conversations", [&](Db& db) -> Result<std::vector<Conversation>> {
      auto sel = db.Prepare(
          std::string("SELECT ") + kConvColumns +
          " FROM inbox_conversations WHERE (?1 = '' OR state = ?1) AND (?2 = '' OR channel = ?2) "
          "AND (?3 = '' OR assignee = ?3) AND (?4 = 0 OR waiting_since IS NOT NULL) ORDER BY "
          "waiting_since IS NULL, waiting_since, last_message_at DESC, id LIMIT ?5");
      if (!sel) return sel.error();
      sel->Text(1, q.state ? ConversationStateName(*q.state) : "")
          .Text(2, q.channel)
          .Text(3, q.assignee)
          .Int(4, q.waiting_only ? 1 : 0)
          .Int(5, static_cast<std::int64_t>(q.limit == 0 ? 500 : q.limit));
      std::vector<Conversation> out;
      while (true) {
        LL_ASSIGN(bool row, sel->Step());
        if (!row) break;
        out.push_back(ConvFromRow(*sel));
      }
      return out;
    });
  }

  Result<std::vector<InboxMessage>> Messages(const InboxMessageQuery& q) override {
    return conns_->Read("listing messages", [&](Db& db) -> Result<std::vector<InboxMessage>> {
      auto sel = db.Prepare(std::string("SELECT ") + kMsgColumns + kMsgFrom +
                            " WHERE (?1 = '' OR m.conversation_id = ?1) AND (?2 = '' OR "
                            "m.direction = ?2) AND m.received_at >= ?3 AND m.received_at < ?4 "
                            "ORDER BY m.sent_at, m.received_at, m.seq LIMIT ?5");
      if (!sel) return sel.error();
      sel->Text(1, q.conversation_id)
          .Text(2, !q.direction                     ? ""
                   : *q.direction == Direction::kIn ? "in"
                                                    : "out")
          .Int(3, q.received_from ? ToMillis(*q.received_from) : kMin)
          .Int(4, q.received_to ? ToMillis(*q.received_to) : kMax)
          .Int(5, static_cast<std::int64_t>(q.limit == 0 ? 1000 : q.limit));
      std::vector<InboxMessage> out;
      while (true) {
        LL_ASSIGN(bool row, sel->Step());
        if (!row) break;
        out.push_back(MsgFromRow(*sel));
      }
      return out;
    });
  }

  Result<Conversation> Update(std::string_view id, const ConversationPatch& p) override {
    if (p.priority && (*p.priority < 0 || *p.priority > 4)) {
      return MakeError(ErrorCode::kInvalidArgument, "priority must be 0 to 4");
    }
    return conns_->Write(Sync::kFull, "updating a conversation",
                         [&](Db& db) -> Result<Conversation> {
                           LL_ASSIGN(Conversation c, GetIn(db, id));
                           if (p.state) c.state = *p.state;
                           if (p.assignee) c.assignee = *p.assignee;
                           if (p.priority) c.priority = *p.priority;
                           if (p.snoozed_until) c.snoozed_until = *p.snoozed_until;
                           if (c.state != ConversationState::kSnoozed) c.snoozed_until.reset();
                           c.updated_at = p.at;
                           LL_TRY(SaveConversation(db, c, false));
                           return c;
                         });
  }

  Result<std::optional<Move>> FindMove(std::string_view key) override {
    return conns_->Read("reading a move", [&](Db& db) -> Result<std::optional<Move>> {
      auto sel =
          db.Prepare(std::string("SELECT ") + kMoveColumns + " FROM inbox_moves WHERE key = ?1");
      if (!sel) return sel.error();
      sel->Text(1, key);
      LL_ASSIGN(bool row, sel->Step());
      if (!row) return std::optional<Move>();
      Move m = MoveFromRow(*sel);
      LL_TRY(sel->Run());
      return std::optional<Move>(std::move(m));
    });
  }

  Result<Conversation> RecordMove(const Move& m) override {
    if (m.key.empty() || m.conversation_id.empty() || m.to_channel.empty()) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "a move needs a key, a conversation and a channel");
    }
    return conns_->Write(Sync::kFull, "moving a conversation", [&](Db& db) -> Result<Conversation> {
      auto exists = db.Prepare("SELECT 1 FROM inbox_moves WHERE key = ?1");
      if (!exists) return exists.error();
      exists->Text(1, m.key);
      LL_ASSIGN(bool row, exists->Step());
      if (row) {
        LL_TRY(exists->Run());
        return MakeError(ErrorCode::kAlreadyExists, "the move '{}' is stored", m.key);
      }
      LL_ASSIGN(Conversation c, GetIn(db, m.conversation_id));
      auto ins = db.Prepare(
          "INSERT INTO inbox_moves (key, conversation_id, incident_id, from_channel, to_channel, "
          "to_address, relay_id, at, from_address, on_restoration, restored_at, restored_note, "
          "from_name, from_link, to_name) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, NULL, "
          "'', ?11, ?12, ?13)");
      if (!ins) return ins.error();
      ins->Text(1, m.key)
          .Text(2, m.conversation_id)
          .Text(3, m.incident_id)
          .Text(4, m.from_channel)
          .Text(5, m.to_channel)
          .Text(6, m.to_address)
          .Text(7, m.relay_id)
          .Time(8, m.at)
          .Text(9, m.from_address)
          .Text(10, m.on_restoration)
          .Text(11, m.from_name)
          .Text(12, m.from_link)
          .Text(13, m.to_name);
      LL_TRY(ins->Run());
      c.moved_from = m.from_channel;
      c.moved_at = m.at;
      c.channel = m.to_channel;
      c.address = m.to_address;
      c.updated_at = m.at;
      LL_TRY(SaveConversation(db, c, false));
      return c;
    });
  }

  Result<std::vector<Move>> Moves(std::string_view incident_id) override {
    return ReadMoves("incident_id = ?1", incident_id);
  }

  Result<std::vector<Move>> PendingRestorations() override {
    return ReadMoves("on_restoration <> '' AND restored_at IS NULL AND ?1 = ''", "");
  }

  Result<Conversation> FinishRestoration(const RestorationDone& d) override {
    return conns_->Write(
        Sync::kFull, "finishing a move's restoration", [&](Db& db) -> Result<Conversation> {
          auto sel = db.Prepare(std::string("SELECT ") + kMoveColumns +
                                " FROM inbox_moves WHERE key = ?1");
          if (!sel) return sel.error();
          sel->Text(1, d.key);
          LL_ASSIGN(bool row, sel->Step());
          if (!row) return MakeError(ErrorCode::kNotFound, "no move '{}'", d.key);
          const Move m = MoveFromRow(*sel);
          LL_TRY(sel->Run());
          LL_ASSIGN(Conversation c, GetIn(db, m.conversation_id));
          if (m.restored_at) return c;  // done before
          auto up = db.Prepare(
              "UPDATE inbox_moves SET restored_at = ?2, restored_note = ?3 WHERE key = ?1");
          if (!up) return up.error();
          up->Text(1, d.key).Time(2, d.at).Text(3, d.note);
          LL_TRY(up->Run());
          if (d.move_back && !m.from_address.empty() && c.channel == m.to_channel &&
              c.address == m.to_address) {
            c.moved_from = m.to_channel;
            c.moved_at = d.at;
            c.channel = m.from_channel;
            c.address = m.from_address;
            c.updated_at = d.at;
            LL_TRY(SaveConversation(db, c, false));
          }
          return c;
        });
  }

  Result<std::optional<ImapCursor>> GetImapCursor(std::string_view source) override {
    return conns_->Read("reading an IMAP cursor", [&](Db& db) -> Result<std::optional<ImapCursor>> {
      auto sel = db.Prepare(
          "SELECT source, uidvalidity, last_uid, updated_at FROM inbox_imap_cursors WHERE source = "
          "?1");
      if (!sel) return sel.error();
      sel->Text(1, source);
      LL_ASSIGN(bool row, sel->Step());
      if (!row) return std::optional<ImapCursor>();
      ImapCursor c{sel->ColText(0), sel->ColInt(1), sel->ColInt(2), sel->ColTime(3)};
      LL_TRY(sel->Run());
      return std::optional<ImapCursor>(std::move(c));
    });
  }

  Status SetImapCursor(const ImapCursor& c) override {
    if (c.source.empty()) return MakeError(ErrorCode::kInvalidArgument, "source is empty");
    return conns_->Write(Sync::kFull, "storing an IMAP cursor", [&](Db& db) -> Status {
      auto up = db.Prepare(
          "INSERT INTO inbox_imap_cursors (source, uidvalidity, last_uid, updated_at) VALUES (?1, "
          "?2, ?3, ?4) ON CONFLICT (source) DO UPDATE SET uidvalidity = excluded.uidvalidity, "
          "last_uid = excluded.last_uid, updated_at = excluded.updated_at");
      if (!up) return up.error();
      up->Text(1, c.source).Int(2, c.uidvalidity).Int(3, c.last_uid).Time(4, c.updated_at);
      return up->Run();
    });
  }

  Status SaveEmailHeaders(const EmailHeaders& h) override {
    if (h.message_id.empty()) return MakeError(ErrorCode::kInvalidArgument, "message_id is empty");
    return conns_->Write(Sync::kFull, "storing an e-mail's headers", [&](Db& db) -> Status {
      auto ins = db.Prepare(
          "INSERT INTO inbox_email_headers (message_id, subject, header_id, refs) VALUES (?1, ?2, "
          "?3, ?4) ON CONFLICT (message_id) DO NOTHING");
      if (!ins) return ins.error();
      ins->Text(1, h.message_id).Text(2, h.subject).Text(3, h.header_id).Text(4, h.references);
      return ins->Run();
    });
  }

  Result<std::optional<EmailHeaders>> LatestEmailHeaders(
      std::string_view conversation_id) override {
    return conns_->Read(
        "reading an e-mail's headers", [&](Db& db) -> Result<std::optional<EmailHeaders>> {
          auto sel = db.Prepare(
              "SELECT h.message_id, h.subject, h.header_id, h.refs FROM inbox_email_headers h JOIN "
              "inbox_messages m ON m.id = h.message_id WHERE m.conversation_id = ?1 AND "
              "m.direction = 'in' ORDER BY m.sent_at DESC, m.seq DESC LIMIT 1");
          if (!sel) return sel.error();
          sel->Text(1, conversation_id);
          LL_ASSIGN(bool row, sel->Step());
          if (!row) return std::optional<EmailHeaders>();
          EmailHeaders h{sel->ColText(0), sel->ColText(1), sel->ColText(2), sel->ColText(3)};
          LL_TRY(sel->Run());
          return std::optional<EmailHeaders>(std::move(h));
        });
  }

  Result<CatchUpRecord> AddCatchUp(const CatchUpRecord& r) override {
    if (r.source.empty()) return MakeError(ErrorCode::kInvalidArgument, "source is empty");
    return conns_->Write(Sync::kFull, "storing a catch-up", [&](Db& db) -> Result<CatchUpRecord> {
      auto ins = db.Prepare(
          "INSERT INTO inbox_catchups (incident_id, source, kind, since, until, at, looked, found, "
          "fresh, pending, reason, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
          "?12)");
      if (!ins) return ins.error();
      ins->Text(1, r.incident_id)
          .Text(2, r.source)
          .Text(3, r.kind)
          .Time(4, r.since)
          .Time(5, r.until)
          .Time(6, r.at)
          .Int(7, r.looked ? 1 : 0)
          .OptInt(8, r.found)
          .OptInt(9, r.fresh)
          .OptInt(10, r.pending)
          .Text(11, r.reason)
          .Text(12, r.detail.empty() ? std::string("{}") : r.detail);
      LL_TRY(ins->Run());
      auto last = db.Prepare("SELECT last_insert_rowid()");
      if (!last) return last.error();
      LL_ASSIGN(bool row, last->Step());
      CatchUpRecord out = r;
      if (row) out.seq = last->ColInt(0);
      LL_TRY(last->Run());
      return out;
    });
  }

  Result<std::vector<CatchUpRecord>> CatchUps(std::string_view incident_id,
                                              std::size_t limit) override {
    return conns_->Read("listing catch-ups", [&](Db& db) -> Result<std::vector<CatchUpRecord>> {
      auto sel = db.Prepare(
          "SELECT seq, incident_id, source, kind, since, until, at, looked, found, fresh, pending, "
          "reason, detail FROM inbox_catchups WHERE incident_id = ?1 ORDER BY seq LIMIT ?2");
      if (!sel) return sel.error();
      sel->Text(1, incident_id).Int(2, static_cast<std::int64_t>(limit == 0 ? 1000 : limit));
      std::vector<CatchUpRecord> out;
      while (true) {
        LL_ASSIGN(bool row, sel->Step());
        if (!row) break;
        CatchUpRecord r;
        r.seq = sel->ColInt(0);
        r.incident_id = sel->ColText(1);
        r.source = sel->ColText(2);
        r.kind = sel->ColText(3);
        r.since = sel->ColTime(4);
        r.until = sel->ColTime(5);
        r.at = sel->ColTime(6);
        r.looked = sel->ColInt(7) != 0;
        r.found = sel->ColOptInt(8);
        r.fresh = sel->ColOptInt(9);
        r.pending = sel->ColOptInt(10);
        r.reason = sel->ColText(11);
        r.detail = sel->ColText(12);
        out.push_back(std::move(r));
      }
      return out;
    });
  }

 private:
  Result<Ingested> IngestIn(Db& db, const NewInbound& in, const std::string& fresh_token) {
    Ingested out;
    LL_ASSIGN(auto existing, MsgWhere(db, in.platform, in.platform_id));
    if (existing) {
      out.message = std::move(*existing);
      LL_ASSIGN(out.conversation, GetIn(db, out.message.conversation_id));
      return out;
    }
    LL_ASSIGN(std::string contact, ContactOf(db, in.channel, in.address));
    if (contact.empty() && !in.link_token.empty()) {
      LL_ASSIGN(auto byToken, ConvWhere(db, "link_token", in.link_token));
      if (byToken) contact = byToken->contact;
    }
    if (contact.empty()) {
      contact =
          !in.config_contact.empty() ? in.config_contact : NewContactId(in.channel, in.address);
    }
    LL_TRY(InsertAddress(db, contact, in.channel, in.address, in.name, in.received_at));
    LL_ASSIGN(auto conv, ConvWhere(db, "contact", contact));
    const bool insert = !conv;
    Conversation c;
    if (conv) {
      c = std::move(*conv);
    } else {
      c.id = ConversationIdFor(contact);
      c.contact = contact;
      c.link_token = fresh_token;
      c.created_at = in.received_at;
    }
    if (!in.name.empty()) c.name = in.name;
    // The customer is where they last wrote (by platform time: a replayed older message does
    // not pull the conversation back).
    if (!c.last_inbound_at || in.sent_at >= *c.last_inbound_at || insert) {
      c.channel = in.channel;
      c.address = in.address;
    }
    // Unanswered unless a reply was sent after it (by platform time).
    bool answered = false;
    {
      auto sel = db.Prepare(
          "SELECT 1 FROM inbox_messages WHERE conversation_id = ?1 AND direction = 'out' AND "
          "author <> '' AND sent_at > ?2 LIMIT 1");
      if (!sel) return sel.error();
      sel->Text(1, c.id).Time(2, in.sent_at);
      LL_ASSIGN(answered, sel->Step());
      if (answered) LL_TRY(sel->Run());
    }
    if (!answered) c.waiting_since = Earlier(c.waiting_since, in.sent_at);
    c.last_inbound_at = Later(c.last_inbound_at, in.sent_at);
    c.last_message_at = Later(c.last_message_at, in.sent_at);
    if (c.state != ConversationState::kOpen && !answered) {
      c.state = ConversationState::kOpen;
      c.snoozed_until.reset();
    }
    c.updated_at = in.received_at;
    LL_TRY(SaveConversation(db, c, insert));
    InboxMessage m;
    m.id = MessageIdFor(in.platform, in.platform_id);
    m.conversation_id = c.id;
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
    LL_TRY(InsertMessage(db, m));
    m.seq = sqlite3_last_insert_rowid(db.raw());  // no status yet: nothing else to read back
    out.message = std::move(m);
    out.conversation = std::move(c);
    out.created = true;
    return out;
  }

  Result<std::optional<std::string>> ApplyStatusIn(Db& db, const PlatformStatus& st) {
    using Out = std::optional<std::string>;
    auto cur = db.Prepare("SELECT status FROM inbox_statuses WHERE remote_id = ?1");
    if (!cur) return cur.error();
    cur->Text(1, st.remote_id);
    LL_ASSIGN(bool row, cur->Step());
    if (row) {
      const int have = PlatformStatusRank(cur->ColText(0));
      LL_TRY(cur->Run());
      if (have >= PlatformStatusRank(st.status)) return Out();  // older news
    }
    auto up = db.Prepare(
        "INSERT INTO inbox_statuses (remote_id, platform, status, at, error, received_at) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (remote_id) DO UPDATE SET status = "
        "excluded.status, at = excluded.at, error = excluded.error, received_at = "
        "excluded.received_at");
    if (!up) return up.error();
    up->Text(1, st.remote_id)
        .Text(2, st.platform)
        .Text(3, st.status)
        .Time(4, st.at)
        .Text(5, st.error)
        .Time(6, st.received_at);
    LL_TRY(up->Run());
    auto conv = db.Prepare(
        "SELECT conversation_id FROM inbox_messages WHERE remote_id = ?1 AND direction = 'out' "
        "LIMIT 1");
    if (!conv) return conv.error();
    conv->Text(1, st.remote_id);
    LL_ASSIGN(bool found, conv->Step());
    if (!found) return Out();
    std::string id = conv->ColText(0);
    LL_TRY(conv->Run());
    return Out(std::move(id));
  }
  Result<std::vector<Move>> ReadMoves(const char* where, std::string_view arg) {
    return conns_->Read("listing moves", [&](Db& db) -> Result<std::vector<Move>> {
      auto sel = db.Prepare(std::string("SELECT ") + kMoveColumns + " FROM inbox_moves WHERE " +
                            where + " ORDER BY at, key");
      if (!sel) return sel.error();
      sel->Text(1, arg);
      std::vector<Move> out;
      while (true) {
        LL_ASSIGN(bool row, sel->Step());
        if (!row) break;
        out.push_back(MoveFromRow(*sel));
      }
      return out;
    });
  }

  Connections* conns_;
};

}  // namespace

std::unique_ptr<InboxStore> NewSqliteInbox(Connections* conns) {
  return std::make_unique<SqliteInbox>(conns);
}

}  // namespace lifeline::store::sqlite
