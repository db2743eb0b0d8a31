// `lifeline report` as a person runs it, on a database the test prepares the way `serve` fills
// it: Markdown on stdout, a self-contained HTML file with --output, JSON; an unknown incident, a
// missing database and a bad --format exit with messages that say what is wrong.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "integration/support/lifeline_cli.h"
#include "integration/support/process.h"
#include "store/store.h"

namespace lifeline {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::RunLifeline;
using testing::TempDir;
using namespace std::chrono_literals;

store::Time At(int minute, int second = 0) {
  using namespace std::chrono;
  return store::Time(sys_days(year(2026) / 11 / 27).time_since_epoch() + hours(10) +
                     minutes(minute) + seconds(second));
}

class CliReportTest : public ::testing::Test {
 protected:
  // WhatsApp fails at 10:01, the incident opens at 10:02 and closes at 10:10; an alert to a
  // contact went around WhatsApp to Telegram and was delivered at 10:02:05.
  void SetUp() override {
    auto opened = store::OpenSqlite(dir_.File("lifeline.db"));
    ASSERT_TRUE(opened.ok()) << opened.error().ToString();
    std::unique_ptr<store::Store> st = std::move(*opened);
    store::NewIncident n;
    n.domain = "meta";
    n.platforms = {"whatsapp"};
    n.title = "WhatsApp <script>alert(1)</script> | down";
    n.opened_at = At(2);
    n.message = "opened: DNS SERVFAIL";
    auto inc = st->OpenIncident(n);
    ASSERT_TRUE(inc.ok()) << inc.error().ToString();
    id_ = inc->id;
    std::vector<store::ProbeSample> samples;
    for (store::Time t = At(0) - 20min; t <= At(20); t += 30s) {
      store::ProbeSample s{"whatsapp", "web", "here", t, t < At(1) || t >= At(10)};
      if (s.ok) s.total_ms = 120;
      samples.push_back(s);
    }
    ASSERT_TRUE(st->AddProbeSamples(samples).ok());
    store::NewMessage m;
    m.idempotency_key = "alert/" + id_ + "/opened/ana";
    m.channel = "team-telegram";
    m.contact = "ana";
    m.text = "WhatsApp is down";
    m.incident_id = id_;
    m.route = "team-whatsapp: circuit open, WhatsApp outage";
    m.created_at = At(2, 1);
    ASSERT_TRUE(st->Outbox().Enqueue(std::span(&m, 1)).ok());
    store::ClaimRequest c{"team-telegram", 1, false};
    auto claimed = st->Outbox().ClaimDue(At(2, 2), std::span(&c, 1));
    ASSERT_TRUE(claimed.ok() && claimed->size() == 1u);
    store::MessageUpdate u;
    u.id = (*claimed)[0].id;
    u.state = store::MessageState::kDelivered;
    u.at = At(2, 5);
    ASSERT_TRUE(st->Outbox().Update(std::span(&u, 1)).ok());
    ASSERT_TRUE(st->CloseIncident(id_, {At(10), "closed", "closed: recovered", "{}"}).ok());
  }

  TempDir dir_{"cli-report"};
  std::string id_;
};

TEST_F(CliReportTest, MarkdownOnStdout) {
  auto r = RunLifeline({"report", id_, "--data-dir", dir_.path()});
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("# Incident report: WhatsApp \\<script\\>alert(1)\\</script\\> "
                               "\\| down"));
  EXPECT_THAT(r.out, HasSubstr("| Time to detect | 1 min | 10:01:00Z → 10:02:00Z |"));
  EXPECT_THAT(r.out, HasSubstr("| Time to first team alert | 5 s |"));
  EXPECT_THAT(r.out, HasSubstr("| Time to first audience announcement | none delivered |"));
  EXPECT_THAT(r.out, HasSubstr("| team-telegram | 1 | 1 | 0 | 0 | 0 | 0 | 1 | 0 |"));
  EXPECT_THAT(r.out, HasSubstr("## Lessons learned"));
  EXPECT_THAT(r.out, Not(HasSubstr("<script>")));
}

