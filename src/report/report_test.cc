// The incident report on a real SQLite store: an incident with its probe samples, timeline,
// playbook records and outbox messages (rerouted, failed, unconfirmed); the figures, the Markdown
// and HTML forms (sections, well-formed structure, escaping), and the API route.
#include "report/report.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>
#include <vector>

#include <fmt/format.h>

#include "api/server.h"
#include "api/test_util.h"
#include "core/temp_dir.h"
#include "report/render.h"
#include "report/routes.h"
#include "report/text.h"
#include "store/store.h"

namespace lifeline::report {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using json = nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kTitle = "<script>alert('x')</script> WhatsApp | down *now*";

// 2026-11-27 at "HH:MM:SS" UTC.
store::Time T(const std::string& hms) {
  const int h = std::stoi(hms.substr(0, 2)), m = std::stoi(hms.substr(3, 2)),
            s = std::stoi(hms.substr(6, 2));
  using namespace std::chrono;
  return store::Time(sys_days(year(2026) / 11 / 27).time_since_epoch() + hours(h) + minutes(m) +
                     seconds(s));
}

// Every element opened is closed, in order (void elements and self-closed SVG elements aside).
::testing::AssertionResult Balanced(const std::string& html) {
  static const std::set<std::string> kVoid = {"meta", "br", "hr", "img", "link", "input"};
  std::vector<std::string> open;
  for (std::size_t i = html.find('<'); i != std::string::npos; i = html.find('<', i + 1)) {
    if (html.compare(i, 2, "<!") == 0) continue;  // doctype
    const bool closing = html.compare(i, 2, "</") == 0;
    std::size_t p = i + (closing ? 2 : 1);
    std::string name;
    while (p < html.size() && std::isalnum(static_cast<unsigned char>(html[p]))) {
      name += static_cast<char>(std::tolower(static_cast<unsigned char>(html[p++])));
    }
    if (name.empty()) return ::testing::AssertionFailure() << "a bare '<' at " << i;
    std::size_t end = html.find('>', p);
    if (end == std::string::npos) return ::testing::AssertionFailure() << "unclosed tag " << name;
    const bool self_closed = html[end - 1] == '/';
    if (closing) {
      if (open.empty() || open.back() != name) {
        return ::testing::AssertionFailure()
               << "</" << name << "> closes <" << (open.empty() ? "nothing" : open.back())
               << "> at " << i;
      }
      open.pop_back();
    } else if (!self_closed && !kVoid.count(name)) {
      open.push_back(name);
    }
    i = end;
  }
  if (!open.empty()) return ::testing::AssertionFailure() << "<" << open.back() << "> never closed";
  return ::testing::AssertionSuccess();
}

std::size_t Count(const std::string& hay, const std::string& needle) {
  std::size_t n = 0;
  for (auto p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

class ReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = store::OpenSqlite(dir_.File("lifeline.db"));
    ASSERT_TRUE(s.ok()) << s.error().ToString();
    store_ = std::move(*s);
  }

  void Event(const std::string& id, const std::string& at, const std::string& type,
             const std::string& message, const json& data = json::object()) {
    auto e = store_->AppendEvent(id, {T(at), type, message, data.dump()});
    ASSERT_TRUE(e.ok()) << e.error().ToString();
  }

  // Rounds every 30 s from 09:40 to 10:40 from here and eu-west; failing in [fail_from, ok_from).
  void Samples(const std::string& platform, const std::string& fail_from,
               const std::string& ok_from) {
    std::vector<store::ProbeSample> samples;
    for (store::Time t = T("09:40:00"); t <= T("10:40:00"); t += 30s) {
      const bool ok = t < T(fail_from) || t >= T(ok_from);
      for (const char* from : {"here", "eu-west"}) {
        store::ProbeSample s;
        s.platform = platform;
        s.probe_id = "web";
        s.from = from;
        s.at = t;
        s.ok = ok;
        if (ok) {
          s.total_ms = from == std::string("here") ? 100.0 : 200.0;
          s.http_status = 200;
        } else {
          s.layer = core::Layer::kDns;
          s.detail = "servfail";
        }
        samples.push_back(s);
      }
    }
    ASSERT_TRUE(store_->AddProbeSamples(samples).ok());
  }

  store::OutboxMessage Enqueue(const std::string& key, const std::string& channel,
                               const std::string& contact, const std::string& at,
                               const std::string& route = "", const std::string& text = "text") {
    store::NewMessage m;
    m.idempotency_key = key;
    m.channel = channel;
    m.contact = contact;
    m.text = text;
    m.incident_id = id_;
    m.route = route;
    m.created_at = T(at);
    auto e = store_->Outbox().Enqueue(std::span(&m, 1));
    EXPECT_TRUE(e.ok()) << e.error().ToString();
    return (*e)[0].message;
  }

  void Claim(const std::string& channel, const std::string& at) {
    store::ClaimRequest c{channel, 10, false};
    auto claimed = store_->Outbox().ClaimDue(T(at), std::span(&c, 1));
    ASSERT_TRUE(claimed.ok()) << claimed.error().ToString();
    ASSERT_FALSE(claimed->empty()) << channel;
  }

  void Finish(const std::string& id, store::MessageState state, const std::string& at,
              const std::string& reason = "") {
    store::MessageUpdate u;
    u.id = id;
    u.state = state;
    u.at = T(at);
    u.reason = reason;
    auto done = store_->Outbox().Update(std::span(&u, 1));
    ASSERT_TRUE(done.ok()) << done.error().ToString();
    ASSERT_EQ(done->size(), 1u);
  }

  // The story: WhatsApp fails at 09:59:00 (probe samples), the incident opens at 10:00:00 and
  // closes at 10:20:00; the playbook alerts the team and posts the holding statement.
  void Seed() {
    store::NewIncident n;
    n.kind = store::IncidentKind::kPlatform;
    n.domain = "meta";
    n.platforms = {"whatsapp"};
    n.verdict = core::Verdict::kOutage;
    n.title = kTitle;
    n.opened_at = T("10:00:00");
    n.message = "opened: 2 of 2 vantage points fail with DNS SERVFAIL <b>";
    n.data_json = json{{"started", "2026-11-27T09:59:30Z"}, {"evidence", {"DNS SERVFAIL"}}}.dump();
    auto inc = store_->OpenIncident(n);
    ASSERT_TRUE(inc.ok()) << inc.error().ToString();
    id_ = inc->id;
    Samples("whatsapp", "09:59:00", "10:19:30");

    const std::string step = "playbook/" + id_ + "/meta-outage/";
    Event(id_, "10:00:01", "playbook_step_started", "Step notify-team (notify) started",
          {{"response", "meta-outage"}, {"step", "notify-team"}, {"kind", "notify"}});
    Event(id_, "10:00:50", "playbook_step_started", "Step post-holding (post) started",
          {{"response", "meta-outage"}, {"step", "post-holding"}, {"kind", "post"}});
    Event(id_, "10:00:50", "playbook_message", "Posted on Telegram channel (step post-holding)",
          {{"response", "meta-outage"},
           {"step", "post-holding"},
           {"inventory", "telegram"},
           {"key", step + "post-holding/telegram"}});

    // A team channel (no contact) told by a notify step: a team alert, known from the playbook.
    auto slack = Enqueue(step + "notify-team/slack", "team-slack", "", "10:00:02");
    Claim("team-slack", "10:00:03");
    Finish(slack.id, store::MessageState::kDelivered, "10:00:04");
    // Routed around WhatsApp when planned (its circuit was open).
    auto ana = Enqueue("alert/" + id_ + "/opened/ana", "team-telegram", "ana", "10:00:05",
                       "team-whatsapp: circuit open, WhatsApp outage since 10:00");
    Claim("team-telegram", "10:00:06");
    Finish(ana.id, store::MessageState::kDelivered, "10:00:07");
    // Failed over at delivery: WhatsApp timed out, e-mail took it.
    auto cy = Enqueue("alert/" + id_ + "/opened/cy", "team-whatsapp", "cy", "10:00:05");
    Claim("team-whatsapp", "10:00:06");
    {
      store::MessageUpdate u;
      u.id = cy.id;
      u.state = store::MessageState::kQueued;
      u.at = T("10:00:08");
      u.next_attempt_at = T("10:00:08");
      u.channel = "team-email";
      u.recipient = "cy@example.com";
      u.route = "team-whatsapp: timeout after 10 s";
      u.event_type = "rerouted";
      ASSERT_TRUE(store_->Outbox().Update(std::span(&u, 1)).ok());
    }
    Claim("team-email", "10:00:09");
    Finish(cy.id, store::MessageState::kDelivered, "10:00:12");
    // The holding statement: delivered on Telegram, refused on X.
    auto post = Enqueue(step + "post-holding/telegram", "brand-telegram", "", "10:01:00");
    Claim("brand-telegram", "10:01:20");
    Finish(post.id, store::MessageState::kDelivered, "10:01:30");
    auto x =
        Enqueue(step + "post-holding/x", "brand-x", "", "10:01:00", "", "We are | <b>aware</b>");
    Claim("brand-x", "10:01:05");
    Finish(x.id, store::MessageState::kFailed, "10:01:10", "403 forbidden | <img src=x>");
    // An answer that never came; its acknowledgement link is a credential.
    auto dan = Enqueue("alert/" + id_ + "/opened/dan", "team-whatsapp", "dan", "10:02:00", "",
                       "Task for you. Acknowledge: https://ll.example/ack/0cNXZhe4xEj6.5lKW_oL6-Q "
                       "or https://ll.example/ack/Zz9.x");
    Claim("team-whatsapp", "10:02:01");
    Finish(dan.id, store::MessageState::kUnconfirmed, "10:02:11", "no answer");
    // Another incident's message is not counted.
    {
      store::NewMessage other;
      other.idempotency_key = "other";
      other.channel = "team-slack";
      other.text = "unrelated";
      other.incident_id = "inc_other";
      other.created_at = T("10:00:00");
      ASSERT_TRUE(store_->Outbox().Enqueue(std::span(&other, 1)).ok());
    }

    // The playbook's records.
    store::PlaybookStore& pb = store_->Playbook();
    ASSERT_TRUE(
        pb.OpenLifecycle(
              {id_, {"whatsapp"}, "lifeline", "response meta-outage started", T("10:00:01")})
            .ok());
    auto move = [&](store::Lifecycle to, const char* by, const char* note, const char* at) {
      store::LifecycleMove m;
      m.incident_id = id_;
      m.to = to;
      m.by = by;
      m.note = note;
      m.at = T(at);
      auto r = pb.MoveLifecycle(m);
      ASSERT_TRUE(r.ok()) << r.error().ToString();
    };
    move(store::Lifecycle::kAcknowledged, "cy", "cy acknowledged the alert", "10:00:40");
    move(store::Lifecycle::kMitigating, "lifeline", "step post-holding done", "10:01:30");
    move(store::Lifecycle::kMonitoring, "lifeline", "WhatsApp back at 10:20", "10:20:00");
    move(store::Lifecycle::kResolved, "lifeline", "monitoring window ended quietly", "10:50:00");

    ASSERT_TRUE(pb.StartRun(id_, "meta-outage", T("10:00:01")).ok());
    auto step_record = [&](const char* id, const char* note, const char* from, const char* to) {
      store::StepRecord rec;
      rec.incident_id = id_;
      rec.response = "meta-outage";
      rec.step_id = id;
      rec.state = store::StepState::kDone;
      rec.attempts = 1;
      rec.note = note;
      rec.started_at = T(from);
      rec.ended_at = T(to);
      rec.updated_at = T(to);
      ASSERT_TRUE(pb.PutStep(rec).ok());
    };
    step_record("notify-team", "told Cy via team-slack", "10:00:01", "10:00:02");
    step_record("post-holding", "posted on Telegram channel", "10:00:50", "10:01:30");
    ASSERT_TRUE(
        pb.EndRun(id_, "meta-outage", store::RunState::kFinished, "every step ended", T("10:30:00"))
            .ok());

    store::NewAssignment notify;
    notify.key = id_ + "/meta-outage/notify-team";
    notify.incident_id = id_;
    notify.response = "meta-outage";
    notify.step_id = "notify-team";
    notify.kind = store::AssignmentKind::kNotification;
    notify.title = "WhatsApp incident: the team alert of step notify-team";
    notify.role = "on_call";
    notify.assignee = "cy";
    notify.notified = {"cy"};
    notify.escalation = "chase";
    notify.created_at = T("10:00:01");
    auto a = pb.CreateAssignment(notify);
    ASSERT_TRUE(a.ok()) << a.error().ToString();
    ASSERT_TRUE(pb.MoveAssignment({a->assignment.id, store::AssignmentState::kAcknowledged, "cy",
                                   "", T("10:00:40")})
                    .ok());
    store::NewAssignment task;
    task.key = id_ + "/meta-outage/reply-customers";
    task.incident_id = id_;
    task.response = "meta-outage";
    task.step_id = "reply-customers";
    task.kind = store::AssignmentKind::kTask;
    task.title = "Answer customers on Telegram | <i>now</i>";
    task.role = "community_manager";
    task.assignee = "ana";
    task.notified = {"ana", "bo"};
    task.created_at = T("10:01:00");
    auto t = pb.CreateAssignment(task);
    ASSERT_TRUE(t.ok()) << t.error().ToString();
    ASSERT_TRUE(
        pb.RecordEscalation(t->assignment.id, 0, std::vector<std::string>{"bo"}, T("10:06:00"))
            .ok());
    ASSERT_TRUE(pb.MoveAssignment({t->assignment.id, store::AssignmentState::kAcknowledged, "bo",
                                   "", T("10:07:00")})
                    .ok());
    ASSERT_TRUE(pb.MoveAssignment({t->assignment.id, store::AssignmentState::kDone, "bo",
                                   "answered 40 customers", T("10:30:00")})
                    .ok());

    Event(id_, "10:00:40", "playbook_acknowledged", "cy acknowledged the alert");
    store::NewEvent closed{T("10:20:00"), "closed", "closed: recovered after 20 min", "{}"};
    ASSERT_TRUE(store_->CloseIncident(id_, closed).ok());
    Event(id_, "11:00:00", "note",
          "# Telegram gained 300 members\n- keep the link | <b>pinned</b>\n1. ask ads");
  }

  ReportOptions At(const std::string& now = "12:00:00") {
    ReportOptions o;
    o.now = T(now);
    return o;
  }

  lifeline::testing::TempDir dir_{"report-test"};
  std::unique_ptr<store::Store> store_;
  std::string id_;
};

TEST_F(ReportTest, FiguresComeFromTheStore) {
  ASSERT_NO_FATAL_FAILURE(Seed());
  auto r = BuildReport(*store_, id_, At());
  ASSERT_TRUE(r.ok()) << r.error().ToString();

  EXPECT_EQ(r->incident.title, kTitle);
  EXPECT_EQ(r->duration, 20min);
  // The probes' first failing round (09:59:00) is earlier than the watch's "started" (09:59:30).
  ASSERT_TRUE(r->detection.time_to_detect);
  EXPECT_EQ(*r->detection.time_to_detect, 60s);
  EXPECT_EQ(r->detection.source, "probe samples");
  EXPECT_THAT(r->detection.detail, HasSubstr("whatsapp probe web from"));
  EXPECT_THAT(r->detection.detail, HasSubstr("dns/servfail"));

  // The first team alert is the Slack message of the notify step (no contact: the playbook's
  // step kind says it is for the team), not the later contact alerts.
  ASSERT_TRUE(r->first_alert);
  EXPECT_EQ(r->first_alert->after_open, 4s);
  EXPECT_EQ(r->first_alert->channel, "team-slack");
  ASSERT_TRUE(r->first_announcement);
  EXPECT_EQ(r->first_announcement->after_open, 90s);
  EXPECT_EQ(r->first_announcement->channel, "brand-telegram");
  EXPECT_EQ(r->message_basis, "playbook");

  ASSERT_EQ(r->messages.size(), 6u) << "another incident's message is left out";
  EXPECT_EQ(r->messages.back().text,
            "Task for you. Acknowledge: https://ll.example/ack/[redacted] or "
            "https://ll.example/ack/[redacted]");
  std::map<std::string, std::string> classified;
  for (const auto& m : r->messages) classified[m.channel + "/" + m.contact] = m.classified_by;
  EXPECT_EQ(classified["team-slack/"], "playbook step");
  EXPECT_EQ(classified["brand-telegram/"], "playbook message");
  EXPECT_EQ(classified["team-telegram/ana"], "contact");

  std::map<std::string, ChannelCount> by;
  for (const auto& c : r->channels) by[c.channel] = c;
  ASSERT_EQ(by.size(), 6u);
  EXPECT_EQ(by["team-telegram"].delivered, 1);
  EXPECT_EQ(by["team-telegram"].rerouted_in, 1);
  EXPECT_EQ(by["team-email"].delivered, 1);
  EXPECT_EQ(by["team-email"].rerouted_in, 1);
  EXPECT_EQ(by["team-whatsapp"].total, 1);
  EXPECT_EQ(by["team-whatsapp"].unconfirmed, 1);
  EXPECT_EQ(by["team-whatsapp"].rerouted_away, 2);
  EXPECT_EQ(by["brand-x"].failed, 1);
  EXPECT_EQ(by["brand-telegram"].delivered, 1);
  EXPECT_EQ(by["team-slack"].delivered, 1);
  EXPECT_EQ(by["team-slack"].rerouted_in, 0);

  ASSERT_TRUE(r->lifecycle);
  EXPECT_EQ(r->lifecycle->state, store::Lifecycle::kResolved);
  EXPECT_EQ(r->lifecycle->transitions.size(), 5u);
  ASSERT_EQ(r->assignments.size(), 2u);
  EXPECT_EQ(r->assignments[1].acknowledged_by, "bo");
  EXPECT_EQ(r->assignments[1].ended_by, "bo");
  EXPECT_EQ(r->assignments[1].state, store::AssignmentState::kDone);
  ASSERT_EQ(r->notes.size(), 1u);
  EXPECT_EQ(r->timeline.front().type, "opened");
  ASSERT_EQ(r->runs.size(), 1u);
  EXPECT_EQ(r->runs[0].state, store::RunState::kFinished);
  ASSERT_EQ(r->steps.size(), 2u);

  // Availability: 09:45 to 10:35 in one-minute buckets of two rounds each.
  const AvailabilityWindow& w = r->availability;
  EXPECT_EQ(w.bucket, 1min);
  EXPECT_EQ(w.range.begin, T("09:45:00"));
  EXPECT_EQ(w.range.end, T("10:35:00"));
  ASSERT_EQ(w.platforms.size(), 1u);
  EXPECT_EQ(w.platforms[0].source, "samples");
  ASSERT_EQ(w.platforms[0].buckets.size(), 50u);
  auto bucket = [&](const std::string& at) {
    for (const Bucket& b : w.platforms[0].buckets) {
      if (b.begin == T(at)) return b;
    }
    ADD_FAILURE() << "no bucket at " << at;
    return Bucket{};
  };
  EXPECT_EQ(bucket("09:58:00").Availability(), 1.0);
  EXPECT_EQ(bucket("09:58:00").median_ms, 100.0);
  EXPECT_EQ(bucket("09:59:00").Availability(), 0.0);
  EXPECT_FALSE(bucket("09:59:00").median_ms);
  EXPECT_EQ(bucket("10:19:00").Availability(), 0.5);
  ASSERT_EQ(w.phases[0].size(), 3u);
  EXPECT_EQ(w.phases[0][0].rounds, 30);  // before: 09:45:00 .. 09:59:30
  EXPECT_EQ(w.phases[0][0].ok_rounds, 28);
  EXPECT_EQ(w.phases[0][1].rounds, 40);  // during: 10:00:00 .. 10:19:30
  EXPECT_EQ(w.phases[0][1].ok_rounds, 1);
  EXPECT_EQ(w.phases[0][2].rounds, 30);
  EXPECT_EQ(w.phases[0][2].ok_rounds, 30);
}

TEST_F(ReportTest, MarkdownHasTheSectionsAndEscapesOutsideText) {
  ASSERT_NO_FATAL_FAILURE(Seed());
  auto r = BuildReport(*store_, id_, At());
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  const std::string md = RenderMarkdown(*r);
  for (const char* section :
       {"# Incident report: ", "## Key figures", "## Timeline", "## Lifecycle", "## Response",
        "## Tasks and who did them", "## Messages", "### Per channel",
        "## Availability and latency", "### whatsapp", "## Lessons learned", "### What went well",
        "### What we will change", "### Notes recorded during the incident"}) {
    EXPECT_THAT(md, HasSubstr(section));
  }
  EXPECT_THAT(md, HasSubstr("| Time to detect | 1 min | 09:59:00Z → 10:00:00Z |"));
  EXPECT_THAT(md, HasSubstr("| Time to first team alert | 4 s |"));
  EXPECT_THAT(md, HasSubstr("| Time to first audience announcement | 1 min 30 s |"));
  EXPECT_THAT(md, HasSubstr("| team-whatsapp | 1 | 0 | 0 | 1 | 0 | 0 | 0 | 2 |"));
  EXPECT_THAT(md, HasSubstr("| 10:00:00Z | +0 s | opened |"));
  EXPECT_THAT(md, HasSubstr("| meta-outage | post-holding | done | 1 |"));
  EXPECT_THAT(md, HasSubstr("ana, bo (escalated to level 1) | done | 10:07:00Z by bo | "
                            "10:30:00Z by bo | 6 min |"));
  // Outside text can neither inject HTML nor break a table nor format.
  EXPECT_THAT(md, HasSubstr("# Incident report: \\<script\\>alert('x')\\</script\\> WhatsApp \\| "
                            "down \\*now\\*"));
  EXPECT_THAT(md, Not(HasSubstr("<script>")));
  EXPECT_THAT(md, Not(HasSubstr("<b>")));
  EXPECT_THAT(md, HasSubstr("403 forbidden \\| \\<img src=x\\>"));
  // A note's lines keep their text but cannot become a heading, a list or a numbered list.
  EXPECT_THAT(md, HasSubstr("\\# Telegram gained 300 members"));
  EXPECT_THAT(md, HasSubstr("> \\- keep the link \\| \\<b\\>pinned\\</b\\>"));
  EXPECT_THAT(md, HasSubstr("> 1\\. ask ads"));
  // Every table row has as many cells as its header.
  std::size_t pos = 0;
  int header_cells = -1;
  while (pos < md.size()) {
    std::size_t end = md.find('\n', pos);
    std::string line = md.substr(pos, end - pos);
    pos = end + 1;
    if (!line.starts_with("|")) {
      header_cells = -1;
      continue;
    }
    // Count unescaped pipes.
    int cells = 0;
    for (std::size_t i = 0; i < line.size(); ++i) {
      if (line[i] == '|' && (i == 0 || line[i - 1] != '\\')) ++cells;
    }
    if (header_cells < 0) header_cells = cells;
    EXPECT_EQ(cells, header_cells) << line;
  }
}

TEST_F(ReportTest, HtmlIsSelfContainedWellFormedAndEscaped) {
  ASSERT_NO_FATAL_FAILURE(Seed());
  auto r = BuildReport(*store_, id_, At());
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  const std::string html = RenderHtml(*r);
  EXPECT_TRUE(html.starts_with("<!DOCTYPE html>"));
  EXPECT_TRUE(Balanced(html));
  // Three kinds of charts: the timeline, availability/latency (one platform), messages.
  EXPECT_EQ(Count(html, "<svg "), 3u);
  EXPECT_EQ(Count(html, "</svg>"), 3u);
  EXPECT_THAT(html, HasSubstr("Timeline of the incident"));
  EXPECT_THAT(html, HasSubstr("Availability and latency of whatsapp"));
  EXPECT_THAT(html, HasSubstr("Messages per channel"));
  EXPECT_THAT(html, HasSubstr("<polyline "));
  // The title, messages and reasons escaped; no script, no outside resource.
  EXPECT_THAT(html, HasSubstr("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; WhatsApp | down"));
  EXPECT_THAT(html, Not(HasSubstr("<script")));
  EXPECT_THAT(html, Not(HasSubstr("<b>")));
  EXPECT_THAT(html, Not(HasSubstr("<img")));
  EXPECT_THAT(html, HasSubstr("403 forbidden | &lt;img src=x&gt;"));
  EXPECT_THAT(html, Not(HasSubstr("src=\"http")));
  EXPECT_THAT(html, Not(HasSubstr("href=")));
  EXPECT_THAT(html, HasSubstr("default-src 'none'"));
  for (const char* id :
       {"figures", "timeline", "lifecycle", "tasks", "messages", "availability", "lessons"}) {
    EXPECT_THAT(html, HasSubstr(std::string("<section id=\"") + id + "\""));
  }
  EXPECT_THAT(html, HasSubstr(">1 min<"));       // time to detect
  EXPECT_THAT(html, HasSubstr(">1 min 30 s<"));  // first announcement
}

TEST_F(ReportTest, JsonCarriesTheFigures) {
  ASSERT_NO_FATAL_FAILURE(Seed());
  auto r = BuildReport(*store_, id_, At());
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  json j = ReportJson(*r);
  EXPECT_EQ(j["figures"]["time_to_detect"]["ms"], 60000);
  EXPECT_EQ(j["figures"]["time_to_detect"]["text"], "1 min");
  EXPECT_EQ(j["figures"]["onset"], "2026-11-27T09:59:00Z");
  EXPECT_EQ(j["figures"]["first_team_alert"]["after_open"]["ms"], 4000);
  EXPECT_EQ(j["figures"]["first_audience_announcement"]["after_open"]["ms"], 90000);
  EXPECT_EQ(j["incident"]["title"], kTitle);
  EXPECT_EQ(j["lifecycle"]["state"], "resolved");
  EXPECT_EQ(j["channels"].size(), 6u);
  EXPECT_EQ(j["availability"]["bucket_ms"], 60000);
}

TEST_F(ReportTest, UnknownIncidentIsNotFoundNamingIt) {
  auto r = BuildReport(*store_, "inc_nosuch", At());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), core::ErrorCode::kNotFound);
  EXPECT_THAT(r.error().message(), HasSubstr("inc_nosuch"));
}

