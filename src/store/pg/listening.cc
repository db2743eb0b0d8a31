// The PostgreSQL listening store (store/listening.h): all of its SQL. Writes commit with
// synchronous_commit off (Sync::kNormal), as SQLite's NORMAL: a server crash may lose the last
// moments of collected posts, which the next poll brings again.
#include "store/pg/listening.h"

#include <algorithm>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace lifeline::store::pg {
namespace {

using core::ErrorCode;
using core::MakeError;
using core::Result;
using core::Status;
using Sync = Pool::Sync;

constexpr std::int64_t kHourMs = 3'600'000;
constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();

// The columns PostFromRow reads, in its order; the post's queries (a JSON array) last.
constexpr std::string_view kPostColumns =
    "key, source, source_id, url, author, text, posted_at, fetched_at, shares, compound";
constexpr std::string_view kSourceColumns =
    "source, term, cursor, last_poll, last_ok, outcome, error, rate_limit, retry_at, polls, posts";
constexpr std::string_view kSpikeColumns =
    "query, platform, hour, judged_at, fraction, observed, expected, usual, weeks_json, p_value, "
    "run, spiking, fired, reason, evidence";

std::int64_t HourMs(std::int64_t ms) { return ms - ((ms % kHourMs) + kHourMs) % kHourMs; }

Status Bump(Conn& c, const std::string& query, std::int64_t hour, std::int64_t by) {
  LL_ASSIGN(Rows r, c.Exec("INSERT INTO listen_counts (query, hour, count) VALUES ($1::text, "
                           "$2::bigint, $3::bigint) ON CONFLICT (query, hour) DO UPDATE SET "
                           "count = listen_counts.count + excluded.count",
                           Params().Text(query).Int(hour).Int(by), "counting posts"));
  (void)r;
  return core::Ok();
}

Status PutStateIn(Conn& c, const ListenSourceState& s) {
  LL_ASSIGN(Rows r,
            c.Exec(Cat("INSERT INTO listen_sources (", kSourceColumns,
                       ") VALUES ($1::text, $2::text, $3::text, $4::bigint, $5::bigint, $6::text, "
                       "$7::text, $8::text, $9::bigint, $10::bigint, $11::bigint) "
                       "ON CONFLICT (source, term) DO UPDATE SET cursor = excluded.cursor, "
                       "last_poll = excluded.last_poll, last_ok = excluded.last_ok, "
                       "outcome = excluded.outcome, error = excluded.error, "
                       "rate_limit = excluded.rate_limit, retry_at = excluded.retry_at, "
                       "polls = excluded.polls, posts = excluded.posts"),
                   Params()
                       .Text(s.source)
                       .Text(s.term)
                       .Text(s.cursor)
                       .OptTime(s.last_poll)
                       .OptTime(s.last_ok)
                       .Text(s.outcome)
                       .Text(s.error)
                       .Text(s.rate_limit)
                       .OptTime(s.retry_at)
                       .Int(s.polls)
                       .Int(s.posts),
                   "storing a source's state"));
  (void)r;
  return core::Ok();
}

ListenPost PostFromRow(const Row& r) {
  ListenPost p;
  p.key = r.ColText(0);
  p.source = r.ColText(1);
  p.source_id = r.ColText(2);
  p.url = r.ColText(3);
  p.author = r.ColText(4);
  p.text = r.ColText(5);
  p.posted_at = r.ColTime(6);
  p.fetched_at = r.ColTime(7);
  p.shares = r.ColInt(8);
  p.compound = r.ColReal(9);
  auto qs = nlohmann::json::parse(r.ColText(10), nullptr, false);
  if (qs.is_array()) {
    for (const auto& q : qs) {
      if (q.is_string()) p.queries.push_back(q.get<std::string>());
    }
  }
  return p;
}

ListenSpike SpikeFromRow(const Row& r) {
  ListenSpike k;
  k.query = r.ColText(0);
  k.platform = r.ColText(1);
  k.hour = r.ColTime(2);
  k.judged_at = r.ColTime(3);
  k.fraction = r.ColReal(4);
  k.observed = r.ColInt(5);
  k.expected = r.ColReal(6);
  k.usual = r.ColReal(7);
  auto w = nlohmann::json::parse(r.ColText(8), nullptr, false);
  if (w.is_array()) {
    for (const auto& v : w) {
      if (v.is_number_integer()) k.weeks.push_back(v.get<std::int64_t>());
    }
  }
  k.p_value = r.ColReal(9);
  k.run = static_cast<int>(r.ColInt(10));
  k.spiking = r.ColBool(11);
  k.fired = r.ColBool(12);
  k.reason = r.ColText(13);
  k.evidence = r.ColText(14);
  return k;
}

Status Validate(const ListenPost& p) {
  if (p.key.empty()) return MakeError(ErrorCode::kInvalidArgument, "key: required");
  if (p.source.empty()) return MakeError(ErrorCode::kInvalidArgument, "source: required");
  return core::Ok();
}

class PgListening final : public ListeningStore {
 public:
  explicit PgListening(Pool* pool) : pool_(pool) {}

