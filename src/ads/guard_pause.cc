// The ads guard's pause and resume work (guard.h), run by the ads.* timers: bounded by the work
// budget, continued by a new timer when it runs out or a platform asks to slow down, and
// idempotent by the durable record of each campaign (Store::Ads()).
#include <algorithm>
#include <map>
#include <set>

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

namespace {

json PriorJson(const AdChange& c) {
  json j{{"status", c.prior_status}, {"effective_status", c.prior_effective}};
  if (c.prior_budget_micros) {
    j["budget"] = ToDecimal(Money{c.currency, *c.prior_budget_micros});
    j["budget_kind"] = c.prior_budget_kind;
    j["currency"] = c.currency;
  }
  return j;
}

AdChange FromCampaign(const Campaign& c, const AccountConfig& a, const std::string& incident,
                      const std::string& policy, const std::string& by, store::Time now) {
  AdChange r;
  r.incident_id = incident;
  r.account = a.name;
  r.platform = a.kind;
  r.campaign_id = c.id;
  r.campaign_name = c.name;
  r.policy = policy;
  r.by = by;
  r.prior_status = c.raw_status;
  r.prior_effective = c.effective_status;
  if (c.budget) r.prior_budget_micros = c.budget->micros;
  r.prior_budget_kind = std::string(BudgetKindName(c.budget_kind));
  r.currency = a.currency;
  r.prior_updated = c.updated;
  r.created_at = now;
  r.updated_at = now;
  return r;
}

}  // namespace

