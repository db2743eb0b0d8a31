#include "playbook/routes.h"

#include <charconv>

#include <fmt/format.h>

#include "api/part_body.h"
#include "api/store_json.h"
#include "core/types.h"
#include "playbook/links.h"

namespace lifeline::playbook {
namespace {

using core::ErrorCode;
using core::MakeError;
using core::Result;
using json = nlohmann::json;

double Seconds(Duration d) { return std::chrono::duration<double>(d).count(); }

json TargetJson(const Target& t) {
  return {{"kind", t.kind == Target::Kind::kRole ? "role" : "person"}, {"name", t.name}};
}

json TargetsJson(const std::vector<Target>& ts) {
  json out = json::array();
  for (const auto& t : ts) out.push_back(TargetJson(t));
  return out;
}

json MessageJson(const MessageSpec& m) {
  json out = json::object();
  if (!m.template_name.empty()) out["template"] = m.template_name;
  if (!m.text.empty()) out["text"] = m.text;
  if (!m.subject.empty()) out["subject"] = m.subject;
  return out;
}

json StepJson(const Step& s) {
  json out = {{"id", s.id}, {"kind", StepKindName(s.kind())}};
  out["on_error"] = OnErrorActionName(s.on_error.action);
  std::visit(
      [&](const auto& b) {
        using T = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<T, NotifyStep>) {
          out["to"] = TargetsJson(b.to);
          out["message"] = MessageJson(b.message);
          out["escalation"] = b.escalation;
        } else if constexpr (std::is_same_v<T, PostStep>) {
          out["message"] = MessageJson(b.message);
          out["on"] = b.on;  // empty: the surviving inventory channels
        } else if constexpr (std::is_same_v<T, MoveConversationsStep>) {
          out["to"] = b.to;
        } else if constexpr (std::is_same_v<T, PauseStep>) {
          out["ads"] = b.ads;
          out["scheduled_posts"] = b.scheduled_posts;
        } else if constexpr (std::is_same_v<T, WaitStep>) {
          out["duration_s"] = Seconds(b.duration);
        } else if constexpr (std::is_same_v<T, ApproveStep>) {
          out["role"] = b.role;
          out["what"] = b.what;
          out["timeout_s"] = Seconds(b.timeout);
          out["on_timeout"] = OnTimeoutName(b.on_timeout);
          out["escalation"] = b.escalation;
        } else if constexpr (std::is_same_v<T, TaskStep>) {
          out["title"] = b.title;
          out["role"] = b.role;
          out["escalation"] = b.escalation;
        } else if constexpr (std::is_same_v<T, ParallelStep>) {
          json steps = json::array();
          for (const auto& inner : b.steps) steps.push_back(StepJson(inner));
          out["steps"] = std::move(steps);
        }
      },
      s.body);
  return out;
}

json ExposureJson(const Exposure& e) {
  return {{"kind", e.kind == Exposure::Kind::kDomain ? "domain" : "platform"},
          {"id", e.id},
          {"name", e.name},
          {"reachable", e.reachable},
          {"total", e.total},
          {"share", e.share},
          {"cut_off", e.cut_off},
          {"surviving", e.surviving},
          {"suggestions", e.suggestions},
          {"advice", e.advice}};
}

std::string Who(std::string by) { return by + " (through the API)"; }

// The person acting: {"by": "ana"}; required, one line, at most 100 characters.
Result<std::string> ByField(const json& body) {
  LL_ASSIGN(std::string by, api::StringField(body, "by"));
  if (by.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "by is required: who acts (a team id such as \"ana\", or a name)");
  }
  if (by.size() > 100 || by.find_first_of("\r\n") != std::string::npos) {
    return MakeError(ErrorCode::kInvalidArgument, "by must be one line of at most 100 characters");
  }
  return by;
}

}  // namespace

