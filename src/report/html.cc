// The report as one self-contained HTML page (render.h): inline CSS, SVG charts drawn here (the
// timeline with the lifecycle's phases, availability and latency, messages per channel), no
// script and no outside resource. Every outside text goes through EscapeHtml.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "report/render.h"
#include "report/summary.h"
#include "report/text.h"

namespace lifeline::report {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

std::string H(std::string_view text) { return EscapeHtml(text); }

std::string Opt(const std::optional<store::Time>& t) { return t ? IsoTime(*t) : "—"; }

std::string Join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : ", ") + p;
  return out;
}

constexpr const char* kStyle = R"(
:root { --ink: #1d2330; --muted: #5b6475; --line: #d8dde6; --bg: #f6f7f9; --red: #c93c3c;
  --amber: #d99a1e; --green: #2f9a5b; --blue: #2f6fd0; --violet: #7b52c7; --grey: #9aa3b2; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--ink); background: var(--bg); }
header, main, footer { max-width: 1040px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 28px; }
h1 { font-size: 26px; margin: 0 0 4px; overflow-wrap: anywhere; }
h2 { font-size: 20px; margin: 36px 0 12px; border-bottom: 1px solid var(--line);
  padding-bottom: 4px; }
h3 { font-size: 16px; margin: 22px 0 8px; }
h4 { font-size: 14px; margin: 14px 0 6px; }
.sub { color: var(--muted); margin: 0 0 16px; }
.facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(220px, 1fr)); gap: 8px;
  margin: 16px 0; }
.fact { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 8px 12px; }
.fact .label { display: block; font-size: 12px; color: var(--muted); font-weight: 600;
  text-transform: uppercase; letter-spacing: .03em; }
.figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); gap: 12px; }
.figure { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; }
.figure .name { font-size: 13px; color: var(--muted); }
.figure .value { font-size: 24px; font-weight: 650; }
.figure .how { font-size: 13px; color: var(--muted); overflow-wrap: anywhere; }
table { width: 100%; border-collapse: collapse; background: #fff; margin: 8px 0 16px;
  font-size: 13.5px; }
th, td { text-align: left; vertical-align: top; padding: 5px 8px; border-bottom: 1px solid var(--line);
  overflow-wrap: break-word; }
