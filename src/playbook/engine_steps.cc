// The playbook engine's steps (engine.h): running a response in order and in parallel groups,
// each kind of step, on_error, and the timers that move steps on (wait, retry, approval timeout).
#include <algorithm>
#include <utility>

#include "playbook/engine.h"
#include "playbook/engine_internal.h"

namespace lifeline::playbook {

using core::ErrorCode;
using core::MakeError;
using core::Result;
using core::Status;
using store::AssignmentKind;
using store::AssignmentState;
using store::Lifecycle;
using store::StepState;
using namespace engine_internal;

// ---- running a response ----

Result<store::StepRecord> Engine::LoadStep(const Ctx& ctx, const std::string& step_id) {
  auto rec = store_.Playbook().GetStep(ctx.id(), ctx.name(), step_id);
  if (rec.ok()) return rec;
  if (!IsNotFound(rec.error())) return rec.error();
  store::StepRecord fresh;
  fresh.incident_id = ctx.id();
  fresh.response = ctx.name();
  fresh.step_id = step_id;
  fresh.state = StepState::kPending;
  return fresh;
}

Status Engine::Advance(Ctx& ctx) {
  LL_ASSIGN(store::ResponseRun run, store_.Playbook().GetRun(ctx.id(), ctx.name()));
  if (run.state != store::RunState::kRunning) return core::Ok();
  for (const Step& step : ctx.response->steps) {
    LL_ASSIGN(StepState st, Drive(ctx, step));
    if (ctx.stopped) return core::Ok();
    if (!store::IsFinal(st)) return core::Ok();  // waits: a timer or a person moves it on
  }
  return EndRunIfDone(ctx);
}

Status Engine::EndRunIfDone(Ctx& ctx) {
  LL_ASSIGN(auto steps, store_.Playbook().ListSteps(ctx.id()));
  int done = 0, failed = 0, skipped = 0;
  for (const store::StepRecord& s : steps) {
    if (s.response != ctx.name()) continue;
    const Step* step = ctx.response->FindStep(s.step_id);
    if (step == nullptr || step->kind() == StepKind::kParallel) continue;
    done += s.state == StepState::kDone;
    failed += s.state == StepState::kFailed;
    skipped += s.state == StepState::kSkipped;
  }
  const std::string reason =
      fmt::format("every step ended: {} done, {} failed, {} skipped", done, failed, skipped);
  auto ended = store_.Playbook().EndRun(ctx.id(), ctx.name(), store::RunState::kFinished, reason,
                                        StoreTime(Now()));
  if (!ended.ok()) {
    if (ended.error().code() == ErrorCode::kFailedPrecondition) return core::Ok();
    return ended.error();
  }
  Timeline(ctx.id(), "playbook_response_finished",
           fmt::format("Response {} finished: {}", ctx.name(), reason),
           json{{"response", ctx.name()}, {"by", kEngineName}}.dump());
  return core::Ok();
}

Result<StepState> Engine::Drive(Ctx& ctx, const Step& step) {
  LL_ASSIGN(store::StepRecord rec, LoadStep(ctx, step.id));
  if (store::IsFinal(rec.state)) return rec.state;
  if (const auto* group = std::get_if<ParallelStep>(&step.body)) {
    if (rec.state == StepState::kPending) {
      const TimePoint now = Now();
      rec.state = StepState::kWaiting;
      rec.attempts = 1;
      rec.started_at = StoreTime(now);
      rec.updated_at = StoreTime(now);
      std::vector<std::string> ids;
      for (const Step& s : group->steps) ids.push_back(s.id);
      rec.note = "started together: " + Join(ids);
      LL_TRY(store_.Playbook().PutStep(rec));
      Timeline(ctx.id(), "playbook_step_started",
               fmt::format("Step {} (parallel) started: {}", step.id, Join(ids)),
               json{{"response", ctx.name()}, {"step", step.id}, {"kind", "parallel"}}.dump());
    }
    bool all = true;
    for (const Step& child : group->steps) {
      LL_ASSIGN(StepState cs, Drive(ctx, child));
      if (ctx.stopped) return StepState::kSkipped;
      all = all && store::IsFinal(cs);
    }
    if (!all) return StepState::kWaiting;
    LL_TRY(FinishStep(ctx, step, rec, StepState::kDone, "every step of the group ended"));
    return StepState::kDone;
  }
  if (rec.state == StepState::kPending || rec.state == StepState::kRunning) {
    return Execute(ctx, step, std::move(rec));
  }
  return rec.state;
}

Result<StepState> Engine::Execute(Ctx& ctx, const Step& step, store::StepRecord rec) {
  const TimePoint now = Now();
  const bool first = rec.state == StepState::kPending;
  rec.state = StepState::kRunning;
  ++rec.attempts;
  if (!rec.started_at) rec.started_at = StoreTime(now);
  rec.updated_at = StoreTime(now);
  LL_TRY(store_.Playbook().PutStep(rec));
  if (first) {
    Timeline(ctx.id(), "playbook_step_started",
             fmt::format("Step {} ({}) started", step.id, StepKindName(step.kind())),
             json{{"response", ctx.name()},
                  {"step", step.id},
                  {"kind", StepKindName(step.kind())},
                  {"by", kEngineName}}
                 .dump());
  }

  Result<std::string> outcome = std::string();
  bool mitigates = false;
  switch (step.kind()) {
    case StepKind::kNotify:
      outcome = RunNotify(ctx, step, std::get<NotifyStep>(step.body));
      break;
    case StepKind::kPost:
      outcome = RunPost(ctx, step, std::get<PostStep>(step.body));
      mitigates = true;
      break;
    case StepKind::kTask:
      outcome = RunTask(ctx, step, std::get<TaskStep>(step.body));
      break;
    case StepKind::kMoveConversations:
    case StepKind::kPause: {
      std::shared_ptr<StepHandler> h =
          options_.handlers ? options_.handlers->Find(step.kind()) : nullptr;
      if (!h) {
        LL_TRY(FinishStep(ctx, step, rec, StepState::kSkipped,
                          fmt::format("waiting for {}: not available yet, so nothing was done",
                                      PartFor(step.kind()))));
        return StepState::kSkipped;
      }
      StepRequest req;
      req.incident_id = ctx.id();
      req.response = ctx.name();
      req.step = &step;
      req.failure = ctx.failure;
      req.plan = &plan_;
      req.key = StepKey(ctx.id(), ctx.name(), step.id);
      req.now = now;
      outcome = h->Run(req);
      mitigates = true;
      break;
    }
    case StepKind::kWait: {
      const Duration d = std::get<WaitStep>(step.body).duration;
      const TimePoint due = TimePoint(*rec.started_at) + d;
      if (due <= now) {
        LL_TRY(FinishStep(ctx, step, rec, StepState::kDone, fmt::format("waited {}", Human(d))));
        return StepState::kDone;
      }
      LL_TRY(
          Schedule(kWaitTimer, StepKey(ctx.id(), ctx.name(), step.id) + "/wait", due,
                   json{{"incident", ctx.id()}, {"response", ctx.name()}, {"step", step.id}}.dump(),
                   ctx.id()));
      LL_TRY(FinishStep(ctx, step, rec, StepState::kWaiting,
                        fmt::format("waits {}, until {}", Human(d), Hms(due))));
      return StepState::kWaiting;
    }
    case StepKind::kApprove: {
      auto asked = RunApprove(ctx, step, std::get<ApproveStep>(step.body));
      if (!asked.ok()) return OnStepError(ctx, step, std::move(rec), asked.error().message());
      LL_TRY(FinishStep(ctx, step, rec, StepState::kWaiting, *asked));
      return StepState::kWaiting;
    }
    case StepKind::kParallel:
      return Drive(ctx, step);  // not reached: Drive runs groups itself
  }
  if (!outcome.ok()) return OnStepError(ctx, step, std::move(rec), outcome.error().message());
  LL_TRY(FinishStep(ctx, step, rec, StepState::kDone, *outcome));
  if (mitigates) {
    MoveLifecycle(ctx.id(), {Lifecycle::kDetected, Lifecycle::kAcknowledged},
                  Lifecycle::kMitigating, kEngineName,
                  fmt::format("step {}: {}", step.id, *outcome));
  }
  return StepState::kDone;
}

Status Engine::FinishStep(Ctx& ctx, const Step& step, store::StepRecord rec, StepState to,
                          std::string note, std::string error) {
  const TimePoint now = Now();
  rec.state = to;
  rec.note = std::move(note);
  rec.last_error = std::move(error);
  rec.updated_at = StoreTime(now);
  if (store::IsFinal(to)) rec.ended_at = StoreTime(now);
  LL_TRY(store_.Playbook().PutStep(rec));
  std::string message;
  switch (to) {
    case StepState::kDone:
      message = fmt::format("Step {} done: {}", step.id, rec.note);
      break;
    case StepState::kFailed:
      message = fmt::format("Step {} failed: {} ({})", step.id, rec.last_error, rec.note);
      break;
    case StepState::kSkipped:
      message = fmt::format("Step {} skipped: {}", step.id, rec.note);
      break;
    default:
      message = fmt::format("Step {} {}", step.id, rec.note);
      break;
  }
  Timeline(ctx.id(), StepEventType(to), std::move(message),
           json{{"response", ctx.name()},
                {"step", step.id},
                {"kind", StepKindName(step.kind())},
                {"state", store::StepStateName(to)},
                {"attempts", rec.attempts},
                {"error", rec.last_error},
                {"by", kEngineName}}
               .dump());
  return core::Ok();
}

Result<StepState> Engine::OnStepError(Ctx& ctx, const Step& step, store::StepRecord rec,
                                      const std::string& error) {
  const OnError& oe = step.on_error;
  OnError::Action action = oe.action;
  const TimePoint now = Now();
  if (action == OnError::Action::kRetry) {
    if (rec.attempts < oe.attempts) {
      const TimePoint due = now + oe.retry_every;
      LL_TRY(Schedule(
          kRetryTimer,
          fmt::format("{}/retry/{}", StepKey(ctx.id(), ctx.name(), step.id), rec.attempts), due,
          json{{"incident", ctx.id()},
               {"response", ctx.name()},
               {"step", step.id},
               {"attempt", rec.attempts}}
              .dump(),
          ctx.id()));
      rec.state = StepState::kWaiting;
      rec.last_error = error;
      rec.note =
          fmt::format("attempt {} of {} failed; next at {}", rec.attempts, oe.attempts, Hms(due));
      rec.updated_at = StoreTime(now);
      LL_TRY(store_.Playbook().PutStep(rec));
      Timeline(ctx.id(), "playbook_step_failed",
               fmt::format("Step {} failed (attempt {} of {}): {}; trying again at {}", step.id,
                           rec.attempts, oe.attempts, error, Hms(due)),
               json{{"response", ctx.name()},
                    {"step", step.id},
                    {"attempts", rec.attempts},
                    {"error", error},
                    {"on_error", "retry"}}
                   .dump());
      return StepState::kWaiting;
    }
    action = oe.then;
  }
  LL_TRY(FinishStep(ctx, step, rec, StepState::kFailed,
                    fmt::format("on_error: {}", OnErrorActionName(action)), error));
  switch (action) {
    case OnError::Action::kStop:
      LL_TRY(StopRun(ctx, fmt::format("step {} failed: {}", step.id, error)));
      break;
    case OnError::Action::kEscalate: {
      const std::string policy = oe.escalation.empty() ? ctx.response->escalation : oe.escalation;
      const EscalationPolicy* pol = plan_.FindPolicy(policy);
      if (pol == nullptr) {
        Timeline(ctx.id(), "playbook_escalated",
                 fmt::format("Step {} failed and should be escalated, but the response names no "
                             "escalation policy: nobody was told",
                             step.id),
                 json{{"response", ctx.name()}, {"step", step.id}}.dump());
        break;
      }
      store::NewAssignment na;
      na.key = AssignmentKey(ctx.id(), ctx.name(), step.id) + "/failed";
      na.incident_id = ctx.id();
      na.response = ctx.name();
      na.step_id = step.id;
      na.kind = AssignmentKind::kNotification;
      na.title = fmt::format("Step {} of response {} failed: {}", step.id, ctx.name(), error);
      na.escalation = pol->name;
      na.created_at = StoreTime(now);
      LL_ASSIGN(store::CreatedAssignment ca, store_.Playbook().CreateAssignment(na));
      if (ca.created) {
        Timeline(
            ctx.id(), "playbook_assigned",
            fmt::format("Escalating the failure of step {} through policy {}", step.id, pol->name),
            json{{"assignment", ca.assignment.id},
                 {"kind", "notification"},
                 {"step", step.id},
                 {"escalation", pol->name}}
                .dump());
      }
      // Level 0 at once: nobody was given this before.
      LL_TRY(ScheduleEscalation(ca.assignment, 0, TimePoint(ca.assignment.created_at)));
      break;
    }
    default:
      break;
  }
  return StepState::kFailed;
}

Status Engine::StopRun(Ctx& ctx, const std::string& reason) {
  ctx.stopped = true;
  auto ended = store_.Playbook().EndRun(ctx.id(), ctx.name(), store::RunState::kStopped, reason,
                                        StoreTime(Now()));
  if (!ended.ok()) {
    if (ended.error().code() == ErrorCode::kFailedPrecondition) return core::Ok();
    return ended.error();
  }
  Timeline(ctx.id(), "playbook_response_stopped",
           fmt::format("Response {} stopped: {}", ctx.name(), reason),
           json{{"response", ctx.name()}, {"reason", reason}, {"by", kEngineName}}.dump());
  LL_TRY(SkipRemaining(ctx, ctx.response->steps, "the response stopped"));
  // Requests still open for this response no longer hold anything.
  LL_ASSIGN(auto open, store_.Playbook().ListAssignments(
                           {ctx.id(), AssignmentState::kOpen, AssignmentKind::kApproval, 1000}));
  for (const store::Assignment& a : open) {
    if (a.response != ctx.name()) continue;
    auto moved =
        store_.Playbook().MoveAssignment({a.id, AssignmentState::kExpired, std::string(kEngineName),
                                          "the response stopped", StoreTime(Now())});
    if (moved.ok()) {
      Timeline(ctx.id(), "playbook_expired",
               fmt::format("Approval '{}' expired: the response stopped", a.title),
               json{{"assignment", a.id}, {"by", kEngineName}}.dump());
    }
  }
  return core::Ok();
}

Status Engine::SkipRemaining(Ctx& ctx, const std::vector<Step>& steps, const std::string& why) {
  for (const Step& s : steps) {
    LL_ASSIGN(store::StepRecord rec, LoadStep(ctx, s.id));
    if (store::IsFinal(rec.state)) continue;
    if (const auto* group = std::get_if<ParallelStep>(&s.body)) {
      LL_TRY(SkipRemaining(ctx, group->steps, why));
    }
    LL_TRY(FinishStep(ctx, s, rec, StepState::kSkipped, why, rec.last_error));
  }
  return core::Ok();
}

// ---- the steps ----

Result<SentMessage> Engine::Tell(Ctx& ctx, const std::string& step_id, const Person& person,
                                 OutgoingMessage m, const std::string& key) {
  m.contact = person.contact;
  m.channel.clear();
  m.idempotency_key = key;
  m.incident_id = ctx.id();
  if (!m.literal) m.vars = ctx.vars;
  auto sent = messenger_.Send(m);
  if (!sent.ok()) return sent;
  if (sent->created) {
    Timeline(ctx.id(), "playbook_message",
             fmt::format("Told {}{} (step {})", person.name,
                         sent->channel.empty() ? "" : " via " + sent->channel, step_id),
             json{{"response", ctx.name()},
                  {"step", step_id},
                  {"person", person.id},
                  {"channel", sent->channel},
                  {"key", key},
                  {"by", kEngineName}}
                 .dump());
  }
  return sent;
}

Result<std::string> Engine::RunNotify(Ctx& ctx, const Step& step, const NotifyStep& n) {
  const TimePoint now = Now();
  std::vector<const Person*> people;
  for (const Target& t : n.to) {
    for (const Person* p : plan_.Reach(t, now)) {
      if (std::find(people.begin(), people.end(), p) == people.end()) people.push_back(p);
    }
  }
  if (people.empty()) return MakeError(ErrorCode::kFailedPrecondition, "nobody to tell");
  std::optional<store::Assignment> asg;
  if (const EscalationPolicy* pol = plan_.FindPolicy(n.escalation)) {
    std::vector<std::string> targets, ids;
    for (const Target& t : n.to) targets.push_back(t.name);
    for (const Person* p : people) ids.push_back(p->id);
    store::NewAssignment na;
    na.key = AssignmentKey(ctx.id(), ctx.name(), step.id);
    na.incident_id = ctx.id();
    na.response = ctx.name();
    na.step_id = step.id;
    na.kind = AssignmentKind::kNotification;
    na.title = fmt::format("{} incident: the team alert of step {}", ctx.vars.platform, step.id);
    na.role = Join(targets);
    na.assignee = people.front()->id;
    na.notified = ids;
    na.escalation = pol->name;
    na.created_at = StoreTime(now);
    LL_ASSIGN(store::CreatedAssignment ca, store_.Playbook().CreateAssignment(na));
    asg = ca.assignment;
    if (ca.created) {
      Timeline(ctx.id(), "playbook_assigned",
               fmt::format("Waiting for an acknowledgement of step {} from {} (escalation {} "
                           "after {})",
                           step.id, Join(targets), pol->name, Human(pol->after)),
               json{{"assignment", asg->id}, {"kind", "notification"}, {"step", step.id}}.dump());
    }
    LL_TRY(ScheduleEscalation(*asg, 0, TimePoint(asg->created_at) + pol->after));
  }
  std::vector<std::string> told, errors;
  for (const Person* p : people) {
    OutgoingMessage m;
    m.template_name = n.message.template_name;
    m.text = n.message.text;
    m.subject = n.message.subject;
    if (asg) m.footer = LinksFooter(*asg, p);
    auto sent =
        Tell(ctx, step.id, *p, std::move(m), StepKey(ctx.id(), ctx.name(), step.id) + "/" + p->id);
    if (sent.ok()) {
      told.push_back(sent->channel.empty() ? p->name : p->name + " via " + sent->channel);
    } else {
      errors.push_back(fmt::format("{}: {}", p->name, sent.error().message()));
    }
  }
  if (!errors.empty()) {
    return MakeError(ErrorCode::kUnavailable, "not sent to {}{}", Join(errors, "; "),
                     told.empty() ? "" : " (told " + Join(told) + ")");
  }
  return "told " + Join(told);
}

Result<std::string> Engine::RunPost(Ctx& ctx, const Step& step, const PostStep& p) {
  std::vector<const InventoryChannel*> on;
  std::vector<std::string> left_out;
  if (p.on.empty()) {
    on = plan_.Surviving(ctx.failure);
  } else {
    for (const std::string& id : p.on) {
      const InventoryChannel* c = plan_.FindInventory(id);
      if (c == nullptr || c->channel.empty()) continue;
      if (plan_.Fails(*c, ctx.failure)) {
        left_out.push_back(c->name);
        continue;
      }
      on.push_back(c);
    }
  }
  if (on.empty()) {
    return MakeError(ErrorCode::kFailedPrecondition, "no surviving channel to post on{}",
                     left_out.empty() ? "" : " (" + Join(left_out) + " ride the failure)");
  }
  std::vector<std::string> posted, errors;
  for (const InventoryChannel* c : on) {
    OutgoingMessage m;
    m.channel = c->channel;
    m.template_name = p.message.template_name;
    m.text = p.message.text;
    m.subject = p.message.subject;
    m.vars = ctx.vars;
    m.idempotency_key = StepKey(ctx.id(), ctx.name(), step.id) + "/" + c->id;
    m.incident_id = ctx.id();
    auto sent = messenger_.Send(m);
    if (!sent.ok()) {
      errors.push_back(fmt::format("{}: {}", c->name, sent.error().message()));
      continue;
    }
    posted.push_back(c->name);
    if (sent->created) {
      Timeline(ctx.id(), "playbook_message",
               fmt::format("Posted on {} ({}) (step {})", c->name, c->channel, step.id),
               json{{"response", ctx.name()},
                    {"step", step.id},
                    {"inventory", c->id},
                    {"channel", c->channel},
                    {"key", m.idempotency_key},
                    {"by", kEngineName}}
                   .dump());
    }
  }
  if (!errors.empty()) {
    return MakeError(ErrorCode::kUnavailable, "not posted on {}{}", Join(errors, "; "),
                     posted.empty() ? "" : " (posted on " + Join(posted) + ")");
  }
  std::string note = "posted on " + Join(posted);
  if (!left_out.empty()) note += " (not on " + Join(left_out) + ": they ride the failure)";
  return note;
}

Result<std::string> Engine::RunTask(Ctx& ctx, const Step& step, const TaskStep& t) {
  const TimePoint now = Now();
  std::vector<const Person*> people = plan_.Reach(Target{Target::Kind::kRole, t.role}, now);
  if (people.empty()) {
    return MakeError(ErrorCode::kFailedPrecondition, "nobody holds role {}", t.role);
  }
  const std::string policy = t.escalation.empty() ? ctx.response->escalation : t.escalation;
  const EscalationPolicy* pol = plan_.FindPolicy(policy);
  std::vector<std::string> ids;
  for (const Person* p : people) ids.push_back(p->id);
  store::NewAssignment na;
  na.key = AssignmentKey(ctx.id(), ctx.name(), step.id);
  na.incident_id = ctx.id();
  na.response = ctx.name();
  na.step_id = step.id;
  na.kind = AssignmentKind::kTask;
  na.title = t.title;
  na.role = t.role;
  na.assignee = people.front()->id;
  na.notified = ids;
  na.escalation = pol ? pol->name : "";
  na.created_at = StoreTime(now);
  LL_ASSIGN(store::CreatedAssignment ca, store_.Playbook().CreateAssignment(na));
  const store::Assignment& a = ca.assignment;
  const Person* assignee = plan_.FindPerson(a.assignee);
  if (ca.created) {
    Timeline(ctx.id(), "playbook_assigned",
             fmt::format(
                 "Task '{}' assigned to {}, role {}{}", a.title,
                 assignee ? assignee->name : a.assignee, a.role,
                 pol ? fmt::format("; escalation {} after {}", pol->name, Human(pol->after)) : ""),
             json{{"assignment", a.id},
                  {"kind", "task"},
                  {"step", step.id},
                  {"assignee", a.assignee},
                  {"by", kEngineName}}
                 .dump());
  }
  if (pol) LL_TRY(ScheduleEscalation(a, 0, TimePoint(a.created_at) + pol->after));
  std::vector<std::string> errors;
  for (const Person* p : people) {
    OutgoingMessage m;
    m.literal = true;
    m.text = fmt::format("Task for you ({} incident {}): {}", ctx.vars.platform, ctx.id(), a.title);
    m.subject = fmt::format("[Lifeline] Task: {}", a.title);
    m.footer = LinksFooter(a, p);
    auto sent =
        Tell(ctx, step.id, *p, std::move(m), StepKey(ctx.id(), ctx.name(), step.id) + "/" + p->id);
    if (!sent.ok()) errors.push_back(fmt::format("{}: {}", p->name, sent.error().message()));
  }
  if (!errors.empty()) {
    return MakeError(ErrorCode::kUnavailable, "task not sent to {}", Join(errors, "; "));
  }
  return fmt::format("assigned to {}", assignee ? assignee->name : a.assignee);
}

Result<std::string> Engine::RunApprove(Ctx& ctx, const Step& step, const ApproveStep& ap) {
  const TimePoint now = Now();
  std::vector<const Person*> people = plan_.Reach(Target{Target::Kind::kRole, ap.role}, now);
  if (people.empty()) {
    return MakeError(ErrorCode::kFailedPrecondition, "nobody holds role {}", ap.role);
  }
  const std::string policy = ap.escalation.empty() ? ctx.response->escalation : ap.escalation;
  const EscalationPolicy* pol =
      ap.on_timeout == ApproveStep::OnTimeout::kEscalate ? plan_.FindPolicy(policy) : nullptr;
  std::vector<std::string> ids;
  for (const Person* p : people) ids.push_back(p->id);
  store::NewAssignment na;
  na.key = AssignmentKey(ctx.id(), ctx.name(), step.id);
  na.incident_id = ctx.id();
  na.response = ctx.name();
  na.step_id = step.id;
  na.kind = AssignmentKind::kApproval;
  na.title = ap.what;
  na.role = ap.role;
  na.assignee = people.front()->id;
  na.notified = ids;
  na.escalation = pol ? pol->name : "";
  na.created_at = StoreTime(now);
  LL_ASSIGN(store::CreatedAssignment ca, store_.Playbook().CreateAssignment(na));
  const store::Assignment& a = ca.assignment;
  const TimePoint deadline = TimePoint(a.created_at) + ap.timeout;
  if (ca.created) {
    Timeline(ctx.id(), "playbook_assigned",
             fmt::format("Approval asked of {}: '{}'; answer by {} (then {})", ap.role, a.title,
                         Hms(deadline), OnTimeoutName(ap.on_timeout)),
             json{{"assignment", a.id},
                  {"kind", "approval"},
                  {"step", step.id},
                  {"role", ap.role},
                  {"by", kEngineName}}
                 .dump());
  }
  if (pol) {
    LL_TRY(ScheduleEscalation(a, 0, deadline));
  } else {
    LL_TRY(Schedule(kApprovalTimer, ApprovalTimeoutKey(a.key), deadline,
                    json{{"incident", ctx.id()},
                         {"response", ctx.name()},
                         {"step", step.id},
                         {"assignment", a.id}}
                        .dump(),
                    ctx.id()));
  }
  std::vector<std::string> errors, told;
  for (const Person* p : people) {
    OutgoingMessage m;
    m.literal = true;
    m.text = fmt::format("Approval needed ({} incident {}): {}. Please answer by {}.",
                         ctx.vars.platform, ctx.id(), a.title, Hm(deadline));
    m.subject = fmt::format("[Lifeline] Approval needed: {}", a.title);
    m.footer = LinksFooter(a, p);
    auto sent =
        Tell(ctx, step.id, *p, std::move(m), StepKey(ctx.id(), ctx.name(), step.id) + "/" + p->id);
    if (sent.ok()) {
      told.push_back(p->name);
    } else {
      errors.push_back(fmt::format("{}: {}", p->name, sent.error().message()));
    }
  }
  if (!errors.empty()) {
    return MakeError(ErrorCode::kUnavailable, "approval request not sent to {}",
                     Join(errors, "; "));
  }
  return fmt::format("waits for approval by {} ({}) until {}", ap.role, Join(told), Hms(deadline));
}

Status Engine::OnWait(const store::Timer& t) {
  LL_ASSIGN(json p, Payload(t));
  const auto incident = Str(p, "incident");
  const auto response = Str(p, "response");
  const auto step_id = Str(p, "step");
  if (!incident || !response || !step_id) {
    return MakeError(ErrorCode::kInvalidArgument, "bad payload {}", t.key);
  }
  auto ctx = LoadCtx(*incident, *response);
  if (!ctx.ok()) return IsNotFound(ctx.error()) ? core::Ok() : Status(ctx.error());
  const Step* step = ctx->response->FindStep(*step_id);
  if (step == nullptr) return core::Ok();
  LL_ASSIGN(store::StepRecord rec, LoadStep(*ctx, *step_id));
  if (rec.state == StepState::kWaiting) {
    LL_TRY(FinishStep(*ctx, *step, rec, StepState::kDone,
                      fmt::format("waited {}", Human(std::get<WaitStep>(step->body).duration))));
  }
  return Advance(*ctx);
}

Status Engine::OnRetry(const store::Timer& t) {
  LL_ASSIGN(json p, Payload(t));
  const auto incident = Str(p, "incident");
  const auto response = Str(p, "response");
  const auto step_id = Str(p, "step");
  const auto attempt = Int(p, "attempt");
  if (!incident || !response || !step_id || !attempt) {
    return MakeError(ErrorCode::kInvalidArgument, "bad payload {}", t.key);
  }
  auto ctx = LoadCtx(*incident, *response);
  if (!ctx.ok()) return IsNotFound(ctx.error()) ? core::Ok() : Status(ctx.error());
  LL_ASSIGN(store::StepRecord rec, LoadStep(*ctx, *step_id));
  // Only the retry this timer was for (a timer that fires twice retries once).
  if (rec.state == StepState::kWaiting && rec.attempts == *attempt) {
    rec.state = StepState::kRunning;
    rec.updated_at = StoreTime(Now());
    LL_TRY(store_.Playbook().PutStep(rec));
  }
  return Advance(*ctx);
}

Status Engine::OnApprovalTimeout(const store::Timer& t) {
  LL_ASSIGN(json p, Payload(t));
  const auto assignment = Str(p, "assignment");
  if (!assignment) return MakeError(ErrorCode::kInvalidArgument, "bad payload {}", t.key);
  auto a = store_.Playbook().GetAssignment(*assignment);
  if (!a.ok()) return IsNotFound(a.error()) ? core::Ok() : Status(a.error());
  if (a->state != AssignmentState::kOpen) return core::Ok();
  auto ctx = LoadCtx(a->incident_id, a->response);
  if (!ctx.ok()) return IsNotFound(ctx.error()) ? core::Ok() : Status(ctx.error());
  const Step* step = ctx->response->FindStep(a->step_id);
  if (step == nullptr || step->kind() != StepKind::kApprove) return core::Ok();
  const ApproveStep& ap = std::get<ApproveStep>(step->body);
  if (ap.on_timeout == ApproveStep::OnTimeout::kEscalate) {
    Timeline(a->incident_id, "playbook_escalation_ended",
             fmt::format("Approval '{}' not decided within {} and no escalation policy applies: "
                         "it stays open, and the steps after it wait",
                         a->title, Human(ap.timeout)),
             json{{"assignment", a->id}}.dump());
    return core::Ok();
  }
  LL_ASSIGN(store::Assignment expired,
            store_.Playbook().MoveAssignment(
                {a->id, AssignmentState::kExpired, std::string(kEngineName),
                 fmt::format("not decided within {}", Human(ap.timeout)), StoreTime(Now())}));
  Timeline(a->incident_id, "playbook_expired",
           fmt::format("Approval '{}' expired: not decided within {}", a->title, Human(ap.timeout)),
           json{{"assignment", a->id}, {"by", kEngineName}}.dump());
  LL_ASSIGN(store::StepRecord rec, LoadStep(*ctx, step->id));
  if (store::IsFinal(rec.state)) return Advance(*ctx);
  if (ap.on_timeout == ApproveStep::OnTimeout::kContinue) {
    LL_TRY(
        FinishStep(*ctx, *step, rec, StepState::kSkipped,
                   fmt::format("not approved within {}: going on without it", Human(ap.timeout))));
    return Advance(*ctx);
  }
  LL_TRY(FinishStep(*ctx, *step, rec, StepState::kFailed, "on_timeout: stop",
                    fmt::format("not approved within {}", Human(ap.timeout))));
  return StopRun(*ctx,
                 fmt::format("approval '{}' not decided within {}", a->title, Human(ap.timeout)));
}

}  // namespace lifeline::playbook
