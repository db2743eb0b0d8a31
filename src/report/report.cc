// Gathers an incident's report from the store (report.h): the incident and its timeline, the
// playbook's records, the outbox's messages and the probe samples around the incident.
#include "report/report.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>
#include <set>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/types.h"
#include "store/events.h"

namespace lifeline::report {
namespace {

using core::ErrorCode;
using core::MakeError;
using core::Result;
using json = nlohmann::json;

constexpr std::size_t kMessagePage = 1000;
constexpr std::size_t kSampleLimit = 1000000;  // ListProbeSamples' largest limit

json ParseData(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  return j.is_object() ? j : json::object();
}

std::string StringAt(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// A time as text says it, and how precise the text was.
struct TextTime {
  store::Time at;
  Duration precision{1000};  // 1 s without a fraction ("10:00:00Z"), 1 ms with one
};

// "2026-11-27T10:00:00Z" or with fractional seconds ("...:00.250Z"), as core::FormatTime and
// RFC 3339 UTC write it. nullopt for anything else.
std::optional<TextTime> ParseUtc(const std::string& s) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, used = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &used) != 6) {
    return std::nullopt;
  }
  std::size_t i = static_cast<std::size_t>(used);
  long ms = 0;
  const bool fraction = i < s.size() && s[i] == '.';
  if (fraction) {
    long scale = 100;
    for (++i; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
      ms += (s[i] - '0') * scale;
      scale /= 10;
    }
  }
  if (i + 1 != s.size() || s[i] != 'Z') return std::nullopt;
  std::chrono::year_month_day ymd{std::chrono::year(y),
                                  std::chrono::month(static_cast<unsigned>(mo)),
                                  std::chrono::day(static_cast<unsigned>(d))};
  if (!ymd.ok() || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  return TextTime{store::Time(std::chrono::sys_days(ymd).time_since_epoch() +
                              std::chrono::hours(h) + std::chrono::minutes(mi) +
                              std::chrono::seconds(sec) + std::chrono::milliseconds(ms)),
                  Duration(fraction ? 1 : 1000)};
}

std::string Clock(store::Time t) { return core::FormatTime(t); }

// The playbook's acknowledgement links ("<base>/ack/<token>", playbook/links.h) are one-time
// credentials that stay valid for hours: a report is shared widely, so their tokens go.
std::string RedactLinks(std::string text) {
  static constexpr std::string_view kPath = "/ack/";
  auto url_safe = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' ||
           c == '~';
  };
  for (std::size_t at = text.find(kPath); at != std::string::npos; at = text.find(kPath, at)) {
    std::size_t begin = at + kPath.size(), end = begin;
    while (end < text.size() && url_safe(text[end])) ++end;
    if (end > begin) text.replace(begin, end - begin, "[redacted]");
    at = begin;
  }
  return text;
}

// Nearest rank, as the store's aggregates compute percentiles: the smallest value such that at
// least half of the values are <= it (so it is one of the measured values).
std::optional<double> Median(std::vector<double> v) {
  if (v.empty()) return std::nullopt;
  std::sort(v.begin(), v.end());
  return v[(v.size() + 1) / 2 - 1];
}

Result<std::vector<store::OutboxMessage>> AllMessages(store::Store& store, std::string_view id) {
  std::vector<store::OutboxMessage> all;
  store::MessageQuery q;
  q.incident_id = std::string(id);
  q.limit = kMessagePage;
  for (;;) {
    LL_ASSIGN(store::MessagePage page, store.Outbox().List(q));
    all.insert(all.end(), std::make_move_iterator(page.messages.begin()),
               std::make_move_iterator(page.messages.end()));
    if (page.next_cursor.empty()) break;
    q.cursor = page.next_cursor;
  }
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
    return std::tie(a.created_at, a.id) < std::tie(b.created_at, b.id);
  });
  return all;
}

// ---- time to detect ----

// The start of the run of failing rounds a platform was in when the incident opened. A round is
// the samples of one platform started at the same instant; it fails when any probe that
// succeeded at least once in the lookback failed in it (a probe that never succeeded there — a
// broken probe, a vantage point that reaches nothing — says nothing about this incident).
struct Onset {
  store::Time at;
  std::string detail;
};

