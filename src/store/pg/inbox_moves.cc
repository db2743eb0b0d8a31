// The PostgreSQL inbox store (store/inbox.h): the SQL of the failover moves and their
// after-restoration notices, the IMAP cursors, the e-mail headers and the catch-ups. Every write
// commits with synchronous_commit on (Sync::kFull).
#include <string>
#include <utility>
#include <vector>

#include "store/pg/inbox_internal.h"

namespace lifeline::store::pg::internal {
namespace {

using core::ErrorCode;
using core::MakeError;
using core::Result;
using core::Status;
using Sync = Pool::Sync;

constexpr std::string_view kMoveColumns =
    "key, conversation_id, incident_id, from_channel, to_channel, to_address, relay_id, at, "
    "from_address, on_restoration, restored_at, restored_note, from_name, from_link, to_name";

Move MoveFromRow(const Row& r) {
  Move m;
  m.key = r.ColText(0);
  m.conversation_id = r.ColText(1);
  m.incident_id = r.ColText(2);
  m.from_channel = r.ColText(3);
  m.to_channel = r.ColText(4);
  m.to_address = r.ColText(5);
  m.relay_id = r.ColText(6);
  m.at = r.ColTime(7);
  m.from_address = r.ColText(8);
  m.on_restoration = r.ColText(9);
  m.restored_at = r.ColOptTime(10);
  m.restored_note = r.ColText(11);
  m.from_name = r.ColText(12);
  m.from_link = r.ColText(13);
  m.to_name = r.ColText(14);
  return m;
}

}  // namespace

Result<std::optional<Move>> PgInbox::FindMove(std::string_view key) {
  return pool_->Read("reading a move", [&](Conn& c) -> Result<std::optional<Move>> {
    LL_ASSIGN(Rows r, c.Exec(Cat("SELECT ", kMoveColumns, " FROM inbox_moves WHERE key = $1::text"),
                             Params().Text(key), "reading a move"));
    if (r.empty()) return std::optional<Move>();
    return std::optional<Move>(MoveFromRow(r[0]));
  });
}

Result<Conversation> PgInbox::RecordMove(const Move& m) {
  if (m.key.empty() || m.conversation_id.empty() || m.to_channel.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "a move needs a key, a conversation and a channel");
  }
  return pool_->Write(Sync::kFull, "moving a conversation", [&](Conn& c) -> Result<Conversation> {
    // The key is stored once across instances: a second insert waits for the first and does
    // nothing.
    LL_ASSIGN(Rows ins,
              c.Exec("INSERT INTO inbox_moves (key, conversation_id, incident_id, from_channel, "
                     "to_channel, to_address, relay_id, at, from_address, on_restoration, "
                     "restored_at, restored_note, from_name, from_link, to_name) VALUES "
                     "($1::text, $2::text, $3::text, $4::text, $5::text, $6::text, $7::text, "
                     "$8::bigint, $9::text, $10::text, NULL, '', $11::text, $12::text, $13::text) "
                     "ON CONFLICT (key) DO NOTHING",
                     Params()
                         .Text(m.key)
                         .Text(m.conversation_id)
                         .Text(m.incident_id)
                         .Text(m.from_channel)
                         .Text(m.to_channel)
                         .Text(m.to_address)
                         .Text(m.relay_id)
                         .Time(m.at)
                         .Text(m.from_address)
                         .Text(m.on_restoration)
                         .Text(m.from_name)
                         .Text(m.from_link)
                         .Text(m.to_name),
                     "storing a move"));
    if (ins.affected() == 0) {
      return MakeError(ErrorCode::kAlreadyExists, "the move '{}' is stored", m.key);
    }
    LL_ASSIGN(Conversation conv,
              GetConversation(c, m.conversation_id, true));  // kNotFound rolls back
    conv.moved_from = m.from_channel;
    conv.moved_at = m.at;
    conv.channel = m.to_channel;
    conv.address = m.to_address;
    conv.updated_at = m.at;
    LL_TRY(SaveConversation(c, conv));
    return conv;
  });
}

Result<std::vector<Move>> PgInbox::Moves(std::string_view incident_id) {
  return ReadMoves("incident_id = $1::text", incident_id);
}

Result<std::vector<Move>> PgInbox::PendingRestorations() {
  return ReadMoves("on_restoration <> '' AND restored_at IS NULL AND $1::text = ''", "");
}