th { background: #eef1f5; font-weight: 600; }
td.num, th.num { text-align: right; white-space: nowrap; }
td.time { white-space: nowrap; font-variant-numeric: tabular-nums; }
.chart { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 8px;
  margin: 8px 0 16px; }
.chart svg { width: 100%; height: auto; display: block; }
.badge { display: inline-block; padding: 0 7px; border-radius: 10px; font-size: 12px;
  background: #eef1f5; }
.lessons .fill { min-height: 3em; border: 1px dashed var(--line); border-radius: 6px;
  background: #fff; padding: 8px; color: var(--muted); }
blockquote { margin: 8px 0; padding: 6px 12px; border-left: 4px solid var(--line); background: #fff;
  white-space: pre-wrap; }
footer { color: var(--muted); font-size: 13px; padding-bottom: 32px; }
@media print { body { background: #fff; } .chart, .figure, .fact { break-inside: avoid; } }
)";

// ---- SVG helpers ----

const char* kRed = "#c93c3c";
const char* kAmber = "#d99a1e";
const char* kGreen = "#2f9a5b";
const char* kBlue = "#2f6fd0";
const char* kViolet = "#7b52c7";
const char* kGrey = "#9aa3b2";
const char* kInk = "#1d2330";
const char* kMuted = "#5b6475";
const char* kLine = "#d8dde6";

std::string Num(double v) {
  std::string s = fmt::format("{:.1f}", v);
  if (s.ends_with(".0")) s.resize(s.size() - 2);
  return s;
}

// Time -> x on [x0, x1].
struct TimeScale {
  store::Time lo;
  store::Time hi;
  double x0;
  double x1;
  double X(store::Time t) const {
    const double span = static_cast<double>((hi - lo).count());
    const double f = span <= 0 ? 0 : static_cast<double>((t - lo).count()) / span;
    return x0 + std::clamp(f, 0.0, 1.0) * (x1 - x0);
  }
};

Duration TickStep(Duration span) {
  static const Duration kSteps[] = {seconds(1), seconds(5), seconds(10), seconds(30), minutes(1),
                                    minutes(2), minutes(5), minutes(10), minutes(15), minutes(30),
                                    hours(1),   hours(2),   hours(3),    hours(6),    hours(12),
                                    hours(24),  hours(48),  hours(168)};
  for (Duration s : kSteps) {
    if (span / s <= 8) return s;
  }
  return hours(168);
}

std::string TickLabel(store::Time t, Duration step, Duration span) {
  std::string iso = IsoTime(t);  // 2026-11-27T10:00:00Z
  if (span >= hours(24)) return iso.substr(5, 5) + " " + iso.substr(11, 5);
  return step < minutes(1) ? iso.substr(11, 8) : iso.substr(11, 5);
}

// Vertical grid lines and time labels along y = `y`.
std::string Axis(const TimeScale& s, double top, double y) {
  std::string out;
  const Duration span = s.hi - s.lo;
  const Duration step = TickStep(span);
  const std::int64_t w = step.count();
  std::int64_t t = (store::ToMillis(s.lo) + w - 1) / w * w;
  out += fmt::format(R"(<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" />)", Num(s.x0), Num(y),
                     Num(s.x1), Num(y), kMuted);
  for (; t <= store::ToMillis(s.hi); t += w) {
    const double x = s.X(store::FromMillis(t));
    out += fmt::format(R"(<line x1="{0}" y1="{1}" x2="{0}" y2="{2}" stroke="{3}" />)", Num(x),
                       Num(top), Num(y), kLine);
    out += fmt::format(
        R"(<text x="{}" y="{}" font-size="11" text-anchor="middle" fill="{}">{}</text>)", Num(x),
        Num(y + 14), kMuted, TickLabel(store::FromMillis(t), step, span));
  }
  return out;
}

std::string Title(std::string_view text) { return "<title>" + H(text) + "</title>"; }

std::string Svg(double width, double height, std::string_view label, const std::string& body) {
  return fmt::format(
             R"(<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" width="{}" height="{}" role="img" aria-label="{}">)",
             Num(width), Num(height), Num(width), Num(height), H(label)) +
         body + "</svg>";
}

const char* PhaseColor(store::Lifecycle l) {
  switch (l) {
    case store::Lifecycle::kDetected:
      return "#e7b4b4";
    case store::Lifecycle::kAcknowledged:
      return "#f0d29a";
    case store::Lifecycle::kMitigating:
      return "#b9cdf0";
    case store::Lifecycle::kMonitoring:
      return "#cdbfe9";
    case store::Lifecycle::kResolved:
      return "#b8e0c6";
    case store::Lifecycle::kReviewed:
      return "#d5dae2";
  }
  return "#d5dae2";
}

const char* CategoryColor(std::string_view category) {
  if (category == "incident") return kRed;
  if (category == "playbook") return kBlue;
  if (category == "relay") return kViolet;
  if (category == "note") return kAmber;
  return kGrey;
}

std::string Legend(double x, double y,
                   const std::vector<std::pair<std::string, std::string>>& items) {
  std::string out;
  for (const auto& [color, label] : items) {
    out += fmt::format(R"(<rect x="{}" y="{}" width="10" height="10" rx="2" fill="{}" />)", Num(x),
                       Num(y - 9), color);
    out += fmt::format(R"(<text x="{}" y="{}" font-size="11" fill="{}">{}</text>)", Num(x + 14),
                       Num(y), kInk, H(label));
    x += 24 + 6.5 * static_cast<double>(label.size());
  }
  return out;
}

// The timeline: the incident's span (and the detection delay before it), the lifecycle's
// phases, every event and every message.
std::string TimelineChart(const Report& r) {
  const store::Incident& inc = r.incident;
  store::Time lo = inc.opened_at, hi = r.end;
  if (r.detection.onset) lo = std::min(lo, *r.detection.onset);
  for (const auto& e : r.timeline) {
    lo = std::min(lo, e.at);
    hi = std::max(hi, e.at);
  }
  for (const auto& m : r.messages) hi = std::max(hi, m.delivered_at.value_or(m.created_at));
  if (r.lifecycle) {
    for (const auto& t : r.lifecycle->transitions) hi = std::max(hi, t.at);
  }
  if (hi <= lo) hi = lo + minutes(1);
  const Duration pad = std::max<Duration>((hi - lo) / 30, seconds(1));
  const double width = 960;
  TimeScale s{lo - pad, hi + pad, 110, width - 20};
  std::string b;
  const double rows[] = {22, 58, 94, 130};
  const char* names[] = {"Incident", "Lifecycle", "Events", "Messages"};
  for (int i = 0; i < 4; ++i) {
    b += fmt::format(R"(<text x="8" y="{}" font-size="12" fill="{}">{}</text>)", Num(rows[i] + 4),
                     kInk, names[i]);
  }
  b += Axis(s, 6, 156);
  // Incident: detection (onset -> opened) and the open span.
  if (r.detection.onset && *r.detection.onset < inc.opened_at) {
    const double x0 = s.X(*r.detection.onset), x1 = s.X(inc.opened_at);
    b += fmt::format(
        R"(<rect x="{}" y="{}" width="{}" height="16" fill="{}" fill-opacity="0.35" stroke="{}" stroke-dasharray="3 2">{}</rect>)",
        Num(x0), Num(rows[0] - 8), Num(std::max(1.0, x1 - x0)), kAmber, kAmber,
        Title("Detecting: " + HumanDuration(inc.opened_at - *r.detection.onset) + " from " +
              IsoTime(*r.detection.onset)));
  }
  {
    const double x0 = s.X(inc.opened_at), x1 = s.X(r.end);
    b += fmt::format(
        R"(<rect x="{}" y="{}" width="{}" height="16" rx="3" fill="{}">{}</rect>)", Num(x0),
        Num(rows[0] - 8), Num(std::max(2.0, x1 - x0)), kRed,
        Title(fmt::format("{} {} → {} ({})", core::VerdictName(inc.verdict), IsoTime(inc.opened_at),
                          ClosedText(r), HumanDuration(r.duration))));
    if (x1 - x0 > 80) {
      b += fmt::format(R"(<text x="{}" y="{}" font-size="11" fill="#fff">{}</text>)", Num(x0 + 6),
                       Num(rows[0] + 4), H(core::VerdictName(inc.verdict)));
    }
  }
  // Lifecycle phases.
  for (const PhaseSpan& p : LifecyclePhases(r, s.hi - pad)) {
    const double x0 = s.X(p.begin), x1 = s.X(p.end);
    const std::string name(store::LifecycleName(p.state));
    b += fmt::format(R"(<rect x="{}" y="{}" width="{}" height="20" fill="{}">{}</rect>)", Num(x0),
                     Num(rows[1] - 10), Num(std::max(1.0, x1 - x0)), PhaseColor(p.state),
                     Title(fmt::format("{} from {} (by {})", name, IsoTime(p.begin), p.by)));
    if (x1 - x0 > 7.0 * static_cast<double>(name.size()) + 8) {
      b += fmt::format(R"(<text x="{}" y="{}" font-size="11" fill="{}">{}</text>)", Num(x0 + 4),
                       Num(rows[1] + 4), kInk, H(name));
    }
  }
  if (!r.lifecycle) {
    b += fmt::format(R"(<text x="{}" y="{}" font-size="11" fill="{}">no playbook response</text>)",
                     Num(s.x0), Num(rows[1] + 4), kMuted);
  }
  // Events.
  for (const auto& e : r.timeline) {
    b += fmt::format(R"(<circle cx="{}" cy="{}" r="4.5" fill="{}" fill-opacity="0.85">{}</circle>)",
                     Num(s.X(e.at)), Num(rows[2]), CategoryColor(EventCategory(e.type)),
                     Title(ClockTime(e.at) + " " + e.type + ": " + Shorten(e.message, 300)));
  }
  // Messages: filled when delivered (at delivery), hollow otherwise (at creation).
  for (const auto& m : r.messages) {
    const char* color = m.audience == Audience::kTeam ? kBlue : kGreen;
    const bool delivered = m.delivered_at.has_value();
    const std::string what =
        fmt::format("{} {} on {}: {}", ClockTime(m.delivered_at.value_or(m.created_at)),
                    AudienceName(m.audience), m.channel, store::MessageStateName(m.state));
    if (delivered) {
      b += fmt::format(R"(<circle cx="{}" cy="{}" r="4.5" fill="{}">{}</circle>)",
                       Num(s.X(*m.delivered_at)), Num(rows[3]), color, Title(what));
    } else {
      b += fmt::format(
          R"(<circle cx="{}" cy="{}" r="4" fill="#fff" stroke="{}" stroke-width="2">{}</circle>)",
          Num(s.X(m.created_at)), Num(rows[3]),
          m.state == store::MessageState::kFailed || m.state == store::MessageState::kDeadLettered
              ? kRed
              : color,
          Title(what));
    }
  }
  b += Legend(110, 196,
              {{kAmber, "detecting"},
               {kRed, "incident / incident event"},
               {kBlue, "playbook event / team message"},
               {kViolet, "relay event"},
               {kGreen, "audience message"}});
  double x = 110;
  std::string legend2;
  for (store::Lifecycle l : store::kAllLifecycles) {
    const std::string name(store::LifecycleName(l));
    legend2 += fmt::format(R"(<rect x="{}" y="{}" width="10" height="10" rx="2" fill="{}" />)",
                           Num(x), Num(207), PhaseColor(l));
    legend2 += fmt::format(R"(<text x="{}" y="{}" font-size="11" fill="{}">{}</text>)", Num(x + 14),
                           Num(216), kInk, H(name));
    x += 24 + 6.5 * static_cast<double>(name.size());
  }
  b += legend2;
  return Svg(width, 226, "Timeline of the incident", b);
}

// Availability (bars per bucket) and latency (median line) of one platform over the window.
std::string AvailabilityChart(const Report& r, const PlatformSeries& series) {
  const AvailabilityWindow& w = r.availability;
  const double width = 960;
  TimeScale s{w.range.begin, w.range.end, 56, width - 20};
  std::string b;
  // Availability: 0..100% on y in [top, top + h]; latency: 0..ceiling on [ltop, ltop + lh]; each
  // with its label above it.
  const double top = 22, h = 90, ltop = 146, lh = 70;
  const double inc0 = s.X(r.incident.opened_at), inc1 = s.X(r.end);
  b += fmt::format(
      R"(<rect x="{}" y="{}" width="{}" height="{}" fill="{}" fill-opacity="0.08">{}</rect>)",
      Num(inc0), Num(top), Num(std::max(1.0, inc1 - inc0)), Num(ltop + lh - top), kRed,
      Title("the incident: " + IsoTime(r.incident.opened_at) + " → " + ClosedText(r)));
  b += Axis(s, top, ltop + lh + 6);
  b += fmt::format(R"(<text x="{}" y="{}" font-size="11" fill="{}">availability</text>)", Num(s.x0),
                   Num(top - 8), kMuted);
  b += fmt::format(R"(<text x="{}" y="{}" font-size="11" fill="{}">median latency</text>)",
                   Num(s.x0), Num(ltop - 8), kMuted);
  for (double f : {0.0, 0.5, 1.0}) {
    const double y = top + h - f * h;
    b += fmt::format(R"(<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" />)", Num(s.x0), Num(y),
                     Num(s.x1), Num(y), kLine);
    b += fmt::format(R"(<text x="{}" y="{}" font-size="11" text-anchor="end" fill="{}">{}%</text>)",
                     Num(s.x0 - 6), Num(y + 4), kMuted, Num(f * 100));
  }
  for (const Bucket& bk : series.buckets) {
    const double x0 = s.X(bk.begin), x1 = s.X(bk.begin + w.bucket);
    const double bw = std::max(1.0, x1 - x0 - 1);
    auto share = bk.Availability();
    if (!share) continue;
    const char* color = *share >= 0.999 ? kGreen : *share > 0 ? kAmber : kRed;
    const double bh = std::max(2.0, *share * h);
    b += fmt::format(R"(<rect x="{}" y="{}" width="{}" height="{}" fill="{}">{}</rect>)", Num(x0),
                     Num(top + h - bh), Num(bw), Num(bh), color,
                     Title(fmt::format("{}: {} of {} rounds ({})", ClockTime(bk.begin),
                                       bk.ok_rounds, bk.rounds, Percent(share))));
  }
  double most = 0;
  for (const Bucket& bk : series.buckets) most = std::max(most, bk.median_ms.value_or(0));
  // A round ceiling: 10, 20, 50, 100, 200, 500, ... ms.
  double ceiling = 10;
  for (int k = 0; ceiling < most * 1.1; ++k) ceiling *= k % 3 == 1 ? 2.5 : 2;
  for (double f : {0.0, 0.5, 1.0}) {
    const double y = ltop + lh - f * lh;
    b += fmt::format(R"(<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" />)", Num(s.x0), Num(y),
                     Num(s.x1), Num(y), kLine);
    b += fmt::format(R"(<text x="{}" y="{}" font-size="11" text-anchor="end" fill="{}">{}</text>)",
                     Num(s.x0 - 6), Num(y + 4), kMuted, Num(f * ceiling) + " ms");
  }
  std::string points;
  auto flush = [&] {
    if (points.find(' ') != std::string::npos) {
      b += fmt::format(R"(<polyline points="{}" fill="none" stroke="{}" stroke-width="2" />)",
                       points, kBlue);
    }
    points.clear();
  };
  for (const Bucket& bk : series.buckets) {
    if (!bk.median_ms) {
      flush();
      continue;
    }
    const double x = (s.X(bk.begin) + s.X(bk.begin + w.bucket)) / 2;
    const double y = ltop + lh - std::min(1.0, *bk.median_ms / ceiling) * lh;
    points += (points.empty() ? "" : " ") + Num(x) + "," + Num(y);
  }
  flush();
  for (const Bucket& bk : series.buckets) {
    if (!bk.median_ms) continue;
    const double x = (s.X(bk.begin) + s.X(bk.begin + w.bucket)) / 2;
    const double y = ltop + lh - std::min(1.0, *bk.median_ms / ceiling) * lh;
    b += fmt::format(R"(<circle cx="{}" cy="{}" r="2.5" fill="{}">{}</circle>)", Num(x), Num(y),
                     kBlue, Title(ClockTime(bk.begin) + ": median " + Millis(bk.median_ms)));
  }
  return Svg(width, ltop + lh + 28, "Availability and latency of " + series.platform, b);
}

