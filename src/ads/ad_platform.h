// One interface over the ad platforms' APIs (Meta Marketing API, Google Ads API, TikTok Business
// API): list campaigns with their status, pause, resume, change a budget, read hourly figures.
// A platform's refusal (rate limited, no permission, unknown campaign, invalid value) is data the
// guard records and acts on, not an Error: every operation answers an Outcome holding the value or
// the classified failure, and every HTTP call it made with its answer, for the incident timeline.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ads/money.h"

namespace lifeline::ads {

// What a campaign's own switch says, across platforms: Meta ACTIVE/PAUSED, Google
// ENABLED/PAUSED, TikTok ENABLE/DISABLE. kOther: removed, archived, deleted.
enum class CampaignStatus { kActive, kPaused, kOther };
std::string_view StatusName(CampaignStatus s);  // "active", "paused", "other"

enum class BudgetKind { kNone, kDaily, kLifetime };
std::string_view BudgetKindName(BudgetKind k);  // "", "daily", "lifetime"

struct Campaign {
  std::string id;
  std::string name;
  CampaignStatus status = CampaignStatus::kOther;
  std::string raw_status;  // the platform's word: "ACTIVE", "ENABLED", "DISABLE"
  // Whether it actually serves, in the platform's words: Meta effective_status, Google
  // serving_status/primary_status, TikTok secondary_status. Lags `status` after a change.
  std::string effective_status;
  // Problems the platform reports (Meta issues_info, Google primary_status_reasons that block
  // serving, TikTok secondary statuses that are not plain enable/disable).
  std::vector<std::string> issues;
  BudgetKind budget_kind = BudgetKind::kNone;
  std::optional<Money> budget;
  std::string budget_id;  // Google: the campaign budget's resource name; else ""
  // The platform's own last-modified stamp (Meta updated_time, TikTok modify_time); "" when the
  // platform gives none (Google). Tells whether someone changed the campaign since Lifeline did.
  std::string updated;
};

// One hour of one campaign's delivery, in the account's time zone as the platform reports it.
struct HourlyInsight {
  std::string campaign_id;
  std::string hour;  // "2026-11-27T10:00" (local to the account)
  Money spend;
  std::int64_t impressions = 0;
  std::int64_t clicks = 0;
  std::optional<Money> cpm;  // as the platform computed it
};

enum class FailureKind {
  kNone,
  kRateLimited,  // slow down: retry_after says when (or a backoff)
  kPermission,   // the credential may not do this (or is invalid/expired)
  kNotFound,     // no such campaign (or account) for this credential
  kInvalid,      // the platform refused the value (a budget under its minimum, a bad field)
  kUnavailable,  // nothing usable came back: transport error, 5xx, an answer we cannot read
};
std::string_view FailureKindName(FailureKind k);  // "", "rate_limited", "permission", ...

struct Failure {
  FailureKind kind = FailureKind::kNone;
  std::string code;     // the platform's code ("17/2446079", "RESOURCE_EXHAUSTED", "40100")
  std::string message;  // the platform's words, cut; never a credential
  std::optional<std::chrono::milliseconds> retry_after;
  bool may_have_acted = false;  // the request left and no answer came (a write may have happened)
};

// One HTTP exchange, as it goes on the timeline. Never holds a credential: the URL is the path
// without query secrets, the answer is cut.
struct Call {
  std::string method;
  std::string path;     // "/v21.0/act_1/campaigns?fields=..." (access_token removed)
  std::string request;  // the body sent, cut; "" for GET
  int status = 0;       // HTTP status; 0 when no answer came
  std::string answer;   // the body received, cut (or the transport error)
  std::chrono::milliseconds took{0};
  std::string usage;  // rate-limit signals the answer carried (Meta's usage headers), cut
};

template <typename T>
struct Outcome {
  std::optional<T> value;  // set when failure.kind is kNone
  Failure failure;
  std::vector<Call> calls;

  bool ok() const { return failure.kind == FailureKind::kNone; }
};

// The result of changing one campaign in a batch.
struct Change {
  std::string campaign_id;
  Failure failure;  // kNone: done
};

// Thread-safety: an implementation may be called from several threads at once.
class AdPlatform {
 public:
  virtual ~AdPlatform() = default;

  virtual std::string_view kind() const = 0;       // "meta", "google", "tiktok"
  virtual const std::string& account() const = 0;  // the account id as configured
  // How many campaigns one SetStatus call changes at most (TikTok 20; Google a mutate of many;
  // Meta one per request).
  virtual std::size_t max_batch() const = 0;
  // Whether Campaign::updated is the platform's last-modified stamp (Meta, TikTok); false when
  // the platform gives none (Google), and reading a campaign back after a change tells nothing.
  virtual bool stamps_changes() const { return true; }

  // Every campaign of the account (all pages). Removed/deleted ones may be absent.
  virtual Outcome<std::vector<Campaign>> ListCampaigns() = 0;
  // These campaigns as they are now; an id the platform does not know is absent from the list.
  virtual Outcome<std::vector<Campaign>> GetCampaigns(const std::vector<std::string>& ids) = 0;
  // Pauses (active = false) or resumes (true) at most max_batch() campaigns; one Change per id.
  // The outcome fails as a whole only when no campaign could be changed for the same reason
  // (rate limited, no permission).
  virtual Outcome<std::vector<Change>> SetStatus(const std::vector<std::string>& ids,
                                                 bool active) = 0;
  // Sets the campaign's budget (its current kind: daily or lifetime).
  virtual Outcome<Campaign> SetBudget(const std::string& id, const Money& budget) = 0;
  // Hourly spend, impressions, clicks and CPM of a campaign between two dates (YYYY-MM-DD, in the
  // account's time zone, both included).
  virtual Outcome<std::vector<HourlyInsight>> HourlyInsights(const std::string& id,
                                                             const std::string& since,
                                                             const std::string& until) = 0;
};

}  // namespace lifeline::ads
