// The store: everything `lifeline serve` keeps across restarts, behind one interface so SQLite (the
// embedded default) and a later PostgreSQL implementation pass the same conformance tests.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "store/ads.h"
#include "store/calendar.h"
#include "store/cluster.h"
#include "store/device_reports.h"
#include "store/inbox.h"
#include "store/listening.h"
#include "store/outbox.h"
#include "store/playbook.h"
#include "store/records.h"
#include "store/timers.h"

namespace lifeline::store {

// How long data is kept; Prune() enforces it. Incidents, their events, tokens, platform and
// status-page state are kept until deleted.
struct Retention {
  std::chrono::milliseconds samples = std::chrono::hours(48);
  std::chrono::milliseconds aggregates = std::chrono::hours(24 * 90);
  // Crowd reports feed a baseline per hour of the week, so keep several weeks of them.
  std::chrono::milliseconds reports = std::chrono::hours(24 * 90);
};

struct OpenOptions {
  // How long a write waits for another process's transaction before giving up with kUnavailable.
  std::chrono::milliseconds busy_timeout{5000};
  Retention retention;
  // PRAGMA quick_check at open: catches a corrupt file before it is used (O(database size)).
  bool quick_check = true;
};

// Contract shared by every implementation:
//
// Thread-safety: every method may be called from any thread at once; the implementation
// serialises what needs it. Writes are atomic: a write either happens entirely or not at all,
// and once it returns OK it survives the process being killed (kill -9). Incident, event and
// token writes also survive power loss (the storage is synced before they return).
//
// What is an error: only the store failing (locked, read-only, corrupt, full, unreachable) or a
// caller's bad input (kInvalidArgument: empty ids, JSON fields that do not parse, confidence
// outside [0,1]). Asking for something absent is kNotFound for single-item lookups and an empty
// list for queries. A failing store never answers with empty or partial data that would look like
// "no probe succeeded": it returns an Error, and callers must show "storage unavailable".
//
// Ordering: samples and aggregates come oldest first; events by seq; platform and status-page
// states by platform id; tokens by created_at then id; incidents as IncidentPage says.
//
// Times are whatever the caller passes (the store never reads a clock, except to stamp
// schema_version rows), so tests use explicit timestamps.
class Store {
 public:
  virtual ~Store() = default;

  // ---- Probe results ----

  // Stores a batch in one transaction. A sample older than the last rollup marks its minute for
  // recomputation by the next RollupPending (late vantage-point results are not lost).
  [[nodiscard]] virtual core::Status AddProbeSamples(std::span<const ProbeSample> samples) = 0;
  [[nodiscard]] virtual core::Result<std::vector<ProbeSample>> ListProbeSamples(
      const SampleQuery& query) = 0;
  // Recomputes the aggregates of every minute in `range` (rounded out to whole minutes) that has
  // raw samples, replacing what was there: idempotent. Minutes without samples are left as they
  // are, so re-running over pruned raw data keeps the aggregates.
  [[nodiscard]] virtual core::Result<RollupStats> RollupMinutes(TimeRange range) = 0;
  // Rolls up every finished minute (ending at or before `now`) not rolled up yet, and remembers
  // how far it got. Call it every minute or so; calling it twice does nothing the second time.
  [[nodiscard]] virtual core::Result<RollupStats> RollupPending(Time now) = 0;
  [[nodiscard]] virtual core::Result<std::vector<MinuteAggregate>> ListAggregates(
      const AggregateQuery& query) = 0;
  // Deletes samples, aggregates and crowd reports (typed and measured) older than their Retention
  // relative to `now`. Rolls up pending minutes first, so no sample is deleted before it counted in
  // an aggregate.
  [[nodiscard]] virtual core::Result<PruneStats> Prune(Time now) = 0;

  // ---- Platform state ----

  [[nodiscard]] virtual core::Status PutPlatformState(const PlatformState& state) = 0;
  [[nodiscard]] virtual core::Result<PlatformState> GetPlatformState(std::string_view platform) = 0;
  // Every platform's state, by platform; with `updated_since`, only those whose updated_at is at
  // or after it (what another instance changed lately, serve/shared_view.h).
  [[nodiscard]] virtual core::Result<std::vector<PlatformState>> ListPlatformStates(
      std::optional<Time> updated_since) = 0;
  [[nodiscard]] core::Result<std::vector<PlatformState>> ListPlatformStates() {
    return ListPlatformStates(std::nullopt);
  }

