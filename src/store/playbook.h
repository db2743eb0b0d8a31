// The contingency plan's durable state (issue 9), reached through Store::Playbook(): per incident
// its lifecycle and the responses run for it, each step's state, the assignments people act on
// (tasks, approvals, notifications to acknowledge) and the one-time tokens of acknowledgement
// links. The engine that writes it lives in src/playbook/engine.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "store/records.h"

namespace lifeline::store {

// ---- Lifecycle ----------------------------------------------------------------------------------

// An incident's place in the response, in this order. The store keeps whatever the engine moves
// it to (Transition is compare-and-set on the current state); the rules of which move is allowed
// are the engine's (playbook/engine.h).
enum class Lifecycle {
  kDetected,      // a response started for it
  kAcknowledged,  // a person acknowledged it (or one of its notifications or tasks)
  kMitigating,    // the response acts for the audience (a post, a conversation move, a pause)
  kMonitoring,    // the platform is back; watched for a while
  kResolved,      // the monitoring window ended quietly
  kReviewed,      // a person reviewed it afterwards (the report's lessons)
};
inline constexpr Lifecycle kAllLifecycles[] = {
    Lifecycle::kDetected,   Lifecycle::kAcknowledged, Lifecycle::kMitigating,
    Lifecycle::kMonitoring, Lifecycle::kResolved,     Lifecycle::kReviewed,
};
// "detected", "acknowledged", "mitigating", "monitoring", "resolved", "reviewed".
std::string_view LifecycleName(Lifecycle l);
std::optional<Lifecycle> ParseLifecycle(std::string_view name);

// One move of an incident's lifecycle: who moved it, when and why.
struct LifecycleTransition {
  std::int64_t seq = 0;           // 1, 2, 3, ... per incident; 1 is the move into detected
  std::optional<Lifecycle> from;  // unset for the first
  Lifecycle to = Lifecycle::kDetected;
  std::string by;    // a person, a token's name, or "lifeline" for the engine's own moves
  std::string note;  // one line for a person ("WhatsApp back at 10:47", "step post-holding done")
  Time at;
};

struct IncidentLifecycle {
  std::string incident_id;
  Lifecycle state = Lifecycle::kDetected;
  std::vector<std::string> platforms;  // the incident's platforms when the response started
  // How many times it entered monitoring (a relapse and a second restoration make it 2): keys
  // the monitoring window's timer, so each window has its own.
  int monitor_round = 0;
  // While back in mitigating after a relapse during monitoring: the incident that failed the
  // platform again. "" otherwise.
  std::string relapse_incident;
  Time created_at;
  Time updated_at;
  std::vector<LifecycleTransition> transitions;  // by seq
};

struct NewLifecycle {
  std::string incident_id;  // required
  std::vector<std::string> platforms;
  std::string by = "lifeline";
  std::string note;
  Time at;
};

struct LifecycleMove {
  std::string incident_id;
  // Moves only from one of these (empty: from any state); otherwise kFailedPrecondition naming
  // the current state, and nothing changes.
  std::vector<Lifecycle> from;
  Lifecycle to = Lifecycle::kAcknowledged;
  std::string by;  // required
  std::string note;
  // Into mitigating after a relapse: the incident that failed the platform again. Any other move
  // clears it.
  std::string relapse_incident;
  Time at;
};

// ---- Runs and steps
// ------------------------------------------------------------------------------

enum class RunState {
  kRunning,   // steps are running or waiting (a timer, an approval)
  kStopped,   // ended early: on_error stop, an approval refused or timed out with stop
  kFinished,  // every step ended (or the incident closed and the rest was skipped)
};
// "running", "stopped", "finished".
std::string_view RunStateName(RunState s);
std::optional<RunState> ParseRunState(std::string_view name);

// One response (Plan::Response) running for one incident.
struct ResponseRun {
  std::string incident_id;
  std::string response;  // responses.NAME
  RunState state = RunState::kRunning;
  std::string reason;  // why it stopped or finished; "" while running
  Time started_at;
  Time updated_at;
  std::optional<Time> ended_at;  // set when stopped or finished
};

struct StartedRun {
  ResponseRun run;
  bool created = false;  // false: it was already stored and `run` is the stored one
};

struct RunQuery {
  std::string incident_id;        // "" = every incident
  std::optional<RunState> state;  // unset = every state
  std::size_t limit = 100;        // 1..1000
};

enum class StepState {
  kPending,  // not started
  kRunning,  // started; a crash here runs it again (its effects are idempotent by key)
  kDone,
  kFailed,   // failed for good (on_error said continue, stop or escalate)
  kSkipped,  // not run: the run stopped or the incident closed first, or no part can do it yet
  kWaiting,  // started and waits: a wait's timer, an approval, a retry, a parallel group
};
// "pending", "running", "done", "failed", "skipped", "waiting".
std::string_view StepStateName(StepState s);
std::optional<StepState> ParseStepState(std::string_view name);
bool IsFinal(StepState s);  // done, failed, skipped

struct StepRecord {
  std::string incident_id;
  std::string response;
  std::string step_id;  // Step::id (stable: the key of everything durable the step does)
  StepState state = StepState::kPending;
  int attempts = 0;        // runs so far (a retry counts one)
  std::string last_error;  // the last failed attempt's error; "" after a success
  std::string note;  // one line for a person ("sent to Ana, Cy", "waiting for the inbox part")
  std::optional<Time> started_at;
  std::optional<Time> ended_at;
  Time updated_at;
};

// ---- Assignments
// -----------------------------------------------------------------------------------

enum class AssignmentKind {
  kTask,          // a task step, or an after_restoration checklist item
  kApproval,      // an approve step
  kNotification,  // a notify step with an escalation policy, or a failed step escalated
};
// "task", "approval", "notification".
std::string_view AssignmentKindName(AssignmentKind k);
std::optional<AssignmentKind> ParseAssignmentKind(std::string_view name);

// The life of an assignment:
//   task:          open -> acknowledged -> done; open -> done; open | acknowledged -> expired
//   approval:      open -> approved | refused | expired
//   notification:  open -> acknowledged; open -> expired
enum class AssignmentState { kOpen, kAcknowledged, kDone, kApproved, kRefused, kExpired };
// "open", "acknowledged", "done", "approved", "refused", "expired".
std::string_view AssignmentStateName(AssignmentState s);
std::optional<AssignmentState> ParseAssignmentState(std::string_view name);
// Whether `kind` may move from `from` to `to` (the diagram above).
bool AssignmentMoveAllowed(AssignmentKind kind, AssignmentState from, AssignmentState to);
// Nothing more happens to it: done, approved, refused, expired, and an acknowledged notification.
bool IsFinal(AssignmentKind kind, AssignmentState s);

struct Assignment {
  std::string id;   // "asg_" + 26 characters that sort by created_at
  std::string key;  // unique: what the engine creates it for ("inc_.../meta-outage/task-reply")
  std::string incident_id;
  std::string response;
  std::string step_id;  // the step or checklist item
  AssignmentKind kind = AssignmentKind::kTask;
  std::string title;                  // what is to be done, approved or acknowledged
  std::string role;                   // the role it is for ("" when it went to named people)
  std::string assignee;               // team.ID of the person it was given to first; "" when none
  std::vector<std::string> notified;  // team.IDs told so far, in order (escalation adds to it)
  std::string escalation;             // escalation policy name; "" = nobody is chased
  int escalation_level = -1;          // the last level asked (0-based); -1 = none yet
  AssignmentState state = AssignmentState::kOpen;
  std::string acknowledged_by;
  std::optional<Time> acknowledged_at;
  // Who ended it and when: done, approved, refused or expired ("lifeline" for a timeout).
  std::string ended_by;
  std::optional<Time> ended_at;
  std::string note;  // the last change's note ("refused: budget frozen", "incident closed")
  Time created_at;
  Time updated_at;
};

struct NewAssignment {
  // Required, at most 200 bytes. Creating a key that is already stored stores nothing and returns
  // the stored assignment (a restart re-running the step creates nothing twice).
  std::string key;
  std::string incident_id;  // required
  std::string response;
  std::string step_id;  // required
  AssignmentKind kind = AssignmentKind::kTask;
  std::string title;  // required
  std::string role;
  std::string assignee;
  std::vector<std::string> notified;
  std::string escalation;
  Time created_at;
};

struct CreatedAssignment {
  Assignment assignment;
  bool created = false;
};

struct AssignmentMove {
  std::string id;  // required
  AssignmentState to = AssignmentState::kAcknowledged;
  std::string by;  // required
  std::string note;
  Time at;
};

struct AssignmentQuery {
  std::string incident_id;               // "" = every incident
  std::optional<AssignmentState> state;  // unset = every state
  std::optional<AssignmentKind> kind;    // unset = every kind
  std::size_t limit = 100;               // 1..1000
};

// ---- Link tokens
// ---------------------------------------------------------------------------------

// One acknowledgement link's token. Only a hash of the token is stored; the token itself is in
// the message that carried the link.
struct LinkToken {
  std::string hash;           // 64 lowercase hex characters (SHA-256 of the token)
  std::string purpose;        // what redeeming it does: "acknowledge", "done", "approve", "refuse"
  std::string assignment_id;  // what it acts on
  std::string person;         // team.ID it was sent to ("" = unknown): recorded as who acted
  std::string signature;      // the issuer's MAC over the token's fields (checked on redeem)
  Time created_at;
  Time expires_at;
  std::optional<Time> used_at;
};

// Contract (the Store contract's rules on thread-safety, errors and times hold here too):
//
// Durability: every write is one transaction synced at commit (SQLite: WAL synced), so what the
// engine recorded survives kill -9 and power loss.
//
// Errors: the store failing (any code the Store contract names), kInvalidArgument for bad input
// (naming the field), kNotFound for an unknown incident, run, step, assignment or token,
// kFailedPrecondition for a move the current state does not allow (its message names the state,
// who put it there and when: "assignment asg_... is acknowledged (by ana at 10:04:12Z)").
//
// Ordering: runs and assignments in creation order; steps by response, then creation order;
// transitions by seq.
class PlaybookStore {
 public:
  virtual ~PlaybookStore() = default;

