// The recovery checklist of an incident (issue 10, "After restoration: is everything back to
// normal?"): for the incident's monitoring window, the hourly figures of the campaigns the ads
// guard changed for it (or, when it changed none, every active campaign of the accounts delivering
// on the failed platforms) and their four prior weeks' same hours, judged by checks.h. Posts are
// the content calendar's business: a hook (RecoveryOptions::posts) fills that section once wired.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "ads/ad_platform.h"
#include "ads/config.h"
#include "channels/http.h"
#include "config/config.h"
#include "core/clock.h"
#include "core/result.h"
#include "recovery/checks.h"
#include "store/store.h"

namespace lifeline::playbook {
struct Plan;
}

namespace lifeline::recovery {

using Duration = std::chrono::milliseconds;

inline constexpr Duration kDefaultWindow = std::chrono::hours(6);

// What the posts section of a checklist says (the content calendar's accounting, src/calendar/).
struct PostsSection {
  bool judged = false;
  nlohmann::json body;  // the calendar's own JSON (due, published, released, dropped, missing)
  bool attention = false;
};

struct RecoveryOptions {
  core::Clock* clock = nullptr;  // null = the real clock
  // The monitoring window of an incident (the plan's after_restoration.monitor.window of the
  // responses that ran for it); null, or 0 returned: kDefaultWindow.
  std::function<Duration(const store::Incident&)> monitor_window;
  // The posts accounting (HOOK for the content calendar): null = "not judged here".
  std::function<core::Result<PostsSection>(const store::Incident&)> posts;
  // An hour is judged once it ended this long ago: the platforms' figures arrive with a delay.
  std::chrono::minutes data_lag{30};
  // Ad account name -> IANA time zone its figures are reported in ("" or absent: UTC).
  std::map<std::string, std::string, std::less<>> time_zones;
  CheckOptions checks;
};

// One campaign on the checklist.
struct CampaignEntry {
  std::string account;   // ads.accounts NAME
  std::string platform;  // meta, google, tiktok
  std::string campaign_id;
  std::string name;
  // "paused_by_lifeline": the ads guard changed it for this incident (change_state says how far);
  // "active_on_failed_platform": it was delivering on a failed platform's account.
  std::string source;
  std::string change_state;  // store::AdChangeState name, "" without a change
  std::string status;        // active, paused, other ("" when unknown)
  std::string effective_status;
  std::optional<std::string> resumed_at;
  std::optional<double> daily_budget;
  std::string currency;
  std::string time_zone;
  CampaignCheck check;
  std::string error;  // the figures could not be read (the check is then not judged)
};

struct Checklist {
  std::string incident_id;
  std::string incident_title;
  std::string checked_at;
  std::string status;  // "ok", "attention", "pending", "open", "no_campaigns"
  std::string summary;
  std::string window_from, window_until;  // UTC, RFC 3339
  Duration window{0};
  std::string window_source;  // "plan" or "default"
  std::vector<CampaignEntry> campaigns;
  PostsSection posts;
  std::vector<std::string> errors;  // accounts that could not be read
};

// Thread-safety: Run may be called from several threads at once (the clients are).
class RecoveryService {
 public:
  // Builds the clients of `ads.accounts` on `http` (null: a libcurl client of its own). `store`
  // must outlive the service.
  static core::Result<std::unique_ptr<RecoveryService>> Create(
      const ads::AdsConfig& ads, const config::Config& catalog, store::Store& store,
      RecoveryOptions options, channels::HttpClient* http = nullptr);
  // With clients made elsewhere (tests), keyed by account name.
  RecoveryService(const ads::AdsConfig& ads, const config::Config& catalog,
                  std::map<std::string, std::unique_ptr<ads::AdPlatform>, std::less<>> clients,
                  store::Store& store, RecoveryOptions options);

  // The checklist of `incident` now. kNotFound for an unknown incident; kInvalidArgument for a
  // bad time zone. A platform that cannot be read is an entry's or the list's `error`, not an
  // Error. Makes HTTP calls to the ad platforms (recorded under Store::Ads() calls, op
  // "insights"/"read"): seconds, not milliseconds.
  [[nodiscard]] core::Result<Checklist> Run(std::string_view incident);

 private:
  struct Account;
  core::Result<std::vector<CampaignEntry>> Campaigns(const store::Incident& inc,
                                                     std::vector<std::string>& errors);
  void CheckCampaigns(const store::Incident& inc, std::vector<CampaignEntry>& entries,
                      std::chrono::system_clock::time_point from,
                      std::chrono::system_clock::time_point until,
                      std::chrono::system_clock::time_point now);
  void Record(const std::string& incident, const std::string& account, std::string_view op,
              const std::vector<ads::Call>& calls, const ads::Failure& failure);

  ads::AdsConfig ads_;
  std::map<std::string, std::string, std::less<>> domains_;  // catalog platform -> domain
  std::unique_ptr<channels::HttpClient> own_http_;
  std::map<std::string, std::unique_ptr<ads::AdPlatform>, std::less<>> clients_;
  store::Store& store_;
  RecoveryOptions options_;
  core::Clock& clock_;
};

// The monitoring window of an incident from `plan` (the longest after_restoration monitor window
// of the responses that ran for it); 0 when none ran or none has a window. For
// RecoveryOptions::monitor_window; `plan` and `store` must outlive the function.
std::function<Duration(const store::Incident&)> PlanMonitorWindow(const playbook::Plan* plan,
                                                                  store::Store& store);

// Whether a campaign's effective status says it delivers, per platform kind.
bool Serving(const ads::Campaign& c, std::string_view platform_kind);

// The checklist as the API and `lifeline recovery --json` give it (docs/recovery.md).
nlohmann::json ChecklistJson(const Checklist& c);

}  // namespace lifeline::recovery
