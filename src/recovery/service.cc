// The recovery checklist of an incident (service.h): which campaigns, which hours, the figures.
#include "recovery/service.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

#include <date/tz.h>
#include <fmt/format.h>

#include "ads/account.h"
#include "core/types.h"
#include "playbook/plan.h"

namespace lifeline::recovery {
namespace {

using core::ErrorCode;
using core::MakeError;
using core::Result;
using std::chrono::days;
using std::chrono::floor;
using std::chrono::hours;
using SysTime = std::chrono::system_clock::time_point;
using LocalHours = date::local_time<hours>;

// A time zone: date's database, or UTC for "".
class Zone {
 public:
  static Result<Zone> Find(const std::string& name) {
    Zone z;
    z.name_ = name.empty() ? "UTC" : name;
    try {
      z.tz_ = date::locate_zone(z.name_);
    } catch (const std::exception& e) {
      return MakeError(ErrorCode::kInvalidArgument, "unknown time zone '{}': {}", name, e.what());
    }
    return z;
  }
  LocalHours Floor(SysTime t) const {
    return floor<hours>(date::make_zoned(tz_, floor<std::chrono::seconds>(t)).get_local_time());
  }
  LocalHours Ceil(SysTime t) const {
    const auto local = date::make_zoned(tz_, floor<std::chrono::seconds>(t)).get_local_time();
    const LocalHours f = floor<hours>(local);
    return f == local ? f : f + hours(1);
  }
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  const date::time_zone* tz_ = nullptr;
};

std::string Day(date::local_days d) {
  const date::year_month_day ymd{d};
  return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
}

// "2026-11-27T10:00" -> (day, hour); nullopt for anything else.
std::optional<std::pair<date::local_days, int>> ParseHour(const std::string& s) {
  int y = 0, mo = 0, d = 0, h = 0;
  if (s.size() < 13 || std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d", &y, &mo, &d, &h) != 4) {
    return std::nullopt;
  }
  const date::year_month_day ymd{date::year{y}, date::month{static_cast<unsigned>(mo)},
                                 date::day{static_cast<unsigned>(d)}};
  if (!ymd.ok() || h < 0 || h > 23) return std::nullopt;
  return std::pair{date::local_days{ymd}, h};
}

std::string Human(Duration d) {
  const auto m = std::chrono::duration_cast<std::chrono::minutes>(d).count();
  if (m % 60 == 0) return fmt::format("{} h", m / 60);
  return fmt::format("{} min", m);
}

const char* kConversionsNote =
    "Conversions are not judged: the platforms credit a conversion to the ad days after the "
    "click or view (within the attribution or conversion window set on the account, often 7 "
    "days or more) and report them with a delay, so a few hours after a restoration a loss "
    "cannot be told from conversions not counted yet. Compare them once that window has passed.";

}  // namespace

bool Serving(const ads::Campaign& c, std::string_view kind) {
  if (!c.issues.empty()) return false;
  if (kind == "meta") return c.effective_status == "ACTIVE";
  if (kind == "google") return c.effective_status.starts_with("SERVING");
  if (kind == "tiktok") return c.effective_status == "CAMPAIGN_STATUS_ENABLE";
  return true;
}

Result<std::unique_ptr<RecoveryService>> RecoveryService::Create(const ads::AdsConfig& ads,
                                                                 const config::Config& catalog,
                                                                 store::Store& store,
                                                                 RecoveryOptions options,
                                                                 channels::HttpClient* http) {
  for (const auto& [account, zone] : options.time_zones) {
    if (ads.FindAccount(account) == nullptr) {
      return MakeError(ErrorCode::kInvalidArgument, "recovery: time zone for unknown account '{}'",
                       account);
    }
    LL_TRY(Zone::Find(zone));
  }
  std::unique_ptr<channels::HttpClient> own;
  if (http == nullptr && !ads.accounts.empty()) {
    own = channels::MakeCurlHttpClient();
    http = own.get();
  }
  std::map<std::string, std::unique_ptr<ads::AdPlatform>, std::less<>> clients;
  for (const ads::AccountConfig& a : ads.accounts) {
    LL_ASSIGN(auto client, ads::MakeAdPlatform(a, *http));
    clients.emplace(a.name, std::move(client));
  }
  auto s = std::make_unique<RecoveryService>(ads, catalog, std::move(clients), store,
                                             std::move(options));
  s->own_http_ = std::move(own);
  return s;
}

RecoveryService::RecoveryService(
    const ads::AdsConfig& ads, const config::Config& catalog,
    std::map<std::string, std::unique_ptr<ads::AdPlatform>, std::less<>> clients,
    store::Store& store, RecoveryOptions options)
    : ads_(ads),
      clients_(std::move(clients)),
      store_(store),
      options_(std::move(options)),
      clock_(options_.clock ? *options_.clock : core::RealClock()) {
  for (const auto& p : catalog.platforms) domains_[p.id] = p.domain;
  // The accounts' own time zones (ads.accounts.NAME.time_zone, checked when the config was read)
  // unless the options name one.
  for (const ads::AccountConfig& a : ads.accounts) {
    if (!a.time_zone.empty()) options_.time_zones.try_emplace(a.name, a.time_zone);
  }
}

void RecoveryService::Record(const std::string& incident, const std::string& account,
                             std::string_view op, const std::vector<ads::Call>& calls,
                             const ads::Failure& failure) {
  if (calls.empty()) return;
  std::vector<store::AdCallRecord> records;
  for (std::size_t i = 0; i < calls.size(); ++i) {
    const ads::Call& c = calls[i];
    store::AdCallRecord r;
    r.incident_id = incident;
    r.account = account;
    r.op = std::string(op);
    r.method = c.method;
    r.path = c.path;
    r.request = c.request;
    r.status = c.status;
    r.answer = c.answer.substr(0, 2000);
    r.usage = c.usage;
    r.took_ms = c.took.count();
    if (i + 1 == calls.size()) r.failure = std::string(ads::FailureKindName(failure.kind));
    r.at = store::FromSystem(clock_.Now());
    records.push_back(std::move(r));
  }
  // The call log is an audit trail, not the check: a store failure does not fail the checklist.
  (void)store_.Ads().AddCalls(records);
}

Result<std::vector<CampaignEntry>> RecoveryService::Campaigns(const store::Incident& inc,
                                                              std::vector<std::string>& errors) {
  std::vector<CampaignEntry> out;
  LL_ASSIGN(auto changes, store_.Ads().List({.incident_id = inc.id, .limit = 10000}));
  std::erase_if(changes, [](const store::AdChange& c) {
    return c.state == store::AdChangeState::kDryRun || c.state == store::AdChangeState::kFailed;
  });
  if (!changes.empty()) {
    for (const store::AdChange& c : changes) {
      CampaignEntry e;
      e.account = c.account;
      e.platform = c.platform;
      e.campaign_id = c.campaign_id;
      e.name = c.campaign_name;
      e.source = "paused_by_lifeline";
      e.change_state = std::string(store::AdChangeStateName(c.state));
      if (c.resumed_at) e.resumed_at = core::FormatTime(SysTime(*c.resumed_at));
      e.currency = c.currency;
      out.push_back(std::move(e));
    }
    return out;
  }
  // Nothing was paused: every active campaign of the accounts delivering on a failed platform.
  std::set<std::string> failed(inc.platforms.begin(), inc.platforms.end());
  if (inc.kind == store::IncidentKind::kDomain && !inc.domain.empty()) {
    for (const auto& [id, d] : domains_) {
      if (d == inc.domain) failed.insert(id);
    }
  }
  for (const ads::AccountConfig& a : ads_.accounts) {
    const bool concerned = std::any_of(a.platforms.begin(), a.platforms.end(),
                                       [&](const std::string& p) { return failed.count(p) > 0; });
    if (!concerned) continue;
    auto it = clients_.find(a.name);
    if (it == clients_.end()) continue;
    auto listed = it->second->ListCampaigns();
    Record(inc.id, a.name, "list", listed.calls, listed.failure);
    if (!listed.ok()) {
      errors.push_back(fmt::format("{}: cannot list campaigns: {} ({})", a.name,
                                   listed.failure.message,
                                   ads::FailureKindName(listed.failure.kind)));
      continue;
    }
    for (const ads::Campaign& c : *listed.value) {
      if (c.status != ads::CampaignStatus::kActive) continue;
      CampaignEntry e;
      e.account = a.name;
      e.platform = a.kind;
      e.campaign_id = c.id;
      e.name = c.name;
      e.source = "active_on_failed_platform";
      e.currency = a.currency;
      out.push_back(std::move(e));
    }
  }
  return out;
}

void RecoveryService::CheckCampaigns(const store::Incident& inc,
                                     std::vector<CampaignEntry>& entries, SysTime from,
                                     SysTime until, SysTime now) {
  // Campaign states, one read per account.
  std::map<std::string, std::vector<CampaignEntry*>> by_account;
  for (CampaignEntry& e : entries) by_account[e.account].push_back(&e);
  for (auto& [account, list] : by_account) {
    auto it = clients_.find(account);
    const ads::AccountConfig* cfg = ads_.FindAccount(account);
    if (it == clients_.end() || cfg == nullptr) {
      for (CampaignEntry* e : list) {
        e->error = "the ad account '" + account + "' is no longer configured";
        e->check.verdict = Verdict::kNotJudged;
        e->check.sentence = "Not checked: " + e->error + ".";
      }
      continue;
    }
    ads::AdPlatform& client = *it->second;
    auto zone_name = options_.time_zones.find(account);
    auto zone = Zone::Find(zone_name == options_.time_zones.end() ? "" : zone_name->second);
    if (!zone.ok()) continue;  // checked in Create
    std::vector<std::string> ids;
    for (CampaignEntry* e : list) ids.push_back(e->campaign_id);
    auto states = client.GetCampaigns(ids);
    Record(inc.id, account, "read", states.calls, states.failure);
    std::map<std::string, ads::Campaign> now_state;
    if (states.ok()) {
      for (const ads::Campaign& c : *states.value) now_state[c.id] = c;
    }
    const LocalHours win_begin = zone->Ceil(from);
    const LocalHours win_end = std::max(win_begin, zone->Floor(until));
    const LocalHours final_until = std::min(win_end, zone->Floor(now - options_.data_lag));
    const date::local_days first_day = floor<days>(win_begin) - days(7 * kWeeks);
    const date::local_days last_day = floor<days>(win_end - hours(1));
    for (CampaignEntry* e : list) {
      e->time_zone = zone->name();
      CheckInput in;
      if (!states.ok()) {
        e->error = fmt::format("cannot read the campaign: {} ({})", states.failure.message,
                               ads::FailureKindName(states.failure.kind));
      } else if (auto c = now_state.find(e->campaign_id); c == now_state.end()) {
        e->error = "the platform does not know this campaign (removed or deleted?)";
      } else {
        const ads::Campaign& camp = c->second;
        if (!camp.name.empty()) e->name = camp.name;
        e->status = std::string(ads::StatusName(camp.status));
        e->effective_status = camp.effective_status;
        in.state.platform_kind = cfg->kind;
        in.state.name = e->name;
        in.state.active = camp.status == ads::CampaignStatus::kActive;
        in.state.serving = Serving(camp, cfg->kind);
        in.state.effective_status = camp.effective_status;
        in.state.issues = camp.issues;
        if (camp.budget_kind == ads::BudgetKind::kDaily && camp.budget) {
          in.state.daily_budget = static_cast<double>(camp.budget->micros) / 1e6;
          e->daily_budget = in.state.daily_budget;
        }
        in.state.currency =
            camp.budget && !camp.budget->currency.empty() ? camp.budget->currency : cfg->currency;
        e->currency = in.state.currency;
      }
      if (!e->error.empty()) {
        e->check.verdict = Verdict::kNotJudged;
        e->check.sentence = "Not checked: " + e->error + ".";
        continue;
      }
      // Still held by Lifeline, or left paused on purpose: nothing to judge yet.
      if (!e->change_state.empty() && e->change_state != "resumed") {
        e->check.verdict = Verdict::kNotJudged;
        e->check.sentence =
            e->change_state == "kept"
                ? "Lifeline left it paused on purpose (someone changed it during the outage, it "
                  "shows issues, or its policy resumes by hand): resume it yourself when ready."
                : fmt::format("Lifeline still holds it paused ({}); it is checked once resumed.",
                              e->change_state);
        continue;
      }
      // The grid: the window's days and the same days in each of the four prior weeks.
      in.series.first_day = std::chrono::sys_days(first_day.time_since_epoch());
      const auto grid_days = (last_day - first_day).count() + 1;
      in.series.slots.assign(static_cast<std::size_t>(grid_days) * 24, HourFigures{});
      auto slot_of = [&](LocalHours t) {
        return static_cast<std::size_t>((t - LocalHours(first_day)).count());
      };
      in.window_begin = slot_of(win_begin);
      in.window_end = slot_of(win_end);
      in.judge_until = std::max(in.window_begin, slot_of(std::max(final_until, win_begin)));
      in.judge_from = in.window_begin;
      if (e->resumed_at) {
        // Hours before the resume were paused on purpose: judged from the first full hour after.
        auto changes = store_.Ads().Get(inc.id, e->account, e->campaign_id);
        if (changes.ok() && changes->resumed_at) {
          const SysTime resumed = SysTime(*changes->resumed_at);
          in.judge_from =
              std::max(in.window_begin, slot_of(std::max(win_begin, zone->Ceil(resumed))));
          in.since_resume = std::chrono::duration_cast<std::chrono::minutes>(now - resumed);
        }
      }
      std::string failure;
      for (int w = 0; w <= kWeeks; ++w) {
        const date::local_days since = floor<days>(win_begin) - days(7 * w);
        const date::local_days to = last_day - days(7 * w);
        auto got = client.HourlyInsights(e->campaign_id, Day(since), Day(to));
        Record(inc.id, account, "insights", got.calls, got.failure);
        if (!got.ok()) {
          failure = fmt::format("cannot read its hourly figures: {} ({})", got.failure.message,
                                ads::FailureKindName(got.failure.kind));
          break;
        }
        for (const ads::HourlyInsight& h : *got.value) {
          auto at = ParseHour(h.hour);
          if (!at || at->first < first_day || at->first > last_day) continue;
          HourFigures& f = in.series.slots[static_cast<std::size_t>(
              (at->first - first_day).count() * 24 + at->second)];
          f.present = true;
          f.spend += static_cast<double>(h.spend.micros) / 1e6;
          f.impressions += static_cast<double>(h.impressions);
          f.clicks += static_cast<double>(h.clicks);
        }
      }
      if (!failure.empty()) {
        e->error = failure;
        e->check.verdict = Verdict::kNotJudged;
        e->check.sentence = "Not checked: " + failure + ".";
        continue;
      }
      e->check = Check(in, options_.checks);
    }
  }
}

Result<Checklist> RecoveryService::Run(std::string_view incident) {
  LL_ASSIGN(store::Incident inc, store_.GetIncident(incident));
  Checklist out;
  out.incident_id = inc.id;
  out.incident_title = inc.title;
  const SysTime now = clock_.Now();
  out.checked_at = core::FormatTime(now);
  Duration window = options_.monitor_window ? options_.monitor_window(inc) : Duration(0);
  out.window_source = window > Duration(0) ? "plan" : "default";
  if (window <= Duration(0)) window = kDefaultWindow;
  out.window = window;
  if (options_.posts) {
    auto posts = options_.posts(inc);
    if (posts.ok()) {
      out.posts = std::move(*posts);
    } else {
      out.posts.body = {{"note", "the posts could not be checked: " + posts.error().message()}};
    }
  } else {
    out.posts.body = {{"note",
                       "Posts are not judged here yet: the content calendar accounts for every "
                       "post due during the incident (published, released, dropped)."}};
  }
  if (!inc.closed_at) {
    out.status = "open";
    out.summary =
        "The incident is still open: the checks start when the platform is back (the window is " +
        Human(window) + " from the restoration).";
    return out;
  }
  const SysTime from = SysTime(*inc.closed_at);
  const SysTime until = from + window;
  out.window_from = core::FormatTime(from);
  out.window_until = core::FormatTime(until);
  LL_ASSIGN(out.campaigns, Campaigns(inc, out.errors));
  CheckCampaigns(inc, out.campaigns, from, until, now);

  int attention = 0, ok = 0, pending = 0, not_judged = 0;
  for (const CampaignEntry& e : out.campaigns) {
    switch (e.check.verdict) {
      case Verdict::kAttention:
        ++attention;
        break;
      case Verdict::kOk:
        ++ok;
        break;
      case Verdict::kPending:
        ++pending;
        break;
      case Verdict::kNotJudged:
        ++not_judged;
        break;
    }
  }
  const std::size_t n = out.campaigns.size();
  if (n == 0) {
    out.status = out.errors.empty() ? "no_campaigns" : "attention";
    out.summary = out.errors.empty()
                      ? "No campaign to check: Lifeline paused none for this incident and no "
                        "configured ad account delivers on the failed platforms."
                      : "The ad accounts could not be read: see the errors.";
  } else if (attention > 0 || !out.errors.empty() || out.posts.attention) {
    out.status = "attention";
    out.summary = fmt::format(
        "{} of {} campaign(s) need a look; {} back to normal, {} waiting "
        "for figures, {} not judged.",
        attention, n, ok, pending, not_judged);
  } else if (ok > 0 && pending == 0) {
    out.status = "ok";
    out.summary = fmt::format("{} campaign(s) back to normal{}.", ok,
                              not_judged > 0 ? fmt::format(", {} not judged", not_judged) : "");
  } else {
    out.status = "pending";
    out.summary = fmt::format(
        "{} of {} campaign(s) wait for final figures; {} back to normal so "
        "far, {} not judged.",
        pending, n, ok, not_judged);
  }
  return out;
}

std::function<Duration(const store::Incident&)> PlanMonitorWindow(const playbook::Plan* plan,
                                                                  store::Store& store) {
  if (plan == nullptr) return nullptr;
  return [plan, &store](const store::Incident& inc) -> Duration {
    auto runs = store.Playbook().ListRuns({inc.id, std::nullopt, 1000});
    if (!runs.ok()) return Duration(0);
    Duration window(0);
    for (const store::ResponseRun& run : *runs) {
      const playbook::Response* r = plan->FindResponse(run.response);
      if (r != nullptr) {
        window = std::max(
            window, std::chrono::duration_cast<Duration>(r->after_restoration.monitor_window));
      }
    }
    return window;
  };
}

namespace {

nlohmann::json Num(double v) { return std::round(v * 100) / 100; }

nlohmann::json MetricJson(const MetricResult& m) {
  using nlohmann::json;
  json hours = json::array();
  for (const HourResult& h : m.hours) {
    const Judgement& j = h.judgement;
    json row{{"hour", h.hour},
             {"expected", Num(j.expected)},
             {"low", Num(j.low)},
             {"high", Num(j.high)},
             {"actual", h.actual ? Num(*h.actual) : json(nullptr)},
             {"z", h.actual ? Num(j.z) : json(nullptr)},
             {"flag", j.side == Side::kHigh  ? json("high")
                      : j.side == Side::kLow ? json("low")
                                             : json(nullptr)}};
    if (j.p) row["p"] = *j.p;
    hours.push_back(std::move(row));
  }
  return json{{"expected", Num(m.expected_total)},
              {"actual", Num(m.actual_total)},
              {"high_hours", m.high_hours},
              {"low_hours", m.low_hours},
              {"hours", hours}};
}

}  // namespace

nlohmann::json ChecklistJson(const Checklist& c) {
  using nlohmann::json;
  json campaigns = json::array();
  for (const CampaignEntry& e : c.campaigns) {
    json flags = json::array();
    for (const Flag& f : e.check.flags) {
      flags.push_back({{"kind", FlagName(f.kind)}, {"message", f.message}});
    }
    json metrics = json::object();
    for (const MetricResult& m : e.check.metrics) {
      metrics[std::string(MetricName(m.metric))] = MetricJson(m);
    }
    json days = json::array();
    for (const DaySpend& d : e.check.days) {
      days.push_back({{"day", d.day},
                      {"spent", Num(d.spent)},
                      {"cap", Num(d.cap)},
                      {"projected", Num(d.projected)}});
    }
    const auto allowance = OverdeliveryAllowance(e.platform);
    campaigns.push_back(
        {{"account", e.account},
         {"platform", e.platform},
         {"campaign_id", e.campaign_id},
         {"name", e.name},
         {"source", e.source},
         {"change_state", e.change_state.empty() ? json(nullptr) : json(e.change_state)},
         {"status", e.status},
         {"effective_status", e.effective_status},
         {"resumed_at", e.resumed_at ? json(*e.resumed_at) : json(nullptr)},
         {"time_zone", e.time_zone},
         {"currency", e.currency},
         {"budget",
          {{"daily", e.daily_budget ? Num(*e.daily_budget) : json(nullptr)},
           {"overdelivery_allowance", allowance ? json(*allowance) : json(nullptr)},
           {"days", days}}},
         {"verdict", VerdictName(e.check.verdict)},
         {"flags", flags},
         {"sentence", e.check.sentence},
         {"history_weeks", e.check.history_weeks},
         {"judged_hours", e.check.judged_hours},
         {"pending_hours", e.check.pending_hours},
         {"metrics", metrics},
         {"conversions", {{"judged", false}, {"note", kConversionsNote}}},
         {"error", e.error.empty() ? json(nullptr) : json(e.error)}});
  }
  json posts = c.posts.body.is_object() ? c.posts.body : json::object();
  posts["judged"] = c.posts.judged;
  posts["attention"] = c.posts.attention;
  return json{{"incident_id", c.incident_id},
              {"title", c.incident_title},
              {"checked_at", c.checked_at},
              {"status", c.status},
              {"summary", c.summary},
              {"window",
               {{"from", c.window_from.empty() ? json(nullptr) : json(c.window_from)},
                {"until", c.window_until.empty() ? json(nullptr) : json(c.window_until)},
                {"hours", static_cast<double>(c.window.count()) / 3600000.0},
                {"source", c.window_source}}},
              {"campaigns", campaigns},
              {"conversions", {{"judged", false}, {"note", kConversionsNote}}},
              {"posts", posts},
              {"errors", c.errors}};
}

}  // namespace lifeline::recovery
