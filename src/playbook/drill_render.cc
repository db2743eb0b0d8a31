// The drill report as Markdown and JSON (drill_report.h). Every text from outside (titles,
// messages, names) is escaped with the incident report's helpers (report/text.h).
#include <fmt/format.h>

#include <initializer_list>
#include <string>
#include <vector>

#include "playbook/drill_report.h"
#include "report/text.h"

namespace lifeline::playbook {
namespace {

using json = nlohmann::json;
using report::HumanDuration;
using report::IsoTime;

std::string E(std::string_view text) { return report::EscapeMarkdown(text); }

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

Duration Since(const DrillReport& r, store::Time t) {
  return std::chrono::duration_cast<Duration>(t - r.incident.incident.opened_at);
}
// "+5 min" from the drill's start.
std::string At(const DrillReport& r, store::Time t) { return report::Offset(Since(r, t)); }
std::string At(const DrillReport& r, const std::optional<store::Time>& t) {
  return t ? At(r, *t) : "—";
}

std::string Join(const std::vector<std::string>& parts, std::string_view sep = ", ") {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : std::string(sep)) + p;
  return out;
}

std::string What(const DrillSetup& s) {
  if (s.domain_wide) return fmt::format("a {}-wide outage ({})", s.domain, Join(s.platforms));
  return fmt::format("a {} outage", s.platform_name.empty() ? s.platform : s.platform_name);
}

std::string Mark(DrillFinding::Level l) {
  switch (l) {
    case DrillFinding::Level::kProblem:
      return "**Problem:** ";
    case DrillFinding::Level::kWarning:
      return "**Warning:** ";
    case DrillFinding::Level::kNote:
      return "Note: ";
  }
  return "";
}

json OptTime(const std::optional<store::Time>& t) {
  return t ? json(report::IsoTime(*t)) : json(nullptr);
}
json OptMs(const std::optional<Duration>& d) { return d ? json(d->count()) : json(nullptr); }

}  // namespace

