// The key figures and totals both renderers show (summary.h).
#include "report/summary.h"

#include <algorithm>

#include <fmt/format.h>

#include "report/text.h"

namespace lifeline::report {

namespace {

std::string FirstRow(const std::optional<FirstMessage>& f, std::string_view what,
                     std::string_view basis) {
  if (!f) return fmt::format("no {} was delivered", what);
  return fmt::format("first delivered {} ({}{}, message {}); classified by {}", what, f->channel,
                     f->to.empty() ? "" : " to " + f->to, f->message_id, basis);
}

}  // namespace

std::vector<FigureRow> KeyFigures(const Report& r) {
  std::vector<FigureRow> rows;
  const store::Time opened = r.incident.opened_at;
  const Detection& d = r.detection;
  rows.push_back({"Time to detect", d.time_to_detect ? HumanDuration(*d.time_to_detect) : "unknown",
                  d.onset ? fmt::format("{} → {}", ClockTime(*d.onset), ClockTime(opened)) : "",
                  d.source.empty() ? d.detail : "from " + d.source + ": " + d.detail});
  const std::string basis = r.message_basis == "playbook"
                                ? "the playbook's records (notify/task steps: team; post: audience)"
                                : "contact (a message to a contact is an alert)";
  rows.push_back({"Time to first team alert",
                  r.first_alert ? HumanDuration(r.first_alert->after_open) : "none delivered",
                  r.first_alert ? ClockTime(r.first_alert->delivered_at) : "",
                  FirstRow(r.first_alert, "team alert", basis)});
  rows.push_back(
      {"Time to first audience announcement",
       r.first_announcement ? HumanDuration(r.first_announcement->after_open) : "none delivered",
       r.first_announcement ? ClockTime(r.first_announcement->delivered_at) : "",
       FirstRow(r.first_announcement, "audience announcement", basis)});
  rows.push_back({"Duration",
                  HumanDuration(r.duration) + (r.incident.closed_at ? "" : " (still open)"),
                  fmt::format("{} → {}", ClockTime(opened),
                              r.incident.closed_at ? ClockTime(*r.incident.closed_at) : "now"),
                  "from opening to closing"});
  MessageTotals t = Totals(r);
  rows.push_back(
      {"Messages", std::to_string(t.total),
       fmt::format("{} to the team, {} to the audience", t.team, t.audience),
       fmt::format("{} delivered, {} failed, {} unconfirmed, {} pending, {} cancelled; {} rerouted",
                   t.delivered, t.failed, t.unconfirmed, t.pending, t.cancelled, t.rerouted)});
  std::int64_t acked = 0, ended = 0;
  for (const auto& a : r.assignments) {
    acked += a.acknowledged_at.has_value();
    ended += a.ended_at.has_value();
  }
  rows.push_back({"Tasks, approvals and notifications", std::to_string(r.assignments.size()), "",
                  fmt::format("{} acknowledged, {} ended (done, approved, refused or expired)",
                              acked, ended)});
  return rows;
}

MessageTotals Totals(const Report& r) {
  MessageTotals t;
  for (const auto& c : r.channels) {
    t.total += c.total;
    t.delivered += c.delivered;
    t.failed += c.failed;
    t.unconfirmed += c.unconfirmed;
    t.pending += c.pending;
    t.cancelled += c.cancelled;
    t.rerouted += c.rerouted_in;
  }
  for (const auto& m : r.messages) (m.audience == Audience::kTeam ? t.team : t.audience)++;
  return t;
}

std::string_view EventCategory(std::string_view type) {
  if (type == "opened" || type == "updated" || type == "evidence" || type == "closed") {
    return "incident";
  }
  if (type == "note") return "note";
  if (type.starts_with("playbook")) return "playbook";
  if (type.starts_with("relay")) return "relay";
  return "other";
}

std::vector<PhaseSpan> LifecyclePhases(const Report& r, store::Time end) {
  std::vector<PhaseSpan> out;
  if (!r.lifecycle) return out;
  const auto& ts = r.lifecycle->transitions;
  for (std::size_t i = 0; i < ts.size(); ++i) {
    store::Time stop = i + 1 < ts.size() ? ts[i + 1].at : std::max(end, ts[i].at);
    out.push_back({ts[i].to, ts[i].at, stop, ts[i].by});
  }
  return out;
}

std::string ClosedText(const Report& r) {
  return r.incident.closed_at ? IsoTime(*r.incident.closed_at) : "still open";
}

std::string QueryTitle(const ListeningQuery& q) {
  if (q.kind == "chatter") return "Outage chatter on " + q.platform;
  return "Mentions of " + q.brand;
}

namespace {

std::string Number(double v) {
  std::string s = fmt::format("{:.1f}", v);
  if (s.ends_with(".0")) s.resize(s.size() - 2);
  return s;
}

}  // namespace

std::string VolumeLine(const ListeningQuery& q) {
  std::string out = fmt::format("{} post{}", q.posts, q.posts == 1 ? "" : "s");
  if (q.expected) {
    out += fmt::format(" against {} expected", Number(*q.expected));
    if (*q.expected > 0) {
      out += fmt::format(" ({} ×)", Number(static_cast<double>(q.posts) / *q.expected));
    }
  } else {
    out += " (not enough history for an expectation)";
  }
  if (q.spike_hours > 0) {
    out += fmt::format("; the detector found a spike on in {} hour{}", q.spike_hours,
                       q.spike_hours == 1 ? "" : "s");
  } else {
    out += "; no spike";
  }
  return out;
}

std::string Sparkline(const ListeningQuery& q) {
  static const char* kBlocks[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
  std::int64_t most = 0;
  for (const auto& h : q.hours) most = std::max(most, h.posts.value_or(0));
  std::string out;
  for (const auto& h : q.hours) {
    if (!h.posts) {
      out += "·";
      continue;
    }
    const std::int64_t i = most == 0 ? 0 : (*h.posts * 7 + most - 1) / most;
    out += kBlocks[std::clamp<std::int64_t>(i, 0, 7)];
  }
  return out;
}

std::string Share(const SentimentShares& s, std::int64_t n) { return Percent(s.Share(n)); }

std::string MeanCompound(const SentimentShares& s) {
  if (s.posts == 0) return "—";
  return fmt::format("{:+.2f}", s.mean_compound);
}

std::string ExpectedText(const ListeningHour& h) {
  if (!h.expected) return "—";
  std::string out = Number(*h.expected);
  if (h.band_low && h.band_high) out += fmt::format(" ({}–{})", *h.band_low, *h.band_high);
  return out;
}

std::string JudgedText(const ListeningHour& h) {
  if (!h.posts) return "no data";
  if (!h.judged.empty()) {
    std::string out = h.judged;
    if (h.spiking && h.judged != "spike") out += " (spike on)";
    return out;
  }
  return h.unusual ? "unusual (not judged)" : "not judged";
}

}  // namespace lifeline::report
