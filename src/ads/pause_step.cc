// The plan's pause step through the ads guard (pause_step.h).
#include "ads/pause_step.h"

#include <fmt/format.h>

namespace lifeline::ads {

core::Result<std::string> PauseStepHandler::Run(const playbook::StepRequest& r) {
  const auto* body = r.step ? std::get_if<playbook::PauseStep>(&r.step->body) : nullptr;
  const bool ads = body == nullptr || body->ads;
  const bool posts = body != nullptr && body->scheduled_posts;
  std::string line;
  if (ads) {
    if (guard_.empty()) {
      line = "ads: no ad accounts configured (ads: in the config), nothing paused";
    } else {
      PauseRequest p;
      p.incident_id = r.incident_id;
      p.failed = guard_.Expand(r.failure.platforms, r.failure.domain, r.failure.domain_wide);
      p.domain = r.failure.domain;
      p.verdict = r.failure.verdict;
      // The config's policy for this failure, when there is one (its settle time and resume mode
      // apply to what the plan paused); else the plan's own, with the defaults.
      p.policy = guard_.PolicyFor(p.failed, p.domain, p.verdict);
      if (p.policy.empty()) p.policy = "plan:" + r.response;
      p.by = "plan";
      // A drill never touches the real campaigns: it shows what would be paused.
      auto inc = store_.GetIncident(r.incident_id);
      p.dry_run = inc.ok() && inc->drill;
      // An approve step of this response that was approved before this step ran stands for the
      // budget transfers this pause sets off (the plan asked the budget's owner already).
      store::AssignmentQuery q;
      q.incident_id = r.incident_id;
      q.state = store::AssignmentState::kApproved;
      q.kind = store::AssignmentKind::kApproval;
      q.limit = 100;
      if (auto approvals = store_.Playbook().ListAssignments(q); approvals.ok()) {
        for (const auto& a : *approvals) {
          if (a.response == r.response && !a.ended_by.empty()) p.approved_by = a.ended_by;
        }
      }
      LL_ASSIGN(line, guard_.PauseNow(p, r.key + "/ads"));
      line = "ads: " + line;
    }
  }
  if (posts) {
    line += std::string(line.empty() ? "" : "; ") +
            "scheduled posts: the content calendar holds those due on the failed platforms' "
            "channels by itself until they are back (docs/calendar.md)";
  }
  return line;
}

}  // namespace lifeline::ads
