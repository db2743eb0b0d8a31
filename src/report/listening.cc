// The incident report's listening section (report.h): for the incident's hours and one hour either
// side, the outage chatter of its platforms and the brands' mentions from the store's listening
// slice — volume against the same hours of past weeks, the detector's decisions, sentiment shares
// against those weeks, and the most shared and most negative posts.
#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <tuple>

#include "listen/listener.h"
#include "listen/series.h"
#include "listen/vader.h"
#include "report/report.h"

namespace lifeline::report {
namespace {

using namespace std::chrono;
using core::Result;

constexpr std::size_t kPostLimit = 200000;
constexpr std::size_t kSpikeLimit = 5000;

listen::Hour ToHour(store::Time t) {
  return listen::HourOf(time_point_cast<system_clock::duration>(t));
}
store::Time FromHour(listen::Hour h) { return time_point_cast<milliseconds>(h); }

// Only an http(s) link without spaces, quotes or angle brackets is kept: the renderers link it.
std::string SafeUrl(const std::string& url) {
  std::string lower;
  for (char c : url.substr(0, 8))
    lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!lower.starts_with("http://") && !lower.starts_with("https://")) return "";
  for (unsigned char c : url) {
    if (c <= 0x20 || c == 0x7f || c == '"' || c == '\'' || c == '<' || c == '>' || c == '`' ||
        c == '\\') {
      return "";
    }
  }
  return url;
}

void Count(SentimentShares& s, double compound) {
  ++s.posts;
  switch (listen::Classify(compound)) {
    case listen::Polarity::kPositive:
      ++s.positive;
      break;
    case listen::Polarity::kNeutral:
      ++s.neutral;
      break;
    case listen::Polarity::kNegative:
      ++s.negative;
      break;
  }
  // A running mean, so that many posts do not lose precision.
  s.mean_compound += (compound - s.mean_compound) / static_cast<double>(s.posts);
}

NotablePost Notable(const store::ListenPost& p) {
  return {p.source, SafeUrl(p.url), p.author, p.text, p.posted_at, p.shares, p.compound};
}

// "chatter", "mentions" or "" (not a query the report shows).
std::string KindOf(const std::string& id) {
  if (id.starts_with("chatter:")) return "chatter";
  if (id.starts_with("brand:") && id.ends_with(":mentions")) return "mentions";
  return "";
}

Result<ListeningQuery> Query(store::ListeningStore& ls, const std::string& id, listen::Hour from,
                             listen::Hour to, store::Time now,
                             const std::vector<store::Time>& history_covered,
                             const ReportOptions& options) {
  const listen::SpikeConfig& cfg = options.spike;
  ListeningQuery q;
  q.query = id;
  q.kind = KindOf(id);
  if (q.kind == "chatter") {
    q.platform = id.substr(std::string_view("chatter:").size());
  } else {
    q.brand = id.substr(6, id.size() - 6 - std::string_view(":mentions").size());
  }
  const listen::Hour history = from - hours(24 * 7 * cfg.max_weeks);
  LL_ASSIGN(listen::Series series, listen::StoredSeries(ls, id, history, to));
  LL_ASSIGN(std::vector<store::ListenSpike> decisions,
            ls.ListSpikes(
                {.query = id, .from = FromHour(from), .to = FromHour(to), .limit = kSpikeLimit}));
  std::map<store::Time, const store::ListenSpike*> by_hour;
  for (const auto& d : decisions) by_hour[d.hour] = &d;
  double expected = 0;
  bool any_expected = false;
  for (listen::Hour h = from; h < to; h += hours(1)) {
    const store::Time begin = FromHour(h);
    // The hour in progress is judged against the share of it that has passed.
    const double fraction =
        std::clamp(duration<double>(now - begin) / duration<double>(hours(1)), 1e-3, 1.0);
    listen::HourCheck c = listen::CheckHour(series, h, fraction, cfg);
    ListeningHour row;
    row.hour = begin;
    if (c.reason != listen::SpikeReason::kNoData) row.posts = c.observed;
    if (!c.weeks.empty()) {
      row.expected = c.expected;
      auto [lo, hi] = std::minmax_element(c.weeks.begin(), c.weeks.end());
      row.band_low = *lo;
      row.band_high = *hi;
    }
    row.usual = c.usual;
    row.weeks = c.weeks;
    row.p_value = c.p_value;
    row.unusual = c.unusual();
    if (auto it = by_hour.find(begin); it != by_hour.end()) {
      const store::ListenSpike& d = *it->second;
      row.judged = d.reason;
      row.spiking = d.spiking;
      row.fired = d.fired;
      if (d.spiking || d.fired) ++q.spike_hours;
      if (d.reason == "spike" || d.reason == "cooldown" || d.reason == "not_consecutive") {
        q.spike_evidence.push_back(d.evidence);
      }
    }
    if (row.posts) {
      q.posts += *row.posts;
      if (row.expected) {
        expected += *row.expected;
        any_expected = true;
      }
    }
    q.hours.push_back(std::move(row));
  }
  if (any_expected) q.expected = expected;

  const store::Time window_end = std::min(FromHour(to), now);
  LL_ASSIGN(
      std::vector<store::ListenPost> posts,
      ls.ListPosts({.query = id, .from = FromHour(from), .to = window_end, .limit = kPostLimit}));
  for (const auto& p : posts) Count(q.sentiment, p.compound);
  std::vector<const store::ListenPost*> shared, negative;
  for (const auto& p : posts) {
    if (p.shares > 0) shared.push_back(&p);
    if (listen::Classify(p.compound) == listen::Polarity::kNegative) negative.push_back(&p);
  }
  std::sort(shared.begin(), shared.end(), [](const auto* a, const auto* b) {
    return std::tie(b->shares, a->posted_at, a->key) < std::tie(a->shares, b->posted_at, b->key);
  });
  std::sort(negative.begin(), negative.end(), [](const auto* a, const auto* b) {
    return std::tie(a->compound, b->shares, a->posted_at, a->key) <
           std::tie(b->compound, a->shares, b->posted_at, b->key);
  });
  for (std::size_t i = 0; i < shared.size() && i < options.notable_posts; ++i) {
    q.most_shared.push_back(Notable(*shared[i]));
  }
  for (std::size_t i = 0; i < negative.size() && i < options.notable_posts; ++i) {
    q.most_negative.push_back(Notable(*negative[i]));
  }

  // The usual sentiment: the same span of each of the weeks before in which collection ran.
  const auto span = window_end - FromHour(from);
  for (int w = 1; w <= cfg.max_weeks; ++w) {
    const store::Time b = FromHour(from) - hours(24 * 7 * w), e = b + span;
    const bool covered = std::any_of(history_covered.begin(), history_covered.end(),
                                     [&](store::Time t) { return t >= b && t < e; });
    if (!covered) continue;
    ++q.usual_weeks;
    LL_ASSIGN(std::vector<store::ListenPost> past,
              ls.ListPosts({.query = id, .from = b, .to = e, .limit = kPostLimit}));
    for (const auto& p : past) Count(q.usual_sentiment, p.compound);
  }
  return q;
}

}  // namespace

