// The recovery checks' cost (issue 10: "Recovery checks for 1,000 campaigns with 4 weeks of hourly
// history: under 1 s"): N campaigns, each with 4 weeks and a day of hourly figures in memory (a
// daily and weekly pattern with noise; one in ten stalled, one in ten bursting), judged over a
// 6-hour window with recovery::Check, then rendered as the API's JSON. The figures' reading from
// the platforms is network time and rate limits, not this; it is left out on purpose.
//
//   recovery_checks [--campaigns 1000] [--runs 5]
//
// Prints one line per run and the medians; exits 1 when the checks' median is 1 s or more (the
// JSON rendering is timed apart: it is the answer's size, 4 MB for 1,000 campaigns, not the
// checks).
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/core.h>

#include "recovery/checks.h"
#include "recovery/service.h"

namespace {

using namespace lifeline;
using Steady = std::chrono::steady_clock;
using Ms = std::chrono::duration<double, std::milli>;

long Arg(int argc, char** argv, std::string_view name, long def) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (name == argv[i]) return std::strtol(argv[i + 1], nullptr, 10);
  }
  return def;
}

recovery::CheckInput Campaign(std::uint64_t seed, int i) {
  static const double kCurve[24] = {40,  20,   10,   3,    3,    10,  80,  300,
                                    600, 800,  900,  950,  1000, 950, 900, 900,
                                    950, 1100, 1300, 1400, 1200, 800, 400, 120};
  recovery::CheckInput in;
  in.series.first_day = std::chrono::sys_days{std::chrono::year{2026} / 10 / 31};
  const std::size_t days = 7 * recovery::kWeeks + 1;
  std::uint64_t s = seed * 2654435761u + static_cast<std::uint64_t>(i);
  auto noise = [&s](double amp) {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (2 * (static_cast<double>(s >> 11) / static_cast<double>(1ULL << 53)) - 1) * amp;
  };
  const double scale = 0.2 + (i % 50) / 10.0;
  for (std::size_t k = 0; k < days * 24; ++k) {
    recovery::HourFigures h;
    h.present = true;
    const bool weekend = (k / 24) % 7 < 2;
    h.impressions = std::max(0.0, kCurve[k % 24] * scale * (weekend ? 0.6 : 1) * (1 + noise(0.15)));
    h.spend = h.impressions / 1000 * 4 * (1 + noise(0.1));
    h.clicks = h.impressions / 100;
    in.series.slots.push_back(h);
  }
  const std::size_t day = days - 1;
  in.window_begin = day * 24 + 10;
  in.window_end = in.window_begin + 6;
  in.judge_from = in.window_begin;
  in.judge_until = in.window_end;
  for (std::size_t k = in.window_begin; k < in.window_end; ++k) {
    if (i % 10 == 3) in.series.slots[k] = {};        // stalled
    if (i % 10 == 7) in.series.slots[k].spend *= 6;  // bursting
  }
  in.state.platform_kind = i % 3 == 0 ? "meta" : i % 3 == 1 ? "google" : "tiktok";
  in.state.name = fmt::format("Campaign {}", i);
  in.state.currency = "USD";
  in.state.daily_budget = 15000 * scale * 4 / 1000;
  return in;
}

}  // namespace

int main(int argc, char** argv) {
  const long n = Arg(argc, argv, "--campaigns", 1000);
  const long runs = Arg(argc, argv, "--runs", 5);
  std::vector<recovery::CheckInput> inputs;
  for (long i = 0; i < n; ++i) inputs.push_back(Campaign(1, static_cast<int>(i)));
  fmt::print(
      "recovery_checks: {} campaigns, {} weeks + 1 day of hourly figures each ({} hours), "
      "a 6-hour window\n",
      n, recovery::kWeeks, inputs.empty() ? 0 : inputs[0].series.slots.size());
  std::vector<double> checks, renders;
  for (long r = 0; r < runs; ++r) {
    const auto t0 = Steady::now();
    recovery::Checklist list;
    int flagged = 0;
    for (long i = 0; i < n; ++i) {
      recovery::CampaignEntry e;
      e.account = "brand";
      e.platform = inputs[static_cast<std::size_t>(i)].state.platform_kind;
      e.campaign_id = std::to_string(i);
      e.check = recovery::Check(inputs[static_cast<std::size_t>(i)]);
      flagged += !e.check.flags.empty();
      list.campaigns.push_back(std::move(e));
    }
    const auto t1 = Steady::now();
    const std::string body = recovery::ChecklistJson(list).dump();
    const auto t2 = Steady::now();
    checks.push_back(Ms(t1 - t0).count());
    renders.push_back(Ms(t2 - t1).count());
    fmt::print(
        "run {}: checks {:.1f} ms, JSON {:.1f} ms ({} bytes), total {:.1f} ms; {} of {} "
        "campaigns flagged\n",
        r + 1, Ms(t1 - t0).count(), Ms(t2 - t1).count(), body.size(), Ms(t2 - t0).count(), flagged,
        n);
  }
  std::sort(checks.begin(), checks.end());
  std::sort(renders.begin(), renders.end());
  const double median = checks[checks.size() / 2];
  fmt::print("median: checks {:.1f} ms for {} campaigns (target: under 1000 ms), JSON {:.1f} ms\n",
             median, n, renders[renders.size() / 2]);
  return median < 1000 ? 0 : 1;
}