TEST_F(ReportTest, WithoutSamplesTheIncidentsEvidenceGivesTheOnset) {
  store::NewIncident n;
  n.platforms = {"instagram"};
  n.title = "Instagram";
  n.opened_at = T("10:00:00");
  n.data_json = json{{"started", "2026-11-27T09:58:45Z"}}.dump();
  auto inc = store_->OpenIncident(n);
  ASSERT_TRUE(inc.ok());
  auto r = BuildReport(*store_, inc->id, At("10:05:00"));
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  ASSERT_TRUE(r->detection.time_to_detect);
  EXPECT_EQ(*r->detection.time_to_detect, 75s);
  EXPECT_EQ(r->detection.source, "incident evidence");
  // Still open: it lasts until the report's "now", and the window stops there.
  EXPECT_EQ(r->duration, 5min);
  EXPECT_EQ(r->availability.range.end, T("10:05:00"));
  EXPECT_EQ(r->availability.platforms[0].source, "");
  // No playbook, no messages: contacts decide, nothing is first.
  EXPECT_FALSE(r->lifecycle);
  EXPECT_FALSE(r->first_alert);
  EXPECT_EQ(r->message_basis, "contacts");
  const std::string md = RenderMarkdown(*r);
  EXPECT_THAT(md, HasSubstr("No playbook response ran for this incident."));
  EXPECT_THAT(md, HasSubstr("| Time to first team alert | none delivered |"));
  EXPECT_TRUE(Balanced(RenderHtml(*r)));
}