Result<std::optional<ListeningSection>> BuildListening(store::Store& store, const Report& r,
                                                       const ReportOptions& options) {
  store::ListeningStore& ls = store.Listening();
  const store::Time now = r.generated_at;
  const listen::Hour from = ToHour(r.incident.opened_at - options.listen_before);
  listen::Hour last = ToHour(std::min(r.end + options.listen_after, now));
  if (last < from) last = from;
  const listen::Hour to = last + hours(1);
  LL_ASSIGN(std::vector<store::Time> covered, ls.CoveredHours(FromHour(from), FromHour(to)));
  if (covered.empty()) return std::optional<ListeningSection>();

  // The queries the store knows: those with counts or decisions since the history began.
  const listen::Hour history = from - hours(24 * 7 * options.spike.max_weeks);
  std::set<std::string> known;
  LL_ASSIGN(auto counts, ls.HourCounts("", FromHour(history), FromHour(to)));
  for (const auto& c : counts) known.insert(c.query);
  LL_ASSIGN(auto decisions,
            ls.ListSpikes({.from = FromHour(from), .to = FromHour(to), .limit = kSpikeLimit}));
  for (const auto& d : decisions) known.insert(d.query);
  LL_ASSIGN(std::vector<store::Time> history_covered,
            ls.CoveredHours(FromHour(history), FromHour(from)));

  ListeningSection out;
  out.range = {FromHour(from), FromHour(to)};
  std::vector<std::string> ids;
  for (const std::string& p : r.incident.platforms) {
    const std::string id = "chatter:" + p;
    if (known.count(id)) {
      ids.push_back(id);
    } else {
      out.missing.push_back(p);
    }
  }
  for (const std::string& id : known) {
    if (KindOf(id) == "mentions") ids.push_back(id);
  }
  for (const std::string& id : ids) {
    LL_ASSIGN(ListeningQuery q, Query(ls, id, from, to, now, history_covered, options));
    out.queries.push_back(std::move(q));
  }
  return std::optional<ListeningSection>(std::move(out));
}

}  // namespace lifeline::report
