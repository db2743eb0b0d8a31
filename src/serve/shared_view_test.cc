// SharedView (what the other instances watch, read back from the store) over a real store: the
// first read learns, later reads report only what moved — platform states, status pages, and each
// incident's new events, a closed one's last events included.
#include "serve/shared_view.h"

#include <gtest/gtest.h>

#include "core/temp_dir.h"

namespace lifeline::serve {
namespace {

using namespace std::chrono_literals;

const store::Time kT0 = store::FromSystem(std::chrono::sys_days{std::chrono::year{2026} / 12 / 6});

store::PlatformState State(std::string platform, core::Verdict v, store::Time at) {
  store::PlatformState st;
  st.platform = std::move(platform);
  st.verdict = v;
  st.reason = "test";
  st.updated_at = at;
  return st;
}

TEST(SharedView, ReportsOnlyWhatAnotherInstanceChangedSinceTheLastRead) {
  lifeline::testing::TempDir dir;
  auto opened = store::OpenSqlite(dir.path() + "/lifeline.db");
  ASSERT_TRUE(opened.ok()) << opened.error().ToString();
  store::Store& db = **opened;
  ASSERT_TRUE(db.PutPlatformState(State("x", core::Verdict::kUp, kT0)).ok());
  store::NewIncident n;
  n.platforms = {"y"};
  n.title = "Y: outage";
  n.opened_at = kT0;
  n.message = "opened: y fails";
  auto before = db.OpenIncident(n);
  ASSERT_TRUE(before.ok());

  SharedView view(db);
  auto first = view.Read();
  ASSERT_TRUE(first.ok()) << first.error().ToString();
  ASSERT_EQ(first->states.size(), 1u);
  EXPECT_EQ(first->incident_of.at("y"), before->id);
  ASSERT_EQ(first->incidents.size(), 1u) << "the first read tells what is open";
  EXPECT_EQ(first->incidents[0].incident.id, before->id);
  EXPECT_TRUE(first->incidents[0].events.empty()) << "not what happened before";

  auto quiet = view.Read();
  ASSERT_TRUE(quiet.ok());
  EXPECT_TRUE(quiet->states.empty());
  EXPECT_TRUE(quiet->incidents.empty());
  EXPECT_EQ(quiet->incident_of.size(), 1u);

  // Another instance: x fails and opens an incident; y's incident is updated, then closed.
  ASSERT_TRUE(db.PutPlatformState(State("x", core::Verdict::kOutage, kT0 + 10s)).ok());
  n.platforms = {"x"};
  n.title = "X: outage";
  n.opened_at = kT0 + 10s;
  auto opened_x = db.OpenIncident(n);
  ASSERT_TRUE(opened_x.ok());
  ASSERT_TRUE(db.UpdateIncident(before->id, {}, {kT0 + 11s, "updated", "still down", "{}"}).ok());
  ASSERT_TRUE(db.CloseIncident(before->id, {kT0 + 12s, "closed", "closed: recovered", "{}"}).ok());

  auto next = view.Read();
  ASSERT_TRUE(next.ok()) << next.error().ToString();
  ASSERT_EQ(next->states.size(), 1u);
  EXPECT_EQ(next->states[0].verdict, core::Verdict::kOutage);
  EXPECT_EQ(next->incident_of.count("y"), 0u);
  EXPECT_EQ(next->incident_of.at("x"), opened_x->id);
  ASSERT_EQ(next->incidents.size(), 2u);
  for (const auto& c : next->incidents) {
    if (c.incident.id == opened_x->id) {
      ASSERT_EQ(c.events.size(), 1u) << "a new incident: all of its events";
      EXPECT_EQ(c.events[0].seq, 1);
    } else {
      EXPECT_EQ(c.incident.id, before->id);
      EXPECT_EQ(c.incident.state, store::IncidentState::kClosed);
      ASSERT_EQ(c.events.size(), 2u) << "the update and the close, not the opening seen before";
      EXPECT_EQ(c.events[0].message, "still down");
      EXPECT_EQ(c.events[1].message, "closed: recovered");
    }
  }
  auto after = view.Read();
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after->incidents.empty()) << "the closed one is not reported again";

  // An incident that opens and closes between two reads is still reported, whole.
  n.platforms = {"z"};
  n.title = "Z: outage";
  n.opened_at = kT0 + 20s;
  auto blip = db.OpenIncident(n);
  ASSERT_TRUE(blip.ok());
  ASSERT_TRUE(db.CloseIncident(blip->id, {kT0 + 25s, "closed", "closed: recovered", "{}"}).ok());
  auto seen = view.Read();
  ASSERT_TRUE(seen.ok()) << seen.error().ToString();
  ASSERT_EQ(seen->incidents.size(), 1u);
  EXPECT_EQ(seen->incidents[0].incident.id, blip->id);
  EXPECT_EQ(seen->incidents[0].events.size(), 2u) << "opened and closed";
  EXPECT_EQ(seen->incident_of.count("z"), 0u);
  auto quiet_again = view.Read();
  ASSERT_TRUE(quiet_again.ok());
  EXPECT_TRUE(quiet_again->incidents.empty());
}

}  // namespace
}  // namespace lifeline::serve
