// The incident report (issue 9): everything the store holds about one incident — its timeline,
// the response's lifecycle, steps and tasks, the messages, the figures — gathered into a Report
// that the renderers (render.h) turn into Markdown, a self-contained HTML page or JSON.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "listen/spike.h"
#include "store/store.h"

namespace lifeline::report {

using Duration = std::chrono::milliseconds;

struct ReportOptions {
  // Availability and latency are shown from `before` ahead of opened_at to `after` past the end
  // (closed_at, or `now` for an open incident), but never past `now`.
  Duration before = std::chrono::minutes(15);
  Duration after = std::chrono::minutes(15);
  // How far back from opened_at the failing probes' onset is looked for.
  Duration detect_lookback = std::chrono::hours(6);
  // The report's "now": the end of an open incident and the generation time. Unset: the clock.
  std::optional<store::Time> now;
  // At most this many buckets in the availability window; the bucket width is the smallest round
  // width (10 s, 30 s, 1, 2, 5, 10, 15, 30 min, 1, 2, 6, 12 h, 1 d) that keeps within it.
  int max_buckets = 60;
  // The listening section: hours from `listen_before` ahead of opened_at to `listen_after` past
  // the end, judged against the same hours of past weeks with these thresholds (min_weeks,
  // max_weeks and floor decide the expectation; the stored decisions keep what the detector said
  // at the time with the thresholds it ran with).
  Duration listen_before = std::chrono::hours(1);
  Duration listen_after = std::chrono::hours(1);
  listen::SpikeConfig spike;
  std::size_t notable_posts = 3;  // most shared and most negative, each, per query
};

// When the failure began as far as the store can tell, and how long it took to open the incident.
struct Detection {
  std::optional<store::Time> onset;
  std::optional<Duration> time_to_detect;  // opened_at - onset
  // "probe samples", "incident evidence", or "" when the store holds neither.
  std::string source;
  std::string detail;  // one line for a person: which probe failed first, or why none is known
};

// Who a message was for: the team (an alert to a person or a team channel) or the audience (an
// announcement on a public channel).
enum class Audience { kTeam, kAudience };
std::string_view AudienceName(Audience a);  // "team", "audience"

struct MessageSummary {
  std::string id;
  std::string channel;  // where it is now (after any failover)
  std::string contact;
  std::string recipient;
  std::string subject;
  std::string text;
  std::string route;
  std::string reason;  // the last attempt's reason
  store::MessageState state = store::MessageState::kQueued;
  Audience audience = Audience::kTeam;
  // How the audience was decided: "playbook message" (the engine's timeline entry for this
  // message), "playbook step" (the step's kind: post is for the audience, the rest for people),
  // "playbook assignment" (a step that assigned something to people), or "contact" (no playbook
  // record: a message to a contact is an alert, one without is an announcement).
  std::string classified_by;
  std::string step;  // the playbook step that sent it, when known
  // Channels the route names as failed or skipped before this one: a failover happened.
  std::vector<std::string> rerouted_from;
  store::Time created_at;
  std::optional<store::Time> delivered_at;
};

struct FirstMessage {
  std::string message_id;
  std::string channel;
  std::string to;  // the contact, the recipient, or "" for the channel's default recipient
  store::Time delivered_at;
  Duration after_open{0};  // delivered_at - opened_at
};

struct ChannelCount {
  std::string channel;
  std::int64_t total = 0;
  std::int64_t delivered = 0;
  std::int64_t failed = 0;  // failed or dead-lettered: refused for good or out of attempts
  std::int64_t unconfirmed = 0;
  std::int64_t pending = 0;  // queued, sending or retry_scheduled
  std::int64_t cancelled = 0;
  std::int64_t rerouted_in = 0;    // on this channel after a failover from another
  std::int64_t rerouted_away = 0;  // named by another message's route as failed over from
};

// One bucket of the availability window for one platform.
struct Bucket {
  store::Time begin;
  std::int64_t rounds = 0;          // probe rounds started in the bucket (minutes, from aggregates)
  std::int64_t ok_rounds = 0;       // of them, those in which every probe succeeded
  std::optional<double> median_ms;  // median total time of the probes that succeeded