Status Guard::PauseWork(const json& payload, int n) {
  const std::string incident = payload.value("incident", std::string());
  const std::string policy_name = payload.value("policy", std::string());
  const std::string by = payload.value("by", std::string("lifeline"));
  const std::string approved_by = payload.value("approved_by", std::string());
  const std::vector<std::string> failed = payload.value("failed", std::vector<std::string>());
  bool dry = payload.value("dry_run", false) || config_.dry_run;

  auto inc = store_.GetIncident(incident);
  if (!inc.ok()) {
    if (inc.error().code() == ErrorCode::kNotFound) {
      Log(fmt::format("ads guard: incident {} is gone: nothing to pause", incident));
      return core::Ok();
    }
    return inc.error();  // the store failed: the timer runs again
  }
  if (inc->drill) dry = true;  // a drill never touches the real campaigns
  if (inc->state != store::IncidentState::kOpen) {
    Timeline(incident, n == 0 ? "ads_pause_skipped" : "ads_pause_stopped",
             n == 0 ? "Ads: the incident closed before the guard's wait ended: nothing paused"
                    : "Ads: the incident closed while pausing: what was paused resumes after "
                      "the settle time",
             {{"policy", policy_name}, {"by", "lifeline"}});
    return core::Ok();
  }
  const Policy* policy = FindPolicy(policy_name);
  if (policy != nullptr && std::find(policy->verdicts.begin(), policy->verdicts.end(),
                                     inc->verdict) == policy->verdicts.end()) {
    Timeline(incident, "ads_pause_skipped",
             fmt::format("Ads: the incident is now {}, which policy {} does not pause for",
                         core::VerdictName(inc->verdict), policy_name),
             {{"policy", policy_name}, {"by", "lifeline"}});
    return core::Ok();
  }
  auto accounts = AccountsFor(failed, policy);
  // One account per timer: each account's rate limits are its own, so a platform that says "come
  // back in a minute" does not hold up the others (the scheduler runs the other accounts' timers
  // meanwhile).
  const std::string only = payload.value("account", std::string());
  if (!only.empty()) {
    std::erase_if(accounts, [&](const AccountConfig* a) { return a->name != only; });
  } else if (accounts.size() > 1) {
    for (const AccountConfig* a : accounts) {
      json one = payload;
      one["account"] = a->name;
      one["n"] = n + 1;
      store::NewTimer t;
      t.kind = std::string(kPauseTimer);
      t.key = fmt::format("ads/pause/{}/{}/{}/{}", incident, policy_name, a->name, n + 1);
      t.owner = "ads/" + incident;
      t.due = Now();
      t.payload_json = one.dump();
      LL_ASSIGN(auto scheduled, scheduler_.Schedule(std::move(t)));
      (void)scheduled;
    }
    return core::Ok();
  }
  if (accounts.empty()) {
    if (n == 0) {
      Timeline(incident, "ads_pause_skipped",
               fmt::format("Ads: no ad account delivers on {}: nothing to pause",
                           internal::Names(failed, names_)),
               {{"policy", policy_name}, {"by", "lifeline"}});
    }
    return core::Ok();
  }
  const auto deadline = std::chrono::steady_clock::now() + options_.work_budget;
  auto again = [&](std::chrono::milliseconds after, const std::string& why) -> Status {
    json next = payload;
    next["n"] = n + 1;
    store::NewTimer t;
    t.kind = std::string(kPauseTimer);
    t.key = only.empty() ? fmt::format("ads/pause/{}/{}/{}", incident, policy_name, n + 1)
                         : fmt::format("ads/pause/{}/{}/{}/{}", incident, policy_name, only, n + 1);
    t.owner = "ads/" + incident;
    t.due = Now() + after;
    t.payload_json = next.dump();
    LL_ASSIGN(auto scheduled, scheduler_.Schedule(std::move(t)));
    (void)scheduled;
    if (!why.empty()) {
      Timeline(
          incident, "ads_pause_continues",
          fmt::format("Ads: {}; pausing continues at {}", why, core::FormatTime(Now() + after)),
          {{"policy", policy_name}, {"by", "lifeline"}, {"wait_ms", after.count()}});
    }
    return core::Ok();
  };

  for (const AccountConfig* a : accounts) {
    AdPlatform* client = Client(a->name);
    if (client == nullptr) continue;
    auto listed = client->ListCampaigns();
    RecordCalls(incident, a->name, "list", listed.calls, listed.failure);
    if (!listed.ok()) {
      const Failure& f = listed.failure;
      if (f.kind == FailureKind::kRateLimited || f.kind == FailureKind::kUnavailable) {
        return again(Backoff(f), fmt::format("{} answered {} ({})", a->name,
                                             FailureKindName(f.kind), f.message));
      }
      Timeline(incident, "ads_pause_failed",
               fmt::format("Ads: cannot list the campaigns of {}: {} ({} {})", a->name, f.message,
                           FailureKindName(f.kind), f.code),
               {{"account", a->name}, {"failure", FailureKindName(f.kind)}, {"by", "lifeline"}});
      continue;
    }
    std::map<std::string, const Campaign*> by_id;
    for (const Campaign& c : *listed.value) by_id[c.id] = &c;

    // The platform's last-modified stamp after Lifeline's pause: a later one means someone else
    // changed the campaign since, and Lifeline then leaves it as that person set it. Read in as
    // few calls as the platform allows, for what this run paused and what an interrupted run
    // paused without reading back.
    std::vector<AdChange> unread;
    {
      auto paused_rows = store_.Ads().List(
          {.incident_id = incident, .account = a->name, .state = AdChangeState::kPaused});
      if (!paused_rows.ok()) return paused_rows.error();
      for (AdChange& r : *paused_rows) {
        if (r.marker.empty()) unread.push_back(std::move(r));
      }
    }
    if (!client->stamps_changes()) unread.clear();
    auto read_back = [&]() -> Status {
      if (!client->stamps_changes()) unread.clear();
      if (unread.empty()) return core::Ok();
      std::vector<std::string> ids;
      for (const auto& r : unread) ids.push_back(r.campaign_id);
      auto read = client->GetCampaigns(ids);
      RecordCalls(incident, a->name, "read", read.calls, read.failure);
      if (!read.ok()) return core::Ok();  // the next run reads them (their marker is empty)
      for (const Campaign& c : *read.value) {
        for (AdChange& r : unread) {
          if (r.campaign_id != c.id) continue;
          r.marker = c.updated;
          r.updated_at = Now();
          LL_TRY(store_.Ads().Update(r));
        }
      }
      unread.clear();
      return core::Ok();
    };

    // Rows a previous run recorded and may have paused before it died: the listing tells.
    auto open = store_.Ads().List(
        {.incident_id = incident, .account = a->name, .state = AdChangeState::kPausing});
    if (!open.ok()) return open.error();
    std::vector<AdChange> to_pause;
    std::set<std::string> queued;
    for (AdChange& r : *open) {
      auto it = by_id.find(r.campaign_id);
      if (it != by_id.end() && it->second->status == CampaignStatus::kPaused) {
        r.state = AdChangeState::kPaused;
        r.paused_at = r.paused_at.value_or(Now());
        r.marker = it->second->updated;
        r.note = "paused (found paused when pausing went on after an interruption)";
        r.updated_at = Now();
        LL_TRY(store_.Ads().Update(r));
      } else if (it != by_id.end() && it->second->status == CampaignStatus::kActive) {
        to_pause.push_back(r);
        queued.insert(r.campaign_id);
      }
    }
    int already = 0, would = 0;
    for (const Campaign& c : *listed.value) {
      if (c.status != CampaignStatus::kActive || queued.count(c.id)) continue;
      AdChange rec = FromCampaign(c, *a, incident, policy_name, by, Now());
      rec.state = dry ? AdChangeState::kDryRun : AdChangeState::kPausing;
      rec.note = dry ? "dry run: would pause" : "prior state recorded; pausing";
      LL_ASSIGN(auto stored, store_.Ads().Record(rec));
      if (!stored.second) {
        ++already;  // handled by an earlier run (paused and resumed by hand, kept, failed)
        continue;
      }
      if (dry) {
        ++would;
        Timeline(incident, "ads_dry_run",
                 fmt::format("Ads (dry run): would pause {} \"{}\" on {} (now {}, {})", c.id,
                             c.name, a->name, c.raw_status, c.effective_status),
                 {{"account", a->name},
                  {"campaign", c.id},
                  {"prior", PriorJson(stored.first)},
                  {"by", by}});
        continue;
      }
      to_pause.push_back(stored.first);
    }
    if (dry) {
      if (would > 0) {
        Timeline(incident, "ads_dry_run",
                 fmt::format("Ads (dry run): would pause {} active campaign(s) of {}; nothing "
                             "was changed",
                             would, a->name),
                 {{"account", a->name}, {"count", would}, {"by", by}});
      }
      LL_TRY(ProposeTransfers(incident, *a, by, approved_by, true));
      continue;
    }
    int paused = 0, failed_n = 0;
    for (std::size_t i = 0; i < to_pause.size(); i += client->max_batch()) {
      if (std::chrono::steady_clock::now() > deadline) {
        LL_TRY(read_back());
        return again(std::chrono::milliseconds(0), "");
      }
      std::vector<AdChange> batch(
          to_pause.begin() + i,
          to_pause.begin() + std::min(to_pause.size(), i + client->max_batch()));
      std::vector<std::string> ids;
      for (const auto& r : batch) ids.push_back(r.campaign_id);
      auto changed = client->SetStatus(ids, false);
      RecordCalls(incident, a->name, "pause", changed.calls, changed.failure);
      if (!changed.ok()) {
        const Failure& f = changed.failure;
        if (f.kind == FailureKind::kRateLimited || f.kind == FailureKind::kUnavailable) {
          return again(Backoff(f), fmt::format("{} answered {} ({})", a->name,
                                               FailureKindName(f.kind), f.message));
        }
        LL_TRY(read_back());
        for (AdChange& r : batch) {
          r.state = AdChangeState::kFailed;
          r.note =
              fmt::format("not paused: {} ({} {})", f.message, FailureKindName(f.kind), f.code);
          r.updated_at = Now();
          LL_TRY(store_.Ads().Update(r));
          ++failed_n;
        }
        Timeline(incident, "ads_pause_failed",
                 fmt::format("Ads: {} refused to pause {} campaign(s): {}", a->name, batch.size(),
                             f.message),
                 {{"account", a->name}, {"failure", FailureKindName(f.kind)}, {"by", by}});
        break;
      }
      std::optional<Failure> slow_down;
      for (std::size_t k = 0; k < batch.size() && k < changed.value->size(); ++k) {
        AdChange& r = batch[k];
        const Failure& f = (*changed.value)[k].failure;
        if (f.kind == FailureKind::kNone) {
          r.state = AdChangeState::kPaused;
          r.paused_at = Now();
          r.note = "paused by Lifeline";
          ++paused;
        } else if (f.kind == FailureKind::kRateLimited || f.kind == FailureKind::kUnavailable) {
          slow_down = f;  // stays pausing: the continuation tries it again
          continue;
        } else {
          r.state = AdChangeState::kFailed;
          r.note =
              fmt::format("not paused: {} ({} {})", f.message, FailureKindName(f.kind), f.code);
          ++failed_n;
        }
        r.updated_at = Now();
        LL_TRY(store_.Ads().Update(r));
        Timeline(
            incident, r.state == AdChangeState::kPaused ? "ads_paused" : "ads_pause_failed",
            r.state == AdChangeState::kPaused
                ? fmt::format("Ads: paused {} \"{}\" on {} (was {})", r.campaign_id,
                              r.campaign_name, a->name, r.prior_status)
                : fmt::format("Ads: could not pause {} on {}: {}", r.campaign_id, a->name, r.note),
            {{"account", a->name},
             {"campaign", r.campaign_id},
             {"prior", PriorJson(r)},
             {"by", by}});
        if (r.state == AdChangeState::kPaused) unread.push_back(r);
      }
      if (slow_down) {
        // A batch's rate-limit answer: the reads wait for the continuation, which reads first.
        return again(Backoff(*slow_down),
                     fmt::format("{} answered {} ({})", a->name, FailureKindName(slow_down->kind),
                                 slow_down->message));
      }
    }
    LL_TRY(read_back());
    if (paused > 0 || failed_n > 0 || n == 0) {
      Timeline(incident, "ads_pause_done",
               fmt::format("Ads: {} paused {} campaign(s){}{}", a->name, paused,
                           failed_n ? fmt::format(", {} could not be paused", failed_n) : "",
                           already ? fmt::format(", {} handled before", already) : ""),
               {{"account", a->name}, {"paused", paused}, {"failed", failed_n}, {"by", by}});
    }
    LL_TRY(ProposeTransfers(incident, *a, by, approved_by, false));
  }
  return core::Ok();
}

