// The SQLite content-calendar store (store/calendar.h): all of its SQL.
#include "store/sqlite/calendar.h"

#include <limits>

#include <nlohmann/json.hpp>

namespace lifeline::store::sqlite {
namespace {

using core::ErrorCode;
using core::MakeError;
using core::Result;
using core::Status;
using Sync = Connections::Sync;

constexpr const char* kPostColumns =
    "id, text, media_json, at, expires, state, source, by_whom, created_at, updated_at, edited_by, "
    "edited_at, cancelled_by, cancelled_at";
constexpr const char* kPartColumns =
    "post_id, channel, state, due, held_by, hand_hold, incident_id, generation, message_key, "
    "message_id, remote_id, note, published_at, updated_at, verified, verify_note, verified_at";

std::string MediaJson(const std::vector<std::string>& media) {
  return nlohmann::json(media).dump();
}

std::vector<std::string> MediaFrom(const std::string& text) {
  std::vector<std::string> out;
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_array()) return out;
  for (const auto& v : j) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

Post PostFromRow(const Stmt& s) {
  Post p;
  p.id = s.ColText(0);
  p.text = s.ColText(1);
  p.media = MediaFrom(s.ColText(2));
  p.at = s.ColTime(3);
  p.expires = s.ColOptTime(4);
  p.state = ParsePostState(s.ColText(5)).value_or(PostState::kFailed);
  p.source = s.ColText(6);
  p.by = s.ColText(7);
  p.created_at = s.ColTime(8);
  p.updated_at = s.ColTime(9);
  p.edited_by = s.ColText(10);
  p.edited_at = s.ColOptTime(11);
  p.cancelled_by = s.ColText(12);
  p.cancelled_at = s.ColOptTime(13);
  return p;
}

PartRef PartFromRow(const Stmt& s) {
  PartRef r;
  r.post_id = s.ColText(0);
  PostPart& p = r.part;
  p.channel = s.ColText(1);
  p.state = ParsePartState(s.ColText(2)).value_or(PartState::kFailed);
  p.due = s.ColTime(3);
  p.held_by = s.ColText(4);
  p.hand_hold = s.ColText(5);
  p.incident_id = s.ColText(6);
  p.generation = static_cast<int>(s.ColInt(7));
  p.message_key = s.ColText(8);
  p.message_id = s.ColText(9);
  p.remote_id = s.ColText(10);
  p.note = s.ColText(11);
  p.published_at = s.ColOptTime(12);
  p.updated_at = s.ColTime(13);
  p.verified = s.ColText(14);
  p.verify_note = s.ColText(15);
  p.verified_at = s.ColOptTime(16);
  return r;
}

class SqliteCalendar final : public CalendarStore {
 public:
  explicit SqliteCalendar(Connections* conns) : conns_(conns) {}

  Result<std::vector<Post>> Add(std::span<const Post> posts) override {
    for (const Post& p : posts) LL_TRY(ValidatePost(p));
    return conns_->Write(Sync::kFull, "adding posts", [&](Db& db) -> Result<std::vector<Post>> {
      std::vector<Post> out;
      for (const Post& p : posts) {
        auto exists = db.Prepare("SELECT 1 FROM calendar_posts WHERE id = ?1");
        if (!exists) return exists.error();
        exists->Text(1, p.id);
        LL_ASSIGN(bool row, exists->Step());
        if (row) {
          LL_TRY(exists->Run());
          return MakeError(ErrorCode::kAlreadyExists, "a post with id '{}' exists", p.id);
        }
        LL_TRY(Insert(db, p));
        LL_ASSIGN(Post stored, GetIn(db, p.id));
        out.push_back(std::move(stored));
      }
      return out;
    });
  }

  Result<Post> Get(std::string_view id) override {
    return conns_->Read("reading a post", [&](Db& db) -> Result<Post> { return GetIn(db, id); });
  }