  // ---- Lifecycle ----

  // Stores the incident's lifecycle in detected with its first transition, or returns the stored
  // one unchanged (the second bool false).
  [[nodiscard]] virtual core::Result<std::pair<IncidentLifecycle, bool>> OpenLifecycle(
      const NewLifecycle& l) = 0;
  // Moves the lifecycle (compare-and-set on move.from) and appends the transition. Entering
  // monitoring counts monitor_round up. kNotFound when the incident has no lifecycle.
  [[nodiscard]] virtual core::Result<IncidentLifecycle> MoveLifecycle(
      const LifecycleMove& move) = 0;
  [[nodiscard]] virtual core::Result<IncidentLifecycle> GetLifecycle(std::string_view incident) = 0;
  // Lifecycles in `state`, oldest first, at most `limit` (1..1000); without transitions.
  [[nodiscard]] virtual core::Result<std::vector<IncidentLifecycle>> ListLifecycles(
      Lifecycle state, std::size_t limit) = 0;

  // ---- Runs ----

  // Stores a running run for (incident, response), or returns the stored one unchanged.
  [[nodiscard]] virtual core::Result<StartedRun> StartRun(std::string_view incident,
                                                          std::string_view response, Time at) = 0;
  // running -> stopped or finished with `reason`. kFailedPrecondition when it already ended.
  [[nodiscard]] virtual core::Result<ResponseRun> EndRun(std::string_view incident,
                                                         std::string_view response, RunState to,
                                                         std::string_view reason, Time at) = 0;
  [[nodiscard]] virtual core::Result<ResponseRun> GetRun(std::string_view incident,
                                                         std::string_view response) = 0;
  [[nodiscard]] virtual core::Result<std::vector<ResponseRun>> ListRuns(const RunQuery& query) = 0;

