// The PostgreSQL Store: a pool of sessions on one database that any number of `lifeline serve`
// instances may share; all SQL of the Store itself in this file and the migrations.
#include "store/pg/pg_store.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <limits>
#include <mutex>
#include <unordered_map>
#include <utility>

#include "store/common.h"
#include "store/migrations/migrations.h"
#include "store/pg/ads.h"
#include "store/pg/calendar.h"
#include "store/pg/cluster.h"
#include "store/pg/conn.h"
#include "store/pg/device_reports.h"
#include "store/pg/inbox.h"
#include "store/pg/listening.h"
#include "store/pg/migrate.h"
#include "store/pg/outbox.h"
#include "store/pg/playbook.h"
#include "store/pg/timers.h"
#include "store/store.h"

namespace lifeline::store::pg {
namespace {

using core::ErrorCode;
using core::MakeError;
using core::Result;
using core::Status;
using Sync = Pool::Sync;

constexpr std::int64_t kMinuteMs = 60'000;
constexpr std::int64_t kHourMs = 3'600'000;
constexpr std::string_view kWatermarkKey = "rollup_done_until";
constexpr std::string_view kClientSecretKey = "client_key_secret";
// Rows per INSERT of a sample batch: one round trip per chunk instead of one per sample.
constexpr std::size_t kSampleChunk = 200;

std::int64_t CeilTo(std::int64_t ms, std::int64_t unit) {
  std::int64_t floor = ms / unit * unit;
  if (floor > ms) floor -= unit;  // negative times
  return floor == ms ? ms : floor + unit;
}

std::int64_t FloorTo(std::int64_t ms, std::int64_t unit) {
  std::int64_t floor = ms / unit * unit;
  return floor > ms ? floor - unit : floor;
}

constexpr std::string_view kIncidentColumns =
    "id, kind, domain, verdict, state, title, opened_at, updated_at, closed_at, last_seq, drill";

Incident IncidentFromRow(const Row& r) {
  Incident i;
  i.id = r.ColText(0);
  i.kind = ParseIncidentKind(r.ColText(1)).value_or(IncidentKind::kPlatform);
  i.domain = r.ColText(2);
  i.verdict = core::ParseVerdict(r.ColText(3)).value_or(core::Verdict::kUnknown);
  i.state = ParseIncidentState(r.ColText(4)).value_or(IncidentState::kOpen);
  i.title = r.ColText(5);
  i.opened_at = r.ColTime(6);
  i.updated_at = r.ColTime(7);
  i.closed_at = r.ColOptTime(8);
  i.last_seq = r.ColInt(9);
  i.drill = r.ColBool(10);
  return i;
}

constexpr std::string_view kTokenColumns =
    "id, name, role, hash, created_at, revoked_at, last_used_at";

ApiToken TokenFromRow(const Row& r) {
  ApiToken t;
  t.id = r.ColText(0);
  t.name = r.ColText(1);
  t.role = ParseRole(r.ColText(2)).value_or(Role::kViewer);
  t.hash = r.ColText(3);
  t.created_at = r.ColTime(4);
  t.revoked_at = r.ColOptTime(5);
  t.last_used_at = r.ColOptTime(6);
  return t;
}

constexpr std::string_view kPlatformStateSelect =
    "SELECT platform, verdict, layer, detail, confidence, reason, evidence, updated_at "
    "FROM platform_states ";

PlatformState PlatformStateFromRow(const Row& r) {
  PlatformState st;
  st.platform = r.ColText(0);
  st.verdict = core::ParseVerdict(r.ColText(1)).value_or(core::Verdict::kUnknown);
  st.layer = core::ParseLayer(r.ColText(2)).value_or(core::Layer::kNone);
  st.detail = r.ColText(3);
  st.confidence = r.ColReal(4);
  st.reason = r.ColText(5);
  st.evidence_json = r.ColText(6);
  st.updated_at = r.ColTime(7);
  return st;
}

constexpr std::string_view kStatusPageSelect =
    "SELECT platform, indicator, description, fetched_at, raw FROM status_pages ";

StatusPageState StatusPageFromRow(const Row& r) {
  return {r.ColText(0), r.ColText(1), r.ColText(2), r.ColTime(3), r.ColText(4)};
}

class PgStore final : public Store {
 public:
  // `self`: this open's instance id (ClusterStore::self()).
  PgStore(ConnectParams params, std::size_t connections, OpenOptions options, std::string self)
      : pool_(std::move(params), connections),
        cluster_(NewPgCluster(&pool_, self)),
        outbox_(NewPgOutbox(&pool_, std::move(self))),
        timers_(NewPgTimers(&pool_)),
        playbook_(NewPgPlaybook(&pool_)),
        device_reports_(NewPgDeviceReports(&pool_)),
        ads_(NewPgAds(&pool_)),
        calendar_(NewPgCalendar(&pool_)),
        inbox_(NewPgInbox(&pool_)),
        listening_(NewPgListening(&pool_)),
        options_(options) {}

  Status Start();

  ClusterStore* Cluster() override { return cluster_.get(); }
  OutboxStore& Outbox() override { return *outbox_; }
  TimerStore& Timers() override { return *timers_; }
  PlaybookStore& Playbook() override { return *playbook_; }
  DeviceReportStore& DeviceReports() override { return *device_reports_; }
  AdsStore& Ads() override { return *ads_; }
  CalendarStore& Calendar() override { return *calendar_; }
  InboxStore& Inbox() override { return *inbox_; }
  ListeningStore& Listening() override { return *listening_; }

  Status AddProbeSamples(std::span<const ProbeSample> samples) override;
  Result<std::vector<ProbeSample>> ListProbeSamples(const SampleQuery& query) override;
  Result<RollupStats> RollupMinutes(TimeRange range) override;
  Result<RollupStats> RollupPending(Time now) override;
  Result<std::vector<MinuteAggregate>> ListAggregates(const AggregateQuery& query) override;
  Result<PruneStats> Prune(Time now) override;

  Status PutPlatformState(const PlatformState& state) override;
  Result<PlatformState> GetPlatformState(std::string_view platform) override;
  Result<std::vector<PlatformState>> ListPlatformStates(std::optional<Time> since) override;

  Result<Incident> OpenIncident(const NewIncident& incident) override;
  Result<Incident> GetIncident(std::string_view id) override;
  Result<IncidentPage> ListIncidents(const IncidentQuery& query) override;
  Result<IncidentEvent> AppendEvent(std::string_view incident_id, const NewEvent& event) override;
  Result<Incident> UpdateIncident(std::string_view id, const IncidentPatch& patch,
                                  const NewEvent& event) override;
  Result<Incident> CloseIncident(std::string_view id, const NewEvent& event) override;
  Result<std::vector<IncidentEvent>> ListEvents(std::string_view incident_id,
                                                std::int64_t after_seq, std::size_t limit) override;
  Status DeleteIncident(std::string_view id) override;

