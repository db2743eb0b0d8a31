// The content calendar's HTTP API (routes.h).
#include "calendar/routes.h"

#include <cstdlib>
#include <map>

#include <fmt/format.h>

#include "api/part_body.h"
#include "api/store_json.h"
#include "config/values.h"
#include "core/types.h"

namespace lifeline::calendar {

using api::PartRequest;
using api::PartResponse;
using core::ErrorCode;
using core::MakeError;
using core::Result;
using nlohmann::json;

namespace {

json Text(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

json ReleaseJson(const Release& r) {
  json slots = json::array();
  for (auto m : r.slots)
    slots.push_back(fmt::format("{:02}:{:02}", m.count() / 60, m.count() % 60));
  return {{"policy", PolicyName(r.policy)},
          {"slots", slots},
          {"spacing_ms", r.spacing.count()},
          {"drop_expired", r.drop_expired}};
}

Result<store::Time> TimeField(const json& body, const char* name) {
  LL_ASSIGN(std::string s, api::StringField(body, name));
  auto t = config::ParseTimestamp(s);
  if (!t.ok()) return MakeError(ErrorCode::kInvalidArgument, "{}: {}", name, t.error().message());
  return store::FromSystem(*t);
}

// A list of strings: empty when absent or null.
Result<std::vector<std::string>> StringList(const json& body, const char* name) {
  std::vector<std::string> out;
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return out;
  if (!it->is_array()) {
    return MakeError(ErrorCode::kInvalidArgument, "{}: expected a list of strings", name);
  }
  for (const auto& v : *it) {
    if (!v.is_string() || v.get<std::string>().empty()) {
      return MakeError(ErrorCode::kInvalidArgument, "{}: each must be a non-empty string", name);
    }
    out.push_back(v.get<std::string>());
  }
  return out;
}

Result<std::optional<store::Time>> QueryTime(const PartRequest& r, const char* name) {
  const std::string* v = r.Query(name);
  if (v == nullptr) return std::optional<store::Time>();
  auto t = config::ParseTimestamp(*v);
  if (!t.ok()) return MakeError(ErrorCode::kInvalidArgument, "{}: {}", name, t.error().message());
  return std::optional<store::Time>(store::FromSystem(*t));
}

}  // namespace

json PostJson(const store::Post& p, Publisher& publisher) {
  json parts = json::array();
  for (const auto& part : p.parts) {
    parts.push_back({{"channel", part.channel},
                     {"platform", Text(publisher.Platform(part.channel))},
                     {"state", store::PartStateName(part.state)},
                     {"due", core::FormatTime(part.due)},
                     {"held_by", Text(part.held_by)},
                     {"held_by_hand", Text(part.hand_hold)},
                     {"incident_id", Text(part.incident_id)},
                     {"message_id", Text(part.message_id)},
                     {"remote_id", Text(part.remote_id)},
                     {"note", part.note},
                     {"published_at", api::OptTimeJson(part.published_at)},
                     {"verified", Text(part.verified)},
                     {"verify_note", Text(part.verify_note)},
                     {"verified_at", api::OptTimeJson(part.verified_at)},
                     {"updated_at", core::FormatTime(part.updated_at)}});
  }
  return {{"id", p.id},
          {"text", p.text},
          {"media", p.media},
          {"at", core::FormatTime(p.at)},
          {"expires", api::OptTimeJson(p.expires)},
          {"state", store::PostStateName(p.state)},
          {"source", p.source},
          {"by", p.by},
          {"parts", parts},
          {"created_at", core::FormatTime(p.created_at)},
          {"updated_at", core::FormatTime(p.updated_at)},
          {"edited_by", Text(p.edited_by)},
          {"edited_at", api::OptTimeJson(p.edited_at)},
          {"cancelled_by", Text(p.cancelled_by)},
          {"cancelled_at", api::OptTimeJson(p.cancelled_at)}};
}

std::vector<api::PartRoute> CalendarRoutes::Routes() {
  using api::PartBody;
  using api::Role;
  return {
      {"GET",
       "/v1/calendar",
       Role::kViewer,
       {},
       PartBody::kNone,
       [this](const PartRequest& r) { return Overview(r); }},
      {"GET",
       "/v1/calendar/posts",
       Role::kViewer,
       {"state", "channel", "from", "to", "limit"},
       PartBody::kNone,
       [this](const PartRequest& r) { return List(r); }},
      {"POST",
       "/v1/calendar/posts",
       Role::kOperator,
       {},
       PartBody::kRequired,
       [this](const PartRequest& r) { return Add(r); }},
      {"GET",
       "/v1/calendar/posts/{id}",
       Role::kViewer,
       {},
       PartBody::kNone,
       [this](const PartRequest& r) { return GetOne(r); }},
      {"PATCH",
       "/v1/calendar/posts/{id}",
       Role::kOperator,
       {},
       PartBody::kRequired,
       [this](const PartRequest& r) { return Edit(r); }},
      {"POST",
       "/v1/calendar/posts/{id}/cancel",
       Role::kOperator,
       {},
       PartBody::kOptional,
       [this](const PartRequest& r) { return Cancel(r); }},
      {"POST",
       "/v1/calendar/posts/{id}/hold",
       Role::kOperator,
       {},
       PartBody::kOptional,
       [this](const PartRequest& r) { return Act(r, true); }},
      {"POST",
       "/v1/calendar/posts/{id}/release",
       Role::kOperator,
       {},
       PartBody::kOptional,
       [this](const PartRequest& r) { return Act(r, false); }},
      {"POST",
       "/v1/calendar/import",
       Role::kOperator,
       {},
       PartBody::kRequired,
       [this](const PartRequest& r) { return Import(r); }},
  };
}

Result<PartResponse> CalendarRoutes::Overview(const PartRequest&) {
  const CalendarConfig& c = calendar_.config();
  Publisher& pub = calendar_.publisher();
  json platforms = json::object();
  for (const auto& [id, r] : c.platforms) platforms[id] = ReleaseJson(r);
  json channels = json::array();
  for (const std::string& name : pub.Channels()) {
    json held = nullptr;
    if (auto h = pub.HeldBy(name)) held = {{"incident_id", h->incident_id}, {"reason", h->reason}};
    const std::string platform = pub.Platform(name);
    channels.push_back({{"name", name},
                        {"platform", Text(platform)},
                        {"release", ReleaseJson(c.ReleaseFor(platform))},
                        {"held_by", held}});
  }
  LL_ASSIGN(auto posts, store_.Calendar().List({.limit = 100000}));
  std::map<std::string, int> counts;
  for (const auto& p : posts) ++counts[std::string(store::PostStateName(p.state))];
  return PartResponse{200,
                      {{"configured", c.configured},
                       {"release", ReleaseJson(c.release)},
                       {"platforms", platforms},
                       {"channels", channels},
                       {"counts", counts}}};
}

Result<PartResponse> CalendarRoutes::List(const PartRequest& r) {
  store::PostQuery q;
  if (const auto* v = r.Query("state")) {
    auto s = store::ParsePostState(*v);
    if (!s) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "state: '{}' is not one of scheduled, held, publishing, published, failed, "
                       "dropped, cancelled",
                       *v);
    }
    q.state = s;
  }
  if (const auto* v = r.Query("channel")) q.channel = *v;
  LL_ASSIGN(q.from, QueryTime(r, "from"));
  LL_ASSIGN(q.to, QueryTime(r, "to"));
  q.limit = 1000;
  if (const auto* v = r.Query("limit")) {
    char* end = nullptr;
    long n = std::strtol(v->c_str(), &end, 10);
    if (end == v->c_str() || *end != '\0' || n < 1 || n > 10000) {
      return MakeError(ErrorCode::kInvalidArgument, "limit: expected 1 to 10000");
    }
    q.limit = static_cast<std::size_t>(n);
  }
  LL_ASSIGN(auto posts, store_.Calendar().List(q));
  json out = json::array();
  for (const auto& p : posts) out.push_back(PostJson(p, calendar_.publisher()));
  return PartResponse{200, {{"posts", out}}};
}

