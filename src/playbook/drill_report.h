// The drill report (`lifeline drill`, docs/playbook.md "Drills"): what a drill of the plan showed
// — per role and person the time from being asked to acknowledging, the escalations, each step's
// outcome, the messages per channel and the holding statement's text per channel — and the
// findings a team acts on (roles nobody could reach, steps that fail, approvals nobody gives in
// time). Built on the incident report of the drill's incident (report/report.h) for a real drill
// and for a dry run alike; rendered as Markdown or JSON.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "playbook/plan.h"
#include "report/report.h"
#include "store/store.h"

namespace lifeline::playbook {

// What was drilled.
struct DrillSetup {
  bool dry_run = false;
  std::string id;  // the drill's incident id (a dry run's is its throw-away one)
  std::string plan_name;
  std::string platform;  // catalog id
  std::string platform_name;
  std::string domain;                  // its failure domain ("" = none)
  bool domain_wide = false;            // the whole domain failed (--domain)
  std::vector<std::string> platforms;  // what the drill's incident names as failing
  Duration duration{0};                // restoration this long after the start
  // Dry run: every person acknowledges (an approval: approves) this long after being asked;
  // unset = nobody does.
  std::optional<Duration> ack_after;
  std::string started_by;
  std::string console_url;                 // a real drill's console; "" otherwise
  std::vector<std::string> test_audience;  // drill: audience of the plan
};

// One person asked to acknowledge one assignment.
struct AckRow {
  std::string assignment_id;
  std::string kind;  // task, approval, notification
  std::string title;
  std::string role;  // "" when it went to named people
  std::string step;
  std::string person;       // team id ("" when the one who acted is no person of the plan)
  std::string person_name;  // or who acted, as recorded
  std::string asked_how;    // "asked first", "escalation level 2", "not asked"
  std::optional<store::Time> asked_at;
  std::optional<store::Time> acted_at;
  std::optional<Duration> took;  // asked_at -> acted_at, when this person acted
  // "acknowledged", "done", "approved", "refused", "did not acknowledge", "did not answer",
  // "acknowledged by NAME first" (someone else did).
  std::string outcome;
};

// Per role: how fast its people answered.
struct RoleRow {
  std::string role;
  int asked = 0;         // assignments given to the role
  int acknowledged = 0;  // of them, acknowledged or decided by someone
  std::optional<Duration> fastest;
  std::optional<Duration> slowest;
};

struct EscalationRow {
  store::Time at;
  std::string assignment_id;
  std::string title;
  int level = -1;  // 0-based; -1 = the escalation ended without anyone
  std::string target;
  std::vector<std::string> people;  // names
  std::string message;
};

struct StepRow {
  std::string response;
  std::string step;
  std::string kind;   // notify, post, ..., or "checklist"
  std::string state;  // store::StepStateName, "pending" when it never started
  std::string note;
  std::string error;
  std::optional<store::Time> started_at;
  std::optional<store::Time> ended_at;
};

// The holding statement as one channel gets (or would get) it.
struct PostRow {
  std::string inventory;  // inventory id; "" for a test audience channel
  std::string name;       // the inventory's name, or the channel
  std::string channel;    // relay channel
  std::string text;
  // "would be posted" (dry run), "posted on the test audience", "not posted: ...", the outbox
  // state of a message.
  std::string outcome;
};

// An inventory channel the drill's failure cuts off (or that Lifeline cannot post on).
struct SkippedChannel {
  std::string inventory;
  std::string name;
  std::string channel;
  std::string why;
};

struct DrillFinding {
  enum class Level { kProblem, kWarning, kNote };
  Level level = Level::kNote;
  std::string text;
};
std::string_view FindingLevelName(DrillFinding::Level l);  // "problem", "warning", "note"

struct DrillReport {
  DrillSetup setup;
  report::Report incident;             // the drill's incident report
  std::vector<std::string> responses;  // the responses that ran
  std::string lifecycle;               // where the response is now ("" = none ran)
  std::vector<AckRow> acknowledgements;
  std::vector<RoleRow> roles;
  std::vector<EscalationRow> escalations;
  std::vector<StepRow> steps;
  std::vector<PostRow> posts;
  std::vector<SkippedChannel> skipped;
  std::vector<DrillFinding> findings;
  // Every assignment given so far is acknowledged or decided and no response still runs.
  bool everyone_acknowledged = false;
};

// Gathers the report of the drill incident `incident_id` (a real drill's, or a dry run's in its
// throw-away store) against the plan it ran. kNotFound when there is no such incident.
[[nodiscard]] core::Result<DrillReport> BuildDrillReport(store::Store& store, const Plan& plan,
                                                         std::string_view incident_id,
                                                         DrillSetup setup,
                                                         const report::ReportOptions& options = {});

// Markdown: findings first, then what happened (offsets from the start), acknowledgements,
// escalations, steps, the holding statement per channel, messages per channel.
std::string DrillMarkdown(const DrillReport& report);
// The same as data: times in RFC 3339 UTC, offsets and durations in milliseconds and in words.
nlohmann::json DrillJson(const DrillReport& report);

}  // namespace lifeline::playbook
