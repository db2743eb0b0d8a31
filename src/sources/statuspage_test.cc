// Tests for the Statuspage v2 reader: realistic summary.json documents and every way a fetch can go
// wrong, through a fake Prober whose Fetch answers what each test sets.
#include "sources/statuspage.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <optional>

namespace lifeline::sources {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

// Shaped like a real page on a quiet day (fields trimmed, structure and values as served).
constexpr std::string_view kAllOperational = R"({
  "page": {"id": "kctbh9vrtdwd", "name": "GitHub", "url": "https://www.githubstatus.com",
           "time_zone": "Etc/UTC", "updated_at": "2026-11-27T09:58:12.121Z"},
  "components": [
    {"id": "8l4ygp009s5s", "name": "Git Operations", "status": "operational",
     "created_at": "2017-01-31T20:05:05.370Z", "updated_at": "2026-11-20T22:01:21.557Z",
     "position": 1, "description": "Performance of git clones, pulls, pushes.", "showcase": false,
     "start_date": null, "group_id": null, "page_id": "kctbh9vrtdwd", "group": false,
     "only_show_if_degraded": false},
    {"id": "brv1bkgrwx7q", "name": "API Requests", "status": "operational", "position": 2,
     "description": null, "group_id": null, "page_id": "kctbh9vrtdwd", "group": false,
     "only_show_if_degraded": false}
  ],
  "incidents": [],
  "scheduled_maintenances": [],
  "status": {"indicator": "none", "description": "All Systems Operational"}
})";

constexpr std::string_view kMinor = R"({
  "page": {"id": "y2j98763l56x", "name": "Example", "url": "https://status.example.com",
           "updated_at": "2026-11-27T10:00:00Z"},
  "status": {"indicator": "minor", "description": "Minor Service Outage"},
  "components": [
    {"id": "a1", "name": "Web", "status": "operational", "group": false},
    {"id": "a2", "name": "Push notifications", "status": "degraded_performance", "group": false}
  ],
  "incidents": [
    {"id": "p31zjtct2jer", "name": "Delayed push notifications", "status": "investigating",
     "impact": "minor", "created_at": "2026-11-27T09:41:00Z", "shortlink": "https://stspg.io/x",
     "incident_updates": [{"id": "u1", "status": "investigating",
                           "body": "We are investigating delays.",
                           "created_at": "2026-11-27T09:41:00Z"}]}
  ],
  "scheduled_maintenances": [
    {"id": "m0", "name": "Database upgrade next week", "status": "scheduled",
     "impact": "maintenance"}
  ]
})";

// A bad day: a group whose members are down, and a major incident.
constexpr std::string_view kMajor = R"({
  "page": {"id": "x", "name": "Meta", "url": "https://metastatus.com"},
  "status": {"indicator": "major", "description": "Partial System Outage"},
  "components": [
    {"id": "g1", "name": "Messaging", "status": "major_outage", "group": true,
     "components": ["c1", "c2"]},
    {"id": "c1", "name": "WhatsApp Messaging", "status": "major_outage", "group": false,
     "group_id": "g1"},
    {"id": "c2", "name": "Messenger", "status": "partial_outage", "group": false,
     "group_id": "g1"},
    {"id": "c3", "name": "Ads Manager", "status": "operational", "group": false},
    {"id": "c4", "name": "Business API", "status": "under_maintenance"}
  ],
  "incidents": [
    {"id": "i1", "name": "Users unable to send messages", "status": "identified",
     "impact": "major"},
    {"id": "i0", "name": "Yesterday's login issue", "status": "resolved", "impact": "minor"}
  ],
  "scheduled_maintenances": [
    {"id": "m1", "name": "Business API migration", "status": "in_progress",
     "impact": "maintenance"}
  ]
})";

TEST(ParseStatuspageSummaryTest, AllOperationalHasNoDegradedComponents) {
  auto state = ParseStatuspageSummary(kAllOperational);
  ASSERT_TRUE(state.ok()) << state.error().ToString();
  EXPECT_TRUE(state->fetched);
  EXPECT_EQ(state->indicator, "none");
  EXPECT_EQ(state->description, "All Systems Operational");
  EXPECT_TRUE(state->degraded_components.empty());
  EXPECT_TRUE(state->incidents.empty());
}

