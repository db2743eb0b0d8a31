// The recovery checks of one campaign, pure (no I/O): its hourly figures on a grid of local
// hours, what the platform says about it now, and the monitoring window -> each metric's expected
// band against the actual value per hour, the flags (delivery stuck, catch-up burst, CPM jump,
// resumed but not serving, below expected) and one sentence a community manager understands.
// The service (service.h) fetches the figures; the bench and the tests build them in memory.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "recovery/stats.h"

namespace lifeline::recovery {

inline constexpr std::size_t kHoursPerWeek = 168;
inline constexpr int kWeeks = 4;  // the seasonal naive's history

enum class Metric { kSpend, kImpressions, kClicks, kCpm };
std::string_view MetricName(Metric m);  // "spend", "impressions", "clicks", "cpm"

// How far over its daily budget a platform says a campaign may spend on one day (0.75: up to
// 175 % of it); nullopt for an unknown kind. docs/recovery.md cites the platforms' pages.
std::optional<double> OverdeliveryAllowance(std::string_view platform_kind);

// One local hour of a campaign. `present`: the platform reported the hour (a missing hour of a
// week that has data is an hour without delivery).
struct HourFigures {
  double spend = 0;  // currency units
  double impressions = 0;
  double clicks = 0;
  bool present = false;
};

// The grid: slot i is local day first_day + i / 24, hour i % 24 (wall-clock hours in the account's
// time zone, as the platforms report them; a DST day has one hour empty or two summed).
struct Series {
  std::chrono::sys_days first_day{};
  std::vector<HourFigures> slots;
};

// What the platform says about the campaign now.
struct CampaignState {
  std::string platform_kind;  // meta, google, tiktok
  std::string name;
  bool active = true;   // its own switch is on
  bool serving = true;  // its effective/serving status says it delivers
  std::string effective_status;
  std::vector<std::string> issues;
  std::optional<double> daily_budget;  // currency units; nullopt for lifetime or no budget
  std::string currency;
};

struct CheckOptions {
  // An hour's impressions expected below this never make a "stuck" hour (a quiet night).
  double min_expected_impressions = 5;
  // The spread is never below this share of the expected value (the history may be too regular).
  double min_relative_scale = 0.10;
  // Hours on either side of the hour-of-week whose residuals pool into its spread.
  int neighbour_hours = 2;
  // Right after a resume the effective status may lag; not serving within this is not a flag.
  std::chrono::minutes serving_grace{15};
};

struct CheckInput {
  Series series;
  std::size_t window_begin = 0;  // the monitoring window's slots: [window_begin, window_end)
  std::size_t window_end = 0;
  std::size_t judge_from = 0;   // first slot judged (after the campaign came back)
  std::size_t judge_until = 0;  // slots from here on are not final yet (pending)
  CampaignState state;
  // Since the campaign was resumed by Lifeline; nullopt when it did not resume it.
  std::optional<std::chrono::minutes> since_resume;
};

struct HourResult {
  std::string hour;  // "2026-11-27T10:00" (local)
  std::optional<double> actual;
  Judgement judgement;  // expected/band/z; side kNone when within the band
};

struct MetricResult {
  Metric metric = Metric::kSpend;
  std::vector<HourResult> hours;  // the judged hours
  double expected_total = 0;      // spend, impressions, clicks: sums; CPM: from the sums
  double actual_total = 0;
  int high_hours = 0;
  int low_hours = 0;
};

enum class FlagKind {
  kDeliveryStuck,      // on, but no impressions where many were expected
  kCatchUpBurst,       // spend above the platform's overdelivery allowance (or on pace for it)
  kCpmJump,            // showing ads costs far more than usual
  kResumedNotServing,  // switched on, but the platform says it is not delivering
  kBelowExpected,      // delivering, but far less than usual
};
std::string_view FlagName(FlagKind k);  // "delivery_stuck", "catch_up_burst", ...

struct Flag {
  FlagKind kind;
  std::string message;  // for people
};

struct DaySpend {
  std::string day;  // "2026-11-27" (local)
  double spent = 0;
  double cap = 0;        // daily budget x (1 + allowance)
  double projected = 0;  // at the window's pace to the end of the day
};

enum class Verdict {
  kOk,         // judged, nothing out of line
  kAttention,  // at least one flag
  kPending,    // no hour final yet
  kNotJudged,  // not enough history, or not running (the reason is in the sentence)
};
std::string_view VerdictName(Verdict v);  // "ok", "attention", "pending", "not_judged"

struct CampaignCheck {
  Verdict verdict = Verdict::kPending;
  std::vector<MetricResult> metrics;  // spend, impressions, clicks, cpm
  std::vector<Flag> flags;
  std::vector<DaySpend> days;  // with a daily budget
  int history_weeks = 0;       // prior weeks with data (of kWeeks)
  int judged_hours = 0;
  int pending_hours = 0;
  std::string sentence;
};

// "2026-11-27T10:00" of slot `i` of a grid starting on `first_day`.
std::string SlotLabel(std::chrono::sys_days first_day, std::size_t i);

CampaignCheck Check(const CheckInput& in, const CheckOptions& options = {});

}  // namespace lifeline::recovery
