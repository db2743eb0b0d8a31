// The playbook engine's side facing people (engine.h): escalation of what nobody acknowledged,
// acknowledgements, tasks done, approvals decided, reviews, and one-time acknowledgement links.
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

// ---- escalation ----

Status Engine::ScheduleEscalation(const store::Assignment& a, int level, TimePoint first) {
  const EscalationPolicy* pol = plan_.FindPolicy(a.escalation);
  if (pol == nullptr || level > pol->Levels()) return core::Ok();
  return Schedule(kEscalateTimer, EscalateKey(a.key, level), pol->DueAt(first, level),
                  json{{"assignment", a.id}, {"level", level}, {"first", Ms(first)}}.dump(),
                  a.incident_id);
}

Status Engine::OnEscalate(const store::Timer& t) {
  LL_ASSIGN(json p, Payload(t));
  const auto id = Str(p, "assignment");
  const auto level_opt = Int(p, "level");
  const auto first_ms = Int(p, "first");
  if (!id || !level_opt || !first_ms) {
    return MakeError(ErrorCode::kInvalidArgument, "bad payload {}", t.key);
  }
  const int level = static_cast<int>(*level_opt);
  auto got = store_.Playbook().GetAssignment(*id);
  if (!got.ok()) return IsNotFound(got.error()) ? core::Ok() : Status(got.error());
  store::Assignment a = *got;
  // An acknowledgement (a decision) ends the chase.
  if (store::IsFinal(a.kind, a.state) || a.state == AssignmentState::kAcknowledged) {
    return core::Ok();
  }
  const EscalationPolicy* pol = plan_.FindPolicy(a.escalation);
  if (pol == nullptr) return core::Ok();
  const TimePoint now = Now();
  const std::string waited =
      Human(std::chrono::duration_cast<Duration>(now - TimePoint(a.created_at)));
  if (level >= pol->Levels()) {
    const int before = a.escalation_level;
    LL_ASSIGN(a, store_.Playbook().RecordEscalation(a.id, level, {}, StoreTime(now)));
    if (before < level) {
      Timeline(
          a.incident_id, "playbook_escalation_ended",
          fmt::format("Nobody acknowledged '{}' through the {} level{} of escalation {} "
                      "(after {}): it stays open",
                      a.title, pol->Levels(), pol->Levels() == 1 ? "" : "s", pol->name, waited),
          json{{"assignment", a.id}, {"levels", pol->Levels()}, {"by", kEngineName}}.dump());
    }
    return core::Ok();
  }
  auto ctx = LoadCtx(a.incident_id, a.response);
  if (!ctx.ok()) return IsNotFound(ctx.error()) ? core::Ok() : Status(ctx.error());
  const std::optional<Target> target = pol->Level(level);
  std::vector<const Person*> people = plan_.Reach(*target, now);
  const Person* assignee = plan_.FindPerson(a.assignee);
  std::vector<std::string> ids, names, errors;
  for (const Person* person : people) {
    OutgoingMessage m;
    m.literal = true;
    if (a.kind == AssignmentKind::kApproval) {
      m.text = fmt::format("Approval needed, no answer from {} for {} ({} incident {}): {}", a.role,
                           waited, ctx->vars.platform, a.incident_id, a.title);
      m.subject = fmt::format("[Lifeline] Escalated: approval needed: {}", a.title);
    } else if (a.notified.empty() && level == 0) {
      // Nobody was given it before (a failed step escalated at once).
      m.text = fmt::format("Needs attention ({} incident {}): {}", ctx->vars.platform,
                           a.incident_id, a.title);
      m.subject = fmt::format("[Lifeline] Needs attention: {}", a.title);
    } else {
      m.text = fmt::format(
          "Not acknowledged after {}: {}.{} Can you take it? ({} incident {})", waited, a.title,
          assignee ? fmt::format(" It was given to {}.", assignee->name) : std::string(),
          ctx->vars.platform, a.incident_id);
      m.subject = fmt::format("[Lifeline] Escalated: {}", a.title);
    }
    m.footer = LinksFooter(a, person);
    auto sent = Tell(*ctx, a.step_id, *person, std::move(m),
                     fmt::format("{}/{}", EscalateKey(a.key, level), person->id));
    if (sent.ok()) {
      ids.push_back(person->id);
      names.push_back(person->name);
    } else {
      errors.push_back(fmt::format("{}: {}", person->name, sent.error().message()));
    }
  }
  if (ids.empty() && !errors.empty()) {
    // Nobody of this level could be told: the scheduler tries again (the messages are keyed, so
    // those that went out do not go out twice).
    return MakeError(ErrorCode::kUnavailable, "escalation level {} of {}: {}", level + 1, a.title,
                     Join(errors, "; "));
  }
  const int before = a.escalation_level;
  LL_ASSIGN(a, store_.Playbook().RecordEscalation(a.id, level, ids, StoreTime(now)));
  if (before < level) {
    Timeline(a.incident_id, "playbook_escalated",
             fmt::format("Not acknowledged after {}: '{}' escalated to {}: {}, level {} of {}{}",
                         waited, a.title, Join(names), target->name, level + 1, pol->Levels(),
                         errors.empty() ? "" : "; not reached: " + Join(errors, "; ")),
             json{{"assignment", a.id},
                  {"level", level},
                  {"target", target->name},
                  {"people", ids},
                  {"by", kEngineName}}
                 .dump());
  }
  return ScheduleEscalation(a, level + 1, FromMs(*first_ms));
}

