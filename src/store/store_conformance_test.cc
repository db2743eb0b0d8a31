// Behaviour every Store must have (store.h's contract), run here against SQLite in a temp dir.
// Times are explicit: nothing sleeps.
#include "store/store_conformance_test.h"

#include <gmock/gmock.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <random>
#include <set>
#include <thread>

namespace lifeline::store {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;
using ::testing::ElementsAre;

// 2026-11-27T10:00:00Z, a whole hour.
const Time kT0 = FromMillis(1'795'773'600'000);

#define ASSERT_OK(expr)                                             \
  do {                                                              \
    auto&& _r = (expr);                                             \
    ASSERT_TRUE(_r.ok()) << #expr << ": " << _r.error().ToString(); \
  } while (0)

template <typename T>
T Must(core::Result<T> r) {
  if (!r.ok()) {
    ADD_FAILURE() << r.error().ToString();
    std::abort();
  }
  return std::move(r).value();
}

ProbeSample Sample(std::string platform, std::string probe, Time at, bool ok,
                   std::optional<double> total_ms, std::string from = "here") {
  ProbeSample s;
  s.platform = std::move(platform);
  s.probe_id = std::move(probe);
  s.from = std::move(from);
  s.at = at;
  s.ok = ok;
  s.total_ms = total_ms;
  if (!ok) {
    s.layer = core::Layer::kHttp;
    s.detail = std::string(core::detail::kTimeout);
  } else {
    s.http_status = 200;
  }
  return s;
}

NewIncident Outage(std::vector<std::string> platforms, Time at, std::string title = "down") {
  NewIncident n;
  n.kind = platforms.size() > 1 ? IncidentKind::kDomain : IncidentKind::kPlatform;
  n.domain = "meta";
  n.platforms = std::move(platforms);
  n.verdict = core::Verdict::kOutage;
  n.title = std::move(title);
  n.opened_at = at;
  n.message = "2 of 2 vantage points fail with DNS SERVFAIL";
  n.data_json = R"({"layer":"dns"})";
  return n;
}

// ---- Probe results ----

TEST_P(StoreConformance, SamplesComeBackInTimeOrderFilteredByRange) {
  std::vector<ProbeSample> batch = {
      Sample("instagram", "web", kT0 + seconds(30), true, 120),
      Sample("instagram", "web", kT0 + seconds(10), false, std::nullopt),
      Sample("instagram", "api", kT0 + seconds(20), true, 80, "eu-west"),
      Sample("whatsapp", "web", kT0 + seconds(15), true, 50),
      Sample("instagram", "web", kT0 + minutes(1), true, 99),  // == range end: excluded
  };
  batch[1].http_status = 503;
  ASSERT_OK(store_->AddProbeSamples(batch));

  auto got = Must(store_->ListProbeSamples({"instagram", {kT0, kT0 + minutes(1)}}));
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].at, kT0 + seconds(10));
  EXPECT_FALSE(got[0].ok);
  EXPECT_EQ(got[0].layer, core::Layer::kHttp);
  EXPECT_EQ(got[0].detail, "timeout");
  EXPECT_EQ(got[0].http_status, 503);
  EXPECT_FALSE(got[0].total_ms.has_value());
  EXPECT_EQ(got[1].probe_id, "api");
  EXPECT_EQ(got[1].from, "eu-west");
  EXPECT_EQ(got[2].total_ms, 120.0);

  SampleQuery only_web{"instagram", {kT0, kT0 + hours(1)}, "web", "here"};
  EXPECT_EQ(Must(store_->ListProbeSamples(only_web)).size(), 3u);
  SampleQuery limited{"instagram", {kT0, kT0 + hours(1)}};
  limited.limit = 2;
  auto first_two = Must(store_->ListProbeSamples(limited));
  ASSERT_EQ(first_two.size(), 2u);
  EXPECT_EQ(first_two[1].at, kT0 + seconds(20));
}

