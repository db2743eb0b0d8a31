// Fuzzes the RSS 2.0 / RSS 1.0 / Atom readers (sources/feed.h) that status-page feeds and
// listening's feeds go through: incident judgement, the items, and the two date formats.
#include <algorithm>
#include <array>
#include <chrono>
#include <string_view>

#include "fuzz/fuzz_util.h"
#include "sources/feed.h"

namespace {

using namespace lifeline;

// Any time stamp the readers give back stays within years 0..9999 (sane for a feed).
bool Plausible(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  auto d = floor<days>(t);
  auto y = year_month_day(d).year();
  return y >= year(0) && y <= year(10000);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in = fuzz::Text(data, size);
  const unsigned selector = fuzz::TakeByte(in);
  switch (selector % 4) {
    case 0: {  // an incident feed, judged as FetchStatusPage does (kAny), at a fixed "now"
      sources::FeedOptions options;
      options.kind = selector & 4
                         ? sources::FeedKind::kRss
                         : (selector & 8 ? sources::FeedKind::kAtom : sources::FeedKind::kAny);
      options.now =
          std::chrono::sys_days(std::chrono::year(2026) / 11 / 27) + std::chrono::hours(10);
      auto state = sources::ParseIncidentFeed(in, options);
      if (!state.ok()) break;
      constexpr std::array<std::string_view, 5> kIndicators = {"none", "minor", "major", "critical",
                                                               "maintenance"};
      LL_FUZZ_CHECK(std::find(kIndicators.begin(), kIndicators.end(), state->indicator) !=
                    kIndicators.end());
      LL_FUZZ_CHECK((state->indicator == "none") == state->incidents.empty());
      for (const auto& i : state->incidents) {
        LL_FUZZ_CHECK(std::find(kIndicators.begin(), kIndicators.end(), i.impact) !=
                      kIndicators.end());
      }
      break;
    }
    case 1: {  // every item, as listening reads a feed of mentions
      auto items = sources::ReadFeedItems(in);
      if (!items.ok()) break;
      for (const auto& item : *items) {
        if (item.at) LL_FUZZ_CHECK(Plausible(*item.at));
      }
      break;
    }
    case 2:
      if (auto t = sources::ParseRfc822Time(in)) LL_FUZZ_CHECK(Plausible(*t));
      break;
    case 3:
      if (auto t = sources::ParseRfc3339Time(in)) LL_FUZZ_CHECK(Plausible(*t));
      break;
  }
  return 0;
}