TEST_F(ReportTest, AProbeThatNeverSucceededSaysNothingAboutTheOnset) {
  store::NewIncident n;
  n.platforms = {"threads"};
  n.title = "Threads";
  n.opened_at = T("10:00:00");
  auto inc = store_->OpenIncident(n);
  ASSERT_TRUE(inc.ok());
  std::vector<store::ProbeSample> samples;
  for (store::Time t = T("09:00:00"); t <= T("10:00:00"); t += 1min) {
    store::ProbeSample web{"threads", "web", "here", t, t < T("09:57:00")};
    store::ProbeSample legacy{"threads", "legacy", "here", t, false};  // broken all along
    samples.push_back(web);
    samples.push_back(legacy);
  }
  ASSERT_TRUE(store_->AddProbeSamples(samples).ok());
  auto r = BuildReport(*store_, inc->id, At("10:30:00"));
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  ASSERT_TRUE(r->detection.onset);
  EXPECT_EQ(*r->detection.onset, T("09:57:00"));
  EXPECT_EQ(*r->detection.time_to_detect, 3min);
}

TEST_F(ReportTest, EvidenceToTheSecondDoesNotBeatAPreciseSample) {
  // As `serve` records it: the first failing round started at .433, the incident opened at .441,
  // and the opened event's "started" is written to the second.
  store::NewIncident n;
  n.platforms = {"whatsapp"};
  n.title = "WhatsApp";
  n.opened_at = T("10:00:00") + 441ms;
  n.data_json = json{{"started", "2026-11-27T10:00:00Z"}}.dump();
  auto inc = store_->OpenIncident(n);
  ASSERT_TRUE(inc.ok());
  std::vector<store::ProbeSample> samples;
  for (store::Time t = T("09:59:50") + 433ms; t <= T("10:00:05"); t += 1s) {
    samples.push_back({"whatsapp", "web", "here", t, t < T("10:00:00")});
  }
  ASSERT_TRUE(store_->AddProbeSamples(samples).ok());
  auto r = BuildReport(*store_, inc->id, At("10:05:00"));
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->detection.source, "probe samples");
  EXPECT_EQ(*r->detection.time_to_detect, 8ms);
}

