// The ads guard's config section, `ads:`, read and checked at start-up with FILE:LINE: KEY errors:
// the ad accounts (per platform, with credentials from { env } or { file }) and the guard's
// policies (per catalog platform or failure domain). docs/ads.md describes every key.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "ads/account.h"
#include "config/config.h"
#include "core/result.h"
#include "core/types.h"

namespace lifeline::ads {

using Duration = std::chrono::milliseconds;

// What the guard does when a policy's incident has lasted min_duration.
enum class Action {
  kPause,  // pause the active campaigns at once
  kAsk,    // only through the plan: a `pause: ads` step after an `approve` by the budget's owner
  kNone,   // nothing by itself (a plan's `pause: ads` step still pauses)
};
std::string_view ActionName(Action a);

// How campaigns Lifeline paused come back once the platform is healthy again.
enum class Resume {
  kAuto,    // after the settle time, staggered
  kManual,  // never by itself: a person resumes them (lifeline ads resume, or the API)
};
std::string_view ResumeName(Resume r);

struct Policy {
  std::string name;                    // ads.policies.NAME
  std::vector<std::string> platforms;  // catalog ids whose incidents it answers
  std::vector<std::string> domains;    // failure domains: any failing platform of one matches
  std::vector<core::Verdict> verdicts = {core::Verdict::kOutage};
  Duration min_duration = std::chrono::minutes(5);
  Action action = Action::kPause;
  Duration settle = std::chrono::minutes(30);  // healthy this long before resuming
  Duration stagger{0};                         // between two resumed campaigns (0: all at once)
  Resume resume = Resume::kAuto;
  // The accounts it acts on; empty = every account delivering on a failed platform.
  std::vector<std::string> accounts;
  int line = 0;  // where it is declared, for messages
};

// ads.transfers.NAME: while urgent campaigns are paused for an incident, their daily budget (a
// share of it) is added to a campaign on another platform, and taken back after the outage.
struct Transfer {
  std::string name;
  std::string from;                    // the account of the urgent campaigns
  std::vector<std::string> campaigns;  // the urgent campaigns' ids
  std::string to;                      // the receiving account (same currency)
  std::string campaign;                // the receiving campaign's id (a daily budget)
  int share_percent = 100;             // of the paused campaigns' daily budgets
  // The receiving campaign's daily budget never goes above this (the team's spend cap).
  std::optional<Money> max_budget;
  // Moving back never sets the receiving campaign's budget below this; default: the platform's
  // documented minimum (MinimumDailyBudget).
  std::optional<Money> min_budget;
  bool needs_approval = true;  // approval: required (default) | none
  int line = 0;
};

struct AdsConfig {
  bool configured = false;  // the config has an `ads:` section
  bool dry_run = false;     // log and record what would be done; change nothing
  std::vector<AccountConfig> accounts;
  std::vector<Policy> policies;
  std::vector<Transfer> transfers;
  std::string file;  // the config file, for messages

  const AccountConfig* FindAccount(std::string_view name) const;
  const Transfer* FindTransfer(std::string_view name) const;
};

// Reads `ads:` from `config` (an empty AdsConfig without one). kInvalidArgument
// "FILE:LINE: ads.KEY: what (what would be valid)" for the first mistake; secrets must be
// readable ({ env: NAME } set, { file: PATH } readable), as for serve.
core::Result<AdsConfig> LoadAdsConfig(const config::Config& config);

// Whether an incident with `verdict` whose failed platforms are `failed` (every platform of the
// domain for a domain-wide incident) on failure domain `domain` concerns the policy.
bool PolicyMatches(const Policy& p, const std::vector<std::string>& failed,
                   const std::string& domain, core::Verdict verdict);

}  // namespace lifeline::ads