// ---- people's actions ----

namespace {
Status CheckWho(std::string_view who) {
  if (who.empty()) return MakeError(ErrorCode::kInvalidArgument, "who acted is empty");
  return core::Ok();
}
}  // namespace

Result<store::Assignment> Engine::Acknowledge(std::string_view assignment, std::string_view who) {
  LL_TRY(CheckWho(who));
  std::lock_guard lock(mu_);
  if (!running_) return MakeError(ErrorCode::kUnavailable, "the playbook engine is not running");
  return AcknowledgeLocked(assignment, who);
}

Result<store::Assignment> Engine::Done(std::string_view assignment, std::string_view who) {
  LL_TRY(CheckWho(who));
  std::lock_guard lock(mu_);
  if (!running_) return MakeError(ErrorCode::kUnavailable, "the playbook engine is not running");
  return DoneLocked(assignment, who);
}

Result<store::Assignment> Engine::Approve(std::string_view approval, std::string_view who) {
  LL_TRY(CheckWho(who));
  std::lock_guard lock(mu_);
  if (!running_) return MakeError(ErrorCode::kUnavailable, "the playbook engine is not running");
  return Decide(approval, AssignmentState::kApproved, who, "");
}

Result<store::Assignment> Engine::Refuse(std::string_view approval, std::string_view who,
                                         std::string_view why) {
  LL_TRY(CheckWho(who));
  std::lock_guard lock(mu_);
  if (!running_) return MakeError(ErrorCode::kUnavailable, "the playbook engine is not running");
  return Decide(approval, AssignmentState::kRefused, who, why);
}

namespace {
std::string NameOf(const Plan& plan, std::string_view who) {
  const Person* p = plan.FindPerson(who);
  return p ? p->name : std::string(who);
}
}  // namespace

Result<store::Assignment> Engine::AcknowledgeLocked(std::string_view id, std::string_view who) {
  LL_ASSIGN(store::Assignment cur, store_.Playbook().GetAssignment(id));
  if (cur.kind == AssignmentKind::kApproval) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "approval {} is approved or refused, not acknowledged", cur.id);
  }
  const TimePoint now = Now();
  LL_ASSIGN(store::Assignment a,
            store_.Playbook().MoveAssignment(
                {cur.id, AssignmentState::kAcknowledged, std::string(who), "", StoreTime(now)}));
  Timeline(a.incident_id, "playbook_acknowledged",
           fmt::format("{} acknowledged {} '{}' ({} after it was given)", NameOf(plan_, who),
                       AssignmentKindName(a.kind), a.title,
                       Human(std::chrono::duration_cast<Duration>(now - TimePoint(a.created_at)))),
           json{{"assignment", a.id}, {"by", who}, {"at", core::FormatTime(now)}}.dump());
  (void)scheduler_.Cancel(EscalateKey(a.key, a.escalation_level + 1));
  MoveLifecycle(a.incident_id, {Lifecycle::kDetected}, Lifecycle::kAcknowledged, who,
                fmt::format("acknowledged '{}'", a.title));
  return a;
}

Result<store::Assignment> Engine::DoneLocked(std::string_view id, std::string_view who) {
  LL_ASSIGN(store::Assignment cur, store_.Playbook().GetAssignment(id));
  if (cur.kind != AssignmentKind::kTask) {
    return MakeError(ErrorCode::kInvalidArgument, "{} {} is not a task: only tasks are done",
                     AssignmentKindName(cur.kind), cur.id);
  }
  const TimePoint now = Now();
  LL_ASSIGN(store::Assignment a,
            store_.Playbook().MoveAssignment(
                {cur.id, AssignmentState::kDone, std::string(who), "", StoreTime(now)}));
  Timeline(a.incident_id, "playbook_done",
           fmt::format("{} did task '{}' ({} after it was given)", NameOf(plan_, who), a.title,
                       Human(std::chrono::duration_cast<Duration>(now - TimePoint(a.created_at)))),
           json{{"assignment", a.id}, {"by", who}, {"at", core::FormatTime(now)}}.dump());
  if (cur.state == AssignmentState::kOpen) {
    (void)scheduler_.Cancel(EscalateKey(a.key, a.escalation_level + 1));
    MoveLifecycle(a.incident_id, {Lifecycle::kDetected}, Lifecycle::kAcknowledged, who,
                  fmt::format("did '{}'", a.title));
  }
  return a;
}