// Messages per channel: one stacked bar per channel.
std::string ChannelChart(const Report& r) {
  const double width = 960, row = 26, left = 170, right = 250;
  std::int64_t most = 1;
  for (const auto& c : r.channels) most = std::max(most, c.total);
  const double scale = (width - left - right) / static_cast<double>(most);
  std::string b;
  double y = 10;
  for (const auto& c : r.channels) {
    b += fmt::format(R"(<text x="{}" y="{}" font-size="12" text-anchor="end" fill="{}">{}</text>)",
                     Num(left - 8), Num(y + 13), kInk, H(Shorten(c.channel, 40)));
    double x = left;
    const std::pair<std::int64_t, std::pair<const char*, const char*>> parts[] = {
        {c.delivered, {kGreen, "delivered"}},
        {c.failed, {kRed, "failed"}},
        {c.unconfirmed, {kAmber, "unconfirmed"}},
        {c.pending, {kGrey, "pending"}},
        {c.cancelled, {kLine, "cancelled"}}};
    for (const auto& [n, look] : parts) {
      if (n == 0) continue;
      const double w = static_cast<double>(n) * scale;
      b += fmt::format(R"(<rect x="{}" y="{}" width="{}" height="18" fill="{}">{}</rect>)", Num(x),
                       Num(y), Num(w), look.first,
                       Title(fmt::format("{}: {} {}", c.channel, n, look.second)));
      x += w;
    }
    std::string note = fmt::format("{} message{}", c.total, c.total == 1 ? "" : "s");
    if (c.rerouted_in > 0) note += fmt::format(", {} rerouted here", c.rerouted_in);
    if (c.rerouted_away > 0) note += fmt::format(", {} failed over away", c.rerouted_away);
    b += fmt::format(R"(<text x="{}" y="{}" font-size="12" fill="{}">{}</text>)", Num(x + 8),
                     Num(y + 13), kMuted, H(note));
    y += row;
  }
  b += Legend(left, y + 14,
              {{kGreen, "delivered"},
               {kRed, "failed"},
               {kAmber, "unconfirmed"},
               {kGrey, "pending"},
               {kLine, "cancelled"}});
  return Svg(width, y + 24, "Messages per channel", b);
}