json PlanJson(const Plan& plan, const Advice& advice) {
  json roles = json::array();
  for (const auto& r : plan.roles) {
    json holders = json::array();
    for (const Person* p : plan.Holders(r.name)) holders.push_back(p->id);
    roles.push_back({{"name", r.name}, {"description", r.description}, {"holders", holders}});
  }
  json team = json::array();
  for (const auto& p : plan.team) {
    json hours = nullptr;
    if (p.hours) {
      json windows = json::array();
      for (const auto& w : p.hours->windows) {
        json days = json::array();
        for (auto d : w.days) days.push_back(d.c_encoding());  // 0 = Sunday
        windows.push_back(
            {{"days", days},
             {"from", fmt::format("{:02}:{:02}", w.from.count() / 60, w.from.count() % 60)},
             {"to", fmt::format("{:02}:{:02}", w.to.count() / 60, w.to.count() % 60)}});
      }
      hours = {{"zone", p.hours->zone}, {"windows", windows}};
    }
    team.push_back({{"id", p.id},
                    {"name", p.name},
                    {"contact", p.contact},
                    {"roles", p.roles},
                    {"hours", hours}});
  }
  json inventory = json::array();
  for (const auto& c : plan.inventory) {
    inventory.push_back({{"id", c.id},
                         {"name", c.name},
                         {"platform", c.platform},
                         {"domain", c.domain},
                         {"channel", c.channel},
                         {"audience", c.audience},
                         {"primary", c.primary},
                         {"backup", c.backup},
                         {"link", c.link}});
  }
  json policies = json::array();
  for (const auto& e : plan.escalation) {
    policies.push_back({{"name", e.name},
                        {"after_s", Seconds(e.after)},
                        {"to", TargetsJson(e.to)},
                        {"repeat", e.repeat}});
  }
  json responses = json::array();
  for (const auto& r : plan.responses) {
    json verdicts = json::array();
    for (auto v : r.trigger.verdicts) verdicts.push_back(core::VerdictName(v));
    json steps = json::array();
    for (const auto& s : r.steps) steps.push_back(StepJson(s));
    json checklist = json::array();
    for (const auto& c : r.after_restoration.checklist) {
      checklist.push_back({{"id", c.id}, {"title", c.title}, {"role", c.role}});
    }
    responses.push_back({{"name", r.name},
                         {"description", r.description},
                         {"trigger",
                          {{"platforms", r.trigger.platforms},
                           {"domains", r.trigger.domains},
                           {"verdicts", verdicts},
                           {"for_s", Seconds(r.trigger.min_duration)},
                           {"severity", SeverityName(r.trigger.severity)}}},
                         {"escalation", r.escalation},
                         {"steps", steps},
                         {"after_restoration",
                          {{"checklist", checklist},
                           {"monitor_window_s", Seconds(r.after_restoration.monitor_window)},
                           {"probe_interval_s", Seconds(r.after_restoration.probe_interval)}}}});
  }
  json domains = json::array();
  for (const auto& e : advice.domains) domains.push_back(ExposureJson(e));
  json platforms = json::array();
  for (const auto& e : advice.platforms) platforms.push_back(ExposureJson(e));
  return {{"name", plan.name},
          {"on_call", plan.on_call},
          {"roles", roles},
          {"team", team},
          {"inventory", inventory},
          {"escalation", policies},
          {"responses", responses},
          {"advice",
           {{"total", advice.total},
            {"domains", domains},
            {"platforms", platforms},
            {"notes", advice.notes}}}};
}

json AssignmentJson(const store::Assignment& a) {
  return {{"id", a.id},
          {"incident_id", a.incident_id},
          {"response", a.response},
          {"step_id", a.step_id},
          {"kind", store::AssignmentKindName(a.kind)},
          {"title", a.title},
          {"role", a.role},
          {"assignee", a.assignee},
          {"notified", a.notified},
          {"escalation", a.escalation},
          {"escalation_level", a.escalation_level},
          {"state", store::AssignmentStateName(a.state)},
          {"acknowledged_by", a.acknowledged_by},
          {"acknowledged_at", api::OptTimeJson(a.acknowledged_at)},
          {"ended_by", a.ended_by},
          {"ended_at", api::OptTimeJson(a.ended_at)},
          {"note", a.note},
          {"created_at", core::FormatTime(a.created_at)},
          {"updated_at", core::FormatTime(a.updated_at)}};
}

