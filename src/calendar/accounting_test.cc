// The posts side of the recovery checklist: every part due during the incident is accounted for.
#include "calendar/accounting.h"

#include <gtest/gtest.h>

#include <chrono>

#include "core/temp_dir.h"
#include "store/store.h"

namespace lifeline::calendar {
namespace {

using namespace std::chrono_literals;
using store::PartState;

const auto kT0 = std::chrono::sys_days{std::chrono::year{2026} / 11 / 27} + 10h;

store::Time At(std::chrono::minutes m) { return store::FromSystem(kT0 + m); }

store::Post MakePost(std::string id, std::chrono::minutes at,
                     std::vector<std::pair<std::string, PartState>> parts,
                     const std::string& incident = "") {
  store::Post p;
  p.id = std::move(id);
  p.text = "text of " + p.id;
  p.at = At(at);
  p.source = "api";
  p.by = "test";
  for (auto& [channel, state] : parts) {
    store::PostPart part;
    part.channel = channel;
    part.state = state;
    part.due = p.at;
    if (state == PartState::kHeld) part.held_by = incident;
    if (!incident.empty()) part.incident_id = incident;
    p.parts.push_back(part);
  }
  return p;
}

class AccountingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = store::OpenSqlite(dir_.path() + "/lifeline.db");
    ASSERT_TRUE(s.ok()) << s.error().ToString();
    store_ = std::move(*s);
    store::NewIncident inc;
    inc.kind = store::IncidentKind::kPlatform;
    inc.domain = "telegram";
    inc.verdict = core::Verdict::kOutage;
    inc.title = "Telegram outage";
    inc.platforms = {"telegram"};
    inc.opened_at = At(0min);
    auto opened = store_->OpenIncident(inc);
    ASSERT_TRUE(opened.ok()) << opened.error().ToString();
    incident_ = *opened;
  }

  void Add(std::vector<store::Post> posts) {
    auto added = store_->Calendar().Add(posts);
    ASSERT_TRUE(added.ok()) << added.error().ToString();
  }

  lifeline::testing::TempDir dir_{"accounting-test"};
  std::unique_ptr<store::Store> store_;
  store::Incident incident_;
};

TEST_F(AccountingTest, EveryPartDueDuringTheIncidentIsCountedByWhatBecameOfIt) {
  incident_.closed_at = At(60min);
  Add({MakePost("before", -30min, {{"t", PartState::kPublished}}),
       MakePost("sale", 10min, {{"t", PartState::kPublished}, {"m", PartState::kPublished}},
                incident_.id),
       MakePost("flash", 20min, {{"t", PartState::kDropped}}, incident_.id),
       MakePost("news", 30min, {{"m", PartState::kPublished}}),
       MakePost("after", 90min, {{"t", PartState::kScheduled}})});
  auto a = AccountPosts(store_->Calendar(), incident_, At(120min));
  ASSERT_TRUE(a.ok()) << a.error().ToString();
  EXPECT_EQ(a->body["due"], 4) << a->body.dump(2);
  EXPECT_EQ(a->body["released"], 2);
  EXPECT_EQ(a->body["published"], 1);
  EXPECT_EQ(a->body["dropped"], 1);
  EXPECT_EQ(a->body["held"], 0);
  EXPECT_FALSE(a->attention) << "every part published, released or dropped";
}

TEST_F(AccountingTest, APartStillHeldAfterTheIncidentOrFailedNeedsALook) {
  Add({MakePost("sale", 10min, {{"t", PartState::kHeld}}, incident_.id)});
  auto open = AccountPosts(store_->Calendar(), incident_, At(30min));
  ASSERT_TRUE(open.ok());
  EXPECT_EQ(open->body["held"], 1);
  EXPECT_FALSE(open->attention) << "held while the incident is open is what should happen";

  incident_.closed_at = At(60min);
  auto closed = AccountPosts(store_->Calendar(), incident_, At(120min));
  ASSERT_TRUE(closed.ok());
  EXPECT_TRUE(closed->attention) << closed->body.dump(2);

  Add({MakePost("news", 40min, {{"m", PartState::kFailed}})});
  incident_.closed_at.reset();
  auto failed = AccountPosts(store_->Calendar(), incident_, At(50min));
  ASSERT_TRUE(failed.ok());
  EXPECT_EQ(failed->body["failed"], 1);
  EXPECT_TRUE(failed->attention);
}

TEST_F(AccountingTest, NoPostDueSaysSo) {
  auto a = AccountPosts(store_->Calendar(), incident_, At(30min));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->body["due"], 0);
  EXPECT_EQ(a->body["summary"], "No scheduled post was due during the incident.");
}

}  // namespace
}  // namespace lifeline::calendar