Result<PartResponse> CalendarRoutes::Add(const PartRequest& r) {
  LL_ASSIGN(json body, api::ParseObjectBody(
                           r.body, {"id", "text", "media", "channels", "at", "expires", "by"}));
  NewPost n;
  LL_ASSIGN(n.id, api::StringField(body, "id"));
  LL_ASSIGN(n.text, api::StringField(body, "text"));
  LL_ASSIGN(n.media, StringList(body, "media"));
  LL_ASSIGN(n.channels, StringList(body, "channels"));
  LL_ASSIGN(n.by, api::StringField(body, "by"));
  if (n.by.empty()) return MakeError(ErrorCode::kInvalidArgument, "by: required (who adds it)");
  if (!body.contains("at") || body["at"].is_null()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "at: required (when it goes out, e.g. 2026-11-27T09:00:00Z)");
  }
  LL_ASSIGN(n.at, TimeField(body, "at"));
  if (body.contains("expires") && !body["expires"].is_null()) {
    LL_ASSIGN(n.expires, TimeField(body, "expires"));
  }
  n.source = n.by.starts_with("cli") ? "cli" : "api";
  LL_ASSIGN(store::Post p, calendar_.Add(n));
  return PartResponse{201, {{"post", PostJson(p, calendar_.publisher())}}};
}

Result<PartResponse> CalendarRoutes::GetOne(const PartRequest& r) {
  LL_ASSIGN(store::Post p, store_.Calendar().Get(r.Param("id")));
  return PartResponse{200, {{"post", PostJson(p, calendar_.publisher())}}};
}