TEST_P(StoreConformance, RollupPercentilesAreExactOnKnownSamples) {
  // 100 successes with latencies 1..100 ms in random order, plus 5 timeouts: the timeouts count
  // against availability but not in the latency percentiles.
  std::vector<ProbeSample> batch;
  for (int ms = 1; ms <= 100; ++ms) {
    batch.push_back(Sample("instagram", "web", kT0 + milliseconds(ms * 500), true, ms));
  }
  for (int i = 0; i < 5; ++i) {
    batch.push_back(Sample("instagram", "web", kT0 + seconds(i), false, 10000));
  }
  // A second probe with 10 samples 10, 20, ..., 100 (nearest rank: p95 = p99 = 100).
  for (int i = 1; i <= 10; ++i) {
    batch.push_back(Sample("instagram", "api", kT0 + seconds(i), true, 10.0 * i));
  }
  std::shuffle(batch.begin(), batch.end(), std::mt19937(7));
  ASSERT_OK(store_->AddProbeSamples(batch));

  auto stats = Must(store_->RollupMinutes({kT0, kT0 + minutes(1)}));
  EXPECT_EQ(stats.minutes, 1);
  EXPECT_EQ(stats.aggregates, 2);

  auto aggs = Must(store_->ListAggregates({"instagram", {kT0, kT0 + hours(1)}}));
  ASSERT_EQ(aggs.size(), 2u);
  const auto& api = aggs[0];  // ordered by minute, probe_id
  const auto& web = aggs[1];
  EXPECT_EQ(web.probe_id, "web");
  EXPECT_EQ(web.minute, kT0);
  EXPECT_EQ(web.count, 105);
  EXPECT_EQ(web.ok_count, 100);
  EXPECT_NEAR(web.Availability(), 100.0 / 105.0, 1e-12);
  EXPECT_EQ(web.latency_count, 100);
  EXPECT_EQ(web.latency_min, 1.0);
  EXPECT_EQ(web.latency_p50, 50.0);
  EXPECT_EQ(web.latency_p95, 95.0);
  EXPECT_EQ(web.latency_p99, 99.0);
  EXPECT_EQ(web.latency_max, 100.0);

  EXPECT_EQ(api.probe_id, "api");
  EXPECT_EQ(api.count, 10);
  EXPECT_EQ(api.Availability(), 1.0);
  EXPECT_EQ(api.latency_min, 10.0);
  EXPECT_EQ(api.latency_p50, 50.0);
  EXPECT_EQ(api.latency_p95, 100.0);
  EXPECT_EQ(api.latency_p99, 100.0);
}

TEST_P(StoreConformance, MinuteWithOnlyFailuresHasNoLatency) {
  ASSERT_OK(store_->AddProbeSamples(
      std::vector<ProbeSample>{Sample("instagram", "web", kT0 + seconds(1), false, std::nullopt),
                               Sample("instagram", "web", kT0 + seconds(31), false, 5000)}));
  ASSERT_OK(store_->RollupMinutes({kT0, kT0 + minutes(1)}));
  auto aggs = Must(store_->ListAggregates({"instagram", {kT0, kT0 + minutes(1)}}));
  ASSERT_EQ(aggs.size(), 1u);
  EXPECT_EQ(aggs[0].count, 2);
  EXPECT_EQ(aggs[0].Availability(), 0.0);
  EXPECT_EQ(aggs[0].latency_count, 0);
  EXPECT_FALSE(aggs[0].latency_p50.has_value());
}

TEST_P(StoreConformance, AggregatesAreKeptPerVantagePoint) {
  ASSERT_OK(store_->AddProbeSamples(std::vector<ProbeSample>{
      Sample("instagram", "web", kT0 + seconds(1), true, 20),
      Sample("instagram", "web", kT0 + seconds(2), false, std::nullopt, "eu-west")}));
  ASSERT_OK(store_->RollupMinutes({kT0, kT0 + minutes(1)}));
  AggregateQuery here{"instagram", {kT0, kT0 + minutes(1)}, "", "here"};
  auto aggs = Must(store_->ListAggregates(here));
  ASSERT_EQ(aggs.size(), 1u);
  EXPECT_EQ(aggs[0].Availability(), 1.0);
  EXPECT_EQ(Must(store_->ListAggregates({"instagram", {kT0, kT0 + minutes(1)}})).size(), 2u);
}

TEST_P(StoreConformance, RollupIsIdempotent) {
  ASSERT_OK(store_->AddProbeSamples(
      std::vector<ProbeSample>{Sample("x", "web", kT0 + seconds(5), true, 10),
                               Sample("x", "web", kT0 + seconds(6), true, 30),
                               Sample("x", "web", kT0 + minutes(3), true, 70)}));
  ASSERT_OK(store_->RollupMinutes({kT0, kT0 + minutes(5)}));
  auto once = Must(store_->ListAggregates({"x", {kT0, kT0 + hours(1)}}));
  ASSERT_OK(store_->RollupMinutes({kT0, kT0 + minutes(5)}));
  auto twice = Must(store_->ListAggregates({"x", {kT0, kT0 + hours(1)}}));
  ASSERT_EQ(once.size(), 2u);
  ASSERT_EQ(twice.size(), 2u);
  for (std::size_t i = 0; i < once.size(); ++i) {
    EXPECT_EQ(once[i].minute, twice[i].minute);
    EXPECT_EQ(once[i].count, twice[i].count);
    EXPECT_EQ(once[i].latency_p50, twice[i].latency_p50);
  }
  EXPECT_EQ(once[0].count, 2);
  EXPECT_EQ(once[1].minute, kT0 + minutes(3));
}