json ResponseJson(const IncidentResponse& r) {
  json transitions = json::array();
  for (const auto& t : r.lifecycle.transitions) {
    transitions.push_back({{"seq", t.seq},
                           {"from", t.from ? json(store::LifecycleName(*t.from)) : json(nullptr)},
                           {"to", store::LifecycleName(t.to)},
                           {"by", t.by},
                           {"note", t.note},
                           {"at", core::FormatTime(t.at)}});
  }
  json runs = json::array();
  for (const auto& run : r.runs) {
    runs.push_back({{"response", run.response},
                    {"state", store::RunStateName(run.state)},
                    {"reason", run.reason},
                    {"started_at", core::FormatTime(run.started_at)},
                    {"ended_at", api::OptTimeJson(run.ended_at)}});
  }
  json steps = json::array();
  for (const auto& s : r.steps) {
    steps.push_back({{"response", s.response},
                     {"step_id", s.step_id},
                     {"state", store::StepStateName(s.state)},
                     {"attempts", s.attempts},
                     {"last_error", s.last_error},
                     {"note", s.note},
                     {"started_at", api::OptTimeJson(s.started_at)},
                     {"ended_at", api::OptTimeJson(s.ended_at)}});
  }
  json assignments = json::array();
  for (const auto& a : r.assignments) assignments.push_back(AssignmentJson(a));
  return {{"incident_id", r.lifecycle.incident_id},
          {"lifecycle",
           {{"state", store::LifecycleName(r.lifecycle.state)},
            {"platforms", r.lifecycle.platforms},
            {"monitor_round", r.lifecycle.monitor_round},
            {"transitions", transitions}}},
          {"runs", runs},
          {"steps", steps},
          {"assignments", assignments}};
}

PlaybookRoutes::PlaybookRoutes(Engine& engine, store::Store& store, Advice advice,
                               core::Clock* clock)
    : engine_(engine),
      store_(store),
      advice_(std::move(advice)),
      clock_(clock != nullptr ? *clock : core::RealClock()) {}

std::vector<api::PartRoute> PlaybookRoutes::Routes() {
  using api::PartBody;
  using api::Role;
  auto bind = [this](auto fn) {
    return [this, fn](const api::PartRequest& r) { return (this->*fn)(r); };
  };
  std::vector<api::PartRoute> routes = {
      {"GET", "/v1/plan", Role::kViewer, {}, PartBody::kNone, bind(&PlaybookRoutes::Plan_)},
      {"GET",
       "/v1/incidents/{id}/response",
       Role::kViewer,
       {},
       PartBody::kNone,
       bind(&PlaybookRoutes::Response)},
      {"GET",
       "/v1/assignments",
       Role::kViewer,
       {"incident", "state", "kind", "limit"},
       PartBody::kNone,
       bind(&PlaybookRoutes::Assignments)},
      {"POST",
       "/v1/incidents/{id}/reviewed",
       Role::kOperator,
       {},
       PartBody::kRequired,
       bind(&PlaybookRoutes::Reviewed)},
      {"GET", "/v1/ack/{token}", Role::kNone, {}, PartBody::kNone, bind(&PlaybookRoutes::LinkInfo)},
      {"POST",
       "/v1/ack/{token}",
       Role::kNone,
       {},
       PartBody::kOptional,
       bind(&PlaybookRoutes::LinkRedeem)},
  };
  for (std::string action : {"acknowledge", "done", "approve", "refuse"}) {
    routes.push_back({"POST",
                      "/v1/assignments/{id}/" + action,
                      Role::kOperator,
                      {},
                      PartBody::kRequired,
                      [this, action](const api::PartRequest& r) { return Act(r, action); }});
  }
  return routes;
}

std::unique_ptr<api::Backend::Subscription> PlaybookRoutes::Subscribe(
    std::function<void(const api::LiveEvent&)> sink) {
  return engine_.Subscribe([sink = std::move(sink)](const store::IncidentEvent& e) {
    sink({"incident_event", {{"incident_id", e.incident_id}, {"event", api::EventJson(e)}}});
  });
}

Result<api::PartResponse> PlaybookRoutes::Plan_(const api::PartRequest&) {
  return api::PartResponse{200, PlanJson(engine_.plan(), advice_)};
}

Result<api::PartResponse> PlaybookRoutes::Response(const api::PartRequest& r) {
  LL_ASSIGN(IncidentResponse d, engine_.Describe(r.Param("id")));
  return api::PartResponse{200, ResponseJson(d)};
}

Result<api::PartResponse> PlaybookRoutes::Assignments(const api::PartRequest& r) {
  store::AssignmentQuery q;
  if (const std::string* v = r.Query("incident")) q.incident_id = *v;
  if (const std::string* v = r.Query("state")) {
    auto s = store::ParseAssignmentState(*v);
    if (!s) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "state must be one of open, acknowledged, done, approved, refused, expired");
    }
    q.state = *s;
  }
  if (const std::string* v = r.Query("kind")) {
    auto k = store::ParseAssignmentKind(*v);
    if (!k) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "kind must be one of task, approval, notification");
    }
    q.kind = *k;
  }
  if (const std::string* v = r.Query("limit")) {
    int n = 0;
    auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
    if (ec != std::errc() || end != v->data() + v->size() || n < 1 || n > 1000) {
      return MakeError(ErrorCode::kInvalidArgument, "limit must be a number from 1 to 1000");
    }
    q.limit = static_cast<std::size_t>(n);
  }
  LL_ASSIGN(auto list, store_.Playbook().ListAssignments(q));
  json out = json::array();
  for (const auto& a : list) out.push_back(AssignmentJson(a));
  return api::PartResponse{200, {{"assignments", out}}};
}