Status Guard::ResumeWork(const std::string& incident, int n) {
  LL_ASSIGN(std::vector<AdChange> rows,
            store_.Ads().List({.incident_id = incident, .open_only = true}));
  // A manual policy's campaigns wait for a person.
  std::erase_if(rows, [&](const AdChange& r) {
    const Policy* p = FindPolicy(r.policy);
    return p != nullptr && p->resume == Resume::kManual;
  });
  if (rows.empty()) return core::Ok();
  std::vector<std::string> platforms;
  std::chrono::milliseconds settle{0};
  std::chrono::milliseconds stagger = std::chrono::hours(2);
  for (const AdChange& r : rows) {
    if (const AccountConfig* a = config_.FindAccount(r.account)) {
      for (const auto& p : a->platforms) {
        if (std::find(platforms.begin(), platforms.end(), p) == platforms.end()) {
          platforms.push_back(p);
        }
      }
    }
    const Policy* p = FindPolicy(r.policy);
    settle = std::max(settle, p != nullptr ? p->settle : internal::kDefaultSettle);
    stagger = std::min(stagger, p != nullptr ? p->stagger : std::chrono::milliseconds(0));
  }
  LL_ASSIGN(std::optional<store::Time> since, HealthySince(platforms));
  if (!since) {
    // Failing again: look again once a settle time has passed (a new incident's close also
    // schedules its own resume).
    Timeline(incident, "ads_resume_waiting",
             fmt::format("Ads: {} failing again: {} campaign(s) stay paused",
                         internal::Names(platforms, names_), rows.size()),
             {{"by", "lifeline"}});
    return ScheduleResume(incident, Now() + settle, n + 1);
  }
  if (Now() < *since + settle) return ScheduleResume(incident, *since + settle, n + 1);

  // One campaign per stagger step; all at once without stagger.
  if (stagger.count() > 0) rows.resize(1);
  const auto deadline = std::chrono::steady_clock::now() + options_.work_budget;
  std::map<std::string, std::vector<AdChange>> by_account;
  for (AdChange& r : rows) by_account[r.account].push_back(std::move(r));
  for (auto& [account, list] : by_account) {
    AdPlatform* client = Client(account);
    if (client == nullptr) {
      for (AdChange& r : list) {
        r.state = AdChangeState::kFailed;
        r.note =
            fmt::format("account {} is not in the config any more: resume it by hand", account);
        r.updated_at = Now();
        LL_TRY(store_.Ads().Update(r));
      }
      continue;
    }
    for (std::size_t i = 0; i < list.size(); i += client->max_batch()) {
      if (std::chrono::steady_clock::now() > deadline) {
        return ScheduleResume(incident, Now(), n + 1);
      }
      std::vector<AdChange> batch(list.begin() + i,
                                  list.begin() + std::min(list.size(), i + client->max_batch()));
      std::vector<std::string> ids;
      for (const auto& r : batch) ids.push_back(r.campaign_id);
      // Read them again: only what is still as Lifeline left it comes back.
      auto now = client->GetCampaigns(ids);
      RecordCalls(incident, account, "read", now.calls, now.failure);
      if (!now.ok()) {
        const Failure& f = now.failure;
        if (f.kind == FailureKind::kPermission) {
          for (AdChange& r : batch) {
            r.state = AdChangeState::kFailed;
            r.note = "cannot read it to resume it: " + f.message;
            r.updated_at = Now();
            LL_TRY(store_.Ads().Update(r));
          }
          continue;
        }
        Timeline(incident, "ads_resume_continues",
                 fmt::format("Ads: {} answered {} ({}); resuming continues later", account,
                             FailureKindName(f.kind), f.message),
                 {{"account", account}, {"by", "lifeline"}});
        return ScheduleResume(incident, Now() + Backoff(f), n + 1);
      }
      std::map<std::string, const Campaign*> by_id;
      for (const Campaign& c : *now.value) by_id[c.id] = &c;
      std::vector<AdChange*> go;
      for (AdChange& r : batch) {
        auto it = by_id.find(r.campaign_id);
        std::string keep;
        if (it == by_id.end()) {
          r.state = AdChangeState::kFailed;
          r.note = "the campaign no longer exists";
        } else if (it->second->status == CampaignStatus::kActive) {
          keep = r.state == AdChangeState::kPausing
                     ? "not paused: the pause did not go through before the platform recovered"
                     : fmt::format("already running: someone set it to {} meanwhile",
                                   it->second->raw_status);
        } else if (it->second->status != CampaignStatus::kPaused) {
          keep = fmt::format("left as it is: someone set it to {}", it->second->raw_status);
        } else if (!r.marker.empty() && it->second->updated != r.marker) {
          keep = fmt::format(
              "left paused: changed by someone after Lifeline paused it (last "
              "modified {})",
              it->second->updated);
        } else if (!it->second->issues.empty()) {
          keep =
              fmt::format("left paused: it shows issues ({})", fmt::join(it->second->issues, "; "));
        } else {
          go.push_back(&r);
          continue;
        }
        if (!keep.empty()) {
          r.state = AdChangeState::kKept;
          r.note = keep;
        }
        r.updated_at = Now();
        LL_TRY(store_.Ads().Update(r));
        Timeline(incident,
                 r.state == AdChangeState::kKept ? "ads_kept_paused" : "ads_resume_failed",
                 fmt::format("Ads: {} \"{}\" on {}: {}", r.campaign_id, r.campaign_name, account,
                             r.note),
                 {{"account", account}, {"campaign", r.campaign_id}, {"by", "lifeline"}});
      }
      if (go.empty()) continue;
      ids.clear();
      for (AdChange* r : go) ids.push_back(r->campaign_id);
      auto changed = client->SetStatus(ids, true);
      RecordCalls(incident, account, "resume", changed.calls, changed.failure);
      if (!changed.ok()) {
        const Failure& f = changed.failure;
        if (f.kind == FailureKind::kRateLimited || f.kind == FailureKind::kUnavailable) {
          return ScheduleResume(incident, Now() + Backoff(f), n + 1);
        }
        for (AdChange* r : go) {
          r->state = AdChangeState::kFailed;
          r->note = "not resumed: " + f.message;
          r->updated_at = Now();
          LL_TRY(store_.Ads().Update(*r));
        }
        continue;
      }
      std::optional<Failure> slow_down;
      for (std::size_t k = 0; k < go.size() && k < changed.value->size(); ++k) {
        AdChange& r = *go[k];
        const Failure& f = (*changed.value)[k].failure;
        if (f.kind == FailureKind::kRateLimited || f.kind == FailureKind::kUnavailable) {
          slow_down = f;
          continue;
        }
        if (f.kind == FailureKind::kNone) {
          r.state = AdChangeState::kResumed;
          r.resumed_at = Now();
          r.note = "resumed by Lifeline";
        } else {
          r.state = AdChangeState::kFailed;
          r.note = "not resumed: " + f.message;
        }
        r.updated_at = Now();
        LL_TRY(store_.Ads().Update(r));
        Timeline(incident, r.state == AdChangeState::kResumed ? "ads_resumed" : "ads_resume_failed",
                 fmt::format("Ads: {} {} \"{}\" on {}",
                             r.state == AdChangeState::kResumed ? "resumed" : "could not resume",
                             r.campaign_id, r.campaign_name, account),
                 {{"account", account}, {"campaign", r.campaign_id}, {"by", "lifeline"}});
      }
      if (slow_down) return ScheduleResume(incident, Now() + Backoff(*slow_down), n + 1);
    }
  }
  if (stagger.count() > 0) {
    LL_ASSIGN(auto left, store_.Ads().List({.incident_id = incident, .open_only = true}));
    if (!left.empty()) return ScheduleResume(incident, Now() + stagger, n + 1);
  }
  return core::Ok();
}

}  // namespace lifeline::ads