  // ---- Incidents ----

  // Creates an open incident and its "opened" event (seq 1) in one transaction.
  [[nodiscard]] virtual core::Result<Incident> OpenIncident(const NewIncident& incident) = 0;
  [[nodiscard]] virtual core::Result<Incident> GetIncident(std::string_view id) = 0;
  // Keyset pagination: pages never skip an incident. One that closes while a client pages through
  // may show twice (once as open, once as closed).
  [[nodiscard]] virtual core::Result<IncidentPage> ListIncidents(const IncidentQuery& query) = 0;
  // Appends to the timeline (closed incidents too: recovery checks and notes come after) and
  // returns the stored event with its seq. Moves updated_at forward to event.at if later.
  // kNotFound when the incident does not exist.
  [[nodiscard]] virtual core::Result<IncidentEvent> AppendEvent(std::string_view incident_id,
                                                                const NewEvent& event) = 0;
  // Changes an open incident and appends `event` in one transaction. kFailedPrecondition when the
  // incident is closed.
  [[nodiscard]] virtual core::Result<Incident> UpdateIncident(std::string_view id,
                                                              const IncidentPatch& patch,
                                                              const NewEvent& event) = 0;
  // Closes an open incident at event.at and appends `event` as its "closed" event (event.type
  // empty or "closed"). kFailedPrecondition when already closed.
  [[nodiscard]] virtual core::Result<Incident> CloseIncident(std::string_view id,
                                                             const NewEvent& event) = 0;
  // Events with seq > after_seq, by seq, at most `limit` (1..10000). kNotFound for no incident.
  [[nodiscard]] virtual core::Result<std::vector<IncidentEvent>> ListEvents(
      std::string_view incident_id, std::int64_t after_seq, std::size_t limit) = 0;
  // Deletes an incident and its timeline. kNotFound when it does not exist.
  [[nodiscard]] virtual core::Status DeleteIncident(std::string_view id) = 0;

  // ---- Crowd reports ----

  // The key a reporter's address is stored under: HMAC-SHA256 with a random secret kept in this
  // database, mixed with the UTC day, so keys are stable within a day (hence within an hour) and
  // unlinkable across days. Hashing does not anonymise an IPv4 address against someone holding
  // the database (2^32 guesses): it keeps raw addresses out of the file, its backups and the API.
  [[nodiscard]] virtual core::Result<std::string> ClientKey(std::string_view address, Time at) = 0;
  // Counts a report unless this client already reported this platform in the same UTC clock hour:
  // that duplicate is kAlreadyExists and stores nothing (enforced by a unique constraint, so it
  // holds under concurrency). Clock hours, not a sliding window, so an hourly count is exactly the
  // number of distinct clients that hour. kInvalidArgument when client_key is not a 64-hex key.
  [[nodiscard]] virtual core::Status AddReport(const CrowdReport& report) = 0;
  // Crowd reports in `range`: the typed ones plus the measured reports (DeviceReports()) whose
  // device could not reach the platform, which count towards the spike alike.
  [[nodiscard]] virtual core::Result<std::int64_t> CountReports(std::string_view platform,
                                                                TimeRange range) = 0;
  // Reports per UTC hour in `range` (rounded out to whole hours), oldest first; hours without
  // reports are absent. An empty `platform` means every platform (ordered by hour, platform).
  // Counted as CountReports counts.
  [[nodiscard]] virtual core::Result<std::vector<HourlyCount>> HourlyReportCounts(
      std::string_view platform, TimeRange range) = 0;

  // ---- API tokens ----
  // Only HashToken(secret) is stored. A fast hash is enough: the secret is 256 random bits, so
  // guessing it is hopeless however fast the hash is (slow, salted hashes protect low-entropy
  // passwords), and an unsalted hash can be looked up through an index on each request.

  // Generates the secret, stores its hash. kAlreadyExists when an active token has this name.
  [[nodiscard]] virtual core::Result<CreatedToken> CreateToken(const NewToken& token) = 0;
  [[nodiscard]] virtual core::Result<std::vector<ApiToken>> ListTokens() = 0;
  // Revokes by id, or by name when no id matches. Revoking a revoked token is OK and keeps the
  // first revoked_at. kNotFound when nothing matches.
  [[nodiscard]] virtual core::Status RevokeToken(std::string_view id_or_name, Time at) = 0;
  // The active token with this hash; kNotFound for an unknown or revoked one.
  [[nodiscard]] virtual core::Result<ApiToken> FindTokenByHash(std::string_view hash) = 0;
  // Records use at most once a minute per token (a write per API request would cost more than
  // the request): a call within a minute of the stored last_used_at changes nothing.
  [[nodiscard]] virtual core::Status MarkTokenUsed(std::string_view id, Time at) = 0;