  Result<std::vector<Post>> List(const PostQuery& q) override {
    return conns_->Read("listing posts", [&](Db& db) -> Result<std::vector<Post>> {
      auto sel = db.Prepare(
          std::string("SELECT ") + kPostColumns +
          " FROM calendar_posts p WHERE (?1 = '' OR state = ?1) AND (?2 = '' OR EXISTS (SELECT 1 "
          "FROM calendar_parts c WHERE c.post_id = p.id AND c.channel = ?2)) AND at >= ?3 AND at "
          "< ?4 ORDER BY at, id LIMIT ?5");
      if (!sel) return sel.error();
      sel->Text(1, q.state ? PostStateName(*q.state) : "")
          .Text(2, q.channel)
          .Int(3, q.from ? ToMillis(*q.from) : std::numeric_limits<std::int64_t>::min())
          .Int(4, q.to ? ToMillis(*q.to) : std::numeric_limits<std::int64_t>::max())
          .Int(5, static_cast<std::int64_t>(q.limit == 0 ? 1000 : q.limit));
      std::vector<Post> out;
      while (true) {
        LL_ASSIGN(bool row, sel->Step());
        if (!row) break;
        out.push_back(PostFromRow(*sel));
      }
      for (Post& p : out) {
        LL_ASSIGN(p.parts, PartsOf(db, p.id));
      }
      return out;
    });
  }

  Result<Post> Update(const Post& p) override {
    LL_TRY(ValidatePost(p));
    return conns_->Write(Sync::kFull, "updating a post", [&](Db& db) -> Result<Post> {
      auto up = db.Prepare(
          "UPDATE calendar_posts SET text = ?2, media_json = ?3, at = ?4, expires = ?5, state = "
          "?6, source = ?7, by_whom = ?8, updated_at = ?9, edited_by = ?10, edited_at = ?11, "
          "cancelled_by = ?12, cancelled_at = ?13 WHERE id = ?1");
      if (!up) return up.error();
      up->Text(1, p.id)
          .Text(2, p.text)
          .Text(3, MediaJson(p.media))
          .Time(4, p.at)
          .OptTime(5, p.expires)
          .Text(6, PostStateName(Summarise(p.parts)))
          .Text(7, p.source)
          .Text(8, p.by)
          .Time(9, p.updated_at)
          .Text(10, p.edited_by)
          .OptTime(11, p.edited_at)
          .Text(12, p.cancelled_by)
          .OptTime(13, p.cancelled_at);
      LL_TRY(up->Run());
      if (db.Changes() == 0) return MakeError(ErrorCode::kNotFound, "no post '{}'", p.id);
      auto del = db.Prepare("DELETE FROM calendar_parts WHERE post_id = ?1");
      if (!del) return del.error();
      del->Text(1, p.id);
      LL_TRY(del->Run());
      LL_TRY(InsertParts(db, p));
      return GetIn(db, p.id);
    });
  }

  Result<std::vector<PartRef>> ListParts(const PartQuery& q) override {
    return conns_->Read("listing post parts", [&](Db& db) -> Result<std::vector<PartRef>> {
      auto sel = db.Prepare(std::string("SELECT ") + kPartColumns +
                            " FROM calendar_parts WHERE (?1 = '' OR state = ?1) AND (?2 = '' OR "
                            "channel = ?2) AND (?3 = '' OR held_by = ?3) AND (?4 = '' OR "
                            "message_key = ?4) AND due >= ?5 AND due < ?6 ORDER BY due, post_id, "
                            "channel LIMIT ?7");
      if (!sel) return sel.error();
      sel->Text(1, q.state ? PartStateName(*q.state) : "")
          .Text(2, q.channel)
          .Text(3, q.held_by)
          .Text(4, q.message_key)
          .Int(5, q.due_from ? ToMillis(*q.due_from) : std::numeric_limits<std::int64_t>::min())
          .Int(6, q.due_to ? ToMillis(*q.due_to) : std::numeric_limits<std::int64_t>::max())
          .Int(7, static_cast<std::int64_t>(q.limit == 0 ? 10000 : q.limit));
      std::vector<PartRef> out;
      while (true) {
        LL_ASSIGN(bool row, sel->Step());
        if (!row) break;
        out.push_back(PartFromRow(*sel));
      }
      return out;
    });
  }