  Result<std::string> ClientKey(std::string_view address, Time at) override;
  Status AddReport(const CrowdReport& report) override;
  Result<std::int64_t> CountReports(std::string_view platform, TimeRange range) override;
  Result<std::vector<HourlyCount>> HourlyReportCounts(std::string_view platform,
                                                      TimeRange range) override;

  Result<CreatedToken> CreateToken(const NewToken& token) override;
  Result<std::vector<ApiToken>> ListTokens() override;
  Status RevokeToken(std::string_view id_or_name, Time at) override;
  Result<ApiToken> FindTokenByHash(std::string_view hash) override;
  Status MarkTokenUsed(std::string_view id, Time at) override;

  Status PutStatusPage(const StatusPageState& state) override;
  Result<StatusPageState> GetStatusPage(std::string_view platform) override;
  Result<std::vector<StatusPageState>> ListStatusPages() override;

 private:
  Result<std::optional<std::int64_t>> Watermark(Conn& c);
  Status SetWatermark(Conn& c, std::int64_t ms);
  Result<RollupStats> RollupSpan(std::int64_t begin, std::int64_t end, bool advance_watermark);
  // `for_update`: lock the incident's row until the transaction ends, so a check of its state and
  // the change that depends on it are not interleaved with another instance's.
  Result<Incident> LoadIncident(Conn& c, std::string_view id, bool for_update);
  Status InsertPlatforms(Conn& c, std::string_view id, const std::vector<std::string>& platforms);
  Result<IncidentEvent> AppendLocked(Conn& c, std::string_view id, const NewEvent& event);

  Pool pool_;  // its own mutex guards the idle sessions; each session serves one call at a time
  std::unique_ptr<ClusterStore> cluster_;              // shares pool_
  std::unique_ptr<OutboxStore> outbox_;                // shares pool_
  std::unique_ptr<TimerStore> timers_;                 // shares pool_
  std::unique_ptr<PlaybookStore> playbook_;            // shares pool_
  std::unique_ptr<DeviceReportStore> device_reports_;  // shares pool_
  std::unique_ptr<AdsStore> ads_;                      // shares pool_
  std::unique_ptr<CalendarStore> calendar_;            // shares pool_
  std::unique_ptr<InboxStore> inbox_;                  // shares pool_ (its worker ends first)
  std::unique_ptr<ListeningStore> listening_;          // shares pool_

  std::mutex used_mu_;                                 // guards last_marked_
  std::unordered_map<std::string, Time> last_marked_;  // MarkTokenUsed throttle, per token id