Result<api::PartResponse> PlaybookRoutes::Act(const api::PartRequest& r,
                                              const std::string& action) {
  const bool refuse = action == "refuse";
  LL_ASSIGN(json body, refuse ? api::ParseObjectBody(r.body, {"by", "why"})
                              : api::ParseObjectBody(r.body, {"by"}));
  LL_ASSIGN(std::string by, ByField(body));
  const std::string who = Who(by);
  std::string id(r.Param("id"));
  Result<store::Assignment> done = [&]() -> Result<store::Assignment> {
    if (action == "acknowledge") return engine_.Acknowledge(id, who);
    if (action == "done") return engine_.Done(id, who);
    if (action == "approve") return engine_.Approve(id, who);
    LL_ASSIGN(std::string why, api::StringField(body, "why"));
    return engine_.Refuse(id, who, why);
  }();
  if (!done.ok()) return done.error();
  return api::PartResponse{200, AssignmentJson(*done)};
}

Result<api::PartResponse> PlaybookRoutes::Reviewed(const api::PartRequest& r) {
  LL_ASSIGN(json body, api::ParseObjectBody(r.body, {"by"}));
  LL_ASSIGN(std::string by, ByField(body));
  LL_ASSIGN(auto lc, engine_.MarkReviewed(r.Param("id"), Who(by)));
  return api::PartResponse{
      200, {{"incident_id", lc.incident_id}, {"state", store::LifecycleName(lc.state)}}};
}

Result<api::PartResponse> PlaybookRoutes::LinkInfo(const api::PartRequest& r) {
  // What the link would do, for the page that asks to confirm; never acts. Only tokens this
  // installation stored are found (by hash); the MAC is checked when the link is used.
  std::string token(TokenOfLink(r.Param("token")));
  auto stored = store_.Playbook().GetLinkToken(LinkTokenHash(token));
  if (!stored.ok()) {
    if (stored.error().code() == ErrorCode::kNotFound) {
      return MakeError(ErrorCode::kNotFound,
                       "this link is not one Lifeline issued, or it was damaged on the way");
    }
    return stored.error();
  }
  LL_ASSIGN(store::Assignment a, store_.Playbook().GetAssignment(stored->assignment_id));
  const store::Time now = store::FromSystem(clock_.Now());
  std::string problem;
  if (stored->used_at) {
    problem = fmt::format("this link was already used at {}", core::FormatTime(*stored->used_at));
  } else if (stored->expires_at <= now) {
    problem = fmt::format("this link expired at {}", core::FormatTime(stored->expires_at));
  } else if (store::IsFinal(a.kind, a.state)) {
    problem = fmt::format("this {} is already {}", store::AssignmentKindName(a.kind),
                          store::AssignmentStateName(a.state));
  }
  return api::PartResponse{200,
                           {{"action", stored->purpose},
                            {"person", stored->person},
                            {"expires_at", core::FormatTime(stored->expires_at)},
                            {"used_at", api::OptTimeJson(stored->used_at)},
                            {"usable", problem.empty()},
                            {"problem", problem},
                            {"assignment",
                             {{"id", a.id},
                              {"kind", store::AssignmentKindName(a.kind)},
                              {"title", a.title},
                              {"state", store::AssignmentStateName(a.state)},
                              {"incident_id", a.incident_id}}}}};
}

Result<api::PartResponse> PlaybookRoutes::LinkRedeem(const api::PartRequest& r) {
  LL_ASSIGN(json body, api::ParseObjectBody(r.body, {}));
  (void)body;
  LL_ASSIGN(Redeemed done, engine_.Redeem(r.Param("token")));
  return api::PartResponse{200,
                           {{"action", LinkActionName(done.action)},
                            {"by", done.by},
                            {"assignment", AssignmentJson(done.assignment)}}};
}

}  // namespace lifeline::playbook
