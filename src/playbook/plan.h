// The contingency plan's model (issue 9): roles, the team and their working hours, the channel
// inventory, escalation policies, responses (a trigger and steps) and what follows restoration.
// Read from the config's `plan:` section (or the file it names), checked, then handed read-only to
// the engine that runs it. docs/playbook.md describes every key.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "channels/config.h"
#include "config/config.h"
#include "config/yaml_read.h"
#include "core/result.h"
#include "core/types.h"

namespace lifeline::playbook {

using TimePoint = std::chrono::system_clock::time_point;
using Duration = std::chrono::milliseconds;

// "90s", "10m", "2h", "1500ms": the shortest exact form, as the plan writes durations.
std::string DurationText(Duration d);

// Where something was written, for messages a person can follow back to the line.
struct Place {
  std::string file;  // the plan's file (the config file, or the file `plan: { file: }` names)
  int line = 0;      // 1-based; 0 = unknown
  std::string key;   // dotted key path: "plan.team.ana.contact" (a plan file: "team.ana.contact")

  std::string ToString() const;  // "FILE:LINE: KEY" (parts left out when unknown)
};

// Where an element and each of its keys were written. Checks cite the key ("roles[1]",
// "contact"); the element's own place when the key was not written.
struct Source {
  Place at;
  std::vector<std::pair<std::string, Place>> keys;

  const Place& Of(std::string_view key) const;
};

// An error or a warning about a plan, at the place it is about.
struct Finding {
  enum class Level { kError, kWarning };
  Level level = Level::kError;
  Place place;
  std::string message;  // what is wrong and, where there is one, what would be right

  std::string ToString() const;  // "FILE:LINE: KEY: message"
};

// roles.NAME: a hat someone wears during an incident. Names are the plan's own: nothing in
// Lifeline gives community_manager or superior a meaning, except the on-call role (Plan::on_call).
struct Role {
  std::string name;
  std::string description;  // "" when not given
  Source source;
};

// One weekly stretch of working time, in wall-clock time of WorkingHours::zone.
struct WorkWindow {
  // The days a stretch starts on (all seven when `days:` is not given).
  std::vector<std::chrono::weekday> days;
  std::chrono::minutes from{0};  // since local midnight, [00:00, 24:00)
  // Since local midnight, (00:00, 24:00]. `to` <= `from` runs past midnight: 22:00-06:00 on
  // "mon" is Monday 22:00 to Tuesday 06:00.
  std::chrono::minutes to{24 * 60};
};

// When a person works. Wall-clock times in an IANA zone (Howard Hinnant's date/tz.h on the
// system's zone database), so 09:00-18:00 Europe/London is 09:00Z-18:00Z in winter and
// 08:00Z-17:00Z in summer. A time that does not exist locally (the hour skipped when clocks go
// forward) is never asked about: the UTC instant is converted to local time, never the reverse.
struct WorkingHours {
  std::string zone = "UTC";
  std::vector<WorkWindow> windows;  // at least one

  // Whether `t` falls in a window. An unknown zone (LoadPlan refuses one; the zone database may
  // have lost it since) counts as working: better a message at night than none.
  bool At(TimePoint t) const;
  // The first minute at or after `t` that is in a window (checked minute by minute, at most 8
  // days ahead); nullopt when none is.
  std::optional<TimePoint> NextOpen(TimePoint t) const;
  // `t` as a person in the zone reads it: "Monday 09:00 (Europe/Madrid)".
  std::string LocalText(TimePoint t) const;
};

// Reads working hours ({ zone, days, from, to } or { zone, windows: [...] }) as the plan's team
// does, for other parts' config sections (the inbox's business hours). FILE:LINE errors.
core::Result<WorkingHours> ReadWorkingHours(const config::yaml::Doc& doc,
                                            const config::yaml::Field& field);

// team.ID: one person, reached through a relay contact (contacts.ID: its points in priority
// order, so the relay's failover applies to every message to them).
struct Person {
  std::string id;
  std::string name;     // the contact's name unless given
  std::string contact;  // contacts.ID in the relay
  std::vector<std::string> roles;
  std::optional<WorkingHours> hours;  // none = always working
  Source source;

