#include "cli/response.h"

#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/api_client.h"

namespace lifeline::cli {
namespace {

using nlohmann::json;

constexpr int kExitUsage = 2;
constexpr int kExitFailed = 1;

struct Flags {
  ApiFlags api;
  bool json = false;
  std::string as;  // who acts
  // show
  std::string incident;
  // list
  std::string state;
  std::string kind;
  std::size_t limit = 100;
  // act
  std::string id;
  std::string why;
};

int Fail(const core::Error& e) {
  std::cerr << "lifeline response: " << e.message() << "\n";
  switch (e.code()) {
    case core::ErrorCode::kInvalidArgument:
    case core::ErrorCode::kNotFound:
    case core::ErrorCode::kFailedPrecondition:
    case core::ErrorCode::kPermissionDenied:
      return kExitUsage;
    default:
      return kExitFailed;
  }
}

// Who acts: --as, else the login name, so the timeline says who it was.
// "asg_01J... task open  community_manager -> Ana Lima: Answer the complaints (acknowledged by
// ana at ...)".
std::string AssignmentLine(const json& a) {
  std::string who = Str(a, "assignee").empty() ? Str(a, "role") : Str(a, "assignee");
  std::string line = fmt::format("{}  {:<12} {:<12} {:<18} {}", Str(a, "id"), Str(a, "kind"),
                                 Str(a, "state"), who, Str(a, "title"));
  if (!Str(a, "acknowledged_by").empty()) {
    line += fmt::format("  (acknowledged by {} at {})", Str(a, "acknowledged_by"),
                        Str(a, "acknowledged_at"));
  }
  if (!Str(a, "ended_by").empty()) {
    line +=
        fmt::format("  ({} by {} at {})", Str(a, "state"), Str(a, "ended_by"), Str(a, "ended_at"));
  }
  if (a.value("escalation_level", 0) > 0) {
    line += fmt::format("  [escalated, level {}]", a.value("escalation_level", 0));
  }
  return line;
}

void Print(const json& j, bool as_json) {
  if (as_json) std::cout << j.dump(2) << "\n";
}

int Show(const Flags& f) {
  auto api = ApiClient::Open(f.api);
  if (!api.ok()) return Fail(api.error());
  auto r = api->Get("/v1/incidents/" + UrlEncode(f.incident) + "/response");
  if (!r.ok()) return Fail(r.error());
  if (f.json) {
    Print(*r, true);
    return 0;
  }
  const json& lc = (*r)["lifecycle"];
  std::cout << fmt::format("{}: {}\n", f.incident, Str(lc, "state"));
  for (const json& t : lc["transitions"]) {
    std::cout << fmt::format("  {}  {} -> {} by {}{}\n", Str(t, "at"),
                             t["from"].is_string() ? t["from"].get<std::string>() : "-",
                             Str(t, "to"), Str(t, "by"),
                             Str(t, "note").empty() ? "" : ": " + Str(t, "note"));
  }
  for (const json& run : (*r)["runs"]) {
    std::cout << fmt::format("response {}: {}{}\n", Str(run, "response"), Str(run, "state"),
                             Str(run, "reason").empty() ? "" : " (" + Str(run, "reason") + ")");
  }
  for (const json& s : (*r)["steps"]) {
    std::cout << fmt::format(
        "  step {:<28} {:<10}{}\n", Str(s, "step_id"), Str(s, "state"),
        Str(s, "last_error").empty() ? Str(s, "note") : "error: " + Str(s, "last_error"));
  }
  if (!(*r)["assignments"].empty()) std::cout << "assignments:\n";
  for (const json& a : (*r)["assignments"]) std::cout << "  " << AssignmentLine(a) << "\n";
  return 0;
}

int List(const Flags& f) {
  auto api = ApiClient::Open(f.api);
  if (!api.ok()) return Fail(api.error());
  std::string q = "?limit=" + std::to_string(f.limit);
  if (!f.incident.empty()) q += "&incident=" + UrlEncode(f.incident);
  if (!f.state.empty()) q += "&state=" + UrlEncode(f.state);
  if (!f.kind.empty()) q += "&kind=" + UrlEncode(f.kind);
  auto r = api->Get("/v1/assignments" + q);
  if (!r.ok()) return Fail(r.error());
  if (f.json) {
    Print(*r, true);
    return 0;
  }
  const json& list = (*r)["assignments"];
  if (list.empty())
    std::cout << "nothing assigned" << (f.state.empty() ? "" : " in state " + f.state) << "\n";
  for (const json& a : list) {
    std::cout << AssignmentLine(a) << "  " << Str(a, "incident_id") << "\n";
  }
  return 0;
}

int Act(const Flags& f, const std::string& action) {
  auto api = ApiClient::Open(f.api);
  if (!api.ok()) return Fail(api.error());
  json body = {{"by", Actor(f.as)}};
  if (action == "refuse") body["why"] = f.why;
  auto r = api->Post("/v1/assignments/" + UrlEncode(f.id) + "/" + action, body);
  if (!r.ok()) return Fail(r.error());
  if (f.json) {
    Print(*r, true);
    return 0;
  }
  std::cout << AssignmentLine(*r) << "\n";
  return 0;
}

int Reviewed(const Flags& f) {
  auto api = ApiClient::Open(f.api);
  if (!api.ok()) return Fail(api.error());
  auto r = api->Post("/v1/incidents/" + UrlEncode(f.incident) + "/reviewed", {{"by", Actor(f.as)}});
  if (!r.ok()) return Fail(r.error());
  if (f.json) {
    Print(*r, true);
    return 0;
  }
  std::cout << fmt::format("{}: {}\n", Str(*r, "incident_id"), Str(*r, "state"));
  return 0;
}

}  // namespace

std::function<int()> AddResponseCommand(CLI::App& app, CLI::App** command) {
  auto f = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand(
      "response", "The plan's response through a running serve: tasks, approvals, acknowledging");
  cmd->require_subcommand(1);
  auto common = [&f](CLI::App* c, bool acts) {
    f->api.Add(*c);
    c->add_flag("--json", f->json, "Print the API's JSON answer");
    if (acts) {
      c->add_option("--as", f->as,
                    "Who acts, as the timeline shows it (a team id such as ana; default "
                    "cli:$USER)");
    }
  };

  auto* show = cmd->add_subcommand("show", "An incident's lifecycle, steps and assignments");
  show->add_option("incident", f->incident, "Incident id (inc_...)")->required();
  common(show, false);

  auto* list = cmd->add_subcommand("list", "Tasks, approvals and alerts (newest first)");
  list->add_option("--incident", f->incident, "Only this incident's");
  list->add_option("--state", f->state, "open, acknowledged, done, approved, refused or expired");
  list->add_option("--kind", f->kind, "task, approval or notification");
  list->add_option("--limit", f->limit, "At most this many (1 to 1000)")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  common(list, false);

  struct Verb {
    const char* name;
    const char* action;
    const char* help;
  };
  static constexpr Verb kVerbs[] = {
      {"ack", "acknowledge", "Acknowledge a task or an alert (stops its escalation)"},
      {"done", "done", "Mark a task done"},
      {"approve", "approve", "Approve: the steps after the approval run"},
      {"refuse", "refuse", "Refuse: the response stops"},
  };
  std::vector<std::pair<CLI::App*, std::string>> acts;
  for (const Verb& v : kVerbs) {
    auto* c = cmd->add_subcommand(v.name, v.help);
    c->add_option("assignment", f->id, "Assignment id (asg_..., from `lifeline response list`)")
        ->required();
    if (std::string(v.name) == "refuse") {
      c->add_option("--why", f->why, "The reason, kept on the timeline")->required();
    }
    common(c, true);
    acts.emplace_back(c, v.action);
  }

  auto* reviewed = cmd->add_subcommand("reviewed", "Mark a resolved incident reviewed");
  reviewed->add_option("incident", f->incident, "Incident id (inc_...)")->required();
  common(reviewed, true);

  *command = cmd;
  return [f, show, list, acts, reviewed]() {
    if (*show) return Show(*f);
    if (*list) return List(*f);
    if (*reviewed) return Reviewed(*f);
    for (const auto& [c, action] : acts) {
      if (*c) return Act(*f, action);
    }
    return kExitUsage;
  };
}

}  // namespace lifeline::cli
