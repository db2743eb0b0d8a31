// The SQLite listening store (store/listening.h): all of its SQL.
#include "store/sqlite/listening.h"

#include <limits>

#include <nlohmann/json.hpp>

namespace lifeline::store::sqlite {
namespace {

using core::ErrorCode;
using core::MakeError;
using core::Result;
using core::Status;
using Sync = Connections::Sync;

constexpr std::int64_t kHourMs = 3'600'000;
constexpr const char* kPostColumns =
    "key, source, source_id, url, author, text, posted_at, fetched_at, shares, compound";
constexpr const char* kSourceColumns =
    "source, term, cursor, last_poll, last_ok, outcome, error, rate_limit, retry_at, polls, posts";
constexpr const char* kSpikeColumns =
    "query, platform, hour, judged_at, fraction, observed, expected, usual, weeks_json, p_value, "
    "run, spiking, fired, reason, evidence";

std::int64_t HourMs(Time t) {
  const std::int64_t ms = ToMillis(t);
  return ms - ((ms % kHourMs) + kHourMs) % kHourMs;
}

Status Bump(Db& db, const std::string& query, std::int64_t hour, std::int64_t by) {
  auto up = db.Prepare(
      "INSERT INTO listen_counts (query, hour, count) VALUES (?1, ?2, ?3) ON CONFLICT (query, "
      "hour) DO UPDATE SET count = count + excluded.count");
  if (!up) return up.error();
  up->Text(1, query).Int(2, hour).Int(3, by);
  return up->Run();
}

Status PutStateIn(Db& db, const ListenSourceState& s) {
  auto up = db.Prepare(std::string("INSERT OR REPLACE INTO listen_sources (") + kSourceColumns +
                       ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
  if (!up) return up.error();
  up->Text(1, s.source)
      .Text(2, s.term)
      .Text(3, s.cursor)
      .OptTime(4, s.last_poll)
      .OptTime(5, s.last_ok)
      .Text(6, s.outcome)
      .Text(7, s.error)
      .Text(8, s.rate_limit)
      .OptTime(9, s.retry_at)
      .Int(10, s.polls)
      .Int(11, s.posts);
  return up->Run();
}

ListenPost PostFromRow(const Stmt& s) {
  ListenPost p;
  p.key = s.ColText(0);
  p.source = s.ColText(1);
  p.source_id = s.ColText(2);
  p.url = s.ColText(3);
  p.author = s.ColText(4);
  p.text = s.ColText(5);
  p.posted_at = s.ColTime(6);
  p.fetched_at = s.ColTime(7);
  p.shares = s.ColInt(8);
  p.compound = s.ColReal(9);
  return p;
}

ListenSpike SpikeFromRow(const Stmt& s) {
  ListenSpike k;
  k.query = s.ColText(0);
  k.platform = s.ColText(1);
  k.hour = s.ColTime(2);
  k.judged_at = s.ColTime(3);
  k.fraction = s.ColReal(4);
  k.observed = s.ColInt(5);
  k.expected = s.ColReal(6);
  k.usual = s.ColReal(7);
  auto w = nlohmann::json::parse(s.ColText(8), nullptr, false);
  if (w.is_array()) {
    for (const auto& v : w) {
      if (v.is_number_integer()) k.weeks.push_back(v.get<std::int64_t>());
    }
  }
  k.p_value = s.ColReal(9);
  k.run = static_cast<int>(s.ColInt(10));
  k.spiking = s.ColInt(11) != 0;
  k.fired = s.ColInt(12) != 0;
  k.reason = s.ColText(13);
  k.evidence = s.ColText(14);
  return k;
}

Status Validate(const ListenPost& p) {
  if (p.key.empty()) return MakeError(ErrorCode::kInvalidArgument, "key: required");
  if (p.source.empty()) return MakeError(ErrorCode::kInvalidArgument, "source: required");
  return core::Ok();
}

class SqliteListening final : public ListeningStore {
 public:
  explicit SqliteListening(Connections* conns) : conns_(conns) {}

  Result<ListenAddResult> AddPosts(std::span<const ListenPost> posts,
                                   const ListenSourceState* state,
                                   std::span<const Time> covered) override {
    for (const auto& p : posts) LL_TRY(Validate(p));
    return conns_->Write(Sync::kNormal, "storing posts", [&](Db& db) -> Result<ListenAddResult> {
      ListenAddResult out;
      for (const ListenPost& p : posts) {
        auto sel = db.Prepare("SELECT posted_at, shares FROM listen_posts WHERE key = ?1");
        if (!sel) return sel.error();
        sel->Text(1, p.key);
        LL_ASSIGN(bool row, sel->Step());
        std::int64_t hour = HourMs(p.posted_at);
        if (!row) {
          auto ins = db.Prepare(std::string("INSERT INTO listen_posts (") + kPostColumns +
                                ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
          if (!ins) return ins.error();
          ins->Text(1, p.key)
              .Text(2, p.source)
              .Text(3, p.source_id)
              .Text(4, p.url)
              .Text(5, p.author)
              .Text(6, p.text)
              .Time(7, p.posted_at)
              .Time(8, p.fetched_at)
              .Int(9, p.shares)
              .Real(10, p.compound);
          LL_TRY(ins->Run());
          ++out.new_posts;
        } else {
          const std::int64_t old_at = sel->ColInt(0);
          const std::int64_t old_shares = sel->ColInt(1);
          LL_TRY(sel->Run());
          const std::int64_t new_at = std::min(old_at, ToMillis(p.posted_at));
          const std::int64_t old_hour = HourMs(FromMillis(old_at));
          hour = HourMs(FromMillis(new_at));
          if (new_at != old_at || p.shares > old_shares) {
            auto up = db.Prepare(
                "UPDATE listen_posts SET posted_at = ?2, shares = max(shares, ?3) WHERE key = ?1");
            if (!up) return up.error();
            up->Text(1, p.key).Int(2, new_at).Int(3, p.shares);
            LL_TRY(up->Run());
          }
          if (hour != old_hour) {
            // The post counts in its earliest hour: its links' counts move there.
            auto links = db.Prepare("SELECT query FROM listen_post_queries WHERE key = ?1");
            if (!links) return links.error();
            links->Text(1, p.key);
            std::vector<std::string> qs;
            while (true) {
              LL_ASSIGN(bool more, links->Step());
              if (!more) break;
              qs.push_back(links->ColText(0));
            }
            for (const auto& q : qs) {
              LL_TRY(Bump(db, q, old_hour, -1));
              LL_TRY(Bump(db, q, hour, 1));
            }
          }
        }
        for (const std::string& q : p.queries) {
          auto link =
              db.Prepare("INSERT OR IGNORE INTO listen_post_queries (key, query) VALUES (?1, ?2)");
          if (!link) return link.error();
          link->Text(1, p.key).Text(2, q);
          LL_TRY(link->Run());
          if (db.Changes() > 0) {
            ++out.new_links;
            LL_TRY(Bump(db, q, hour, 1));
          }
        }
      }
      for (Time h : covered) {
        auto cov = db.Prepare("INSERT OR IGNORE INTO listen_coverage (hour) VALUES (?1)");
        if (!cov) return cov.error();
        cov->Int(1, HourMs(h));
        LL_TRY(cov->Run());
      }
      if (state != nullptr) {
        ListenSourceState s = *state;
        s.posts += out.new_posts;
        LL_TRY(PutStateIn(db, s));
      }
      return out;
    });
  }

  Result<std::vector<ListenPost>> ListPosts(const ListenPostQuery& q) override {
    return conns_->Read("listing posts", [&](Db& db) -> Result<std::vector<ListenPost>> {
      auto sel = db.Prepare(
          std::string("SELECT ") + kPostColumns +
          " FROM listen_posts p WHERE (?1 = '' OR EXISTS (SELECT 1 FROM listen_post_queries l "
          "WHERE l.key = p.key AND l.query = ?1)) AND (?2 = '' OR source = ?2) AND posted_at >= "
          "?3 AND posted_at < ?4 ORDER BY posted_at DESC, key LIMIT ?5");
      if (!sel) return sel.error();
      sel->Text(1, q.query)
          .Text(2, q.source)
          .Int(3, q.from ? ToMillis(*q.from) : std::numeric_limits<std::int64_t>::min())
          .Int(4, q.to ? ToMillis(*q.to) : std::numeric_limits<std::int64_t>::max())
          .Int(5, static_cast<std::int64_t>(q.limit == 0 ? 100 : q.limit));
      std::vector<ListenPost> out;
      while (true) {
        LL_ASSIGN(bool row, sel->Step());
        if (!row) break;
        out.push_back(PostFromRow(*sel));
      }
      for (auto& p : out) {
        auto qs = db.Prepare("SELECT query FROM listen_post_queries WHERE key = ?1 ORDER BY query");
        if (!qs) return qs.error();
        qs->Text(1, p.key);
        while (true) {
          LL_ASSIGN(bool row, qs->Step());
          if (!row) break;
          p.queries.push_back(qs->ColText(0));
        }
      }
      return out;
    });
  }

  Result<std::vector<ListenHourCount>> HourCounts(std::string_view query, Time from,
                                                  Time to) override {
    return conns_->Read("counting posts", [&](Db& db) -> Result<std::vector<ListenHourCount>> {
      auto sel = db.Prepare(
          "SELECT query, hour, count FROM listen_counts WHERE (?1 = '' OR query = ?1) AND hour >= "
          "?2 AND hour < ?3 AND count > 0 ORDER BY query, hour");
      if (!sel) return sel.error();
      sel->Text(1, query).Time(2, from).Time(3, to);
      std::vector<ListenHourCount> out;
      while (true) {
        LL_ASSIGN(bool row, sel->Step());
        if (!row) break;
        out.push_back({sel->ColText(0), sel->ColTime(1), sel->ColInt(2)});
      }
      return out;
    });
  }

  Result<std::vector<Time>> CoveredHours(Time from, Time to) override {
    return conns_->Read("reading coverage", [&](Db& db) -> Result<std::vector<Time>> {
      auto sel = db.Prepare(
          "SELECT hour FROM listen_coverage WHERE hour >= ?1 AND hour < ?2 ORDER BY hour");
      if (!sel) return sel.error();
      sel->Time(1, from).Time(2, to);
      std::vector<Time> out;
      while (true) {
        LL_ASSIGN(bool row, sel->Step());
        if (!row) break;
        out.push_back(sel->ColTime(0));
      }
      return out;
    });
  }

  Status PutSourceState(const ListenSourceState& s) override {
    if (s.source.empty()) return MakeError(ErrorCode::kInvalidArgument, "source: required");
    return conns_->Write(Sync::kNormal, "storing a source's state",
                         [&](Db& db) -> Status { return PutStateIn(db, s); });
  }

  Result<std::vector<ListenSourceState>> SourceStates() override {
    return conns_->Read("reading sources", [&](Db& db) -> Result<std::vector<ListenSourceState>> {
      auto sel = db.Prepare(std::string("SELECT ") + kSourceColumns +
                            " FROM listen_sources ORDER BY source, term");
      if (!sel) return sel.error();
      std::vector<ListenSourceState> out;
      while (true) {
        LL_ASSIGN(bool row, sel->Step());
        if (!row) break;
        ListenSourceState s;
        s.source = sel->ColText(0);
        s.term = sel->ColText(1);
        s.cursor = sel->ColText(2);
        s.last_poll = sel->ColOptTime(3);
        s.last_ok = sel->ColOptTime(4);
        s.outcome = sel->ColText(5);
        s.error = sel->ColText(6);
        s.rate_limit = sel->ColText(7);
        s.retry_at = sel->ColOptTime(8);
        s.polls = sel->ColInt(9);
        s.posts = sel->ColInt(10);
        out.push_back(std::move(s));
      }
      return out;
    });
  }

  Status PutSpike(const ListenSpike& k) override {
    if (k.query.empty()) return MakeError(ErrorCode::kInvalidArgument, "query: required");
    return conns_->Write(Sync::kNormal, "storing a spike decision", [&](Db& db) -> Status {
      auto up = db.Prepare(std::string("INSERT OR REPLACE INTO listen_spikes (") + kSpikeColumns +
                           ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
                           "?14, ?15)");
      if (!up) return up.error();
      up->Text(1, k.query)
          .Text(2, k.platform)
          .Int(3, HourMs(k.hour))
          .Time(4, k.judged_at)
          .Real(5, k.fraction)
          .Int(6, k.observed)
          .Real(7, k.expected)
          .Real(8, k.usual)
          .Text(9, nlohmann::json(k.weeks).dump())
          .Real(10, k.p_value)
          .Int(11, k.run)
          .Int(12, k.spiking ? 1 : 0)
          .Int(13, k.fired ? 1 : 0)
          .Text(14, k.reason)
          .Text(15, k.evidence);
      return up->Run();
    });
  }

  Result<std::vector<ListenSpike>> ListSpikes(const ListenSpikeQuery& q) override {
    return conns_->Read("listing spikes", [&](Db& db) -> Result<std::vector<ListenSpike>> {
      auto sel = db.Prepare(std::string("SELECT ") + kSpikeColumns +
                            " FROM listen_spikes WHERE (?1 = '' OR query = ?1) AND (?2 = '' OR "
                            "platform = ?2) AND hour >= ?3 AND hour < ?4 AND (?5 = 0 OR spiking "
                            "= 1) ORDER BY hour DESC, query LIMIT ?6");
      if (!sel) return sel.error();
      sel->Text(1, q.query)
          .Text(2, q.platform)
          .Int(3, q.from ? ToMillis(*q.from) : std::numeric_limits<std::int64_t>::min())
          .Int(4, q.to ? ToMillis(*q.to) : std::numeric_limits<std::int64_t>::max())
          .Int(5, q.spiking_only ? 1 : 0)
          .Int(6, static_cast<std::int64_t>(q.limit == 0 ? 200 : q.limit));
      std::vector<ListenSpike> out;
      while (true) {
        LL_ASSIGN(bool row, sel->Step());
        if (!row) break;
        out.push_back(SpikeFromRow(*sel));
      }
      return out;
    });
  }

  Result<std::optional<Time>> LastFired(std::string_view query) override {
    return conns_->Read("reading spikes", [&](Db& db) -> Result<std::optional<Time>> {
      auto sel =
          db.Prepare("SELECT max(judged_at) FROM listen_spikes WHERE query = ?1 AND fired = 1");
      if (!sel) return sel.error();
      sel->Text(1, query);
      LL_ASSIGN(bool row, sel->Step());
      if (!row || sel->ColNull(0)) return std::optional<Time>();
      return std::optional<Time>(sel->ColTime(0));
    });
  }

 private:
  Connections* conns_;
};

}  // namespace

std::unique_ptr<ListeningStore> NewSqliteListening(Connections* conns) {
  return std::make_unique<SqliteListening>(conns);
}

}  // namespace lifeline::store::sqlite
