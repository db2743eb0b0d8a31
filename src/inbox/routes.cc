// The inbox's HTTP API (routes.h).
#include "inbox/routes.h"

#include <charconv>

#include <fmt/format.h>

#include "api/part_body.h"
#include "config/values.h"
#include "core/types.h"

namespace lifeline::inbox {

using api::PartRequest;
using api::PartResponse;
using core::ErrorCode;
using core::MakeError;
using core::Result;
using nlohmann::json;

namespace {

int StatusOf(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return 400;
    case ErrorCode::kUnauthenticated:
      return 401;
    case ErrorCode::kPermissionDenied:
      return 403;
    case ErrorCode::kNotFound:
      return 404;
    case ErrorCode::kFailedPrecondition:
    case ErrorCode::kAlreadyExists:
      return 409;
    case ErrorCode::kResourceExhausted:
      return 413;  // the only cap a webhook hits is its size
    case ErrorCode::kUnavailable:
      return 503;
    default:
      return 500;
  }
}

std::string Actor(const json& body, const PartRequest& r) {
  auto it = body.find("by");
  if (it != body.end() && it->is_string() && !it->get<std::string>().empty()) {
    return it->get<std::string>().substr(0, 128);
  }
  return r.role == api::Role::kAdmin ? "admin" : "operator";
}

}  // namespace

std::vector<api::PartRoute> InboxRoutes::Routes() {
  using api::PartBody;
  using api::Role;
  std::vector<api::PartRoute> routes;
  const std::vector<std::string> headers = {kMetaSignatureHeader, kTelegramSecretHeader,
                                            kGenericSignatureHeader, kGenericTimestampHeader};
  // Public: the platforms have no API token; the signature over the raw body authenticates.
  routes.push_back({"GET",
                    "/v1/inbox/webhooks/{source}",
                    Role::kNone,
                    {"hub.mode", "hub.verify_token", "hub.challenge"},
                    PartBody::kNone,
                    [this](const PartRequest& r) { return Webhook(r); },
                    {}});
  // Stored on disk before the 200, in the store's group commit: no thread waits for it.
  routes.push_back({"POST",
                    "/v1/inbox/webhooks/{source}",
                    Role::kNone,
                    {},
                    PartBody::kRequired,
                    nullptr,
                    headers,
                    /*blocking=*/false,
                    [this](const PartRequest& r, api::PartRoute::Done done) {
                      StartWebhook(r, std::move(done));
                    }});
  routes.push_back({"GET",
                    "/v1/inbox/sweep",
                    Role::kViewer,
                    {"incident"},
                    PartBody::kNone,
                    [this](const PartRequest& r) { return Sweep(r); }});
  routes.push_back({"GET",
                    "/v1/inbox/sources",
                    Role::kViewer,
                    {},
                    PartBody::kNone,
                    [this](const PartRequest& r) { return Sources(r); }});
  routes.push_back({"POST",
                    "/v1/inbox/sources/{name}/catch-up",
                    Role::kOperator,
                    {"since", "until", "incident"},
                    PartBody::kOptional,
                    [this](const PartRequest& r) { return RunCatchUp(r); }});
  routes.push_back({"GET",
                    "/v1/conversations",
                    Role::kViewer,
                    {"state", "channel", "assignee", "waiting", "limit"},
                    PartBody::kNone,
                    [this](const PartRequest& r) { return List(r); }});
  routes.push_back({"GET",
                    "/v1/conversations/{id}",
                    Role::kViewer,
                    {},
                    PartBody::kNone,
                    [this](const PartRequest& r) { return Show(r); }});
  routes.push_back({"POST",
                    "/v1/conversations/{id}/reply",
                    Role::kOperator,
                    {},
                    PartBody::kRequired,
                    [this](const PartRequest& r) { return Reply(r); }});
  routes.push_back({"POST",
                    "/v1/conversations/{id}/assign",
                    Role::kOperator,
                    {},
                    PartBody::kRequired,
                    [this](const PartRequest& r) { return Assign(r); }});
  routes.push_back(
      {"POST",
       "/v1/conversations/{id}/resolve",
       Role::kOperator,
       {},
       PartBody::kOptional,
       [this](const PartRequest& r) { return State(r, store::ConversationState::kResolved); }});
  routes.push_back(
      {"POST",
       "/v1/conversations/{id}/snooze",
       Role::kOperator,
       {},
       PartBody::kRequired,
       [this](const PartRequest& r) { return State(r, store::ConversationState::kSnoozed); }});
  routes.push_back(
      {"POST",
       "/v1/conversations/{id}/reopen",
       Role::kOperator,
       {},
       PartBody::kOptional,
       [this](const PartRequest& r) { return State(r, store::ConversationState::kOpen); }});
  return routes;
}

