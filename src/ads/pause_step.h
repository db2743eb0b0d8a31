// The plan's `pause` step (playbook/step_handler.h) carried out by the ads guard: `pause: ads`
// (or `pause:` with nothing, or a list with ads) starts pausing the failed platforms' active
// campaigns at once, through the same durable work as the guard's own policies. Scheduled posts
// wait for the content calendar.
#pragma once

#include <memory>

#include "ads/guard.h"
#include "playbook/step_handler.h"
#include "store/store.h"

namespace lifeline::ads {

class PauseStepHandler final : public playbook::StepHandler {
 public:
  // `guard` and `store` must outlive the handler.
  PauseStepHandler(Guard& guard, store::Store& store) : guard_(guard), store_(store) {}
  core::Result<std::string> Run(const playbook::StepRequest& request) override;

 private:
  Guard& guard_;
  store::Store& store_;
};

}  // namespace lifeline::ads