// Posts per hour of one listening query (bars, red while the detector saw a spike) against the
// expectation (a dashed line) and the usual range of past weeks (a band), the incident shaded.
std::string VolumeChart(const Report& r, const ListeningQuery& q) {
  const ListeningSection& l = r.listening.value();
  const double width = 960, top = 22, h = 150;
  TimeScale s{l.range.begin, l.range.end, 56, width - 20};
  double most = 1;
  for (const ListeningHour& hr : q.hours) {
    most = std::max(most, static_cast<double>(hr.posts.value_or(0)));
    most = std::max(most, static_cast<double>(hr.band_high.value_or(0)));
    most = std::max(most, hr.expected.value_or(0));
  }
  most *= 1.1;
  auto y = [&](double v) { return top + h - std::min(1.0, v / most) * h; };
  std::string b;
  const double inc0 = s.X(r.incident.opened_at), inc1 = s.X(r.end);
  b += fmt::format(
      R"(<rect x="{}" y="{}" width="{}" height="{}" fill="{}" fill-opacity="0.08">{}</rect>)",
      Num(inc0), Num(top), Num(std::max(1.0, inc1 - inc0)), Num(h), kRed,
      Title("the incident: " + IsoTime(r.incident.opened_at) + " → " + ClosedText(r)));
  b += Axis(s, top, top + h + 6);
  b += fmt::format(R"(<text x="{}" y="{}" font-size="11" fill="{}">posts per hour</text>)",
                   Num(s.x0), Num(top - 8), kMuted);
  for (double f : {0.0, 0.5, 1.0}) {
    const double v = f * most / 1.1;
    b += fmt::format(R"(<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" />)", Num(s.x0),
                     Num(y(v)), Num(s.x1), Num(y(v)), kLine);
    b += fmt::format(R"(<text x="{}" y="{}" font-size="11" text-anchor="end" fill="{}">{}</text>)",
                     Num(s.x0 - 6), Num(y(v) + 4), kMuted, Num(v));
  }
  std::string expected_path;
  for (const ListeningHour& hr : q.hours) {
    const double x0 = s.X(hr.hour), x1 = s.X(hr.hour + hours(1));
    if (hr.band_low && hr.band_high) {
      b += fmt::format(
          R"(<rect x="{}" y="{}" width="{}" height="{}" fill="{}" fill-opacity="0.18" />)", Num(x0),
          Num(y(static_cast<double>(*hr.band_high))), Num(std::max(1.0, x1 - x0)),
          Num(std::max(
              1.0, y(static_cast<double>(*hr.band_low)) - y(static_cast<double>(*hr.band_high)))),
          kGrey);
    }
    if (hr.expected) {
      expected_path += fmt::format("{}{} {} L{} {} ", expected_path.empty() ? "M" : "L", Num(x0),
                                   Num(y(*hr.expected)), Num(x1), Num(y(*hr.expected)));
    }
    const double bw = std::max(1.0, (x1 - x0) * 0.6);
    const double bx = x0 + (x1 - x0 - bw) / 2;
    if (!hr.posts) {
      b += fmt::format(
          R"(<rect x="{}" y="{}" width="{}" height="{}" fill="none" stroke="{}" stroke-dasharray="3 3">{}</rect>)",
          Num(bx), Num(top), Num(bw), Num(h), kGrey,
          Title(ClockTime(hr.hour) + ": no data (collection was not running)"));
      continue;
    }
    const double v = static_cast<double>(*hr.posts);
    b += fmt::format(R"(<rect x="{}" y="{}" width="{}" height="{}" fill="{}">{}</rect>)", Num(bx),
                     Num(y(v)), Num(bw), Num(std::max(0.0, top + h - y(v))),
                     hr.spiking || hr.fired ? kRed : kBlue,
                     Title(fmt::format("{}: {} posts, expected {}; {}", ClockTime(hr.hour),
                                       *hr.posts, ExpectedText(hr), JudgedText(hr))));
  }
  if (!expected_path.empty()) {
    b += fmt::format(
        R"(<path d="{}" fill="none" stroke="{}" stroke-width="1.5" stroke-dasharray="5 3" />)",
        expected_path, kInk);
  }
  b += Legend(56, top + h + 44,
              {{kBlue, "posts"},
               {kRed, "posts while a spike was on"},
               {kInk, "expected"},
               {kGrey, "usual range (same hour, past weeks)"}});
  return Svg(width, top + h + 54, "Posts per hour of " + QueryTitle(q), b);
}