Result<std::vector<Move>> PgInbox::ReadMoves(std::string_view where, std::string_view arg) {
  std::string sql = Cat(Cat("SELECT ", kMoveColumns, " FROM inbox_moves WHERE "), where,
                        " ORDER BY at, key COLLATE \"C\"");
  return pool_->Read("listing moves", [&](Conn& c) -> Result<std::vector<Move>> {
    LL_ASSIGN(Rows r, c.Exec(sql, Params().Text(arg), "listing moves"));
    std::vector<Move> out;
    for (int i = 0; i < r.size(); ++i) out.push_back(MoveFromRow(r[i]));
    return out;
  });
}

Result<Conversation> PgInbox::FinishRestoration(const RestorationDone& d) {
  return pool_->Write(
      Sync::kFull, "finishing a move's restoration", [&](Conn& c) -> Result<Conversation> {
        // Locked: two instances finishing the same move at once do it once.
        LL_ASSIGN(Rows r, c.Exec(Cat("SELECT ", kMoveColumns,
                                     " FROM inbox_moves WHERE key = $1::text FOR UPDATE"),
                                 Params().Text(d.key), "reading a move"));
        if (r.empty()) return MakeError(ErrorCode::kNotFound, "no move '{}'", d.key);
        const Move m = MoveFromRow(r[0]);
        LL_ASSIGN(Conversation conv, GetConversation(c, m.conversation_id, true));
        if (m.restored_at) return conv;  // done before
        LL_ASSIGN(Rows up, c.Exec("UPDATE inbox_moves SET restored_at = $2::bigint, "
                                  "restored_note = $3::text WHERE key = $1::text",
                                  Params().Text(d.key).Time(d.at).Text(d.note),
                                  "finishing a move's restoration"));
        (void)up;
        if (d.move_back && !m.from_address.empty() && conv.channel == m.to_channel &&
            conv.address == m.to_address) {
          conv.moved_from = m.to_channel;
          conv.moved_at = d.at;
          conv.channel = m.from_channel;
          conv.address = m.from_address;
          conv.updated_at = d.at;
          LL_TRY(SaveConversation(c, conv));
        }
        return conv;
      });
}

Result<std::optional<ImapCursor>> PgInbox::GetImapCursor(std::string_view source) {
  return pool_->Read("reading an IMAP cursor", [&](Conn& c) -> Result<std::optional<ImapCursor>> {
    LL_ASSIGN(Rows r, c.Exec("SELECT source, uidvalidity, last_uid, updated_at FROM "
                             "inbox_imap_cursors WHERE source = $1::text",
                             Params().Text(source), "reading an IMAP cursor"));
    if (r.empty()) return std::optional<ImapCursor>();
    return std::optional<ImapCursor>(
        ImapCursor{r[0].ColText(0), r[0].ColInt(1), r[0].ColInt(2), r[0].ColTime(3)});
  });
}

Status PgInbox::SetImapCursor(const ImapCursor& cur) {
  if (cur.source.empty()) return MakeError(ErrorCode::kInvalidArgument, "source is empty");
  return pool_->Write(Sync::kFull, "storing an IMAP cursor", [&](Conn& c) -> Status {
    LL_ASSIGN(
        Rows r,
        c.Exec(
            "INSERT INTO inbox_imap_cursors (source, uidvalidity, last_uid, updated_at) "
            "VALUES ($1::text, $2::bigint, $3::bigint, $4::bigint) ON CONFLICT (source) "
            "DO UPDATE SET uidvalidity = excluded.uidvalidity, last_uid = "
            "excluded.last_uid, updated_at = excluded.updated_at",
            Params().Text(cur.source).Int(cur.uidvalidity).Int(cur.last_uid).Time(cur.updated_at),
            "storing an IMAP cursor"));
    (void)r;
    return core::Ok();
  });
}

Status PgInbox::SaveEmailHeaders(const EmailHeaders& h) {
  if (h.message_id.empty()) return MakeError(ErrorCode::kInvalidArgument, "message_id is empty");
  return pool_->Write(Sync::kFull, "storing an e-mail's headers", [&](Conn& c) -> Status {
    LL_ASSIGN(
        Rows r,
        c.Exec("INSERT INTO inbox_email_headers (message_id, subject, header_id, "
               "refs) VALUES ($1::text, $2::text, $3::text, $4::text) "
               "ON CONFLICT (message_id) DO NOTHING",
               Params().Text(h.message_id).Text(h.subject).Text(h.header_id).Text(h.references),
               "storing an e-mail's headers"));
    (void)r;
    return core::Ok();
  });
}

