// Listening's cost of a new hour (issue 11: "100,000 stored posts; the hourly counts, spike check
// and sentiment of a new hour in under 1 s"): a SQLite store holding 100,000 posts over 8 weeks
// of collected hours for five queries (three platforms' outage chatter, a brand's mentions and
// hashtags), then, per run, a new hour of posts arriving — each scored with VADER, stored once and
// counted per query and hour — every query judged by the spike detector with its 8 weeks of
// history (the decisions stored), and the hour summarised per query (sentiment shares, top terms,
// most-shared posts) from the store. Fetching the posts from the platforms is network time and
// rate limits, not this; it is left out on purpose.
//
//   listen_hour [--posts 100000] [--hour-posts 400] [--runs 5]
//
// Prints one line per run and the medians; exits 1 when the median is 1 s or more.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/core.h>

#include "channels/http.h"
#include "core/temp_dir.h"
#include "listen/listener.h"
#include "listen/summary.h"
#include "store/store.h"

namespace {

using namespace lifeline;
using namespace std::chrono;
using Steady = steady_clock;
using Ms = duration<double, std::milli>;

long Arg(int argc, char** argv, std::string_view name, long def) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (name == argv[i]) return std::strtol(argv[i + 1], nullptr, 10);
  }
  return def;
}

class NoHttp final : public channels::HttpClient {
 public:
  channels::HttpResponse Do(const channels::HttpRequest&) override { return {}; }
};

listen::Query MakeQuery(std::string id, listen::QueryKind kind, std::string platform,
                        std::vector<std::string> terms) {
  listen::Query q;
  q.id = std::move(id);
  q.kind = kind;
  q.platform = platform;
  q.platform_name = platform;
  q.brand = platform.empty() ? "acme" : "";
  q.terms = std::move(terms);
  q.exclude_terms = {platform.empty() ? "acme" : platform, "down"};
  return q;
}

const char* kTexts[] = {
    "is {} down? my feed won't load #{}down",
    "{} down again, this is awful",
    "anyone else? {} down, not working since this morning",
    "lol {} down, time to touch grass",
    "{} down for everyone or just me",
    "great, {} down right before my meeting, broken :(",
    "is {} down? works fine here, restart your app",
    "love the new @acme winter sale! #acme",
    "@acme your support is amazing, thanks",
    "@acme still waiting for an answer on whatsapp",
};

// Post number `seq`: its platform, text (each says a query's term), author and shares vary.
listen::Post MakePost(std::uint64_t seq, listen::TimePoint at) {
  static const char* kPlatforms[] = {"instagram", "whatsapp", "facebook"};
  const std::string platform = kPlatforms[seq % 3];
  const std::string text = fmt::format(fmt::runtime(kTexts[(seq / 3) % 10]), platform, platform) +
                           fmt::format(" ({})", seq);
  listen::Post p;
  p.source = "mastodon";
  p.id = std::to_string(seq);
  p.url = fmt::format("https://mastodon.example/@user{}/{}", seq % 5000, seq);
  p.author = fmt::format("user{}", seq % 5000);
  p.text = text;
  p.posted_at = at;
  p.shares = static_cast<std::int64_t>(seq % 17 == 0 ? seq % 50 : 0);
  return p;
}

