// The relay's HTTP API (routes.h): thin handlers over the Relay and its outbox store. Every
// mutation goes through the Relay, so its events and circuits stay right.
#include "channels/routes.h"

#include <algorithm>
#include <charconv>
#include <mutex>
#include <set>

#include <fmt/format.h>

#include "api/part_body.h"
#include "core/types.h"

namespace lifeline::channels {
namespace {

using core::ErrorCode;
using core::MakeError;
using core::Result;
using json = nlohmann::json;

std::string Time(store::Time t) { return core::FormatTime(t); }

json OptTime(const std::optional<store::Time>& t) { return t ? json(Time(*t)) : json(nullptr); }

json OptTime(const std::optional<TimePoint>& t) {
  return t ? json(core::FormatTime(*t)) : json(nullptr);
}

using api::BoolField;
using api::StringField;

std::string Who(const api::PartRequest& r, std::string_view action) {
  std::string_view role = r.role == api::Role::kAdmin      ? "admin"
                          : r.role == api::Role::kOperator ? "operator"
                                                           : "viewer";
  return fmt::format("{} through the API ({})", action, role);
}

// `media`: absent or null = none; else a list of links (the relay checks each).
Result<std::vector<std::string>> MediaField(const json& body) {
  std::vector<std::string> out;
  auto it = body.find("media");
  if (it == body.end() || it->is_null()) return out;
  if (!it->is_array()) {
    return MakeError(ErrorCode::kInvalidArgument, "media: expected a list of http(s) links");
  }
  for (std::size_t i = 0; i < it->size(); ++i) {
    const json& v = (*it)[i];
    if (!v.is_string()) {
      return MakeError(ErrorCode::kInvalidArgument, "media[{}]: expected a link (a string)", i);
    }
    out.push_back(v.get<std::string>());
  }
  return out;
}

}  // namespace

json MessageJson(const store::OutboxMessage& m) {
  return {{"id", m.id},
          {"idempotency_key", m.idempotency_key},
          {"channel", m.channel},
          {"contact", m.contact},
          {"recipient", m.recipient},
          {"subject", m.subject},
          {"text", m.text},
          {"media", m.media},
          {"incident_id", m.incident_id},
          {"state", store::MessageStateName(m.state)},
          {"attempts", m.attempts},
          {"next_attempt_at", OptTime(m.next_attempt_at)},
          {"created_at", Time(m.created_at)},
          {"updated_at", Time(m.updated_at)},
          {"remote_id", m.remote_id},
          {"last_reason", m.last_reason},
          {"route", m.route},
          {"last_seq", m.last_seq}};
}

json MessageEventJson(const store::MessageEvent& e) {
  json answer = json::parse(e.answer_json, nullptr, false);
  if (answer.is_discarded()) answer = json::object();
  return {{"seq", e.seq},       {"at", Time(e.at)},
          {"type", e.type},     {"state", store::MessageStateName(e.state)},
          {"detail", e.detail}, {"answer", std::move(answer)}};
}

json ChannelHealthJson(const ChannelHealth& h) {
  return {{"name", h.name},
          {"kind", h.kind},
          {"platform", h.platform},
          {"domain", h.domain},
          {"circuit", CircuitStateName(h.circuit)},
          {"circuit_reason", h.circuit_reason},
          {"open_since", OptTime(h.open_since)},
          {"probe_at", OptTime(h.probe_at)},
          {"incident_id", h.incident_id},
          {"consecutive_failures", h.consecutive_failures},
          {"rate_per_second", h.rate_per_second},
          {"current_rate", h.current_rate},
          {"tokens", h.tokens},
          {"paused_until", OptTime(h.paused_until)}};
}

RelayRoutes::RelayRoutes(Relay& relay, const RelaySetup& setup, ContactSender send_to_contact)
    : relay_(relay), setup_(setup), send_to_contact_(std::move(send_to_contact)) {}

std::vector<api::PartRoute> RelayRoutes::Routes() {
  using api::PartBody;
  using api::Role;
  auto bind = [this](auto method) {
    return [this, method](const api::PartRequest& r) { return (this->*method)(r); };
  };
  auto act = [this](std::string action) {
    return [this, action](const api::PartRequest& r) { return Act(r, action); };
  };
  return {
      {"GET",
       "/v1/outbox",
       Role::kViewer,
       {"state", "channel", "incident", "contact", "limit", "cursor"},
       PartBody::kNone,
       bind(&RelayRoutes::List)},
      {"POST", "/v1/outbox", Role::kOperator, {}, PartBody::kRequired, bind(&RelayRoutes::Send)},
      {"GET", "/v1/outbox/{id}", Role::kViewer, {}, PartBody::kNone, bind(&RelayRoutes::Show)},
      {"POST", "/v1/outbox/{id}/retry", Role::kOperator, {}, PartBody::kOptional, act("retry")},
      {"POST", "/v1/outbox/{id}/cancel", Role::kOperator, {}, PartBody::kOptional, act("cancel")},
      {"POST", "/v1/outbox/{id}/decide", Role::kOperator, {}, PartBody::kRequired, act("decide")},
      {"GET", "/v1/channels", Role::kViewer, {}, PartBody::kNone, bind(&RelayRoutes::Channels)},
      {"GET", "/v1/contacts", Role::kViewer, {}, PartBody::kNone, bind(&RelayRoutes::Contacts)},
  };
}

std::string RelayRoutes::Metrics() { return relay_.Metrics(); }

std::unique_ptr<api::Backend::Subscription> RelayRoutes::Subscribe(
    std::function<void(const api::LiveEvent&)> sink) {
  return relay_.Subscribe([sink = std::move(sink)](const OutboxChange& change) {
    sink({"outbox", {{"type", change.type}, {"message", MessageJson(change.message)}}});
  });
}

Result<api::PartResponse> RelayRoutes::List(const api::PartRequest& r) {
  store::MessageQuery q;
  if (const std::string* s = r.Query("state")) {
    auto parsed = store::ParseMessageState(*s);
    if (!parsed) {
      std::string valid;
      for (auto st : store::kAllMessageStates) {
        valid += (valid.empty() ? "" : ", ") + std::string(store::MessageStateName(st));
      }
      return MakeError(ErrorCode::kInvalidArgument, "state must be one of {}", valid);
    }
    q.state = *parsed;
  }
  if (const std::string* c = r.Query("channel")) q.channel = *c;
  if (const std::string* i = r.Query("incident")) q.incident_id = *i;
  if (const std::string* c = r.Query("contact")) q.contact = *c;
  if (const std::string* c = r.Query("cursor")) q.cursor = *c;
  if (const std::string* l = r.Query("limit")) {
    std::size_t n = 0;
    auto [ptr, ec] = std::from_chars(l->data(), l->data() + l->size(), n);
    if (ec != std::errc() || ptr != l->data() + l->size() || n < 1 || n > 1000) {
      return MakeError(ErrorCode::kInvalidArgument, "limit must be a whole number from 1 to 1000");
    }
    q.limit = n;
  }
  auto page = relay_.outbox().List(q);
  if (!page.ok()) return page.error();
  json messages = json::array();
  for (const auto& m : page->messages) messages.push_back(MessageJson(m));
  return api::PartResponse{
      200,
      {{"messages", std::move(messages)},
       {"next_cursor", page->next_cursor.empty() ? json(nullptr) : json(page->next_cursor)}}};
}

Result<api::PartResponse> RelayRoutes::Show(const api::PartRequest& r) {
  auto detail = relay_.outbox().Get(r.Param("id"));
  if (!detail.ok()) return detail.error();
  json events = json::array();
  for (const auto& e : detail->events) events.push_back(MessageEventJson(e));
  return api::PartResponse{
      200, {{"message", MessageJson(detail->message)}, {"events", std::move(events)}}};
}

Result<api::PartResponse> RelayRoutes::Send(const api::PartRequest& r) {
  auto body = api::ParseObjectBody(r.body, {"channel", "contact", "to", "subject", "text", "html",
                                            "media", "idempotency_key", "incident_id", "dry_run"});
  if (!body.ok()) return body.error();
  SendRequest req;
  std::string contact;
  for (auto [field, target] :
       {std::pair{"channel", &req.channel}, std::pair{"to", &req.to},
        std::pair{"subject", &req.subject}, std::pair{"text", &req.text},
        std::pair{"html", &req.html}, std::pair{"idempotency_key", &req.idempotency_key},
        std::pair{"incident_id", &req.incident_id}, std::pair{"contact", &contact}}) {
    auto v = StringField(*body, field);
    if (!v.ok()) return v.error();
    *target = std::move(*v);
  }
  auto media = MediaField(*body);
  if (!media.ok()) return media.error();
  req.media = std::move(*media);
  auto dry_run = BoolField(*body, "dry_run", false);
  if (!dry_run.ok()) return dry_run.error();
  if (req.text.empty()) return MakeError(ErrorCode::kInvalidArgument, "text is required");
  if (req.channel.empty() == contact.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "give exactly one of channel (a configured channel's name) or contact (a "
                     "configured contact's id)");
  }
  if (!contact.empty()) {
    if (setup_.FindContact(contact) == nullptr) {
      return MakeError(ErrorCode::kNotFound, "no contact '{}' is configured", contact);
    }
    if (!req.media.empty()) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "media take a channel: the public-post channels publish them, a contact's "
                       "route does not");
    }
    if (!send_to_contact_) {
      return MakeError(ErrorCode::kFailedPrecondition,
                       "sending to a contact needs the relay's router, which is not running");
    }
    if (*dry_run) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "dry_run takes a channel: a contact's route is decided at delivery");
    }
    auto sent = send_to_contact_(contact, std::move(req));
    if (!sent.ok()) return sent.error();
    return api::PartResponse{sent->created ? 202 : 200,
                             {{"message", MessageJson(sent->message)}, {"created", sent->created}}};
  }
  if (*dry_run) {
    if (auto ok = relay_.Validate(req); !ok.ok()) return ok.error();
    const ChannelSetup* ch = relay_.FindChannel(req.channel);
    return api::PartResponse{200,
                             {{"dry_run", true},
                              {"channel", req.channel},
                              {"kind", ch ? ch->kind : ""},
                              {"to", req.to},
                              {"subject", req.subject},
                              {"text", req.text},
                              {"media", req.media},
                              {"characters", CodePoints(req.text)},
                              {"max_characters", ch ? ch->traits.max_chars : 0}}};
  }
  auto sent = relay_.Enqueue(req);
  if (!sent.ok()) return sent.error();
  return api::PartResponse{sent->created ? 202 : 200,
                           {{"message", MessageJson(sent->message)}, {"created", sent->created}}};
}