TEST_P(StoreConformance, RollupPendingTakesOnlyFinishedMinutesOnce) {
  ASSERT_OK(store_->AddProbeSamples(
      std::vector<ProbeSample>{Sample("x", "web", kT0 + seconds(10), true, 10),
                               Sample("x", "web", kT0 + minutes(1) + seconds(10), true, 20)}));
  // At 10:01:30 only the 10:00 minute is finished.
  auto first = Must(store_->RollupPending(kT0 + minutes(1) + seconds(30)));
  EXPECT_EQ(first.minutes, 1);
  EXPECT_EQ(Must(store_->ListAggregates({"x", {kT0, kT0 + hours(1)}})).size(), 1u);
  EXPECT_EQ(Must(store_->RollupPending(kT0 + minutes(1) + seconds(50))).minutes, 0);
  // At 10:02:00 the 10:01 minute has ended.
  EXPECT_EQ(Must(store_->RollupPending(kT0 + minutes(2))).minutes, 1);
  EXPECT_EQ(Must(store_->ListAggregates({"x", {kT0, kT0 + hours(1)}})).size(), 2u);
  EXPECT_EQ(Must(store_->RollupPending(kT0 + minutes(2))).minutes, 0);
}

TEST_P(StoreConformance, LateSampleIsCountedByTheNextRollup) {
  ASSERT_OK(store_->AddProbeSamples(
      std::vector<ProbeSample>{Sample("x", "web", kT0 + seconds(10), true, 10)}));
  ASSERT_OK(store_->RollupPending(kT0 + minutes(5)));
  // A vantage point's result for 10:00 arrives at 10:05.
  ASSERT_OK(store_->AddProbeSamples(std::vector<ProbeSample>{
      Sample("x", "web", kT0 + seconds(20), false, std::nullopt, "eu-west"),
      Sample("x", "web", kT0 + seconds(40), true, 30)}));
  ASSERT_OK(store_->RollupPending(kT0 + minutes(5)));
  auto aggs = Must(store_->ListAggregates({"x", {kT0, kT0 + minutes(1)}}));
  ASSERT_EQ(aggs.size(), 2u);
  EXPECT_EQ(aggs[0].from, "eu-west");
  EXPECT_EQ(aggs[1].from, "here");
  EXPECT_EQ(aggs[1].count, 2);
  EXPECT_EQ(aggs[1].latency_max, 30.0);
}

TEST_P(StoreConformance, RetentionKeepsRawFor48HoursAndAggregatesFor90Days) {
  Time now = kT0 + hours(24 * 200);
  ASSERT_OK(store_->AddProbeSamples(std::vector<ProbeSample>{
      Sample("x", "web", now - hours(24 * 91), true, 1),  // aggregate too old
      Sample("x", "web", now - hours(24 * 89), true, 2),  // aggregate kept, raw gone
      Sample("x", "web", now - hours(49), true, 3),       // raw gone
      Sample("x", "web", now - hours(47), true, 4),       // raw kept
  }));
  auto pruned = Must(store_->Prune(now));  // rolls up first, then deletes
  EXPECT_EQ(pruned.samples, 3);
  EXPECT_EQ(pruned.aggregates, 1);

  auto raw = Must(store_->ListProbeSamples({"x", {now - hours(24 * 365), now}}));
  ASSERT_EQ(raw.size(), 1u);
  EXPECT_EQ(raw[0].total_ms, 4.0);
  auto aggs = Must(store_->ListAggregates({"x", {now - hours(24 * 365), now}}));
  ASSERT_EQ(aggs.size(), 3u);
  EXPECT_EQ(aggs[0].latency_max, 2.0);
  EXPECT_EQ(aggs[1].latency_max, 3.0);
  EXPECT_EQ(aggs[2].latency_max, 4.0);

  // Re-rolling a range whose raw samples are gone keeps the aggregates.
  ASSERT_OK(store_->RollupMinutes({now - hours(24 * 365), now}));
  EXPECT_EQ(Must(store_->ListAggregates({"x", {now - hours(24 * 365), now}})).size(), 3u);
  auto again = Must(store_->Prune(now));
  EXPECT_EQ(again.samples, 0);
  EXPECT_EQ(again.aggregates, 0);
}

TEST_P(StoreConformance, RetentionIsConfigurable) {
  OpenOptions options;
  options.retention.samples = hours(1);
  Reopen(options);
  ASSERT_OK(store_->AddProbeSamples(
      std::vector<ProbeSample>{Sample("x", "web", kT0 - minutes(61), true, 1),
                               Sample("x", "web", kT0 - minutes(59), true, 2)}));
  EXPECT_EQ(Must(store_->Prune(kT0)).samples, 1);
}