Result<store::Assignment> Engine::Decide(std::string_view id, AssignmentState to,
                                         std::string_view who, std::string_view why) {
  LL_ASSIGN(store::Assignment cur, store_.Playbook().GetAssignment(id));
  if (cur.kind != AssignmentKind::kApproval) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "{} {} is not an approval: acknowledge it (or mark it done) instead",
                     AssignmentKindName(cur.kind), cur.id);
  }
  const TimePoint now = Now();
  LL_ASSIGN(store::Assignment a,
            store_.Playbook().MoveAssignment(
                {cur.id, to, std::string(who), std::string(why), StoreTime(now)}));
  const bool approved = to == AssignmentState::kApproved;
  Timeline(
      a.incident_id, approved ? "playbook_approved" : "playbook_refused",
      fmt::format("{} {} '{}'{} ({} after it was asked)", NameOf(plan_, who),
                  approved ? "approved" : "refused", a.title,
                  why.empty() ? "" : fmt::format(": {}", why),
                  Human(std::chrono::duration_cast<Duration>(now - TimePoint(a.created_at)))),
      json{{"assignment", a.id}, {"by", who}, {"at", core::FormatTime(now)}, {"why", why}}.dump());
  (void)scheduler_.Cancel(EscalateKey(a.key, a.escalation_level + 1));
  (void)scheduler_.Cancel(ApprovalTimeoutKey(a.key));
  MoveLifecycle(a.incident_id, {Lifecycle::kDetected}, Lifecycle::kAcknowledged, who,
                fmt::format("{} '{}'", approved ? "approved" : "refused", a.title));
  LL_TRY(AfterDecision(a, who));
  return a;
}

Status Engine::AfterDecision(const store::Assignment& a, std::string_view who) {
  auto ctx = LoadCtx(a.incident_id, a.response);
  if (!ctx.ok()) return IsNotFound(ctx.error()) ? core::Ok() : Status(ctx.error());
  const Step* step = ctx->response->FindStep(a.step_id);
  if (step == nullptr) return core::Ok();
  LL_ASSIGN(store::StepRecord rec, LoadStep(*ctx, step->id));
  if (store::IsFinal(rec.state)) return core::Ok();
  if (a.state == AssignmentState::kApproved) {
    LL_TRY(FinishStep(*ctx, *step, rec, StepState::kDone,
                      fmt::format("approved by {}", NameOf(plan_, who))));
    return Advance(*ctx);
  }
  const std::string why =
      fmt::format("refused by {}{}", NameOf(plan_, who), a.note.empty() ? "" : ": " + a.note);
  LL_TRY(FinishStep(*ctx, *step, rec, StepState::kFailed, "the response stops", why));
  return StopRun(*ctx, fmt::format("approval '{}' {}", a.title, why));
}

Result<store::IncidentLifecycle> Engine::MarkReviewed(std::string_view incident,
                                                      std::string_view who) {
  LL_TRY(CheckWho(who));
  std::lock_guard lock(mu_);
  if (!running_) return MakeError(ErrorCode::kUnavailable, "the playbook engine is not running");
  store::LifecycleMove mv;
  mv.incident_id = std::string(incident);
  mv.from = {Lifecycle::kResolved};
  mv.to = Lifecycle::kReviewed;
  mv.by = std::string(who);
  mv.note = "reviewed";
  mv.at = StoreTime(Now());
  LL_ASSIGN(store::IncidentLifecycle lc, store_.Playbook().MoveLifecycle(mv));
  Timeline(mv.incident_id, "playbook_lifecycle",
           fmt::format("Lifecycle: resolved -> reviewed by {}", NameOf(plan_, who)),
           json{{"from", "resolved"}, {"to", "reviewed"}, {"by", who}}.dump());
  return lc;
}

// ---- links ----

Status Engine::SetLinkBase(std::string base) {
  if (base.rfind("http://", 0) != 0 && base.rfind("https://", 0) != 0) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "link base '{}' is not an http:// or https:// URL", base);
  }
  while (!base.empty() && base.back() == '/') base.pop_back();
  std::lock_guard lock(mu_);
  options_.link_base = std::move(base);
  return core::Ok();
}

