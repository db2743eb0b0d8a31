// `lifeline migrate`'s copy (pg/copy.h) from a real SQLite installation into a real PostgreSQL
// database: what a team sees afterwards is what it had — incidents and their timelines, the outbox
// and its counters, timers, tokens that still sign in, crowd-report keys that still match — and
// the copy refuses to merge into a database that holds data.
#include "store/pg/copy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "store/pg/store_fixture.h"

namespace lifeline::store {
namespace {

using pg::testing::MustOk;
using std::chrono::seconds;
using ::testing::HasSubstr;

const Time kT0 = FromMillis(1'795'773'600'000);  // 2026-11-27T10:00:00Z

class PgCopy : public pg::testing::PgStoreTest {
 protected:
  void SetUp() override {
    PgStoreTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    dir_ = ::testing::TempDir() + "/lifeline-copy-XXXXXX";
    ASSERT_NE(mkdtemp(dir_.data()), nullptr);
    path_ = dir_ + "/lifeline.db";
  }
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
    PgStoreTest::TearDown();
  }
  PostgresOptions Target() {
    PostgresOptions pg;
    pg.url = url_;
    return pg;
  }
  std::string dir_;
  std::string path_;
};

TEST_F(PgCopy, EverythingATeamHadIsThereAfterTheCopy) {
  std::string token_secret, client_key, first_incident;
  std::vector<std::string> message_ids;
  {
    auto s = MustOk(OpenSqlite(path_));
    NewIncident ni;
    ni.platforms = {"instagram", "facebook"};
    ni.title = "Instagram and Facebook are down";
    ni.opened_at = kT0;
    auto inc = MustOk(s->OpenIncident(ni));
    first_incident = inc.id;
    MustOk(s->AppendEvent(inc.id, {kT0 + seconds(5), "note", "team alerted", "{}"}));
    MustOk(s->CloseIncident(inc.id, {kT0 + seconds(600), "", "back", "{}"}));
    ni.platforms = {"tiktok"};
    ni.title = "TikTok is down";
    ni.opened_at = kT0 + seconds(700);
    MustOk(s->OpenIncident(ni));

    std::vector<NewMessage> batch;
    for (int i = 0; i < 1200; ++i) {  // more than one INSERT batch
      NewMessage m;
      m.idempotency_key = "alert/" + std::to_string(i);
      m.channel = i % 3 ? "telegram" : "email";
      m.text = "Instagram is down: we answer on Telegram";
      m.incident_id = inc.id;
      m.media = {"https://cdn.example.com/banner.png"};
      m.created_at = kT0 + seconds(i);
      batch.push_back(m);
    }
    for (const auto& e : MustOk(s->Outbox().Enqueue(batch))) message_ids.push_back(e.message.id);
    ClaimRequest tg{"telegram", 10, false};
    auto claimed = MustOk(s->Outbox().ClaimDue(kT0 + seconds(2000), std::span(&tg, 1)));
    std::vector<MessageUpdate> done;
    for (const auto& m : claimed) {
      MessageUpdate u;
      u.id = m.id;
      u.state = MessageState::kDelivered;
      u.at = kT0 + seconds(2001);
      u.remote_id = "tg-" + m.id;
      done.push_back(u);
    }
    MustOk(s->Outbox().Update(done));

    NewTimer t;
    t.key = "escalate/" + inc.id;
    t.kind = "playbook.escalate";
    t.due = kT0 + seconds(900);
    t.created_at = kT0;
    MustOk(s->Timers().Schedule(t));

    token_secret = MustOk(s->CreateToken({"ops", Role::kOperator, kT0})).secret;
    client_key = MustOk(s->ClientKey("203.0.113.7", kT0));
  }

  auto report = MustOk(pg::CopyFromSqlite(path_, Target()));
  EXPECT_GT(report.rows, 2400);
  EXPECT_THAT(report.derived,
              ::testing::UnorderedElementsAre("message_count_deltas", "message_counts"));
  auto find = [&](std::string_view t) {
    for (const auto& c : report.tables) {
      if (c.name == t) return c.rows;
    }
    return std::int64_t{-1};
  };
  EXPECT_EQ(find("messages"), 1200);
  EXPECT_EQ(find("incidents"), 2);
  EXPECT_EQ(find("timers"), 1);

  auto from = MustOk(OpenSqlite(path_));
  auto to = MustOk(OpenPostgres(Target()));
  IncidentQuery all;
  auto a = MustOk(from->ListIncidents(all));
  auto b = MustOk(to->ListIncidents(all));
  ASSERT_EQ(a.incidents.size(), b.incidents.size());
  for (std::size_t i = 0; i < a.incidents.size(); ++i) {
    EXPECT_EQ(a.incidents[i].id, b.incidents[i].id);
    EXPECT_EQ(a.incidents[i].title, b.incidents[i].title);
    EXPECT_EQ(a.incidents[i].platforms, b.incidents[i].platforms);
    EXPECT_EQ(a.incidents[i].state, b.incidents[i].state);
    EXPECT_EQ(a.incidents[i].closed_at, b.incidents[i].closed_at);
  }
  auto ea = MustOk(from->ListEvents(first_incident, 0, 100));
  auto eb = MustOk(to->ListEvents(first_incident, 0, 100));
  ASSERT_EQ(ea.size(), eb.size());
  for (std::size_t i = 0; i < ea.size(); ++i) {
    EXPECT_EQ(ea[i].seq, eb[i].seq);
    EXPECT_EQ(ea[i].message, eb[i].message);
    EXPECT_EQ(ea[i].at, eb[i].at);
  }

  // The outbox: same messages, timelines and counters; pages in the same order.
  auto ca = MustOk(from->Outbox().Counts());
  auto cb = MustOk(to->Outbox().Counts());
  ASSERT_EQ(ca.size(), cb.size());
  for (std::size_t i = 0; i < ca.size(); ++i) {
    EXPECT_EQ(ca[i].channel, cb[i].channel);
    EXPECT_EQ(ca[i].state, cb[i].state);
    EXPECT_EQ(ca[i].count, cb[i].count);
  }
  for (const std::string& id : {message_ids.front(), message_ids[1], message_ids.back()}) {
    auto ma = MustOk(from->Outbox().Get(id));
    auto mb = MustOk(to->Outbox().Get(id));
    EXPECT_EQ(ma.message.state, mb.message.state);
    EXPECT_EQ(ma.message.remote_id, mb.message.remote_id);
    EXPECT_EQ(ma.message.media, mb.message.media);
    ASSERT_EQ(ma.events.size(), mb.events.size());
    EXPECT_EQ(ma.events.back().type, mb.events.back().type);
  }
  MessageQuery page;
  page.limit = 5;
  auto pa = MustOk(from->Outbox().List(page));
  auto pb = MustOk(to->Outbox().List(page));
  ASSERT_EQ(pb.messages.size(), 5u);
  EXPECT_EQ(pa.messages.front().id, pb.messages.front().id);

  // Timers, tokens, crowd-report keys carry on.
  TimerQuery tq;
  auto timers = MustOk(to->Timers().List(tq));
  ASSERT_EQ(timers.size(), 1u);
  EXPECT_EQ(timers[0].due, kT0 + seconds(900));
  auto token = MustOk(to->FindTokenByHash(HashToken(token_secret)));
  EXPECT_EQ(token.name, "ops");
  EXPECT_EQ(MustOk(to->ClientKey("203.0.113.7", kT0)), client_key);

  // New rows go on after the copied ones: a new message is the newest.
  NewMessage later;
  later.idempotency_key = "after-migrate";
  later.channel = "telegram";
  later.text = "still down";
  later.created_at = kT0 + seconds(5000);
  MustOk(to->Outbox().Enqueue(std::span(&later, 1)));
  EXPECT_EQ(MustOk(to->Outbox().List(page)).messages.front().idempotency_key, "after-migrate");

  // A second copy into the same database is refused, and changes nothing.
  auto again = pg::CopyFromSqlite(path_, Target());
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code(), core::ErrorCode::kFailedPrecondition);
  EXPECT_THAT(again.error().message(), HasSubstr("already holds data"));
  EXPECT_EQ(MustOk(to->Outbox().Counts()).size(), cb.size());
}

TEST_F(PgCopy, AMissingFileIsNamedAndNothingIsCreated) {
  auto r = pg::CopyFromSqlite(dir_ + "/nope.db", Target());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), core::ErrorCode::kNotFound);
  EXPECT_THAT(r.error().message(), HasSubstr("nope.db"));
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/nope.db"));
}

}  // namespace
}  // namespace lifeline::store
