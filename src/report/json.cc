// The report as JSON (render.h): what GET /v1/incidents/{id}/report?format=json answers.
#include <utility>

#include "api/store_json.h"
#include "report/render.h"
#include "report/text.h"

namespace lifeline::report {
namespace {

using json = nlohmann::json;

json Time(store::Time t) { return IsoTime(t); }
json OptTime(const std::optional<store::Time>& t) { return t ? Time(*t) : json(nullptr); }

json Span(const std::optional<Duration>& d) {
  if (!d) return {{"ms", nullptr}, {"text", nullptr}};
  return {{"ms", d->count()}, {"text", HumanDuration(*d)}};
}

json First(const std::optional<FirstMessage>& f) {
  if (!f) return nullptr;
  return {{"message_id", f->message_id},
          {"channel", f->channel},
          {"to", f->to},
          {"delivered_at", Time(f->delivered_at)},
          {"after_open", Span(f->after_open)}};
}

json OptDouble(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

json Shares(const SentimentShares& s) {
  return {{"posts", s.posts},
          {"positive", s.positive},
          {"neutral", s.neutral},
          {"negative", s.negative},
          {"positive_share", OptDouble(s.Share(s.positive))},
          {"neutral_share", OptDouble(s.Share(s.neutral))},
          {"negative_share", OptDouble(s.Share(s.negative))},
          {"mean_compound", s.posts == 0 ? json(nullptr) : json(s.mean_compound)}};
}

json Posts(const std::vector<NotablePost>& posts) {
  json out = json::array();
  for (const NotablePost& p : posts) {
    out.push_back({{"source", p.source},
                   {"url", p.url.empty() ? json(nullptr) : json(p.url)},
                   {"author", p.author},
                   {"text", p.text},
                   {"posted_at", Time(p.posted_at)},
                   {"shares", p.shares},
                   {"compound", p.compound}});
  }
  return out;
}

json ListeningJson(const std::optional<ListeningSection>& l) {
  if (!l) return nullptr;
  json queries = json::array();
  for (const ListeningQuery& q : l->queries) {
    json hours = json::array();
    for (const ListeningHour& h : q.hours) {
      hours.push_back(
          {{"hour", Time(h.hour)},
           {"posts", h.posts ? json(*h.posts) : json(nullptr)},
           {"expected", OptDouble(h.expected)},
           {"usual", h.expected ? json(h.usual) : json(nullptr)},
           {"band", h.band_low && h.band_high ? json{{"low", *h.band_low}, {"high", *h.band_high}}
                                              : json(nullptr)},
           {"weeks", h.weeks},
           {"p_value", h.p_value},
           {"unusual", h.unusual},
           {"judged", h.judged.empty() ? json(nullptr) : json(h.judged)},
           {"spiking", h.spiking},
           {"fired", h.fired}});
    }
    queries.push_back({{"query", q.query},
                       {"kind", q.kind},
                       {"platform", q.platform.empty() ? json(nullptr) : json(q.platform)},
                       {"brand", q.brand.empty() ? json(nullptr) : json(q.brand)},
                       {"posts", q.posts},
                       {"expected", OptDouble(q.expected)},
                       {"spike_hours", q.spike_hours},
                       {"spike_evidence", q.spike_evidence},
                       {"hours", std::move(hours)},
                       {"sentiment", Shares(q.sentiment)},
                       {"usual_sentiment", Shares(q.usual_sentiment)},
                       {"usual_weeks", q.usual_weeks},
                       {"most_shared", Posts(q.most_shared)},
                       {"most_negative", Posts(q.most_negative)}});
  }
  return {{"from", Time(l->range.begin)},
          {"to", Time(l->range.end)},
          {"queries", std::move(queries)},
          {"missing_chatter", l->missing}};
}

}  // namespace

json ReportJson(const Report& r) {
  const store::Incident& inc = r.incident;
  json incident = {{"id", inc.id},
                   {"kind", store::IncidentKindName(inc.kind)},
                   {"domain", inc.domain},
                   {"platforms", inc.platforms},
                   {"verdict", core::VerdictName(inc.verdict)},
                   {"state", store::IncidentStateName(inc.state)},
                   {"title", inc.title},
                   {"opened_at", Time(inc.opened_at)},
                   {"closed_at", OptTime(inc.closed_at)},
                   {"duration", Span(r.duration)}};

  json timeline = json::array();
  for (const auto& e : r.timeline) timeline.push_back(api::EventJson(e));
  json notes = json::array();
  for (const auto& e : r.notes) notes.push_back(api::EventJson(e));

  json lifecycle = nullptr;
  if (r.lifecycle) {
    json transitions = json::array();
    for (const auto& t : r.lifecycle->transitions) {
      transitions.push_back({{"seq", t.seq},
                             {"from", t.from ? json(store::LifecycleName(*t.from)) : json(nullptr)},
                             {"to", store::LifecycleName(t.to)},
                             {"by", t.by},
                             {"note", t.note},
                             {"at", Time(t.at)}});
    }
    lifecycle = {{"state", store::LifecycleName(r.lifecycle->state)},
                 {"transitions", std::move(transitions)}};
  }
  json runs = json::array();
  for (const auto& run : r.runs) {
    runs.push_back({{"response", run.response},
                    {"state", store::RunStateName(run.state)},
                    {"reason", run.reason},
                    {"started_at", Time(run.started_at)},
                    {"ended_at", OptTime(run.ended_at)}});
  }
  json steps = json::array();
  for (const auto& s : r.steps) {
    steps.push_back({{"response", s.response},
                     {"step", s.step_id},
                     {"state", store::StepStateName(s.state)},
                     {"attempts", s.attempts},
                     {"last_error", s.last_error},
                     {"note", s.note},
                     {"started_at", OptTime(s.started_at)},
                     {"ended_at", OptTime(s.ended_at)}});
  }
  json tasks = json::array();
  for (const auto& a : r.assignments) {
    std::optional<Duration> to_ack;
    if (a.acknowledged_at) to_ack = *a.acknowledged_at - a.created_at;
    tasks.push_back({{"id", a.id},
                     {"kind", store::AssignmentKindName(a.kind)},
                     {"response", a.response},
                     {"step", a.step_id},
                     {"title", a.title},
                     {"role", a.role},
                     {"assignee", a.assignee},
                     {"notified", a.notified},
                     {"escalation_level", a.escalation_level},
                     {"state", store::AssignmentStateName(a.state)},
                     {"created_at", Time(a.created_at)},
                     {"acknowledged_by", a.acknowledged_by},
                     {"acknowledged_at", OptTime(a.acknowledged_at)},
                     {"time_to_acknowledge", Span(to_ack)},
                     {"ended_by", a.ended_by},
                     {"ended_at", OptTime(a.ended_at)},
                     {"note", a.note}});
  }

  json messages = json::array();
  for (const auto& m : r.messages) {
    messages.push_back({{"id", m.id},
                        {"audience", AudienceName(m.audience)},
                        {"classified_by", m.classified_by},
                        {"step", m.step},
                        {"channel", m.channel},
                        {"contact", m.contact},
                        {"recipient", m.recipient},
                        {"subject", m.subject},
                        {"text", m.text},
                        {"state", store::MessageStateName(m.state)},
                        {"reason", m.reason},
                        {"route", m.route},
                        {"rerouted_from", m.rerouted_from},
                        {"created_at", Time(m.created_at)},
                        {"delivered_at", OptTime(m.delivered_at)}});
  }
  json channels = json::array();
  for (const auto& c : r.channels) {
    channels.push_back({{"channel", c.channel},
                        {"total", c.total},
                        {"delivered", c.delivered},
                        {"failed", c.failed},
                        {"unconfirmed", c.unconfirmed},
                        {"pending", c.pending},
                        {"cancelled", c.cancelled},
                        {"rerouted_in", c.rerouted_in},
                        {"rerouted_away", c.rerouted_away}});
  }

  const AvailabilityWindow& w = r.availability;
  json platforms = json::array();
  for (std::size_t i = 0; i < w.platforms.size(); ++i) {
    const PlatformSeries& s = w.platforms[i];
    json buckets = json::array();
    for (const Bucket& b : s.buckets) {
      buckets.push_back({{"begin", Time(b.begin)},
                         {"rounds", b.rounds},
                         {"ok_rounds", b.ok_rounds},
                         {"availability", OptDouble(b.Availability())},
                         {"median_ms", OptDouble(b.median_ms)}});
    }
    json phases = json::array();
    for (const PhaseFigures& p : w.phases[i]) {
      phases.push_back({{"phase", p.phase},
                        {"from", Time(p.range.begin)},
                        {"to", Time(p.range.end)},
                        {"rounds", p.rounds},
                        {"ok_rounds", p.ok_rounds},
                        {"availability", p.rounds == 0 ? json(nullptr)
                                                       : json(static_cast<double>(p.ok_rounds) /
                                                              static_cast<double>(p.rounds))},
                        {"median_ms", OptDouble(p.median_ms)}});
    }
    platforms.push_back({{"platform", s.platform},
                         {"source", s.source},
                         {"phases", std::move(phases)},
                         {"buckets", std::move(buckets)}});
  }

  const Detection& d = r.detection;
  return {{"incident", std::move(incident)},
          {"generated_at", Time(r.generated_at)},
          {"figures",
           {{"time_to_detect", Span(d.time_to_detect)},
            {"onset", OptTime(d.onset)},
            {"onset_source", d.source},
            {"onset_detail", d.detail},
            {"first_team_alert", First(r.first_alert)},
            {"first_audience_announcement", First(r.first_announcement)},
            {"message_basis", r.message_basis}}},
          {"timeline", std::move(timeline)},
          {"lifecycle", std::move(lifecycle)},
          {"runs", std::move(runs)},
          {"steps", std::move(steps)},
          {"assignments", std::move(tasks)},
          {"messages", std::move(messages)},
          {"channels", std::move(channels)},
          {"availability",
           {{"from", Time(w.range.begin)},
            {"to", Time(w.range.end)},
            {"bucket_ms", w.bucket.count()},
            {"platforms", std::move(platforms)}}},
          {"notes", std::move(notes)},
          {"listening", ListeningJson(r.listening)}};
}

}  // namespace lifeline::report