// ---- sections ----

void Header(std::string& out, const Report& r) {
  const store::Incident& inc = r.incident;
  out += "<header>\n<h1>Incident report: " + H(inc.title.empty() ? inc.id : inc.title) + "</h1>\n";
  out += "<p class=\"sub\">" + H(inc.id) + " · generated " + IsoTime(r.generated_at) + "</p>\n";
  out += "<div class=\"facts\">\n";
  auto fact = [&](std::string_view name, const std::string& escaped_value) {
    out += fmt::format("<div class=\"fact\"><span class=\"label\">{}</span>{}</div>\n", name,
                       escaped_value);
  };
  fact("Platforms", H(Join(inc.platforms)));
  fact("Failure domain", inc.domain.empty() ? "—" : H(inc.domain));
  fact("Kind", H(store::IncidentKindName(inc.kind)));
  fact("Verdict", H(core::VerdictName(inc.verdict)));
  fact("Opened", IsoTime(inc.opened_at));
  fact("Closed", ClosedText(r));
  fact("Duration", HumanDuration(r.duration) + (inc.closed_at ? "" : " so far"));
  fact("Response",
       r.lifecycle ? H(store::LifecycleName(r.lifecycle->state)) : "no playbook response ran");
  out += "</div>\n</header>\n";
}