  const OpenOptions options_;
  std::string client_secret_;  // set once by Start, read-only afterwards
};

Status PgStore::Start() {
  LL_TRY(pool_.Start());
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  LL_TRY(pool_.Session("migrating the schema", [&](Conn& c) -> Status {
    return Migrate(c, migrations::kPostgresqlMigrations, now);
  }));
  LL_ASSIGN(std::string secret, internal::RandomHex(32));
  LL_ASSIGN(
      client_secret_,
      pool_.Write(
          Sync::kFull, "creating the client key secret", [&](Conn& c) -> Result<std::string> {
            LL_ASSIGN(Rows ins, c.Exec("INSERT INTO meta (key, value) VALUES ($1::text, "
                                       "$2::text) ON CONFLICT DO NOTHING",
                                       Params().Text(kClientSecretKey).Text(secret),
                                       "creating the client key secret"));
            (void)ins;
            LL_ASSIGN(Rows got,
                      c.Exec("SELECT value FROM meta WHERE key = $1::text",
                             Params().Text(kClientSecretKey), "reading the client key secret"));
            if (got.empty()) {
              return MakeError(ErrorCode::kInternal, "client key secret missing after insert");
            }
            return got[0].ColText(0);
          }));
  return core::Ok();
}

// ---- Probe results ----

Result<std::optional<std::int64_t>> PgStore::Watermark(Conn& c) {
  LL_ASSIGN(Rows r, c.Exec("SELECT value FROM meta WHERE key = $1::text",
                           Params().Text(kWatermarkKey), "reading the rollup watermark"));
  if (r.empty()) return std::optional<std::int64_t>();
  return std::optional<std::int64_t>(std::strtoll(r[0].ColText(0).c_str(), nullptr, 10));
}

Status PgStore::SetWatermark(Conn& c, std::int64_t ms) {
  LL_ASSIGN(Rows r, c.Exec("INSERT INTO meta (key, value) VALUES ($1::text, $2::text) "
                           "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                           Params().Text(kWatermarkKey).Text(std::to_string(ms)),
                           "moving the rollup watermark"));
  (void)r;
  return core::Ok();
}

Status PgStore::AddProbeSamples(std::span<const ProbeSample> samples) {
  if (samples.empty()) return core::Ok();
  for (const auto& s : samples) LL_TRY(internal::ValidateSample(s));
  return pool_.Write(Sync::kNormal, "storing probe samples", [&](Conn& c) -> Status {
    std::int64_t earliest = ToMillis(samples.front().at);
    for (std::size_t from = 0; from < samples.size(); from += kSampleChunk) {
      std::size_t n = std::min(kSampleChunk, samples.size() - from);
      std::string sql =
          "INSERT INTO probe_samples (platform, probe_id, vantage, at, ok, layer, detail, "
          "total_ms, http_status) VALUES ";
      Params p;
      for (std::size_t i = 0; i < n; ++i) {
        const ProbeSample& s = samples[from + i];
        earliest = std::min(earliest, ToMillis(s.at));
        int b = static_cast<int>(i) * 9;
        sql += fmt::format(
            "{}(${}::text, ${}::text, ${}::text, ${}::bigint, ${}::boolean, ${}::text, ${}::text, "
            "${}::double precision, ${}::integer)",
            i == 0 ? "" : ", ", b + 1, b + 2, b + 3, b + 4, b + 5, b + 6, b + 7, b + 8, b + 9);
        p.Text(s.platform)
            .Text(s.probe_id)
            .Text(s.from)
            .Time(s.at)
            .Bool(s.ok)
            .Text(core::LayerName(s.layer))
            .Text(s.detail)
            .OptReal(s.total_ms)
            .Int(s.http_status);
      }
      LL_ASSIGN(Rows r, c.ExecOnce(sql, p, "storing probe samples"));
      (void)r;
    }
    // A late sample reopens its minute for the next RollupPending.
    LL_ASSIGN(auto mark, Watermark(c));
    std::int64_t minute = FloorTo(earliest, kMinuteMs);
    if (mark && minute < *mark) return SetWatermark(c, minute);
    return core::Ok();
  });
}

Result<std::vector<ProbeSample>> PgStore::ListProbeSamples(const SampleQuery& q) {
  if (q.platform.empty()) return MakeError(ErrorCode::kInvalidArgument, "platform is empty");
  LL_TRY(internal::ValidateRange(q.range));
  if (q.limit < 1 || q.limit > 1'000'000) {
    return MakeError(ErrorCode::kInvalidArgument, "limit must be 1..1000000 (got {})", q.limit);
  }
  return pool_.Read("reading probe samples", [&](Conn& c) -> Result<std::vector<ProbeSample>> {
    LL_ASSIGN(Rows r,
              c.Exec("SELECT platform, probe_id, vantage, at, ok, layer, detail, total_ms, "
                     "http_status FROM probe_samples WHERE platform = $1::text "
                     "AND at >= $2::bigint AND at < $3::bigint "
                     "AND ($4::text = '' OR probe_id = $4::text) "
                     "AND ($5::text = '' OR vantage = $5::text) ORDER BY at, id LIMIT $6::bigint",
                     Params()
                         .Text(q.platform)
                         .Time(q.range.begin)
                         .Time(q.range.end)
                         .Text(q.probe_id)
                         .Text(q.from)
                         .Int(static_cast<std::int64_t>(q.limit)),
                     "reading probe samples"));
    std::vector<ProbeSample> out;
    out.reserve(static_cast<std::size_t>(r.size()));
    for (int i = 0; i < r.size(); ++i) {
      Row row = r[i];
      ProbeSample s;
      s.platform = row.ColText(0);
      s.probe_id = row.ColText(1);
      s.from = row.ColText(2);
      s.at = row.ColTime(3);
      s.ok = row.ColBool(4);
      s.layer = core::ParseLayer(row.ColText(5)).value_or(core::Layer::kNone);
      s.detail = row.ColText(6);
      s.total_ms = row.ColOptReal(7);
      s.http_status = static_cast<int>(row.ColInt(8));
      out.push_back(std::move(s));
    }
    return out;
  });
}

Result<RollupStats> PgStore::RollupSpan(std::int64_t begin, std::int64_t end,
                                        bool advance_watermark) {
  RollupStats stats;
  std::int64_t from = begin;
  while (from < end) {
    // One minute per transaction keeps each transaction short however far behind we are.
    struct Step {
      std::int64_t next = 0;
      std::int64_t aggregates = 0;
      bool rolled = false;
      bool busy = false;  // another instance is rolling up
    };
    auto step =
        pool_.Write(Sync::kNormal, "rolling up probe samples", [&](Conn& c) -> Result<Step> {
          // Instances on one database roll up one at a time: two writing one minute's rows at
          // once waited on each other's row locks past lock_timeout. The pending rollup (every
          // instance's writer, each minute) leaves it to the one rolling up now; an asked-for
          // range waits its turn.
          LL_ASSIGN(Rows lock,
                    c.Exec(advance_watermark ? "SELECT pg_try_advisory_xact_lock($1::bigint)"
                                             : "SELECT pg_advisory_xact_lock($1::bigint), true",
                           Params().Int(kRollupLockKey), "rolling up probe samples"));
          if (!lock[0].ColBool(advance_watermark ? 0 : 1)) return Step{end, 0, false, true};
          LL_ASSIGN(Rows first, c.Exec("SELECT min(at) FROM probe_samples WHERE at >= $1::bigint "
                                       "AND at < $2::bigint",
                                       Params().Int(from).Int(end), "rolling up probe samples"));
          if (first[0].ColNull(0)) {
            if (advance_watermark) LL_TRY(SetWatermark(c, end));
            return Step{end, 0, false};
          }
          std::int64_t minute = FloorTo(first[0].ColInt(0), kMinuteMs);
          LL_ASSIGN(Rows r, c.Exec("SELECT platform, probe_id, vantage, at, ok, total_ms FROM "
                                   "probe_samples WHERE at >= $1::bigint AND at < $2::bigint",
                                   Params().Int(minute).Int(minute + kMinuteMs),
                                   "rolling up probe samples"));
          std::vector<ProbeSample> samples;
          samples.reserve(static_cast<std::size_t>(r.size()));
          for (int i = 0; i < r.size(); ++i) {
            ProbeSample s;
            s.platform = r[i].ColText(0);
            s.probe_id = r[i].ColText(1);
            s.from = r[i].ColText(2);
            s.at = r[i].ColTime(3);
            s.ok = r[i].ColBool(4);
            s.total_ms = r[i].ColOptReal(5);
            samples.push_back(std::move(s));
          }
          auto aggregates = internal::Aggregate(std::move(samples));
          for (const auto& a : aggregates) {
            LL_ASSIGN(
                Rows up,
                c.Exec("INSERT INTO probe_minutes (platform, minute, probe_id, vantage, count, "
                       "ok_count, latency_count, latency_min, latency_p50, latency_p95, "
                       "latency_p99, latency_max) VALUES ($1::text, $2::bigint, $3::text, "
                       "$4::text, $5::bigint, $6::bigint, $7::bigint, $8::double precision, "
                       "$9::double precision, $10::double precision, $11::double precision, "
                       "$12::double precision) "
                       "ON CONFLICT (platform, minute, probe_id, vantage) DO UPDATE SET "
                       "count = excluded.count, ok_count = excluded.ok_count, "
                       "latency_count = excluded.latency_count, "
                       "latency_min = excluded.latency_min, latency_p50 = excluded.latency_p50, "
                       "latency_p95 = excluded.latency_p95, latency_p99 = excluded.latency_p99, "
                       "latency_max = excluded.latency_max",
                       Params()
                           .Text(a.platform)
                           .Time(a.minute)
                           .Text(a.probe_id)
                           .Text(a.from)
                           .Int(a.count)
                           .Int(a.ok_count)
                           .Int(a.latency_count)
                           .OptReal(a.latency_min)
                           .OptReal(a.latency_p50)
                           .OptReal(a.latency_p95)
                           .OptReal(a.latency_p99)
                           .OptReal(a.latency_max),
                       "storing a minute's aggregates"));
            (void)up;
          }
          if (advance_watermark) LL_TRY(SetWatermark(c, minute + kMinuteMs));
          return Step{minute + kMinuteMs, static_cast<std::int64_t>(aggregates.size()), true};
        });
    if (!step) return step.error();
    if (step->busy) break;
    if (step->rolled) {
      stats.minutes += 1;
      stats.aggregates += step->aggregates;
    }
    from = step->next;
  }
  return stats;
}

Result<RollupStats> PgStore::RollupMinutes(TimeRange range) {
  LL_TRY(internal::ValidateRange(range));
  return RollupSpan(FloorTo(ToMillis(range.begin), kMinuteMs),
                    CeilTo(ToMillis(range.end), kMinuteMs), /*advance_watermark=*/false);
}

Result<RollupStats> PgStore::RollupPending(Time now) {
  LL_ASSIGN(auto mark,
            pool_.Read("reading the rollup watermark", [&](Conn& c) { return Watermark(c); }));
  std::int64_t end = FloorTo(ToMillis(now), kMinuteMs);  // minutes ending at or before now
  std::int64_t begin = mark.value_or(std::numeric_limits<std::int64_t>::min());
  if (begin >= end) return RollupStats{};
  return RollupSpan(begin, end, /*advance_watermark=*/true);
}

Result<std::vector<MinuteAggregate>> PgStore::ListAggregates(const AggregateQuery& q) {
  if (q.platform.empty()) return MakeError(ErrorCode::kInvalidArgument, "platform is empty");
  LL_TRY(internal::ValidateRange(q.range));
  return pool_.Read(
      "reading probe aggregates", [&](Conn& c) -> Result<std::vector<MinuteAggregate>> {
        LL_ASSIGN(
            Rows r,
            c.Exec("SELECT platform, probe_id, vantage, minute, count, ok_count, latency_count, "
                   "latency_min, latency_p50, latency_p95, latency_p99, latency_max "
                   "FROM probe_minutes WHERE platform = $1::text AND minute >= $2::bigint "
                   "AND minute < $3::bigint AND ($4::text = '' OR probe_id = $4::text) "
                   "AND ($5::text = '' OR vantage = $5::text) "
                   "ORDER BY minute, probe_id COLLATE \"C\", vantage COLLATE \"C\"",
                   Params()
                       .Text(q.platform)
                       .Time(q.range.begin)
                       .Time(q.range.end)
                       .Text(q.probe_id)
                       .Text(q.from),
                   "reading probe aggregates"));
        std::vector<MinuteAggregate> out;
        for (int i = 0; i < r.size(); ++i) {
          Row row = r[i];
          MinuteAggregate a;
          a.platform = row.ColText(0);
          a.probe_id = row.ColText(1);
          a.from = row.ColText(2);
          a.minute = row.ColTime(3);
          a.count = row.ColInt(4);
          a.ok_count = row.ColInt(5);
          a.latency_count = row.ColInt(6);
          a.latency_min = row.ColOptReal(7);
          a.latency_p50 = row.ColOptReal(8);
          a.latency_p95 = row.ColOptReal(9);
          a.latency_p99 = row.ColOptReal(10);
          a.latency_max = row.ColOptReal(11);
          out.push_back(std::move(a));
        }
        return out;
      });
}

Result<PruneStats> PgStore::Prune(Time now) {
  if (auto r = RollupPending(now); !r) return r.error();
  const auto& keep = options_.retention;
  return pool_.Write(Sync::kNormal, "pruning old data", [&](Conn& c) -> Result<PruneStats> {
    PruneStats stats;
    struct Step {
      const char* sql;
      std::chrono::milliseconds keep;
      std::int64_t* count;
    };
    const Step steps[] = {
        {"DELETE FROM probe_samples WHERE at < $1::bigint", keep.samples, &stats.samples},
        {"DELETE FROM probe_minutes WHERE minute < $1::bigint", keep.aggregates, &stats.aggregates},
        {"DELETE FROM crowd_reports WHERE at < $1::bigint", keep.reports, &stats.reports},
        {"DELETE FROM device_reports WHERE at < $1::bigint", keep.reports, &stats.reports},
    };
    for (const auto& step : steps) {
      LL_ASSIGN(Rows r, c.Exec(step.sql, Params().Time(now - step.keep), "pruning old data"));
      *step.count += r.affected();
    }
    return stats;
  });
}

// ---- Platform state ----

Status PgStore::PutPlatformState(const PlatformState& st) {
  LL_TRY(internal::ValidatePlatformState(st));
  return pool_.Write(Sync::kNormal, "storing platform state", [&](Conn& c) -> Status {
    LL_ASSIGN(Rows r,
              c.Exec("INSERT INTO platform_states (platform, verdict, layer, detail, confidence, "
                     "reason, evidence, updated_at) VALUES ($1::text, $2::text, $3::text, "
                     "$4::text, $5::double precision, $6::text, $7::text, $8::bigint) "
                     "ON CONFLICT (platform) DO UPDATE SET verdict = excluded.verdict, "
                     "layer = excluded.layer, detail = excluded.detail, "
                     "confidence = excluded.confidence, reason = excluded.reason, "
                     "evidence = excluded.evidence, updated_at = excluded.updated_at",
                     Params()
                         .Text(st.platform)
                         .Text(core::VerdictName(st.verdict))
                         .Text(core::LayerName(st.layer))
                         .Text(st.detail)
                         .Real(st.confidence)
                         .Text(st.reason)
                         .Text(st.evidence_json)
                         .Time(st.updated_at),
                     "storing platform state"));
    (void)r;
    return core::Ok();
  });
}

Result<PlatformState> PgStore::GetPlatformState(std::string_view platform) {
  return pool_.Read("reading platform state", [&](Conn& c) -> Result<PlatformState> {
    LL_ASSIGN(Rows r, c.Exec(Cat(kPlatformStateSelect, "WHERE platform = $1::text"),
                             Params().Text(platform), "reading platform state"));
    if (r.empty()) {
      return MakeError(ErrorCode::kNotFound, "no state stored for platform {}", platform);
    }
    return PlatformStateFromRow(r[0]);
  });
}

Result<std::vector<PlatformState>> PgStore::ListPlatformStates(std::optional<Time> since) {
  return pool_.Read("reading platform states", [&](Conn& c) -> Result<std::vector<PlatformState>> {
    LL_ASSIGN(Rows r, since ? c.Exec(Cat(kPlatformStateSelect,
                                         "WHERE updated_at >= $1::bigint ORDER BY platform COLLATE "
                                         "\"C\""),
                                     Params().Time(*since), "reading platform states")
                            : c.Exec(Cat(kPlatformStateSelect, "ORDER BY platform COLLATE \"C\""),
                                     "reading platform states"));
    std::vector<PlatformState> out;
    for (int i = 0; i < r.size(); ++i) out.push_back(PlatformStateFromRow(r[i]));
    return out;
  });
}

// ---- Incidents ----

Result<Incident> PgStore::LoadIncident(Conn& c, std::string_view id, bool for_update) {
  LL_ASSIGN(Rows r, c.Exec(Cat("SELECT ", kIncidentColumns,
                               for_update ? " FROM incidents WHERE id = $1::text FOR UPDATE"
                                          : " FROM incidents WHERE id = $1::text"),
                           Params().Text(id), "reading an incident"));
  if (r.empty()) return MakeError(ErrorCode::kNotFound, "no incident {}", id);
  Incident inc = IncidentFromRow(r[0]);
  LL_ASSIGN(Rows plats, c.Exec("SELECT platform FROM incident_platforms "
                               "WHERE incident_id = $1::text ORDER BY position",
                               Params().Text(id), "reading an incident's platforms"));
  for (int i = 0; i < plats.size(); ++i) inc.platforms.push_back(plats[i].ColText(0));
  return inc;
}

Status PgStore::InsertPlatforms(Conn& c, std::string_view id,
                                const std::vector<std::string>& platforms) {
  for (std::size_t i = 0; i < platforms.size(); ++i) {
    LL_ASSIGN(Rows r, c.Exec("INSERT INTO incident_platforms (incident_id, position, platform) "
                             "VALUES ($1::text, $2::integer, $3::text)",
                             Params().Text(id).Int(static_cast<std::int64_t>(i)).Text(platforms[i]),
                             "storing an incident's platforms"));
    (void)r;
  }
  return core::Ok();
}

Result<IncidentEvent> PgStore::AppendLocked(Conn& c, std::string_view id, const NewEvent& event) {
  IncidentEvent ev;
  // Taking the next seq by updating the incident row keeps seq gap-free and unique: the row lock
  // the UPDATE takes serialises appenders of one incident, across instances too, until commit.
  LL_ASSIGN(Rows bump, c.Exec("UPDATE incidents SET last_seq = last_seq + 1, "
                              "updated_at = greatest(updated_at, $2::bigint) WHERE id = $1::text "
                              "RETURNING last_seq",
                              Params().Text(id).Time(event.at), "numbering an incident event"));
  if (bump.empty()) return MakeError(ErrorCode::kNotFound, "no incident {}", id);
  ev.seq = bump[0].ColInt(0);
  ev.incident_id = std::string(id);
  ev.at = event.at;
  ev.type = event.type;
  ev.message = event.message;
  ev.data_json = event.data_json;
  LL_ASSIGN(Rows ins, c.Exec("INSERT INTO incident_events (incident_id, seq, at, type, message, "
                             "data) VALUES ($1::text, $2::bigint, $3::bigint, $4::text, $5::text, "
                             "$6::text)",
                             Params()
                                 .Text(id)
                                 .Int(ev.seq)
                                 .Time(ev.at)
                                 .Text(ev.type)
                                 .Text(ev.message)
                                 .Text(ev.data_json),
                             "storing an incident event"));
  (void)ins;
  return ev;
}

Result<Incident> PgStore::OpenIncident(const NewIncident& ni) {
  LL_TRY(internal::ValidateNewIncident(ni));
  LL_ASSIGN(std::string id, internal::NewId("inc_", ni.opened_at));
  return pool_.Write(Sync::kFull, "opening an incident", [&](Conn& c) -> Result<Incident> {
    LL_ASSIGN(Rows ins,
              c.Exec("INSERT INTO incidents (id, kind, domain, verdict, state, title, opened_at, "
                     "updated_at, closed_at, last_seq, drill) VALUES ($1::text, $2::text, "
                     "$3::text, $4::text, 'open', $5::text, $6::bigint, $6::bigint, NULL, 0, "
                     "$7::boolean)",
                     Params()
                         .Text(id)
                         .Text(IncidentKindName(ni.kind))
                         .Text(ni.domain)
                         .Text(core::VerdictName(ni.verdict))
                         .Text(ni.title)
                         .Time(ni.opened_at)
                         .Bool(ni.drill),
                     "opening an incident"));
    (void)ins;
    LL_TRY(InsertPlatforms(c, id, ni.platforms));
    NewEvent opened{ni.opened_at, std::string(event_type::kOpened), ni.message, ni.data_json};
    LL_TRY(AppendLocked(c, id, opened));
    return LoadIncident(c, id, false);
  });
}

Result<Incident> PgStore::GetIncident(std::string_view id) {
  return pool_.Read("reading an incident", [&](Conn& c) { return LoadIncident(c, id, false); });
}

Result<IncidentPage> PgStore::ListIncidents(const IncidentQuery& q) {
  if (q.limit < 1 || q.limit > 1000) {
    return MakeError(ErrorCode::kInvalidArgument, "limit must be 1..1000 (got {})", q.limit);
  }
  internal::IncidentCursor cursor;
  if (!q.cursor.empty()) {
    LL_ASSIGN(cursor, internal::DecodeCursor(q.cursor));
  }
  return pool_.Read("listing incidents", [&](Conn& c) -> Result<IncidentPage> {
    IncidentPage page;
    // Ids compare byte-wise ("C"), as SQLite compares them, whatever the database's collation.
    LL_ASSIGN(
        Rows r,
        c.Exec(Cat("SELECT ", kIncidentColumns,
                   " FROM incidents WHERE ($1::text = '' OR state = $1::text) "
                   "AND ($2::text = '' OR EXISTS (SELECT 1 FROM incident_platforms p "
                   "WHERE p.incident_id = incidents.id AND p.platform = $2::text)) "
                   "AND ($3::integer = 0 OR (CASE state WHEN 'open' THEN 0 ELSE 1 END) > "
                   "$4::integer OR ((CASE state WHEN 'open' THEN 0 ELSE 1 END) = $4::integer "
                   "AND (opened_at < $5::bigint OR (opened_at = $5::bigint "
                   "AND id COLLATE \"C\" < $6::text COLLATE \"C\")))) "
                   "AND ($8::integer = 2 OR drill = ($8::integer = 1)) "
                   "ORDER BY (CASE state WHEN 'open' THEN 0 ELSE 1 END), opened_at DESC, "
                   "id COLLATE \"C\" DESC LIMIT $7::bigint"),
               Params()
                   .Text(q.state ? IncidentStateName(*q.state) : "")
                   .Text(q.platform)
                   .Int(q.cursor.empty() ? 0 : 1)
                   .Int(cursor.closed)
                   .Int(cursor.opened_at)
                   .Text(cursor.id)
                   .Int(static_cast<std::int64_t>(q.limit) + 1)  // one more: is there a next page?
                   .Int(q.drills == DrillFilter::kExclude ? 0
                        : q.drills == DrillFilter::kOnly  ? 1
                                                          : 2),
               "listing incidents"));
    for (int i = 0; i < r.size(); ++i) page.incidents.push_back(IncidentFromRow(r[i]));
    if (page.incidents.size() > q.limit) {
      page.incidents.pop_back();
      const auto& last = page.incidents.back();
      page.next_cursor = internal::EncodeCursor(
          {last.state == IncidentState::kClosed ? 1 : 0, ToMillis(last.opened_at), last.id});
    }
    for (auto& inc : page.incidents) {
      LL_ASSIGN(Rows plats, c.Exec("SELECT platform FROM incident_platforms "
                                   "WHERE incident_id = $1::text ORDER BY position",
                                   Params().Text(inc.id), "reading an incident's platforms"));
      for (int i = 0; i < plats.size(); ++i) inc.platforms.push_back(plats[i].ColText(0));
    }
    return page;
  });
}

Result<IncidentEvent> PgStore::AppendEvent(std::string_view incident_id, const NewEvent& event) {
  LL_TRY(internal::ValidateEvent(event));
  return pool_.Write(Sync::kFull, "appending an incident event",
                     [&](Conn& c) { return AppendLocked(c, incident_id, event); });
}

Result<Incident> PgStore::UpdateIncident(std::string_view id, const IncidentPatch& patch,
                                         const NewEvent& event) {
  LL_TRY(internal::ValidatePatch(patch));
  LL_TRY(internal::ValidateEvent(event));
  return pool_.Write(Sync::kFull, "updating an incident", [&](Conn& c) -> Result<Incident> {
    LL_ASSIGN(Incident current, LoadIncident(c, id, /*for_update=*/true));
    if (current.state == IncidentState::kClosed) {
      return MakeError(ErrorCode::kFailedPrecondition, "incident {} is closed", id);
    }
    Params p;
    p.Text(id);
    if (patch.verdict) {
      p.Text(core::VerdictName(*patch.verdict));
    } else {
      p.Null();
    }
    if (patch.title) {
      p.Text(*patch.title);
    } else {
      p.Null();
    }
    if (patch.kind) {
      p.Text(IncidentKindName(*patch.kind));
    } else {
      p.Null();
    }
    if (patch.domain) {
      p.Text(*patch.domain);
    } else {
      p.Null();
    }
    LL_ASSIGN(Rows up, c.Exec("UPDATE incidents SET verdict = coalesce($2::text, verdict), "
                              "title = coalesce($3::text, title), kind = coalesce($4::text, kind), "
                              "domain = coalesce($5::text, domain) WHERE id = $1::text",
                              p, "updating an incident"));
    (void)up;
    if (patch.platforms) {
      LL_ASSIGN(Rows del, c.Exec("DELETE FROM incident_platforms WHERE incident_id = $1::text",
                                 Params().Text(id), "replacing an incident's platforms"));
      (void)del;
      LL_TRY(InsertPlatforms(c, id, *patch.platforms));
    }
    LL_TRY(AppendLocked(c, id, event));
    return LoadIncident(c, id, false);
  });
}

Result<Incident> PgStore::CloseIncident(std::string_view id, const NewEvent& event) {
  NewEvent closing = event;
  if (closing.type.empty()) closing.type = std::string(event_type::kClosed);
  if (closing.type != event_type::kClosed) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "the event closing an incident has type \"closed\" (got \"{}\")", event.type);
  }
  LL_TRY(internal::ValidateEvent(closing));
  return pool_.Write(Sync::kFull, "closing an incident", [&](Conn& c) -> Result<Incident> {
    LL_ASSIGN(Incident current, LoadIncident(c, id, /*for_update=*/true));
    if (current.state == IncidentState::kClosed) {
      return MakeError(ErrorCode::kFailedPrecondition, "incident {} is already closed", id);
    }
    LL_ASSIGN(Rows up, c.Exec("UPDATE incidents SET state = 'closed', closed_at = $2::bigint "
                              "WHERE id = $1::text",
                              Params().Text(id).Time(closing.at), "closing an incident"));
    (void)up;
    LL_TRY(AppendLocked(c, id, closing));
    return LoadIncident(c, id, false);
  });
}