std::optional<Onset> SampleOnset(const std::vector<store::ProbeSample>& samples,
                                 const std::string& platform) {
  std::set<std::pair<std::string, std::string>> healthy;  // (probe_id, from) that ever succeeded
  for (const auto& s : samples) {
    if (s.ok) healthy.insert({s.probe_id, s.from});
  }
  std::optional<Onset> streak;
  for (std::size_t i = 0; i < samples.size();) {
    std::size_t j = i;
    const store::ProbeSample* first_failure = nullptr;
    bool counted = false;
    for (; j < samples.size() && samples[j].at == samples[i].at; ++j) {
      const auto& s = samples[j];
      if (!healthy.count({s.probe_id, s.from})) continue;
      counted = true;
      if (!s.ok && first_failure == nullptr) first_failure = &s;
    }
    if (counted) {
      if (first_failure == nullptr) {
        streak.reset();
      } else if (!streak) {
        const auto& f = *first_failure;
        std::string how = std::string(core::LayerName(f.layer));
        if (!f.detail.empty()) how += (how.empty() ? "" : "/") + f.detail;
        if (f.http_status != 0) how += fmt::format(" {}", f.http_status);
        streak = Onset{f.at, fmt::format("{} probe {} from {} failed at {}{}", platform, f.probe_id,
                                         f.from, Clock(f.at), how.empty() ? "" : " (" + how + ")")};
      }
    }
    i = j;
  }
  return streak;
}

Result<Detection> Detect(store::Store& store, const store::Incident& inc,
                         const std::vector<store::IncidentEvent>& timeline,
                         const ReportOptions& options) {
  Detection d;
  std::optional<Onset> best;
  std::string best_source;
  for (const std::string& platform : inc.platforms) {
    store::SampleQuery q;
    q.platform = platform;
    q.range = {inc.opened_at - options.detect_lookback, inc.opened_at + Duration(1)};
    q.limit = kSampleLimit;
    LL_ASSIGN(std::vector<store::ProbeSample> samples, store.ListProbeSamples(q));
    auto onset = SampleOnset(samples, platform);
    if (onset && (!best || onset->at < best->at)) {
      best = std::move(onset);
      best_source = "probe samples";
    }
  }
  // The watch's own record: the opened event's "started" (when the state machine first saw the
  // failure it opened the incident for). It is written to the second: it wins only when it is
  // earlier than the samples' onset by more than its precision (a "10:00:00Z" does not beat a
  // sample at 10:00:00.433, which it merely truncates).
  for (const auto& e : timeline) {
    if (e.type != store::event_type::kOpened) continue;
    json data = ParseData(e.data_json);
    auto started = ParseUtc(StringAt(data, "started"));
    if (started && started->at <= inc.opened_at &&
        (!best || started->at + started->precision <= best->at)) {
      best = Onset{started->at, fmt::format("the watch first saw the failure at {} (the opened "
                                            "event's evidence)",
                                            Clock(started->at))};
      best_source = "incident evidence";
    }
    break;
  }
  if (!best) {
    d.detail = fmt::format(
        "no failing probe sample in the {} before opening (samples are kept 48 h) and no start "
        "time in the incident's evidence",
        options.detect_lookback.count() % 3600000 == 0
            ? fmt::format("{} h", options.detect_lookback.count() / 3600000)
            : fmt::format("{} min", options.detect_lookback.count() / 60000));
    return d;
  }
  d.onset = best->at;
  d.time_to_detect = inc.opened_at - best->at;
  d.source = best_source;
  d.detail = best->detail;
  return d;
}

// ---- messages ----

// The channels a route names as failed or skipped ("team-whatsapp: circuit open, ...; sent by
// ..."): each "; "-separated part that starts with a channel name and ": ".
std::vector<std::string> ReroutedFrom(const std::string& route, const std::string& channel) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos <= route.size()) {
    std::size_t end = route.find("; ", pos);
    if (end == std::string::npos) end = route.size();
    std::string part = route.substr(pos, end - pos);
    auto colon = part.find(": ");
    if (colon != std::string::npos && colon > 0) {
      std::string name = part.substr(0, colon);
      bool is_name = name.find_first_of(" \t") == std::string::npos;
      if (is_name && name != channel && std::find(out.begin(), out.end(), name) == out.end()) {
        out.push_back(std::move(name));
      }
    }
    pos = end + 2;
  }
  return out;
}