Result<PartResponse> CalendarRoutes::Act(const PartRequest& r, bool hold) {
  LL_ASSIGN(json body, hold ? api::ParseObjectBody(r.body, {"channels", "by"})
                            : api::ParseObjectBody(r.body, {"channels", "at", "by"}));
  LL_ASSIGN(std::vector<std::string> channels, StringList(body, "channels"));
  LL_ASSIGN(std::string by, api::StringField(body, "by"));
  if (by.empty()) return MakeError(ErrorCode::kInvalidArgument, "by: required (who acts)");
  const std::string id(r.Param("id"));
  core::Result<store::Post> p = MakeError(ErrorCode::kInternal, "unset");
  if (hold) {
    p = calendar_.Hold(id, channels, by);
  } else {
    std::optional<store::Time> at;
    if (body.contains("at") && !body["at"].is_null()) {
      LL_ASSIGN(at, TimeField(body, "at"));
    }
    p = calendar_.Release(id, channels, at, by);
  }
  if (!p.ok()) return p.error();
  return PartResponse{200, {{"post", PostJson(*p, calendar_.publisher())}}};
}

Result<PartResponse> CalendarRoutes::Edit(const PartRequest& r) {
  LL_ASSIGN(json body,
            api::ParseObjectBody(r.body, {"text", "media", "channels", "at", "expires", "by"}));
  LL_ASSIGN(std::string by, api::StringField(body, "by"));
  if (by.empty()) return MakeError(ErrorCode::kInvalidArgument, "by: required (who edits it)");
  PostChanges c;
  if (body.contains("text")) {
    if (!body["text"].is_string()) {
      return MakeError(ErrorCode::kInvalidArgument, "text: expected a string");
    }
    c.text = body["text"].get<std::string>();
  }
  if (body.contains("media")) {
    LL_ASSIGN(c.media, StringList(body, "media"));
  }
  if (body.contains("channels")) {
    LL_ASSIGN(c.channels, StringList(body, "channels"));
  }
  if (body.contains("at")) {
    if (body["at"].is_null()) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "at: a post needs a time (e.g. 2026-11-27T09:00:00Z); leave it out to keep "
                       "the one it has");
    }
    LL_ASSIGN(c.at, TimeField(body, "at"));
  }
  if (body.contains("expires")) {
    if (body["expires"].is_null()) {
      c.expires = std::optional<store::Time>();
    } else {
      LL_ASSIGN(store::Time t, TimeField(body, "expires"));
      c.expires = std::optional<store::Time>(t);
    }
  }
  if (c.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "nothing to change: give text, media, channels, at or expires (null: none)");
  }
  LL_ASSIGN(store::Post p, calendar_.Edit(r.Param("id"), c, by));
  return PartResponse{200, {{"post", PostJson(p, calendar_.publisher())}}};
}

Result<PartResponse> CalendarRoutes::Cancel(const PartRequest& r) {
  LL_ASSIGN(json body, api::ParseObjectBody(r.body, {"by"}));
  LL_ASSIGN(std::string by, api::StringField(body, "by"));
  if (by.empty()) return MakeError(ErrorCode::kInvalidArgument, "by: required (who cancels it)");
  LL_ASSIGN(store::Post p, calendar_.Remove(r.Param("id"), by));
  return PartResponse{200, {{"post", PostJson(p, calendar_.publisher())}}};
}

std::unique_ptr<api::Backend::Subscription> CalendarRoutes::Subscribe(
    std::function<void(const api::LiveEvent&)> sink) {
  return calendar_.Subscribe([this, sink = std::move(sink)](const CalendarEvent& e) {
    if (e.kind == CalendarEvent::Kind::kTimeline) {
      sink({"incident_event",
            {{"incident_id", e.event.incident_id}, {"event", api::EventJson(e.event)}}});
    } else {
      sink({"calendar", {{"change", e.change}, {"post", PostJson(e.post, calendar_.publisher())}}});
    }
  });
}

Result<PartResponse> CalendarRoutes::Import(const PartRequest& r) {
  LL_ASSIGN(json body,
            api::ParseObjectBody(r.body, {"csv", "file", "channels", "date_format", "by"}));
  ImportRequest req;
  LL_ASSIGN(req.csv, api::StringField(body, "csv"));
  LL_ASSIGN(std::string file, api::StringField(body, "file"));
  if (!file.empty()) req.options.file = file;
  LL_ASSIGN(req.options.channels, StringList(body, "channels"));
  LL_ASSIGN(std::string order, api::StringField(body, "date_format"));
  if (!order.empty()) {
    auto o = ParseDateOrder(order);
    if (!o) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "date_format: '{}' is not dd/mm/yyyy, mm/dd/yyyy or iso", order);
    }
    req.options.dates = *o;
  }
  LL_ASSIGN(req.by, api::StringField(body, "by"));
  if (req.by.empty()) return MakeError(ErrorCode::kInvalidArgument, "by: required (who imports)");
  if (req.csv.empty()) return MakeError(ErrorCode::kInvalidArgument, "csv: required (the file)");
  LL_ASSIGN(auto posts, calendar_.Import(req));
  json out = json::array();
  for (const auto& p : posts) out.push_back(PostJson(p, calendar_.publisher()));
  return PartResponse{201, {{"imported", posts.size()}, {"posts", out}}};
}

}  // namespace lifeline::calendar