std::string InboxRoutes::Metrics() {
  const auto c = inbox_.counters();
  return fmt::format(
      "# HELP lifeline_inbox_webhook_messages_total Customer messages from the inbox's webhooks.\n"
      "# TYPE lifeline_inbox_webhook_messages_total counter\n"
      "lifeline_inbox_webhook_messages_total{{outcome=\"stored\"}} {}\n"
      "lifeline_inbox_webhook_messages_total{{outcome=\"duplicate\"}} {}\n"
      "# HELP lifeline_inbox_webhooks_refused_total Webhook requests refused.\n"
      "# TYPE lifeline_inbox_webhooks_refused_total counter\n"
      "lifeline_inbox_webhooks_refused_total{{reason=\"signature\"}} {}\n"
      "lifeline_inbox_webhooks_refused_total{{reason=\"bad_request\"}} {}\n",
      c.stored, c.duplicates, c.refused_signature, c.refused_bad);
}

std::unique_ptr<api::Backend::Subscription> InboxRoutes::Subscribe(
    std::function<void(const api::LiveEvent&)> sink) {
  return inbox_.Subscribe([sink = std::move(sink)](const ConversationEvent& e) {
    sink({"conversation",
          {{"change", e.change}, {"conversation", ConversationJson(e.conversation)}}});
  });
}

namespace {

WebhookRequest ToWebhook(const PartRequest& r) {
  WebhookRequest w;
  w.method = r.method;
  w.source = std::string(r.Param("source"));
  w.query = r.query;
  w.headers = r.headers;
  w.body = r.body;
  return w;
}

Result<PartResponse> ToPart(Result<WebhookAnswer> a) {
  if (!a.ok()) {
    // The part's own status for each refusal (413 for the size, not the API's 429).
    return PartResponse{
        StatusOf(a.error().code()),
        {{"error",
          {{"code", core::ErrorCodeName(a.error().code())}, {"message", a.error().message()}}}}};
  }
  PartResponse out;
  out.status = a->status;
  if (a->has_text) {
    out.content_type = "text/plain; charset=utf-8";
    out.raw_body = a->text;
  } else {
    out.body = a->body;
  }
  return out;
}

}  // namespace

Result<PartResponse> InboxRoutes::Webhook(const PartRequest& r) {
  return ToPart(inbox_.Webhook(ToWebhook(r)));
}

void InboxRoutes::StartWebhook(const PartRequest& r, api::PartRoute::Done done) {
  inbox_.WebhookAsync(ToWebhook(r), [done = std::move(done)](Result<WebhookAnswer> a) {
    done(ToPart(std::move(a)));
  });
}

Result<PartResponse> InboxRoutes::List(const PartRequest& r) {
  store::ConversationQuery q;
  if (const std::string* s = r.Query("state")) {
    auto st = store::ParseConversationState(*s);
    if (!st) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "state: '{}' is not open, pending, snoozed or resolved", s->substr(0, 32));
    }
    q.state = st;
  }
  if (const std::string* s = r.Query("channel")) q.channel = *s;
  if (const std::string* s = r.Query("assignee")) q.assignee = *s;
  if (const std::string* s = r.Query("waiting")) {
    if (*s != "true" && *s != "false") {
      return MakeError(ErrorCode::kInvalidArgument, "waiting: expected true or false");
    }
    q.waiting_only = *s == "true";
  }
  if (const std::string* s = r.Query("limit")) {
    std::size_t n = 0;
    auto [p, ec] = std::from_chars(s->data(), s->data() + s->size(), n);
    if (ec != std::errc() || p != s->data() + s->size() || n == 0 || n > 1000) {
      return MakeError(ErrorCode::kInvalidArgument, "limit: expected 1 to 1000");
    }
    q.limit = n;
  }
  LL_ASSIGN(auto convs, inbox_.store().Inbox().List(q));
  json items = json::array();
  for (const auto& c : convs) items.push_back(ConversationJson(c));
  return PartResponse{200, {{"conversations", items}}};
}

Result<PartResponse> InboxRoutes::Show(const PartRequest& r) {
  LL_ASSIGN(store::Conversation c, inbox_.store().Inbox().Get(r.Param("id")));
  LL_ASSIGN(auto msgs, inbox_.store().Inbox().Messages({.conversation_id = c.id, .limit = 1000}));
  json j = ConversationJson(c);
  json items = json::array();
  for (const auto& m : msgs) items.push_back(MessageJson(m));
  j["messages"] = items;
  LL_ASSIGN(auto closes, inbox_.WindowCloses(c));
  j["whatsapp_window_closes"] = closes ? json(core::FormatTime(*closes)) : json(nullptr);
  return PartResponse{200, j};
}