Result<std::optional<EmailHeaders>> PgInbox::LatestEmailHeaders(std::string_view conversation_id) {
  return pool_->Read(
      "reading an e-mail's headers", [&](Conn& c) -> Result<std::optional<EmailHeaders>> {
        LL_ASSIGN(Rows r, c.Exec("SELECT h.message_id, h.subject, h.header_id, h.refs FROM "
                                 "inbox_email_headers h JOIN inbox_messages m ON m.id = "
                                 "h.message_id WHERE m.conversation_id = $1::text AND "
                                 "m.direction = 'in' ORDER BY m.sent_at DESC, m.seq DESC LIMIT 1",
                                 Params().Text(conversation_id), "reading an e-mail's headers"));
        if (r.empty()) return std::optional<EmailHeaders>();
        return std::optional<EmailHeaders>(
            EmailHeaders{r[0].ColText(0), r[0].ColText(1), r[0].ColText(2), r[0].ColText(3)});
      });
}

Result<CatchUpRecord> PgInbox::AddCatchUp(const CatchUpRecord& rec) {
  if (rec.source.empty()) return MakeError(ErrorCode::kInvalidArgument, "source is empty");
  auto opt_int = [](Params& p, const std::optional<std::int64_t>& v) -> Params& {
    return v ? p.Int(*v) : p.Null();
  };
  Params p;
  p.Text(rec.incident_id)
      .Text(rec.source)
      .Text(rec.kind)
      .Time(rec.since)
      .Time(rec.until)
      .Time(rec.at)
      .Bool(rec.looked);
  opt_int(p, rec.found);
  opt_int(p, rec.fresh);
  opt_int(p, rec.pending);
  p.Text(rec.reason).Text(rec.detail.empty() ? std::string("{}") : rec.detail);
  return pool_->Write(Sync::kFull, "storing a catch-up", [&](Conn& c) -> Result<CatchUpRecord> {
    LL_ASSIGN(Rows r,
              c.Exec("INSERT INTO inbox_catchups (incident_id, source, kind, since, until, at, "
                     "looked, found, fresh, pending, reason, detail) VALUES ($1::text, $2::text, "
                     "$3::text, $4::bigint, $5::bigint, $6::bigint, $7::boolean, $8::bigint, "
                     "$9::bigint, $10::bigint, $11::text, $12::text) RETURNING seq",
                     p, "storing a catch-up"));
    CatchUpRecord out = rec;
    out.seq = r[0].ColInt(0);
    return out;
  });
}

Result<std::vector<CatchUpRecord>> PgInbox::CatchUps(std::string_view incident_id,
                                                     std::size_t limit) {
  return pool_->Read("listing catch-ups", [&](Conn& c) -> Result<std::vector<CatchUpRecord>> {
    LL_ASSIGN(
        Rows r,
        c.Exec("SELECT seq, incident_id, source, kind, since, until, at, looked, "
               "found, fresh, pending, reason, detail FROM inbox_catchups WHERE "
               "incident_id = $1::text ORDER BY seq LIMIT $2::bigint",
               Params().Text(incident_id).Int(static_cast<std::int64_t>(limit == 0 ? 1000 : limit)),
               "listing catch-ups"));
    std::vector<CatchUpRecord> out;
    for (int i = 0; i < r.size(); ++i) {
      CatchUpRecord rec;
      rec.seq = r[i].ColInt(0);
      rec.incident_id = r[i].ColText(1);
      rec.source = r[i].ColText(2);
      rec.kind = r[i].ColText(3);
      rec.since = r[i].ColTime(4);
      rec.until = r[i].ColTime(5);
      rec.at = r[i].ColTime(6);
      rec.looked = r[i].ColBool(7);
      rec.found = r[i].ColOptInt(8);
      rec.fresh = r[i].ColOptInt(9);
      rec.pending = r[i].ColOptInt(10);
      rec.reason = r[i].ColText(11);
      rec.detail = r[i].ColText(12);
      out.push_back(std::move(rec));
    }
    return out;
  });
}

}  // namespace lifeline::store::pg::internal