// (response, step) of a playbook message's key: "playbook/<incident>/<response>/<step>/<who>".
std::optional<std::pair<std::string, std::string>> StepOfKey(const std::string& key,
                                                             const std::string& incident) {
  const std::string prefix = "playbook/" + incident + "/";
  if (!key.starts_with(prefix)) return std::nullopt;
  std::string rest = key.substr(prefix.size());
  auto a = rest.find('/');
  if (a == std::string::npos) return std::nullopt;
  auto b = rest.find('/', a + 1);
  std::string step = rest.substr(a + 1, b == std::string::npos ? std::string::npos : b - a - 1);
  if (step.empty()) return std::nullopt;
  return std::pair{rest.substr(0, a), step};
}

struct PlaybookHints {
  std::map<std::string, Audience> by_key;  // playbook_message entries: message key -> audience
  std::map<std::pair<std::string, std::string>, std::string> step_kind;  // (response, step)
  std::set<std::pair<std::string, std::string>> assigned;  // steps that assigned to people
};

PlaybookHints Hints(const std::vector<store::IncidentEvent>& timeline,
                    const std::vector<store::Assignment>& assignments) {
  PlaybookHints h;
  for (const auto& e : timeline) {
    if (e.type == "playbook_message") {
      json data = ParseData(e.data_json);
      std::string key = StringAt(data, "key");
      if (key.empty()) continue;
      if (data.contains("person")) h.by_key[key] = Audience::kTeam;
      if (data.contains("inventory")) h.by_key[key] = Audience::kAudience;
    } else if (e.type == "playbook_step_started") {
      json data = ParseData(e.data_json);
      std::string step = StringAt(data, "step"), kind = StringAt(data, "kind");
      if (!step.empty() && !kind.empty()) h.step_kind[{StringAt(data, "response"), step}] = kind;
    }
  }
  for (const auto& a : assignments) h.assigned.insert({a.response, a.step_id});
  return h;
}

MessageSummary Summarize(const store::OutboxMessage& m, const PlaybookHints& hints,
                         const std::string& incident) {
  MessageSummary s;
  s.id = m.id;
  s.channel = m.channel;
  s.contact = m.contact;
  s.recipient = m.recipient;
  s.subject = RedactLinks(m.subject);
  s.text = RedactLinks(m.text);
  s.route = m.route;
  s.reason = m.last_reason;
  s.state = m.state;
  s.created_at = m.created_at;
  if (m.state == store::MessageState::kDelivered) s.delivered_at = m.updated_at;
  s.rerouted_from = ReroutedFrom(m.route, m.channel);
  auto step = StepOfKey(m.idempotency_key, incident);
  if (step) s.step = step->second;
  if (auto it = hints.by_key.find(m.idempotency_key); it != hints.by_key.end()) {
    s.audience = it->second;
    s.classified_by = "playbook message";
  } else if (auto k = step ? hints.step_kind.find(*step) : hints.step_kind.end();
             k != hints.step_kind.end()) {
    s.audience = k->second == "post" ? Audience::kAudience : Audience::kTeam;
    s.classified_by = "playbook step";
  } else if (step && hints.assigned.count(*step)) {
    s.audience = Audience::kTeam;
    s.classified_by = "playbook assignment";
  } else {
    s.audience = m.contact.empty() ? Audience::kAudience : Audience::kTeam;
    s.classified_by = "contact";
  }
  return s;
}

std::optional<FirstMessage> First(const std::vector<MessageSummary>& messages, Audience audience,
                                  store::Time opened) {
  const MessageSummary* best = nullptr;
  for (const auto& m : messages) {
    if (m.audience != audience || !m.delivered_at) continue;
    if (best == nullptr || *m.delivered_at < *best->delivered_at) best = &m;
  }
  if (best == nullptr) return std::nullopt;
  return FirstMessage{best->id, best->channel,
                      best->contact.empty() ? best->recipient : best->contact, *best->delivered_at,
                      *best->delivered_at - opened};
}