 private:
  static Status Insert(Db& db, const Post& p) {
    auto ins = db.Prepare(
        "INSERT INTO calendar_posts (id, text, media_json, at, expires, state, source, by_whom, "
        "created_at, updated_at, edited_by, edited_at, cancelled_by, cancelled_at) VALUES (?1, ?2, "
        "?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)");
    if (!ins) return ins.error();
    ins->Text(1, p.id)
        .Text(2, p.text)
        .Text(3, MediaJson(p.media))
        .Time(4, p.at)
        .OptTime(5, p.expires)
        .Text(6, PostStateName(Summarise(p.parts)))
        .Text(7, p.source)
        .Text(8, p.by)
        .Time(9, p.created_at)
        .Time(10, p.updated_at)
        .Text(11, p.edited_by)
        .OptTime(12, p.edited_at)
        .Text(13, p.cancelled_by)
        .OptTime(14, p.cancelled_at);
    LL_TRY(ins->Run());
    return InsertParts(db, p);
  }

  static Status InsertParts(Db& db, const Post& p) {
    auto ins = db.Prepare(
        "INSERT INTO calendar_parts (post_id, channel, position, state, due, held_by, hand_hold, "
        "incident_id, generation, message_key, message_id, remote_id, note, published_at, "
        "updated_at, verified, verify_note, verified_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
        "?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)");
    if (!ins) return ins.error();
    for (std::size_t i = 0; i < p.parts.size(); ++i) {
      const PostPart& c = p.parts[i];
      ins->Text(1, p.id)
          .Text(2, c.channel)
          .Int(3, static_cast<std::int64_t>(i))
          .Text(4, PartStateName(c.state))
          .Time(5, c.due)
          .Text(6, c.held_by)
          .Text(7, c.hand_hold)
          .Text(8, c.incident_id)
          .Int(9, c.generation)
          .Text(10, c.message_key)
          .Text(11, c.message_id)
          .Text(12, c.remote_id)
          .Text(13, c.note)
          .OptTime(14, c.published_at)
          .Time(15, c.updated_at)
          .Text(16, c.verified)
          .Text(17, c.verify_note)
          .OptTime(18, c.verified_at);
      LL_TRY(ins->Run());
    }
    return core::Ok();
  }

  static Result<std::vector<PostPart>> PartsOf(Db& db, std::string_view id) {
    auto sel = db.Prepare(std::string("SELECT ") + kPartColumns +
                          " FROM calendar_parts WHERE post_id = ?1 ORDER BY position");
    if (!sel) return sel.error();
    sel->Text(1, id);
    std::vector<PostPart> out;
    while (true) {
      LL_ASSIGN(bool row, sel->Step());
      if (!row) break;
      out.push_back(PartFromRow(*sel).part);
    }
    return out;
  }

  static Result<Post> GetIn(Db& db, std::string_view id) {
    auto sel =
        db.Prepare(std::string("SELECT ") + kPostColumns + " FROM calendar_posts WHERE id = ?1");
    if (!sel) return sel.error();
    sel->Text(1, id);
    LL_ASSIGN(bool row, sel->Step());
    if (!row) return MakeError(ErrorCode::kNotFound, "no post '{}'", id);
    Post out = PostFromRow(*sel);
    LL_TRY(sel->Run());
    LL_ASSIGN(out.parts, PartsOf(db, id));
    return out;
  }

  Connections* conns_;
};

}  // namespace

std::unique_ptr<CalendarStore> NewSqliteCalendar(Connections* conns) {
  return std::make_unique<SqliteCalendar>(conns);
}

}  // namespace lifeline::store::sqlite