void Figures(std::string& out, const Report& r) {
  out += "<section id=\"figures\">\n<h2>Key figures</h2>\n<div class=\"figures\">\n";
  for (const FigureRow& f : KeyFigures(r)) {
    out += fmt::format(
        "<div class=\"figure\"><div class=\"name\">{}</div><div class=\"value\">{}</div>"
        "<div class=\"how\">{}{}</div></div>\n",
        H(f.name), H(f.value), f.when.empty() ? "" : H(f.when) + "<br>", H(f.how));
  }
  out +=
      "</div>\n<p class=\"sub\">Time to detect runs from the failure's onset to the "
      "incident's opening; the alert and announcement figures from the opening to the first "
      "delivered message (docs/report.md says how each is computed).</p>\n</section>\n";
}

void Timeline(std::string& out, const Report& r) {
  out += "<section id=\"timeline\">\n<h2>Timeline</h2>\n";
  out += "<div class=\"chart\">" + TimelineChart(r) + "</div>\n";
  out +=
      "<table>\n<thead><tr><th>Time (UTC)</th><th>Since opening</th><th>Event</th>"
      "<th>What happened</th></tr></thead>\n<tbody>\n";
  for (const auto& e : r.timeline) {
    out += fmt::format(
        "<tr><td class=\"time\">{}</td><td class=\"time\">{}</td><td><span class=\"badge\">{}"
        "</span></td><td>{}</td></tr>\n",
        ClockTime(e.at), Offset(e.at - r.incident.opened_at), H(e.type), H(e.message));
  }
  out += "</tbody>\n</table>\n</section>\n";
}

void Lifecycle(std::string& out, const Report& r) {
  out += "<section id=\"lifecycle\">\n<h2>Lifecycle</h2>\n";
  if (!r.lifecycle) {
    out += "<p>No playbook response ran for this incident.</p>\n</section>\n";
    return;
  }
  out +=
      "<table>\n<thead><tr><th>Time (UTC)</th><th>Since opening</th><th>From</th><th>To</th>"
      "<th>By</th><th>Note</th></tr></thead>\n<tbody>\n";
  for (const auto& t : r.lifecycle->transitions) {
    out += fmt::format(
        "<tr><td class=\"time\">{}</td><td class=\"time\">{}</td><td>{}</td><td>{}</td><td>{}"
        "</td><td>{}</td></tr>\n",
        ClockTime(t.at), Offset(t.at - r.incident.opened_at),
        t.from ? H(store::LifecycleName(*t.from)) : "—", H(store::LifecycleName(t.to)), H(t.by),
        H(t.note));
  }
  out += "</tbody>\n</table>\n</section>\n";
}

void Response(std::string& out, const Report& r) {
  if (r.runs.empty() && r.steps.empty()) return;
  out += "<section id=\"response\">\n<h2>Response</h2>\n";
  if (!r.runs.empty()) {
    out +=
        "<table>\n<thead><tr><th>Response</th><th>State</th><th>Started</th><th>Ended</th>"
        "<th>Why it ended</th></tr></thead>\n<tbody>\n";
    for (const auto& run : r.runs) {
      out += fmt::format(
          "<tr><td>{}</td><td>{}</td><td class=\"time\">{}</td><td class=\"time\">{}</td>"
          "<td>{}</td></tr>\n",
          H(run.response), H(store::RunStateName(run.state)), IsoTime(run.started_at),
          Opt(run.ended_at), H(run.reason));
    }
    out += "</tbody>\n</table>\n";
  }
  if (!r.steps.empty()) {
    out +=
        "<table>\n<thead><tr><th>Response</th><th>Step</th><th>State</th>"
        "<th class=\"num\">Attempts</th><th>Started</th><th>Ended</th><th>Note</th></tr>"
        "</thead>\n<tbody>\n";
    for (const auto& s : r.steps) {
      std::string note = s.note;
      if (!s.last_error.empty()) note += (note.empty() ? "" : "; ") + ("error: " + s.last_error);
      out += fmt::format(
          "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"time\">{}"
          "</td><td class=\"time\">{}</td><td>{}</td></tr>\n",
          H(s.response), H(s.step_id), H(store::StepStateName(s.state)), s.attempts,
          Opt(s.started_at), Opt(s.ended_at), H(note));
    }
    out += "</tbody>\n</table>\n";
  }
  out += "</section>\n";
}

void Tasks(std::string& out, const Report& r) {
  out += "<section id=\"tasks\">\n<h2>Tasks and who did them</h2>\n";
  if (r.assignments.empty()) {
    out += "<p>Nothing was assigned to people.</p>\n</section>\n";
    return;
  }
  out +=
      "<table>\n<thead><tr><th>Kind</th><th>What</th><th>For</th><th>Told</th><th>State</th>"
      "<th>Acknowledged</th><th>Ended</th><th>Time to acknowledge</th><th>Note</th></tr>"
      "</thead>\n<tbody>\n";
  for (const auto& a : r.assignments) {
    std::string who = a.role.empty() ? a.assignee : a.role;
    if (!a.role.empty() && !a.assignee.empty()) who += " (" + a.assignee + ")";
    std::string told = Join(a.notified);
    if (a.escalation_level >= 0) {
      told += fmt::format(" (escalated to level {})", a.escalation_level + 1);
    }
    out += fmt::format(
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"time\">{}</td>"
        "<td class=\"time\">{}</td><td>{}</td><td>{}</td></tr>\n",
        H(store::AssignmentKindName(a.kind)), H(a.title), H(who), H(told),
        H(store::AssignmentStateName(a.state)),
        a.acknowledged_at ? ClockTime(*a.acknowledged_at) + " by " + H(a.acknowledged_by) : "—",
        a.ended_at ? ClockTime(*a.ended_at) + " by " + H(a.ended_by) : "—",
        a.acknowledged_at ? HumanDuration(*a.acknowledged_at - a.created_at) : "—", H(a.note));
  }
  out += "</tbody>\n</table>\n</section>\n";
}