// ---- Platform state and status pages ----

TEST_P(StoreConformance, PlatformStateIsUpserted) {
  EXPECT_EQ(store_->GetPlatformState("instagram").error().code(), core::ErrorCode::kNotFound);
  PlatformState st;
  st.platform = "instagram";
  st.verdict = core::Verdict::kOutage;
  st.layer = core::Layer::kDns;
  st.detail = "servfail";
  st.confidence = 0.93;
  st.reason = "fails here and from 2 of 2 vantage points";
  st.evidence_json = R"(["2 of 2 vantage points fail with DNS SERVFAIL"])";
  st.updated_at = kT0;
  ASSERT_OK(store_->PutPlatformState(st));
  st.platform = "facebook";
  st.verdict = core::Verdict::kUp;
  ASSERT_OK(store_->PutPlatformState(st));
  st.platform = "instagram";
  st.verdict = core::Verdict::kDegraded;
  st.updated_at = kT0 + seconds(30);
  ASSERT_OK(store_->PutPlatformState(st));

  auto got = Must(store_->GetPlatformState("instagram"));
  EXPECT_EQ(got.verdict, core::Verdict::kDegraded);
  EXPECT_EQ(got.layer, core::Layer::kDns);
  EXPECT_EQ(got.detail, "servfail");
  EXPECT_DOUBLE_EQ(got.confidence, 0.93);
  EXPECT_EQ(got.evidence_json, st.evidence_json);
  EXPECT_EQ(got.updated_at, kT0 + seconds(30));
  auto all = Must(store_->ListPlatformStates());
  ASSERT_EQ(all.size(), 2u);
  // Only what changed since: instagram's state is the one written at T0 + 30 s.
  auto recent = Must(store_->ListPlatformStates(kT0 + seconds(30)));
  ASSERT_EQ(recent.size(), 1u);
  EXPECT_EQ(recent[0].platform, "instagram");
  EXPECT_TRUE(Must(store_->ListPlatformStates(kT0 + seconds(31))).empty());
  EXPECT_EQ(all[0].platform, "facebook");
  EXPECT_EQ(all[1].platform, "instagram");
}

TEST_P(StoreConformance, StatusPageStateIsUpserted) {
  ASSERT_OK(store_->PutStatusPage({"instagram", "none", "All Systems Operational", kT0, "{}"}));
  ASSERT_OK(store_->PutStatusPage({"instagram", "major", "Partial outage", kT0 + minutes(1),
                                   R"({"status":{"indicator":"major"}})"}));
  auto got = Must(store_->GetStatusPage("instagram"));
  EXPECT_EQ(got.indicator, "major");
  EXPECT_EQ(got.description, "Partial outage");
  EXPECT_EQ(got.fetched_at, kT0 + minutes(1));
  EXPECT_EQ(got.raw_json, R"({"status":{"indicator":"major"}})");
  EXPECT_EQ(Must(store_->ListStatusPages()).size(), 1u);
  EXPECT_EQ(store_->GetStatusPage("x").error().code(), core::ErrorCode::kNotFound);
}

TEST_P(StoreConformance, BadInputIsInvalidArgument) {
  PlatformState st;
  st.platform = "instagram";
  st.confidence = 1.5;
  EXPECT_EQ(store_->PutPlatformState(st).error().code(), core::ErrorCode::kInvalidArgument);
  st.confidence = 1;
  st.evidence_json = "[not json";
  EXPECT_EQ(store_->PutPlatformState(st).error().code(), core::ErrorCode::kInvalidArgument);
  EXPECT_EQ(store_->AddProbeSamples(std::vector<ProbeSample>{Sample("", "web", kT0, true, 1)})
                .error()
                .code(),
            core::ErrorCode::kInvalidArgument);
  auto inc = Outage({}, kT0);
  EXPECT_EQ(store_->OpenIncident(inc).error().code(), core::ErrorCode::kInvalidArgument);
  EXPECT_EQ(store_->ListIncidents({.cursor = "garbage"}).error().code(),
            core::ErrorCode::kInvalidArgument);
  // Nothing of the rejected batch was stored.
  EXPECT_TRUE(Must(store_->ListPlatformStates()).empty());
}

// ---- Incidents ----