  // ---- Status pages ----

  [[nodiscard]] virtual core::Status PutStatusPage(const StatusPageState& state) = 0;
  [[nodiscard]] virtual core::Result<StatusPageState> GetStatusPage(std::string_view platform) = 0;
  [[nodiscard]] virtual core::Result<std::vector<StatusPageState>> ListStatusPages() = 0;

  // ---- Slices owned by response parts ----
  // Each part's tables sit behind their own interface (outbox.h, timers.h, ...), reached through
  // one accessor here, so this interface does not grow a method per feature. The slice lives as
  // long as the Store and follows the same contract.

  // Several instances on one database (cluster.h): heartbeats and leases. nullptr for a store
  // one instance owns (SQLite).
  virtual ClusterStore* Cluster() { return nullptr; }
  // The relay's durable outbox (outbox.h).
  virtual OutboxStore& Outbox() = 0;
  // Durable timers, work due later that one scheduler runs (timers.h; src/timers/scheduler.h).
  virtual TimerStore& Timers() = 0;
  // The contingency plan's state: lifecycles, runs, steps, assignments, link tokens (playbook.h).
  virtual PlaybookStore& Playbook() = 0;
  // Measured crowd reports from the dashboard's device check (device_reports.h).
  virtual DeviceReportStore& DeviceReports() = 0;
  // The ads guard: campaigns Lifeline changed, their prior state, every call (ads.h).
  virtual AdsStore& Ads() = 0;
  // The content calendar: scheduled posts and their parts per channel (calendar.h).
  virtual CalendarStore& Calendar() = 0;
  // The inbox: conversations per contact, their messages in and out, failover moves (inbox.h).
  virtual InboxStore& Inbox() = 0;
  // Listening: posts stored once across sources, hourly counts, sources' state, spikes
  // (listening.h).
  virtual ListeningStore& Listening() = 0;
};

// Opens (creating if needed) the SQLite database at `path` and its directory, and migrates it to
// this binary's schema. Errors name the path and what to do:
//   kUnavailable       the database is locked by another process (after busy_timeout)
//   kPermissionDenied  the file or its directory is not writable (or not readable)
//   kDataLoss          not an SQLite file, or quick_check found corruption; the file is untouched
//   kFailedPrecondition the schema is newer than this binary, or it is another program's database
//   kNotFound          the directory is missing and cannot be created
[[nodiscard]] core::Result<std::unique_ptr<Store>> OpenSqlite(const std::string& path,
                                                              OpenOptions options = {});

// Where the PostgreSQL store lives (config: `store: { url: ..., password: { env: NAME } }`).
struct PostgresOptions {
  // A libpq URI without a password: postgresql://USER@HOST:PORT/DATABASE (HOST may be a Unix
  // socket folder: postgresql://USER@%2Frun%2Fpostgresql/DATABASE).
  std::string url;
  std::string password;  // "" = none (trust, peer, .pgpass); never appears in a message
  // Sessions this process keeps open at most: as many calls run at once.
  std::size_t connections = 8;
};

// Opens the PostgreSQL database at `pg.url` and migrates it to this binary's schema; any number of
// processes may share one database (claims of outbox messages and timers are row-locked, see
// outbox.h and timers.h). Errors name the server (never the password):
//   kInvalidArgument    the URL is not a postgresql:// URI, or it holds a password
//   kUnavailable        the server cannot be reached (or is a read-only standby)
//   kUnauthenticated    the server refused the user or password
//   kNotFound           the database does not exist
//   kFailedPrecondition the schema is newer than this binary, or it is another program's database
// Each open is an instance (Cluster()->self()): the outbox's claims carry it, so that a dead
// instance's claims are recovered by the living and a live one's never (cluster.h, outbox.h).
[[nodiscard]] core::Result<std::unique_ptr<Store>> OpenPostgres(const PostgresOptions& pg,
                                                                OpenOptions options = {});

}  // namespace lifeline::store