std::string DrillMarkdown(const DrillReport& r) {
  const DrillSetup& s = r.setup;
  const store::Incident& inc = r.incident.incident;
  std::string out =
      fmt::format("# {}: {}\n\n", s.dry_run ? "Drill (dry run)" : "Drill report", E(What(s)));
  Table head({"", ""});
  head.Row({"Drill", E(s.dry_run ? "dry run: simulated, nothing was sent" : s.id)});
  if (!s.plan_name.empty()) head.Row({"Plan", E(s.plan_name)});
  head.Row({"Failing", E(Join(inc.platforms)) +
                           (inc.domain.empty() ? "" : " (failure domain " + E(inc.domain) + ")")});
  head.Row(
      {"Started", IsoTime(inc.opened_at) + (s.started_by.empty() ? "" : " by " + E(s.started_by))});
  head.Row({"Restoration",
            inc.closed_at ? IsoTime(*inc.closed_at) + " (" + At(r, *inc.closed_at) + ")"
                          : fmt::format("planned after {} (not yet)", HumanDuration(s.duration))});
  if (s.dry_run) {
    head.Row({"People", s.ack_after ? fmt::format("everyone acknowledges {} after being asked",
                                                  HumanDuration(*s.ack_after))
                                    : std::string("nobody acknowledges (--ack-after simulates "
                                                  "answers)")});
  } else {
    head.Row({"Test audience", s.test_audience.empty() ? "none (audience posts are not sent)"
                                                       : E(Join(s.test_audience))});
  }
  head.Row({"Responses", r.responses.empty() ? "none ran" : E(Join(r.responses))});
  head.Row({"Lifecycle", r.lifecycle.empty() ? "—" : E(r.lifecycle)});
  if (!s.console_url.empty()) head.Row({"Console", E(s.console_url)});
  head.Row({"Everyone acknowledged", r.everyone_acknowledged ? "yes" : "no"});
  out += head.Render();

  out += "## Findings\n\n";
  if (r.findings.empty()) out += "None.\n";
  for (const DrillFinding& f : r.findings) out += "- " + Mark(f.level) + E(f.text) + "\n";
  out += "\n";

  out += "## Acknowledgements\n\n";
  if (r.acknowledgements.empty()) {
    out += "Nothing was given to anyone to acknowledge.\n\n";
  } else {
    Table t({"Person", "Role", "What", "Asked", "Outcome", "Took"});
    for (const AckRow& a : r.acknowledgements) {
      t.Row({E(a.person_name), E(a.role), E(a.kind + ": " + a.title),
             a.asked_at ? At(r, *a.asked_at) + " (" + E(a.asked_how) + ")" : E(a.asked_how),
             E(a.outcome), a.took ? HumanDuration(*a.took) : "—"});
    }
    out += t.Render();
    Table roles({"Role", "Given", "Acknowledged", "Fastest", "Slowest"});
    for (const RoleRow& row : r.roles) {
      roles.Row({E(row.role), std::to_string(row.asked), std::to_string(row.acknowledged),
                 row.fastest ? HumanDuration(*row.fastest) : "—",
                 row.slowest ? HumanDuration(*row.slowest) : "—"});
    }
    out += roles.Render();
  }

  out += "## Escalations\n\n";
  if (r.escalations.empty()) out += "None.\n\n";
  for (const EscalationRow& e : r.escalations) {
    out += "- " + At(r, e.at) + ": " + E(e.message) + "\n";
  }
  if (!r.escalations.empty()) out += "\n";

  out += "## Steps\n\n";
  Table steps({"Response", "Step", "Kind", "Outcome", "Started", "Ended", "Note"});
  for (const StepRow& st : r.steps) {
    steps.Row({E(st.response), E(st.step), E(st.kind), E(st.state), At(r, st.started_at),
               At(r, st.ended_at),
               E(st.error.empty() ? st.note : st.error + " (" + st.note + ")")});
  }
  out += steps.empty() ? "No step ran.\n\n" : steps.Render();

  out += "## The holding statement per channel\n\n";
  for (const PostRow& p : r.posts) {
    out += fmt::format("- **{}** ({}): {}\n\n  > {}\n\n", E(p.name), E(p.channel), E(p.outcome),
                       E(p.text));
  }
  if (r.posts.empty()) out += "No audience post.\n\n";
  for (const SkippedChannel& c : r.skipped) {
    out += fmt::format("- Not on **{}**{}: {}\n", E(c.name),
                       c.channel.empty() ? "" : " (" + E(c.channel) + ")", E(c.why));
  }
  if (!r.skipped.empty()) out += "\n";

  out += "## Messages\n\n";
  Table msgs({"At", "To", "Channel", "Route", "State", "Text"});
  for (const report::MessageSummary& m : r.incident.messages) {
    std::string to = m.contact.empty() ? "audience" : m.contact;
    msgs.Row({At(r, m.created_at), E(to), E(m.channel),
              E(m.route.empty() ? "first choice" : m.route),
              E(s.dry_run ? "not sent (dry run)" : std::string(store::MessageStateName(m.state))),
              E(report::Shorten(m.text, 160))});
  }
  out += msgs.empty() ? "No message.\n\n" : msgs.Render();
  Table per({"Channel", "Messages", "Delivered", "Failed", "Pending"});
  for (const report::ChannelCount& c : r.incident.channels) {
    per.Row({E(c.channel), std::to_string(c.total), std::to_string(c.delivered),
             std::to_string(c.failed), std::to_string(c.pending + c.unconfirmed)});
  }
  if (!per.empty()) out += per.Render();

  out += "## What happened\n\n";
  Table tl({"At", "What"});
  for (const store::IncidentEvent& e : r.incident.timeline) {
    tl.Row({At(r, e.at), E(e.message)});
  }
  out += tl.Render();
  return out;
}