Result<std::vector<IncidentEvent>> PgStore::ListEvents(std::string_view incident_id,
                                                       std::int64_t after_seq, std::size_t limit) {
  if (limit < 1 || limit > 10000) {
    return MakeError(ErrorCode::kInvalidArgument, "limit must be 1..10000 (got {})", limit);
  }
  return pool_.Read("reading incident events", [&](Conn& c) -> Result<std::vector<IncidentEvent>> {
    LL_ASSIGN(Rows exists, c.Exec("SELECT 1 FROM incidents WHERE id = $1::text",
                                  Params().Text(incident_id), "reading incident events"));
    if (exists.empty()) return MakeError(ErrorCode::kNotFound, "no incident {}", incident_id);
    LL_ASSIGN(
        Rows r,
        c.Exec("SELECT seq, at, type, message, data FROM incident_events "
               "WHERE incident_id = $1::text AND seq > $2::bigint ORDER BY seq "
               "LIMIT $3::bigint",
               Params().Text(incident_id).Int(after_seq).Int(static_cast<std::int64_t>(limit)),
               "reading incident events"));
    std::vector<IncidentEvent> out;
    for (int i = 0; i < r.size(); ++i) {
      IncidentEvent ev;
      ev.incident_id = std::string(incident_id);
      ev.seq = r[i].ColInt(0);
      ev.at = r[i].ColTime(1);
      ev.type = r[i].ColText(2);
      ev.message = r[i].ColText(3);
      ev.data_json = r[i].ColText(4);
      out.push_back(std::move(ev));
    }
    return out;
  });
}

