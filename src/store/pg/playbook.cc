// The PostgreSQL playbook store (store/playbook.h): all of its SQL. Every write is one transaction
// on the store's pool, committed with synchronous_commit on (Sync::kFull): what the engine
// recorded about a response survives a server crash and power loss like the incident timeline.
#include "store/pg/playbook.h"

#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "core/types.h"
#include "store/common.h"
#include "store/playbook_common.h"

namespace lifeline::store::pg {
namespace {

using core::ErrorCode;
using core::MakeError;
using core::Result;
using core::Status;
using Sync = Pool::Sync;

// ---- rows ----

constexpr std::string_view kRunColumns =
    "incident_id, response, state, reason, started_at, updated_at, ended_at";

ResponseRun RunFromRow(const Row& s) {
  ResponseRun r;
  r.incident_id = s.ColText(0);
  r.response = s.ColText(1);
  r.state = ParseRunState(s.ColText(2)).value_or(RunState::kRunning);
  r.reason = s.ColText(3);
  r.started_at = s.ColTime(4);
  r.updated_at = s.ColTime(5);
  r.ended_at = s.ColOptTime(6);
  return r;
}

constexpr std::string_view kStepColumns =
    "incident_id, response, step_id, state, attempts, last_error, note, started_at, ended_at, "
    "updated_at";

StepRecord StepFromRow(const Row& s) {
  StepRecord r;
  r.incident_id = s.ColText(0);
  r.response = s.ColText(1);
  r.step_id = s.ColText(2);
  r.state = ParseStepState(s.ColText(3)).value_or(StepState::kPending);
  r.attempts = static_cast<int>(s.ColInt(4));
  r.last_error = s.ColText(5);
  r.note = s.ColText(6);
  r.started_at = s.ColOptTime(7);
  r.ended_at = s.ColOptTime(8);
  r.updated_at = s.ColTime(9);
  return r;
}

constexpr std::string_view kAssignmentColumns =
    "id, assignment_key, incident_id, response, step_id, kind, title, role, assignee, notified, "
    "escalation, escalation_level, state, acknowledged_by, acknowledged_at, ended_by, ended_at, "
    "note, created_at, updated_at";

Assignment AssignmentFromRow(const Row& s) {
  Assignment a;
  a.id = s.ColText(0);
  a.key = s.ColText(1);
  a.incident_id = s.ColText(2);
  a.response = s.ColText(3);
  a.step_id = s.ColText(4);
  a.kind = ParseAssignmentKind(s.ColText(5)).value_or(AssignmentKind::kTask);
  a.title = s.ColText(6);
  a.role = s.ColText(7);
  a.assignee = s.ColText(8);
  a.notified = internal::NamesFromJson(s.ColText(9));
  a.escalation = s.ColText(10);
  a.escalation_level = static_cast<int>(s.ColInt(11));
  a.state = ParseAssignmentState(s.ColText(12)).value_or(AssignmentState::kOpen);
  a.acknowledged_by = s.ColText(13);
  a.acknowledged_at = s.ColOptTime(14);
  a.ended_by = s.ColText(15);
  a.ended_at = s.ColOptTime(16);
  a.note = s.ColText(17);
  a.created_at = s.ColTime(18);
  a.updated_at = s.ColTime(19);
  return a;
}

constexpr std::string_view kLinkColumns =
    "hash, purpose, assignment_id, person, signature, created_at, expires_at, used_at";

LinkToken LinkFromRow(const Row& s) {
  LinkToken t;
  t.hash = s.ColText(0);
  t.purpose = s.ColText(1);
  t.assignment_id = s.ColText(2);
  t.person = s.ColText(3);
  t.signature = s.ColText(4);
  t.created_at = s.ColTime(5);
  t.expires_at = s.ColTime(6);
  t.used_at = s.ColOptTime(7);
  return t;
}

constexpr std::string_view kLifecycleColumns =
    "incident_id, state, platforms, monitor_round, relapse_incident, created_at, updated_at";

IncidentLifecycle LifecycleFromRow(const Row& s) {
  IncidentLifecycle l;
  l.incident_id = s.ColText(0);
  l.state = ParseLifecycle(s.ColText(1)).value_or(Lifecycle::kDetected);
  l.platforms = internal::NamesFromJson(s.ColText(2));
  l.monitor_round = static_cast<int>(s.ColInt(3));
  l.relapse_incident = s.ColText(4);
  l.created_at = s.ColTime(5);
  l.updated_at = s.ColTime(6);
  return l;
}

template <typename T, typename FromRow>
std::vector<T> AllRows(const Rows& rows, FromRow from_row) {
  std::vector<T> out;
  out.reserve(static_cast<std::size_t>(rows.size()));
  for (int i = 0; i < rows.size(); ++i) out.push_back(from_row(rows[i]));
  return out;
}

// ---- reads shared by reads and writes ----

// `for_update`: lock the lifecycle's row until the transaction ends, so the state checked and the
// move made from it are one step across instances (and so are the transitions' seq numbers).
Result<IncidentLifecycle> LoadLifecycle(Conn& c, std::string_view incident, bool for_update) {
  LL_ASSIGN(Rows r, c.Exec(Cat(Cat("SELECT ", kLifecycleColumns,
                                   " FROM playbook_lifecycles WHERE incident_id = $1::text"),
                               for_update ? " FOR UPDATE" : ""),
                           Params().Text(incident), "reading an incident's lifecycle"));
  if (r.empty()) {
    return MakeError(ErrorCode::kNotFound, "incident {} has no playbook lifecycle", incident);
  }
  IncidentLifecycle l = LifecycleFromRow(r[0]);
  LL_ASSIGN(Rows tr, c.Exec("SELECT seq, from_state, to_state, by_whom, note, at FROM "
                            "playbook_transitions WHERE incident_id = $1::text ORDER BY seq",
                            Params().Text(incident), "reading an incident's lifecycle"));
  l.transitions = AllRows<LifecycleTransition>(tr, [](const Row& s) {
    LifecycleTransition t;
    t.seq = s.ColInt(0);
    t.from = ParseLifecycle(s.ColText(1));
    t.to = ParseLifecycle(s.ColText(2)).value_or(Lifecycle::kDetected);
    t.by = s.ColText(3);
    t.note = s.ColText(4);
    t.at = s.ColTime(5);
    return t;
  });
  return l;
}

// Called with the lifecycle's row inserted or locked by this transaction: max(seq) + 1 is free.
Status AppendTransition(Conn& c, std::string_view incident, std::string_view from, Lifecycle to,
                        std::string_view by, std::string_view note, Time at) {
  LL_ASSIGN(
      Rows r,
      c.Exec(
          "INSERT INTO playbook_transitions (incident_id, seq, from_state, to_state, "
          "by_whom, note, at) VALUES ($1::text, (SELECT coalesce(max(seq), 0) + 1 FROM "
          "playbook_transitions WHERE incident_id = $1::text), $2::text, $3::text, "
          "$4::text, $5::text, $6::bigint)",
          Params().Text(incident).Text(from).Text(LifecycleName(to)).Text(by).Text(note).Time(at),
          "recording a lifecycle transition"));
  (void)r;
  return core::Ok();
}

Result<ResponseRun> LoadRun(Conn& c, std::string_view incident, std::string_view response) {
  LL_ASSIGN(Rows r, c.Exec(Cat("SELECT ", kRunColumns,
                               " FROM playbook_runs WHERE incident_id = $1::text AND "
                               "response = $2::text"),
                           Params().Text(incident).Text(response), "reading a response"));
  if (r.empty()) {
    return MakeError(ErrorCode::kNotFound, "no response {} runs for incident {}", response,
                     incident);
  }
  return RunFromRow(r[0]);
}

// `column` is "id" or "assignment_key"; `for_update` as LoadLifecycle's.
Result<Assignment> LoadAssignment(Conn& c, std::string_view column, std::string_view value,
                                  bool for_update = false) {
  LL_ASSIGN(Rows r,
            c.Exec(Cat(Cat("SELECT ", kAssignmentColumns, " FROM playbook_assignments "),
                       Cat("WHERE ", column, " = $1::text"), for_update ? " FOR UPDATE" : ""),
                   Params().Text(value), "reading an assignment"));
  if (r.empty()) {
    return MakeError(ErrorCode::kNotFound, "no assignment with {} {}",
                     column == "id" ? "id" : "key", value);
  }
  return AssignmentFromRow(r[0]);
}

Result<LinkToken> LoadLink(Conn& c, std::string_view hash) {
  LL_ASSIGN(Rows r,
            c.Exec(Cat("SELECT ", kLinkColumns, " FROM playbook_links WHERE hash = $1::text"),
                   Params().Text(hash), "reading a link token"));
  if (r.empty()) return MakeError(ErrorCode::kNotFound, "no such link");
  return LinkFromRow(r[0]);
}

class PgPlaybook final : public PlaybookStore {
 public:
  explicit PgPlaybook(Pool* pool) : pool_(pool) {}