  std::optional<double> Availability() const {
    if (rounds == 0) return std::nullopt;
    return static_cast<double>(ok_rounds) / static_cast<double>(rounds);
  }
};

struct PlatformSeries {
  std::string platform;
  // "samples" (raw probe samples), "aggregates" (one-minute rollups: the raw samples were
  // pruned), or "" when the store holds nothing for the window.
  std::string source;
  std::vector<Bucket> buckets;  // every bucket of the window, empty ones included
};

// Availability and latency over a phase of the window (before opening, while open, after).
struct PhaseFigures {
  std::string phase;  // "before", "during", "after"
  store::TimeRange range;
  std::int64_t rounds = 0;
  std::int64_t ok_rounds = 0;
  std::optional<double> median_ms;
};

struct AvailabilityWindow {
  store::TimeRange range;
  Duration bucket{std::chrono::minutes(1)};
  std::vector<PlatformSeries> platforms;          // in the incident's order
  std::vector<std::vector<PhaseFigures>> phases;  // per platform, same order
};

// ---- listening ----

// One UTC hour of one listening query.
struct ListeningHour {
  store::Time hour;                      // its start
  std::optional<std::int64_t> posts;     // nullopt: collection was not running then
  std::optional<double> expected;        // max(usual, floor); nullopt: not enough history
  double usual = 0;                      // the median of `weeks`
  std::vector<std::int64_t> weeks;       // the same hour 1, 2, ... weeks back, with data
  std::optional<std::int64_t> band_low;  // lowest and highest of `weeks`
  std::optional<std::int64_t> band_high;
  double p_value = 1;
  bool unusual = false;  // this hour on its own passes the detector's tests
  // The detector's stored decision for this hour, as it judged it then: "spike", "cooldown",
  // "not_consecutive", ... ("" when it did not judge this hour); spiking: a spike was on.
  std::string judged;
  bool spiking = false;
  bool fired = false;
};

struct SentimentShares {
  std::int64_t posts = 0;
  std::int64_t positive = 0, neutral = 0, negative = 0;  // VADER's thresholds (listen/vader.h)
  double mean_compound = 0;
  std::optional<double> Share(std::int64_t n) const {
    if (posts == 0) return std::nullopt;
    return static_cast<double>(n) / static_cast<double>(posts);
  }
};

struct NotablePost {
  std::string source;
  std::string url;  // "" when the source gave none, or it is not http(s)
  std::string author;
  std::string text;
  store::Time posted_at;
  std::int64_t shares = 0;
  double compound = 0;
};

struct ListeningQuery {
  std::string query;                 // "chatter:whatsapp", "brand:acme:mentions"
  std::string kind;                  // "chatter" or "mentions"
  std::string platform;              // chatter: the platform; else ""
  std::string brand;                 // mentions: the brand; else ""
  std::vector<ListeningHour> hours;  // every hour of the window, in order
  // Over the window's hours with data: posts, and the expectation of those with one.
  std::int64_t posts = 0;
  std::optional<double> expected;
  std::int64_t spike_hours = 0;  // hours the stored decisions say a spike was on
  // The detector's lines of the hours it found unusual (fired, cooldown, not yet consecutive).
  std::vector<std::string> spike_evidence;
  SentimentShares sentiment;               // the window's posts
  SentimentShares usual_sentiment;         // the same hours of the weeks before (max_weeks)
  int usual_weeks = 0;                     // of them, the weeks whose hours were collected
  std::vector<NotablePost> most_shared;    // shares > 0, most first
  std::vector<NotablePost> most_negative;  // compound <= -0.05, most negative first
};

struct ListeningSection {
  store::TimeRange range;               // whole UTC hours
  std::vector<ListeningQuery> queries;  // chatter of the incident's platforms, then mentions
  std::vector<std::string> missing;     // platforms of the incident without a chatter query
};

struct Report {
  store::Incident incident;
  store::Time generated_at;
  store::Time end;                                    // closed_at, or generated_at while open
  Duration duration{0};                               // end - opened_at (while open: so far)
  std::vector<store::IncidentEvent> timeline;         // every event, by seq
  std::optional<store::IncidentLifecycle> lifecycle;  // unset: no playbook response ran
  std::vector<store::ResponseRun> runs;
  std::vector<store::StepRecord> steps;
  std::vector<store::Assignment> assignments;  // tasks, approvals and notifications
  Detection detection;
  std::optional<FirstMessage> first_alert;
  std::optional<FirstMessage> first_announcement;
  // "playbook" when at least one message was classified from the playbook's records, else
  // "contacts".
  std::string message_basis;
  std::vector<MessageSummary> messages;  // oldest first
  std::vector<ChannelCount> channels;    // by channel name
  AvailabilityWindow availability;
  std::vector<store::IncidentEvent> notes;  // timeline events of type "note"
  // Unset: listening collected nothing in the window (not configured, or not running).
  std::optional<ListeningSection> listening;
};

// The listening section of `report` (its incident, end and generated_at set) from the store's
// listening slice; nullopt when no collection ran in the window. Called by BuildReport.
[[nodiscard]] core::Result<std::optional<ListeningSection>> BuildListening(
    store::Store& store, const Report& report, const ReportOptions& options);

// Gathers the report of `incident_id` from the store. Reads only. The tokens of acknowledgement
// links in messages and events ("/ack/<token>") are replaced by "[redacted]": a report is shared
// widely, and those links act for a person for hours. kNotFound naming the id when
// there is no such incident; the store's error when it fails (a report is never built from
// partial data).
[[nodiscard]] core::Result<Report> BuildReport(store::Store& store, std::string_view incident_id,
                                               const ReportOptions& options = {});

}  // namespace lifeline::report