std::string Engine::LinksFooter(const store::Assignment& a, const Person* to) {
  if (options_.link_base.empty() || options_.link_secret.empty()) return "";
  std::vector<std::pair<std::string, LinkAction>> actions;
  if (a.kind == AssignmentKind::kApproval) {
    actions = {{"Approve", LinkAction::kApprove}, {"Refuse", LinkAction::kRefuse}};
  } else {
    actions = {{"Acknowledge", LinkAction::kAcknowledge}};
  }
  std::string footer;
  for (const auto& [label, action] : actions) {
    auto url = IssueLinkLocked(a.id, action, to ? to->id : "");
    if (!url.ok()) {
      Log(fmt::format("playbook: no {} link for {}: {}", LinkActionName(action), a.id,
                      url.error().message()));
      continue;
    }
    footer += (footer.empty() ? "" : "\n") + label + ": " + *url;
  }
  return footer;
}

Result<std::string> Engine::IssueLink(std::string_view assignment, LinkAction action,
                                      std::string_view person) {
  std::lock_guard lock(mu_);
  return IssueLinkLocked(assignment, action, person);
}

Result<std::string> Engine::IssueLinkLocked(std::string_view assignment, LinkAction action,
                                            std::string_view person) {
  if (options_.link_base.empty() || options_.link_secret.empty()) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "acknowledgement links are off (no link base URL or secret configured)");
  }
  LL_ASSIGN(store::Assignment a, store_.Playbook().GetAssignment(assignment));
  const bool fits = a.kind == AssignmentKind::kApproval
                        ? (action == LinkAction::kApprove || action == LinkAction::kRefuse)
                        : (action == LinkAction::kAcknowledge ||
                           (action == LinkAction::kDone && a.kind == AssignmentKind::kTask));
  if (!fits) {
    return MakeError(ErrorCode::kInvalidArgument, "a {} cannot be {}d by a link",
                     AssignmentKindName(a.kind), LinkActionName(action));
  }
  const TimePoint now = Now();
  const store::Time expires = StoreTime(now + options_.link_ttl);
  std::string mac;
  LL_ASSIGN(std::string token,
            signer_.Issue(a.id, LinkActionName(action), person, store::ToMillis(expires), &mac));
  store::LinkToken row;
  row.hash = LinkTokenHash(token);
  row.purpose = std::string(LinkActionName(action));
  row.assignment_id = a.id;
  row.person = std::string(person);
  row.signature = mac;
  row.created_at = StoreTime(now);
  row.expires_at = expires;
  LL_TRY(store_.Playbook().AddLinkToken(row));
  std::string base = options_.link_base;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + std::string(kLinkPath) + token;
}

Result<Redeemed> Engine::Redeem(std::string_view link) {
  const std::string token(TokenOfLink(link));
  std::lock_guard lock(mu_);
  if (!running_) return MakeError(ErrorCode::kUnavailable, "the playbook engine is not running");
  const auto forged = [] {
    return MakeError(ErrorCode::kUnauthenticated,
                     "this link is not valid: it was not issued by this Lifeline, or it was "
                     "altered or cut short (copy the whole link, or act from the dashboard)");
  };
  if (token.empty()) return forged();
  const std::string hash = LinkTokenHash(token);
  auto row = store_.Playbook().GetLinkToken(hash);
  if (!row.ok()) {
    if (IsNotFound(row.error())) return forged();
    return row.error();
  }
  const auto dot = token.find('.');
  if (dot == std::string::npos || token.substr(dot + 1) != row->signature ||
      !signer_.Verify(token, row->assignment_id, row->purpose, row->person,
                      store::ToMillis(row->expires_at))) {
    return forged();
  }
  const auto action = ParseLinkAction(row->purpose);
  if (!action) return forged();
  if (row->used_at) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "this link was already used at {}: each link works once (the dashboard "
                     "shows what was done)",
                     core::FormatTime(*row->used_at));
  }
  const TimePoint now = Now();
  if (TimePoint(row->expires_at) <= now) {
    return MakeError(ErrorCode::kDeadlineExceeded,
                     "this link expired at {}: act from the dashboard or the CLI instead",
                     core::FormatTime(row->expires_at));
  }
  const std::string who = row->person.empty() ? "link" : row->person;
  Result<store::Assignment> done = MakeError(ErrorCode::kInternal, "no action");
  switch (*action) {
    case LinkAction::kAcknowledge:
      done = AcknowledgeLocked(row->assignment_id, who);
      break;
    case LinkAction::kDone:
      done = DoneLocked(row->assignment_id, who);
      break;
    case LinkAction::kApprove:
      done = Decide(row->assignment_id, AssignmentState::kApproved, who, "");
      break;
    case LinkAction::kRefuse:
      done = Decide(row->assignment_id, AssignmentState::kRefused, who, "refused by link");
      break;
  }
  if (!done.ok()) return done.error();
  if (auto used = store_.Playbook().UseLinkToken(hash, StoreTime(now)); !used.ok()) {
    Log("playbook: marking a used link: " + used.error().message());
  }
  return Redeemed{*action, *done, who};
}

}  // namespace lifeline::playbook