Status PgStore::DeleteIncident(std::string_view id) {
  return pool_.Write(Sync::kFull, "deleting an incident", [&](Conn& c) -> Status {
    // Platforms and events go with it (ON DELETE CASCADE).
    LL_ASSIGN(Rows del, c.Exec("DELETE FROM incidents WHERE id = $1::text", Params().Text(id),
                               "deleting an incident"));
    if (del.affected() == 0) return MakeError(ErrorCode::kNotFound, "no incident {}", id);
    return core::Ok();
  });
}

// ---- Crowd reports ----

Result<std::string> PgStore::ClientKey(std::string_view address, Time at) {
  auto day = std::chrono::floor<std::chrono::days>(at).time_since_epoch().count();
  return internal::HmacSha256Hex(client_secret_, fmt::format("{}|{}", day, address));
}

Status PgStore::AddReport(const CrowdReport& r) {
  LL_TRY(internal::ValidateReport(r));
  return pool_.Write(Sync::kNormal, "storing a crowd report", [&](Conn& c) -> Status {
    LL_ASSIGN(
        Rows ins,
        c.Exec(
            "INSERT INTO crowd_reports (platform, kind, client_key, at, hour) "
            "VALUES ($1::text, $2::text, $3::text, $4::bigint, $5::bigint) "
            "ON CONFLICT (platform, client_key, hour) DO NOTHING",
            Params().Text(r.platform).Text(r.kind).Text(r.client_key).Time(r.at).Time(HourOf(r.at)),
            "storing a crowd report"));
    if (ins.affected() == 0) {
      return MakeError(ErrorCode::kAlreadyExists,
                       "this client already reported {} in this hour; one report per client per "
                       "platform per hour counts",
                       r.platform);
    }
    return core::Ok();
  });
}