json DrillJson(const DrillReport& r) {
  const DrillSetup& s = r.setup;
  const store::Incident& inc = r.incident.incident;
  auto offset = [&](store::Time t) { return Since(r, t).count(); };
  json findings = json::array();
  for (const DrillFinding& f : r.findings) {
    findings.push_back({{"level", FindingLevelName(f.level)}, {"text", f.text}});
  }
  json acks = json::array();
  for (const AckRow& a : r.acknowledgements) {
    acks.push_back({{"assignment_id", a.assignment_id},
                    {"kind", a.kind},
                    {"title", a.title},
                    {"role", a.role},
                    {"step", a.step},
                    {"person", a.person},
                    {"person_name", a.person_name},
                    {"asked_how", a.asked_how},
                    {"asked_at", OptTime(a.asked_at)},
                    {"acted_at", OptTime(a.acted_at)},
                    {"took_ms", OptMs(a.took)},
                    {"took", a.took ? json(HumanDuration(*a.took)) : json(nullptr)},
                    {"outcome", a.outcome}});
  }
  json roles = json::array();
  for (const RoleRow& row : r.roles) {
    roles.push_back({{"role", row.role},
                     {"given", row.asked},
                     {"acknowledged", row.acknowledged},
                     {"fastest_ms", OptMs(row.fastest)},
                     {"slowest_ms", OptMs(row.slowest)}});
  }
  json escalations = json::array();
  for (const EscalationRow& e : r.escalations) {
    escalations.push_back({{"at", IsoTime(e.at)},
                           {"offset_ms", offset(e.at)},
                           {"assignment_id", e.assignment_id},
                           {"title", e.title},
                           {"level", e.level},
                           {"target", e.target},
                           {"people", e.people},
                           {"message", e.message}});
  }
  json steps = json::array();
  for (const StepRow& st : r.steps) {
    steps.push_back({{"response", st.response},
                     {"step", st.step},
                     {"kind", st.kind},
                     {"state", st.state},
                     {"note", st.note},
                     {"error", st.error},
                     {"started_at", OptTime(st.started_at)},
                     {"ended_at", OptTime(st.ended_at)}});
  }
  json posts = json::array();
  for (const PostRow& p : r.posts) {
    posts.push_back({{"inventory", p.inventory},
                     {"name", p.name},
                     {"channel", p.channel},
                     {"text", p.text},
                     {"outcome", p.outcome}});
  }
  json skipped = json::array();
  for (const SkippedChannel& c : r.skipped) {
    skipped.push_back(
        {{"inventory", c.inventory}, {"name", c.name}, {"channel", c.channel}, {"why", c.why}});
  }
  json messages = json::array();
  for (const report::MessageSummary& m : r.incident.messages) {
    messages.push_back({{"offset_ms", offset(m.created_at)},
                        {"at", IsoTime(m.created_at)},
                        {"contact", m.contact},
                        {"channel", m.channel},
                        {"audience", report::AudienceName(m.audience)},
                        {"route", m.route},
                        {"state", s.dry_run ? std::string("not_sent")
                                            : std::string(store::MessageStateName(m.state))},
                        {"subject", m.subject},
                        {"text", m.text},
                        {"step", m.step}});
  }
  json channels = json::array();
  for (const report::ChannelCount& c : r.incident.channels) {
    channels.push_back({{"channel", c.channel},
                        {"total", c.total},
                        {"delivered", c.delivered},
                        {"failed", c.failed},
                        {"pending", c.pending + c.unconfirmed}});
  }
  json timeline = json::array();
  for (const store::IncidentEvent& e : r.incident.timeline) {
    timeline.push_back({{"offset_ms", offset(e.at)},
                        {"offset", report::Offset(Since(r, e.at))},
                        {"at", IsoTime(e.at)},
                        {"type", e.type},
                        {"message", e.message}});
  }
  return {{"drill",
           {{"dry_run", s.dry_run},
            {"id", s.id},
            {"plan", s.plan_name},
            {"platform", s.platform},
            {"platform_name", s.platform_name},
            {"domain", s.domain},
            {"domain_wide", s.domain_wide},
            {"platforms", inc.platforms},
            {"duration_ms", s.duration.count()},
            {"ack_after_ms", OptMs(s.ack_after)},
            {"started_by", s.started_by},
            {"started_at", IsoTime(inc.opened_at)},
            {"ended_at", OptTime(inc.closed_at)},
            {"console_url", s.console_url},
            {"test_audience", s.test_audience}}},
          {"responses", r.responses},
          {"lifecycle", r.lifecycle},
          {"everyone_acknowledged", r.everyone_acknowledged},
          {"findings", findings},
          {"acknowledgements", acks},
          {"roles", roles},
          {"escalations", escalations},
          {"steps", steps},
          {"posts", posts},
          {"skipped_channels", skipped},
          {"messages", messages},
          {"channels", channels},
          {"timeline", timeline}};
}

}  // namespace lifeline::playbook