TEST_F(ReportTest, RawSamplesPrunedFallBackToAggregates) {
  store::NewIncident n;
  n.platforms = {"facebook"};
  n.title = "Facebook";
  n.opened_at = T("10:00:00");
  auto inc = store_->OpenIncident(n);
  ASSERT_TRUE(inc.ok());
  std::vector<store::ProbeSample> samples;
  for (store::Time t = T("09:50:00"); t < T("10:10:00"); t += 30s) {
    samples.push_back(
        {"facebook", "web", "here", t, t < T("10:00:00"), core::Layer::kNone, "", 50.0});
  }
  ASSERT_TRUE(store_->AddProbeSamples(samples).ok());
  ASSERT_TRUE(store_->RollupMinutes({T("09:00:00"), T("11:00:00")}).ok());
  // Retention ran three days later: the raw samples are gone, the minutes stay.
  ASSERT_TRUE(store_->Prune(T("10:00:00") + std::chrono::hours(72)).ok());
  auto r = BuildReport(*store_, inc->id, At("10:05:00"));
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  const PlatformSeries& s = r->availability.platforms[0];
  EXPECT_EQ(s.source, "aggregates");
  std::int64_t rounds = 0, ok = 0;
  for (const Bucket& b : s.buckets) {
    rounds += b.rounds;
    ok += b.ok_rounds;
  }
  EXPECT_EQ(rounds, 30);  // 09:45 .. 10:05, samples from 09:50: 15 minutes of 2
  EXPECT_EQ(ok, 20);
  EXPECT_THAT(RenderMarkdown(*r), HasSubstr("Raw samples were pruned"));
}

