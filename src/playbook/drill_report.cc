// The drill report's data (drill_report.h): acknowledgement times per person and role,
// escalations, steps, the holding statement per channel, and the findings; the renderers are in
// drill_render.cc.
#include "playbook/drill_report.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include <fmt/format.h>

#include "playbook/drill_messenger.h"
#include "playbook/engine_internal.h"
#include "report/text.h"

namespace lifeline::playbook {
namespace {

using core::Result;
using engine_internal::FailureOf;
using engine_internal::Human;
using engine_internal::Join;
using json = nlohmann::json;
using store::AssignmentKind;
using store::AssignmentState;

json Data(const store::IncidentEvent& e) {
  json j = json::parse(e.data_json, nullptr, false);
  return j.is_object() ? j : json::object();
}

std::string Str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The person of the plan a recorded "who" names: "ana", "ana (through the API)", "Ana Lima".
const Person* PersonOf(const Plan& plan, std::string who) {
  constexpr std::string_view kApi = " (through the API)";
  if (who.size() > kApi.size() && who.ends_with(kApi)) who.resize(who.size() - kApi.size());
  if (const Person* p = plan.FindPerson(who)) return p;
  for (const Person& p : plan.team) {
    if (p.name == who) return &p;
  }
  return nullptr;
}

std::string NameOf(const Plan& plan, const std::string& id) {
  const Person* p = plan.FindPerson(id);
  return p ? p->name : id;
}

// When and by whom the assignment was acknowledged (a task done at once, an approval decided).
struct Acted {
  std::string by;
  store::Time at;
  std::string how;  // acknowledged, done, approved, refused
};

std::optional<Acted> ActedOn(const store::Assignment& a) {
  if (a.kind == AssignmentKind::kApproval) {
    if ((a.state == AssignmentState::kApproved || a.state == AssignmentState::kRefused) &&
        a.ended_at) {
      return Acted{a.ended_by, *a.ended_at,
                   std::string(a.state == AssignmentState::kApproved ? "approved" : "refused")};
    }
    return std::nullopt;
  }
  if (a.acknowledged_at) return Acted{a.acknowledged_by, *a.acknowledged_at, "acknowledged"};
  if (a.state == AssignmentState::kDone && a.ended_at) {
    return Acted{a.ended_by, *a.ended_at, "done"};
  }
  return std::nullopt;
}

std::string KindOfStep(const Plan& plan, const std::string& response, const std::string& step) {
  const Response* r = plan.FindResponse(response);
  if (r == nullptr) return "";
  if (const Step* s = r->FindStep(step)) return std::string(StepKindName(s->kind()));
  for (const ChecklistItem& c : r->after_restoration.checklist) {
    if (c.id == step) return "checklist";
  }
  return "";
}

const ApproveStep* ApproveOf(const Plan& plan, const store::Assignment& a) {
  const Response* r = plan.FindResponse(a.response);
  const Step* s = r ? r->FindStep(a.step_id) : nullptr;
  return s && s->kind() == StepKind::kApprove ? &std::get<ApproveStep>(s->body) : nullptr;
}

void AddFinding(DrillReport& out, DrillFinding::Level level, std::string text) {
  out.findings.push_back({level, std::move(text)});
}

void Acknowledgements(DrillReport& out, const Plan& plan) {
  // Who each escalation level asked, and when (the engine's "playbook_escalated" entries).
  std::map<std::string, std::vector<std::pair<std::string, std::pair<store::Time, int>>>> asked_by;
  for (const store::IncidentEvent& e : out.incident.timeline) {
    if (e.type != "playbook_escalated" && e.type != "playbook_escalation_ended") continue;
    json d = Data(e);
    const std::string id = Str(d, "assignment");
    EscalationRow row;
    row.at = e.at;
    row.assignment_id = id;
    row.message = e.message;
    if (e.type == "playbook_escalated") {
      row.level = d.value("level", 0);
      row.target = Str(d, "target");
      if (d.contains("people") && d["people"].is_array()) {
        for (const json& p : d["people"]) {
          if (!p.is_string()) continue;
          row.people.push_back(NameOf(plan, p.get<std::string>()));
          asked_by[id].push_back({p.get<std::string>(), {e.at, row.level}});
        }
      }
    }
    for (const store::Assignment& a : out.incident.assignments) {
      if (a.id == id) row.title = a.title;
    }
    out.escalations.push_back(std::move(row));
  }

  std::map<std::string, RoleRow> roles;
  for (const store::Assignment& a : out.incident.assignments) {
    const std::optional<Acted> acted = ActedOn(a);
    const Person* actor = acted ? PersonOf(plan, acted->by) : nullptr;
    std::vector<std::pair<std::string, std::pair<store::Time, int>>> asked;
    const auto& later = asked_by[a.id];
    for (const std::string& p : a.notified) {
      bool escalated =
          std::any_of(later.begin(), later.end(), [&](const auto& x) { return x.first == p; });
      if (!escalated) asked.push_back({p, {a.created_at, -1}});
    }
    for (const auto& x : later) {
      bool seen = std::any_of(asked.begin(), asked.end(),
                              [&](const auto& y) { return y.first == x.first; });
      if (!seen) asked.push_back(x);
    }
    bool actor_asked = false;
    for (const auto& [person, when] : asked) {
      AckRow row;
      row.assignment_id = a.id;
      row.kind = std::string(store::AssignmentKindName(a.kind));
      row.title = a.title;
      row.role = a.role;
      row.step = a.step_id;
      row.person = person;
      row.person_name = NameOf(plan, person);
      row.asked_how =
          when.second < 0 ? "asked first" : fmt::format("escalation level {}", when.second + 1);
      row.asked_at = when.first;
      if (acted && actor != nullptr && actor->id == person) {
        actor_asked = true;
        row.acted_at = acted->at;
        row.took = std::chrono::duration_cast<Duration>(acted->at - when.first);
        row.outcome = acted->how;
      } else if (acted) {
        row.outcome = fmt::format("{} by {} first", acted->how,
                                  actor ? actor->name : report::Clean(acted->by));
      } else {
        row.outcome =
            a.kind == AssignmentKind::kApproval ? "did not answer" : "did not acknowledge";
      }
      out.acknowledgements.push_back(std::move(row));
    }
    if (acted && !actor_asked) {
      AckRow row;
      row.assignment_id = a.id;
      row.kind = std::string(store::AssignmentKindName(a.kind));
      row.title = a.title;
      row.role = a.role;
      row.step = a.step_id;
      row.person = actor ? actor->id : "";
      row.person_name = actor ? actor->name : report::Clean(acted->by);
      row.asked_how = "not asked";
      row.acted_at = acted->at;
      row.took = std::chrono::duration_cast<Duration>(acted->at - a.created_at);
      row.outcome = acted->how;
      out.acknowledgements.push_back(std::move(row));
    }
    const std::string role = a.role.empty() ? "(named people)" : a.role;
    RoleRow& rr = roles[role];
    rr.role = role;
    ++rr.asked;
    if (acted) {
      ++rr.acknowledged;
      const Duration took = std::chrono::duration_cast<Duration>(acted->at - a.created_at);
      if (!rr.fastest || took < *rr.fastest) rr.fastest = took;
      if (!rr.slowest || took > *rr.slowest) rr.slowest = took;
    }
  }
  for (auto& [name, row] : roles) out.roles.push_back(std::move(row));
}

void Steps(DrillReport& out, const Plan& plan) {
  std::set<std::pair<std::string, std::string>> seen;
  for (const store::StepRecord& s : out.incident.steps) {
    StepRow row;
    row.response = s.response;
    row.step = s.step_id;
    row.kind = KindOfStep(plan, s.response, s.step_id);
    row.state = std::string(store::StepStateName(s.state));
    row.note = s.note;
    row.error = s.last_error;
    row.started_at = s.started_at;
    row.ended_at = s.ended_at;
    seen.insert({s.response, s.step_id});
    out.steps.push_back(std::move(row));
  }
  // Steps of the responses that ran but never started (a response stopped before them).
  for (const store::ResponseRun& run : out.incident.runs) {
    const Response* r = plan.FindResponse(run.response);
    if (r == nullptr) continue;
    for (const Step& s : r->steps) {
      if (seen.count({r->name, s.id}) > 0) continue;
      out.steps.push_back({r->name, s.id, std::string(StepKindName(s.kind())), "pending",
                           "never started", "", std::nullopt, std::nullopt});
    }
  }
  std::stable_sort(out.steps.begin(), out.steps.end(), [](const StepRow& a, const StepRow& b) {
    if (!a.started_at || !b.started_at) return a.started_at.has_value() && !b.started_at;
    return *a.started_at < *b.started_at;
  });
}

void Posts(DrillReport& out, const Plan& plan, const Failure& failure) {
  auto inventory_of = [&](const std::string& channel) -> const InventoryChannel* {
    for (const InventoryChannel& c : plan.inventory) {
      if (!c.channel.empty() && c.channel == channel) return &c;
    }
    return nullptr;
  };
  for (const report::MessageSummary& m : out.incident.messages) {
    if (m.audience != report::Audience::kAudience) continue;
    PostRow row;
    row.channel = m.channel;
    row.text = m.text;
    if (const InventoryChannel* c = inventory_of(m.channel); c != nullptr) {
      row.inventory = c->id;
      row.name = c->name;
    } else {
      row.name = m.channel;
    }
    const bool test = std::find(out.setup.test_audience.begin(), out.setup.test_audience.end(),
                                m.channel) != out.setup.test_audience.end();
    if (out.setup.dry_run) {
      row.outcome = "would be posted";
    } else {
      row.outcome = fmt::format("{} ({})", test ? "posted on the test audience" : "posted",
                                store::MessageStateName(m.state));
    }
    out.posts.push_back(std::move(row));
  }
  for (const store::IncidentEvent& e : out.incident.timeline) {
    if (e.type != kDrillPostSkippedEvent) continue;
    json d = Data(e);
    PostRow row;
    row.inventory = Str(d, "inventory");
    row.channel = Str(d, "channel");
    const InventoryChannel* c = plan.FindInventory(row.inventory);
    row.name = c ? c->name : row.channel;
    row.text = report::Clean(Str(d, "text"));
    row.outcome = "not posted: the plan names no test audience (drill: audience)";
    out.posts.push_back(std::move(row));
  }
  std::uint64_t total = 0, reached = 0;
  std::vector<std::string> reached_names;
  for (const InventoryChannel& c : plan.inventory) {
    total += c.audience;
    if (plan.Fails(c, failure)) {
      out.skipped.push_back(
          {c.id, c.name, c.channel,
           fmt::format("rides the failure ({})", c.platform.empty() ? c.domain : c.platform)});
    } else if (c.channel.empty()) {
      out.skipped.push_back(
          {c.id, c.name, "", "Lifeline cannot post there: no relay channel (channel:)"});
    } else {
      reached += c.audience;
      reached_names.push_back(c.name);
    }
  }
  if (total > 0) {
    AddFinding(
        out, DrillFinding::Level::kNote,
        fmt::format("The holding statement reaches {} of {} people of the inventory "
                    "({}){}",
                    reached, total,
                    report::Percent(static_cast<double>(reached) / static_cast<double>(total)),
                    reached_names.empty() ? "" : ": on " + Join(reached_names)));
  }
}

void Findings(DrillReport& out, const Plan& plan) {
  const bool nobody_answers = out.setup.dry_run && !out.setup.ack_after;
  for (const StepRow& s : out.steps) {
    if (s.state == "failed") {
      AddFinding(out, DrillFinding::Level::kProblem,
                 fmt::format("Step {} ({}) of response {} failed: {}", s.step, s.kind, s.response,
                             s.error.empty() ? s.note : s.error));
    } else if (s.state == "skipped" && s.note.starts_with("waiting for")) {
      AddFinding(out, DrillFinding::Level::kNote,
                 fmt::format("Step {} ({}) did nothing: {}", s.step, s.kind, s.note));
    }
  }
  for (const store::Assignment& a : out.incident.assignments) {
    const std::optional<Acted> acted = ActedOn(a);
    if (a.kind == AssignmentKind::kApproval) {
      const ApproveStep* ap = ApproveOf(plan, a);
      // Nobody holding the role was working: the request went to on-call instead.
      bool holder = std::any_of(a.notified.begin(), a.notified.end(), [&](const std::string& p) {
        const Person* person = plan.FindPerson(p);
        return person && person->HasRole(a.role);
      });
      if (!holder && !a.role.empty()) {
        std::vector<std::string> names;
        for (const std::string& p : a.notified) names.push_back(NameOf(plan, p));
        AddFinding(out, DrillFinding::Level::kWarning,
                   fmt::format("Nobody holding {} was working when approval '{}' was asked: it "
                               "went to {} instead, who may not be allowed to give it",
                               a.role, a.title, Join(names)));
      }
      if (ap == nullptr) continue;
      const Duration waited =
          acted ? std::chrono::duration_cast<Duration>(acted->at - a.created_at) : Duration::max();
      if (waited > ap->timeout) {
        AddFinding(
            out, nobody_answers ? DrillFinding::Level::kNote : DrillFinding::Level::kWarning,
            acted ? fmt::format("Approval '{}' ({}) was {} after {}, past its timeout of {} "
                                "(on_timeout: {})",
                                a.title, a.role, acted->how, Human(waited), Human(ap->timeout),
                                OnTimeoutName(ap->on_timeout))
                  : fmt::format("Approval '{}' ({}) was not given within its timeout of "
                                "{} (on_timeout: {}){}",
                                a.title, a.role, Human(ap->timeout), OnTimeoutName(ap->on_timeout),
                                nobody_answers ? ": nobody answers in this simulation "
                                                 "(--ack-after simulates answers)"
                                               : ""));
      }
      continue;
    }
    if (acted || a.notified.empty()) continue;
    if (a.state == AssignmentState::kExpired) continue;  // the incident closed first
    std::vector<std::string> names;
    for (const std::string& p : a.notified) names.push_back(NameOf(plan, p));
    AddFinding(
        out, nobody_answers ? DrillFinding::Level::kNote : DrillFinding::Level::kWarning,
        fmt::format("Nobody acknowledged {} '{}'{}: asked {}{}", store::AssignmentKindName(a.kind),
                    a.title, a.role.empty() ? "" : " (" + a.role + ")", Join(names),
                    a.escalation.empty() ? " (no escalation policy chases it)" : ""));
  }
  for (const report::MessageSummary& m : out.incident.messages) {
    if (!m.contact.empty() &&
        m.route.find("every contact point's circuit is open") != std::string::npos) {
      std::string name = m.contact;
      for (const Person& p : plan.team) {
        if (p.contact == m.contact) name = p.name;
      }
      AddFinding(out, DrillFinding::Level::kProblem,
                 fmt::format("{} cannot be reached during this outage: every contact point rides "
                             "it, so the message waits on {} (add a contact point on another "
                             "failure domain)",
                             name, m.channel));
    }
    if (m.state == store::MessageState::kFailed || m.state == store::MessageState::kDeadLettered) {
      AddFinding(out, DrillFinding::Level::kProblem,
                 fmt::format("A message to {} on {} failed: {}",
                             m.contact.empty() ? m.channel : m.contact, m.channel, m.reason));
    }
  }
  for (const store::IncidentEvent& e : out.incident.timeline) {
    if (e.type == "playbook_response_waiting" || e.type == "playbook_response_not_started") {
      AddFinding(out, DrillFinding::Level::kNote, report::Clean(e.message));
    }
  }
  if (!out.setup.dry_run && out.setup.test_audience.empty()) {
    bool posts = std::any_of(out.posts.begin(), out.posts.end(),
                             [](const PostRow& p) { return p.outcome.starts_with("not posted"); });
    if (posts) {
      AddFinding(out, DrillFinding::Level::kNote,
                 "Audience posts went nowhere: the plan names no test audience (drill: { "
                 "audience: [CHANNEL] }), so the drill could not show them to anyone");
    }
  }
  std::stable_sort(out.findings.begin(), out.findings.end(),
                   [](const DrillFinding& a, const DrillFinding& b) { return a.level < b.level; });
}

}  // namespace

std::string_view FindingLevelName(DrillFinding::Level l) {
  switch (l) {
    case DrillFinding::Level::kProblem:
      return "problem";
    case DrillFinding::Level::kWarning:
      return "warning";
    case DrillFinding::Level::kNote:
      return "note";
  }
  return "note";
}

Result<DrillReport> BuildDrillReport(store::Store& store, const Plan& plan,
                                     std::string_view incident_id, DrillSetup setup,
                                     const report::ReportOptions& options) {
  DrillReport out;
  out.setup = std::move(setup);
  LL_ASSIGN(out.incident, report::BuildReport(store, incident_id, options));
  if (out.setup.id.empty()) out.setup.id = out.incident.incident.id;
  if (out.setup.plan_name.empty()) out.setup.plan_name = plan.name;
  if (out.setup.test_audience.empty()) out.setup.test_audience = plan.drill.audience;
  for (const store::ResponseRun& run : out.incident.runs) out.responses.push_back(run.response);
  if (out.incident.lifecycle) {
    out.lifecycle = std::string(store::LifecycleName(out.incident.lifecycle->state));
  }
  Acknowledgements(out, plan);
  Steps(out, plan);
  Posts(out, plan, FailureOf(out.incident.incident));
  Findings(out, plan);
  bool running = std::any_of(out.incident.runs.begin(), out.incident.runs.end(),
                             [](const auto& r) { return r.state == store::RunState::kRunning; });
  bool open = std::any_of(out.incident.assignments.begin(), out.incident.assignments.end(),
                          [](const store::Assignment& a) {
                            return a.state == AssignmentState::kOpen && !a.notified.empty();
                          });
  out.everyone_acknowledged = !out.incident.runs.empty() && !running && !open;
  return out;
}

}  // namespace lifeline::playbook