TEST_P(StoreConformance, IncidentLifecycleKeepsAnOrderedTimeline) {
  auto inc = Must(store_->OpenIncident(Outage({"facebook", "instagram"}, kT0, "Meta down")));
  EXPECT_TRUE(inc.id.starts_with("inc_"));
  EXPECT_EQ(inc.state, IncidentState::kOpen);
  EXPECT_EQ(inc.kind, IncidentKind::kDomain);
  EXPECT_THAT(inc.platforms, ElementsAre("facebook", "instagram"));
  EXPECT_EQ(inc.opened_at, kT0);
  EXPECT_EQ(inc.last_seq, 1);

  auto ev =
      Must(store_->AppendEvent(inc.id, {kT0 + seconds(30), "evidence", "status page: major outage",
                                        R"({"indicator":"major"})"}));
  EXPECT_EQ(ev.seq, 2);
  EXPECT_EQ(ev.incident_id, inc.id);

  IncidentPatch patch;
  patch.platforms = std::vector<std::string>{"facebook", "instagram", "whatsapp"};
  patch.title = "Meta down: 3 platforms";
  auto updated = Must(store_->UpdateIncident(
      inc.id, patch, {kT0 + minutes(1), "updated", "whatsapp fails too", "{}"}));
  EXPECT_THAT(updated.platforms, ElementsAre("facebook", "instagram", "whatsapp"));
  EXPECT_EQ(updated.title, "Meta down: 3 platforms");
  EXPECT_EQ(updated.verdict, core::Verdict::kOutage);  // unset in the patch: unchanged
  EXPECT_EQ(updated.updated_at, kT0 + minutes(1));

  auto closed = Must(store_->CloseIncident(inc.id, {kT0 + minutes(30), "", "recovered", "{}"}));
  EXPECT_EQ(closed.state, IncidentState::kClosed);
  EXPECT_EQ(closed.closed_at, kT0 + minutes(30));
  // Notes after closing (recovery checks) still go on the timeline.
  auto note = Must(store_->AppendEvent(inc.id, {kT0 + hours(2), "note", "no messages lost", "{}"}));
  EXPECT_EQ(note.seq, 5);

  auto events = Must(store_->ListEvents(inc.id, 0, 100));
  ASSERT_EQ(events.size(), 5u);
  std::vector<std::string> types;
  for (const auto& e : events) types.push_back(e.type);
  EXPECT_THAT(types, ElementsAre("opened", "evidence", "updated", "closed", "note"));
  EXPECT_EQ(events[0].message, "2 of 2 vantage points fail with DNS SERVFAIL");
  EXPECT_EQ(events[0].data_json, R"({"layer":"dns"})");
  EXPECT_EQ(events[1].data_json, R"({"indicator":"major"})");
  for (std::size_t i = 0; i < events.size(); ++i) EXPECT_EQ(events[i].seq, int(i) + 1);

  auto tail = Must(store_->ListEvents(inc.id, 3, 1));
  ASSERT_EQ(tail.size(), 1u);
  EXPECT_EQ(tail[0].type, "closed");

  auto got = Must(store_->GetIncident(inc.id));
  EXPECT_EQ(got.last_seq, 5);
  EXPECT_EQ(got.updated_at, kT0 + hours(2));

  EXPECT_EQ(store_->CloseIncident(inc.id, {kT0 + hours(3), "", "again", "{}"}).error().code(),
            core::ErrorCode::kFailedPrecondition);
  EXPECT_EQ(
      store_->UpdateIncident(inc.id, patch, {kT0 + hours(3), "updated", "", "{}"}).error().code(),
      core::ErrorCode::kFailedPrecondition);
  EXPECT_EQ(store_->AppendEvent("inc_missing", {kT0, "note", "", "{}"}).error().code(),
            core::ErrorCode::kNotFound);
  EXPECT_EQ(store_->GetIncident("inc_missing").error().code(), core::ErrorCode::kNotFound);
  EXPECT_EQ(store_->ListEvents("inc_missing", 0, 10).error().code(), core::ErrorCode::kNotFound);
  EXPECT_EQ(store_->AppendEvent(inc.id, {kT0, "Not Snake", "", "{}"}).error().code(),
            core::ErrorCode::kInvalidArgument);
}

TEST_P(StoreConformance, APlatformIncidentCanBecomeItsDomains) {
  auto inc = Must(store_->OpenIncident(Outage({"instagram"}, kT0)));
  ASSERT_EQ(inc.kind, IncidentKind::kPlatform);
  IncidentPatch unchanged;
  unchanged.title = "Instagram: outage";
  auto same =
      Must(store_->UpdateIncident(inc.id, unchanged, {kT0 + seconds(10), "updated", "", "{}"}));
  EXPECT_EQ(same.kind, IncidentKind::kPlatform);  // unset in the patch: unchanged
  EXPECT_EQ(same.domain, "meta");
  IncidentPatch regroup;
  regroup.kind = IncidentKind::kDomain;
  regroup.domain = "meta";
  regroup.platforms = std::vector<std::string>{"instagram", "facebook"};
  auto domain =
      Must(store_->UpdateIncident(inc.id, regroup, {kT0 + seconds(20), "updated", "", "{}"}));
  EXPECT_EQ(domain.kind, IncidentKind::kDomain);
  EXPECT_EQ(Must(store_->GetIncident(inc.id)).kind, IncidentKind::kDomain);
}