Result<api::PartResponse> RelayRoutes::Act(const api::PartRequest& r, const std::string& action) {
  const std::string id(r.Param("id"));
  Result<store::OutboxMessage> done = MakeError(ErrorCode::kInternal, "unreachable");
  if (action == "decide") {
    auto body = api::ParseObjectBody(r.body, {"delivered"});
    if (!body.ok()) return body.error();
    auto it = body->find("delivered");
    if (it == body->end() || !it->is_boolean()) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "delivered is required: true (it did arrive) or false (send it again)");
    }
    const bool delivered = it->get<bool>();
    done = relay_.Decide(id, delivered,
                         Who(r, delivered ? "marked delivered" : "decided to send again"));
  } else {
    auto body = api::ParseObjectBody(r.body, {});
    if (!body.ok()) return body.error();
    done = action == "retry" ? relay_.Retry(id, Who(r, "retried"))
                             : relay_.Cancel(id, Who(r, "cancelled"));
  }
  if (!done.ok()) return done.error();
  return api::PartResponse{200, {{"message", MessageJson(*done)}}};
}

Result<api::PartResponse> RelayRoutes::Channels(const api::PartRequest&) {
  json out = json::array();
  for (const ChannelHealth& h : relay_.Health()) out.push_back(ChannelHealthJson(h));
  return api::PartResponse{200, {{"channels", std::move(out)}}};
}

Result<api::PartResponse> RelayRoutes::Contacts(const api::PartRequest&) {
  json out = json::array();
  for (const Contact& c : setup_.contacts) {
    json points = json::array();
    for (const ContactPoint& p : c.points) {
      auto health = relay_.Health(p.channel);
      points.push_back(
          {{"channel", p.channel},
           {"to", p.to},
           {"circuit", health.ok() ? json(CircuitStateName(health->circuit)) : json(nullptr)}});
    }
    out.push_back(
        {{"id", c.id}, {"name", c.name}, {"role", c.role}, {"points", std::move(points)}});
  }
  return api::PartResponse{200, {{"contacts", std::move(out)}}};
}

}  // namespace lifeline::channels
