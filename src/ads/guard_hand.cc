// The ads guard's actions by hand (guard.h): listing, pausing and resuming named campaigns for
// the API and the CLI, each checked against the platform first.
#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "ads/guard.h"
#include "ads/guard_internal.h"
#include "config/values.h"

namespace lifeline::ads {

using core::ErrorCode;
using core::MakeError;
using core::Result;
using core::Status;
using store::AdChange;
using store::AdChangeState;

namespace {

std::string AccountNames(const AdsConfig& c) {
  std::vector<std::string> names;
  for (const auto& a : c.accounts) names.push_back(a.name);
  return names.empty() ? "none are configured" : fmt::format("{}", fmt::join(names, ", "));
}

}  // namespace

Result<std::vector<Guard::AccountCampaigns>> Guard::List(std::string_view platform) {
  if (empty()) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "the ads guard has no accounts (add an ads: section to the config)");
  }
  std::vector<AccountCampaigns> out;
  bool matched = false;
  for (const AccountConfig& a : config_.accounts) {
    if (!platform.empty() && a.kind != platform && a.name != platform) continue;
    matched = true;
    AdPlatform* client = Client(a.name);
    if (client == nullptr) continue;
    auto listed = client->ListCampaigns();
    RecordCalls("", a.name, "list", listed.calls, listed.failure);
    AccountCampaigns ac{a.name, a.kind, a.platforms, {}, listed.failure};
    if (listed.ok()) ac.campaigns = std::move(*listed.value);
    out.push_back(std::move(ac));
  }
  if (!matched) {
    return MakeError(ErrorCode::kNotFound,
                     "no ad account on '{}' (give meta, google, tiktok or an account name: {})",
                     platform, AccountNames(config_));
  }
  return out;
}

// Under mu_. The account, and every named campaign as the platform answers now; an unknown
// account or campaign id is an error before anything changes.
Result<Guard::HandTarget> Guard::ReadForHand(std::string_view account,
                                             const std::vector<std::string>& campaigns,
                                             std::string_view by, std::string_view verb) {
  HandTarget t;
  t.account = config_.FindAccount(account);
  if (t.account == nullptr) {
    std::vector<std::string> names;
    for (const auto& x : config_.accounts) names.push_back(x.name);
    auto near = config::Closest(account, names);
    return MakeError(ErrorCode::kNotFound, "no ad account '{}' ({})", account,
                     near ? fmt::format("did you mean '{}'?", *near) : AccountNames(config_));
  }
  if (campaigns.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "name at least one campaign id to {}", verb);
  }
  if (by.empty()) return MakeError(ErrorCode::kInvalidArgument, "say who {}s (by)", verb);
  const AccountConfig& a = *t.account;
  t.client = Client(a.name);
  auto now = t.client->GetCampaigns(campaigns);
  RecordCalls("", a.name, "read", now.calls, now.failure);
  if (!now.ok()) {
    return MakeError(now.failure.kind == FailureKind::kPermission ? ErrorCode::kPermissionDenied
                                                                  : ErrorCode::kUnavailable,
                     "{} ({}) answered {}: {}", a.name, a.kind, FailureKindName(now.failure.kind),
                     now.failure.message);
  }
  for (Campaign& c : *now.value) {
    std::string id = c.id;
    t.by_id.emplace(std::move(id), std::move(c));
  }
  std::vector<std::string> unknown;
  for (const auto& id : campaigns) {
    if (!t.by_id.count(id)) unknown.push_back(id);
  }
  if (!unknown.empty()) {
    return MakeError(ErrorCode::kNotFound,
                     "{} has no campaign {} (nothing was changed; `lifeline ads list --platform "
                     "{}` shows its campaigns)",
                     a.name, fmt::join(unknown, ", "), a.name);
  }
  return t;
}

