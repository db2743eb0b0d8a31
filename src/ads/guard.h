// The ads guard: pauses the active campaigns on a failed platform while the outage lasts and
// resumes exactly those it paused once the platform has been healthy for a settle time. It follows
// incidents (core::IncidentFeed) through its policies (config.h), runs its waits as durable timers
// on the process's one scheduler, records every campaign's prior state before changing it
// (Store::Ads()), and puts every call and its answer on the incident's timeline.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "ads/ad_platform.h"
#include "ads/config.h"
#include "channels/http.h"
#include "config/config.h"
#include "core/clock.h"
#include "core/incident_feed.h"
#include "core/listeners.h"
#include "core/result.h"
#include "store/store.h"
#include "timers/scheduler.h"

namespace lifeline::ads {

// The timer kinds the guard registers ("ads.*").
inline constexpr std::string_view kPauseTimer = "ads.pause";    // min_duration passed; continue
inline constexpr std::string_view kResumeTimer = "ads.resume";  // settle time passed; next stagger
// A budget transfer's move (once approved) or its return (after the settle time).
inline constexpr std::string_view kTransferTimer = "ads.transfer";

struct GuardOptions {
  core::Clock* clock = nullptr;  // null = the real clock
  std::function<void(std::string_view)> log;
  // The longest one timer run works before it hands the rest to a continuation timer due at once
  // (the scheduler's thread is shared with the plan's escalations; its lease is a minute).
  std::chrono::milliseconds work_budget = std::chrono::seconds(20);
  // The shortest wait after a rate limit that named none.
  std::chrono::milliseconds min_backoff = std::chrono::seconds(1);
};

// What a pause or resume by hand (or a plan step) did, per campaign.
struct HandResult {
  std::string account;
  std::string campaign_id;
  std::string outcome;  // "paused", "resumed", "would pause", "kept", "failed", "not found", ...
  std::string detail;
};

// What a failed incident asks of the guard.
struct PauseRequest {
  std::string incident_id;
  std::vector<std::string> failed;  // catalog platforms, the domain's all when domain-wide
  std::string domain;
  core::Verdict verdict = core::Verdict::kOutage;
  std::string policy;  // a policy name, or "plan:<response>"
  std::string by = "lifeline";
  bool dry_run = false;  // on top of the config's dry_run (a drill is always dry)
  // Who approved it in the plan (an approve step before the pause step), "" for none: a budget
  // transfer its pause sets off needs no second approval.
  std::string approved_by;
};

// Thread-safety: every public method may be called from any thread. The feed's sink only queues;
// the guard thread turns incidents into timers; timer handlers run on the scheduler's thread;
// people's actions on their callers' threads; decisions take turns on one lock.
class Guard {
 public:
  // Builds the clients of `config.accounts` on `http` (null: a libcurl client of its own).
  // `store` and `scheduler` must outlive the guard.
  static core::Result<std::unique_ptr<Guard>> Create(
      AdsConfig config, const config::Config& catalog, store::Store& store,
      timers::Scheduler& scheduler, GuardOptions options, channels::HttpClient* http = nullptr);
  // With clients made elsewhere (tests), one per account, keyed by account name.
  Guard(AdsConfig config, const config::Config& catalog,
        std::map<std::string, std::unique_ptr<AdPlatform>, std::less<>> clients,
        store::Store& store, timers::Scheduler& scheduler, GuardOptions options);
  ~Guard();  // Stop()
  Guard(const Guard&) = delete;
  Guard& operator=(const Guard&) = delete;

  // True when the config has no `ads:` section (Watch and Start then do nothing).
  bool empty() const { return !config_.configured; }
  const AdsConfig& config() const { return config_; }

  // Registers the ads.* timer handlers (start the scheduler after) and the guard thread.
  [[nodiscard]] core::Status Start();
  void Stop();  // idempotent

  [[nodiscard]] std::unique_ptr<core::IncidentFeed::Subscription> Watch(core::IncidentFeed& feed);
  void OnIncident(const core::IncidentNotice& notice);  // queues
  // Waits (real time) until every queued notice was handled. For tests.
  bool WaitIdle(std::chrono::milliseconds timeout);

  // Every entry the guard adds to an incident's timeline, once stored (ads_paused, ads_call, ...).
  // The sink must only queue. Unsubscribes when the handle is destroyed.
  [[nodiscard]] std::unique_ptr<core::Subscription> Subscribe(
      std::function<void(const store::IncidentEvent&)> sink);

  // Starts pausing for an incident now (the plan's `pause: ads` step): schedules the work as a
  // durable timer keyed by `key` and returns at once with one line for the timeline.
  [[nodiscard]] core::Result<std::string> PauseNow(const PauseRequest& request,
                                                   std::string_view key);

  // The name of the first configured policy that answers this failure ("" when none does): a
  // plan step's pause follows its settle time, stagger, resume mode and accounts.
  std::string PolicyFor(const std::vector<std::string>& failed, const std::string& domain,
                        core::Verdict verdict) const;

  // The failed catalog platforms: `platforms`, and every platform of `domain` when domain_wide.
  std::vector<std::string> Expand(const std::vector<std::string>& platforms,
                                  const std::string& domain, bool domain_wide) const;