TEST_P(StoreConformance, IncidentsListOpenFirstThenNewestWithACursor) {
  // Opened at T0+1h .. T0+5h; #1 and #4 get closed.
  std::vector<Incident> made;
  for (int i = 1; i <= 5; ++i) {
    made.push_back(Must(store_->OpenIncident(
        Outage({i % 2 ? "instagram" : "whatsapp"}, kT0 + hours(i), "n" + std::to_string(i)))));
  }
  ASSERT_OK(store_->CloseIncident(made[0].id, {kT0 + hours(6), "", "", "{}"}));
  ASSERT_OK(store_->CloseIncident(made[3].id, {kT0 + hours(6), "", "", "{}"}));

  std::vector<std::string> titles;
  IncidentQuery q;
  q.limit = 2;
  int pages = 0;
  while (true) {
    auto page = Must(store_->ListIncidents(q));
    ++pages;
    for (const auto& inc : page.incidents) titles.push_back(inc.title);
    if (page.next_cursor.empty()) break;
    q.cursor = page.next_cursor;
  }
  EXPECT_EQ(pages, 3);
  EXPECT_THAT(titles, ElementsAre("n5", "n3", "n2", "n4", "n1"));

  auto open = Must(store_->ListIncidents({.state = IncidentState::kOpen}));
  ASSERT_EQ(open.incidents.size(), 3u);
  EXPECT_TRUE(open.next_cursor.empty());
  auto insta = Must(store_->ListIncidents({.platform = "instagram"}));
  std::vector<std::string> insta_titles;
  for (const auto& inc : insta.incidents) {
    insta_titles.push_back(inc.title);
    EXPECT_THAT(inc.platforms, ElementsAre("instagram"));
  }
  EXPECT_THAT(insta_titles, ElementsAre("n5", "n3", "n1"));
  EXPECT_EQ(store_->ListIncidents({.limit = 0}).error().code(), core::ErrorCode::kInvalidArgument);
}

// A drill is an incident only the playbook sees: listings leave it out unless they ask for it.
TEST_P(StoreConformance, DrillsAreListedOnlyWhenAskedFor) {
  auto real = Must(store_->OpenIncident(Outage({"whatsapp"}, kT0, "real")));
  NewIncident d = Outage({"whatsapp"}, kT0 + seconds(1), "drill");
  d.drill = true;
  auto drill = Must(store_->OpenIncident(d));
  EXPECT_TRUE(drill.drill);
  EXPECT_FALSE(real.drill);
  EXPECT_TRUE(Must(store_->GetIncident(drill.id)).drill);

  auto titles = [&](IncidentQuery q) {
    std::vector<std::string> out;
    for (const auto& inc : Must(store_->ListIncidents(q)).incidents) out.push_back(inc.title);
    return out;
  };
  EXPECT_THAT(titles({}), ElementsAre("real"));
  EXPECT_THAT(titles({.state = IncidentState::kOpen, .platform = "whatsapp"}), ElementsAre("real"));
  EXPECT_THAT(titles({.drills = DrillFilter::kOnly}), ElementsAre("drill"));
  EXPECT_THAT(titles({.drills = DrillFilter::kInclude}), ElementsAre("drill", "real"));
  ASSERT_OK(store_->CloseIncident(drill.id, {kT0 + seconds(5), "", "drill ended", "{}"}));
  auto closed = Must(store_->GetIncident(drill.id));
  EXPECT_TRUE(closed.drill);
  EXPECT_EQ(closed.state, IncidentState::kClosed);
}

TEST_P(StoreConformance, DeleteIncidentRemovesItsTimeline) {
  auto a = Must(store_->OpenIncident(Outage({"instagram"}, kT0)));
  auto b = Must(store_->OpenIncident(Outage({"instagram"}, kT0 + seconds(1))));
  ASSERT_OK(store_->AppendEvent(a.id, {kT0, "note", "x", "{}"}));
  ASSERT_OK(store_->DeleteIncident(a.id));
  EXPECT_EQ(store_->GetIncident(a.id).error().code(), core::ErrorCode::kNotFound);
  EXPECT_EQ(store_->ListEvents(a.id, 0, 10).error().code(), core::ErrorCode::kNotFound);
  EXPECT_EQ(store_->DeleteIncident(a.id).error().code(), core::ErrorCode::kNotFound);
  EXPECT_EQ(Must(store_->ListEvents(b.id, 0, 10)).size(), 1u);
  EXPECT_EQ(Must(store_->ListIncidents({})).incidents.size(), 1u);
}