Result<std::vector<HandResult>> Guard::PauseByHand(std::string_view account,
                                                   const std::vector<std::string>& campaigns,
                                                   std::string_view by, bool dry_run) {
  std::lock_guard lock(mu_);
  LL_ASSIGN(HandTarget t, ReadForHand(account, campaigns, by, "pause"));
  const AccountConfig* a = t.account;
  AdPlatform* client = t.client;
  const auto& by_id = t.by_id;
  LL_ASSIGN(auto open, store_.Ads().List({.account = a->name, .open_only = true, .limit = 100000}));
  // Those Lifeline left paused on purpose (kept) are closed by a resume too: they are not held
  // any more once a person resumed them.
  LL_ASSIGN(auto kept, store_.Ads().List(
                           {.account = a->name, .state = AdChangeState::kKept, .limit = 100000}));
  for (auto& k : kept) {
    if (!k.resumed_at) open.push_back(std::move(k));
  }
  std::vector<HandResult> out;
  for (const auto& id : campaigns) {
    const Campaign& c = by_id.at(id);
    HandResult hr{a->name, id, "", ""};
    // What Lifeline paused for an incident stays paused: a person decided.
    int kept = 0;
    for (AdChange& r : open) {
      if (r.campaign_id != id || dry_run) continue;
      r.state = AdChangeState::kKept;
      r.note = fmt::format("paused by hand by {}: Lifeline will not resume it", by);
      r.updated_at = Now();
      LL_TRY(store_.Ads().Update(r));
      Timeline(r.incident_id, "ads_kept_paused",
               fmt::format("Ads: {} \"{}\" on {} {}", id, c.name, a->name, r.note),
               {{"account", a->name}, {"campaign", id}, {"by", by}});
      ++kept;
    }
    if (c.status != CampaignStatus::kActive) {
      hr.outcome = kept ? "kept paused" : "already paused";
      hr.detail = kept ? "Lifeline had paused it for an incident; it will not resume it"
                       : fmt::format("its status is {}", c.raw_status);
      out.push_back(std::move(hr));
      continue;
    }
    if (dry_run) {
      hr.outcome = "would pause";
      hr.detail = fmt::format("now {} ({})", c.raw_status, c.effective_status);
      out.push_back(std::move(hr));
      continue;
    }
    auto changed = client->SetStatus({id}, false);
    RecordCalls("", a->name, "pause", changed.calls, changed.failure);
    Failure f = changed.ok() ? changed.value->front().failure : changed.failure;
    if (f.kind != FailureKind::kNone) {
      hr.outcome = "failed";
      hr.detail = fmt::format("{} ({} {})", f.message, FailureKindName(f.kind), f.code);
      out.push_back(std::move(hr));
      continue;
    }
    // A record outside incidents (its prior state), kept: never resumed by the guard.
    AdChange rec;
    rec.account = a->name;
    rec.platform = a->kind;
    rec.campaign_id = id;
    rec.campaign_name = c.name;
    rec.policy = "hand";
    rec.by = std::string(by);
    rec.prior_status = c.raw_status;
    rec.prior_effective = c.effective_status;
    if (c.budget) rec.prior_budget_micros = c.budget->micros;
    rec.prior_budget_kind = std::string(BudgetKindName(c.budget_kind));
    rec.currency = a->currency;
    rec.prior_updated = c.updated;
    rec.state = AdChangeState::kKept;
    rec.note = fmt::format("paused by hand by {}", by);
    rec.paused_at = Now();
    rec.created_at = rec.updated_at = Now();
    LL_ASSIGN(auto stored, store_.Ads().Record(rec));
    if (!stored.second) {
      rec.id = stored.first.id;
      LL_TRY(store_.Ads().Update(rec));
    }
    hr.outcome = "paused";
    hr.detail = fmt::format("was {}", c.raw_status);
    out.push_back(std::move(hr));
  }
  return out;
}

Result<std::vector<HandResult>> Guard::ResumeByHand(std::string_view account,
                                                    const std::vector<std::string>& campaigns,
                                                    std::string_view by, bool dry_run) {
  std::lock_guard lock(mu_);
  LL_ASSIGN(HandTarget t, ReadForHand(account, campaigns, by, "resume"));
  const AccountConfig* a = t.account;
  AdPlatform* client = t.client;
  const auto& by_id = t.by_id;
  LL_ASSIGN(auto open, store_.Ads().List({.account = a->name, .open_only = true, .limit = 100000}));
  // Those Lifeline left paused on purpose (kept) are closed by a resume too: they are not held
  // any more once a person resumed them.
  LL_ASSIGN(auto kept, store_.Ads().List(
                           {.account = a->name, .state = AdChangeState::kKept, .limit = 100000}));
  for (auto& k : kept) {
    if (!k.resumed_at) open.push_back(std::move(k));
  }
  std::vector<HandResult> out;
  for (const auto& id : campaigns) {
    const Campaign& c = by_id.at(id);
    HandResult hr{a->name, id, "", ""};
    Failure f;
    if (c.status == CampaignStatus::kActive) {
      hr.outcome = "already active";
    } else if (c.status != CampaignStatus::kPaused) {
      hr.outcome = "failed";
      hr.detail = fmt::format("its status is {}: it cannot be resumed", c.raw_status);
      out.push_back(std::move(hr));
      continue;
    } else if (dry_run) {
      hr.outcome = "would resume";
      out.push_back(std::move(hr));
      continue;
    } else {
      auto changed = client->SetStatus({id}, true);
      RecordCalls("", a->name, "resume", changed.calls, changed.failure);
      f = changed.ok() ? changed.value->front().failure : changed.failure;
      if (f.kind != FailureKind::kNone) {
        hr.outcome = "failed";
        hr.detail = fmt::format("{} ({} {})", f.message, FailureKindName(f.kind), f.code);
        out.push_back(std::move(hr));
        continue;
      }
      hr.outcome = "resumed";
    }
    if (dry_run) {
      out.push_back(std::move(hr));
      continue;
    }
    for (AdChange& r : open) {
      if (r.campaign_id != id) continue;
      r.state = AdChangeState::kResumed;
      r.resumed_at = Now();
      r.note = fmt::format("resumed by hand by {}", by);
      r.updated_at = Now();
      LL_TRY(store_.Ads().Update(r));
      Timeline(r.incident_id, "ads_resumed",
               fmt::format("Ads: {} \"{}\" on {} {}", id, c.name, a->name, r.note),
               {{"account", a->name}, {"campaign", id}, {"by", by}});
    }
    out.push_back(std::move(hr));
  }
  return out;
}

}  // namespace lifeline::ads