TEST(ParseStatuspageSummaryTest, MinorIncidentListsTheDegradedComponent) {
  auto state = ParseStatuspageSummary(kMinor);
  ASSERT_TRUE(state.ok()) << state.error().ToString();
  EXPECT_EQ(state->indicator, "minor");
  EXPECT_EQ(state->description, "Minor Service Outage");
  EXPECT_THAT(state->degraded_components,
              ElementsAre(Pair("Push notifications", "degraded_performance")));
  // The maintenance that has not started yet is not current news.
  ASSERT_EQ(state->incidents.size(), 1u);
  EXPECT_EQ(state->incidents[0].name, "Delayed push notifications");
  EXPECT_EQ(state->incidents[0].impact, "minor");
  EXPECT_EQ(state->incidents[0].status, "investigating");
}

TEST(ParseStatuspageSummaryTest, MajorOutageKeepsMembersNotGroupsAndSkipsResolvedIncidents) {
  auto state = ParseStatuspageSummary(kMajor);
  ASSERT_TRUE(state.ok()) << state.error().ToString();
  EXPECT_EQ(state->indicator, "major");
  EXPECT_EQ(state->description, "Partial System Outage");
  EXPECT_THAT(state->degraded_components, ElementsAre(Pair("WhatsApp Messaging", "major_outage"),
                                                      Pair("Messenger", "partial_outage"),
                                                      Pair("Business API", "under_maintenance")));
  ASSERT_EQ(state->incidents.size(), 2u);
  EXPECT_EQ(state->incidents[0].name, "Users unable to send messages");
  EXPECT_EQ(state->incidents[0].impact, "major");
  EXPECT_EQ(state->incidents[1].name, "Business API migration");
  EXPECT_EQ(state->incidents[1].impact, "maintenance");
}

TEST(ParseStatuspageSummaryTest, CriticalAndMaintenanceIndicatorsAreAccepted) {
  for (std::string_view indicator : {"critical", "maintenance"}) {
    std::string body = fmt::format(R"({{"status": {{"indicator": "{}"}}}})", indicator);
    auto state = ParseStatuspageSummary(body);
    ASSERT_TRUE(state.ok()) << state.error().ToString();
    EXPECT_EQ(state->indicator, indicator);
  }
}

TEST(ParseStatuspageSummaryTest, MalformedDocumentsNameTheProblem) {
  struct Case {
    std::string_view body;
    std::string_view error;
  };
  const Case cases[] = {
      {"", "empty body"},
      {R"({"status": {"indicator": "none")", "not valid JSON (at byte"},
      {"<html><body>Bad gateway</body></html>", "not valid JSON (at byte 1)"},
      {"[1, 2]", "top level must be an object, not array"},
      {R"({"page": {}})", "status: missing"},
      {R"({"status": {"description": "All good"}})", "status.indicator: missing"},
      {R"({"status": {"indicator": "purple"}})",
       "status.indicator: 'purple' is not one of none, minor, major, critical, maintenance"},
      {R"({"status": {"indicator": "none", "description": 7}})",
       "status.description: must be a string, not number"},
      {R"({"status": {"indicator": "none"}, "components": {}})",
       "components: must be an array, not object"},
      {R"({"status": {"indicator": "none"}, "components": [{"name": "Web"}]})",
       "components[0].status: missing"},
      {R"({"status": {"indicator": "none"}, "components": [{"name": 1, "status": "x"}]})",
       "components[0].name: must be a string, not number"},
      {R"({"status": {"indicator": "minor"}, "incidents": ["oops"]})",
       "incidents[0]: must be an object"},
      // nlohmann throws out_of_range (not parse_error) for this; it escaped the reader.
      {R"({"status": {"indicator": "none"}, "page": {"weight": 1e400}})",
       "not valid JSON (a number too large)"},
  };
  for (const Case& c : cases) {
    auto state = ParseStatuspageSummary(c.body);
    ASSERT_FALSE(state.ok()) << c.body;
    EXPECT_EQ(state.error().code(), core::ErrorCode::kInvalidArgument);
    EXPECT_THAT(state.error().message(), HasSubstr(c.error)) << c.body;
  }
}

