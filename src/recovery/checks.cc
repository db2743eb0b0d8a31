// The recovery checks of one campaign (checks.h).
#include "recovery/checks.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace lifeline::recovery {
namespace {

using std::chrono::days;
using std::chrono::sys_days;
using std::chrono::year_month_day;

constexpr Metric kMetrics[] = {Metric::kSpend, Metric::kImpressions, Metric::kClicks, Metric::kCpm};

bool IsCount(Metric m) { return m == Metric::kImpressions || m == Metric::kClicks; }

// The smallest spread of each metric in its own units, for hours expected near zero.
double AbsoluteFloor(Metric m) {
  switch (m) {
    case Metric::kSpend:
      return 1.0;  // one unit of currency
    case Metric::kImpressions:
      return 3.0;
    case Metric::kClicks:
      return 1.0;
    case Metric::kCpm:
      return 0.1;
  }
  return 1.0;
}

std::string Money(double v, const std::string& currency) {
  return currency.empty() ? fmt::format("{:.2f}", v) : fmt::format("{:.2f} {}", v, currency);
}

// 12345.6 -> "12,346".
std::string Count(double v) {
  std::string digits = fmt::format("{:.0f}", std::max(0.0, v));
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string Clock(const std::string& label) {
  return label.size() >= 16 ? label.substr(11) : label;
}

// The figures of a campaign, read on its grid.
class Grid {
 public:
  Grid(const CheckInput& in) : in_(in) {
    // A prior week has data when the platform reported any hour of the window's days that week.
    const std::size_t day_begin = in.window_begin / 24 * 24;
    const std::size_t day_end = (in.window_end + 23) / 24 * 24;
    for (int w = 1; w <= kWeeks; ++w) {
      const std::size_t shift = kHoursPerWeek * static_cast<std::size_t>(w);
      bool any = false;
      if (day_end > shift) {
        const std::size_t from = day_begin >= shift ? day_begin - shift : 0;
        for (std::size_t s = from; s < day_end - shift && s < in.series.slots.size(); ++s) {
          any = any || in.series.slots[s].present;
        }
      }
      week_has_data_[w] = any;
      weeks_ += any;
    }
  }

  int weeks() const { return weeks_; }

  // The value of `m` at slot s - w weeks (w = 0: the window's own hour); nullopt when that week
  // has no data or the hour has no CPM (no impressions).
  std::optional<double> Value(std::ptrdiff_t s, int w, Metric m) const {
    const std::ptrdiff_t at = s - static_cast<std::ptrdiff_t>(kHoursPerWeek) * w;
    if (w > 0 && !week_has_data_[w]) return std::nullopt;
    if (at < 0 || at >= static_cast<std::ptrdiff_t>(in_.series.slots.size())) {
      if (w > 0) return std::nullopt;
      return m == Metric::kCpm ? std::nullopt : std::optional<double>(0.0);
    }
    const HourFigures& h = in_.series.slots[static_cast<std::size_t>(at)];
    switch (m) {
      case Metric::kSpend:
        return h.present ? h.spend : 0.0;
      case Metric::kImpressions:
        return h.present ? h.impressions : 0.0;
      case Metric::kClicks:
        return h.present ? h.clicks : 0.0;
      case Metric::kCpm:
        if (!h.present || h.impressions <= 0) return std::nullopt;
        return h.spend / h.impressions * 1000.0;
    }
    return std::nullopt;
  }

  // The judgement of slot s for metric m; nullopt when there is no history or no actual value.
  std::optional<HourResult> Judge(std::size_t s, Metric m, const CheckOptions& o) const {
    const auto slot = static_cast<std::ptrdiff_t>(s);
    std::optional<double> weeks[kWeeks];
    for (int w = 1; w <= kWeeks; ++w) weeks[w - 1] = Value(slot, w, m);
    const auto expected = SeasonalNaive(weeks);
    if (!expected) return std::nullopt;
    HourResult r;
    r.hour = SlotLabel(in_.series.first_day, s);
    r.actual = Value(slot, 0, m);
    std::vector<double> residuals;
    residuals.reserve(static_cast<std::size_t>((2 * o.neighbour_hours + 1) * kWeeks));
    for (int d = -o.neighbour_hours; d <= o.neighbour_hours; ++d) {
      std::optional<double> near[kWeeks];
      for (int w = 1; w <= kWeeks; ++w) near[w - 1] = Value(slot + d, w, m);
      LeaveOneOutResiduals(near, residuals);
    }
    const double floor = std::max(o.min_relative_scale * std::fabs(*expected), AbsoluteFloor(m));
    const double scale = RobustScale(residuals, floor);
    if (!r.actual) {
      r.judgement.expected = *expected;
      r.judgement.scale = scale;
      r.judgement.low = std::max(0.0, *expected - kZThreshold * scale);
      r.judgement.high = *expected + kZThreshold * scale;
      return r;
    }
    r.judgement = JudgeHour(*r.actual, *expected, scale, IsCount(m));
    return r;
  }

 private:
  const CheckInput& in_;
  bool week_has_data_[kWeeks + 1] = {};
  int weeks_ = 0;
};

}  // namespace

std::string_view MetricName(Metric m) {
  switch (m) {
    case Metric::kSpend:
      return "spend";
    case Metric::kImpressions:
      return "impressions";
    case Metric::kClicks:
      return "clicks";
    case Metric::kCpm:
      return "cpm";
  }
  return "";
}

std::optional<double> OverdeliveryAllowance(std::string_view kind) {
  if (kind == "meta") return 0.75;    // Meta Business Help Center: up to 75 % over on a day
  if (kind == "google") return 1.0;   // Google Ads Help 1704443: up to 2x the average daily budget
  if (kind == "tiktok") return 0.25;  // TikTok Ads Help: never more than 125 % of the day's budget
  return std::nullopt;
}

std::string_view FlagName(FlagKind k) {
  switch (k) {
    case FlagKind::kDeliveryStuck:
      return "delivery_stuck";
    case FlagKind::kCatchUpBurst:
      return "catch_up_burst";
    case FlagKind::kCpmJump:
      return "cpm_jump";
    case FlagKind::kResumedNotServing:
      return "resumed_not_serving";
    case FlagKind::kBelowExpected:
      return "below_expected";
  }
  return "";
}

std::string_view VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kOk:
      return "ok";
    case Verdict::kAttention:
      return "attention";
    case Verdict::kPending:
      return "pending";
    case Verdict::kNotJudged:
      return "not_judged";
  }
  return "";
}