  // ---- By hand (the API and the CLI) ----
  // Every campaign of the accounts of `platform` ("" all; an ad platform kind or an account
  // name), as the platforms answer now.
  struct AccountCampaigns {
    std::string account;
    std::string platform;
    std::vector<std::string> delivers_on;
    std::vector<Campaign> campaigns;
    Failure failure;  // the listing failed
  };
  [[nodiscard]] core::Result<std::vector<AccountCampaigns>> List(std::string_view platform);
  // Pauses these campaigns of `account` (Lifeline will resume none of them by itself). A campaign
  // Lifeline paused for an incident is marked kept: it stays paused after the outage.
  [[nodiscard]] core::Result<std::vector<HandResult>> PauseByHand(
      std::string_view account, const std::vector<std::string>& campaigns, std::string_view by,
      bool dry_run);
  // Resumes these campaigns now, closing what Lifeline recorded of them.
  [[nodiscard]] core::Result<std::vector<HandResult>> ResumeByHand(
      std::string_view account, const std::vector<std::string>& campaigns, std::string_view by,
      bool dry_run);

  // ---- Budget transfers (config.h Transfer) ----
  // Approves (the move starts at once) or refuses a proposed transfer. kNotFound for an unknown
  // id, kFailedPrecondition when it is not proposed any more.
  [[nodiscard]] core::Result<store::AdTransfer> DecideTransfer(std::int64_t id, bool approve,
                                                               std::string_view by,
                                                               std::string_view why);
  // Newest first; "" = every incident.
  [[nodiscard]] core::Result<std::vector<store::AdTransfer>> Transfers(std::string_view incident,
                                                                       bool open_only,
                                                                       std::size_t limit);

 private:
  struct Work {
    core::IncidentNotice notice;
  };

  // A pause or resume by hand: the account and the named campaigns as the platform answers now.
  struct HandTarget {
    const AccountConfig* account = nullptr;
    AdPlatform* client = nullptr;
    std::map<std::string, Campaign, std::less<>> by_id;
  };
  core::Result<HandTarget> ReadForHand(std::string_view account,
                                       const std::vector<std::string>& campaigns,
                                       std::string_view by, std::string_view verb);

  void Run();
  void Handle(const core::IncidentNotice& n);
  std::vector<std::string> Failed(const core::IncidentNotice& n) const;

  core::Status OnPauseTimer(const store::Timer& t);
  core::Status OnResumeTimer(const store::Timer& t);
  // Pauses for one request until done or out of budget; schedules its own continuation.
  core::Status PauseWork(const nlohmann::json& payload, int continuation);
  core::Status ResumeWork(const std::string& incident, int continuation);
  core::Status ScheduleResume(const std::string& incident, store::Time due, int continuation);

  // Budget transfers (guard_transfer.cc), all under mu_.
  core::Status ProposeTransfers(const std::string& incident, const AccountConfig& account,
                                const std::string& by, const std::string& approved_by, bool dry);
  core::Status ScheduleTransfer(std::int64_t id, std::string_view op, store::Time due, int n);
  core::Status OnTransferTimer(const store::Timer& t);
  core::Status MoveTransfer(std::int64_t id, int continuation);
  core::Status ReturnTransfer(std::int64_t id, int continuation);
  void CloseTransfers(const std::string& incident, store::Time closed_at);
  std::chrono::milliseconds TransferSettle(const store::AdTransfer& t);

  // Accounts a request acts on.
  std::vector<const AccountConfig*> AccountsFor(const std::vector<std::string>& failed,
                                                const Policy* policy) const;
  const Policy* FindPolicy(std::string_view name) const;
  AdPlatform* Client(std::string_view account);
  // When `platforms` last had an incident open, or nullopt when one is open now.
  core::Result<std::optional<store::Time>> HealthySince(const std::vector<std::string>& platforms);

  // The timeline and the call log.
  void Timeline(const std::string& incident, std::string_view type, std::string message,
                nlohmann::json data = nlohmann::json::object());
  void RecordCalls(const std::string& incident, const std::string& account, std::string_view op,
                   const std::vector<Call>& calls, const Failure& failure);
  std::chrono::milliseconds Backoff(const Failure& f) const;
  store::Time Now() const;
  void Log(std::string_view line) const;

  AdsConfig config_;
  std::map<std::string, std::string, std::less<>> domains_;  // catalog platform -> domain
  std::map<std::string, std::string, std::less<>> names_;    // catalog platform -> name
  std::unique_ptr<channels::HttpClient> own_http_;
  std::map<std::string, std::unique_ptr<AdPlatform>, std::less<>> clients_;
  store::Store& store_;
  timers::Scheduler& scheduler_;
  GuardOptions options_;
  core::Clock& clock_;
  // Cleared when the guard goes, so a late timer finds no guard instead of a dangling one.
  struct Gate;
  std::shared_ptr<Gate> gate_;

  core::Listeners<store::IncidentEvent> timeline_listeners_;

  std::mutex mu_;  // serialises decisions on the durable state (timers, hand actions)

  std::mutex queue_mu_;  // guards queue_, busy_, stopping_, started_
  std::condition_variable queue_cv_;
  std::condition_variable idle_cv_;
  std::deque<Work> queue_;
  bool busy_ = false;
  bool stopping_ = false;
  bool started_ = false;
  std::thread thread_;
};

}  // namespace lifeline::ads