  Result<std::pair<IncidentLifecycle, bool>> OpenLifecycle(const NewLifecycle& l) override;
  Result<IncidentLifecycle> MoveLifecycle(const LifecycleMove& move) override;
  Result<IncidentLifecycle> GetLifecycle(std::string_view incident) override;
  Result<std::vector<IncidentLifecycle>> ListLifecycles(Lifecycle state,
                                                        std::size_t limit) override;

  Result<StartedRun> StartRun(std::string_view incident, std::string_view response,
                              Time at) override;
  Result<ResponseRun> EndRun(std::string_view incident, std::string_view response, RunState to,
                             std::string_view reason, Time at) override;
  Result<ResponseRun> GetRun(std::string_view incident, std::string_view response) override;
  Result<std::vector<ResponseRun>> ListRuns(const RunQuery& query) override;

  Status PutStep(const StepRecord& step) override;
  Result<StepRecord> GetStep(std::string_view incident, std::string_view response,
                             std::string_view step) override;
  Result<std::vector<StepRecord>> ListSteps(std::string_view incident) override;

  Result<CreatedAssignment> CreateAssignment(const NewAssignment& a) override;
  Result<Assignment> MoveAssignment(const AssignmentMove& move) override;
  Result<Assignment> RecordEscalation(std::string_view id, int level,
                                      std::span<const std::string> told, Time at) override;
  Result<Assignment> GetAssignment(std::string_view id) override;
  Result<Assignment> GetAssignmentByKey(std::string_view key) override;
  Result<std::vector<Assignment>> ListAssignments(const AssignmentQuery& query) override;