Result<PartResponse> InboxRoutes::Reply(const PartRequest& r) {
  LL_ASSIGN(json body, api::ParseObjectBody(r.body, {"text", "idempotency_key", "by"}));
  LL_ASSIGN(std::string text, api::StringField(body, "text"));
  LL_ASSIGN(std::string key, api::StringField(body, "idempotency_key"));
  LL_ASSIGN(auto m, inbox_.Reply(r.Param("id"), text, Actor(body, r), key));
  LL_ASSIGN(store::Conversation c, inbox_.store().Inbox().Get(r.Param("id")));
  return PartResponse{201, {{"message", MessageJson(m)}, {"conversation", ConversationJson(c)}}};
}

Result<PartResponse> InboxRoutes::Assign(const PartRequest& r) {
  LL_ASSIGN(json body, api::ParseObjectBody(r.body, {"assignee", "by"}));
  if (!body.contains("assignee")) {
    return MakeError(ErrorCode::kInvalidArgument, "assignee: required (\"\" unassigns)");
  }
  LL_ASSIGN(std::string who, api::StringField(body, "assignee"));
  LL_ASSIGN(auto c, inbox_.Assign(r.Param("id"), who));
  return PartResponse{200, ConversationJson(c)};
}

Result<PartResponse> InboxRoutes::State(const PartRequest& r, store::ConversationState s) {
  LL_ASSIGN(json body, api::ParseObjectBody(r.body, {"until", "by"}));
  std::optional<store::Time> until;
  if (s == store::ConversationState::kSnoozed) {
    LL_ASSIGN(std::string u, api::StringField(body, "until"));
    if (u.empty()) return MakeError(ErrorCode::kInvalidArgument, "until: required (RFC 3339)");
    auto t = config::ParseTimestamp(u);
    if (!t.ok()) return MakeError(ErrorCode::kInvalidArgument, "until: {}", t.error().message());
    until = store::FromSystem(*t);
  }
  LL_ASSIGN(auto c, inbox_.SetState(r.Param("id"), s, until));
  return PartResponse{200, ConversationJson(c)};
}

Result<PartResponse> InboxRoutes::Sweep(const PartRequest& r) {
  const std::string* inc = r.Query("incident");
  if (inc == nullptr || inc->empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "incident: required (an incident id)");
  }
  LL_ASSIGN(json j, inbox_.Sweep(*inc));
  // What each source's catch-up after the incident found (the gap), oldest first.
  LL_ASSIGN(auto catch_ups, inbox_.store().Inbox().CatchUps(*inc));
  json cu = json::array();
  for (const auto& c : catch_ups) cu.push_back(CatchUpJson(c));
  j["catch_up"] = cu;
  return PartResponse{200, j};
}

Result<PartResponse> InboxRoutes::Sources(const PartRequest&) {
  if (catch_up_ != nullptr) return PartResponse{200, {{"sources", catch_up_->Sources()}}};
  json out = json::array();
  for (const auto& s : inbox_.config().sources) {
    out.push_back({{"name", s.name}, {"type", SourceKindName(s.kind)}, {"channel", s.channel}});
  }
  return PartResponse{200, {{"sources", out}}};
}

Result<PartResponse> InboxRoutes::RunCatchUp(const PartRequest& r) {
  if (catch_up_ == nullptr) {
    return MakeError(ErrorCode::kFailedPrecondition, "the catch-up is not running in this server");
  }
  std::string name(r.Param("name"));
  if (name == "all" && inbox_.config().Find("all") == nullptr) name.clear();
  auto when = [&](const char* key) -> Result<std::optional<store::Time>> {
    const std::string* v = r.Query(key);
    if (v == nullptr || v->empty()) return std::optional<store::Time>();
    auto t = config::ParseTimestamp(*v);
    if (!t.ok()) {
      return MakeError(ErrorCode::kInvalidArgument, "{}: {} (RFC 3339, e.g. 2026-11-27T10:00:00Z)",
                       key, t.error().message());
    }
    return std::optional<store::Time>(store::FromSystem(*t));
  };
  LL_ASSIGN(auto since, when("since"));
  LL_ASSIGN(auto until, when("until"));
  std::string incident;
  if (const std::string* i = r.Query("incident"); i != nullptr) incident = *i;
  const store::Time now = store::FromSystem(std::chrono::system_clock::now());
  if (!incident.empty()) {
    // The incident's span (from a little before it opened), unless since/until say otherwise.
    LL_ASSIGN(store::Incident inc, inbox_.store().GetIncident(incident));
    if (!since) since = inc.opened_at - std::chrono::minutes(10);
  }
  if (!since) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "since: required (RFC 3339), unless incident names an incident");
  }
  LL_ASSIGN(auto results, catch_up_->Run(name, *since, until ? *until : now, incident));
  json out = json::array();
  for (const auto& c : results) out.push_back(CatchUpJson(c));
  return PartResponse{200, {{"catch_up", out}}};
}

}  // namespace lifeline::inbox