  Result<ListenAddResult> AddPosts(std::span<const ListenPost> posts,
                                   const ListenSourceState* state,
                                   std::span<const Time> covered) override;
  Result<std::vector<ListenPost>> ListPosts(const ListenPostQuery& q) override;
  Result<std::vector<ListenHourCount>> HourCounts(std::string_view query, Time from,
                                                  Time to) override;
  Result<std::vector<Time>> CoveredHours(Time from, Time to) override;
  Status PutSourceState(const ListenSourceState& s) override;
  Result<std::vector<ListenSourceState>> SourceStates() override;
  Status PutSpike(const ListenSpike& k) override;
  Result<std::vector<ListenSpike>> ListSpikes(const ListenSpikeQuery& q) override;
  Result<std::optional<Time>> LastFired(std::string_view query) override;

 private:
  // Stores one post of a batch (AddPosts's contract), adding to `out`.
  Status AddPost(Conn& c, const ListenPost& p, ListenAddResult& out);

  Pool* pool_;  // owned by the PgStore; its own mutex guards the idle sessions
};

Status PgListening::AddPost(Conn& c, const ListenPost& p, ListenAddResult& out) {
  std::int64_t hour = HourMs(ToMillis(p.posted_at));
  LL_ASSIGN(Rows ins, c.Exec(Cat("INSERT INTO listen_posts (", kPostColumns,
                                 ") VALUES ($1::text, $2::text, $3::text, $4::text, $5::text, "
                                 "$6::text, $7::bigint, $8::bigint, $9::bigint, "
                                 "$10::double precision) ON CONFLICT (key) DO NOTHING"),
                             Params()
                                 .Text(p.key)
                                 .Text(p.source)
                                 .Text(p.source_id)
                                 .Text(p.url)
                                 .Text(p.author)
                                 .Text(p.text)
                                 .Time(p.posted_at)
                                 .Time(p.fetched_at)
                                 .Int(p.shares)
                                 .Real(p.compound),
                             "storing a post"));
  if (ins.affected() > 0) {
    ++out.new_posts;
  } else {
    // Stored before (or by another instance just now: the insert waited for it): the row is
    // locked until this transaction ends, so its links and counts are this transaction's to move.
    LL_ASSIGN(Rows old, c.Exec("SELECT posted_at, shares FROM listen_posts WHERE key = $1::text "
                               "FOR UPDATE",
                               Params().Text(p.key), "reading a stored post"));
    if (old.empty()) {
      return MakeError(ErrorCode::kInternal, "post {} is neither new nor stored", p.key);
    }
    const std::int64_t old_at = old[0].ColInt(0);
    const std::int64_t old_shares = old[0].ColInt(1);
    const std::int64_t new_at = std::min(old_at, ToMillis(p.posted_at));
    const std::int64_t old_hour = HourMs(old_at);
    hour = HourMs(new_at);
    if (new_at != old_at || p.shares > old_shares) {
      LL_ASSIGN(Rows up,
                c.Exec("UPDATE listen_posts SET posted_at = $2::bigint, "
                       "shares = greatest(shares, $3::bigint) WHERE key = $1::text",
                       Params().Text(p.key).Int(new_at).Int(p.shares), "updating a stored post"));
      (void)up;
    }
    if (hour != old_hour) {
      // The post counts in its earliest hour: its links' counts move there.
      LL_ASSIGN(Rows links, c.Exec("SELECT query FROM listen_post_queries WHERE key = $1::text "
                                   "ORDER BY query COLLATE \"C\"",
                                   Params().Text(p.key), "reading a post's queries"));
      for (int i = 0; i < links.size(); ++i) {
        const std::string q = links[i].ColText(0);
        LL_TRY(Bump(c, q, old_hour, -1));
        LL_TRY(Bump(c, q, hour, 1));
      }
    }
  }
  for (const std::string& q : p.queries) {
    LL_ASSIGN(Rows link, c.Exec("INSERT INTO listen_post_queries (key, query) VALUES ($1::text, "
                                "$2::text) ON CONFLICT (key, query) DO NOTHING",
                                Params().Text(p.key).Text(q), "linking a post to its query"));
    if (link.affected() > 0) {
      ++out.new_links;
      LL_TRY(Bump(c, q, hour, 1));
    }
  }
  return core::Ok();
}

Result<ListenAddResult> PgListening::AddPosts(std::span<const ListenPost> posts,
                                              const ListenSourceState* state,
                                              std::span<const Time> covered) {
  for (const auto& p : posts) LL_TRY(Validate(p));
  // Rows are locked in key order (a post seen twice in the batch keeps its place among its own):
  // two batches sharing posts then never wait for each other in a cycle.
  std::vector<const ListenPost*> order;
  order.reserve(posts.size());
  for (const auto& p : posts) order.push_back(&p);
  std::stable_sort(order.begin(), order.end(),
                   [](const ListenPost* a, const ListenPost* b) { return a->key < b->key; });
  return pool_->Write(Sync::kNormal, "storing posts", [&](Conn& c) -> Result<ListenAddResult> {
    ListenAddResult out;
    for (const ListenPost* p : order) LL_TRY(AddPost(c, *p, out));
    for (Time h : covered) {
      LL_ASSIGN(Rows cov, c.Exec("INSERT INTO listen_coverage (hour) VALUES ($1::bigint) "
                                 "ON CONFLICT (hour) DO NOTHING",
                                 Params().Int(HourMs(ToMillis(h))), "marking an hour covered"));
      (void)cov;
    }
    if (state != nullptr) {
      ListenSourceState s = *state;
      s.posts += out.new_posts;
      LL_TRY(PutStateIn(c, s));
    }
    return out;
  });
}

Result<std::vector<ListenPost>> PgListening::ListPosts(const ListenPostQuery& q) {
  std::string sql =
      Cat(Cat("SELECT ", kPostColumns,
              ", (SELECT coalesce(json_agg(l.query ORDER BY l.query COLLATE \"C\"), '[]'::json) "
              "FROM listen_post_queries l WHERE l.key = p.key) "),
          "FROM listen_posts p WHERE ($1::text = '' OR EXISTS (SELECT 1 FROM listen_post_queries l "
          "WHERE l.key = p.key AND l.query = $1::text)) AND ($2::text = '' OR source = $2::text) "
          "AND posted_at >= $3::bigint AND posted_at < $4::bigint ",
          "ORDER BY posted_at DESC, key COLLATE \"C\" LIMIT $5::bigint");
  Params p;
  p.Text(q.query)
      .Text(q.source)
      .Int(q.from ? ToMillis(*q.from) : kMin)
      .Int(q.to ? ToMillis(*q.to) : kMax)
      .Int(static_cast<std::int64_t>(q.limit == 0 ? 100 : q.limit));
  return pool_->Read("listing posts", [&](Conn& c) -> Result<std::vector<ListenPost>> {
    LL_ASSIGN(Rows r, c.Exec(sql, p, "listing posts"));
    std::vector<ListenPost> out;
    out.reserve(static_cast<std::size_t>(r.size()));
    for (int i = 0; i < r.size(); ++i) out.push_back(PostFromRow(r[i]));
    return out;
  });
}

Result<std::vector<ListenHourCount>> PgListening::HourCounts(std::string_view query, Time from,
                                                             Time to) {
  return pool_->Read("counting posts", [&](Conn& c) -> Result<std::vector<ListenHourCount>> {
    LL_ASSIGN(Rows r, c.Exec("SELECT query, hour, count FROM listen_counts WHERE ($1::text = '' OR "
                             "query = $1::text) AND hour >= $2::bigint AND hour < $3::bigint AND "
                             "count > 0 ORDER BY query COLLATE \"C\", hour",
                             Params().Text(query).Time(from).Time(to), "counting posts"));
    std::vector<ListenHourCount> out;
    for (int i = 0; i < r.size(); ++i) {
      out.push_back({r[i].ColText(0), r[i].ColTime(1), r[i].ColInt(2)});
    }
    return out;
  });
}

Result<std::vector<Time>> PgListening::CoveredHours(Time from, Time to) {
  return pool_->Read("reading coverage", [&](Conn& c) -> Result<std::vector<Time>> {
    LL_ASSIGN(Rows r, c.Exec("SELECT hour FROM listen_coverage WHERE hour >= $1::bigint AND "
                             "hour < $2::bigint ORDER BY hour",
                             Params().Time(from).Time(to), "reading coverage"));
    std::vector<Time> out;
    for (int i = 0; i < r.size(); ++i) out.push_back(r[i].ColTime(0));
    return out;
  });
}

Status PgListening::PutSourceState(const ListenSourceState& s) {
  if (s.source.empty()) return MakeError(ErrorCode::kInvalidArgument, "source: required");
  return pool_->Write(Sync::kNormal, "storing a source's state",
                      [&](Conn& c) -> Status { return PutStateIn(c, s); });
}

Result<std::vector<ListenSourceState>> PgListening::SourceStates() {
  return pool_->Read("reading sources", [&](Conn& c) -> Result<std::vector<ListenSourceState>> {
    LL_ASSIGN(Rows r, c.Exec(Cat("SELECT ", kSourceColumns,
                                 " FROM listen_sources ORDER BY source COLLATE \"C\", "
                                 "term COLLATE \"C\""),
                             "reading sources"));
    std::vector<ListenSourceState> out;
    for (int i = 0; i < r.size(); ++i) {
      ListenSourceState s;
      s.source = r[i].ColText(0);
      s.term = r[i].ColText(1);
      s.cursor = r[i].ColText(2);
      s.last_poll = r[i].ColOptTime(3);
      s.last_ok = r[i].ColOptTime(4);
      s.outcome = r[i].ColText(5);
      s.error = r[i].ColText(6);
      s.rate_limit = r[i].ColText(7);
      s.retry_at = r[i].ColOptTime(8);
      s.polls = r[i].ColInt(9);
      s.posts = r[i].ColInt(10);
      out.push_back(std::move(s));
    }
    return out;
  });
}

Status PgListening::PutSpike(const ListenSpike& k) {
  if (k.query.empty()) return MakeError(ErrorCode::kInvalidArgument, "query: required");
  return pool_->Write(Sync::kNormal, "storing a spike decision", [&](Conn& c) -> Status {
    LL_ASSIGN(
        Rows r,
        c.Exec(Cat("INSERT INTO listen_spikes (", kSpikeColumns,
                   ") VALUES ($1::text, $2::text, $3::bigint, $4::bigint, $5::double precision, "
                   "$6::bigint, $7::double precision, $8::double precision, $9::text, "
                   "$10::double precision, $11::integer, $12::boolean, $13::boolean, $14::text, "
                   "$15::text) ON CONFLICT (query, hour) DO UPDATE SET platform = "
                   "excluded.platform, judged_at = excluded.judged_at, fraction = "
                   "excluded.fraction, observed = excluded.observed, expected = "
                   "excluded.expected, usual = excluded.usual, weeks_json = excluded.weeks_json, "
                   "p_value = excluded.p_value, run = excluded.run, spiking = excluded.spiking, "
                   "fired = excluded.fired, reason = excluded.reason, evidence = "
                   "excluded.evidence"),
               Params()
                   .Text(k.query)
                   .Text(k.platform)
                   .Int(HourMs(ToMillis(k.hour)))
                   .Time(k.judged_at)
                   .Real(k.fraction)
                   .Int(k.observed)
                   .Real(k.expected)
                   .Real(k.usual)
                   .Text(nlohmann::json(k.weeks).dump())
                   .Real(k.p_value)
                   .Int(k.run)
                   .Bool(k.spiking)
                   .Bool(k.fired)
                   .Text(k.reason)
                   .Text(k.evidence),
               "storing a spike decision"));
    (void)r;
    return core::Ok();
  });
}

Result<std::vector<ListenSpike>> PgListening::ListSpikes(const ListenSpikeQuery& q) {
  Params p;
  p.Text(q.query)
      .Text(q.platform)
      .Int(q.from ? ToMillis(*q.from) : kMin)
      .Int(q.to ? ToMillis(*q.to) : kMax)
      .Bool(q.spiking_only)
      .Int(static_cast<std::int64_t>(q.limit == 0 ? 200 : q.limit));
  return pool_->Read("listing spikes", [&](Conn& c) -> Result<std::vector<ListenSpike>> {
    LL_ASSIGN(Rows r, c.Exec(Cat("SELECT ", kSpikeColumns,
                                 " FROM listen_spikes WHERE ($1::text = '' OR query = $1::text) "
                                 "AND ($2::text = '' OR platform = $2::text) AND hour >= "
                                 "$3::bigint AND hour < $4::bigint AND (NOT $5::boolean OR "
                                 "spiking) ORDER BY hour DESC, query COLLATE \"C\" "
                                 "LIMIT $6::bigint"),
                             p, "listing spikes"));
    std::vector<ListenSpike> out;
    for (int i = 0; i < r.size(); ++i) out.push_back(SpikeFromRow(r[i]));
    return out;
  });
}

Result<std::optional<Time>> PgListening::LastFired(std::string_view query) {
  return pool_->Read("reading spikes", [&](Conn& c) -> Result<std::optional<Time>> {
    LL_ASSIGN(Rows r, c.Exec("SELECT max(judged_at) FROM listen_spikes WHERE query = $1::text "
                             "AND fired",
                             Params().Text(query), "reading spikes"));
    if (r.empty()) return std::optional<Time>();
    return r[0].ColOptTime(0);
  });
}

}  // namespace

std::unique_ptr<ListeningStore> NewPgListening(Pool* pool) {
  return std::make_unique<PgListening>(pool);
}

}  // namespace lifeline::store::pg