  Status AddLinkToken(const LinkToken& token) override;
  Result<LinkToken> GetLinkToken(std::string_view hash) override;
  Result<LinkToken> UseLinkToken(std::string_view hash, Time at) override;

 private:
  Pool* pool_;  // owned by the PgStore; its own mutex guards the idle sessions
};

// ---- lifecycle ----

Result<std::pair<IncidentLifecycle, bool>> PgPlaybook::OpenLifecycle(const NewLifecycle& l) {
  LL_TRY(internal::ValidateNewLifecycle(l));
  return pool_->Write(
      Sync::kFull, "storing an incident's lifecycle",
      [&](Conn& c) -> Result<std::pair<IncidentLifecycle, bool>> {
        // A concurrent open of the same incident (another instance) waits for this insert and
        // then does nothing: one lifecycle, one first transition.
        LL_ASSIGN(
            Rows ins,
            c.Exec("INSERT INTO playbook_lifecycles (incident_id, state, platforms, "
                   "monitor_round, relapse_incident, created_at, updated_at) VALUES "
                   "($1::text, 'detected', $2::text, 0, '', $3::bigint, $3::bigint) "
                   "ON CONFLICT (incident_id) DO NOTHING",
                   Params().Text(l.incident_id).Text(internal::NamesToJson(l.platforms)).Time(l.at),
                   "storing an incident's lifecycle"));
        const bool created = ins.affected() > 0;
        if (created) {
          LL_TRY(AppendTransition(c, l.incident_id, "", Lifecycle::kDetected, l.by, l.note, l.at));
        }
        LL_ASSIGN(IncidentLifecycle stored, LoadLifecycle(c, l.incident_id, false));
        return std::pair(std::move(stored), created);
      });
}

Result<IncidentLifecycle> PgPlaybook::MoveLifecycle(const LifecycleMove& m) {
  LL_TRY(internal::ValidateLifecycleMove(m));
  return pool_->Write(
      Sync::kFull, "moving an incident's lifecycle", [&](Conn& c) -> Result<IncidentLifecycle> {
        LL_ASSIGN(IncidentLifecycle cur, LoadLifecycle(c, m.incident_id, /*for_update=*/true));
        if (!m.from.empty() && std::find(m.from.begin(), m.from.end(), cur.state) == m.from.end()) {
          std::string allowed;
          for (Lifecycle l : m.from) {
            allowed += (allowed.empty() ? "" : ", ") + std::string(LifecycleName(l));
          }
          std::string since;
          if (!cur.transitions.empty()) {
            const LifecycleTransition& last = cur.transitions.back();
            since = fmt::format(" (by {} at {})", last.by, core::FormatTime(last.at));
          }
          return MakeError(ErrorCode::kFailedPrecondition,
                           "incident {} is {}{}: it moves to {} only from {}", m.incident_id,
                           LifecycleName(cur.state), since, LifecycleName(m.to), allowed);
        }
        LL_ASSIGN(Rows up,
                  c.Exec("UPDATE playbook_lifecycles SET state = $2::text, relapse_incident = "
                         "$3::text, monitor_round = monitor_round + $4::integer, updated_at = "
                         "$5::bigint WHERE incident_id = $1::text",
                         Params()
                             .Text(m.incident_id)
                             .Text(LifecycleName(m.to))
                             .Text(m.to == Lifecycle::kMitigating ? m.relapse_incident : "")
                             .Int(m.to == Lifecycle::kMonitoring ? 1 : 0)
                             .Time(m.at),
                         "moving an incident's lifecycle"));
        (void)up;
        LL_TRY(
            AppendTransition(c, m.incident_id, LifecycleName(cur.state), m.to, m.by, m.note, m.at));
        return LoadLifecycle(c, m.incident_id, false);
      });
}

Result<IncidentLifecycle> PgPlaybook::GetLifecycle(std::string_view incident) {
  LL_TRY(internal::ValidatePlaybookName("incident_id", incident));
  return pool_->Read("reading an incident's lifecycle",
                     [&](Conn& c) { return LoadLifecycle(c, incident, false); });
}

Result<std::vector<IncidentLifecycle>> PgPlaybook::ListLifecycles(Lifecycle state,
                                                                  std::size_t limit) {
  if (limit < 1 || limit > 1000) {
    return MakeError(ErrorCode::kInvalidArgument, "limit must be 1..1000 (got {})", limit);
  }
  return pool_->Read("listing lifecycles", [&](Conn& c) -> Result<std::vector<IncidentLifecycle>> {
    LL_ASSIGN(Rows r,
              c.Exec(Cat("SELECT ", kLifecycleColumns,
                         " FROM playbook_lifecycles WHERE state = $1::text ORDER BY "
                         "created_at, incident_id COLLATE \"C\" LIMIT $2::bigint"),
                     Params().Text(LifecycleName(state)).Int(static_cast<std::int64_t>(limit)),
                     "listing lifecycles"));
    return AllRows<IncidentLifecycle>(r, LifecycleFromRow);
  });
}

// ---- runs ----

Result<StartedRun> PgPlaybook::StartRun(std::string_view incident, std::string_view response,
                                        Time at) {
  LL_TRY(internal::ValidatePlaybookName("incident_id", incident));
  LL_TRY(internal::ValidatePlaybookName("response", response));
  return pool_->Write(Sync::kFull, "starting a response", [&](Conn& c) -> Result<StartedRun> {
    LL_ASSIGN(Rows ins,
              c.Exec("INSERT INTO playbook_runs (incident_id, response, state, reason, "
                     "started_at, updated_at, ended_at) VALUES ($1::text, $2::text, "
                     "'running', '', $3::bigint, $3::bigint, NULL) "
                     "ON CONFLICT (incident_id, response) DO NOTHING",
                     Params().Text(incident).Text(response).Time(at), "starting a response"));
    const bool created = ins.affected() > 0;
    LL_ASSIGN(ResponseRun run, LoadRun(c, incident, response));
    return StartedRun{std::move(run), created};
  });
}

Result<ResponseRun> PgPlaybook::EndRun(std::string_view incident, std::string_view response,
                                       RunState to, std::string_view reason, Time at) {
  LL_TRY(internal::ValidatePlaybookName("incident_id", incident));
  LL_TRY(internal::ValidatePlaybookName("response", response));
  if (to == RunState::kRunning) {
    return MakeError(ErrorCode::kInvalidArgument, "a run ends as stopped or finished");
  }
  return pool_->Write(Sync::kFull, "ending a response", [&](Conn& c) -> Result<ResponseRun> {
    // The row lock makes the check and the change one step: of two instances ending the run at
    // once, the second finds it no longer running.
    LL_ASSIGN(
        Rows up,
        c.Exec(Cat("UPDATE playbook_runs SET state = $3::text, reason = $4::text, "
                   "updated_at = $5::bigint, ended_at = $5::bigint WHERE "
                   "incident_id = $1::text AND response = $2::text AND state = "
                   "'running' RETURNING ",
                   kRunColumns),
               Params().Text(incident).Text(response).Text(RunStateName(to)).Text(reason).Time(at),
               "ending a response"));
    if (!up.empty()) return RunFromRow(up[0]);
    LL_ASSIGN(ResponseRun stored, LoadRun(c, incident, response));
    return MakeError(ErrorCode::kFailedPrecondition,
                     "response {} for incident {} already {} at {}: {}", response, incident,
                     RunStateName(stored.state),
                     core::FormatTime(stored.ended_at.value_or(stored.updated_at)), stored.reason);
  });
}

Result<ResponseRun> PgPlaybook::GetRun(std::string_view incident, std::string_view response) {
  LL_TRY(internal::ValidatePlaybookName("incident_id", incident));
  LL_TRY(internal::ValidatePlaybookName("response", response));
  return pool_->Read("reading a response", [&](Conn& c) { return LoadRun(c, incident, response); });
}

Result<std::vector<ResponseRun>> PgPlaybook::ListRuns(const RunQuery& q) {
  LL_TRY(internal::ValidateRunQuery(q));
  // One statement text per filter combination, each with only the parameters it uses.
  std::string sql = Cat("SELECT ", kRunColumns, " FROM playbook_runs WHERE true");
  Params p;
  if (!q.incident_id.empty()) {
    p.Text(q.incident_id);
    sql += fmt::format(" AND incident_id = ${}::text", p.size());
  }
  if (q.state) {
    p.Text(RunStateName(*q.state));
    sql += fmt::format(" AND state = ${}::text", p.size());
  }
  p.Int(static_cast<std::int64_t>(q.limit));
  sql += fmt::format(" ORDER BY pos LIMIT ${}::bigint", p.size());
  return pool_->Read("listing responses", [&](Conn& c) -> Result<std::vector<ResponseRun>> {
    LL_ASSIGN(Rows r, c.Exec(sql, p, "listing responses"));
    return AllRows<ResponseRun>(r, RunFromRow);
  });
}

// ---- steps ----

Status PgPlaybook::PutStep(const StepRecord& s) {
  LL_TRY(internal::ValidateStep(s));
  return pool_->Write(Sync::kFull, "recording a step", [&](Conn& c) -> Status {
    // pos comes from the identity on the first record and stays on a replacement.
    LL_ASSIGN(Rows up,
              c.Exec("INSERT INTO playbook_steps (incident_id, response, step_id, state, "
                     "attempts, last_error, note, started_at, ended_at, updated_at) VALUES "
                     "($1::text, $2::text, $3::text, $4::text, $5::integer, $6::text, $7::text, "
                     "$8::bigint, $9::bigint, $10::bigint) "
                     "ON CONFLICT (incident_id, response, step_id) DO UPDATE SET "
                     "state = excluded.state, attempts = excluded.attempts, "
                     "last_error = excluded.last_error, note = excluded.note, "
                     "started_at = excluded.started_at, ended_at = excluded.ended_at, "
                     "updated_at = excluded.updated_at",
                     Params()
                         .Text(s.incident_id)
                         .Text(s.response)
                         .Text(s.step_id)
                         .Text(StepStateName(s.state))
                         .Int(s.attempts)
                         .Text(s.last_error)
                         .Text(s.note)
                         .OptTime(s.started_at)
                         .OptTime(s.ended_at)
                         .Time(s.updated_at),
                     "recording a step"));
    (void)up;
    return core::Ok();
  });
}

Result<StepRecord> PgPlaybook::GetStep(std::string_view incident, std::string_view response,
                                       std::string_view step) {
  LL_TRY(internal::ValidatePlaybookName("incident_id", incident));
  LL_TRY(internal::ValidatePlaybookName("response", response));
  LL_TRY(internal::ValidatePlaybookName("step_id", step));
  return pool_->Read("reading a step", [&](Conn& c) -> Result<StepRecord> {
    LL_ASSIGN(Rows r, c.Exec(Cat("SELECT ", kStepColumns,
                                 " FROM playbook_steps WHERE incident_id = $1::text AND "
                                 "response = $2::text AND step_id = $3::text"),
                             Params().Text(incident).Text(response).Text(step), "reading a step"));
    if (r.empty()) {
      return MakeError(ErrorCode::kNotFound, "step {} of response {} for incident {} never ran",
                       step, response, incident);
    }
    return StepFromRow(r[0]);
  });
}

Result<std::vector<StepRecord>> PgPlaybook::ListSteps(std::string_view incident) {
  LL_TRY(internal::ValidatePlaybookName("incident_id", incident));
  return pool_->Read("listing steps", [&](Conn& c) -> Result<std::vector<StepRecord>> {
    LL_ASSIGN(Rows r, c.Exec(Cat("SELECT ", kStepColumns,
                                 " FROM playbook_steps WHERE incident_id = $1::text "
                                 "ORDER BY response COLLATE \"C\", pos"),
                             Params().Text(incident), "listing steps"));
    return AllRows<StepRecord>(r, StepFromRow);
  });
}

// ---- assignments ----

Result<CreatedAssignment> PgPlaybook::CreateAssignment(const NewAssignment& a) {
  LL_TRY(internal::ValidateNewAssignment(a));
  LL_ASSIGN(std::string id, internal::NewId("asg_", a.created_at));
  return pool_->Write(
      Sync::kFull, "storing an assignment", [&](Conn& c) -> Result<CreatedAssignment> {
        LL_ASSIGN(Rows ins,
                  c.Exec("INSERT INTO playbook_assignments (id, assignment_key, incident_id, "
                         "response, step_id, kind, title, role, assignee, notified, escalation, "
                         "escalation_level, state, acknowledged_by, acknowledged_at, ended_by, "
                         "ended_at, note, created_at, updated_at) VALUES ($1::text, $2::text, "
                         "$3::text, $4::text, $5::text, $6::text, $7::text, $8::text, $9::text, "
                         "$10::text, $11::text, -1, 'open', '', NULL, '', NULL, '', $12::bigint, "
                         "$12::bigint) ON CONFLICT (assignment_key) DO NOTHING",
                         Params()
                             .Text(id)
                             .Text(a.key)
                             .Text(a.incident_id)
                             .Text(a.response)
                             .Text(a.step_id)
                             .Text(AssignmentKindName(a.kind))
                             .Text(a.title)
                             .Text(a.role)
                             .Text(a.assignee)
                             .Text(internal::NamesToJson(a.notified))
                             .Text(a.escalation)
                             .Time(a.created_at),
                         "storing an assignment"));
        const bool created = ins.affected() > 0;
        LL_ASSIGN(Assignment stored, LoadAssignment(c, "assignment_key", a.key));
        return CreatedAssignment{std::move(stored), created};
      });
}

Result<Assignment> PgPlaybook::MoveAssignment(const AssignmentMove& m) {
  LL_TRY(internal::ValidateAssignmentMove(m));
  return pool_->Write(Sync::kFull, "changing an assignment", [&](Conn& c) -> Result<Assignment> {
    LL_ASSIGN(Assignment cur, LoadAssignment(c, "id", m.id, /*for_update=*/true));
    if (!AssignmentMoveAllowed(cur.kind, cur.state, m.to)) {
      return internal::AssignmentMoveRefused(cur, m.to);
    }
    // Acknowledging records who acknowledged; ending records who ended it (and, for a task done
    // without an acknowledgement first, that person acknowledged it too).
    const bool ack = m.to == AssignmentState::kAcknowledged ||
                     (m.to == AssignmentState::kDone && cur.state == AssignmentState::kOpen);
    const bool end = m.to != AssignmentState::kAcknowledged;
    LL_ASSIGN(Rows up,
              c.Exec(Cat("UPDATE playbook_assignments SET state = $2::text, note = $3::text, "
                         "updated_at = $4::bigint, "
                         "acknowledged_by = CASE WHEN $5::boolean THEN $6::text ELSE "
                         "acknowledged_by END, "
                         "acknowledged_at = CASE WHEN $5::boolean THEN $4::bigint ELSE "
                         "acknowledged_at END, "
                         "ended_by = CASE WHEN $7::boolean THEN $6::text ELSE ended_by END, "
                         "ended_at = CASE WHEN $7::boolean THEN $4::bigint ELSE ended_at END "
                         "WHERE id = $1::text RETURNING ",
                         kAssignmentColumns),
                     Params()
                         .Text(m.id)
                         .Text(AssignmentStateName(m.to))
                         .Text(m.note)
                         .Time(m.at)
                         .Bool(ack)
                         .Text(m.by)
                         .Bool(end),
                     "changing an assignment"));
    if (up.empty()) return MakeError(ErrorCode::kInternal, "assignment {} vanished", m.id);
    return AssignmentFromRow(up[0]);
  });
}

Result<Assignment> PgPlaybook::RecordEscalation(std::string_view id, int level,
                                                std::span<const std::string> told, Time at) {
  LL_TRY(internal::ValidatePlaybookName("id", id));
  if (level < 0) return MakeError(ErrorCode::kInvalidArgument, "level is negative ({})", level);
  return pool_->Write(Sync::kFull, "recording an escalation", [&](Conn& c) -> Result<Assignment> {
    // Locked: two instances escalating at once add their people one after the other.
    LL_ASSIGN(Assignment cur, LoadAssignment(c, "id", id, /*for_update=*/true));
    if (level <= cur.escalation_level) return cur;
    std::vector<std::string> notified = cur.notified;
    for (const std::string& p : told) {
      if (std::find(notified.begin(), notified.end(), p) == notified.end()) notified.push_back(p);
    }
    LL_ASSIGN(Rows up,
              c.Exec(Cat("UPDATE playbook_assignments SET escalation_level = $2::integer, "
                         "notified = $3::text, updated_at = $4::bigint WHERE id = $1::text "
                         "RETURNING ",
                         kAssignmentColumns),
                     Params().Text(id).Int(level).Text(internal::NamesToJson(notified)).Time(at),
                     "recording an escalation"));
    if (up.empty()) return MakeError(ErrorCode::kInternal, "assignment {} vanished", id);
    return AssignmentFromRow(up[0]);
  });
}

Result<Assignment> PgPlaybook::GetAssignment(std::string_view id) {
  LL_TRY(internal::ValidatePlaybookName("id", id));
  return pool_->Read("reading an assignment", [&](Conn& c) { return LoadAssignment(c, "id", id); });
}

Result<Assignment> PgPlaybook::GetAssignmentByKey(std::string_view key) {
  LL_TRY(internal::ValidatePlaybookName("key", key));
  return pool_->Read("reading an assignment",
                     [&](Conn& c) { return LoadAssignment(c, "assignment_key", key); });
}

Result<std::vector<Assignment>> PgPlaybook::ListAssignments(const AssignmentQuery& q) {
  LL_TRY(internal::ValidateAssignmentQuery(q));
  std::string sql = Cat("SELECT ", kAssignmentColumns, " FROM playbook_assignments WHERE true");
  Params p;
  if (!q.incident_id.empty()) {
    p.Text(q.incident_id);
    sql += fmt::format(" AND incident_id = ${}::text", p.size());
  }
  if (q.state) {
    p.Text(AssignmentStateName(*q.state));
    sql += fmt::format(" AND state = ${}::text", p.size());
  }
  if (q.kind) {
    p.Text(AssignmentKindName(*q.kind));
    sql += fmt::format(" AND kind = ${}::text", p.size());
  }
  p.Int(static_cast<std::int64_t>(q.limit));
  sql += fmt::format(" ORDER BY pos LIMIT ${}::bigint", p.size());
  return pool_->Read("listing assignments", [&](Conn& c) -> Result<std::vector<Assignment>> {
    LL_ASSIGN(Rows r, c.Exec(sql, p, "listing assignments"));
    return AllRows<Assignment>(r, AssignmentFromRow);
  });
}

// ---- link tokens ----

Status PgPlaybook::AddLinkToken(const LinkToken& t) {
  LL_TRY(internal::ValidateLinkToken(t));
  return pool_->Write(Sync::kFull, "storing a link token", [&](Conn& c) -> Status {
    LL_ASSIGN(Rows ins, c.Exec("INSERT INTO playbook_links (hash, purpose, assignment_id, person, "
                               "signature, created_at, expires_at, used_at) VALUES ($1::text, "
                               "$2::text, $3::text, $4::text, $5::text, $6::bigint, $7::bigint, "
                               "NULL) ON CONFLICT (hash) DO NOTHING",
                               Params()
                                   .Text(t.hash)
                                   .Text(t.purpose)
                                   .Text(t.assignment_id)
                                   .Text(t.person)
                                   .Text(t.signature)
                                   .Time(t.created_at)
                                   .Time(t.expires_at),
                               "storing a link token"));
    if (ins.affected() == 0) return MakeError(ErrorCode::kAlreadyExists, "the link token exists");
    return core::Ok();
  });
}

Result<LinkToken> PgPlaybook::GetLinkToken(std::string_view hash) {
  LL_TRY(internal::ValidatePlaybookName("hash", hash));
  return pool_->Read("reading a link token", [&](Conn& c) { return LoadLink(c, hash); });
}

Result<LinkToken> PgPlaybook::UseLinkToken(std::string_view hash, Time at) {
  LL_TRY(internal::ValidatePlaybookName("hash", hash));
  return pool_->Write(Sync::kFull, "using a link token", [&](Conn& c) -> Result<LinkToken> {
    // One statement: a concurrent redeem waits for this row's lock, then re-checks used_at and
    // finds it set.
    LL_ASSIGN(Rows up, c.Exec(Cat("UPDATE playbook_links SET used_at = $2::bigint WHERE hash = "
                                  "$1::text AND used_at IS NULL AND expires_at > $2::bigint "
                                  "RETURNING ",
                                  kLinkColumns),
                              Params().Text(hash).Time(at), "using a link token"));
    if (!up.empty()) return LinkFromRow(up[0]);
    LL_ASSIGN(LinkToken stored, LoadLink(c, hash));
    if (stored.used_at) {
      return MakeError(ErrorCode::kFailedPrecondition, "this link was already used at {}",
                       core::FormatTime(*stored.used_at));
    }
    return MakeError(ErrorCode::kFailedPrecondition, "this link expired at {}",
                     core::FormatTime(stored.expires_at));
  });
}

}  // namespace

std::unique_ptr<PlaybookStore> NewPgPlaybook(Pool* pool) {
  return std::make_unique<PgPlaybook>(pool);
}

}  // namespace lifeline::store::pg
