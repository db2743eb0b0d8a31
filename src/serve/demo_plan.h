// The demo's contingency plan (issue 9): when the scripted WhatsApp outage has lasted a little, the
// team is alerted on the channels that still work, the holding statement goes out on the brand's
// Telegram channel, two tasks go to the community manager (nobody acknowledges them in the demo,
// so they escalate to the head of comms), the customers waiting on the brand's WhatsApp number are
// told to continue on Telegram (move_conversations, through the inbox), the head of comms is asked
// to approve pausing the ads, and after restoration a short monitoring window ends in "resolved".
// Demo-scale durations.
#pragma once

#include <chrono>

#include "config/config.h"
#include "core/result.h"

namespace lifeline::serve {

// How long the outage must last before the plan runs, and how long before a task nobody
// acknowledged goes to the superior (and, as long again, before that escalation ends).
inline constexpr std::chrono::seconds kDemoPlanAfter{15};
inline constexpr std::chrono::seconds kDemoEscalateAfter{60};  // the plan's least
inline constexpr std::chrono::seconds kDemoMonitorWindow{30};
// The demo ads guard resumes what it paused once WhatsApp has been back this long.
inline constexpr std::chrono::seconds kDemoAdsSettle{20};

// Adds `plan:` to a config DemoMessaging::Configure prepared, with what the plan needs beside
// it: the brand's Telegram channel (a copy of the team's, posting to the brand's public chat) and
// the head of comms' contact (e-mail).
core::Status AddDemoPlan(config::Config& config);

}  // namespace lifeline::serve
