// The ads guard's budget transfers (config.h Transfer, guard.h): when the urgent campaigns of a
// transfer were paused for an incident, their daily budget (its share) is proposed for a
// campaign on another platform; once approved (by a person, by the plan's approval before its
// pause step, or by the config's `approval: none`) the receiving campaign's daily budget is
// raised, within the team's cap; after the outage, when the paused campaigns' platforms have been
// healthy for the settle time, Lifeline takes back exactly what it added. Each step is a durable
// `ads.transfer` timer and a row of Store::Ads() written before the platform is called, so a
// restart neither moves twice nor forgets to move back.
#include <algorithm>

#include <fmt/format.h>

#include "ads/guard.h"
#include "ads/guard_internal.h"

namespace lifeline::ads {

using core::ErrorCode;
using core::MakeError;
using core::Result;
using core::Status;
using nlohmann::json;
using store::AdChange;
using store::AdChangeState;
using store::AdTransfer;
using store::AdTransferState;

namespace {

// Rounds down to what every platform takes: whole minor units of the currency (Meta writes
// budgets in them, Google refuses micros that are not a multiple of the smallest unit).
std::int64_t FloorToMinor(std::string_view currency, std::int64_t micros) {
  const std::int64_t step = 1'000'000 / MinorPerUnit(currency);
  return micros / step * step;
}

std::string Amount(const std::string& currency, std::int64_t micros) {
  return Format(Money{currency, micros});
}

json TransferData(const AdTransfer& t, std::string_view by) {
  json j{{"transfer", t.id},
         {"name", t.name},
         {"from", t.from_account},
         {"campaigns", t.campaigns},
         {"to", t.to_account},
         {"campaign", t.to_campaign},
         {"amount", ToDecimal(Money{t.currency, t.amount_micros})},
         {"currency", t.currency},
         {"state", store::AdTransferStateName(t.state)},
         {"by", by}};
  if (t.prior_budget_micros)
    j["prior_budget"] = ToDecimal(Money{t.currency, *t.prior_budget_micros});
  if (t.set_budget_micros) j["set_budget"] = ToDecimal(Money{t.currency, *t.set_budget_micros});
  if (t.returned_budget_micros) {
    j["returned_budget"] = ToDecimal(Money{t.currency, *t.returned_budget_micros});
  }
  return j;
}

}  // namespace

// Under mu_, at the end of an account's pause work: one proposal per transfer whose urgent
// campaigns of `account` this incident paused (or would pause, in a dry run).
Status Guard::ProposeTransfers(const std::string& incident, const AccountConfig& account,
                               const std::string& by, const std::string& approved_by, bool dry) {
  for (const Transfer& t : config_.transfers) {
    if (t.from != account.name) continue;
    const AccountConfig* to = config_.FindAccount(t.to);
    if (to == nullptr) continue;
    LL_ASSIGN(std::vector<AdChange> changes,
              store_.Ads().List({.incident_id = incident, .account = account.name}));
    std::vector<std::string> moved;
    std::vector<std::string> lifetime;
    std::int64_t daily = 0;
    for (const AdChange& c : changes) {
      if (std::find(t.campaigns.begin(), t.campaigns.end(), c.campaign_id) == t.campaigns.end()) {
        continue;
      }
      const bool counts =
          dry ? c.state == AdChangeState::kDryRun : c.state == AdChangeState::kPaused;
      if (!counts) continue;
      if (c.prior_budget_kind != "daily" || !c.prior_budget_micros) {
        lifetime.push_back(c.campaign_id);
        continue;
      }
      moved.push_back(c.campaign_id);
      daily += *c.prior_budget_micros;
    }
    if (moved.empty() && lifetime.empty()) continue;  // none of its urgent campaigns was paused
    AdTransfer r;
    r.incident_id = incident;
    r.name = t.name;
    r.from_account = t.from;
    r.campaigns = moved;
    r.to_account = t.to;
    r.to_campaign = t.campaign;
    r.currency = to->currency;
    r.amount_micros = FloorToMinor(
        to->currency, daily / 100 * t.share_percent + daily % 100 * t.share_percent / 100);
    r.by = by;
    r.created_at = r.updated_at = Now();
    const std::string what = fmt::format(
        "{}/day ({}% of the daily budget of {} paused on {}) to campaign {} on {}",
        Amount(r.currency, r.amount_micros), t.share_percent,
        moved.empty() ? std::string("no campaign") : fmt::format("{}", fmt::join(moved, ", ")),
        t.from, t.campaign, t.to);
    const std::string not_daily =
        lifetime.empty()
            ? ""
            : fmt::format("; {} ha{} a lifetime budget, which does not move",
                          fmt::join(lifetime, ", "), lifetime.size() == 1 ? "s" : "ve");
    if (r.amount_micros <= 0) {
      r.state = AdTransferState::kSkipped;
      r.note = "nothing to move" + not_daily;
    } else if (dry) {
      r.state = AdTransferState::kDryRun;
      r.note = "dry run: would move " + what + not_daily;
    } else if (!t.needs_approval) {
      r.state = AdTransferState::kApproved;
      r.decided_by = "config";
      r.note = "moving " + what + " (approval: none)" + not_daily;
    } else if (!approved_by.empty()) {
      r.state = AdTransferState::kApproved;
      r.decided_by = approved_by;
      r.note =
          fmt::format("moving {} (approved by {} in the plan){}", what, approved_by, not_daily);
    } else {
      r.state = AdTransferState::kProposed;
      r.note = "waits for approval: move " + what + not_daily;
    }
    LL_ASSIGN(auto stored, store_.Ads().RecordTransfer(r));
    if (!stored.second) continue;  // proposed by an earlier run
    const AdTransfer& s = stored.first;
    std::string line;
    switch (s.state) {
      case AdTransferState::kProposed:
        line = fmt::format(
            "Ads: budget transfer {} (#{}) proposed: move {}{}. It waits for approval "
            "(lifeline ads transfer approve {} --by NAME)",
            s.name, s.id, what, not_daily, s.id);
        break;
      case AdTransferState::kApproved:
        line = fmt::format("Ads: budget transfer {} (#{}): {}", s.name, s.id, s.note);
        break;
      default:
        line = fmt::format("Ads: budget transfer {} (#{}): {}", s.name, s.id, s.note);
    }
    Timeline(incident,
             s.state == AdTransferState::kProposed  ? "ads_transfer_proposed"
             : s.state == AdTransferState::kDryRun  ? "ads_dry_run"
             : s.state == AdTransferState::kSkipped ? "ads_transfer_skipped"
                                                    : "ads_transfer_approved",
             line, TransferData(s, by));
    if (s.state == AdTransferState::kApproved) LL_TRY(ScheduleTransfer(s.id, "move", Now(), 0));
  }
  return core::Ok();
}

Status Guard::ScheduleTransfer(std::int64_t id, std::string_view op, store::Time due, int n) {
  store::NewTimer t;
  t.kind = std::string(kTransferTimer);
  t.key = fmt::format("ads/transfer/{}/{}/{}", id, op, n);
  t.owner = fmt::format("ads/transfer/{}", id);
  t.due = due;
  t.payload_json = json{{"id", id}, {"op", op}, {"n", n}}.dump();
  LL_ASSIGN(auto scheduled, scheduler_.Schedule(std::move(t)));
  (void)scheduled;
  return core::Ok();
}

Status Guard::OnTransferTimer(const store::Timer& timer) {
  json payload = json::parse(timer.payload_json, nullptr, false);
  if (!payload.is_object() || !payload.contains("id")) {
    return MakeError(ErrorCode::kInvalidArgument, "ads.transfer timer {} has no payload",
                     timer.key);
  }
  std::lock_guard lock(mu_);
  const std::int64_t id = payload.value("id", std::int64_t{0});
  const int n = payload.value("n", 0);
  return payload.value("op", std::string()) == "return" ? ReturnTransfer(id, n)
                                                        : MoveTransfer(id, n);
}

Status Guard::MoveTransfer(std::int64_t id, int n) {
  auto got = store_.Ads().GetTransfer(id);
  if (!got.ok()) {
    if (got.error().code() == ErrorCode::kNotFound) return core::Ok();
    return got.error();
  }
  AdTransfer t = std::move(*got);
  if (t.state != AdTransferState::kApproved) return core::Ok();  // refused, expired, done
  auto finish = [&](AdTransferState state, std::string note, std::string_view type) -> Status {
    t.state = state;
    t.note = std::move(note);
    t.updated_at = Now();
    if (state == AdTransferState::kMoved) t.moved_at = Now();
    LL_ASSIGN(t, store_.Ads().UpdateTransfer(t));
    Timeline(t.incident_id, type,
             fmt::format("Ads: budget transfer {} (#{}): {}", t.name, t.id, t.note),
             TransferData(t, "lifeline"));
    return core::Ok();
  };
  auto inc = store_.GetIncident(t.incident_id);
  if (!inc.ok() && inc.error().code() != ErrorCode::kNotFound) return inc.error();
  if (!inc.ok() || inc->state != store::IncidentState::kOpen) {
    return finish(AdTransferState::kExpired, "not made: the outage ended before the move",
                  "ads_transfer_expired");
  }
  const Transfer* config = config_.FindTransfer(t.name);
  AdPlatform* client = Client(t.to_account);
  if (client == nullptr) {
    return finish(AdTransferState::kFailed,
                  fmt::format("account {} is not in the config any more", t.to_account),
                  "ads_transfer_failed");
  }
  auto read = client->GetCampaigns({t.to_campaign});
  RecordCalls(t.incident_id, t.to_account, "read", read.calls, read.failure);
  if (!read.ok()) {
    const Failure& f = read.failure;
    if (f.kind == FailureKind::kRateLimited || f.kind == FailureKind::kUnavailable) {
      return ScheduleTransfer(t.id, "move", Now() + Backoff(f), n + 1);
    }
    return finish(AdTransferState::kFailed,
                  fmt::format("cannot read campaign {} on {}: {} ({} {})", t.to_campaign,
                              t.to_account, f.message, FailureKindName(f.kind), f.code),
                  "ads_transfer_failed");
  }
  if (read.value->empty()) {
    return finish(AdTransferState::kFailed,
                  fmt::format("campaign {} does not exist on {}", t.to_campaign, t.to_account),
                  "ads_transfer_failed");
  }
  const Campaign& c = read.value->front();
  t.to_campaign_name = c.name;
  if (c.budget_kind != BudgetKind::kDaily || !c.budget) {
    return finish(
        AdTransferState::kFailed,
        fmt::format("campaign {} \"{}\" has no daily budget to raise ({} budget)", c.id, c.name,
                    c.budget_kind == BudgetKind::kNone ? "no" : BudgetKindName(c.budget_kind)),
        "ads_transfer_failed");
  }
  const std::int64_t current = c.budget->micros;
  if (t.set_budget_micros && current == *t.set_budget_micros && t.prior_budget_micros) {
    // An earlier run's call went through and its answer was lost.
    return finish(
        AdTransferState::kMoved,
        fmt::format("raised \"{}\" from {} to {} for the outage", c.name,
                    Amount(t.currency, *t.prior_budget_micros), Amount(t.currency, current)),
        "ads_transfer_moved");
  }
  std::int64_t target = FloorToMinor(t.currency, current + t.amount_micros);
  std::string capped;
  if (config != nullptr && config->max_budget && target > config->max_budget->micros) {
    target = FloorToMinor(t.currency, config->max_budget->micros);
    capped = fmt::format(" (capped at the transfer's max_budget {})", Format(*config->max_budget));
  }
  if (target <= current) {
    return finish(AdTransferState::kSkipped,
                  fmt::format("nothing moved: \"{}\" is already at {}, the transfer's cap", c.name,
                              Amount(t.currency, current)),
                  "ads_transfer_skipped");
  }
  // Recorded before the call: a restart that finds the budget at set_budget knows it was made.
  t.prior_budget_micros = current;
  t.set_budget_micros = target;
  t.updated_at = Now();
  LL_ASSIGN(t, store_.Ads().UpdateTransfer(t));
  auto set = client->SetBudget(t.to_campaign, Money{t.currency, target});
  RecordCalls(t.incident_id, t.to_account, "budget", set.calls, set.failure);
  if (!set.ok()) {
    const Failure& f = set.failure;
    if (f.kind == FailureKind::kRateLimited || f.kind == FailureKind::kUnavailable) {
      return ScheduleTransfer(t.id, "move", Now() + Backoff(f), n + 1);
    }
    t.prior_budget_micros.reset();
    t.set_budget_micros.reset();
    return finish(
        AdTransferState::kFailed,
        fmt::format("{} refused to set \"{}\" to {}: {} ({} {})", t.to_account, c.name,
                    Amount(t.currency, target), f.message, FailureKindName(f.kind), f.code),
        "ads_transfer_failed");
  }
  return finish(
      AdTransferState::kMoved,
      fmt::format("raised \"{}\" on {} from {} to {} (+{}){} for the outage; it goes "
                  "back after the restoration",
                  c.name, t.to_account, Amount(t.currency, current), Amount(t.currency, target),
                  Amount(t.currency, target - current), capped),
      "ads_transfer_moved");
}

Status Guard::ReturnTransfer(std::int64_t id, int n) {
  auto got = store_.Ads().GetTransfer(id);
  if (!got.ok()) {
    if (got.error().code() == ErrorCode::kNotFound) return core::Ok();
    return got.error();
  }
  AdTransfer t = std::move(*got);
  if (t.state != AdTransferState::kMoved || !t.prior_budget_micros || !t.set_budget_micros) {
    return core::Ok();
  }
  auto finish = [&](AdTransferState state, std::string note, std::string_view type) -> Status {
    t.state = state;
    t.note = std::move(note);
    t.updated_at = Now();
    if (state == AdTransferState::kReturned) t.returned_at = Now();
    LL_ASSIGN(t, store_.Ads().UpdateTransfer(t));
    Timeline(t.incident_id, type,
             fmt::format("Ads: budget transfer {} (#{}): {}", t.name, t.id, t.note),
             TransferData(t, "lifeline"));
    return core::Ok();
  };
  // Back only once the paused campaigns' platforms have been healthy for the settle time.
  std::vector<std::string> platforms;
  if (const AccountConfig* from = config_.FindAccount(t.from_account)) platforms = from->platforms;
  const std::chrono::milliseconds settle = TransferSettle(t);
  LL_ASSIGN(std::optional<store::Time> since, HealthySince(platforms));
  if (!since) return ScheduleTransfer(t.id, "return", Now() + settle, n + 1);
  if (Now() < *since + settle) return ScheduleTransfer(t.id, "return", *since + settle, n + 1);

  AdPlatform* client = Client(t.to_account);
  if (client == nullptr) {
    return finish(
        AdTransferState::kFailed,
        fmt::format("account {} is not in the config any more: set campaign {} back "
                    "to {} by hand",
                    t.to_account, t.to_campaign, Amount(t.currency, *t.prior_budget_micros)),
        "ads_transfer_failed");
  }
  auto read = client->GetCampaigns({t.to_campaign});
  RecordCalls(t.incident_id, t.to_account, "read", read.calls, read.failure);
  if (!read.ok()) {
    const Failure& f = read.failure;
    if (f.kind == FailureKind::kRateLimited || f.kind == FailureKind::kUnavailable) {
      return ScheduleTransfer(t.id, "return", Now() + Backoff(f), n + 1);
    }
    return finish(AdTransferState::kFailed,
                  fmt::format("cannot read campaign {} to move the budget back: {}; set it back "
                              "to {} by hand",
                              t.to_campaign, f.message, Amount(t.currency, *t.prior_budget_micros)),
                  "ads_transfer_failed");
  }
  if (read.value->empty() || !read.value->front().budget ||
      read.value->front().budget_kind != BudgetKind::kDaily) {
    return finish(AdTransferState::kFailed,
                  fmt::format("campaign {} is gone or has no daily budget any more: nothing to "
                              "move back",
                              t.to_campaign),
                  "ads_transfer_failed");
  }
  const Campaign& c = read.value->front();
  const std::int64_t current = c.budget->micros;
  const std::int64_t added = *t.set_budget_micros - *t.prior_budget_micros;
  std::int64_t target = *t.prior_budget_micros;
  std::string how;
  if (current != *t.set_budget_micros) {
    // Someone changed it during the outage: keep their change, take back only what was added.
    target = FloorToMinor(t.currency, current - added);
    how = fmt::format(" (someone set it to {} meanwhile: only the {} Lifeline added is taken back)",
                      Amount(t.currency, current), Amount(t.currency, added));
  }
  const Transfer* config = config_.FindTransfer(t.name);
  if (config != nullptr && config->min_budget && target < config->min_budget->micros) {
    target = config->min_budget->micros;
    how += fmt::format(" (kept at the transfer's min_budget {})", Format(*config->min_budget));
  }
  if (target <= 0) {
    return finish(AdTransferState::kFailed,
                  fmt::format("\"{}\" is at {}: taking back {} would leave nothing; decide by hand",
                              c.name, Amount(t.currency, current), Amount(t.currency, added)),
                  "ads_transfer_failed");
  }
  if (target != current) {
    auto set = client->SetBudget(t.to_campaign, Money{t.currency, target});
    RecordCalls(t.incident_id, t.to_account, "budget", set.calls, set.failure);
    if (!set.ok()) {
      const Failure& f = set.failure;
      if (f.kind == FailureKind::kRateLimited || f.kind == FailureKind::kUnavailable) {
        return ScheduleTransfer(t.id, "return", Now() + Backoff(f), n + 1);
      }
      return finish(AdTransferState::kFailed,
                    fmt::format("{} refused to set \"{}\" back to {}: {} ({} {}); it stays at {}",
                                t.to_account, c.name, Amount(t.currency, target), f.message,
                                FailureKindName(f.kind), f.code, Amount(t.currency, current)),
                    "ads_transfer_failed");
    }
  }
  t.returned_budget_micros = target;
  return finish(AdTransferState::kReturned,
                fmt::format("moved back: \"{}\" on {} from {} to {}{}", c.name, t.to_account,
                            Amount(t.currency, current), Amount(t.currency, target), how),
                "ads_transfer_returned");
}

// The settle time of the policy that paused the transfer's campaigns (the default when it is not in
// the config any more): the budget goes back when they would resume.
std::chrono::milliseconds Guard::TransferSettle(const AdTransfer& t) {
  if (t.campaigns.empty()) return internal::kDefaultSettle;
  auto change = store_.Ads().Get(t.incident_id, t.from_account, t.campaigns.front());
  if (!change.ok()) return internal::kDefaultSettle;
  const Policy* p = FindPolicy(change->policy);
  return p != nullptr ? p->settle : internal::kDefaultSettle;
}

// Under mu_, when the incident closes: what was not made expires; what was made goes back after
// the settle time.
void Guard::CloseTransfers(const std::string& incident, store::Time closed_at) {
  auto open = store_.Ads().ListTransfers({.incident_id = incident, .open_only = true});
  if (!open.ok()) return Log("ads guard: " + open.error().message());
  for (AdTransfer& t : *open) {
    if (t.state == AdTransferState::kMoved) {
      const std::chrono::milliseconds settle = TransferSettle(t);
      t.return_due = closed_at + settle;
      t.updated_at = Now();
      auto up = store_.Ads().UpdateTransfer(t);
      if (!up.ok()) Log("ads guard: " + up.error().message());
      if (auto s = ScheduleTransfer(t.id, "return", *t.return_due, 0); !s.ok()) {
        Log("ads guard: " + s.error().message());
      }
      Timeline(incident, "ads_transfer_return_scheduled",
               fmt::format("Ads: budget transfer {} (#{}) goes back after the platform has been "
                           "healthy for {} (from {})",
                           t.name, t.id, internal::Human(settle), core::FormatTime(*t.return_due)),
               TransferData(t, "lifeline"));
      continue;
    }
    t.state = AdTransferState::kExpired;
    t.note = "not made: the outage ended before it was " +
             std::string(t.decided_by.empty() ? "approved" : "made");
    t.updated_at = Now();
    auto up = store_.Ads().UpdateTransfer(t);
    if (!up.ok()) {
      Log("ads guard: " + up.error().message());
      continue;
    }
    Timeline(incident, "ads_transfer_expired",
             fmt::format("Ads: budget transfer {} (#{}): {}", t.name, t.id, t.note),
             TransferData(*up, "lifeline"));
  }
}

Result<AdTransfer> Guard::DecideTransfer(std::int64_t id, bool approve, std::string_view by,
                                         std::string_view why) {
  if (by.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "say who {} the transfer (by)",
                     approve ? "approves" : "refuses");
  }
  std::lock_guard lock(mu_);
  LL_ASSIGN(AdTransfer t, store_.Ads().GetTransfer(id));
  if (t.state != AdTransferState::kProposed) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "budget transfer #{} is {}{}: only a proposed transfer is approved or "
                     "refused",
                     id, store::AdTransferStateName(t.state),
                     t.decided_by.empty() ? "" : fmt::format(" (decided by {})", t.decided_by));
  }
  t.decided_by = std::string(by);
  t.updated_at = Now();
  if (approve) {
    t.state = AdTransferState::kApproved;
    t.note = fmt::format("approved by {}: moving {}/day to campaign {} on {}", by,
                         Amount(t.currency, t.amount_micros), t.to_campaign, t.to_account);
  } else {
    t.state = AdTransferState::kRefused;
    t.note =
        why.empty() ? fmt::format("refused by {}", by) : fmt::format("refused by {}: {}", by, why);
  }
  LL_ASSIGN(t, store_.Ads().UpdateTransfer(t));
  Timeline(t.incident_id, approve ? "ads_transfer_approved" : "ads_transfer_refused",
           fmt::format("Ads: budget transfer {} (#{}) {}", t.name, t.id, t.note),
           TransferData(t, by));
  if (approve) LL_TRY(ScheduleTransfer(t.id, "move", Now(), 0));
  return t;
}

Result<std::vector<AdTransfer>> Guard::Transfers(std::string_view incident, bool open_only,
                                                 std::size_t limit) {
  return store_.Ads().ListTransfers(
      {.incident_id = std::string(incident), .open_only = open_only, .limit = limit});
}

}  // namespace lifeline::ads
