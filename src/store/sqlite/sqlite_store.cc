// The SQLite Store: one writer and one reader connection on a WAL database, every write in an
// IMMEDIATE transaction, all SQL of this dialect in this file and the migrations.
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <mutex>
#include <type_traits>
#include <unordered_map>
#include <utility>

#include "store/common.h"
#include "store/migrations/migrations.h"
#include "store/sqlite/ads.h"
#include "store/sqlite/calendar.h"
#include "store/sqlite/conns.h"
#include "store/sqlite/db.h"
#include "store/sqlite/device_reports.h"
#include "store/sqlite/inbox.h"
#include "store/sqlite/listening.h"
#include "store/sqlite/migrate.h"
#include "store/sqlite/outbox.h"
#include "store/sqlite/playbook.h"
#include "store/sqlite/preflight.h"
#include "store/sqlite/timers.h"
#include "store/store.h"

namespace lifeline::store::sqlite {
namespace {

using core::ErrorCode;
using core::MakeError;
using core::Result;
using core::Status;

constexpr std::int64_t kMinuteMs = 60'000;
constexpr std::int64_t kHourMs = 3'600'000;
constexpr std::string_view kWatermarkKey = "rollup_done_until";
constexpr std::string_view kClientSecretKey = "client_key_secret";

std::int64_t CeilTo(std::int64_t ms, std::int64_t unit) {
  std::int64_t floor = ms / unit * unit;
  if (floor > ms) floor -= unit;  // negative times
  return floor == ms ? ms : floor + unit;
}

std::int64_t FloorTo(std::int64_t ms, std::int64_t unit) {
  std::int64_t floor = ms / unit * unit;
  return floor > ms ? floor - unit : floor;
}

constexpr const char* kIncidentColumns =
    "id, kind, domain, verdict, state, title, opened_at, updated_at, closed_at, last_seq, drill";

Incident IncidentFromRow(const Stmt& s) {
  Incident i;
  i.id = s.ColText(0);
  i.kind = ParseIncidentKind(s.ColText(1)).value_or(IncidentKind::kPlatform);
  i.domain = s.ColText(2);
  i.verdict = core::ParseVerdict(s.ColText(3)).value_or(core::Verdict::kUnknown);
  i.state = ParseIncidentState(s.ColText(4)).value_or(IncidentState::kOpen);
  i.title = s.ColText(5);
  i.opened_at = s.ColTime(6);
  i.updated_at = s.ColTime(7);
  i.closed_at = s.ColOptTime(8);
  i.last_seq = s.ColInt(9);
  i.drill = s.ColInt(10) != 0;
  return i;
}

ApiToken TokenFromRow(const Stmt& s) {
  ApiToken t;
  t.id = s.ColText(0);
  t.name = s.ColText(1);
  t.role = ParseRole(s.ColText(2)).value_or(Role::kViewer);
  t.hash = s.ColText(3);
  t.created_at = s.ColTime(4);
  t.revoked_at = s.ColOptTime(5);
  t.last_used_at = s.ColOptTime(6);
  return t;
}
constexpr const char* kTokenColumns = "id, name, role, hash, created_at, revoked_at, last_used_at";

class SqliteStore final : public Store {
 public:
  SqliteStore(std::unique_ptr<Db> writer, std::unique_ptr<Db> reader, OpenOptions options)
      : conns_(std::move(writer), std::move(reader)),
        outbox_(NewSqliteOutbox(&conns_)),
        timers_(NewSqliteTimers(&conns_)),
        playbook_(NewSqlitePlaybook(&conns_)),
        device_reports_(NewSqliteDeviceReports(&conns_)),
        ads_(NewSqliteAds(&conns_)),
        calendar_(NewSqliteCalendar(&conns_)),
        inbox_(NewSqliteInbox(&conns_)),
        listening_(NewSqliteListening(&conns_)),
        options_(options) {}

  Status Init();

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
  using Sync = Connections::Sync;

  // Connections::Write / Read (conns.h), shared with the outbox and the timers.
  template <typename F>
  auto Write(Sync sync, std::string_view doing, F&& fn) -> std::invoke_result_t<F, Db&> {
    return conns_.Write(sync, doing, std::forward<F>(fn));
  }
  template <typename F>
  auto Read(std::string_view doing, F&& fn) -> std::invoke_result_t<F, Db&> {
    return conns_.Read(doing, std::forward<F>(fn));
  }

  Result<std::optional<std::int64_t>> Watermark(Db& db);
  Status SetWatermark(Db& db, std::int64_t ms);
  // Rolls up minutes with samples in [begin, end), one transaction per minute.
  Result<RollupStats> RollupSpan(std::int64_t begin, std::int64_t end, bool advance_watermark);
  Result<Incident> LoadIncident(Db& db, std::string_view id);
  Status InsertPlatforms(Db& db, std::string_view id, const std::vector<std::string>& platforms);
  Result<IncidentEvent> AppendLocked(Db& db, std::string_view id, const NewEvent& event);

  Connections conns_;                        // the writer and the reader, each behind its own mutex
  std::unique_ptr<OutboxStore> outbox_;      // shares conns_
  std::unique_ptr<TimerStore> timers_;       // shares conns_
  std::unique_ptr<PlaybookStore> playbook_;  // shares conns_
  std::unique_ptr<DeviceReportStore> device_reports_;  // shares conns_
  std::unique_ptr<AdsStore> ads_;                      // shares conns_
  std::unique_ptr<CalendarStore> calendar_;            // shares conns_
  std::unique_ptr<InboxStore> inbox_;                  // shares conns_
  std::unique_ptr<ListeningStore> listening_;          // shares conns_

  std::mutex used_mu_;                                 // guards last_marked_
  std::unordered_map<std::string, Time> last_marked_;  // MarkTokenUsed throttle, per token id