std::vector<store::ListenPost> Rows(const std::vector<listen::Post>& posts,
                                    const listen::ListenConfig& config, const listen::Vader& vader,
                                    listen::TimePoint now) {
  std::vector<store::ListenPost> rows;
  for (const listen::Post& p : listen::Deduplicate(posts)) {
    store::ListenPost row;
    for (const auto& q : config.queries) {
      if (q.Matches(p.text)) row.queries.push_back(q.id);
    }
    if (row.queries.empty()) continue;
    row.key = listen::DedupKey(p);
    row.source = p.source;
    row.source_id = p.id;
    row.url = p.url;
    row.author = p.author;
    row.text = p.text;
    row.posted_at = store::FromSystem(p.posted_at);
    row.fetched_at = store::FromSystem(now);
    row.shares = p.shares;
    row.compound = vader.Score(p.text).compound;
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace

int main(int argc, char** argv) {
  const long total = Arg(argc, argv, "--posts", 100000);
  const long per_hour_new = Arg(argc, argv, "--hour-posts", 400);
  const long runs = Arg(argc, argv, "--runs", 5);

  lifeline::testing::TempDir dir{"listen-bench"};
  auto opened = store::OpenSqlite(dir.File("lifeline.db"));
  if (!opened.ok()) {
    fmt::print(stderr, "{}\n", opened.error().ToString());
    return 2;
  }
  std::unique_ptr<store::Store> st = std::move(*opened);

  listen::ListenConfig config;
  config.configured = true;
  for (const char* p : {"instagram", "whatsapp", "facebook"}) {
    config.queries.push_back(MakeQuery(fmt::format("chatter:{}", p), listen::QueryKind::kChatter, p,
                                       listen::DefaultChatterTerms(p, p)));
  }
  config.queries.push_back(
      MakeQuery("brand:acme:mentions", listen::QueryKind::kMentions, "", {"@acme"}));
  config.queries.push_back(
      MakeQuery("brand:acme:hashtags", listen::QueryKind::kHashtags, "", {"#acme"}));
  NoHttp http;
  listen::Listener listener(config, *st, http);
  const listen::Vader& vader = listener.vader();

  // History: 8 weeks of hours ending an hour ago, `total` posts spread over them.
  const listen::Hour now_hour = listen::HourOf(system_clock::now());
  const long hours_back = 8 * 7 * 24;
  const listen::Hour first = now_hour - hours(hours_back);
  const auto fill0 = Steady::now();
  std::uint64_t seq = 0;
  std::int64_t stored = 0;
  for (long h = 0; h < hours_back; ++h) {
    const listen::Hour hour = first + hours(h);
    const long n = total / hours_back + (h < total % hours_back ? 1 : 0);
    std::vector<listen::Post> posts;
    for (long i = 0; i < n; ++i) {
      posts.push_back(MakePost(++seq, hour + seconds(i * 3600 / std::max(1L, n))));
    }
    const std::vector<store::Time> covered = {store::FromSystem(hour)};
    auto added = st->Listening().AddPosts(Rows(posts, config, vader, hour), nullptr, covered);
    if (!added.ok()) {
      fmt::print(stderr, "filling: {}\n", added.error().ToString());
      return 2;
    }
    stored += added->new_posts;
  }
  const double fill_ms = Ms(Steady::now() - fill0).count();
  fmt::print("listen_hour: {} posts stored over {} hours ({} queries) in {:.1f} s\n", stored,
             hours_back, config.queries.size(), fill_ms / 1000);

  std::vector<double> totals, stores, judges, summaries;
  for (long r = 0; r < runs; ++r) {
    // Run r's hour is the r-th hour after the history: its posts arrive, then it is complete.
    const listen::Hour hour = now_hour + hours(r);
    const auto t0 = Steady::now();
    std::vector<listen::Post> posts;
    for (long i = 0; i < per_hour_new; ++i) {
      posts.push_back(MakePost(++seq, hour + seconds(i * 3600 / std::max(1L, per_hour_new))));
    }
    const std::vector<store::Time> covered = {store::FromSystem(hour)};
    auto rows = Rows(posts, config, vader, hour + minutes(59));
    auto added = st->Listening().AddPosts(rows, nullptr, covered);
    if (!added.ok()) {
      fmt::print(stderr, "storing: {}\n", added.error().ToString());
      return 2;
    }
    const auto t1 = Steady::now();
    // Judged once the hour is complete (the detector judges the last complete hour).
    listener.Judge(hour + hours(1) + seconds(5));
    const auto t2 = Steady::now();
    std::int64_t negative = 0, summarised = 0;
    for (const auto& q : config.queries) {
      auto stored = st->Listening().ListPosts({.query = q.id,
                                               .from = store::FromSystem(hour),
                                               .to = store::FromSystem(hour + hours(1)),
                                               .limit = 100000});
      if (!stored.ok()) return 2;
      std::vector<listen::Post> back;
      for (const auto& p : *stored) {
        back.push_back({p.source, p.source_id, p.url, p.author, p.text,
                        time_point_cast<system_clock::duration>(p.posted_at), p.shares});
      }
      listen::SummaryOptions so;
      so.exclude_terms = q.exclude_terms;
      for (const auto& s : listen::SummariseHours(back, vader, so)) {
        negative += s.negative;
        summarised += s.posts;
      }
    }
    const auto t3 = Steady::now();
    auto decisions = st->Listening().ListSpikes(
        {.from = store::FromSystem(hour), .to = store::FromSystem(hour + hours(1))});
    const std::size_t judged = decisions.ok() ? decisions->size() : 0;
    stores.push_back(Ms(t1 - t0).count());
    judges.push_back(Ms(t2 - t1).count());
    summaries.push_back(Ms(t3 - t2).count());
    totals.push_back(Ms(t3 - t0).count());
    fmt::print(
        "run {}: {} new posts ({} query links) scored and counted {:.1f} ms, {} queries judged "
        "({} decisions) {:.1f} ms, hour summarised ({} posts, {} negative) {:.1f} ms; total "
        "{:.1f} ms\n",
        r + 1, added->new_posts, added->new_links, stores.back(), config.queries.size(), judged,
        judges.back(), summarised, negative, summaries.back(), totals.back());
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  const double m = median(totals);
  fmt::print(
      "median of {} runs: total {:.1f} ms (target: under 1000 ms): store {:.1f}, judge {:.1f}, "
      "summarise {:.1f} ms\n",
      runs, m, median(stores), median(judges), median(summaries));
  return m < 1000 ? 0 : 1;
}
