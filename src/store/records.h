// The records the store keeps for `lifeline serve`: probe samples and their one-minute aggregates,
// platform state, incidents and their timelines, crowd reports, API tokens and status-page state.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/types.h"

namespace lifeline::store {

// Every time the store handles: UTC, millisecond precision (what the database keeps: integer
// milliseconds since the Unix epoch).
using Time = std::chrono::sys_time<std::chrono::milliseconds>;

inline std::int64_t ToMillis(Time t) { return t.time_since_epoch().count(); }
inline Time FromMillis(std::int64_t ms) { return Time(std::chrono::milliseconds(ms)); }
// A clock reading as a store time (truncated to the millisecond).
inline Time FromSystem(std::chrono::system_clock::time_point t) {
  return std::chrono::floor<std::chrono::milliseconds>(t);
}
// Start of the UTC minute / hour holding t.
Time MinuteOf(Time t);
Time HourOf(Time t);

// [begin, end): begin included, end excluded, everywhere a range is taken.
struct TimeRange {
  Time begin;
  Time end;
};

// ---- Probe results -------------------------------------------------------------------------

// One probe result as stored raw (kept 48 h by default). A failed probe is a sample like any other.
struct ProbeSample {
  std::string platform;       // Platform::id
  std::string probe_id;       // ProbeSpec::id
  std::string from = "here";  // ProbeResult::from: "here" or a vantage point's name
  Time at;                    // when the probe started
  bool ok = false;
  core::Layer layer = core::Layer::kNone;
  std::string detail;              // core::detail, empty when ok
  std::optional<double> total_ms;  // Timings::total
  int http_status = 0;
};

// The stored form of a probe result of `platform` started at `at`.
ProbeSample SampleFromResult(std::string platform, const core::ProbeResult& result, Time at);

// One minute of one probe of one platform as seen from one place (kept 90 days by default).
// Latency statistics cover the samples that succeeded and have a total time (latency_count of
// them): failures show in availability, and a timeout's duration is the timeout, not a latency.
// Percentiles use the nearest-rank method: pN is the smallest sample such that at least N% of
// the samples are <= it, so each is one of the measured values.
struct MinuteAggregate {
  std::string platform;
  std::string probe_id;
  std::string from;
  Time minute;  // start of the minute
  std::int64_t count = 0;
  std::int64_t ok_count = 0;
  std::int64_t latency_count = 0;
  std::optional<double> latency_min;  // unset when latency_count == 0
  std::optional<double> latency_p50;
  std::optional<double> latency_p95;
  std::optional<double> latency_p99;
  std::optional<double> latency_max;