  const OpenOptions options_;
  std::string client_secret_;  // set once by Init, read-only afterwards
};

Status SqliteStore::Init() {
  auto secret = internal::RandomHex(32);
  if (!secret) return secret.error();
  auto stored =
      Write(Sync::kFull, "creating the client key secret", [&](Db& db) -> Result<std::string> {
        auto ins =
            db.Prepare("INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT DO NOTHING");
        if (!ins) return ins.error();
        ins->Text(1, kClientSecretKey).Text(2, *secret);
        if (auto s = ins->Run(); !s) return s.error();
        auto get = db.Prepare("SELECT value FROM meta WHERE key = ?1");
        if (!get) return get.error();
        get->Text(1, kClientSecretKey);
        auto row = get->Step();
        if (!row) return row.error();
        if (!*row) return MakeError(ErrorCode::kInternal, "client key secret missing after insert");
        return get->ColText(0);
      });
  if (!stored) return stored.error();
  client_secret_ = std::move(*stored);
  return core::Ok();
}

// ---- Probe results ----

Result<std::optional<std::int64_t>> SqliteStore::Watermark(Db& db) {
  auto get = db.Prepare("SELECT value FROM meta WHERE key = ?1");
  if (!get) return get.error();
  get->Text(1, kWatermarkKey);
  auto row = get->Step();
  if (!row) return row.error();
  if (!*row) return std::optional<std::int64_t>();
  return std::optional<std::int64_t>(std::stoll(get->ColText(0)));
}

Status SqliteStore::SetWatermark(Db& db, std::int64_t ms) {
  auto put = db.Prepare(
      "INSERT INTO meta (key, value) VALUES (?1, ?2) "
      "ON CONFLICT (key) DO UPDATE SET value = excluded.value");
  if (!put) return put.error();
  put->Text(1, kWatermarkKey).Text(2, std::to_string(ms));
  return put->Run();
}

Status SqliteStore::AddProbeSamples(std::span<const ProbeSample> samples) {
  if (samples.empty()) return core::Ok();
  for (const auto& s : samples) {
    if (auto v = internal::ValidateSample(s); !v) return v;
  }
  return Write(Sync::kNormal, "storing probe samples", [&](Db& db) -> Status {
    auto ins = db.Prepare(
        "INSERT INTO probe_samples (platform, probe_id, vantage, at, ok, layer, detail, "
        "total_ms, http_status) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
    if (!ins) return ins.error();
    std::int64_t earliest = ToMillis(samples.front().at);
    for (const auto& s : samples) {
      earliest = std::min(earliest, ToMillis(s.at));
      ins->Text(1, s.platform)
          .Text(2, s.probe_id)
          .Text(3, s.from)
          .Time(4, s.at)
          .Int(5, s.ok ? 1 : 0)
          .Text(6, core::LayerName(s.layer))
          .Text(7, s.detail)
          .OptReal(8, s.total_ms)
          .Int(9, s.http_status);
      if (auto r = ins->Run(); !r) return r;
    }
    // A late sample reopens its minute for the next RollupPending.
    auto mark = Watermark(db);
    if (!mark) return mark.error();
    std::int64_t minute = FloorTo(earliest, kMinuteMs);
    if (*mark && minute < **mark) return SetWatermark(db, minute);
    return core::Ok();
  });
}

Result<std::vector<ProbeSample>> SqliteStore::ListProbeSamples(const SampleQuery& q) {
  if (q.platform.empty()) return MakeError(ErrorCode::kInvalidArgument, "platform is empty");
  if (auto v = internal::ValidateRange(q.range); !v) return v.error();
  if (q.limit < 1 || q.limit > 1'000'000) {
    return MakeError(ErrorCode::kInvalidArgument, "limit must be 1..1000000 (got {})", q.limit);
  }
  return Read("reading probe samples", [&](Db& db) -> Result<std::vector<ProbeSample>> {
    auto sel = db.Prepare(
        "SELECT platform, probe_id, vantage, at, ok, layer, detail, total_ms, http_status "
        "FROM probe_samples WHERE platform = ?1 AND at >= ?2 AND at < ?3 "
        "AND (?4 = '' OR probe_id = ?4) AND (?5 = '' OR vantage = ?5) "
        "ORDER BY at, id LIMIT ?6");
    if (!sel) return sel.error();
    sel->Text(1, q.platform)
        .Time(2, q.range.begin)
        .Time(3, q.range.end)
        .Text(4, q.probe_id)
        .Text(5, q.from)
        .Int(6, static_cast<std::int64_t>(q.limit));
    std::vector<ProbeSample> out;
    while (true) {
      auto row = sel->Step();
      if (!row) return row.error();
      if (!*row) break;
      ProbeSample s;
      s.platform = sel->ColText(0);
      s.probe_id = sel->ColText(1);
      s.from = sel->ColText(2);
      s.at = sel->ColTime(3);
      s.ok = sel->ColInt(4) != 0;
      s.layer = core::ParseLayer(sel->ColText(5)).value_or(core::Layer::kNone);
      s.detail = sel->ColText(6);
      s.total_ms = sel->ColOptReal(7);
      s.http_status = static_cast<int>(sel->ColInt(8));
      out.push_back(std::move(s));
    }
    return out;
  });
}

Result<RollupStats> SqliteStore::RollupSpan(std::int64_t begin, std::int64_t end,
                                            bool advance_watermark) {
  RollupStats stats;
  std::int64_t from = begin;
  while (from < end) {
    // One minute per transaction keeps the write lock short however far behind we are.
    auto next =
        Write(Sync::kNormal, "rolling up probe samples", [&](Db& db) -> Result<std::int64_t> {
          std::int64_t minute = 0;
          {
            auto first = db.Prepare("SELECT min(at) FROM probe_samples WHERE at >= ?1 AND at < ?2");
            if (!first) return first.error();
            first->Int(1, from).Int(2, end);
            if (auto r = first->Step(); !r) return r.error();
            if (first->ColNull(0)) {
              if (advance_watermark) {
                if (auto s = SetWatermark(db, end); !s) return s.error();
              }
              return end;
            }
            minute = FloorTo(first->ColInt(0), kMinuteMs);
          }
          std::vector<ProbeSample> samples;
          {
            auto sel = db.Prepare(
                "SELECT platform, probe_id, vantage, at, ok, total_ms FROM probe_samples "
                "WHERE at >= ?1 AND at < ?2");
            if (!sel) return sel.error();
            sel->Int(1, minute).Int(2, minute + kMinuteMs);
            while (true) {
              auto row = sel->Step();
              if (!row) return row.error();
              if (!*row) break;
              ProbeSample s;
              s.platform = sel->ColText(0);
              s.probe_id = sel->ColText(1);
              s.from = sel->ColText(2);
              s.at = sel->ColTime(3);
              s.ok = sel->ColInt(4) != 0;
              s.total_ms = sel->ColOptReal(5);
              samples.push_back(std::move(s));
            }
          }
          auto aggregates = internal::Aggregate(std::move(samples));
          auto up = db.Prepare(
              "INSERT INTO probe_minutes (platform, minute, probe_id, vantage, count, ok_count, "
              "latency_count, latency_min, latency_p50, latency_p95, latency_p99, latency_max) "
              "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) "
              "ON CONFLICT (platform, minute, probe_id, vantage) DO UPDATE SET "
              "count = excluded.count, ok_count = excluded.ok_count, "
              "latency_count = excluded.latency_count, latency_min = excluded.latency_min, "
              "latency_p50 = excluded.latency_p50, latency_p95 = excluded.latency_p95, "
              "latency_p99 = excluded.latency_p99, latency_max = excluded.latency_max");
          if (!up) return up.error();
          for (const auto& a : aggregates) {
            up->Text(1, a.platform)
                .Time(2, a.minute)
                .Text(3, a.probe_id)
                .Text(4, a.from)
                .Int(5, a.count)
                .Int(6, a.ok_count)
                .Int(7, a.latency_count)
                .OptReal(8, a.latency_min)
                .OptReal(9, a.latency_p50)
                .OptReal(10, a.latency_p95)
                .OptReal(11, a.latency_p99)
                .OptReal(12, a.latency_max);
            if (auto s = up->Run(); !s) return s.error();
          }
          if (advance_watermark) {
            if (auto s = SetWatermark(db, minute + kMinuteMs); !s) return s.error();
          }
          stats.minutes += 1;
          stats.aggregates += static_cast<std::int64_t>(aggregates.size());
          return minute + kMinuteMs;
        });
    if (!next) return next.error();
    from = *next;
  }
  return stats;
}

Result<RollupStats> SqliteStore::RollupMinutes(TimeRange range) {
  if (auto v = internal::ValidateRange(range); !v) return v.error();
  return RollupSpan(FloorTo(ToMillis(range.begin), kMinuteMs),
                    CeilTo(ToMillis(range.end), kMinuteMs), /*advance_watermark=*/false);
}

Result<RollupStats> SqliteStore::RollupPending(Time now) {
  auto mark = Read("reading the rollup watermark", [&](Db& db) { return Watermark(db); });
  if (!mark) return mark.error();
  std::int64_t end = FloorTo(ToMillis(now), kMinuteMs);  // minutes ending at or before now
  std::int64_t begin = mark->value_or(std::numeric_limits<std::int64_t>::min());
  if (begin >= end) return RollupStats{};
  return RollupSpan(begin, end, /*advance_watermark=*/true);
}

Result<std::vector<MinuteAggregate>> SqliteStore::ListAggregates(const AggregateQuery& q) {
  if (q.platform.empty()) return MakeError(ErrorCode::kInvalidArgument, "platform is empty");
  if (auto v = internal::ValidateRange(q.range); !v) return v.error();
  return Read("reading probe aggregates", [&](Db& db) -> Result<std::vector<MinuteAggregate>> {
    auto sel = db.Prepare(
        "SELECT platform, probe_id, vantage, minute, count, ok_count, latency_count, "
        "latency_min, latency_p50, latency_p95, latency_p99, latency_max FROM probe_minutes "
        "WHERE platform = ?1 AND minute >= ?2 AND minute < ?3 "
        "AND (?4 = '' OR probe_id = ?4) AND (?5 = '' OR vantage = ?5) "
        "ORDER BY minute, probe_id, vantage");
    if (!sel) return sel.error();
    sel->Text(1, q.platform)
        .Time(2, q.range.begin)
        .Time(3, q.range.end)
        .Text(4, q.probe_id)
        .Text(5, q.from);
    std::vector<MinuteAggregate> out;
    while (true) {
      auto row = sel->Step();
      if (!row) return row.error();
      if (!*row) break;
      MinuteAggregate a;
      a.platform = sel->ColText(0);
      a.probe_id = sel->ColText(1);
      a.from = sel->ColText(2);
      a.minute = sel->ColTime(3);
      a.count = sel->ColInt(4);
      a.ok_count = sel->ColInt(5);
      a.latency_count = sel->ColInt(6);
      a.latency_min = sel->ColOptReal(7);
      a.latency_p50 = sel->ColOptReal(8);
      a.latency_p95 = sel->ColOptReal(9);
      a.latency_p99 = sel->ColOptReal(10);
      a.latency_max = sel->ColOptReal(11);
      out.push_back(std::move(a));
    }
    return out;
  });
}

Result<PruneStats> SqliteStore::Prune(Time now) {
  if (auto r = RollupPending(now); !r) return r.error();
  const auto& keep = options_.retention;
  return Write(Sync::kNormal, "pruning old data", [&](Db& db) -> Result<PruneStats> {
    PruneStats stats;
    struct Step {
      const char* sql;
      std::chrono::milliseconds keep;
      std::int64_t* count;
    };
    const Step steps[] = {
        {"DELETE FROM probe_samples WHERE at < ?1", keep.samples, &stats.samples},
        {"DELETE FROM probe_minutes WHERE minute < ?1", keep.aggregates, &stats.aggregates},
        {"DELETE FROM crowd_reports WHERE at < ?1", keep.reports, &stats.reports},
        {"DELETE FROM device_reports WHERE at < ?1", keep.reports, &stats.reports},
    };
    for (const auto& step : steps) {
      auto del = db.Prepare(step.sql);
      if (!del) return del.error();
      del->Time(1, now - step.keep);
      if (auto s = del->Run(); !s) return s.error();
      *step.count += db.Changes();
    }
    return stats;
  });
}

// ---- Platform state ----

Status SqliteStore::PutPlatformState(const PlatformState& st) {
  if (auto v = internal::ValidatePlatformState(st); !v) return v;
  return Write(Sync::kNormal, "storing platform state", [&](Db& db) -> Status {
    auto up = db.Prepare(
        "INSERT INTO platform_states (platform, verdict, layer, detail, confidence, reason, "
        "evidence, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
        "ON CONFLICT (platform) DO UPDATE SET verdict = excluded.verdict, "
        "layer = excluded.layer, detail = excluded.detail, confidence = excluded.confidence, "
        "reason = excluded.reason, evidence = excluded.evidence, "
        "updated_at = excluded.updated_at");
    if (!up) return up.error();
    up->Text(1, st.platform)
        .Text(2, core::VerdictName(st.verdict))
        .Text(3, core::LayerName(st.layer))
        .Text(4, st.detail)
        .Real(5, st.confidence)
        .Text(6, st.reason)
        .Text(7, st.evidence_json)
        .Time(8, st.updated_at);
    return up->Run();
  });
}

constexpr const char* kPlatformStateSelect =
    "SELECT platform, verdict, layer, detail, confidence, reason, evidence, updated_at "
    "FROM platform_states ";

PlatformState PlatformStateFromRow(const Stmt& s) {
  PlatformState st;
  st.platform = s.ColText(0);
  st.verdict = core::ParseVerdict(s.ColText(1)).value_or(core::Verdict::kUnknown);
  st.layer = core::ParseLayer(s.ColText(2)).value_or(core::Layer::kNone);
  st.detail = s.ColText(3);
  st.confidence = s.ColReal(4);
  st.reason = s.ColText(5);
  st.evidence_json = s.ColText(6);
  st.updated_at = s.ColTime(7);
  return st;
}

Result<PlatformState> SqliteStore::GetPlatformState(std::string_view platform) {
  return Read("reading platform state", [&](Db& db) -> Result<PlatformState> {
    auto sel = db.Prepare(std::string(kPlatformStateSelect) + "WHERE platform = ?1");
    if (!sel) return sel.error();
    sel->Text(1, platform);
    auto row = sel->Step();
    if (!row) return row.error();
    if (!*row) return MakeError(ErrorCode::kNotFound, "no state stored for platform {}", platform);
    return PlatformStateFromRow(*sel);
  });
}

Result<std::vector<PlatformState>> SqliteStore::ListPlatformStates(std::optional<Time> since) {
  return Read("reading platform states", [&](Db& db) -> Result<std::vector<PlatformState>> {
    auto sel =
        db.Prepare(std::string(kPlatformStateSelect) +
                   (since ? "WHERE updated_at >= ?1 ORDER BY platform" : "ORDER BY platform"));
    if (!sel) return sel.error();
    if (since) sel->Time(1, *since);
    std::vector<PlatformState> out;
    while (true) {
      auto row = sel->Step();
      if (!row) return row.error();
      if (!*row) break;
      out.push_back(PlatformStateFromRow(*sel));
    }
    return out;
  });
}

// ---- Incidents ----

Result<Incident> SqliteStore::LoadIncident(Db& db, std::string_view id) {
  Incident inc;
  {
    auto sel =
        db.Prepare(std::string("SELECT ") + kIncidentColumns + " FROM incidents WHERE id = ?1");
    if (!sel) return sel.error();
    sel->Text(1, id);
    auto row = sel->Step();
    if (!row) return row.error();
    if (!*row) return MakeError(ErrorCode::kNotFound, "no incident {}", id);
    inc = IncidentFromRow(*sel);
  }
  auto plats = db.Prepare(
      "SELECT platform FROM incident_platforms WHERE incident_id = ?1 ORDER BY position");
  if (!plats) return plats.error();
  plats->Text(1, id);
  while (true) {
    auto row = plats->Step();
    if (!row) return row.error();
    if (!*row) break;
    inc.platforms.push_back(plats->ColText(0));
  }
  return inc;
}

Status SqliteStore::InsertPlatforms(Db& db, std::string_view id,
                                    const std::vector<std::string>& platforms) {
  auto ins = db.Prepare(
      "INSERT INTO incident_platforms (incident_id, position, platform) VALUES (?1, ?2, ?3)");
  if (!ins) return ins.error();
  for (std::size_t i = 0; i < platforms.size(); ++i) {
    ins->Text(1, id).Int(2, static_cast<std::int64_t>(i)).Text(3, platforms[i]);
    if (auto s = ins->Run(); !s) return s;
  }
  return core::Ok();
}

Result<IncidentEvent> SqliteStore::AppendLocked(Db& db, std::string_view id,
                                                const NewEvent& event) {
  IncidentEvent ev;
  {
    // Taking the next seq by updating the incident row keeps seq gap-free and unique under
    // concurrent writers in any SQL database (the row update serialises them).
    auto bump = db.Prepare(
        "UPDATE incidents SET last_seq = last_seq + 1, updated_at = max(updated_at, ?2) "
        "WHERE id = ?1 RETURNING last_seq");
    if (!bump) return bump.error();
    bump->Text(1, id).Time(2, event.at);
    auto row = bump->Step();
    if (!row) return row.error();
    if (!*row) return MakeError(ErrorCode::kNotFound, "no incident {}", id);
    ev.seq = bump->ColInt(0);
    if (auto s = bump->Run(); !s) return s.error();
  }
  ev.incident_id = std::string(id);
  ev.at = event.at;
  ev.type = event.type;
  ev.message = event.message;
  ev.data_json = event.data_json;
  auto ins = db.Prepare(
      "INSERT INTO incident_events (incident_id, seq, at, type, message, data) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  if (!ins) return ins.error();
  ins->Text(1, id)
      .Int(2, ev.seq)
      .Time(3, ev.at)
      .Text(4, ev.type)
      .Text(5, ev.message)
      .Text(6, ev.data_json);
  if (auto s = ins->Run(); !s) return s.error();
  return ev;
}

Result<Incident> SqliteStore::OpenIncident(const NewIncident& ni) {
  if (auto v = internal::ValidateNewIncident(ni); !v) return v.error();
  auto id = internal::NewId("inc_", ni.opened_at);
  if (!id) return id.error();
  return Write(Sync::kFull, "opening an incident", [&](Db& db) -> Result<Incident> {
    auto ins = db.Prepare(
        "INSERT INTO incidents (id, kind, domain, verdict, state, title, opened_at, updated_at, "
        "closed_at, last_seq, drill) VALUES (?1, ?2, ?3, ?4, 'open', ?5, ?6, ?6, NULL, 0, ?7)");
    if (!ins) return ins.error();
    ins->Text(1, *id)
        .Text(2, IncidentKindName(ni.kind))
        .Text(3, ni.domain)
        .Text(4, core::VerdictName(ni.verdict))
        .Text(5, ni.title)
        .Time(6, ni.opened_at)
        .Int(7, ni.drill ? 1 : 0);
    if (auto s = ins->Run(); !s) return s.error();
    if (auto s = InsertPlatforms(db, *id, ni.platforms); !s) return s.error();
    NewEvent opened{ni.opened_at, std::string(event_type::kOpened), ni.message, ni.data_json};
    if (auto ev = AppendLocked(db, *id, opened); !ev) return ev.error();
    return LoadIncident(db, *id);
  });
}

Result<Incident> SqliteStore::GetIncident(std::string_view id) {
  return Read("reading an incident", [&](Db& db) { return LoadIncident(db, id); });
}

Result<IncidentPage> SqliteStore::ListIncidents(const IncidentQuery& q) {
  if (q.limit < 1 || q.limit > 1000) {
    return MakeError(ErrorCode::kInvalidArgument, "limit must be 1..1000 (got {})", q.limit);
  }
  internal::IncidentCursor cursor;
  if (!q.cursor.empty()) {
    auto c = internal::DecodeCursor(q.cursor);
    if (!c) return c.error();
    cursor = *c;
  }
  return Read("listing incidents", [&](Db& db) -> Result<IncidentPage> {
    IncidentPage page;
    {
      auto sel =
          db.Prepare(std::string("SELECT ") + kIncidentColumns +
                     " FROM incidents WHERE (?1 = '' OR state = ?1) "
                     "AND (?2 = '' OR EXISTS (SELECT 1 FROM incident_platforms p "
                     "WHERE p.incident_id = incidents.id AND p.platform = ?2)) "
                     "AND (?3 = 0 OR (CASE state WHEN 'open' THEN 0 ELSE 1 END) > ?4 "
                     "OR ((CASE state WHEN 'open' THEN 0 ELSE 1 END) = ?4 "
                     "AND (opened_at < ?5 OR (opened_at = ?5 AND id < ?6)))) "
                     "AND (?8 = 2 OR drill = ?8) "
                     "ORDER BY (CASE state WHEN 'open' THEN 0 ELSE 1 END), opened_at DESC, id DESC "
                     "LIMIT ?7");
      if (!sel) return sel.error();
      sel->Text(1, q.state ? IncidentStateName(*q.state) : "")
          .Text(2, q.platform)
          .Int(3, q.cursor.empty() ? 0 : 1)
          .Int(4, cursor.closed)
          .Int(5, cursor.opened_at)
          .Text(6, cursor.id)
          .Int(7, static_cast<std::int64_t>(q.limit) + 1)  // one more: is there a next page?
          .Int(8, q.drills == DrillFilter::kExclude ? 0
                  : q.drills == DrillFilter::kOnly  ? 1
                                                    : 2);
      while (true) {
        auto row = sel->Step();
        if (!row) return row.error();
        if (!*row) break;
        page.incidents.push_back(IncidentFromRow(*sel));
      }
    }
    if (page.incidents.size() > q.limit) {
      page.incidents.pop_back();
      const auto& last = page.incidents.back();
      page.next_cursor = internal::EncodeCursor(
          {last.state == IncidentState::kClosed ? 1 : 0, ToMillis(last.opened_at), last.id});
    }
    auto plats = db.Prepare(
        "SELECT platform FROM incident_platforms WHERE incident_id = ?1 ORDER BY position");
    if (!plats) return plats.error();
    for (auto& inc : page.incidents) {
      plats->Text(1, inc.id);
      while (true) {
        auto row = plats->Step();
        if (!row) return row.error();
        if (!*row) break;
        inc.platforms.push_back(plats->ColText(0));
      }
    }
    return page;
  });
}

Result<IncidentEvent> SqliteStore::AppendEvent(std::string_view incident_id,
                                               const NewEvent& event) {
  if (auto v = internal::ValidateEvent(event); !v) return v.error();
  return Write(Sync::kFull, "appending an incident event",
               [&](Db& db) { return AppendLocked(db, incident_id, event); });
}

Result<Incident> SqliteStore::UpdateIncident(std::string_view id, const IncidentPatch& patch,
                                             const NewEvent& event) {
  if (auto v = internal::ValidatePatch(patch); !v) return v.error();
  if (auto v = internal::ValidateEvent(event); !v) return v.error();
  return Write(Sync::kFull, "updating an incident", [&](Db& db) -> Result<Incident> {
    auto current = LoadIncident(db, id);
    if (!current) return current.error();
    if (current->state == IncidentState::kClosed) {
      return MakeError(ErrorCode::kFailedPrecondition, "incident {} is closed", id);
    }
    {
      auto up = db.Prepare(
          "UPDATE incidents SET verdict = coalesce(?2, verdict), title = coalesce(?3, title), "
          "kind = coalesce(?4, kind), domain = coalesce(?5, domain) WHERE id = ?1");
      if (!up) return up.error();
      up->Text(1, id);
      if (patch.verdict) {
        up->Text(2, core::VerdictName(*patch.verdict));
      } else {
        up->Null(2);
      }
      if (patch.title) {
        up->Text(3, *patch.title);
      } else {
        up->Null(3);
      }
      if (patch.kind) {
        up->Text(4, IncidentKindName(*patch.kind));
      } else {
        up->Null(4);
      }
      if (patch.domain) {
        up->Text(5, *patch.domain);
      } else {
        up->Null(5);
      }
      if (auto s = up->Run(); !s) return s.error();
    }
    if (patch.platforms) {
      auto del = db.Prepare("DELETE FROM incident_platforms WHERE incident_id = ?1");
      if (!del) return del.error();
      del->Text(1, id);
      if (auto s = del->Run(); !s) return s.error();
      if (auto s = InsertPlatforms(db, id, *patch.platforms); !s) return s.error();
    }
    if (auto ev = AppendLocked(db, id, event); !ev) return ev.error();
    return LoadIncident(db, id);
  });
}

Result<Incident> SqliteStore::CloseIncident(std::string_view id, const NewEvent& event) {
  NewEvent closing = event;
  if (closing.type.empty()) closing.type = std::string(event_type::kClosed);
  if (closing.type != event_type::kClosed) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "the event closing an incident has type \"closed\" (got \"{}\")", event.type);
  }
  if (auto v = internal::ValidateEvent(closing); !v) return v.error();
  return Write(Sync::kFull, "closing an incident", [&](Db& db) -> Result<Incident> {
    auto current = LoadIncident(db, id);
    if (!current) return current.error();
    if (current->state == IncidentState::kClosed) {
      return MakeError(ErrorCode::kFailedPrecondition, "incident {} is already closed", id);
    }
    {
      auto up = db.Prepare("UPDATE incidents SET state = 'closed', closed_at = ?2 WHERE id = ?1");
      if (!up) return up.error();
      up->Text(1, id).Time(2, closing.at);
      if (auto s = up->Run(); !s) return s.error();
    }
    if (auto ev = AppendLocked(db, id, closing); !ev) return ev.error();
    return LoadIncident(db, id);
  });
}

Result<std::vector<IncidentEvent>> SqliteStore::ListEvents(std::string_view incident_id,
                                                           std::int64_t after_seq,
                                                           std::size_t limit) {
  if (limit < 1 || limit > 10000) {
    return MakeError(ErrorCode::kInvalidArgument, "limit must be 1..10000 (got {})", limit);
  }
  return Read("reading incident events", [&](Db& db) -> Result<std::vector<IncidentEvent>> {
    {
      auto exists = db.Prepare("SELECT 1 FROM incidents WHERE id = ?1");
      if (!exists) return exists.error();
      exists->Text(1, incident_id);
      auto row = exists->Step();
      if (!row) return row.error();
      if (!*row) return MakeError(ErrorCode::kNotFound, "no incident {}", incident_id);
    }
    auto sel = db.Prepare(
        "SELECT seq, at, type, message, data FROM incident_events "
        "WHERE incident_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3");
    if (!sel) return sel.error();
    sel->Text(1, incident_id).Int(2, after_seq).Int(3, static_cast<std::int64_t>(limit));
    std::vector<IncidentEvent> out;
    while (true) {
      auto row = sel->Step();
      if (!row) return row.error();
      if (!*row) break;
      IncidentEvent ev;
      ev.incident_id = std::string(incident_id);
      ev.seq = sel->ColInt(0);
      ev.at = sel->ColTime(1);
      ev.type = sel->ColText(2);
      ev.message = sel->ColText(3);
      ev.data_json = sel->ColText(4);
      out.push_back(std::move(ev));
    }
    return out;
  });
}

Status SqliteStore::DeleteIncident(std::string_view id) {
  return Write(Sync::kFull, "deleting an incident", [&](Db& db) -> Status {
    auto del = db.Prepare("DELETE FROM incidents WHERE id = ?1");  // events: ON DELETE CASCADE
    if (!del) return del.error();
    del->Text(1, id);
    if (auto s = del->Run(); !s) return s;
    if (db.Changes() == 0) return MakeError(ErrorCode::kNotFound, "no incident {}", id);
    return core::Ok();
  });
}

// ---- Crowd reports ----

Result<std::string> SqliteStore::ClientKey(std::string_view address, Time at) {
  auto day = std::chrono::floor<std::chrono::days>(at).time_since_epoch().count();
  return internal::HmacSha256Hex(client_secret_, fmt::format("{}|{}", day, address));
}

Status SqliteStore::AddReport(const CrowdReport& r) {
  if (auto v = internal::ValidateReport(r); !v) return v;
  return Write(Sync::kNormal, "storing a crowd report", [&](Db& db) -> Status {
    auto ins = db.Prepare(
        "INSERT INTO crowd_reports (platform, kind, client_key, at, hour) "
        "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (platform, client_key, hour) DO NOTHING");
    if (!ins) return ins.error();
    ins->Text(1, r.platform)
        .Text(2, r.kind)
        .Text(3, r.client_key)
        .Time(4, r.at)
        .Time(5, HourOf(r.at));
    if (auto s = ins->Run(); !s) return s;
    if (db.Changes() == 0) {
      return MakeError(ErrorCode::kAlreadyExists,
                       "this client already reported {} in this hour; one report per client per "
                       "platform per hour counts",
                       r.platform);
    }
    return core::Ok();
  });
}

Result<std::int64_t> SqliteStore::CountReports(std::string_view platform, TimeRange range) {
  if (auto v = internal::ValidateRange(range); !v) return v.error();
  return Read("counting crowd reports", [&](Db& db) -> Result<std::int64_t> {
    // Measured reports count when the device could not reach the platform (device_reports.h).
    auto sel = db.Prepare(
        "SELECT (SELECT count(*) FROM crowd_reports WHERE platform = ?1 AND at >= ?2 AND at < ?3) "
        "+ (SELECT count(*) FROM device_reports WHERE platform = ?1 AND at >= ?2 AND at < ?3 "
        "AND reached = 0)");
    if (!sel) return sel.error();
    sel->Text(1, platform).Time(2, range.begin).Time(3, range.end);
    if (auto r = sel->Step(); !r) return r.error();
    return sel->ColInt(0);
  });
}

Result<std::vector<HourlyCount>> SqliteStore::HourlyReportCounts(std::string_view platform,
                                                                 TimeRange range) {
  if (auto v = internal::ValidateRange(range); !v) return v.error();
  return Read("counting crowd reports per hour", [&](Db& db) -> Result<std::vector<HourlyCount>> {
    auto sel = db.Prepare(
        "SELECT platform, hour, count(*) FROM ("
        "SELECT platform, hour, at FROM crowd_reports UNION ALL "
        "SELECT platform, hour, at FROM device_reports WHERE reached = 0) "
        "WHERE (?1 = '' OR platform = ?1) AND at >= ?2 AND at < ?3 "
        "GROUP BY hour, platform ORDER BY hour, platform");
    if (!sel) return sel.error();
    sel->Text(1, platform)
        .Int(2, FloorTo(ToMillis(range.begin), kHourMs))
        .Int(3, CeilTo(ToMillis(range.end), kHourMs));
    std::vector<HourlyCount> out;
    while (true) {
      auto row = sel->Step();
      if (!row) return row.error();
      if (!*row) break;
      out.push_back({sel->ColText(0), sel->ColTime(1), sel->ColInt(2)});
    }
    return out;
  });
}

// ---- API tokens ----

Result<CreatedToken> SqliteStore::CreateToken(const NewToken& nt) {
  if (auto v = internal::ValidateNewToken(nt); !v) return v.error();
  auto secret = internal::NewTokenSecret();
  if (!secret) return secret.error();
  auto id = internal::NewId("tok_", nt.created_at);
  if (!id) return id.error();
  CreatedToken out;
  out.secret = std::move(*secret);
  out.token.id = std::move(*id);
  out.token.name = nt.name;
  out.token.role = nt.role;
  out.token.hash = HashToken(out.secret);
  out.token.created_at = nt.created_at;
  auto s = Write(Sync::kFull, "creating an API token", [&](Db& db) -> Status {
    {
      auto dup = db.Prepare("SELECT 1 FROM api_tokens WHERE name = ?1 AND revoked_at IS NULL");
      if (!dup) return dup.error();
      dup->Text(1, nt.name);
      auto row = dup->Step();
      if (!row) return row.error();
      if (*row) {
        return MakeError(ErrorCode::kAlreadyExists,
                         "an active token is already named \"{}\"; revoke it or pick another name",
                         nt.name);
      }
    }
    auto ins = db.Prepare(
        "INSERT INTO api_tokens (id, name, role, hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5)");
    if (!ins) return ins.error();
    ins->Text(1, out.token.id)
        .Text(2, out.token.name)
        .Text(3, RoleName(out.token.role))
        .Text(4, out.token.hash)
        .Time(5, out.token.created_at);
    return ins->Run();
  });
  if (!s) return s.error();
  return out;
}

Result<std::vector<ApiToken>> SqliteStore::ListTokens() {
  return Read("listing API tokens", [&](Db& db) -> Result<std::vector<ApiToken>> {
    auto sel = db.Prepare(std::string("SELECT ") + kTokenColumns +
                          " FROM api_tokens ORDER BY created_at, id");
    if (!sel) return sel.error();
    std::vector<ApiToken> out;
    while (true) {
      auto row = sel->Step();
      if (!row) return row.error();
      if (!*row) break;
      out.push_back(TokenFromRow(*sel));
    }
    return out;
  });
}

Status SqliteStore::RevokeToken(std::string_view id_or_name, Time at) {
  return Write(Sync::kFull, "revoking an API token", [&](Db& db) -> Status {
    std::string id;
    {
      auto by_id = db.Prepare("SELECT id FROM api_tokens WHERE id = ?1");
      if (!by_id) return by_id.error();
      by_id->Text(1, id_or_name);
      auto row = by_id->Step();
      if (!row) return row.error();
      if (*row) id = by_id->ColText(0);
    }
    if (id.empty()) {
      auto by_name = db.Prepare("SELECT id FROM api_tokens WHERE name = ?1 AND revoked_at IS NULL");
      if (!by_name) return by_name.error();
      by_name->Text(1, id_or_name);
      auto row = by_name->Step();
      if (!row) return row.error();
      if (!*row) {
        return MakeError(ErrorCode::kNotFound, "no API token with id or active name \"{}\"",
                         id_or_name);
      }
      id = by_name->ColText(0);
    }
    auto up =
        db.Prepare("UPDATE api_tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL");
    if (!up) return up.error();
    up->Text(1, id).Time(2, at);
    return up->Run();
  });
}

Result<ApiToken> SqliteStore::FindTokenByHash(std::string_view hash) {
  if (!internal::IsHex64(hash)) return MakeError(ErrorCode::kNotFound, "no such API token");
  return Read("looking up an API token", [&](Db& db) -> Result<ApiToken> {
    auto sel = db.Prepare(std::string("SELECT ") + kTokenColumns +
                          " FROM api_tokens WHERE hash = ?1 AND revoked_at IS NULL");
    if (!sel) return sel.error();
    sel->Text(1, hash);
    auto row = sel->Step();
    if (!row) return row.error();
    if (!*row) return MakeError(ErrorCode::kNotFound, "no such API token");
    return TokenFromRow(*sel);
  });
}

Status SqliteStore::MarkTokenUsed(std::string_view id, Time at) {
  {
    std::lock_guard lock(used_mu_);
    auto it = last_marked_.find(std::string(id));
    if (it != last_marked_.end() && at - it->second < std::chrono::minutes(1)) return core::Ok();
  }
  auto s = Write(Sync::kNormal, "recording API token use", [&](Db& db) -> Status {
    auto up = db.Prepare(
        "UPDATE api_tokens SET last_used_at = ?2 WHERE id = ?1 "
        "AND (last_used_at IS NULL OR last_used_at < ?2)");
    if (!up) return up.error();
    up->Text(1, id).Time(2, at);
    if (auto r = up->Run(); !r) return r;
    if (db.Changes() > 0) return core::Ok();
    auto exists = db.Prepare("SELECT 1 FROM api_tokens WHERE id = ?1");
    if (!exists) return exists.error();
    exists->Text(1, id);
    auto row = exists->Step();
    if (!row) return row.error();
    if (!*row) return MakeError(ErrorCode::kNotFound, "no API token {}", id);
    return core::Ok();
  });
  if (!s) return s;
  std::lock_guard lock(used_mu_);
  last_marked_[std::string(id)] = at;
  return core::Ok();
}

// ---- Status pages ----

Status SqliteStore::PutStatusPage(const StatusPageState& st) {
  if (auto v = internal::ValidateStatusPage(st); !v) return v;
  return Write(Sync::kNormal, "storing status-page state", [&](Db& db) -> Status {
    auto up = db.Prepare(
        "INSERT INTO status_pages (platform, indicator, description, fetched_at, raw) "
        "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (platform) DO UPDATE SET "
        "indicator = excluded.indicator, description = excluded.description, "
        "fetched_at = excluded.fetched_at, raw = excluded.raw");
    if (!up) return up.error();
    up->Text(1, st.platform)
        .Text(2, st.indicator)
        .Text(3, st.description)
        .Time(4, st.fetched_at)
        .Text(5, st.raw_json);
    return up->Run();
  });
}

constexpr const char* kStatusPageSelect =
    "SELECT platform, indicator, description, fetched_at, raw FROM status_pages ";

StatusPageState StatusPageFromRow(const Stmt& s) {
  return {s.ColText(0), s.ColText(1), s.ColText(2), s.ColTime(3), s.ColText(4)};
}

Result<StatusPageState> SqliteStore::GetStatusPage(std::string_view platform) {
  return Read("reading status-page state", [&](Db& db) -> Result<StatusPageState> {
    auto sel = db.Prepare(std::string(kStatusPageSelect) + "WHERE platform = ?1");
    if (!sel) return sel.error();
    sel->Text(1, platform);
    auto row = sel->Step();
    if (!row) return row.error();
    if (!*row) {
      return MakeError(ErrorCode::kNotFound, "no status-page state for platform {}", platform);
    }
    return StatusPageFromRow(*sel);
  });
}

Result<std::vector<StatusPageState>> SqliteStore::ListStatusPages() {
  return Read("reading status-page states", [&](Db& db) -> Result<std::vector<StatusPageState>> {
    auto sel = db.Prepare(std::string(kStatusPageSelect) + "ORDER BY platform");
    if (!sel) return sel.error();
    std::vector<StatusPageState> out;
    while (true) {
      auto row = sel->Step();
      if (!row) return row.error();
      if (!*row) break;
      out.push_back(StatusPageFromRow(*sel));
    }
    return out;
  });
}

}  // namespace
}  // namespace lifeline::store::sqlite

