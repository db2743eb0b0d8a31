// The plan's `move_conversations` step (playbook/step_handler.h) carried out by the inbox: each
// inventory channel the failure cuts off sends its waiting customers to its backup (or the
// step's `to:`), with the backup's link, once per step and conversation.
#pragma once

#include "inbox/inbox.h"
#include "playbook/step_handler.h"

namespace lifeline::inbox {

class MoveStepHandler final : public playbook::StepHandler {
 public:
  // `inbox` must outlive the handler.
  explicit MoveStepHandler(Inbox& inbox) : inbox_(inbox) {}
  core::Result<std::string> Run(const playbook::StepRequest& request) override;

 private:
  Inbox& inbox_;
};

// The move request for a step: the failed inventory channels that have a relay channel, each
// with its backup's relay channel, name and link. Exposed for tests.
MoveRequest MoveRequestFor(const playbook::StepRequest& request);

}  // namespace lifeline::inbox