Result<std::int64_t> PgStore::CountReports(std::string_view platform, TimeRange range) {
  LL_TRY(internal::ValidateRange(range));
  return pool_.Read("counting crowd reports", [&](Conn& c) -> Result<std::int64_t> {
    // Measured reports count when the device could not reach the platform (device_reports.h).
    LL_ASSIGN(Rows r, c.Exec("SELECT (SELECT count(*) FROM crowd_reports WHERE platform = $1::text "
                             "AND at >= $2::bigint AND at < $3::bigint) + (SELECT count(*) FROM "
                             "device_reports WHERE platform = $1::text AND at >= $2::bigint "
                             "AND at < $3::bigint AND NOT reached)",
                             Params().Text(platform).Time(range.begin).Time(range.end),
                             "counting crowd reports"));
    return r[0].ColInt(0);
  });
}

Result<std::vector<HourlyCount>> PgStore::HourlyReportCounts(std::string_view platform,
                                                             TimeRange range) {
  LL_TRY(internal::ValidateRange(range));
  return pool_.Read(
      "counting crowd reports per hour", [&](Conn& c) -> Result<std::vector<HourlyCount>> {
        LL_ASSIGN(Rows r,
                  c.Exec("SELECT platform, hour, count(*) FROM ("
                         "SELECT platform, hour, at FROM crowd_reports UNION ALL "
                         "SELECT platform, hour, at FROM device_reports WHERE NOT reached) AS r "
                         "WHERE ($1::text = '' OR platform = $1::text) AND at >= $2::bigint "
                         "AND at < $3::bigint GROUP BY hour, platform "
                         "ORDER BY hour, platform COLLATE \"C\"",
                         Params()
                             .Text(platform)
                             .Int(FloorTo(ToMillis(range.begin), kHourMs))
                             .Int(CeilTo(ToMillis(range.end), kHourMs)),
                         "counting crowd reports per hour"));
        std::vector<HourlyCount> out;
        for (int i = 0; i < r.size(); ++i) {
          out.push_back({r[i].ColText(0), r[i].ColTime(1), r[i].ColInt(2)});
        }
        return out;
      });
}