void Messages(std::string& out, const Report& r) {
  out += "<section id=\"messages\">\n<h2>Messages</h2>\n";
  if (r.messages.empty()) {
    out += "<p>No message was sent for this incident.</p>\n</section>\n";
    return;
  }
  out += r.message_basis == "playbook"
             ? "<p>Team alerts and audience announcements are told apart by the playbook's "
               "records (notify, task and approval steps reach people; post steps reach the "
               "audience); messages without such a record by their contact.</p>\n"
             : "<p>No playbook record names these messages: a message to a contact counts as a "
               "team alert, one without as an audience announcement.</p>\n";
  out += "<h3>Per channel</h3>\n<div class=\"chart\">" + ChannelChart(r) + "</div>\n";
  out +=
      "<table>\n<thead><tr><th>Channel</th><th class=\"num\">Messages</th>"
      "<th class=\"num\">Delivered</th><th class=\"num\">Failed</th>"
      "<th class=\"num\">Unconfirmed</th><th class=\"num\">Pending</th>"
      "<th class=\"num\">Cancelled</th><th class=\"num\">Rerouted here</th>"
      "<th class=\"num\">Failed over from here</th></tr></thead>\n<tbody>\n";
  for (const auto& c : r.channels) {
    out += fmt::format(
        "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}"
        "</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>"
        "<td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
        H(c.channel), c.total, c.delivered, c.failed, c.unconfirmed, c.pending, c.cancelled,
        c.rerouted_in, c.rerouted_away);
  }
  out += "</tbody>\n</table>\n<h3>Every message</h3>\n";
  out +=
      "<table>\n<thead><tr><th>Created (UTC)</th><th>For</th><th>Channel</th><th>To</th>"
      "<th>State</th><th>Delivered</th><th>Route</th><th>Text</th></tr></thead>\n<tbody>\n";
  for (const auto& m : r.messages) {
    std::string to = m.contact.empty() ? m.recipient : m.contact;
    std::string state(store::MessageStateName(m.state));
    if (!m.reason.empty() && m.state != store::MessageState::kDelivered) state += ": " + m.reason;
    out += fmt::format(
        "<tr><td class=\"time\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
        "<td class=\"time\">{}</td><td>{}</td><td>{}</td></tr>\n",
        ClockTime(m.created_at), H(AudienceName(m.audience)), H(m.channel),
        to.empty() ? "(channel)" : H(to), H(state),
        m.delivered_at ? Offset(*m.delivered_at - r.incident.opened_at) : "—", H(m.route),
        H(Shorten(m.text, 300)));
  }
  out += "</tbody>\n</table>\n</section>\n";
}

void Availability(std::string& out, const Report& r) {
  const AvailabilityWindow& w = r.availability;
  out += "<section id=\"availability\">\n<h2>Availability and latency</h2>\n";
  out += fmt::format(
      "<p>From {} to {}, in buckets of {}. Availability is the share of probe rounds in which "
      "every probe of the platform succeeded; latency the median total time of the probes that "
      "succeeded. The shaded span is the incident.</p>\n",
      IsoTime(w.range.begin), IsoTime(w.range.end), HumanDuration(w.bucket));
  for (std::size_t i = 0; i < w.platforms.size(); ++i) {
    const PlatformSeries& s = w.platforms[i];
    out += "<h3>" + H(s.platform) + "</h3>\n";
    if (s.source.empty()) {
      out += "<p>The store holds no probe results of this platform for the window.</p>\n";
      continue;
    }
    if (s.source == "aggregates") {
      out +=
          "<p>Raw samples were pruned: figures from the one-minute aggregates (share of "
          "successful probes, median of the minutes' medians).</p>\n";
    }
    out += "<div class=\"chart\">" + AvailabilityChart(r, s) + "</div>\n";
    out +=
        "<table>\n<thead><tr><th>Phase</th><th>From</th><th>To</th><th class=\"num\">Rounds"
        "</th><th class=\"num\">Successful</th><th class=\"num\">Availability</th>"
        "<th class=\"num\">Median latency</th></tr></thead>\n<tbody>\n";
    for (const PhaseFigures& p : w.phases[i]) {
      std::optional<double> share;
      if (p.rounds > 0) share = static_cast<double>(p.ok_rounds) / static_cast<double>(p.rounds);
      out += fmt::format(
          "<tr><td>{}</td><td class=\"time\">{}</td><td class=\"time\">{}</td><td class=\"num\">"
          "{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>"
          "</tr>\n",
          p.phase, ClockTime(p.range.begin), ClockTime(p.range.end), p.rounds, p.ok_rounds,
          Percent(share), Millis(p.median_ms));
    }
    out += "</tbody>\n</table>\n";
  }
  out += "</section>\n";
}