// Found by fuzz/statuspage_fuzz.cc (its crash input, verbatim): an updated_at in the year 4717
// overflowed the clock (undefined behaviour). The incident is kept, without a time.
TEST(ParseStatuspageSummaryTest, IncidentTimeBeyondTheClockIsLeftOut) {
  auto state = ParseStatuspageSummary(
      R"({"status": {"indicator": "maintenance", "description": "Service Under Maintenance"}, )"
      R"("scheduled_maintenances": [{"id": "m1", "name": "Database upgrade", "status": )"
      R"("in_progress", "impact": "maintenance", "updated_at": "4717-11-27T09:30:00Z", )"
      R"("shortlink": "https://stspg.io/m1"}]})");
  ASSERT_TRUE(state.ok()) << state.error().message();
  ASSERT_EQ(state->incidents.size(), 1u);
  EXPECT_EQ(state->incidents[0].name, "Database upgrade");
  EXPECT_FALSE(state->incidents[0].updated_at.has_value());
}

// Answers every Fetch with `response` and records the request.
class FakeProber : public probe::Prober {
 public:
  boost::asio::awaitable<core::ProbeResult> RunOne(const core::ProbeSpec&) override {
    co_return core::ProbeResult{};
  }
  boost::asio::awaitable<std::vector<core::ProbeResult>> Run(
      std::vector<core::ProbeSpec>) override {
    co_return std::vector<core::ProbeResult>{};
  }
  boost::asio::awaitable<probe::FetchResponse> Fetch(probe::FetchRequest request) override {
    last_request = request;
    ++fetches;
    co_return response;
  }

  probe::FetchResponse response;
  std::optional<probe::FetchRequest> last_request;
  int fetches = 0;
};

StatusPageState RunFetch(FakeProber& prober, const core::StatusPageRef& page) {
  boost::asio::io_context io;
  StatusPageState out;
  bool done = false;
  boost::asio::co_spawn(io, FetchStatusPage(prober, page, std::chrono::milliseconds(1500)),
                        [&](std::exception_ptr e, StatusPageState s) {
                          if (e) std::rethrow_exception(e);
                          out = std::move(s);
                          done = true;
                        });
  io.run();
  EXPECT_TRUE(done);
  return out;
}

probe::FetchResponse Answer(int status, std::string_view body) {
  probe::FetchResponse r;
  r.transport.ok = true;
  r.status = status;
  r.body = std::string(body);
  return r;
}

const core::StatusPageRef kPage{"https://status.example.com/api/v2/summary.json", "statuspage"};

TEST(FetchStatusPageTest, ReadsThePageWithTheGivenTimeout) {
  FakeProber prober;
  prober.response = Answer(200, kMajor);
  StatusPageState state = RunFetch(prober, kPage);
  EXPECT_TRUE(state.fetched) << state.error;
  EXPECT_EQ(state.indicator, "major");
  EXPECT_EQ(state.degraded_components.size(), 3u);
  ASSERT_TRUE(prober.last_request);
  EXPECT_EQ(prober.last_request->url, kPage.url);
  EXPECT_EQ(prober.last_request->method, "GET");
  EXPECT_EQ(prober.last_request->timeout, std::chrono::milliseconds(1500));
}

TEST(FetchStatusPageTest, TransportFailureIsNotFetchedWithTheReason) {
  FakeProber prober;
  prober.response.transport.ok = false;
  prober.response.transport.layer = core::Layer::kDns;
  prober.response.transport.detail = std::string(core::detail::kServfail);
  prober.response.transport.message = "DNS SERVFAIL from 10.0.0.53";
  StatusPageState state = RunFetch(prober, kPage);
  EXPECT_FALSE(state.fetched);
  EXPECT_EQ(state.error, "status page " + kPage.url + ": DNS SERVFAIL from 10.0.0.53");
}

TEST(FetchStatusPageTest, TransportFailureWithoutMessageStillSaysWhy) {
  FakeProber prober;
  prober.response.transport.ok = false;
  prober.response.transport.layer = core::Layer::kTcp;
  prober.response.transport.detail = std::string(core::detail::kTimeout);
  StatusPageState state = RunFetch(prober, kPage);
  EXPECT_FALSE(state.fetched);
  EXPECT_THAT(state.error, HasSubstr("tcp timeout"));
}

TEST(FetchStatusPageTest, NonOkStatusIsNotFetched) {
  FakeProber prober;
  prober.response = Answer(503, "<html>Service Unavailable</html>");
  StatusPageState state = RunFetch(prober, kPage);
  EXPECT_FALSE(state.fetched);
  EXPECT_EQ(state.error, "status page " + kPage.url + ": HTTP 503");
  EXPECT_TRUE(state.indicator.empty());
}

TEST(FetchStatusPageTest, UnreadableBodyIsNotFetchedAndNamesTheField) {
  FakeProber prober;
  prober.response = Answer(200, R"({"status": {"indicator": "purple"}})");
  StatusPageState state = RunFetch(prober, kPage);
  EXPECT_FALSE(state.fetched);
  EXPECT_THAT(state.error, HasSubstr("not a Statuspage v2 summary: status.indicator: 'purple'"));
}

TEST(FetchStatusPageTest, UnsupportedKindIsNotFetchedWithoutTraffic) {
  FakeProber prober;
  StatusPageState state = RunFetch(prober, {"https://status.example.com/feed", "carrier-pigeon"});
  EXPECT_FALSE(state.fetched);
  EXPECT_THAT(state.error, HasSubstr("kind 'carrier-pigeon' is not supported"));
  EXPECT_EQ(prober.fetches, 0);
}

// A feed whose one incident was updated a minute ago (feeds are judged against the system clock).
std::string FreshAtom(std::string_view text) {
  return fmt::format(R"(<?xml version="1.0"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>S</title>
  <entry><id>i1</id><title>Uploads failing</title>
    <updated>{}</updated><link href="https://status.example.com/i/1"/>
    <content type="html">&lt;p&gt;&lt;strong&gt;Investigating&lt;/strong&gt; - {}&lt;/p&gt;</content>
  </entry></feed>)",
                     core::FormatTime(std::chrono::system_clock::now() - std::chrono::minutes(1)),
                     text);
}