namespace lifeline::store {

core::Result<std::unique_ptr<Store>> OpenSqlite(const std::string& path, OpenOptions options) {
  using sqlite::Db;
  if (auto s = sqlite::Preflight(path); !s) return s.error();
  constexpr int kFlags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  auto writer = Db::Open(path, kFlags | SQLITE_OPEN_CREATE, options.busy_timeout);
  if (!writer) return writer.error();
  Db& w = **writer;
  if (sqlite3_db_readonly(w.raw(), "main") == 1) {
    return core::MakeError(core::ErrorCode::kPermissionDenied,
                           "{}: SQLite opened the database read-only; make the file and its "
                           "directory writable by the user running lifeline",
                           path);
  }
  if (options.quick_check) {
    // Reads only: a corrupt file is reported before anything is written to it.
    auto check = w.QueryText("PRAGMA quick_check", "checking the database (quick_check)");
    if (!check) return check.error();
    if (*check != "ok") {
      return core::MakeError(core::ErrorCode::kDataLoss,
                             "{}: the database is corrupt (quick_check: {}); move it aside and "
                             "restore a backup, or start with a new file",
                             path, *check);
    }
  }
  if (auto s = sqlite::CheckIsOurs(w); !s) return s.error();
  auto mode = w.QueryText("PRAGMA journal_mode = WAL", "switching to WAL mode");
  if (!mode) return mode.error();
  if (*mode != "wal") {
    return core::MakeError(core::ErrorCode::kUnavailable,
                           "{}: cannot use WAL mode (journal_mode stays \"{}\"); put the database "
                           "on a local filesystem",
                           path, *mode);
  }
  // temp_store = MEMORY: the statement journals of savepoints (each grouped write has one, and
  // every page it touches is copied there) stay in memory instead of a temporary file.
  if (auto s = w.Exec("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; "
                      "PRAGMA temp_store = MEMORY",
                      "configuring the connection");
      !s) {
    return s.error();
  }
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  if (auto s = sqlite::Migrate(w, migrations::kSqliteMigrations, now); !s) return s.error();

  auto reader = Db::Open(path, kFlags, options.busy_timeout);
  if (!reader) return reader.error();
  if (auto s = (*reader)->Exec("PRAGMA foreign_keys = ON; PRAGMA query_only = ON",
                               "configuring the read connection");
      !s) {
    return s.error();
  }
  auto store =
      std::make_unique<sqlite::SqliteStore>(std::move(*writer), std::move(*reader), options);
  if (auto s = store->Init(); !s) return s.error();
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace lifeline::store
