// The SQLite playbook store (store/playbook.h): all of its SQL. Every write is one IMMEDIATE
// transaction on the store's writer, synced at commit (Sync::kFull): what the engine recorded
// about a response survives power loss like the incident timeline does.
#include "store/sqlite/playbook.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "core/types.h"
#include "store/common.h"
#include "store/playbook_common.h"

namespace lifeline::store::sqlite {
namespace {

using core::ErrorCode;
using core::MakeError;
using core::Result;
using core::Status;
using Sync = Connections::Sync;

// ---- rows ----

constexpr std::string_view kRunColumns =
    "incident_id, response, state, reason, started_at, updated_at, ended_at";

ResponseRun RunFromRow(const Stmt& s) {
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

StepRecord StepFromRow(const Stmt& s) {
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

Assignment AssignmentFromRow(const Stmt& s) {
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

LinkToken LinkFromRow(const Stmt& s) {
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

IncidentLifecycle LifecycleFromRow(const Stmt& s) {
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

std::string Sql(std::string_view a, std::string_view b = {}, std::string_view c = {}) {
  std::string s(a);
  s += b;
  s += c;
  return s;
}

// Runs a prepared statement expected to yield at most one row read by `from_row`; nullopt when
// none. Steps to the end so a write completes before the next statement.
template <typename T, typename FromRow>
Result<std::optional<T>> OneRow(Stmt& st, FromRow from_row) {
  auto row = st.Step();
  if (!row) return row.error();
  if (!*row) return std::optional<T>();
  T t = from_row(st);
  if (auto rest = st.Run(); !rest) return rest.error();
  return std::optional<T>(std::move(t));
}

template <typename T, typename FromRow>
Result<std::vector<T>> AllRows(Stmt& st, FromRow from_row) {
  std::vector<T> out;
  while (true) {
    auto row = st.Step();
    if (!row) return row.error();
    if (!*row) break;
    out.push_back(from_row(st));
  }
  return out;
}

// ---- reads shared by reads and writes ----

Result<IncidentLifecycle> LoadLifecycle(Db& db, std::string_view incident) {
  auto sel = db.Prepare(
      Sql("SELECT ", kLifecycleColumns, " FROM playbook_lifecycles WHERE incident_id = ?1"));
  if (!sel) return sel.error();
  sel->Text(1, incident);
  LL_ASSIGN(auto l, OneRow<IncidentLifecycle>(*sel, LifecycleFromRow));
  if (!l) return MakeError(ErrorCode::kNotFound, "incident {} has no playbook lifecycle", incident);
  auto tr = db.Prepare(
      "SELECT seq, from_state, to_state, by_whom, note, at FROM playbook_transitions "
      "WHERE incident_id = ?1 ORDER BY seq");
  if (!tr) return tr.error();
  tr->Text(1, incident);
  LL_ASSIGN(l->transitions, AllRows<LifecycleTransition>(*tr, [](const Stmt& s) {
              LifecycleTransition t;
              t.seq = s.ColInt(0);
              t.from = ParseLifecycle(s.ColText(1));
              t.to = ParseLifecycle(s.ColText(2)).value_or(Lifecycle::kDetected);
              t.by = s.ColText(3);
              t.note = s.ColText(4);
              t.at = s.ColTime(5);
              return t;
            }));
  return std::move(*l);
}

Status AppendTransition(Db& db, std::string_view incident, std::string_view from, Lifecycle to,
                        std::string_view by, std::string_view note, Time at) {
  auto ins = db.Prepare(
      "INSERT INTO playbook_transitions (incident_id, seq, from_state, to_state, by_whom, note, "
      "at) VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM playbook_transitions WHERE "
      "incident_id = ?1), ?2, ?3, ?4, ?5, ?6)");
  if (!ins) return ins.error();
  ins->Text(1, incident)
      .Text(2, from)
      .Text(3, LifecycleName(to))
      .Text(4, by)
      .Text(5, note)
      .Time(6, at);
  return ins->Run();
}

Result<ResponseRun> LoadRun(Db& db, std::string_view incident, std::string_view response) {
  auto sel = db.Prepare(
      Sql("SELECT ", kRunColumns, " FROM playbook_runs WHERE incident_id = ?1 AND response = ?2"));
  if (!sel) return sel.error();
  sel->Text(1, incident).Text(2, response);
  LL_ASSIGN(auto r, OneRow<ResponseRun>(*sel, RunFromRow));
  if (!r) {
    return MakeError(ErrorCode::kNotFound, "no response {} runs for incident {}", response,
                     incident);
  }
  return std::move(*r);
}

Result<Assignment> LoadAssignment(Db& db, std::string_view column, std::string_view value) {
  auto sel = db.Prepare(Sql("SELECT ", kAssignmentColumns,
                            Sql(" FROM playbook_assignments WHERE ", column, " = ?1")));
  if (!sel) return sel.error();
  sel->Text(1, value);
  LL_ASSIGN(auto a, OneRow<Assignment>(*sel, AssignmentFromRow));
  if (!a) {
    return MakeError(ErrorCode::kNotFound, "no assignment with {} {}",
                     column == "id" ? "id" : "key", value);
  }
  return std::move(*a);
}

Result<LinkToken> LoadLink(Db& db, std::string_view hash) {
  auto sel = db.Prepare(Sql("SELECT ", kLinkColumns, " FROM playbook_links WHERE hash = ?1"));
  if (!sel) return sel.error();
  sel->Text(1, hash);
  LL_ASSIGN(auto t, OneRow<LinkToken>(*sel, LinkFromRow));
  if (!t) return MakeError(ErrorCode::kNotFound, "no such link");
  return std::move(*t);
}

class SqlitePlaybook final : public PlaybookStore {
 public:
  explicit SqlitePlaybook(Connections* conns) : conns_(conns) {}

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
  Connections* conns_;  // owned by the SqliteStore; its own mutexes guard the connections
};

// ---- lifecycle ----

Result<std::pair<IncidentLifecycle, bool>> SqlitePlaybook::OpenLifecycle(const NewLifecycle& l) {
  LL_TRY(internal::ValidateNewLifecycle(l));
  return conns_->Write(
      Sync::kFull, "storing an incident's lifecycle",
      [&](Db& db) -> Result<std::pair<IncidentLifecycle, bool>> {
        auto ins = db.Prepare(
            "INSERT INTO playbook_lifecycles (incident_id, state, platforms, monitor_round, "
            "relapse_incident, created_at, updated_at) VALUES (?1, 'detected', ?2, 0, '', ?3, ?3) "
            "ON CONFLICT (incident_id) DO NOTHING");
        if (!ins) return ins.error();
        ins->Text(1, l.incident_id).Text(2, internal::NamesToJson(l.platforms)).Time(3, l.at);
        LL_TRY(ins->Run());
        const bool created = db.Changes() > 0;
        if (created) {
          LL_TRY(AppendTransition(db, l.incident_id, "", Lifecycle::kDetected, l.by, l.note, l.at));
        }
        LL_ASSIGN(IncidentLifecycle stored, LoadLifecycle(db, l.incident_id));
        return std::pair(std::move(stored), created);
      });
}

Result<IncidentLifecycle> SqlitePlaybook::MoveLifecycle(const LifecycleMove& m) {
  LL_TRY(internal::ValidateLifecycleMove(m));
  return conns_->Write(
      Sync::kFull, "moving an incident's lifecycle", [&](Db& db) -> Result<IncidentLifecycle> {
        LL_ASSIGN(IncidentLifecycle cur, LoadLifecycle(db, m.incident_id));
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
        auto up = db.Prepare(
            "UPDATE playbook_lifecycles SET state = ?2, relapse_incident = ?3, "
            "monitor_round = monitor_round + ?4, updated_at = ?5 WHERE incident_id = ?1");
        if (!up) return up.error();
        up->Text(1, m.incident_id)
            .Text(2, LifecycleName(m.to))
            .Text(3, m.to == Lifecycle::kMitigating ? m.relapse_incident : "")
            .Int(4, m.to == Lifecycle::kMonitoring ? 1 : 0)
            .Time(5, m.at);
        LL_TRY(up->Run());
        LL_TRY(AppendTransition(db, m.incident_id, LifecycleName(cur.state), m.to, m.by, m.note,
                                m.at));
        return LoadLifecycle(db, m.incident_id);
      });
}

Result<IncidentLifecycle> SqlitePlaybook::GetLifecycle(std::string_view incident) {
  LL_TRY(internal::ValidatePlaybookName("incident_id", incident));
  return conns_->Read("reading an incident's lifecycle",
                      [&](Db& db) { return LoadLifecycle(db, incident); });
}

Result<std::vector<IncidentLifecycle>> SqlitePlaybook::ListLifecycles(Lifecycle state,
                                                                      std::size_t limit) {
  if (limit < 1 || limit > 1000) {
    return MakeError(ErrorCode::kInvalidArgument, "limit must be 1..1000 (got {})", limit);
  }
  return conns_->Read("listing lifecycles", [&](Db& db) -> Result<std::vector<IncidentLifecycle>> {
    auto sel = db.Prepare(Sql("SELECT ", kLifecycleColumns,
                              " FROM playbook_lifecycles WHERE state = ?1 ORDER BY created_at, "
                              "incident_id LIMIT ?2"));
    if (!sel) return sel.error();
    sel->Text(1, LifecycleName(state)).Int(2, static_cast<std::int64_t>(limit));
    return AllRows<IncidentLifecycle>(*sel, LifecycleFromRow);
  });
}

// ---- runs ----

Result<StartedRun> SqlitePlaybook::StartRun(std::string_view incident, std::string_view response,
                                            Time at) {
  LL_TRY(internal::ValidatePlaybookName("incident_id", incident));
  LL_TRY(internal::ValidatePlaybookName("response", response));
  return conns_->Write(Sync::kFull, "starting a response", [&](Db& db) -> Result<StartedRun> {
    auto ins = db.Prepare(
        "INSERT INTO playbook_runs (incident_id, response, state, reason, started_at, "
        "updated_at, ended_at) VALUES (?1, ?2, 'running', '', ?3, ?3, NULL) "
        "ON CONFLICT (incident_id, response) DO NOTHING");
    if (!ins) return ins.error();
    ins->Text(1, incident).Text(2, response).Time(3, at);
    LL_TRY(ins->Run());
    const bool created = db.Changes() > 0;
    LL_ASSIGN(ResponseRun run, LoadRun(db, incident, response));
    return StartedRun{std::move(run), created};
  });
}

Result<ResponseRun> SqlitePlaybook::EndRun(std::string_view incident, std::string_view response,
                                           RunState to, std::string_view reason, Time at) {
  LL_TRY(internal::ValidatePlaybookName("incident_id", incident));
  LL_TRY(internal::ValidatePlaybookName("response", response));
  if (to == RunState::kRunning) {
    return MakeError(ErrorCode::kInvalidArgument, "a run ends as stopped or finished");
  }
  return conns_->Write(Sync::kFull, "ending a response", [&](Db& db) -> Result<ResponseRun> {
    auto up = db.Prepare(
        Sql("UPDATE playbook_runs SET state = ?3, reason = ?4, updated_at = ?5, ended_at = ?5 "
            "WHERE incident_id = ?1 AND response = ?2 AND state = 'running' RETURNING ",
            kRunColumns));
    if (!up) return up.error();
    up->Text(1, incident).Text(2, response).Text(3, RunStateName(to)).Text(4, reason).Time(5, at);
    LL_ASSIGN(auto r, OneRow<ResponseRun>(*up, RunFromRow));
    if (r) return std::move(*r);
    LL_ASSIGN(ResponseRun stored, LoadRun(db, incident, response));
    return MakeError(ErrorCode::kFailedPrecondition,
                     "response {} for incident {} already {} at {}: {}", response, incident,
                     RunStateName(stored.state),
                     core::FormatTime(stored.ended_at.value_or(stored.updated_at)), stored.reason);
  });
}

Result<ResponseRun> SqlitePlaybook::GetRun(std::string_view incident, std::string_view response) {
  LL_TRY(internal::ValidatePlaybookName("incident_id", incident));
  LL_TRY(internal::ValidatePlaybookName("response", response));
  return conns_->Read("reading a response",
                      [&](Db& db) { return LoadRun(db, incident, response); });
}

Result<std::vector<ResponseRun>> SqlitePlaybook::ListRuns(const RunQuery& q) {
  LL_TRY(internal::ValidateRunQuery(q));
  return conns_->Read("listing responses", [&](Db& db) -> Result<std::vector<ResponseRun>> {
    std::string sql = Sql("SELECT ", kRunColumns, " FROM playbook_runs WHERE 1 = 1");
    if (!q.incident_id.empty()) sql += " AND incident_id = ?1";
    if (q.state) sql += " AND state = ?2";
    sql += " ORDER BY pos LIMIT ?3";
    auto sel = db.Prepare(sql);
    if (!sel) return sel.error();
    if (!q.incident_id.empty()) sel->Text(1, q.incident_id);
    if (q.state) sel->Text(2, RunStateName(*q.state));
    sel->Int(3, static_cast<std::int64_t>(q.limit));
    return AllRows<ResponseRun>(*sel, RunFromRow);
  });
}

// ---- steps ----

Status SqlitePlaybook::PutStep(const StepRecord& s) {
  LL_TRY(internal::ValidateStep(s));
  return conns_->Write(Sync::kFull, "recording a step", [&](Db& db) -> Status {
    auto up = db.Prepare(
        "INSERT INTO playbook_steps (incident_id, response, step_id, pos, state, attempts, "
        "last_error, note, started_at, ended_at, updated_at) VALUES (?1, ?2, ?3, "
        "(SELECT COALESCE(MAX(pos), 0) + 1 FROM playbook_steps WHERE incident_id = ?1), "
        "?4, ?5, ?6, ?7, ?8, ?9, ?10) "
        "ON CONFLICT (incident_id, response, step_id) DO UPDATE SET state = excluded.state, "
        "attempts = excluded.attempts, last_error = excluded.last_error, note = excluded.note, "
        "started_at = excluded.started_at, ended_at = excluded.ended_at, "
        "updated_at = excluded.updated_at");
    if (!up) return up.error();
    up->Text(1, s.incident_id)
        .Text(2, s.response)
        .Text(3, s.step_id)
        .Text(4, StepStateName(s.state))
        .Int(5, s.attempts)
        .Text(6, s.last_error)
        .Text(7, s.note)
        .OptTime(8, s.started_at)
        .OptTime(9, s.ended_at)
        .Time(10, s.updated_at);
    return up->Run();
  });
}

Result<StepRecord> SqlitePlaybook::GetStep(std::string_view incident, std::string_view response,
                                           std::string_view step) {
  LL_TRY(internal::ValidatePlaybookName("incident_id", incident));
  LL_TRY(internal::ValidatePlaybookName("response", response));
  LL_TRY(internal::ValidatePlaybookName("step_id", step));
  return conns_->Read("reading a step", [&](Db& db) -> Result<StepRecord> {
    auto sel = db.Prepare(Sql("SELECT ", kStepColumns,
                              " FROM playbook_steps WHERE incident_id = ?1 AND response = ?2 AND "
                              "step_id = ?3"));
    if (!sel) return sel.error();
    sel->Text(1, incident).Text(2, response).Text(3, step);
    LL_ASSIGN(auto r, OneRow<StepRecord>(*sel, StepFromRow));
    if (!r) {
      return MakeError(ErrorCode::kNotFound, "step {} of response {} for incident {} never ran",
                       step, response, incident);
    }
    return std::move(*r);
  });
}

Result<std::vector<StepRecord>> SqlitePlaybook::ListSteps(std::string_view incident) {
  LL_TRY(internal::ValidatePlaybookName("incident_id", incident));
  return conns_->Read("listing steps", [&](Db& db) -> Result<std::vector<StepRecord>> {
    auto sel =
        db.Prepare(Sql("SELECT ", kStepColumns,
                       " FROM playbook_steps WHERE incident_id = ?1 ORDER BY response, pos"));
    if (!sel) return sel.error();
    sel->Text(1, incident);
    return AllRows<StepRecord>(*sel, StepFromRow);
  });
}

// ---- assignments ----

Result<CreatedAssignment> SqlitePlaybook::CreateAssignment(const NewAssignment& a) {
  LL_TRY(internal::ValidateNewAssignment(a));
  LL_ASSIGN(std::string id, internal::NewId("asg_", a.created_at));
  return conns_->Write(
      Sync::kFull, "storing an assignment", [&](Db& db) -> Result<CreatedAssignment> {
        auto ins = db.Prepare(
            "INSERT INTO playbook_assignments (id, assignment_key, incident_id, response, "
            "step_id, kind, title, role, assignee, notified, escalation, escalation_level, "
            "state, acknowledged_by, acknowledged_at, ended_by, ended_at, note, created_at, "
            "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, -1, 'open', '', "
            "NULL, '', NULL, '', ?12, ?12) ON CONFLICT (assignment_key) DO NOTHING");
        if (!ins) return ins.error();
        ins->Text(1, id)
            .Text(2, a.key)
            .Text(3, a.incident_id)
            .Text(4, a.response)
            .Text(5, a.step_id)
            .Text(6, AssignmentKindName(a.kind))
            .Text(7, a.title)
            .Text(8, a.role)
            .Text(9, a.assignee)
            .Text(10, internal::NamesToJson(a.notified))
            .Text(11, a.escalation)
            .Time(12, a.created_at);
        LL_TRY(ins->Run());
        const bool created = db.Changes() > 0;
        LL_ASSIGN(Assignment stored, LoadAssignment(db, "assignment_key", a.key));
        return CreatedAssignment{std::move(stored), created};
      });
}

Result<Assignment> SqlitePlaybook::MoveAssignment(const AssignmentMove& m) {
  LL_TRY(internal::ValidateAssignmentMove(m));
  return conns_->Write(Sync::kFull, "changing an assignment", [&](Db& db) -> Result<Assignment> {
    LL_ASSIGN(Assignment cur, LoadAssignment(db, "id", m.id));
    if (!AssignmentMoveAllowed(cur.kind, cur.state, m.to)) {
      return internal::AssignmentMoveRefused(cur, m.to);
    }
    // Acknowledging records who acknowledged; ending records who ended it (and, for a task done
    // without an acknowledgement first, that person acknowledged it too).
    const bool ack = m.to == AssignmentState::kAcknowledged ||
                     (m.to == AssignmentState::kDone && cur.state == AssignmentState::kOpen);
    const bool end = m.to != AssignmentState::kAcknowledged;
    auto up = db.Prepare(
        Sql("UPDATE playbook_assignments SET state = ?2, note = ?3, updated_at = ?4, "
            "acknowledged_by = CASE WHEN ?5 THEN ?6 ELSE acknowledged_by END, "
            "acknowledged_at = CASE WHEN ?5 THEN ?4 ELSE acknowledged_at END, "
            "ended_by = CASE WHEN ?7 THEN ?6 ELSE ended_by END, "
            "ended_at = CASE WHEN ?7 THEN ?4 ELSE ended_at END WHERE id = ?1 AND state = ?8 "
            "RETURNING ",
            kAssignmentColumns));
    if (!up) return up.error();
    up->Text(1, m.id)
        .Text(2, AssignmentStateName(m.to))
        .Text(3, m.note)
        .Time(4, m.at)
        .Int(5, ack ? 1 : 0)
        .Text(6, m.by)
        .Int(7, end ? 1 : 0)
        .Text(8, AssignmentStateName(cur.state));
    LL_ASSIGN(auto a, OneRow<Assignment>(*up, AssignmentFromRow));
    if (!a) return MakeError(ErrorCode::kInternal, "assignment {} changed under the writer", m.id);
    return std::move(*a);
  });
}

Result<Assignment> SqlitePlaybook::RecordEscalation(std::string_view id, int level,
                                                    std::span<const std::string> told, Time at) {
  LL_TRY(internal::ValidatePlaybookName("id", id));
  if (level < 0) return MakeError(ErrorCode::kInvalidArgument, "level is negative ({})", level);
  return conns_->Write(Sync::kFull, "recording an escalation", [&](Db& db) -> Result<Assignment> {
    LL_ASSIGN(Assignment cur, LoadAssignment(db, "id", id));
    if (level <= cur.escalation_level) return cur;
    std::vector<std::string> notified = cur.notified;
    for (const std::string& p : told) {
      if (std::find(notified.begin(), notified.end(), p) == notified.end()) notified.push_back(p);
    }
    auto up =
        db.Prepare(Sql("UPDATE playbook_assignments SET escalation_level = ?2, "
                       "notified = ?3, updated_at = ?4 WHERE id = ?1 RETURNING ",
                       kAssignmentColumns));
    if (!up) return up.error();
    up->Text(1, id).Int(2, level).Text(3, internal::NamesToJson(notified)).Time(4, at);
    LL_ASSIGN(auto a, OneRow<Assignment>(*up, AssignmentFromRow));
    if (!a) return MakeError(ErrorCode::kInternal, "assignment {} vanished under the writer", id);
    return std::move(*a);
  });
}

Result<Assignment> SqlitePlaybook::GetAssignment(std::string_view id) {
  LL_TRY(internal::ValidatePlaybookName("id", id));
  return conns_->Read("reading an assignment",
                      [&](Db& db) { return LoadAssignment(db, "id", id); });
}

Result<Assignment> SqlitePlaybook::GetAssignmentByKey(std::string_view key) {
  LL_TRY(internal::ValidatePlaybookName("key", key));
  return conns_->Read("reading an assignment",
                      [&](Db& db) { return LoadAssignment(db, "assignment_key", key); });
}

Result<std::vector<Assignment>> SqlitePlaybook::ListAssignments(const AssignmentQuery& q) {
  LL_TRY(internal::ValidateAssignmentQuery(q));
  return conns_->Read("listing assignments", [&](Db& db) -> Result<std::vector<Assignment>> {
    std::string sql = Sql("SELECT ", kAssignmentColumns, " FROM playbook_assignments WHERE 1 = 1");
    if (!q.incident_id.empty()) sql += " AND incident_id = ?1";
    if (q.state) sql += " AND state = ?2";
    if (q.kind) sql += " AND kind = ?3";
    sql += " ORDER BY pos LIMIT ?4";
    auto sel = db.Prepare(sql);
    if (!sel) return sel.error();
    if (!q.incident_id.empty()) sel->Text(1, q.incident_id);
    if (q.state) sel->Text(2, AssignmentStateName(*q.state));
    if (q.kind) sel->Text(3, AssignmentKindName(*q.kind));
    sel->Int(4, static_cast<std::int64_t>(q.limit));
    return AllRows<Assignment>(*sel, AssignmentFromRow);
  });
}

// ---- link tokens ----

Status SqlitePlaybook::AddLinkToken(const LinkToken& t) {
  LL_TRY(internal::ValidateLinkToken(t));
  return conns_->Write(Sync::kFull, "storing a link token", [&](Db& db) -> Status {
    auto ins = db.Prepare(
        "INSERT INTO playbook_links (hash, purpose, assignment_id, person, signature, "
        "created_at, expires_at, used_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL) "
        "ON CONFLICT (hash) DO NOTHING");
    if (!ins) return ins.error();
    ins->Text(1, t.hash)
        .Text(2, t.purpose)
        .Text(3, t.assignment_id)
        .Text(4, t.person)
        .Text(5, t.signature)
        .Time(6, t.created_at)
        .Time(7, t.expires_at);
    LL_TRY(ins->Run());
    if (db.Changes() == 0) return MakeError(ErrorCode::kAlreadyExists, "the link token exists");
    return core::Ok();
  });
}

Result<LinkToken> SqlitePlaybook::GetLinkToken(std::string_view hash) {
  LL_TRY(internal::ValidatePlaybookName("hash", hash));
  return conns_->Read("reading a link token", [&](Db& db) { return LoadLink(db, hash); });
}

Result<LinkToken> SqlitePlaybook::UseLinkToken(std::string_view hash, Time at) {
  LL_TRY(internal::ValidatePlaybookName("hash", hash));
  return conns_->Write(Sync::kFull, "using a link token", [&](Db& db) -> Result<LinkToken> {
    auto up =
        db.Prepare(Sql("UPDATE playbook_links SET used_at = ?2 WHERE hash = ?1 AND "
                       "used_at IS NULL AND expires_at > ?2 RETURNING ",
                       kLinkColumns));
    if (!up) return up.error();
    up->Text(1, hash).Time(2, at);
    LL_ASSIGN(auto t, OneRow<LinkToken>(*up, LinkFromRow));
    if (t) return std::move(*t);
    LL_ASSIGN(LinkToken stored, LoadLink(db, hash));
    if (stored.used_at) {
      return MakeError(ErrorCode::kFailedPrecondition, "this link was already used at {}",
                       core::FormatTime(*stored.used_at));
    }
    return MakeError(ErrorCode::kFailedPrecondition, "this link expired at {}",
                     core::FormatTime(stored.expires_at));
  });
}

}  // namespace

std::unique_ptr<PlaybookStore> NewSqlitePlaybook(Connections* conns) {
  return std::make_unique<SqlitePlaybook>(conns);
}

}  // namespace lifeline::store::sqlite