// ---- API tokens ----

Result<CreatedToken> PgStore::CreateToken(const NewToken& nt) {
  LL_TRY(internal::ValidateNewToken(nt));
  LL_ASSIGN(std::string secret, internal::NewTokenSecret());
  LL_ASSIGN(std::string id, internal::NewId("tok_", nt.created_at));
  CreatedToken out;
  out.secret = std::move(secret);
  out.token.id = std::move(id);
  out.token.name = nt.name;
  out.token.role = nt.role;
  out.token.hash = HashToken(out.secret);
  out.token.created_at = nt.created_at;
  auto duplicate = [&] {
    return MakeError(ErrorCode::kAlreadyExists,
                     "an active token is already named \"{}\"; revoke it or pick another name",
                     nt.name);
  };
  auto s = pool_.Write(Sync::kFull, "creating an API token", [&](Conn& c) -> Status {
    // The unique index on active names decides between concurrent creators; ON CONFLICT turns
    // the loser's insert into "no row" instead of an error.
    LL_ASSIGN(Rows ins,
              c.Exec("INSERT INTO api_tokens (id, name, role, hash, created_at) VALUES ($1::text, "
                     "$2::text, $3::text, $4::text, $5::bigint) "
                     "ON CONFLICT (name) WHERE revoked_at IS NULL DO NOTHING",
                     Params()
                         .Text(out.token.id)
                         .Text(out.token.name)
                         .Text(RoleName(out.token.role))
                         .Text(out.token.hash)
                         .Time(out.token.created_at),
                     "creating an API token"));
    if (ins.affected() == 0) return duplicate();
    return core::Ok();
  });
  if (!s) return s.error();
  return out;
}

Result<std::vector<ApiToken>> PgStore::ListTokens() {
  return pool_.Read("listing API tokens", [&](Conn& c) -> Result<std::vector<ApiToken>> {
    LL_ASSIGN(Rows r, c.Exec(Cat("SELECT ", kTokenColumns,
                                 " FROM api_tokens ORDER BY created_at, id COLLATE \"C\""),
                             "listing API tokens"));
    std::vector<ApiToken> out;
    for (int i = 0; i < r.size(); ++i) out.push_back(TokenFromRow(r[i]));
    return out;
  });
}

Status PgStore::RevokeToken(std::string_view id_or_name, Time at) {
  return pool_.Write(Sync::kFull, "revoking an API token", [&](Conn& c) -> Status {
    LL_ASSIGN(Rows by_id, c.Exec("SELECT id FROM api_tokens WHERE id = $1::text",
                                 Params().Text(id_or_name), "revoking an API token"));
    std::string id;
    if (!by_id.empty()) {
      id = by_id[0].ColText(0);
    } else {
      LL_ASSIGN(Rows by_name,
                c.Exec("SELECT id FROM api_tokens WHERE name = $1::text AND revoked_at IS NULL",
                       Params().Text(id_or_name), "revoking an API token"));
      if (by_name.empty()) {
        return MakeError(ErrorCode::kNotFound, "no API token with id or active name \"{}\"",
                         id_or_name);
      }
      id = by_name[0].ColText(0);
    }
    LL_ASSIGN(Rows up, c.Exec("UPDATE api_tokens SET revoked_at = $2::bigint WHERE id = $1::text "
                              "AND revoked_at IS NULL",
                              Params().Text(id).Time(at), "revoking an API token"));
    (void)up;
    return core::Ok();
  });
}