std::vector<ChannelCount> CountChannels(const std::vector<MessageSummary>& messages) {
  std::map<std::string, ChannelCount> by;
  auto row = [&](const std::string& name) -> ChannelCount& {
    ChannelCount& c = by[name];
    c.channel = name;
    return c;
  };
  for (const auto& m : messages) {
    ChannelCount& c = row(m.channel);
    ++c.total;
    switch (m.state) {
      case store::MessageState::kDelivered:
        ++c.delivered;
        break;
      case store::MessageState::kFailed:
      case store::MessageState::kDeadLettered:
        ++c.failed;
        break;
      case store::MessageState::kUnconfirmed:
        ++c.unconfirmed;
        break;
      case store::MessageState::kCancelled:
        ++c.cancelled;
        break;
      case store::MessageState::kQueued:
      case store::MessageState::kSending:
      case store::MessageState::kRetryScheduled:
        ++c.pending;
        break;
    }
    if (!m.rerouted_from.empty()) ++c.rerouted_in;
    for (const auto& from : m.rerouted_from) ++row(from).rerouted_away;
  }
  std::vector<ChannelCount> out;
  for (auto& [name, c] : by) out.push_back(std::move(c));
  return out;
}

// ---- availability ----

// One observation of a platform: a round of raw samples (count 1), or a minute aggregate of one
// probe from one place (count = its samples).
struct Observation {
  store::Time at;
  std::int64_t count = 0;
  std::int64_t ok = 0;
  std::vector<double> latencies;
};

Duration BucketWidth(Duration span, int max_buckets) {
  using namespace std::chrono;
  static const Duration kWidths[] = {seconds(10), seconds(30), minutes(1),  minutes(2), minutes(5),
                                     minutes(10), minutes(15), minutes(30), hours(1),   hours(2),
                                     hours(6),    hours(12),   hours(24)};
  const std::int64_t most = std::max(1, max_buckets);
  for (Duration w : kWidths) {
    if ((span.count() + w.count() - 1) / w.count() + 1 <= most) return w;
  }
  return hours(24);
}

std::vector<Observation> Rounds(const std::vector<store::ProbeSample>& samples) {
  std::vector<Observation> out;
  for (std::size_t i = 0; i < samples.size();) {
    Observation o;
    o.at = samples[i].at;
    o.count = 1;
    bool all_ok = true;
    std::size_t j = i;
    for (; j < samples.size() && samples[j].at == samples[i].at; ++j) {
      all_ok = all_ok && samples[j].ok;
      if (samples[j].ok && samples[j].total_ms) o.latencies.push_back(*samples[j].total_ms);
    }
    o.ok = all_ok ? 1 : 0;
    out.push_back(std::move(o));
    i = j;
  }
  return out;
}

PhaseFigures Phase(std::string name, store::TimeRange range, const std::vector<Observation>& obs) {
  PhaseFigures p;
  p.phase = std::move(name);
  p.range = range;
  std::vector<double> lat;
  for (const auto& o : obs) {
    if (o.at < range.begin || o.at >= range.end) continue;
    p.rounds += o.count;
    p.ok_rounds += o.ok;
    lat.insert(lat.end(), o.latencies.begin(), o.latencies.end());
  }
  p.median_ms = Median(std::move(lat));
  return p;
}