void PostsTable(std::string& out, const char* heading, const std::vector<NotablePost>& posts) {
  out += std::string("<h4>") + heading + "</h4>\n";
  out +=
      "<table>\n<thead><tr><th>Posted (UTC)</th><th>Source</th><th>Author</th>"
      "<th class=\"num\">Shares</th><th class=\"num\">Sentiment</th><th>Post</th></tr>"
      "</thead>\n<tbody>\n";
  for (const NotablePost& p : posts) {
    std::string text = H(Shorten(p.text, 300));
    if (!p.url.empty()) {
      text += " <a href=\"" + H(p.url) + "\" rel=\"noopener noreferrer nofollow\">link</a>";
    }
    out += fmt::format(
        "<tr><td class=\"time\">{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td>"
        "<td class=\"num\">{:+.2f}</td><td>{}</td></tr>\n",
        IsoTime(p.posted_at), H(p.source), H(p.author), p.shares, p.compound, text);
  }
  out += "</tbody>\n</table>\n";
}

void Listening(std::string& out, const Report& r) {
  out += "<section id=\"listening\">\n<h2>Listening</h2>\n";
  if (!r.listening) {
    out += std::string("<p>") + kNoListening + "</p>\n</section>\n";
    return;
  }
  const ListeningSection& l = r.listening.value();
  out += fmt::format(
      "<p>From {} to {}: the incident (shaded) and an hour either side, in UTC hours. Each "
      "hour's posts against the usual: the median of the same hour of the week over the weeks "
      "before (dashed), with their range (grey band).</p>\n",
      IsoTime(l.range.begin), IsoTime(l.range.end));
  for (const std::string& p : l.missing) {
    out += "<p>No outage chatter query for " + H(p) + " (listen.chatter).</p>\n";
  }
  if (l.queries.empty()) out += "<p>No query of this incident's platforms or brands.</p>\n";
  for (const ListeningQuery& q : l.queries) {
    out += "<h3>" + H(QueryTitle(q)) + "</h3>\n<p>" + H(VolumeLine(q)) + ".</p>\n";
    out += "<div class=\"chart\">" + VolumeChart(r, q) + "</div>\n";
    if (!q.spike_evidence.empty()) {
      out += "<h4>Spikes judged</h4>\n<ul>\n";
      for (const std::string& line : q.spike_evidence) out += "<li>" + H(line) + "</li>\n";
      out += "</ul>\n";
    }
    out +=
        "<table>\n<thead><tr><th>Sentiment</th><th class=\"num\">Posts</th>"
        "<th class=\"num\">Positive</th><th class=\"num\">Neutral</th>"
        "<th class=\"num\">Negative</th><th class=\"num\">Mean compound</th></tr></thead>\n"
        "<tbody>\n";
    auto row = [&](const std::string& name, const SentimentShares& s) {
      out += fmt::format(
          "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>"
          "<td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>"
          "</tr>\n",
          H(name), s.posts, Share(s, s.positive), Share(s, s.neutral), Share(s, s.negative),
          MeanCompound(s));
    };
    row("This window", q.sentiment);
    row(q.usual_weeks == 0 ? "Usual (no week before collected)"
                           : fmt::format("Usual (same hours, {} week{} before)", q.usual_weeks,
                                         q.usual_weeks == 1 ? "" : "s"),
        q.usual_sentiment);
    out += "</tbody>\n</table>\n";
    if (!q.most_shared.empty()) PostsTable(out, "Most shared", q.most_shared);
    if (!q.most_negative.empty()) PostsTable(out, "Most negative", q.most_negative);
  }
  out += "</section>\n";
}

void Lessons(std::string& out, const Report& r) {
  out += "<section id=\"lessons\" class=\"lessons\">\n<h2>Lessons learned</h2>\n";
  for (const char* heading : {"What went well", "What went wrong", "Where we were lucky",
                              "What we will change (owner, due date)"}) {
    out += fmt::format("<h3>{}</h3>\n<div class=\"fill\">To be filled in.</div>\n", heading);
  }
  out += "<h3>Notes recorded during the incident</h3>\n";
  if (r.notes.empty()) out += "<p>None.</p>\n";
  for (const auto& n : r.notes) {
    out += "<blockquote>" + IsoTime(n.at) + " — " + H(n.message) + "</blockquote>\n";
  }
  out += "</section>\n";
}

}  // namespace

std::string RenderHtml(const Report& r) {
  const store::Incident& inc = r.incident;
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src "
      "'unsafe-inline'; img-src data:\">\n"
      "<meta name=\"generator\" content=\"Lifeline\">\n";
  out += "<title>Incident report: " + H(inc.title.empty() ? inc.id : inc.title) + "</title>\n";
  out += std::string("<style>") + kStyle + "</style>\n</head>\n<body>\n";
  Header(out, r);
  out += "<main>\n";
  Figures(out, r);
  Timeline(out, r);
  Lifecycle(out, r);
  Response(out, r);
  Tasks(out, r);
  Messages(out, r);
  Availability(out, r);
  Listening(out, r);
  Lessons(out, r);
  out += "</main>\n<footer>Generated by Lifeline at " + IsoTime(r.generated_at) +
         ". Times are UTC.</footer>\n</body>\n</html>\n";
  return out;
}

}  // namespace lifeline::report