Result<ApiToken> PgStore::FindTokenByHash(std::string_view hash) {
  if (!internal::IsHex64(hash)) return MakeError(ErrorCode::kNotFound, "no such API token");
  return pool_.Read("looking up an API token", [&](Conn& c) -> Result<ApiToken> {
    LL_ASSIGN(Rows r, c.Exec(Cat("SELECT ", kTokenColumns,
                                 " FROM api_tokens WHERE hash = $1::text AND revoked_at IS NULL"),
                             Params().Text(hash), "looking up an API token"));
    if (r.empty()) return MakeError(ErrorCode::kNotFound, "no such API token");
    return TokenFromRow(r[0]);
  });
}

Status PgStore::MarkTokenUsed(std::string_view id, Time at) {
  {
    std::lock_guard lock(used_mu_);
    auto it = last_marked_.find(std::string(id));
    if (it != last_marked_.end() && at - it->second < std::chrono::minutes(1)) return core::Ok();
  }
  auto s = pool_.Write(Sync::kNormal, "recording API token use", [&](Conn& c) -> Status {
    LL_ASSIGN(Rows up, c.Exec("UPDATE api_tokens SET last_used_at = $2::bigint WHERE id = $1::text "
                              "AND (last_used_at IS NULL OR last_used_at < $2::bigint)",
                              Params().Text(id).Time(at), "recording API token use"));
    if (up.affected() > 0) return core::Ok();
    LL_ASSIGN(Rows exists, c.Exec("SELECT 1 FROM api_tokens WHERE id = $1::text", Params().Text(id),
                                  "recording API token use"));
    if (exists.empty()) return MakeError(ErrorCode::kNotFound, "no API token {}", id);
    return core::Ok();
  });
  if (!s) return s;
  std::lock_guard lock(used_mu_);
  last_marked_[std::string(id)] = at;
  return core::Ok();
}

// ---- Status pages ----

Status PgStore::PutStatusPage(const StatusPageState& st) {
  LL_TRY(internal::ValidateStatusPage(st));
  return pool_.Write(Sync::kNormal, "storing status-page state", [&](Conn& c) -> Status {
    LL_ASSIGN(Rows r,
              c.Exec("INSERT INTO status_pages (platform, indicator, description, fetched_at, "
                     "raw) VALUES ($1::text, $2::text, $3::text, $4::bigint, $5::text) "
                     "ON CONFLICT (platform) DO UPDATE SET indicator = excluded.indicator, "
                     "description = excluded.description, fetched_at = excluded.fetched_at, "
                     "raw = excluded.raw",
                     Params()
                         .Text(st.platform)
                         .Text(st.indicator)
                         .Text(st.description)
                         .Time(st.fetched_at)
                         .Text(st.raw_json),
                     "storing status-page state"));
    (void)r;
    return core::Ok();
  });
}

Result<StatusPageState> PgStore::GetStatusPage(std::string_view platform) {
  return pool_.Read("reading status-page state", [&](Conn& c) -> Result<StatusPageState> {
    LL_ASSIGN(Rows r, c.Exec(Cat(kStatusPageSelect, "WHERE platform = $1::text"),
                             Params().Text(platform), "reading status-page state"));
    if (r.empty()) {
      return MakeError(ErrorCode::kNotFound, "no status-page state for platform {}", platform);
    }
    return StatusPageFromRow(r[0]);
  });
}

Result<std::vector<StatusPageState>> PgStore::ListStatusPages() {
  return pool_.Read(
      "reading status-page states", [&](Conn& c) -> Result<std::vector<StatusPageState>> {
        LL_ASSIGN(Rows r, c.Exec(Cat(kStatusPageSelect, "ORDER BY platform COLLATE \"C\""),
                                 "reading status-page states"));
        std::vector<StatusPageState> out;
        for (int i = 0; i < r.size(); ++i) out.push_back(StatusPageFromRow(r[i]));
        return out;
      });
}

Result<ConnectParams> CheckedParams(const PostgresOptions& pg, const OpenOptions& options) {
  LL_TRY(CheckPostgresUrl(pg.url));
  if (pg.connections < 1 || pg.connections > 100) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "PostgreSQL store: connections must be 1..100 (got {})", pg.connections);
  }
  return ConnectParams{pg.url, pg.password, options.busy_timeout};
}

Result<std::unique_ptr<Store>> OpenChecked(const PostgresOptions& pg, const OpenOptions& options) {
  LL_ASSIGN(ConnectParams params, CheckedParams(pg, options));
  // Each open is an instance of its own: "i" + 16 random hex characters.
  LL_ASSIGN(std::string self, internal::RandomHex(8));
  auto store =
      std::make_unique<PgStore>(std::move(params), pg.connections, options, "i" + std::move(self));
  LL_TRY(store->Start());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace

core::Status CheckPostgresUrl(const std::string& url) {
  if (!url.starts_with("postgresql://") && !url.starts_with("postgres://")) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "PostgreSQL store: the url must start with postgresql:// "
                     "(e.g. postgresql://lifeline@db.example:5432/lifeline)");
  }
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(url.c_str(), &err);
  if (opts == nullptr) {
    std::string msg = err ? err : "libpq cannot parse it";
    if (err) PQfreemem(err);
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    // libpq names the offending parameter or token; a URL with a password never gets here
    // through the config (config/store_section.cc refuses it first).
    return MakeError(ErrorCode::kInvalidArgument, "PostgreSQL store: the url is not valid: {}",
                     msg);
  }
  bool has_password = false;
  for (PQconninfoOption* o = opts; o->keyword != nullptr; ++o) {
    if (std::string_view(o->keyword) == "password" && o->val != nullptr && *o->val != '\0') {
      has_password = true;
    }
  }
  PQconninfoFree(opts);
  if (has_password) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "PostgreSQL store: the url holds a password; URLs end up in logs and "
                     "process lists: give it as password: {{ env: NAME }} or {{ file: PATH }} "
                     "instead");
  }
  return core::Ok();
}

}  // namespace lifeline::store::pg

namespace lifeline::store {

core::Result<std::unique_ptr<Store>> OpenPostgres(const PostgresOptions& pg, OpenOptions options) {
  return pg::OpenChecked(pg, options);
}

}  // namespace lifeline::store