TEST(ReportText, DurationsInWords) {
  EXPECT_EQ(HumanDuration(252s), "4 min 12 s");
  EXPECT_EQ(HumanDuration(4min), "4 min");
  EXPECT_EQ(HumanDuration(850ms), "850 ms");
  EXPECT_EQ(HumanDuration(0ms), "0 s");
  EXPECT_EQ(HumanDuration(42s), "42 s");
  EXPECT_EQ(HumanDuration(2h + 5min + 3s), "2 h 5 min");
  EXPECT_EQ(HumanDuration(std::chrono::hours(25)), "1 d 1 h");
  EXPECT_EQ(HumanDuration(-30s), "-30 s");
  EXPECT_EQ(Offset(90s), "+1 min 30 s");
  EXPECT_EQ(Percent(0.975), "97.5%");
  EXPECT_EQ(Percent(1.0), "100%");
  EXPECT_EQ(Percent(std::nullopt), "—");
  EXPECT_EQ(IsoTime(T("10:00:07")), "2026-11-27T10:00:07Z");
}

TEST(ReportText, Escaping) {
  EXPECT_EQ(EscapeHtml("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  EXPECT_EQ(EscapeMarkdown("a|b *c* _d_ `e` [f](g) <h> ~i~ \\ &amp;"),
            "a\\|b \\*c\\* \\_d\\_ \\`e\\` \\[f\\](g) \\<h\\> \\~i\\~ \\\\ \\&amp;");
  EXPECT_EQ(EscapeMarkdown("# heading"), "\\# heading");
  EXPECT_EQ(EscapeMarkdown("  - item"), "  \\- item");
  EXPECT_EQ(EscapeMarkdown("+ item"), "\\+ item");
  EXPECT_EQ(EscapeMarkdown("=== "), "\\=== ");
  EXPECT_EQ(EscapeMarkdown("12. point"), "12\\. point");
  EXPECT_EQ(EscapeMarkdown("3) point"), "3\\) point");
  EXPECT_EQ(EscapeMarkdown("10.5 ms a-b # c"), "10\\.5 ms a-b # c");
  EXPECT_EQ(EscapeMarkdown("two\nlines"), "two lines");
  // Control characters go, invalid UTF-8 becomes U+FFFD, valid UTF-8 stays.
  EXPECT_EQ(Clean("a\x01"
                  "b\x1b[31m"),
            "ab[31m");
  EXPECT_EQ(Clean("caf\xc3\xa9 \xff"), "caf\xc3\xa9 \xef\xbf\xbd");
  EXPECT_EQ(Shorten("h\xc3\xa9llo", 2), "h…");
}

// ---- the listening section ----

class ReportListeningTest : public ReportTest {
 protected:
  // A post of `query` at `at`, stored with its hour marked as collected.
  void Post(const std::string& query, store::Time at, double compound, std::int64_t shares = 0,
            const std::string& url = "", const std::string& text = "whatsapp down?") {
    store::ListenPost p;
    p.key = fmt::format("id:test:{}", ++seq_);
    p.source = "mastodon";
    p.source_id = std::to_string(seq_);
    p.url = url;
    p.author = "@user" + std::to_string(seq_ % 7);
    p.text = text;
    p.posted_at = at;
    p.fetched_at = at;
    p.shares = shares;
    p.compound = compound;
    p.queries = {query};
    const std::vector<store::Time> covered = {at};
    auto added = store_->Listening().AddPosts(std::span(&p, 1), nullptr, covered);
    ASSERT_TRUE(added.ok()) << added.error().ToString();
  }
  void Covered(store::Time at) {
    const std::vector<store::Time> covered = {at};
    ASSERT_TRUE(store_->Listening().AddPosts({}, nullptr, covered).ok());
  }

  // Six weeks of history: 4 chatter posts and 2 mentions in each of 09:00, 10:00 and 11:00 of the
  // same weekday (a quarter of the chatter positive). On the day: 3, 40 and 12 chatter posts (20
  // of them negative), the detector's decision that 10:00 fired, and a few mentions.
  void SeedListening() {
    for (int w = 1; w <= 6; ++w) {
      for (const char* hour : {"09:10:00", "10:10:00", "11:10:00"}) {
        const store::Time at = T(hour) - std::chrono::hours(24 * 7 * w);
        for (int i = 0; i < 4; ++i) {
          ASSERT_NO_FATAL_FAILURE(
              Post("chatter:whatsapp", at + std::chrono::seconds(i), i == 0 ? 0.4 : 0.0));
        }
        for (int i = 0; i < 2; ++i) {
          ASSERT_NO_FATAL_FAILURE(
              Post("brand:acme:mentions", at + std::chrono::seconds(10 + i), 0.3));
        }
      }
    }
    for (int i = 0; i < 3; ++i) ASSERT_NO_FATAL_FAILURE(Post("chatter:whatsapp", T("09:30:00"), 0));
    for (int i = 0; i < 40; ++i) {
      const double compound = i < 20 ? -0.6 : 0.0;
      ASSERT_NO_FATAL_FAILURE(Post("chatter:whatsapp", T("10:05:00") + std::chrono::seconds(i),
                                   compound,
                                   i == 3    ? 25
                                   : i == 30 ? 7
                                             : 0,
                                   i == 3 ? "https://mastodon.example/@ana/1" : ""));
    }
    ASSERT_NO_FATAL_FAILURE(Post("chatter:whatsapp", T("10:45:00"), -0.93, 2, "javascript:alert(1)",
                                 "WhatsApp is *awful* | [x](y) <b>"));
    for (int i = 0; i < 11; ++i) {
      ASSERT_NO_FATAL_FAILURE(Post("chatter:whatsapp", T("11:20:00") + std::chrono::seconds(i), 0));
    }
    ASSERT_NO_FATAL_FAILURE(Post("brand:acme:mentions", T("10:30:00"), -0.5, 3,
                                 "https://bsky.app/profile/bob/post/3k", "@acme answer me"));
    ASSERT_NO_FATAL_FAILURE(Post("brand:acme:hashtags", T("10:30:00"), 0));
    store::ListenSpike d;
    d.query = "chatter:whatsapp";
    d.platform = "whatsapp";
    d.hour = T("10:00:00");
    d.judged_at = T("11:00:30");
    d.observed = 41;
    d.expected = 4;
    d.usual = 4;
    d.weeks = {4, 4, 4, 4, 4, 4};
    d.p_value = 1e-20;
    d.run = 2;
    d.spiking = true;
    d.fired = true;
    d.reason = "spike";
    d.evidence = "41 posts in 10:00-11:00 UTC against 4 expected; 2 hours in a row: spike";
    ASSERT_TRUE(store_->Listening().PutSpike(d).ok());
    d.hour = T("09:00:00");
    d.observed = 3;
    d.spiking = d.fired = false;
    d.run = 0;
    d.reason = "below_min_count";
    d.evidence = "3 posts";
    ASSERT_TRUE(store_->Listening().PutSpike(d).ok());
  }

  int seq_ = 0;
};

TEST_F(ReportListeningTest, VolumeSpikesSentimentAndPostsOfTheIncidentsHours) {
  ASSERT_NO_FATAL_FAILURE(Seed());
  ASSERT_NO_FATAL_FAILURE(SeedListening());
  auto r = BuildReport(*store_, id_, At());
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  ASSERT_TRUE(r->listening);
  const ListeningSection& l = *r->listening;
  // An hour before the opening (10:00) to an hour after the close (10:20), in whole hours.
  EXPECT_EQ(l.range.begin, T("09:00:00"));
  EXPECT_EQ(l.range.end, T("12:00:00"));
  EXPECT_TRUE(l.missing.empty());
  // The failed platform's chatter first, then the brand's mentions; hashtags are not shown.
  ASSERT_EQ(l.queries.size(), 2u);
  const ListeningQuery& q = l.queries[0];
  EXPECT_EQ(q.query, "chatter:whatsapp");
  EXPECT_EQ(l.queries[1].query, "brand:acme:mentions");
  EXPECT_EQ(l.queries[1].brand, "acme");

  ASSERT_EQ(q.hours.size(), 3u);
  EXPECT_EQ(q.hours[0].posts, 3);
  EXPECT_EQ(q.hours[1].posts, 41);
  EXPECT_EQ(q.hours[2].posts, 11);
  for (const auto& h : q.hours) {
    ASSERT_TRUE(h.expected);
    EXPECT_DOUBLE_EQ(*h.expected, 4);  // the median of six weeks of 4
    EXPECT_EQ(h.band_low, 4);
    EXPECT_EQ(h.band_high, 4);
    EXPECT_EQ(h.weeks.size(), 6u);
  }
  EXPECT_EQ(q.hours[1].judged, "spike");
  EXPECT_TRUE(q.hours[1].fired);
  EXPECT_TRUE(q.hours[1].unusual);
  EXPECT_EQ(q.hours[0].judged, "below_min_count");
  EXPECT_EQ(q.hours[2].judged, "");  // the detector did not judge it
  EXPECT_EQ(q.posts, 55);
  ASSERT_TRUE(q.expected);
  EXPECT_DOUBLE_EQ(*q.expected, 12);
  EXPECT_EQ(q.spike_hours, 1);
  ASSERT_EQ(q.spike_evidence.size(), 1u);
  EXPECT_THAT(q.spike_evidence[0], HasSubstr("41 posts in 10:00-11:00 UTC"));

  EXPECT_EQ(q.sentiment.posts, 55);
  EXPECT_EQ(q.sentiment.negative, 21);
  EXPECT_EQ(q.sentiment.positive, 0);
  EXPECT_EQ(q.sentiment.neutral, 34);
  EXPECT_EQ(q.usual_weeks, 6);
  EXPECT_EQ(q.usual_sentiment.posts, 72);
  EXPECT_EQ(q.usual_sentiment.positive, 18);
  EXPECT_EQ(q.usual_sentiment.negative, 0);

  ASSERT_EQ(q.most_shared.size(), 3u);
  EXPECT_EQ(q.most_shared[0].shares, 25);
  EXPECT_EQ(q.most_shared[0].url, "https://mastodon.example/@ana/1");
  EXPECT_EQ(q.most_shared[1].shares, 7);
  EXPECT_EQ(q.most_shared[2].shares, 2);
  EXPECT_EQ(q.most_shared[2].url, "") << "only http(s) links are kept";
  ASSERT_EQ(q.most_negative.size(), 3u);
  EXPECT_DOUBLE_EQ(q.most_negative[0].compound, -0.93);
  EXPECT_DOUBLE_EQ(q.most_negative[1].compound, -0.6);

  const std::string md = RenderMarkdown(*r);
  EXPECT_THAT(md, HasSubstr("## Listening"));
  EXPECT_THAT(md, HasSubstr("### Outage chatter on whatsapp"));
  EXPECT_THAT(md, HasSubstr("55 posts against 12 expected (4.6 ×); the detector found a spike on "
                            "in 1 hour"));
  EXPECT_THAT(md, HasSubstr("| 10:00:00Z | 41 | 4 (4–4) | spike |"));
  EXPECT_THAT(md, HasSubstr("| 11:00:00Z | 11 | 4 (4–4) | not judged |"));
  EXPECT_THAT(md, HasSubstr("- 41 posts in 10:00-11:00 UTC against 4 expected"));
  EXPECT_THAT(md, HasSubstr("| This window | 55 | 0% | 61.8% | 38.2% | -0.24 |"));
  EXPECT_THAT(md,
              HasSubstr("| Usual (same hours, 6 weeks before) | 72 | 25% | 75% | 0% | +0.10 |"));
  EXPECT_THAT(md, HasSubstr("[link](https://mastodon.example/@ana/1)"));
  EXPECT_THAT(md, HasSubstr("WhatsApp is \\*awful\\* \\| \\[x\\](y) \\<b\\>"));
  EXPECT_THAT(md, Not(HasSubstr("javascript:")));
  EXPECT_THAT(md, HasSubstr("### Mentions of acme"));
  EXPECT_THAT(md, HasSubstr("[link](https://bsky.app/profile/bob/post/3k)"));

  const std::string html = RenderHtml(*r);
  EXPECT_TRUE(Balanced(html));
  EXPECT_THAT(html, HasSubstr("<section id=\"listening\">"));
  EXPECT_THAT(html, HasSubstr("aria-label=\"Posts per hour of Outage chatter on whatsapp\""));
  EXPECT_THAT(html, HasSubstr("<a href=\"https://mastodon.example/@ana/1\""));
  EXPECT_THAT(html, HasSubstr("10:00:00Z: 41 posts, expected 4 (4–4); spike"));
  EXPECT_THAT(html, HasSubstr("WhatsApp is *awful* | [x](y) &lt;b&gt;"));
  EXPECT_THAT(html, Not(HasSubstr("javascript:")));

  json j = ReportJson(*r);
  const json& jq = j["listening"]["queries"][0];
  EXPECT_EQ(jq["query"], "chatter:whatsapp");
  EXPECT_EQ(jq["posts"], 55);
  EXPECT_EQ(jq["expected"], 12.0);
  EXPECT_EQ(jq["hours"][1]["posts"], 41);
  EXPECT_EQ(jq["hours"][1]["band"]["high"], 4);
  EXPECT_EQ(jq["hours"][1]["judged"], "spike");
  EXPECT_EQ(jq["sentiment"]["negative"], 21);
  EXPECT_EQ(jq["usual_sentiment"]["posts"], 72);
  EXPECT_EQ(jq["most_shared"][0]["url"], "https://mastodon.example/@ana/1");
  EXPECT_EQ(jq["most_negative"][0]["compound"], -0.93);
}

TEST_F(ReportListeningTest, AnHourWithoutCollectionIsNoDataAndAPlatformWithoutChatterIsNamed) {
  store::NewIncident n;
  n.platforms = {"whatsapp", "instagram"};
  n.title = "Meta down";
  n.opened_at = T("10:00:00");
  auto inc = store_->OpenIncident(n);
  ASSERT_TRUE(inc.ok()) << inc.error().ToString();
  ASSERT_TRUE(store_->CloseIncident(inc->id, {T("10:20:00"), "closed", "closed", "{}"}).ok());
  // Collection ran at 09:00 and 11:00 only; no history.
  ASSERT_NO_FATAL_FAILURE(Post("chatter:whatsapp", T("09:10:00"), 0));
  ASSERT_NO_FATAL_FAILURE(Covered(T("11:05:00")));
  auto r = BuildReport(*store_, inc->id, At());
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  ASSERT_TRUE(r->listening);
  EXPECT_EQ(r->listening->missing, std::vector<std::string>{"instagram"});
  ASSERT_EQ(r->listening->queries.size(), 1u);
  const ListeningQuery& q = r->listening->queries[0];
  ASSERT_EQ(q.hours.size(), 3u);
  EXPECT_EQ(q.hours[0].posts, 1);
  EXPECT_FALSE(q.hours[1].posts) << "10:00 was not collected: no data, not zero";
  EXPECT_EQ(q.hours[2].posts, 0);
  EXPECT_FALSE(q.expected) << "no history";
  EXPECT_EQ(q.usual_weeks, 0);
  const std::string md = RenderMarkdown(*r);
  EXPECT_THAT(md, HasSubstr("| 10:00:00Z | — | — | no data |"));
  EXPECT_THAT(md, HasSubstr("No outage chatter query for instagram"));
  EXPECT_THAT(md, HasSubstr("1 post (not enough history for an expectation); no spike"));
  EXPECT_TRUE(Balanced(RenderHtml(*r)));
}

TEST_F(ReportListeningTest, WithoutListeningTheSectionSaysSo) {
  ASSERT_NO_FATAL_FAILURE(Seed());
  auto r = BuildReport(*store_, id_, At());
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_FALSE(r->listening);
  EXPECT_THAT(RenderMarkdown(*r), HasSubstr("## Listening\n\nNo listening data for this time"));
  EXPECT_THAT(RenderHtml(*r), HasSubstr("<p>No listening data for this time"));
  EXPECT_TRUE(ReportJson(*r)["listening"].is_null());
}

// ---- the API route ----

class ReportRoutesTest : public ReportTest {
 protected:
  void SetUp() override {
    ReportTest::SetUp();
    routes_ = std::make_unique<ReportRoutes>(*store_, [] { return T("12:00:00"); });
    api::ServerOptions so;
    so.listen = "127.0.0.1:0";
    so.groups = {routes_.get()};
    server_ = std::make_unique<api::Server>(backend_, so);
    ASSERT_TRUE(server_->Start().ok());
  }
  void TearDown() override {
    if (server_) server_->Stop();
  }
  api::testing::Reply Get(const std::string& target) {
    return api::testing::Get(server_->port(), target);
  }

  api::testing::FakeBackend backend_;
  std::unique_ptr<ReportRoutes> routes_;
  std::unique_ptr<api::Server> server_;
};

TEST_F(ReportRoutesTest, AnswersJsonMarkdownAndHtml) {
  ASSERT_NO_FATAL_FAILURE(Seed());
  auto j = Get("/v1/incidents/" + id_ + "/report");
  ASSERT_EQ(j.status, 200u) << j.body;
  EXPECT_EQ(j.Header("content-type"), "application/json");
  EXPECT_EQ(j.Json()["figures"]["time_to_detect"]["ms"], 60000);

  auto md = Get("/v1/incidents/" + id_ + "/report?format=md");
  ASSERT_EQ(md.status, 200u) << md.body;
  EXPECT_EQ(md.Header("content-type"), "text/markdown; charset=utf-8");
  EXPECT_THAT(md.body, HasSubstr("## Key figures"));

  auto html = Get("/v1/incidents/" + id_ + "/report?format=html");
  ASSERT_EQ(html.status, 200u) << html.body;
  EXPECT_EQ(html.Header("content-type"), "text/html; charset=utf-8");
  EXPECT_TRUE(Balanced(html.body));
  EXPECT_THAT(html.body, HasSubstr("<svg "));

  auto bad = Get("/v1/incidents/" + id_ + "/report?format=pdf");
  EXPECT_EQ(bad.status, 400u);
  EXPECT_THAT(bad.body, HasSubstr("json, md, html"));
  auto missing = Get("/v1/incidents/inc_nosuch/report?format=html");
  EXPECT_EQ(missing.status, 404u);
  EXPECT_THAT(missing.body, HasSubstr("inc_nosuch"));
  EXPECT_EQ(Get("/v1/incidents/" + id_ + "/report?fmt=md").status, 400u);
}

TEST(ReportRoutesOpenApi, TheRouteIsDocumented) {
  std::ifstream in(std::string(LIFELINE_SOURCE_DIR) + "/docs/openapi.json");
  json doc = json::parse(in);
  lifeline::testing::TempDir dir{"report-openapi"};
  auto s = store::OpenSqlite(dir.path() + "/l.db");
  ASSERT_TRUE(s.ok());
  ReportRoutes routes(**s);
  std::set<std::pair<std::string, std::string>> routed;
  for (const api::PartRoute& r : routes.Routes()) {
    std::string method = r.method;
    for (char& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    routed.insert({r.pattern, method});
    ASSERT_TRUE(doc["paths"].contains(r.pattern)) << r.pattern << " is not in docs/openapi.json";
    ASSERT_TRUE(doc["paths"][r.pattern].contains(method)) << r.method << " " << r.pattern;
    const json& op = doc["paths"][r.pattern][method];
    EXPECT_EQ(op["x-lifeline-part"], "report");
    EXPECT_EQ(op["x-lifeline-min-role"], "viewer");
    std::set<std::string> documented;
    for (const json& p : op.value("parameters", json::array())) {
      if (p.value("in", "") == "query") documented.insert(p["name"].get<std::string>());
    }
    EXPECT_EQ(documented, std::set<std::string>(r.query.begin(), r.query.end()));
    for (const char* type : {"application/json", "text/markdown", "text/html"}) {
      EXPECT_TRUE(op["responses"]["200"]["content"].contains(type)) << type;
    }
  }
  for (const auto& [path, item] : doc["paths"].items()) {
    for (const auto& [method, op] : item.items()) {
      if (op.value("x-lifeline-part", "") != "report") continue;
      EXPECT_TRUE(routed.count({path, method})) << method << " " << path << " is not routed";
    }
  }
}

}  // namespace
}  // namespace lifeline::report
