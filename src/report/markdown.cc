// The report as Markdown (render.h): GitHub-flavoured tables, every outside text escaped.
#include <fmt/format.h>

#include <initializer_list>
#include <string>
#include <vector>

#include "report/render.h"
#include "report/summary.h"
#include "report/text.h"

namespace lifeline::report {
namespace {

// A table: `header` names as written here (ours, not escaped); rows already escaped.
class Table {
 public:
  explicit Table(std::initializer_list<std::string> header) : header_(header) {}
  void Row(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }
  bool empty() const { return rows_.empty(); }
  std::string Render() const {
    std::string out = "|";
    for (const auto& h : header_) out += " " + h + " |";
    out += "\n|";
    for (std::size_t i = 0; i < header_.size(); ++i) out += "---|";
    out += "\n";
    for (const auto& row : rows_) {
      out += "|";
      for (const auto& c : row) out += " " + (c.empty() ? std::string(" ") : c) + " |";
      out += "\n";
    }
    return out + "\n";
  }

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

std::string E(std::string_view text) { return EscapeMarkdown(text); }

std::string Opt(const std::optional<store::Time>& t) { return t ? IsoTime(*t) : "—"; }

std::string Join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : ", ") + p;
  return out;
}

void Header(std::string& out, const Report& r) {
  const store::Incident& inc = r.incident;
  out += "# Incident report: " + E(inc.title.empty() ? inc.id : inc.title) + "\n\n";
  Table t({"", ""});
  t.Row({"Incident", E(inc.id)});
  t.Row({"Platforms", E(Join(inc.platforms))});
  t.Row({"Failure domain", inc.domain.empty() ? "—" : E(inc.domain)});
  t.Row({"Kind", E(store::IncidentKindName(inc.kind))});
  t.Row({"Verdict", E(core::VerdictName(inc.verdict))});
  t.Row({"Opened", IsoTime(inc.opened_at)});
  t.Row({"Closed", ClosedText(r)});
  t.Row({"Duration", HumanDuration(r.duration) + (inc.closed_at ? "" : " so far")});
  t.Row({"Response",
         r.lifecycle ? E(store::LifecycleName(r.lifecycle->state)) : "no playbook response ran"});
  t.Row({"Report generated", IsoTime(r.generated_at)});
  out += t.Render();
}

void Figures(std::string& out, const Report& r) {
  out += "## Key figures\n\n";
  Table t({"Figure", "Value", "When (UTC)", "How it was measured"});
  for (const FigureRow& f : KeyFigures(r)) t.Row({E(f.name), E(f.value), E(f.when), E(f.how)});
  out += t.Render();
  out +=
      "Time to detect runs from the failure's onset to the incident's opening; the alert and "
      "announcement figures from the opening to the first delivered message. How each is "
      "computed: docs/report.md.\n\n";
}

void Timeline(std::string& out, const Report& r) {
  out += "## Timeline\n\n";
  if (r.timeline.empty()) {
    out += "The timeline is empty.\n\n";
    return;
  }
  Table t({"Time (UTC)", "Since opening", "Event", "What happened"});
  for (const auto& e : r.timeline) {
    t.Row({ClockTime(e.at), Offset(e.at - r.incident.opened_at), E(e.type), E(e.message)});
  }
  out += t.Render();
}

void Lifecycle(std::string& out, const Report& r) {
  out += "## Lifecycle\n\n";
  if (!r.lifecycle) {
    out += "No playbook response ran for this incident.\n\n";
    return;
  }
  Table t({"Time (UTC)", "Since opening", "From", "To", "By", "Note"});
  for (const auto& tr : r.lifecycle->transitions) {
    t.Row({ClockTime(tr.at), Offset(tr.at - r.incident.opened_at),
           tr.from ? E(store::LifecycleName(*tr.from)) : "—", E(store::LifecycleName(tr.to)),
           E(tr.by), E(tr.note)});
  }
  out += t.Render();
}

void Response(std::string& out, const Report& r) {
  if (r.runs.empty() && r.steps.empty()) return;
  out += "## Response\n\n";
  if (!r.runs.empty()) {
    Table t({"Response", "State", "Started", "Ended", "Why it ended"});
    for (const auto& run : r.runs) {
      t.Row({E(run.response), E(store::RunStateName(run.state)), IsoTime(run.started_at),
             Opt(run.ended_at), E(run.reason)});
    }
    out += t.Render();
  }
  if (!r.steps.empty()) {
    Table t({"Response", "Step", "State", "Attempts", "Started", "Ended", "Note"});
    for (const auto& s : r.steps) {
      std::string note = s.note;
      if (!s.last_error.empty()) note += (note.empty() ? "" : "; ") + ("error: " + s.last_error);
      t.Row({E(s.response), E(s.step_id), E(store::StepStateName(s.state)),
             std::to_string(s.attempts), Opt(s.started_at), Opt(s.ended_at), E(note)});
    }
    out += t.Render();
  }
}

void Tasks(std::string& out, const Report& r) {
  out += "## Tasks and who did them\n\n";
  if (r.assignments.empty()) {
    out += "Nothing was assigned to people.\n\n";
    return;
  }
  Table t({"Kind", "What", "For", "Told", "State", "Acknowledged", "Ended", "Time to acknowledge",
           "Note"});
  for (const auto& a : r.assignments) {
    std::string acked = a.acknowledged_at ? fmt::format("{} by {}", ClockTime(*a.acknowledged_at),
                                                        E(a.acknowledged_by))
                                          : "—";
    std::string ended =
        a.ended_at ? fmt::format("{} by {}", ClockTime(*a.ended_at), E(a.ended_by)) : "—";
    std::string who = a.role.empty() ? a.assignee : a.role;
    if (!a.role.empty() && !a.assignee.empty()) who += " (" + a.assignee + ")";
    std::string told = Join(a.notified);
    if (a.escalation_level >= 0)
      told += fmt::format(" (escalated to level {})", a.escalation_level + 1);
    t.Row({E(store::AssignmentKindName(a.kind)), E(a.title), E(who), E(told),
           E(store::AssignmentStateName(a.state)), acked, ended,
           a.acknowledged_at ? HumanDuration(*a.acknowledged_at - a.created_at) : "—", E(a.note)});
  }
  out += t.Render();
}

void Messages(std::string& out, const Report& r) {
  out += "## Messages\n\n";
  if (r.messages.empty()) {
    out += "No message was sent for this incident.\n\n";
    return;
  }
  out += r.message_basis == "playbook"
             ? "Team alerts and audience announcements are told apart by the playbook's records "
               "(notify, task and approval steps reach people; post steps reach the audience); "
               "messages without such a record by their contact.\n\n"
             : "No playbook record names these messages: a message to a contact counts as a team "
               "alert, one without as an audience announcement.\n\n";
  out += "### Per channel\n\n";
  Table per({"Channel", "Messages", "Delivered", "Failed", "Unconfirmed", "Pending", "Cancelled",
             "Rerouted here", "Failed over from here"});
  for (const auto& c : r.channels) {
    per.Row({E(c.channel), std::to_string(c.total), std::to_string(c.delivered),
             std::to_string(c.failed), std::to_string(c.unconfirmed), std::to_string(c.pending),
             std::to_string(c.cancelled), std::to_string(c.rerouted_in),
             std::to_string(c.rerouted_away)});
  }
  out += per.Render();
  out += "### Every message\n\n";
  Table all({"Created (UTC)", "For", "Channel", "To", "State", "Delivered", "Route", "Text"});
  for (const auto& m : r.messages) {
    std::string to = m.contact.empty() ? m.recipient : m.contact;
    std::string state(store::MessageStateName(m.state));
    if (!m.reason.empty() && m.state != store::MessageState::kDelivered) state += ": " + m.reason;
    all.Row({ClockTime(m.created_at), E(AudienceName(m.audience)), E(m.channel),
             to.empty() ? "(channel)" : E(to), E(state),
             m.delivered_at ? Offset(*m.delivered_at - r.incident.opened_at) : "—", E(m.route),
             E(Shorten(m.text, 200))});
  }
  out += all.Render();
}

void Availability(std::string& out, const Report& r) {
  const AvailabilityWindow& w = r.availability;
  out += "## Availability and latency\n\n";
  out += fmt::format(
      "From {} to {}, in buckets of {}. Availability is the share of probe rounds in which every "
      "probe of the platform succeeded; latency the median total time of the probes that "
      "succeeded.\n\n",
      IsoTime(w.range.begin), IsoTime(w.range.end), HumanDuration(w.bucket));
  for (std::size_t i = 0; i < w.platforms.size(); ++i) {
    const PlatformSeries& s = w.platforms[i];
    out += "### " + E(s.platform) + "\n\n";
    if (s.source.empty()) {
      out += "The store holds no probe results of this platform for the window.\n\n";
      continue;
    }
    if (s.source == "aggregates") {
      out +=
          "Raw samples were pruned: figures from the one-minute aggregates (share of "
          "successful probes, median of the minutes' medians).\n\n";
    }
    Table phases({"Phase", "From", "To", "Rounds", "Successful", "Availability", "Median latency"});
    for (const PhaseFigures& p : w.phases[i]) {
      std::optional<double> share;
      if (p.rounds > 0) share = static_cast<double>(p.ok_rounds) / static_cast<double>(p.rounds);
      phases.Row({p.phase, ClockTime(p.range.begin), ClockTime(p.range.end),
                  std::to_string(p.rounds), std::to_string(p.ok_rounds), Percent(share),
                  Millis(p.median_ms)});
    }
    out += phases.Render();
    Table buckets({"Bucket (UTC)", "Rounds", "Availability", "Median latency"});
    for (const Bucket& b : s.buckets) {
      buckets.Row({ClockTime(b.begin), std::to_string(b.rounds), Percent(b.Availability()),
                   Millis(b.median_ms)});
    }
    out += buckets.Render();
  }
}

// A link destination for Markdown: the characters that could end the link or a table cell are
// percent-encoded (the URL is already http(s) without spaces or quotes: report.h).
std::string MdUrl(const std::string& url) {
  std::string out;
  for (char c : url) {
    switch (c) {
      case '(':
      case ')':
      case '[':
      case ']':
      case '|':
      case '*':
      case '_':
        out += fmt::format("%{:02X}", static_cast<unsigned char>(c));
        break;
      default:
        out += c;
    }
  }
  return out;
}

void Posts(std::string& out, const char* heading, const std::vector<NotablePost>& posts) {
  out += std::string("**") + heading + "**\n\n";
  Table t({"Posted (UTC)", "Source", "Author", "Shares", "Sentiment", "Post"});
  for (const NotablePost& p : posts) {
    std::string text = E(Shorten(p.text, 200));
    if (!p.url.empty()) text += " [link](" + MdUrl(p.url) + ")";
    t.Row({IsoTime(p.posted_at), E(p.source), E(p.author), std::to_string(p.shares),
           fmt::format("{:+.2f}", p.compound), text});
  }
  out += t.Render();
}

void Listening(std::string& out, const Report& r) {
  out += "## Listening\n\n";
  if (!r.listening) {
    out += std::string(kNoListening) + "\n\n";
    return;
  }
  const ListeningSection& l = r.listening.value();
  out += fmt::format(
      "From {} to {}: the incident and an hour either side, in UTC hours. Each hour's posts "
      "against the usual: the median of the same hour of the week over the weeks before, with "
      "their range (docs/listening.md).\n\n",
      IsoTime(l.range.begin), IsoTime(l.range.end));
  for (const std::string& p : l.missing) {
    out += "No outage chatter query for " + E(p) + " (listen.chatter).\n\n";
  }
  if (l.queries.empty()) out += "No query of this incident's platforms or brands.\n\n";
  for (const ListeningQuery& q : l.queries) {
    out += "### " + E(QueryTitle(q)) + "\n\n";
    out += E(VolumeLine(q)) + ". Volume by hour: `" + Sparkline(q) + "`\n\n";
    Table hours({"Hour (UTC)", "Posts", "Expected (usual range)", "Detector"});
    for (const ListeningHour& h : q.hours) {
      hours.Row({ClockTime(h.hour), h.posts ? std::to_string(*h.posts) : "—", ExpectedText(h),
                 E(JudgedText(h))});
    }
    out += hours.Render();
    if (!q.spike_evidence.empty()) {
      out += "**Spikes judged**\n\n";
      for (const std::string& line : q.spike_evidence) out += "- " + E(line) + "\n";
      out += "\n";
    }
    Table senti({"Sentiment", "Posts", "Positive", "Neutral", "Negative", "Mean compound"});
    auto row = [&](const std::string& name, const SentimentShares& s) {
      senti.Row({name, std::to_string(s.posts), Share(s, s.positive), Share(s, s.neutral),
                 Share(s, s.negative), MeanCompound(s)});
    };
    row("This window", q.sentiment);
    row(q.usual_weeks == 0 ? "Usual (no week before collected)"
                           : fmt::format("Usual (same hours, {} week{} before)", q.usual_weeks,
                                         q.usual_weeks == 1 ? "" : "s"),
        q.usual_sentiment);
    out += senti.Render();
    if (!q.most_shared.empty()) Posts(out, "Most shared", q.most_shared);
    if (!q.most_negative.empty()) Posts(out, "Most negative", q.most_negative);
  }
}

void Lessons(std::string& out, const Report& r) {
  out += "## Lessons learned\n\n";
  for (const char* heading : {"What went well", "What went wrong", "Where we were lucky",
                              "What we will change (owner, due date)"}) {
    out += fmt::format("### {}\n\n_To be filled in._\n\n", heading);
  }
  out += "### Notes recorded during the incident\n\n";
  if (r.notes.empty()) {
    out += "None.\n\n";
    return;
  }
  for (const auto& n : r.notes) {
    out += fmt::format("> {} —", IsoTime(n.at));
    // Each line of the note on its own quoted line, escaped (a line may start with '#' or '-').
    std::string text = Clean(n.message);
    std::size_t pos = 0;
    bool first = true;
    while (pos <= text.size()) {
      std::size_t end = text.find('\n', pos);
      if (end == std::string::npos) end = text.size();
      out += (first ? " " : ">\n> ") + E(text.substr(pos, end - pos)) + "\n";
      first = false;
      pos = end + 1;
    }
    out += "\n";
  }
}

}  // namespace

std::string RenderMarkdown(const Report& r) {
  std::string out;
  Header(out, r);
  Figures(out, r);
  Timeline(out, r);
  Lifecycle(out, r);
  Response(out, r);
  Tasks(out, r);
  Messages(out, r);
  Availability(out, r);
  Listening(out, r);
  Lessons(out, r);
  out += "---\nGenerated by Lifeline at " + IsoTime(r.generated_at) + ".\n";
  return out;
}

}  // namespace lifeline::report