  // ok_count / count, in [0, 1].
  double Availability() const {
    return count == 0 ? 0.0 : static_cast<double>(ok_count) / static_cast<double>(count);
  }
};

struct SampleQuery {
  std::string platform;  // required
  TimeRange range;
  std::string probe_id;       // empty: every probe
  std::string from;           // empty: every vantage
  std::size_t limit = 10000;  // the earliest `limit` samples of the range; 1..1000000
};

struct AggregateQuery {
  std::string platform;  // required
  TimeRange range;       // on MinuteAggregate::minute
  std::string probe_id;  // empty: every probe
  std::string from;      // empty: every vantage
};

struct RollupStats {
  std::int64_t minutes = 0;     // minutes that had samples and were (re)computed
  std::int64_t aggregates = 0;  // aggregate rows written
};

struct PruneStats {
  std::int64_t samples = 0;     // raw probe samples deleted
  std::int64_t aggregates = 0;  // minute aggregates deleted
  std::int64_t reports = 0;     // crowd reports deleted
};

// ---- Platform state --------------------------------------------------------------------------

// The latest diagnosis of a platform, replaced on each round.
struct PlatformState {
  std::string platform;
  core::Verdict verdict = core::Verdict::kUnknown;
  core::Layer layer = core::Layer::kNone;
  std::string detail;
  double confidence = 0;             // [0, 1]
  std::string reason;                // the one-line reason shown on the tile
  std::string evidence_json = "[]";  // any JSON; the store only checks it parses
  Time updated_at;
};

// ---- Incidents -------------------------------------------------------------------------------

enum class IncidentKind { kPlatform, kDomain, kFlapping };
enum class IncidentState { kOpen, kClosed };

std::string_view IncidentKindName(IncidentKind k);  // "platform", "domain", "flapping"
std::optional<IncidentKind> ParseIncidentKind(std::string_view name);
std::string_view IncidentStateName(IncidentState s);  // "open", "closed"
std::optional<IncidentState> ParseIncidentState(std::string_view name);

struct Incident {
  std::string id;  // "inc_" + 26 characters that sort by opened_at
  IncidentKind kind = IncidentKind::kPlatform;
  std::string domain;                  // failure domain; may be empty for a platform incident
  std::vector<std::string> platforms;  // in the order given
  core::Verdict verdict = core::Verdict::kOutage;
  IncidentState state = IncidentState::kOpen;
  std::string title;
  Time opened_at;
  Time updated_at;  // the newest event's time (never earlier than opened_at)
  std::optional<Time> closed_at;
  std::int64_t last_seq = 0;  // the newest event's seq
  // A drill (`lifeline drill`): a simulated outage that only the playbook engine runs. Nothing
  // failed: listings leave it out unless asked (IncidentQuery::drills), and it is never published
  // to the parts that react to real outages.
  bool drill = false;
};

// Common event types; the set is open (playbook steps add their own, lower_snake_case).
namespace event_type {
inline constexpr std::string_view kOpened = "opened";
inline constexpr std::string_view kUpdated = "updated";
inline constexpr std::string_view kEvidence = "evidence";
inline constexpr std::string_view kClosed = "closed";
inline constexpr std::string_view kNote = "note";
}  // namespace event_type

// One entry of an incident's append-only timeline.
struct IncidentEvent {
  std::string incident_id;
  std::int64_t seq = 0;  // 1, 2, 3, ... per incident, no gaps
  Time at;
  std::string type;  // event_type or another lower_snake_case name
  std::string message;
  std::string data_json = "{}";
};

struct NewEvent {
  Time at;
  std::string type;
  std::string message;
  std::string data_json = "{}";
};

// What opens an incident; the store records an "opened" event with `message` and `data_json`.
struct NewIncident {
  IncidentKind kind = IncidentKind::kPlatform;
  std::string domain;
  std::vector<std::string> platforms;  // at least one
  core::Verdict verdict = core::Verdict::kOutage;
  std::string title;
  Time opened_at;
  std::string message;
  std::string data_json = "{}";
  bool drill = false;  // Incident::drill
};

// Fields of an open incident that change as it develops; unset fields stay.
struct IncidentPatch {
  std::optional<core::Verdict> verdict;
  std::optional<std::vector<std::string>> platforms;
  std::optional<std::string> title;
  // A platform incident that became its failure domain's (another platform of the domain failed).
  std::optional<IncidentKind> kind;
  std::optional<std::string> domain;
};

// Which incidents a listing holds: real ones (the default: every reader of real outages), drills
// only, or both.
enum class DrillFilter { kExclude, kOnly, kInclude };

struct IncidentQuery {
  std::optional<IncidentState> state;  // unset: both
  DrillFilter drills = DrillFilter::kExclude;
  std::string platform;    // non-empty: incidents listing this platform
  std::size_t limit = 50;  // 1..1000
  std::string cursor;      // IncidentPage::next_cursor of the previous page
};

struct IncidentPage {
  std::vector<Incident> incidents;  // open first, then newest opened_at first
  std::string next_cursor;          // empty on the last page
};

// ---- Crowd reports ---------------------------------------------------------------------------

struct CrowdReport {
  std::string platform;
  std::string kind;        // optional problem kind ("login", "feed", ...), lower_snake_case
  std::string client_key;  // Store::ClientKey() of the reporter's address; never the address
  Time at;
};

struct HourlyCount {
  std::string platform;
  Time hour;  // start of the UTC hour
  std::int64_t count = 0;
};

// ---- API tokens ------------------------------------------------------------------------------

enum class Role { kViewer, kOperator, kAdmin };
std::string_view RoleName(Role r);  // "viewer", "operator", "admin"
std::optional<Role> ParseRole(std::string_view name);

struct ApiToken {
  std::string id;  // "tok_" + 26 characters
  std::string name;
  Role role = Role::kViewer;
  std::string hash;  // HashToken(secret): 64 lowercase hex characters
  Time created_at;
  std::optional<Time> revoked_at;
  std::optional<Time> last_used_at;
};

struct NewToken {
  std::string name;  // unique among active tokens
  Role role = Role::kViewer;
  Time created_at;
};

// The only time the secret exists outside the caller: show it once, it cannot be recovered.
struct CreatedToken {
  ApiToken token;
  std::string secret;  // "llt_" + 64 hex characters (256 random bits)
};

// SHA-256 of a token secret, lowercase hex: what the store keeps and looks tokens up by.
std::string HashToken(std::string_view secret);

// ---- Status pages ----------------------------------------------------------------------------

// The last fetched state of a platform's official status page.
struct StatusPageState {
  std::string platform;
  std::string indicator;    // Statuspage: none, minor, major, critical, maintenance
  std::string description;  // "All Systems Operational"
  Time fetched_at;
  std::string raw_json = "{}";
};

}  // namespace lifeline::store