  bool WorkingAt(TimePoint t) const { return !hours || hours->At(t); }
  bool HasRole(std::string_view role) const;
};

// inventory.ID: one channel the brand uses with its audience.
struct InventoryChannel {
  std::string id;
  std::string name;      // display ("Instagram @brand"); the platform's or the id by default
  std::string platform;  // catalog platform it rides on; "" = none the catalog watches
  std::string domain;    // the platform's failure domain, or `domain:`; "" = depends on none
  std::string channel;   // relay channel Lifeline posts through; "" = Lifeline cannot post here
  std::uint64_t audience = 0;  // followers, subscribers, customers who use it
  bool primary = false;        // the one customers use most (at most one)
  std::string backup;          // inventory.ID to send customers to when this one fails; ""
  std::string link;            // how customers reach it ("https://t.me/brand"); ""
  Source source;
};

// A person or everyone holding a role: what notify, escalation levels and assignments name.
struct Target {
  enum class Kind { kRole, kPerson };
  Kind kind = Kind::kRole;
  std::string name;  // roles.NAME or team.ID

  bool operator==(const Target&) const = default;
};

// escalation.NAME: who is asked next when nobody acknowledges.
//
// The engine's contract: whoever a task or notification was first given to has `after` to
// acknowledge (an approval: its timeout); then Level(0) is asked, and each further `after`
// without an acknowledgement asks the next level — `to` in order, the whole list `repeat` times.
// The last level's `after` ends the escalation (recorded on the timeline); the assignment stays
// open. Each level is reached with Plan::Reach, so working hours apply (off-hours goes to the
// on-call role).
struct EscalationPolicy {
  std::string name;
  Duration after{std::chrono::minutes(10)};
  std::vector<Target> to;  // at least one
  int repeat = 1;          // runs through `to` this many times, 1-10
  Source source;

  int Levels() const { return static_cast<int>(to.size()) * repeat; }
  // The target of level `level` (0-based); nullopt past the last.
  std::optional<Target> Level(int level) const;
  // When level `level` is asked, `first` being when level 0 is: a task's or notification's
  // assignment time + `after`, an approval's request time + its timeout.
  TimePoint DueAt(TimePoint first, int level) const { return first + after * level; }
};

// What failed, as the engine learns it from an incident (core::IncidentNotice).
struct Failure {
  std::vector<std::string> platforms;  // the failing platforms' catalog ids
  std::string domain;                  // their failure domain; "" = none
  // The whole domain failed (a domain incident): every platform of `domain` counts as failed,
  // not only those listed.
  bool domain_wide = false;
  core::Verdict verdict = core::Verdict::kOutage;
};

enum class Severity { kMinor, kMajor, kCritical };
std::string_view SeverityName(Severity s);  // "minor", "major", "critical"

// responses.NAME.trigger: which incidents the response answers.
struct Trigger {
  std::vector<std::string> platforms;  // catalog ids
  std::vector<std::string> domains;    // failure domains: any failing platform of one matches
  std::vector<core::Verdict> verdicts = {core::Verdict::kOutage};
  // The incident must have lasted this long (0 = at once). The engine waits `min_duration`
  // after the incident opened and runs the response if it is still open with a listed verdict.
  Duration min_duration{0};
  Severity severity = Severity::kMajor;
  Source source;