TEST_P(StoreConformance, ConcurrentAppendsGetDistinctGapFreeSequences) {
  auto inc = Must(store_->OpenIncident(Outage({"instagram"}, kT0)));
  constexpr int kThreads = 4;
  constexpr int kEach = 25;
  std::atomic<int> failures = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        auto r = store_->AppendEvent(inc.id,
                                     {kT0 + seconds(t * 100 + i), "note", std::to_string(t), "{}"});
        if (!r.ok()) ++failures;
        // Reads run concurrently with the writes.
        if (!store_->GetIncident(inc.id).ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures, 0);
  auto events = Must(store_->ListEvents(inc.id, 0, 1000));
  ASSERT_EQ(events.size(), std::size_t{kThreads * kEach + 1});
  for (std::size_t i = 0; i < events.size(); ++i) EXPECT_EQ(events[i].seq, int(i) + 1);
}

// ---- Crowd reports ----

TEST_P(StoreConformance, OneReportPerClientPerPlatformPerHour) {
  auto alice = Must(store_->ClientKey("198.51.100.7", kT0));
  auto bob = Must(store_->ClientKey("2001:db8::1", kT0));
  ASSERT_OK(store_->AddReport({"instagram", "login", alice, kT0 + minutes(5)}));
  auto dup = store_->AddReport({"instagram", "", alice, kT0 + minutes(59)});
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code(), core::ErrorCode::kAlreadyExists);
  ASSERT_OK(store_->AddReport({"whatsapp", "", alice, kT0 + minutes(6)}));    // other platform
  ASSERT_OK(store_->AddReport({"instagram", "", bob, kT0 + minutes(7)}));     // other client
  ASSERT_OK(store_->AddReport({"instagram", "", alice, kT0 + minutes(60)}));  // next hour

  EXPECT_EQ(Must(store_->CountReports("instagram", {kT0, kT0 + hours(1)})), 2);
  EXPECT_EQ(Must(store_->CountReports("instagram", {kT0, kT0 + hours(2)})), 3);
  auto hourly = Must(store_->HourlyReportCounts("instagram", {kT0, kT0 + hours(3)}));
  ASSERT_EQ(hourly.size(), 2u);
  EXPECT_EQ(hourly[0].hour, kT0);
  EXPECT_EQ(hourly[0].count, 2);
  EXPECT_EQ(hourly[1].hour, kT0 + hours(1));
  EXPECT_EQ(hourly[1].count, 1);
  auto every = Must(store_->HourlyReportCounts("", {kT0, kT0 + hours(3)}));
  ASSERT_EQ(every.size(), 3u);
  EXPECT_EQ(every[1].platform, "whatsapp");
}

TEST_P(StoreConformance, ConcurrentDuplicateReportsCountOnce) {
  auto key = Must(store_->ClientKey("198.51.100.9", kT0));
  std::atomic<int> stored = 0;
  std::atomic<int> duplicates = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      auto r = store_->AddReport({"instagram", "", key, kT0 + seconds(t)});
      if (r.ok())
        ++stored;
      else if (r.error().code() == core::ErrorCode::kAlreadyExists)
        ++duplicates;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(stored, 1);
  EXPECT_EQ(duplicates, 7);
  EXPECT_EQ(Must(store_->CountReports("instagram", {kT0, kT0 + hours(1)})), 1);
}

TEST_P(StoreConformance, ClientKeysHideAddressesAndChangeDaily) {
  auto k1 = Must(store_->ClientKey("198.51.100.7", kT0));
  EXPECT_EQ(k1.size(), 64u);
  EXPECT_EQ(k1.find("198.51.100.7"), std::string::npos);
  EXPECT_EQ(k1, Must(store_->ClientKey("198.51.100.7", kT0 + hours(13))));  // same UTC day
  EXPECT_NE(k1, Must(store_->ClientKey("198.51.100.7", kT0 + hours(14))));  // next day
  EXPECT_NE(k1, Must(store_->ClientKey("198.51.100.8", kT0)));
  // The key survives a restart, so a restart does not reopen the hour to duplicates.
  Reopen();
  EXPECT_EQ(k1, Must(store_->ClientKey("198.51.100.7", kT0)));
  // A raw address is refused.
  EXPECT_EQ(store_->AddReport({"instagram", "", "198.51.100.7", kT0}).error().code(),
            core::ErrorCode::kInvalidArgument);
}

// ---- API tokens ----