std::string SlotLabel(sys_days first_day, std::size_t i) {
  const year_month_day d{first_day + days(static_cast<int>(i / 24))};
  return fmt::format("{:04}-{:02}-{:02}T{:02}:00", static_cast<int>(d.year()),
                     static_cast<unsigned>(d.month()), static_cast<unsigned>(d.day()), i % 24);
}

CampaignCheck Check(const CheckInput& in, const CheckOptions& o) {
  CampaignCheck out;
  const CampaignState& st = in.state;
  const std::string platform = st.platform_kind.empty() ? "the platform" : st.platform_kind;
  const std::size_t from = std::max(in.judge_from, in.window_begin);
  const std::size_t until = std::min({in.judge_until, in.window_end, in.series.slots.size()});
  out.judged_hours = until > from ? static_cast<int>(until - from) : 0;
  out.pending_hours =
      static_cast<int>(in.window_end - std::min(in.window_end, std::max(until, from)));

  std::vector<std::string> status_notes;
  if (st.active && !st.serving) {
    std::string why = st.effective_status.empty() ? "" : " (" + st.effective_status + ")";
    if (!st.issues.empty()) {
      std::string issues;
      for (const auto& i : st.issues) issues += (issues.empty() ? "" : "; ") + i;
      why += ": " + issues;
    }
    if (in.since_resume && *in.since_resume < o.serving_grace) {
      status_notes.push_back(
          fmt::format("{} still shows it as not delivering{}, {} min after the resume; that can "
                      "lag, so look again in a few minutes.",
                      platform, why, in.since_resume->count()));
    } else {
      out.flags.push_back(
          {FlagKind::kResumedNotServing,
           fmt::format("It is switched on, but {} says it is not delivering{}.", platform, why)});
    }
  }
  if (!st.active) {
    out.verdict = Verdict::kNotJudged;
    out.sentence = "It is switched off now, so its figures are not judged.";
    return out;
  }

  const Grid grid(in);
  out.history_weeks = grid.weeks();
  if (out.history_weeks < 2) {
    out.verdict = out.flags.empty() ? Verdict::kNotJudged : Verdict::kAttention;
    out.sentence = fmt::format(
        "{}Its figures are not judged: only {} of the last {} weeks have figures for these hours, "
        "too few to know what is normal.",
        out.flags.empty() ? "" : "Needs a look: " + out.flags.front().message + " ",
        out.history_weeks, kWeeks);
    return out;
  }

  // Each metric, hour by hour.
  for (Metric m : kMetrics) {
    MetricResult mr;
    mr.metric = m;
    for (std::size_t s = from; s < until; ++s) {
      auto r = grid.Judge(s, m, o);
      if (!r) continue;
      mr.high_hours += r->judgement.side == Side::kHigh;
      mr.low_hours += r->judgement.side == Side::kLow;
      mr.hours.push_back(std::move(*r));
    }
    out.metrics.push_back(std::move(mr));
  }
  MetricResult& spend = out.metrics[0];
  MetricResult& impressions = out.metrics[1];
  MetricResult& clicks = out.metrics[2];
  MetricResult& cpm = out.metrics[3];
  for (MetricResult* mr : {&spend, &impressions, &clicks}) {
    for (const HourResult& h : mr->hours) {
      mr->expected_total += h.judgement.expected;
      mr->actual_total += h.actual.value_or(0);
    }
  }
  if (impressions.expected_total > 0) {
    cpm.expected_total = spend.expected_total / impressions.expected_total * 1000;
  }
  if (impressions.actual_total > 0) {
    cpm.actual_total = spend.actual_total / impressions.actual_total * 1000;
  }

  // Delivery stuck: a run of hours without a single impression, each expecting some, that chance
  // explains with probability e^-(expected sum) below alpha.
  {
    double best = 0, run = 0;
    std::string run_from, best_from, best_to;
    for (const HourResult& h : impressions.hours) {
      const bool zero = h.actual.value_or(0) <= 0;
      if (zero && h.judgement.expected >= o.min_expected_impressions) {
        if (run == 0) run_from = h.hour;
        run += h.judgement.expected;
        if (run > best && std::exp(-run) < kPoissonAlpha) {
          best = run;
          best_from = run_from;
          best_to = h.hour;
        }
      } else {
        run = 0;
      }
    }
    if (best > 0) {
      const std::string span =
          best_from == best_to
              ? fmt::format("in the hour from {}", Clock(best_from))
              : fmt::format("from {} to the end of the {} hour", Clock(best_from), Clock(best_to));
      out.flags.push_back(
          {FlagKind::kDeliveryStuck,
           fmt::format("It is switched on but showed no ads {}, while about {} impressions were "
                       "expected.",
                       span, Count(best))});
    }
  }
  // Below expected: hours that deliver, but far less than usual.
  {
    const HourResult* worst = nullptr;
    int n = 0;
    for (const HourResult& h : impressions.hours) {
      if (h.judgement.side != Side::kLow || h.actual.value_or(0) <= 0) continue;
      ++n;
      if (worst == nullptr || h.judgement.z < worst->judgement.z) worst = &h;
    }
    if (worst != nullptr) {
      out.flags.push_back(
          {FlagKind::kBelowExpected,
           fmt::format("It delivers less than usual in {} hour(s): {} impressions at {} against "
                       "about {} expected.",
                       n, Count(worst->actual.value_or(0)), Clock(worst->hour),
                       Count(worst->judgement.expected))});
    }
  }
  // Catch-up burst: the day's spend against what the platform allows itself over the budget.
  const auto allowance = OverdeliveryAllowance(st.platform_kind);
  if (st.daily_budget && *st.daily_budget > 0 && allowance && until > from) {
    const double cap = *st.daily_budget * (1 + *allowance);
    for (std::size_t day = from / 24; day * 24 < until; ++day) {
      DaySpend ds;
      ds.day = SlotLabel(in.series.first_day, day * 24).substr(0, 10);
      ds.cap = cap;
      const std::size_t last = std::min(until, day * 24 + 24);  // exclusive
      for (std::size_t s = day * 24; s < last && s < in.series.slots.size(); ++s) {
        if (in.series.slots[s].present) ds.spent += in.series.slots[s].spend;
      }
      // The pace: the mean of the day's last (up to 3) judged hours.
      const std::size_t first_judged = std::max(from, day * 24);
      const std::size_t n = std::min<std::size_t>(3, last - first_judged);
      double recent = 0;
      for (std::size_t s = last - n; s < last; ++s)
        recent += *grid.Value(static_cast<long>(s), 0, Metric::kSpend);
      const double pace = n > 0 ? recent / static_cast<double>(n) : 0;
      ds.projected = ds.spent + pace * static_cast<double>(day * 24 + 24 - last);
      bool high_today = false;
      for (const HourResult& h : spend.hours) {
        high_today = high_today || (h.judgement.side == Side::kHigh && h.hour.starts_with(ds.day));
      }
      const std::string rule = fmt::format(
          "{} allows itself {} on one day for a daily budget of {} ({:.0f} % over)", platform,
          Money(cap, st.currency), Money(*st.daily_budget, st.currency), *allowance * 100);
      if (ds.spent > cap) {
        out.flags.push_back(
            {FlagKind::kCatchUpBurst, fmt::format("It has spent {} on {}, more than {}.",
                                                  Money(ds.spent, st.currency), ds.day, rule)});
      } else if (high_today && ds.projected > cap) {
        out.flags.push_back(
            {FlagKind::kCatchUpBurst,
             fmt::format("It is spending fast after the restart: {} so far on {} and on pace for "
                         "about {}, more than {}.",
                         Money(ds.spent, st.currency), ds.day, Money(ds.projected, st.currency),
                         rule)});
      }
      out.days.push_back(std::move(ds));
    }
  } else if (spend.high_hours > 0) {
    const HourResult* worst = nullptr;
    for (const HourResult& h : spend.hours) {
      if (h.judgement.side == Side::kHigh &&
          (worst == nullptr || h.judgement.z > worst->judgement.z))
        worst = &h;
    }
    out.flags.push_back(
        {FlagKind::kCatchUpBurst,
         fmt::format("It spends far more than usual: {} at {} against about {} expected (no daily "
                     "budget to compare with).",
                     Money(worst->actual.value_or(0), st.currency), Clock(worst->hour),
                     Money(worst->judgement.expected, st.currency))});
  }
  // CPM jump: showing a thousand ads costs far more than usual.
  if (cpm.high_hours > 0) {
    const HourResult* worst = nullptr;
    for (const HourResult& h : cpm.hours) {
      if (h.judgement.side == Side::kHigh &&
          (worst == nullptr || h.judgement.z > worst->judgement.z))
        worst = &h;
    }
    out.flags.push_back(
        {FlagKind::kCpmJump,
         fmt::format("Ads cost more to show: {} per thousand impressions at {} against about {} "
                     "usually.",
                     Money(worst->actual.value_or(0), st.currency), Clock(worst->hour),
                     Money(worst->judgement.expected, st.currency))});
  }

  std::string notes;
  for (const auto& n : status_notes) notes += " " + n;
  if (!out.flags.empty()) {
    out.verdict = Verdict::kAttention;
    out.sentence = "Needs a look:";
    for (const Flag& f : out.flags) out.sentence += " " + f.message;
  } else if (out.judged_hours == 0) {
    out.verdict = Verdict::kPending;
    out.sentence = "No full hour of the window is final yet; look again later.";
  } else {
    out.verdict = Verdict::kOk;
    out.sentence = fmt::format(
        "Back to normal: in {} hour(s) it spent {} (about {} expected), showed {} impressions "
        "(about {}) and got {} clicks (about {}).",
        out.judged_hours, Money(spend.actual_total, st.currency),
        Money(spend.expected_total, st.currency), Count(impressions.actual_total),
        Count(impressions.expected_total), Count(clicks.actual_total),
        Count(clicks.expected_total));
  }
  out.sentence += notes;
  return out;
}

}  // namespace lifeline::recovery