  // Whether an incident on `failure` is one this trigger answers (verdict listed, and a listed
  // platform failing or a platform of a listed domain failing). `platform_domains`: catalog
  // platform -> failure domain (Plan::platform_domains).
  bool Matches(const Failure& failure,
               const std::map<std::string, std::string, std::less<>>& platform_domains) const;
};

// What happens when a step fails (its own machinery: a message that cannot be enqueued, a
// placeholder part that reports an error). A failed step never stops the engine: it is recorded
// on the timeline and the response goes on as this says.
struct OnError {
  enum class Action { kContinue, kRetry, kStop, kEscalate };
  Action action = Action::kContinue;
  int attempts = 3;             // kRetry: tries in all (2-10)
  Duration retry_every{30000};  // kRetry: between tries
  Action then = Action::kStop;  // kRetry: after the last try (never kRetry)
  std::string escalation;       // kEscalate (or then): the policy; "" = the response's
};
std::string_view OnErrorActionName(OnError::Action a);  // "continue", "retry", "stop", "escalate"

// A text to send: a relay template (templates.NAME, rendered per channel with the incident's
// channels::TemplateVars) or an inline text with the same {variables}. Exactly one is set.
struct MessageSpec {
  std::string template_name;
  std::string text;
  std::string subject;  // with `text`: e-mail subject (may use {variables}); "" = none
};

// notify: tell people, through the relay (each person's contact, first healthy point first).
struct NotifyStep {
  std::vector<Target> to;  // each reached with Plan::Reach (working hours, on-call)
  MessageSpec message;
  // Set: the people told must acknowledge, and this policy escalates while nobody does. "" =
  // nothing to acknowledge.
  std::string escalation;
};

// post: the holding statement to the audience.
struct PostStep {
  MessageSpec message;
  // Empty = the surviving inventory channels (Plan::Surviving); else these inventory ids (those
  // riding the failure are skipped and recorded).
  std::vector<std::string> on;
};

// move_conversations: send customers from the failed channels to their backups. Accepted and
// checked now; the engine records it as waiting for the inbox part until that part exists.
struct MoveConversationsStep {
  std::string to;  // an inventory id; "" = each failed channel's own backup
  // What the moved customers are told once the platform is back: "" nothing, "stay" (it works
  // again; we go on here), "back" (it works again; we go on there, and replies go there again).
  std::string on_restoration;
};

// pause: hold what belongs to the failed platform. Accepted and checked now; the engine records
// it as waiting for the ads part (ads) and the content calendar (scheduled posts).
struct PauseStep {
  bool ads = true;
  bool scheduled_posts = true;
};

// wait: the next step starts this much later (a durable timer).
struct WaitStep {
  Duration duration{0};
};

// approve: the steps after this one wait for a holder of `role` to approve. Refused: the
// response stops (recorded). Not decided within `timeout`: `on_timeout`.
struct ApproveStep {
  enum class OnTimeout { kEscalate, kContinue, kStop };
  std::string role;
  std::string what;  // what is asked: "Move the ads budget to TikTok"
  Duration timeout{0};
  // kEscalate: the escalation policy's levels are asked in turn (the request stays open, the
  // steps after still wait); kContinue: go on without the approval; kStop: the response stops.
  OnTimeout on_timeout = OnTimeout::kEscalate;
  std::string escalation;  // kEscalate: the policy; "" = the response's
};
std::string_view OnTimeoutName(ApproveStep::OnTimeout t);  // "escalate", "continue", "stop"

// task: a checklist item for a person holding `role`: acknowledged, then done. The response does
// not wait for it (the steps after start at once); escalation chases the acknowledgement.
struct TaskStep {
  std::string title;
  std::string role;
  std::string escalation;  // "" = the response's; none at all = nobody is chased
};

struct Step;
// parallel: the steps start together; the group ends when every one has ended.
struct ParallelStep {
  std::vector<Step> steps;  // at least two; no nested parallel
};

enum class StepKind {
  kNotify,
  kPost,
  kMoveConversations,
  kPause,
  kWait,
  kApprove,
  kTask,
  kParallel
};
std::string_view StepKindName(StepKind k);  // the YAML key: "notify", "move_conversations", ...

// One step of a response, in order. `id` is unique within the response and stable: given in the
// plan, or made from what the step does ("notify-community_manager", "task-reply-to-complaints";
// a repeat gets "-2"), never from its position, so an inserted step does not rename the others —
// the engine keys durable state (timers, acknowledgements) by it.
struct Step {
  std::string id;
  bool id_given = false;  // false: generated
  OnError on_error;
  std::variant<NotifyStep, PostStep, MoveConversationsStep, PauseStep, WaitStep, ApproveStep,
               TaskStep, ParallelStep>
      body;
  Source source;

  StepKind kind() const { return static_cast<StepKind>(body.index()); }
};

// after_restoration.checklist[]: a manual item for a role once the platform is back.
struct ChecklistItem {
  std::string id;  // "check-<title>" unless given; unique within the response
  std::string title;
  std::string role;
  std::string escalation;  // "" = the response's
  Source source;
};

// after_restoration: checks once the incident closes, then a monitoring window in which the
// platform is probed more often; the incident is resolved when the window ends quietly.
struct AfterRestoration {
  std::vector<ChecklistItem> checklist;
  Duration monitor_window{0};  // 0 = no monitoring window
  Duration probe_interval{0};  // during the window; 0 = the platform's usual interval
  Source source;
};

// responses.NAME: what to do when an incident matches the trigger.
struct Response {
  std::string name;
  std::string description;
  Trigger trigger;
  std::string escalation;   // default policy for tasks, approvals, on_error: escalate; "" = none
  std::vector<Step> steps;  // at least one
  AfterRestoration after_restoration;
  Source source;