TEST_P(StoreConformance, TokensAreFoundByHashUntilRevoked) {
  auto created = Must(store_->CreateToken({"ci", Role::kOperator, kT0}));
  EXPECT_TRUE(created.secret.starts_with("llt_"));
  EXPECT_EQ(created.secret.size(), 4u + 64u);
  EXPECT_EQ(created.token.hash, HashToken(created.secret));
  EXPECT_NE(created.token.hash.find_first_not_of("0123456789abcdef"), 0u);
  EXPECT_TRUE(created.token.id.starts_with("tok_"));

  auto found = Must(store_->FindTokenByHash(HashToken(created.secret)));
  EXPECT_EQ(found.id, created.token.id);
  EXPECT_EQ(found.role, Role::kOperator);
  EXPECT_EQ(found.name, "ci");
  EXPECT_EQ(store_->FindTokenByHash(HashToken("llt_wrong")).error().code(),
            core::ErrorCode::kNotFound);
  EXPECT_EQ(store_->FindTokenByHash(created.secret).error().code(), core::ErrorCode::kNotFound);

  EXPECT_EQ(store_->CreateToken({"ci", Role::kAdmin, kT0}).error().code(),
            core::ErrorCode::kAlreadyExists);
  auto admin = Must(store_->CreateToken({"admin", Role::kAdmin, kT0 + seconds(1)}));
  EXPECT_NE(admin.secret, created.secret);

  ASSERT_OK(store_->MarkTokenUsed(created.token.id, kT0 + minutes(5)));
  ASSERT_OK(store_->MarkTokenUsed(created.token.id, kT0 + minutes(5) + seconds(10)));  // throttled
  EXPECT_EQ(Must(store_->FindTokenByHash(created.token.hash)).last_used_at, kT0 + minutes(5));
  EXPECT_EQ(store_->MarkTokenUsed("tok_missing", kT0).error().code(), core::ErrorCode::kNotFound);

  ASSERT_OK(store_->RevokeToken("ci", kT0 + hours(1)));  // by name
  EXPECT_EQ(store_->FindTokenByHash(created.token.hash).error().code(), core::ErrorCode::kNotFound);
  ASSERT_OK(store_->RevokeToken(created.token.id, kT0 + hours(2)));  // again, by id: no change
  EXPECT_EQ(store_->RevokeToken("nobody", kT0).error().code(), core::ErrorCode::kNotFound);

  auto list = Must(store_->ListTokens());
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].name, "ci");
  EXPECT_EQ(list[0].revoked_at, kT0 + hours(1));
  EXPECT_EQ(list[1].name, "admin");
  EXPECT_FALSE(list[1].revoked_at.has_value());
  // A revoked token's name can be reused.
  ASSERT_OK(store_->CreateToken({"ci", Role::kViewer, kT0 + hours(3)}));
}

// ---- Restarts ----

TEST_P(StoreConformance, EverythingSurvivesAReopen) {
  ASSERT_OK(store_->AddProbeSamples(std::vector<ProbeSample>{Sample("x", "web", kT0, true, 5)}));
  ASSERT_OK(store_->RollupPending(kT0 + minutes(1)));
  auto inc = Must(store_->OpenIncident(Outage({"instagram"}, kT0)));
  ASSERT_OK(store_->AppendEvent(inc.id, {kT0 + seconds(5), "note", "kept", "{}"}));
  auto tok = Must(store_->CreateToken({"ci", Role::kViewer, kT0}));
  ASSERT_OK(store_->AddReport({"x", "", Must(store_->ClientKey("198.51.100.1", kT0)), kT0}));
  Reopen();
  EXPECT_EQ(Must(store_->ListProbeSamples({"x", {kT0, kT0 + hours(1)}})).size(), 1u);
  EXPECT_EQ(Must(store_->ListAggregates({"x", {kT0, kT0 + hours(1)}})).size(), 1u);
  EXPECT_EQ(Must(store_->ListEvents(inc.id, 0, 10)).back().message, "kept");
  EXPECT_EQ(Must(store_->FindTokenByHash(tok.token.hash)).id, tok.token.id);
  EXPECT_EQ(Must(store_->CountReports("x", {kT0, kT0 + hours(1)})), 1);
  // The rollup watermark survived too: nothing is pending.
  EXPECT_EQ(Must(store_->RollupPending(kT0 + minutes(1))).minutes, 0);
}

// ---- SQLite ----

StoreBackend SqliteBackend() {
  StoreBackend b;
  b.name = "sqlite";
  b.new_location = [] {
    std::string tmpl = ::testing::TempDir() + "/lifeline_store_XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) std::abort();
    return tmpl + "/db/lifeline.db";  // "db/" does not exist yet: Open creates it
  };
  b.remove_location = [](const std::string& path) {
    std::filesystem::remove_all(std::filesystem::path(path).parent_path().parent_path());
  };
  b.open = [](const std::string& path, const OpenOptions& o) { return OpenSqlite(path, o); };
  return b;
}

INSTANTIATE_TEST_SUITE_P(Sqlite, StoreConformance, ::testing::Values(SqliteBackend()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace lifeline::store