TEST_F(CliReportTest, HtmlToAFileAndJson) {
  const std::string file = dir_.File("report.html");
  auto r =
      RunLifeline({"report", id_, "--format", "html", "--output", file, "--data-dir", dir_.path()});
  ASSERT_EQ(r.code, 0) << r.out;
  const std::string html = testing::ReadFile(file);
  EXPECT_TRUE(html.starts_with("<!DOCTYPE html>")) << html.substr(0, 200);
  EXPECT_THAT(html, HasSubstr("<svg "));
  EXPECT_THAT(html, HasSubstr("WhatsApp &lt;script&gt;alert(1)&lt;/script&gt; | down"));
  EXPECT_THAT(html, Not(HasSubstr("<script")));
  EXPECT_TRUE(html.ends_with("</html>\n"));

  auto j = RunLifeline({"report", id_, "--format", "json", "--data-dir", dir_.path()});
  ASSERT_EQ(j.code, 0) << j.out;
  auto doc = nlohmann::json::parse(j.out, nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << j.out;
  EXPECT_EQ(doc["figures"]["time_to_detect"]["ms"], 60000);
  EXPECT_EQ(doc["figures"]["first_team_alert"]["after_open"]["ms"], 5000);
  EXPECT_EQ(doc["incident"]["id"], id_);
}

// Listening data around the incident (10:00-11:00 hours, and the same hours six weeks back): the
// report's listening section shows WhatsApp's chatter against the usual, the detector's spike,
// the sentiment and the most shared post with its link, in Markdown, HTML and JSON.
TEST_F(CliReportTest, TheListeningSectionShowsTheChatter) {
  {
    auto opened = store::OpenSqlite(dir_.File("lifeline.db"));
    ASSERT_TRUE(opened.ok()) << opened.error().ToString();
    std::unique_ptr<store::Store> st = std::move(*opened);
    int seq = 0;
    auto post = [&](store::Time at, double compound, std::int64_t shares, std::string url) {
      store::ListenPost p;
      p.key = "id:test:" + std::to_string(++seq);
      p.source = "mastodon";
      p.source_id = std::to_string(seq);
      p.url = std::move(url);
      p.author = "user" + std::to_string(seq);
      p.text = shares > 0 ? "whatsapp down for everyone? #whatsappdown" : "whatsapp down";
      p.posted_at = at;
      p.fetched_at = at;
      p.shares = shares;
      p.compound = compound;
      p.queries = {"chatter:whatsapp"};
      const std::vector<store::Time> covered = {at};
      ASSERT_TRUE(st->Listening().AddPosts(std::span(&p, 1), nullptr, covered).ok());
    };
    for (int w = 1; w <= 6; ++w) {
      for (int h : {-1, 0, 1}) {
        for (int i = 0; i < 3; ++i) {
          post(At(5) + std::chrono::hours(h) - std::chrono::hours(24 * 7 * w), 0, 0, "");
        }
      }
    }
    for (int i = 0; i < 30; ++i)
      post(At(5, i), i < 10 ? -0.5 : 0, i == 4 ? 12 : 0,
           i == 4 ? "https://mastodon.example/@ana/77" : "");
    // Collection ran in the hours either side too, where nobody posted.
    const std::vector<store::Time> quiet = {At(-30), At(90)};
    ASSERT_TRUE(st->Listening().AddPosts({}, nullptr, quiet).ok());
    store::ListenSpike d;
    d.query = "chatter:whatsapp";
    d.platform = "whatsapp";
    d.hour = At(0);
    d.judged_at = At(0) + std::chrono::hours(1);
    d.observed = 30;
    d.expected = 3;
    d.spiking = d.fired = true;
    d.run = 2;
    d.reason = "spike";
    d.evidence = "30 posts in 10:00-11:00 UTC against 3 expected; 2 hours in a row: spike";
    ASSERT_TRUE(st->Listening().PutSpike(d).ok());
  }
  auto r = RunLifeline({"report", id_, "--data-dir", dir_.path()});
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("## Listening"));
  EXPECT_THAT(r.out, HasSubstr("### Outage chatter on whatsapp"));
  EXPECT_THAT(r.out, HasSubstr("30 posts against 9 expected (3.3 ×); the detector found a spike "
                               "on in 1 hour"));
  EXPECT_THAT(r.out, HasSubstr("| 10:00:00Z | 30 | 3 (3–3) | spike |"));
  EXPECT_THAT(r.out, HasSubstr("| This window | 30 | 0% | 66.7% | 33.3% | -0.17 |"));
  EXPECT_THAT(r.out, HasSubstr("[link](https://mastodon.example/@ana/77)"));

  const std::string file = dir_.File("report.html");
  auto h =
      RunLifeline({"report", id_, "--format", "html", "--output", file, "--data-dir", dir_.path()});
  ASSERT_EQ(h.code, 0) << h.out;
  const std::string html = testing::ReadFile(file);
  EXPECT_THAT(html, HasSubstr("aria-label=\"Posts per hour of Outage chatter on whatsapp\""));
  EXPECT_THAT(html, HasSubstr("<a href=\"https://mastodon.example/@ana/77\""));

  auto j = RunLifeline({"report", id_, "--format", "json", "--data-dir", dir_.path()});
  ASSERT_EQ(j.code, 0) << j.out;
  auto doc = nlohmann::json::parse(j.out, nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << j.out;
  const auto& q = doc["listening"]["queries"][0];
  EXPECT_EQ(q["query"], "chatter:whatsapp");
  EXPECT_EQ(q["posts"], 30);
  EXPECT_EQ(q["hours"][1]["judged"], "spike");
  EXPECT_EQ(q["sentiment"]["negative"], 10);
  EXPECT_EQ(q["usual_sentiment"]["posts"], 54);
  EXPECT_EQ(q["most_shared"][0]["shares"], 12);
}

TEST_F(CliReportTest, WithoutListeningTheReportSaysSo) {
  auto r = RunLifeline({"report", id_, "--data-dir", dir_.path()});
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("## Listening\n\nNo listening data for this time"));
}

TEST_F(CliReportTest, ClearErrors) {
  auto unknown = RunLifeline({"report", "inc_nosuch", "--data-dir", dir_.path()});
  EXPECT_EQ(unknown.code, 1) << unknown.out;
  EXPECT_THAT(unknown.out, HasSubstr("no incident inc_nosuch"));

  auto format = RunLifeline({"report", id_, "--format", "pdf", "--data-dir", dir_.path()});
  EXPECT_EQ(format.code, 2) << format.out;
  EXPECT_THAT(format.out, HasSubstr("md, html"));

  TempDir empty{"cli-report-empty"};
  auto missing = RunLifeline({"report", id_, "--data-dir", empty.path()});
  EXPECT_EQ(missing.code, 1) << missing.out;
  EXPECT_THAT(missing.out, HasSubstr("no database at " + empty.File("lifeline.db")));
  EXPECT_FALSE(std::filesystem::exists(empty.File("lifeline.db")))
      << "a report never creates a database";

  auto no_id = RunLifeline({"report", "--data-dir", dir_.path()});
  EXPECT_EQ(no_id.code, 2) << no_id.out;
}

}  // namespace
}  // namespace lifeline