  // The step with `id`, also inside parallel groups; null when none.
  const Step* FindStep(std::string_view id) const;
};

// drill: how `lifeline drill` runs this plan for real (docs/playbook.md, "Drills").
struct DrillSettings {
  // Relay channels of the test audience: a drill's audience posts (the holding statement) go here
  // instead of the inventory's channels. Empty: a drill posts nothing to any audience (the posts
  // are recorded as skipped). Never a channel of the inventory: that is the real audience.
  std::vector<std::string> audience;
  Source source;
};

struct Plan {
  std::string name;  // "" when not given
  // The role off-hours messages go to (`on_call:`; default "on_call" when that role is declared,
  // else none).
  std::string on_call;
  std::vector<Role> roles;
  std::vector<Person> team;
  std::vector<InventoryChannel> inventory;
  std::vector<EscalationPolicy> escalation;
  std::vector<Response> responses;
  DrillSettings drill;
  // Catalog platform -> failure domain, from the relay setup the plan was loaded against.
  std::map<std::string, std::string, std::less<>> platform_domains;
  // CheckPlan's warnings, kept by LoadPlan for the caller to log.
  std::vector<Finding> warnings;
  Source source;

  const Role* FindRole(std::string_view name) const;
  const Person* FindPerson(std::string_view id) const;
  const InventoryChannel* FindInventory(std::string_view id) const;
  const EscalationPolicy* FindPolicy(std::string_view name) const;
  const Response* FindResponse(std::string_view name) const;

  // Everyone holding `role`, in team order.
  std::vector<const Person*> Holders(std::string_view role) const;

  // The people a message to `target` reaches at `at`, honouring working hours: those of the
  // target who are working; when none is, the on-call role's holders who are working; when none
  // of those either, every person of the target regardless of hours (someone must hear it).
  // Empty only for a target nobody holds (LoadPlan refuses a plan that needs one).
  std::vector<const Person*> Reach(const Target& target, TimePoint at) const;

  // The responses whose trigger matches `failure` (min_duration not considered), in plan order.
  std::vector<const Response*> Responding(const Failure& failure) const;

  // Whether an inventory channel is cut off by `failure`: it rides a failing platform, or a
  // platform of a domain that failed as a whole.
  bool Fails(const InventoryChannel& channel, const Failure& failure) const;
  // The inventory channels a post reaches during `failure`: those with a relay channel that
  // do not fail, in inventory order.
  std::vector<const InventoryChannel*> Surviving(const Failure& failure) const;
};

struct PlanOptions {
  // Read the plan from this file (its keys at the top level, as under `plan:`) instead of the
  // config's `plan:` section. Relative paths in it start from its own folder.
  std::string file;
};

// Parses the plan — from options.file, else the config's `plan:` section, which holds the plan
// or names its file (`plan: { file: PATH }`, relative to the config file) — without the checks
// across the plan (CheckPlan). Fails with kInvalidArgument and one line "FILE:LINE: KEY: what is
// wrong (what would be valid)" for the first malformed value or unknown key (with "did you
// mean"), kNotFound when there is no plan, and the file's own error code when a plan file cannot
// be read. References (roles, contacts, channels, policies, templates) are kept as written;
// values that follow from the relay (a person's name from its contact, an inventory channel's
// platform and domain from its relay channel) are filled in where the reference resolves.
core::Result<Plan> ReadPlan(const config::Config& config, const channels::RelaySetup& relay,
                            const PlanOptions& options = {});

// ReadPlan, then CheckPlan (check.h): the first error fails the load with its FILE:LINE: KEY:
// message (kInvalidArgument); warnings are kept in Plan::warnings. A plan that loads has every
// reference resolved, so the engine may rely on Find*() finding what the plan names.
core::Result<Plan> LoadPlan(const config::Config& config, const channels::RelaySetup& relay,
                            const PlanOptions& options = {});

}  // namespace lifeline::playbook