TEST(FetchStatusPageTest, FeedKindsAreReadAsFeeds) {
  for (const char* kind : {"atom", "feed"}) {
    FakeProber prober;
    prober.response = Answer(200, FreshAtom("Uploads are down."));
    StatusPageState state = RunFetch(prober, {"https://status.example.com/history.atom", kind});
    EXPECT_TRUE(state.fetched) << kind << ": " << state.error;
    EXPECT_EQ(state.indicator, "major") << kind;
    EXPECT_EQ(state.description, "Uploads failing") << kind;
    ASSERT_EQ(state.incidents.size(), 1u) << kind;
    EXPECT_EQ(state.incidents[0].url, "https://status.example.com/i/1");
    ASSERT_TRUE(prober.last_request);
    EXPECT_THAT(prober.last_request->headers[0].second, HasSubstr("application/atom+xml"));
    EXPECT_EQ(prober.last_request->max_body_bytes, std::size_t{4} << 20) << "the body cap";
  }
}

TEST(FetchStatusPageTest, FeedOverTheBodyCapIsNotFetchedAndSaysSo) {
  FakeProber prober;
  prober.response.transport.ok = false;
  prober.response.transport.layer = core::Layer::kHttp;
  prober.response.transport.detail = std::string(core::detail::kTooLarge);
  prober.response.transport.message = "body over 4194304 bytes";
  StatusPageState state = RunFetch(prober, {"https://status.example.com/history.rss", "rss"});
  EXPECT_FALSE(state.fetched);
  EXPECT_EQ(state.error,
            "status page https://status.example.com/history.rss: body over 4194304 bytes");
}

TEST(FetchStatusPageTest, FeedWindowComesFromThePage) {
  FakeProber prober;
  prober.response = Answer(200, FreshAtom("Uploads are slow."));
  core::StatusPageRef page{"https://status.example.com/history.atom", "atom"};
  page.window = std::chrono::seconds(30);
  StatusPageState state = RunFetch(prober, page);
  EXPECT_TRUE(state.fetched) << state.error;
  EXPECT_EQ(state.indicator, "none") << "the update is older than the 30 s window";
}

TEST(FetchStatusPageTest, FeedOfTheWrongKindIsNotFetchedAndSaysWhich) {
  FakeProber prober;
  prober.response = Answer(200, FreshAtom("x"));
  StatusPageState state = RunFetch(prober, {"https://status.example.com/history.atom", "rss"});
  EXPECT_FALSE(state.fetched);
  EXPECT_EQ(state.error,
            "status page https://status.example.com/history.atom: not a readable RSS feed: root "
            "element is <feed>, not <rss> (RSS 2.0) or <rdf:RDF>; it is an Atom feed: use kind "
            "atom");
  prober.response = Answer(200, "<html><body>Our status page moved</body>");
  state = RunFetch(prober, {"https://status.example.com/feed", "feed"});
  EXPECT_FALSE(state.fetched);
  EXPECT_THAT(state.error, HasSubstr("not a readable RSS or Atom feed: "));
}

TEST(FetchStatusPageTest, SummaryIncidentsCarryLinkAndUpdateTime) {
  FakeProber prober;
  prober.response = Answer(200, kMinor);
  StatusPageState state = RunFetch(prober, kPage);
  ASSERT_EQ(state.incidents.size(), 1u);
  EXPECT_EQ(state.incidents[0].url, "https://stspg.io/x");
}

}  // namespace
}  // namespace lifeline::sources
