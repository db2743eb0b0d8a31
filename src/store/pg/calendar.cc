// The PostgreSQL content-calendar store (store/calendar.h): all of its SQL. Every write is one
// transaction committed with synchronous_commit on (Sync::kFull): a scheduled post, a hold and a
// relay message key survive a server crash and power loss.
#include "store/pg/calendar.h"

#include <limits>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace lifeline::store::pg {
namespace {

using core::ErrorCode;
using core::MakeError;
using core::Result;
using core::Status;
using Sync = Pool::Sync;

constexpr std::string_view kPostColumns =
    "id, text, media_json, at, expires, state, source, by_whom, created_at, updated_at, edited_by, "
    "edited_at, cancelled_by, cancelled_at";
constexpr std::string_view kPartColumns =
    "post_id, channel, state, due, held_by, hand_hold, incident_id, generation, message_key, "
    "message_id, remote_id, note, published_at, updated_at, verified, verify_note, verified_at";

std::string MediaJson(const std::vector<std::string>& media) {
  return nlohmann::json(media).dump();
}

// A stored JSON array of links; anything else (a row written by hand) reads as none.
std::vector<std::string> MediaFrom(const std::string& text) {
  std::vector<std::string> out;
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_array()) return out;
  for (const auto& v : j) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

Post PostFromRow(const Row& s) {
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

PartRef PartFromRow(const Row& s) {
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

std::int64_t MillisOr(const std::optional<Time>& t, std::int64_t otherwise) {
  return t ? ToMillis(*t) : otherwise;
}

Status InsertParts(Conn& c, const Post& p) {
  for (std::size_t i = 0; i < p.parts.size(); ++i) {
    const PostPart& part = p.parts[i];
    LL_ASSIGN(Rows r,
              c.Exec("INSERT INTO calendar_parts (post_id, channel, position, state, due, "
                     "held_by, hand_hold, incident_id, generation, message_key, message_id, "
                     "remote_id, note, published_at, updated_at, verified, verify_note, "
                     "verified_at) VALUES ($1::text, $2::text, $3::integer, $4::text, "
                     "$5::bigint, $6::text, $7::text, $8::text, $9::integer, $10::text, "
                     "$11::text, $12::text, $13::text, $14::bigint, $15::bigint, $16::text, "
                     "$17::text, $18::bigint)",
                     Params()
                         .Text(p.id)
                         .Text(part.channel)
                         .Int(static_cast<std::int64_t>(i))
                         .Text(PartStateName(part.state))
                         .Time(part.due)
                         .Text(part.held_by)
                         .Text(part.hand_hold)
                         .Text(part.incident_id)
                         .Int(part.generation)
                         .Text(part.message_key)
                         .Text(part.message_id)
                         .Text(part.remote_id)
                         .Text(part.note)
                         .OptTime(part.published_at)
                         .Time(part.updated_at)
                         .Text(part.verified)
                         .Text(part.verify_note)
                         .OptTime(part.verified_at),
                     "storing a post's parts"));
    (void)r;
  }
  return core::Ok();
}

Result<std::vector<PostPart>> PartsOf(Conn& c, std::string_view id) {
  LL_ASSIGN(Rows r, c.Exec(Cat("SELECT ", kPartColumns,
                               " FROM calendar_parts WHERE post_id = $1::text ORDER BY position"),
                           Params().Text(id), "reading a post's parts"));
  std::vector<PostPart> out;
  out.reserve(static_cast<std::size_t>(r.size()));
  for (int i = 0; i < r.size(); ++i) out.push_back(PartFromRow(r[i]).part);
  return out;
}

Result<Post> GetIn(Conn& c, std::string_view id) {
  LL_ASSIGN(Rows r, c.Exec(Cat("SELECT ", kPostColumns, " FROM calendar_posts WHERE id = $1::text"),
                           Params().Text(id), "reading a post"));
  if (r.empty()) return MakeError(ErrorCode::kNotFound, "no post '{}'", id);
  Post out = PostFromRow(r[0]);
  LL_ASSIGN(out.parts, PartsOf(c, id));
  return out;
}

class PgCalendar final : public CalendarStore {
 public:
  explicit PgCalendar(Pool* pool) : pool_(pool) {}

  Result<std::vector<Post>> Add(std::span<const Post> posts) override {
    for (const Post& p : posts) LL_TRY(ValidatePost(p));
    return pool_->Write(Sync::kFull, "adding posts", [&](Conn& c) -> Result<std::vector<Post>> {
      std::vector<Post> out;
      for (const Post& p : posts) {
        // An id already stored (or added by another instance now, or earlier in this batch)
        // inserts nothing: the whole batch rolls back.
        LL_ASSIGN(Rows ins,
                  c.Exec("INSERT INTO calendar_posts (id, text, media_json, at, expires, state, "
                         "source, by_whom, created_at, updated_at, edited_by, edited_at, "
                         "cancelled_by, cancelled_at) VALUES ($1::text, $2::text, $3::text, "
                         "$4::bigint, $5::bigint, $6::text, $7::text, $8::text, $9::bigint, "
                         "$10::bigint, $11::text, $12::bigint, $13::text, $14::bigint) "
                         "ON CONFLICT (id) DO NOTHING",
                         Params()
                             .Text(p.id)
                             .Text(p.text)
                             .Text(MediaJson(p.media))
                             .Time(p.at)
                             .OptTime(p.expires)
                             .Text(PostStateName(Summarise(p.parts)))
                             .Text(p.source)
                             .Text(p.by)
                             .Time(p.created_at)
                             .Time(p.updated_at)
                             .Text(p.edited_by)
                             .OptTime(p.edited_at)
                             .Text(p.cancelled_by)
                             .OptTime(p.cancelled_at),
                         "adding posts"));
        if (ins.affected() == 0) {
          return MakeError(ErrorCode::kAlreadyExists, "a post with id '{}' exists", p.id);
        }
        LL_TRY(InsertParts(c, p));
        LL_ASSIGN(Post stored, GetIn(c, p.id));
        out.push_back(std::move(stored));
      }
      return out;
    });
  }

  Result<Post> Get(std::string_view id) override {
    return pool_->Read("reading a post", [&](Conn& c) -> Result<Post> { return GetIn(c, id); });
  }

  Result<std::vector<Post>> List(const PostQuery& q) override {
    // The posts, then their parts in one more statement over the same filter (one snapshot).
    const std::string posts =
        Cat("SELECT ", kPostColumns,
            " FROM calendar_posts p WHERE ($1::text = '' OR state = $1::text) AND ($2::text = '' "
            "OR EXISTS (SELECT 1 FROM calendar_parts c WHERE c.post_id = p.id AND "
            "c.channel = $2::text)) AND at >= $3::bigint AND at < $4::bigint "
            "ORDER BY at, id COLLATE \"C\" LIMIT $5::bigint");
    Params p;
    p.Text(q.state ? PostStateName(*q.state) : "")
        .Text(q.channel)
        .Int(MillisOr(q.from, std::numeric_limits<std::int64_t>::min()))
        .Int(MillisOr(q.to, std::numeric_limits<std::int64_t>::max()))
        .Int(static_cast<std::int64_t>(q.limit == 0 ? 1000 : q.limit));
    return pool_->Read("listing posts", [&](Conn& c) -> Result<std::vector<Post>> {
      LL_ASSIGN(Rows r, c.Exec(posts, p, "listing posts"));
      std::vector<Post> out;
      out.reserve(static_cast<std::size_t>(r.size()));
      std::map<std::string, std::size_t, std::less<>> index;
      for (int i = 0; i < r.size(); ++i) {
        out.push_back(PostFromRow(r[i]));
        index.emplace(out.back().id, out.size() - 1);
      }
      if (out.empty()) return out;
      LL_ASSIGN(Rows parts,
                c.Exec(Cat("SELECT ", kPartColumns,
                           Cat(" FROM calendar_parts WHERE post_id IN (SELECT id FROM (", posts,
                               ") AS listed) ORDER BY post_id, position")),
                       p, "listing posts"));
      for (int i = 0; i < parts.size(); ++i) {
        PartRef ref = PartFromRow(parts[i]);
        auto it = index.find(ref.post_id);
        if (it != index.end()) out[it->second].parts.push_back(std::move(ref.part));
      }
      return out;
    });
  }

  Result<Post> Update(const Post& p) override {
    LL_TRY(ValidatePost(p));
    return pool_->Write(Sync::kFull, "updating a post", [&](Conn& c) -> Result<Post> {
      // The post's row first: its lock orders concurrent updates of this post.
      LL_ASSIGN(Rows up,
                c.Exec("UPDATE calendar_posts SET text = $2::text, media_json = $3::text, "
                       "at = $4::bigint, expires = $5::bigint, state = $6::text, source = "
                       "$7::text, by_whom = $8::text, updated_at = $9::bigint, edited_by = "
                       "$10::text, edited_at = $11::bigint, cancelled_by = $12::text, "
                       "cancelled_at = $13::bigint WHERE id = $1::text",
                       Params()
                           .Text(p.id)
                           .Text(p.text)
                           .Text(MediaJson(p.media))
                           .Time(p.at)
                           .OptTime(p.expires)
                           .Text(PostStateName(Summarise(p.parts)))
                           .Text(p.source)
                           .Text(p.by)
                           .Time(p.updated_at)
                           .Text(p.edited_by)
                           .OptTime(p.edited_at)
                           .Text(p.cancelled_by)
                           .OptTime(p.cancelled_at),
                       "updating a post"));
      if (up.affected() == 0) return MakeError(ErrorCode::kNotFound, "no post '{}'", p.id);
      LL_ASSIGN(Rows del, c.Exec("DELETE FROM calendar_parts WHERE post_id = $1::text",
                                 Params().Text(p.id), "updating a post"));
      (void)del;
      LL_TRY(InsertParts(c, p));
      return GetIn(c, p.id);
    });
  }

  Result<std::vector<PartRef>> ListParts(const PartQuery& q) override {
    return pool_->Read("listing post parts", [&](Conn& c) -> Result<std::vector<PartRef>> {
      LL_ASSIGN(Rows r,
                c.Exec(Cat("SELECT ", kPartColumns,
                           " FROM calendar_parts WHERE ($1::text = '' OR state = $1::text) AND "
                           "($2::text = '' OR channel = $2::text) AND ($3::text = '' OR "
                           "held_by = $3::text) AND ($4::text = '' OR message_key = $4::text) "
                           "AND due >= $5::bigint AND due < $6::bigint ORDER BY due, "
                           "post_id COLLATE \"C\", channel COLLATE \"C\" LIMIT $7::bigint"),
                       Params()
                           .Text(q.state ? PartStateName(*q.state) : "")
                           .Text(q.channel)
                           .Text(q.held_by)
                           .Text(q.message_key)
                           .Int(MillisOr(q.due_from, std::numeric_limits<std::int64_t>::min()))
                           .Int(MillisOr(q.due_to, std::numeric_limits<std::int64_t>::max()))
                           .Int(static_cast<std::int64_t>(q.limit == 0 ? 10000 : q.limit)),
                       "listing post parts"));
      std::vector<PartRef> out;
      out.reserve(static_cast<std::size_t>(r.size()));
      for (int i = 0; i < r.size(); ++i) out.push_back(PartFromRow(r[i]));
      return out;
    });
  }

 private:
  Pool* pool_;  // owned by the PgStore; its own mutex guards the idle sessions
};

}  // namespace

std::unique_ptr<CalendarStore> NewPgCalendar(Pool* pool) {
  return std::make_unique<PgCalendar>(pool);
}

}  // namespace lifeline::store::pg