Result<AvailabilityWindow> Availability(store::Store& store, const store::Incident& inc,
                                        store::Time end, store::Time now,
                                        const ReportOptions& options) {
  AvailabilityWindow w;
  store::Time begin = inc.opened_at - options.before;
  store::Time stop = std::min(end + options.after, std::max(now, end));
  if (stop <= begin) stop = begin + std::chrono::minutes(1);
  w.bucket = BucketWidth(stop - begin, options.max_buckets);
  // Buckets start on round times (multiples of the width since the epoch).
  const std::int64_t width = w.bucket.count();
  const std::int64_t first = store::ToMillis(begin) / width * width;
  const std::int64_t count = (store::ToMillis(stop) - first + width - 1) / width;
  w.range = {begin, stop};
  for (const std::string& platform : inc.platforms) {
    PlatformSeries series;
    series.platform = platform;
    store::SampleQuery q;
    q.platform = platform;
    q.range = w.range;
    q.limit = kSampleLimit;
    LL_ASSIGN(std::vector<store::ProbeSample> samples, store.ListProbeSamples(q));
    std::vector<Observation> obs;
    if (!samples.empty()) {
      series.source = "samples";
      obs = Rounds(samples);
    } else {
      store::AggregateQuery aq;
      aq.platform = platform;
      aq.range = w.range;
      LL_ASSIGN(std::vector<store::MinuteAggregate> aggs, store.ListAggregates(aq));
      if (!aggs.empty()) series.source = "aggregates";
      for (const auto& a : aggs) {
        Observation o;
        o.at = a.minute;
        o.count = a.count;
        o.ok = a.ok_count;
        if (a.latency_p50) o.latencies.push_back(*a.latency_p50);
        obs.push_back(std::move(o));
      }
    }
    std::vector<std::vector<double>> lat(static_cast<std::size_t>(count));
    for (std::int64_t i = 0; i < count; ++i) {
      Bucket b;
      b.begin = store::FromMillis(first + i * width);
      series.buckets.push_back(b);
    }
    for (const auto& o : obs) {
      const std::int64_t i = (store::ToMillis(o.at) - first) / width;
      if (i < 0 || i >= count) continue;
      Bucket& b = series.buckets[static_cast<std::size_t>(i)];
      b.rounds += o.count;
      b.ok_rounds += o.ok;
      auto& l = lat[static_cast<std::size_t>(i)];
      l.insert(l.end(), o.latencies.begin(), o.latencies.end());
    }
    for (std::size_t i = 0; i < series.buckets.size(); ++i) {
      series.buckets[i].median_ms = Median(std::move(lat[i]));
    }
    w.phases.push_back({Phase("before", {begin, inc.opened_at}, obs),
                        Phase("during", {inc.opened_at, end}, obs),
                        Phase("after", {end, stop}, obs)});
    w.platforms.push_back(std::move(series));
  }
  return w;
}

}  // namespace

std::string_view AudienceName(Audience a) { return a == Audience::kTeam ? "team" : "audience"; }

Result<Report> BuildReport(store::Store& store, std::string_view incident_id,
                           const ReportOptions& options) {
  if (incident_id.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "give an incident id (inc_...)");
  }
  auto inc = store.GetIncident(incident_id);
  if (!inc.ok()) {
    if (inc.error().code() == ErrorCode::kNotFound) {
      return MakeError(ErrorCode::kNotFound, "no incident {}", incident_id);
    }
    return inc.error();
  }
  Report r;
  r.incident = std::move(*inc);
  r.generated_at = options.now.value_or(store::FromSystem(std::chrono::system_clock::now()));
  r.end = r.incident.closed_at.value_or(std::max(r.generated_at, r.incident.updated_at));
  r.duration = r.end - r.incident.opened_at;

  LL_ASSIGN(r.timeline, store::ListAllEvents(store, r.incident.id));
  for (auto& e : r.timeline) {
    e.message = RedactLinks(std::move(e.message));
    if (e.type == store::event_type::kNote) r.notes.push_back(e);
  }

  store::PlaybookStore& pb = store.Playbook();
  auto lc = pb.GetLifecycle(r.incident.id);
  if (lc.ok()) {
    r.lifecycle = std::move(*lc);
  } else if (lc.error().code() != ErrorCode::kNotFound) {
    return lc.error();
  }
  store::RunQuery rq;
  rq.incident_id = r.incident.id;
  rq.limit = 1000;
  LL_ASSIGN(r.runs, pb.ListRuns(rq));
  LL_ASSIGN(r.steps, pb.ListSteps(r.incident.id));
  store::AssignmentQuery aq;
  aq.incident_id = r.incident.id;
  aq.limit = 1000;
  LL_ASSIGN(r.assignments, pb.ListAssignments(aq));

  LL_ASSIGN(r.detection, Detect(store, r.incident, r.timeline, options));

  LL_ASSIGN(std::vector<store::OutboxMessage> messages, AllMessages(store, r.incident.id));
  const PlaybookHints hints = Hints(r.timeline, r.assignments);
  bool from_playbook = false;
  for (const auto& m : messages) {
    r.messages.push_back(Summarize(m, hints, r.incident.id));
    from_playbook = from_playbook || r.messages.back().classified_by != "contact";
  }
  r.message_basis = from_playbook ? "playbook" : "contacts";
  r.first_alert = First(r.messages, Audience::kTeam, r.incident.opened_at);
  r.first_announcement = First(r.messages, Audience::kAudience, r.incident.opened_at);
  r.channels = CountChannels(r.messages);

  LL_ASSIGN(r.availability, Availability(store, r.incident, r.end, r.generated_at, options));
  LL_ASSIGN(r.listening, BuildListening(store, r, options));
  return r;
}

}  // namespace lifeline::report
