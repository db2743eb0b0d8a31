// The plan's move_conversations step through the inbox (move_step.h).
#include "inbox/move_step.h"

#include <fmt/format.h>

namespace lifeline::inbox {

MoveRequest MoveRequestFor(const playbook::StepRequest& r) {
  MoveRequest req;
  req.incident_id = r.incident_id;
  req.key = r.key;
  if (r.plan == nullptr) return req;
  const auto* body = r.step ? std::get_if<playbook::MoveConversationsStep>(&r.step->body) : nullptr;
  if (body != nullptr) req.on_restoration = body->on_restoration;
  for (const auto& inv : r.plan->inventory) {
    if (inv.channel.empty() || !r.plan->Fails(inv, r.failure)) continue;
    const std::string backup_id = body != nullptr && !body->to.empty() ? body->to : inv.backup;
    const playbook::InventoryChannel* backup =
        backup_id.empty() ? nullptr : r.plan->FindInventory(backup_id);
    MoveRequest::Target t;
    t.from_channel = inv.channel;
    t.platform_name = inv.name.empty() ? inv.platform : inv.name;
    t.from_link = inv.link;
    if (backup != nullptr && !r.plan->Fails(*backup, r.failure)) {
      t.to_channel = backup->channel;
      t.to_name = backup->name.empty() ? backup->id : backup->name;
      t.link = backup->link;
    }
    req.targets.push_back(std::move(t));
  }
  return req;
}

core::Result<std::string> MoveStepHandler::Run(const playbook::StepRequest& r) {
  MoveRequest req = MoveRequestFor(r);
  if (req.targets.empty()) {
    return std::string("conversations: no inventory channel with a relay channel is cut off");
  }
  auto inc = inbox_.store().GetIncident(r.incident_id);
  req.dry_run = inc.ok() && inc->drill;
  LL_ASSIGN(MoveSummary s, inbox_.Move(req));
  if (req.dry_run) {
    return fmt::format(
        "conversations (drill: nothing sent): {} would move, {} with no other channel to reach "
        "them",
        s.would_move, s.unreachable);
  }
  std::string line = fmt::format("conversations: {} moved", s.moved);
  if (s.already > 0) line += fmt::format(", {} moved before", s.already);
  if (s.unreachable > 0) {
    line += fmt::format(", {} with no other channel to reach them (they wait for the sweep)",
                        s.unreachable);
  }
  return line;
}

}  // namespace lifeline::inbox