  // ---- Steps ----

  // Stores the step's record as given (insert or replace); updated_at becomes step.updated_at.
  [[nodiscard]] virtual core::Status PutStep(const StepRecord& step) = 0;
  // kNotFound when the step has no record (it never started: pending).
  [[nodiscard]] virtual core::Result<StepRecord> GetStep(std::string_view incident,
                                                         std::string_view response,
                                                         std::string_view step) = 0;
  // Every recorded step of the incident, by response then first record.
  [[nodiscard]] virtual core::Result<std::vector<StepRecord>> ListSteps(
      std::string_view incident) = 0;

  // ---- Assignments ----

  [[nodiscard]] virtual core::Result<CreatedAssignment> CreateAssignment(
      const NewAssignment& a) = 0;
  // Moves the assignment if AssignmentMoveAllowed (acknowledged_* or ended_* record who and
  // when); kFailedPrecondition otherwise, naming its state and who put it there.
  [[nodiscard]] virtual core::Result<Assignment> MoveAssignment(const AssignmentMove& move) = 0;
  // Records that escalation level `level` was asked, and the people it told (appended to
  // notified, each once). Only moves forward: a level at or below the stored one changes nothing
  // and returns the assignment as stored.
  [[nodiscard]] virtual core::Result<Assignment> RecordEscalation(std::string_view id, int level,
                                                                  std::span<const std::string> told,
                                                                  Time at) = 0;
  [[nodiscard]] virtual core::Result<Assignment> GetAssignment(std::string_view id) = 0;
  [[nodiscard]] virtual core::Result<Assignment> GetAssignmentByKey(std::string_view key) = 0;
  [[nodiscard]] virtual core::Result<std::vector<Assignment>> ListAssignments(
      const AssignmentQuery& query) = 0;

  // ---- Link tokens ----

  // kAlreadyExists when a token with this hash is stored.
  [[nodiscard]] virtual core::Status AddLinkToken(const LinkToken& token) = 0;
  // The token with this hash, used or not; kNotFound when none.
  [[nodiscard]] virtual core::Result<LinkToken> GetLinkToken(std::string_view hash) = 0;
  // Marks the token used at `at` if it is neither used nor expired (expires_at <= at), in one
  // statement, so two redeems of one token cannot both succeed. kNotFound for an unknown hash;
  // kFailedPrecondition "used at ..." or "expired at ..." otherwise.
  [[nodiscard]] virtual core::Result<LinkToken> UseLinkToken(std::string_view hash, Time at) = 0;
};

}  // namespace lifeline::store
