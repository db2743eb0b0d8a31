// `lifeline plan check` and `lifeline plan advise`: the checks across a whole plan (a reference to
// nothing, a step that can never run, a text too long for the channel it would go on, an alert
// that would travel through the platform that is down) and the audience each failure cuts off.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "channels/config.h"
#include "config/config.h"
#include "playbook/plan.h"

namespace lifeline::playbook {

// Every error and warning of `plan` (as ReadPlan returns it) against the config's catalog and the
// relay's channels, contacts and templates, in plan order, errors and warnings mixed. Each cites
// the line it is about. docs/playbook.md lists them all. Errors: an unknown role, person, contact,
// channel, inventory id, escalation policy, template, platform or domain (with "did you mean");
// a role nobody holds that a step or policy needs; a step that can never run; a trigger verdict
// that never opens an incident; a text over a channel's limit; a contact with no usable channel.
// Warnings: above all a role (or a person named directly) whose every contact point rides on a
// failure domain a response answers; also roles nobody holds, inventory without a primary
// channel, backups that fail with what they back up, tasks nobody chases, no on-call cover.
std::vector<Finding> CheckPlan(const Plan& plan, const config::Config& config,
                               const channels::RelaySetup& relay);

// What one failure — a whole failure domain, or one platform — leaves of the audience.
struct Exposure {
  enum class Kind { kDomain, kPlatform };
  Kind kind = Kind::kDomain;
  std::string id;                      // "meta", "instagram"
  std::string name;                    // "Meta", "Instagram"
  std::uint64_t reachable = 0;         // audience on the inventory channels that keep working
  std::uint64_t total = 0;             // the whole inventory's audience
  double share = 1.0;                  // reachable / total (1 when total is 0)
  std::vector<std::string> cut_off;    // inventory ids that fail with it
  std::vector<std::string> surviving;  // inventory ids that keep working
  // Channels to add (or grow), never fewer than two — one channel only would be a new single
  // point of failure. Empty when the share is comfortable.
  std::vector<std::string> suggestions;
  // "a Meta-wide outage, as on 4 Oct 2021, leaves 18% of your audience reachable: add e-mail or
  // Telegram". A date only where one is on record for that domain.
  std::string advice;
};

struct Advice {
  std::uint64_t total = 0;          // the inventory's audience, summed per channel
  std::vector<Exposure> domains;    // each failure domain the inventory rides on, worst first
  std::vector<Exposure> platforms;  // each platform the inventory rides on, worst first
  std::vector<std::string> notes;   // plan-wide remarks ("everything rides on Meta")
};

// Below this share of the audience reachable, the advice names channels to add.
inline constexpr double kComfortableShare = 0.5;

// The advisor. Audiences are summed per inventory channel: a person following the brand on two
// channels counts twice, and the overlap is ignored (nobody knows it), so the shares are a
// rough guide. An inventory channel on no catalog platform and no `domain:` (the brand's own
// e-mail list, SMS) fails with nothing.
// `relay` tells which kind of channel each inventory entry posts through (an e-mail list counts
// as e-mail when suggesting what to add).
Advice Advise(const Plan& plan, const config::Config& config, const channels::RelaySetup& relay);

// "Meta", "ByteDance", "X" for the catalog's failure domains; the id itself otherwise.
std::string DomainDisplayName(std::string_view domain);

}  // namespace lifeline::playbook
