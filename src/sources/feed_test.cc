// Tests for the incident-feed reader: feeds shaped like real Statuspage, Atom and plain RSS feeds
// (tests/testdata/feeds and inline), the rule that makes an incident active, and broken input.
#include "sources/feed.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace lifeline::sources {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;
using TimePoint = std::chrono::system_clock::time_point;

TimePoint At(std::string_view rfc3339) {
  auto t = ParseRfc3339Time(rfc3339);
  EXPECT_TRUE(t.has_value()) << rfc3339;
  return t.value_or(TimePoint{});
}

const TimePoint kNow = At("2026-11-27T05:00:00Z");

std::string Fixture(std::string_view name) {
  std::ifstream in(std::string(LIFELINE_SOURCE_DIR) + "/tests/testdata/feeds/" + std::string(name));
  EXPECT_TRUE(in) << name;
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

StatusPageState MustParse(std::string_view body, FeedKind kind = FeedKind::kAny,
                          std::chrono::seconds window = 12h) {
  auto r = ParseIncidentFeed(body, {kind, kNow, window});
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message());
  return r.ok() ? std::move(r).value() : StatusPageState{};
}

std::string ParseError(std::string_view body, FeedKind kind = FeedKind::kAny) {
  auto r = ParseIncidentFeed(body, {kind, kNow, 12h});
  EXPECT_FALSE(r.ok()) << "parsed: " << body.substr(0, 80);
  return r.ok() ? "" : r.error().message();
}

TEST(IncidentFeedTest, StatuspageRssActiveIncidentIsTheMonitoringOne) {
  StatusPageState s = MustParse(Fixture("statuspage_history_active.rss"), FeedKind::kRss);
  EXPECT_TRUE(s.fetched);
  EXPECT_EQ(s.indicator, "minor");
  EXPECT_EQ(s.description, "Messages failing to send for some users");
  // Resolved, Completed and the week-old incident are not active; "restored" in a Monitoring
  // update does not end the incident: the label decides.
  ASSERT_EQ(s.incidents.size(), 1u);
  const StatusIncident& i = s.incidents[0];
  EXPECT_EQ(i.name, "Messages failing to send for some users");
  EXPECT_EQ(i.impact, "minor");
  EXPECT_EQ(i.status, "monitoring");
  EXPECT_EQ(i.url, "https://status.chirp.test/incidents/9k2mzq1xv0pl");
  ASSERT_TRUE(i.updated_at.has_value());
  EXPECT_EQ(*i.updated_at, At("2026-11-27T04:31:12Z"));
  EXPECT_TRUE(s.degraded_components.empty());
}

TEST(IncidentFeedTest, StatuspageRssWithOnlyResolvedIncidentsIsNone) {
  StatusPageState s = MustParse(Fixture("statuspage_history_resolved.rss"));
  EXPECT_TRUE(s.fetched);
  EXPECT_EQ(s.indicator, "none");
  EXPECT_EQ(s.description, "No active incidents");
  EXPECT_TRUE(s.incidents.empty());
}

TEST(IncidentFeedTest, StatuspageAtomOutageIsMajor) {
  StatusPageState s = MustParse(Fixture("statuspage_history.atom"), FeedKind::kAtom);
  EXPECT_EQ(s.indicator, "major");
  EXPECT_EQ(s.description, "Voice channels unavailable");
  ASSERT_EQ(s.incidents.size(), 1u);
  EXPECT_EQ(s.incidents[0].status, "identified");
  EXPECT_EQ(s.incidents[0].impact, "major");
  EXPECT_EQ(s.incidents[0].url, "https://status.chirp.test/incidents/zx81spectrum");
  EXPECT_EQ(s.incidents[0].updated_at, At("2026-11-27T04:45:00Z"));
}

TEST(IncidentFeedTest, LookBackWindowIsHonoured) {
  // 04:31 is 29 minutes before now: inside 30 minutes, outside 20.
  EXPECT_EQ(MustParse(Fixture("statuspage_history_active.rss"), FeedKind::kRss, 30min).indicator,
            "minor");
  StatusPageState s = MustParse(Fixture("statuspage_history_active.rss"), FeedKind::kRss, 20min);
  EXPECT_EQ(s.indicator, "none");
  EXPECT_TRUE(s.incidents.empty());
  // With a long window the week-old Investigating incident counts too, newest first.
  s = MustParse(Fixture("statuspage_history_active.rss"), FeedKind::kRss, 24h * 10);
  ASSERT_EQ(s.incidents.size(), 2u);
  EXPECT_EQ(s.incidents[0].name, "Messages failing to send for some users");
  EXPECT_EQ(s.incidents[1].name, "Push notifications delayed");
}

// A Slack-style feed: CDATA, no status labels, mixed date forms, an undated item.
constexpr std::string_view kPlainRss = R"(<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"
     xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel>
  <title>Natter System Status</title>
  <link>https://status.natter.test/</link>
  <item>
    <title><![CDATA[Trouble uploading files]]></title>
    <link>https://status.natter.test/2026-11/abc123</link>
    <guid isPermaLink="false">natter-incident-4411</guid>
    <pubDate>Thu, 26 Nov 2026 23:30:00 EST</pubDate>
    <description><![CDATA[<p>We&#8217;re investigating an issue with file uploads &amp; previews.</p>]]></description>
  </item>
  <item>
    <title>[Resolved] Huddles not connecting</title>
    <link>https://status.natter.test/2026-11/def456</link>
    <pubDate>27 Nov 2026 03:00 GMT</pubDate>
    <description>Huddles were down for some teams.</description>
  </item>
  <item>
    <title>Search degraded</title>
    <dc:date>2026-11-26T20:00:00-08:00</dc:date>
    <description></description>
    <content:encoded><![CDATA[<div>Scheduled maintenance of search is under way.</div>]]></content:encoded>
  </item>
  <item>
    <title>Message history gaps</title>
    <description>Some messages may be missing from history.</description>
  </item>
</channel>
</rss>)";

TEST(IncidentFeedTest, CdataEscapedHtmlAndDatesWithoutLabels) {
  StatusPageState s = MustParse(kPlainRss, FeedKind::kRss);
  // Newest first: uploads (23:30 EST = 04:30Z), then search (20:00-08:00 = 04:00Z). The
  // [Resolved] item is over; the undated one cannot be placed in time and does not count.
  ASSERT_EQ(s.incidents.size(), 2u);
  EXPECT_EQ(s.incidents[0].name, "Trouble uploading files");
  EXPECT_EQ(s.incidents[0].impact, "minor");
  EXPECT_EQ(s.incidents[0].status, "");
  EXPECT_EQ(s.incidents[0].url, "https://status.natter.test/2026-11/abc123");
  EXPECT_EQ(s.incidents[0].updated_at, At("2026-11-27T04:30:00Z"));
  EXPECT_EQ(s.incidents[1].name, "Search degraded");
  EXPECT_EQ(s.incidents[1].impact, "maintenance");
  EXPECT_EQ(s.incidents[1].updated_at, At("2026-11-27T04:00:00Z"));
  EXPECT_EQ(s.indicator, "minor") << "minor outranks maintenance";
  EXPECT_EQ(s.description, "Trouble uploading files");
}

// One entry per update (as some status sites publish): the newest entry of an incident decides.
constexpr std::string_view kAtomPerUpdate = R"(<?xml version="1.0"?>
<a:feed xmlns:a="http://www.w3.org/2005/Atom">
  <a:title>Cloud incidents</a:title>
  <a:id>https://status.cloud.test/</a:id>
  <a:updated>2026-11-27T04:40:00.000+00:00</a:updated>
  <a:entry>
    <a:id>https://status.cloud.test/incidents/77</a:id>
    <a:title>UPDATE: Storage errors in europe-west</a:title>
    <a:updated>2026-11-27T04:10:00.000+00:00</a:updated>
    <a:link href="https://status.cloud.test/incidents/77"/>
    <a:content type="text">We are investigating an outage of storage in europe-west.</a:content>
  </a:entry>
  <a:entry>
    <a:id>https://status.cloud.test/incidents/77</a:id>
    <a:title>UPDATE: Storage errors in europe-west</a:title>
    <a:updated>2026-11-27T05:40:00.000+01:00</a:updated>
    <a:link href="https://status.cloud.test/incidents/77"/>
    <a:content type="text">The issue with storage has been resolved for all affected users.</a:content>
  </a:entry>
  <a:entry>
    <a:id>https://status.cloud.test/incidents/78</a:id>
    <a:title type="html">Login &lt;b&gt;latency&lt;/b&gt;</a:title>
    <a:published>2026-11-27T03:59:59Z</a:published>
    <a:link rel="self" href="https://status.cloud.test/feed/78"/>
    <a:link rel="alternate" href="https://status.cloud.test/incidents/78"/>
    <a:summary type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>Sign-in is slow for some users.</p></div></a:summary>
  </a:entry>
</a:feed>)";

TEST(IncidentFeedTest, AtomNewestUpdatePerIncidentDecides) {
  StatusPageState s = MustParse(kAtomPerUpdate, FeedKind::kAtom);
  ASSERT_EQ(s.incidents.size(), 1u) << "incident 77's newest entry (04:40Z) says resolved";
  EXPECT_EQ(s.incidents[0].name, "Login latency");
  EXPECT_EQ(s.incidents[0].url, "https://status.cloud.test/incidents/78");
  EXPECT_EQ(s.incidents[0].updated_at, At("2026-11-27T03:59:59Z"));
  EXPECT_EQ(s.indicator, "minor");
}

// One item per update with its own guid, linked to the incident's page (as Better Stack and
// others publish): the updates of one incident are grouped by link.
constexpr std::string_view kPerUpdateRss = R"(<rss version="2.0"><channel>
  <title>Example Status</title><link>https://status.example.test</link>
  <item>
    <title>[Resolved] Database connection issues</title>
    <description>The database connection issue has been resolved.</description>
    <link>https://status.example.test/incidents/98765</link>
    <pubDate>Fri, 27 Nov 2026 04:45:00 +0000</pubDate>
    <guid>https://status.example.test/incidents/98765#update-2</guid>
  </item>
  <item>
    <title>[Investigating] Database connection issues</title>
    <description>We're investigating connection issues; the API is down for some users.</description>
    <link>https://status.example.test/incidents/98765</link>
    <pubDate>Fri, 27 Nov 2026 04:10:00 +0000</pubDate>
    <guid>https://status.example.test/incidents/98765#update-1</guid>
  </item>
  <item>
    <title>[Investigating] Slow dashboard</title>
    <description>Dashboards load slowly.</description>
    <link>https://status.example.test</link>
    <pubDate>Fri, 27 Nov 2026 04:20:00 +0000</pubDate>
    <guid>slow-1</guid>
  </item>
  <item>
    <title>[Identified] Webhooks delayed</title>
    <description>Webhooks are delayed by up to 10 minutes.</description>
    <link>https://status.example.test</link>
    <pubDate>Fri, 27 Nov 2026 04:30:00 +0000</pubDate>
    <guid>hooks-1</guid>
  </item>
</channel></rss>)";

TEST(IncidentFeedTest, UpdatesOfOneIncidentAreGroupedByLink) {
  StatusPageState s = MustParse(kPerUpdateRss);
  // The database incident's newest update resolves it; the two items that only link to the home
  // page are told apart by guid and both count.
  ASSERT_EQ(s.incidents.size(), 2u);
  EXPECT_EQ(s.incidents[0].name, "[Identified] Webhooks delayed");
  EXPECT_EQ(s.incidents[1].name, "[Investigating] Slow dashboard");
  EXPECT_EQ(s.indicator, "minor");
}

TEST(IncidentFeedTest, BoldWordsInsideASentenceAreNotALabel) {
  constexpr std::string_view kFeed = R"(<rss version="2.0"><channel><title>S</title>
  <item><title>Uploads</title><guid>u1</guid>
    <pubDate>Fri, 27 Nov 2026 04:30:00 +0000</pubDate>
    <description>&lt;p&gt;Uploads are &lt;b&gt;not&lt;/b&gt; failing any more: resolved.&lt;/p&gt;</description></item>
  <item><title>Search</title><guid>s1</guid>
    <pubDate>Fri, 27 Nov 2026 04:30:00 +0000</pubDate>
    <description>&lt;p&gt;&lt;b&gt;Identified:&lt;/b&gt; A fix is rolling out; service restored in EU.&lt;/p&gt;</description></item>
  <item><title>Video</title><guid>v1</guid>
    <pubDate>Fri, 27 Nov 2026 04:40:00 +0000</pubDate>
    <description>&lt;p&gt;&lt;strong&gt;Resolved&lt;/strong&gt; &#8211; Video calls work again.&lt;/p&gt;</description></item>
</channel></rss>)";
  StatusPageState s = MustParse(kFeed);
  // "not" is emphasis, so the text decides (resolved); "Identified:" is a label (active despite
  // "restored"); an en dash after a label counts like a hyphen.
  ASSERT_EQ(s.incidents.size(), 1u);
  EXPECT_EQ(s.incidents[0].name, "Search");
  EXPECT_EQ(s.incidents[0].status, "identified");
}

TEST(IncidentFeedTest, EmptyFeedsAreNone) {
  for (std::string_view body : {
           std::string_view(R"(<rss version="2.0"><channel><title>Quiet</title></channel></rss>)"),
           std::string_view(R"(<feed xmlns="http://www.w3.org/2005/Atom"><title>Q</title></feed>)"),
       }) {
    StatusPageState s = MustParse(body);
    EXPECT_TRUE(s.fetched);
    EXPECT_EQ(s.indicator, "none");
    EXPECT_EQ(s.description, "No active incidents");
  }
}

TEST(IncidentFeedTest, Rss1RdfIsRead) {
  constexpr std::string_view kRdf = R"(<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://status.old.test/"><title>Old</title></channel>
  <item rdf:about="https://status.old.test/i/1">
    <title>Website down</title>
    <link>https://status.old.test/i/1</link>
    <dc:date>2026-11-27T04:50:00Z</dc:date>
  </item>
</rdf:RDF>)";
  StatusPageState s = MustParse(kRdf, FeedKind::kRss);
  ASSERT_EQ(s.incidents.size(), 1u);
  EXPECT_EQ(s.indicator, "major");
  EXPECT_EQ(s.incidents[0].url, "https://status.old.test/i/1");
}

TEST(IncidentFeedTest, BrokenInputIsAnErrorThatSaysWhy) {
  EXPECT_THAT(ParseError("<rss version=\"2.0\"><channel><item><title>x</title></channel></rss>"),
              HasSubstr("not well-formed XML (line 1:"));
  EXPECT_THAT(ParseError("{\"status\": {\"indicator\": \"none\"}}"),
              HasSubstr("not well-formed XML"));
  EXPECT_EQ(ParseError(""), "empty body");
  EXPECT_EQ(ParseError("  \n"), "empty body");
  EXPECT_EQ(ParseError("<html><body>Status</body></html>"),
            "root element is <html>, not <rss>, <rdf:RDF> or <feed>");
  EXPECT_EQ(ParseError(Fixture("statuspage_history.atom"), FeedKind::kRss),
            "root element is <feed>, not <rss> (RSS 2.0) or <rdf:RDF>; it is an Atom feed: use "
            "kind atom");
  EXPECT_EQ(ParseError(Fixture("statuspage_history_resolved.rss"), FeedKind::kAtom),
            "root element is <rss>, not <feed> (Atom 1.0); it is an RSS feed: use kind rss");
  // Truncated mid-document, as a cut-off download would be.
  std::string cut = Fixture("statuspage_history_active.rss");
  cut.resize(cut.size() / 2);
  EXPECT_THAT(ParseError(cut), HasSubstr("not well-formed XML"));
}

TEST(IncidentFeedTest, EntityExpansionIsRefused) {
  constexpr std::string_view kLaughs = R"(<?xml version="1.0"?>
<!DOCTYPE rss [
 <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
 <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
 <!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
]>
<rss version="2.0"><channel><item><title>&f;</title></item></channel></rss>)";
  auto r = ParseIncidentFeed(kLaughs, {FeedKind::kAny, kNow, 12h});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), core::ErrorCode::kInvalidArgument);
}

TEST(IncidentFeedTest, LargeFeedIsReadWhole) {
  // Years of history: 5,000 resolved incidents and one active at the end of the list.
  std::string body = "<rss version=\"2.0\"><channel><title>Big</title>";
  for (int i = 0; i < 5000; ++i) {
    body += "<item><title>Old incident " + std::to_string(i) + "</title><guid>g" +
            std::to_string(i) +
            "</guid><pubDate>Fri, 27 Nov 2026 03:00:00 +0000</pubDate><description>&lt;p&gt;"
            "&lt;strong&gt;Resolved&lt;/strong&gt; - Fixed.&lt;/p&gt;</description></item>";
  }
  body += "<item><title>Now</title><pubDate>Fri, 27 Nov 2026 04:59:00 +0000</pubDate></item>";
  body += "</channel></rss>";
  StatusPageState s = MustParse(body);
  ASSERT_EQ(s.incidents.size(), 1u);
  EXPECT_EQ(s.incidents[0].name, "Now");
}

TEST(IncidentFeedTest, KindNames) {
  EXPECT_EQ(FeedKindByName("rss"), FeedKind::kRss);
  EXPECT_EQ(FeedKindByName("atom"), FeedKind::kAtom);
  EXPECT_EQ(FeedKindByName("feed"), FeedKind::kAny);
  EXPECT_FALSE(FeedKindByName("statuspage").has_value());
  EXPECT_FALSE(FeedKindByName("RSS").has_value());
}

TEST(FeedTimeTest, Rfc822Forms) {
  EXPECT_EQ(ParseRfc822Time("Fri, 27 Nov 2026 04:10:00 +0000"), At("2026-11-27T04:10:00Z"));
  EXPECT_EQ(ParseRfc822Time("Fri, 27 Nov 2026 04:10:00 GMT"), At("2026-11-27T04:10:00Z"));
  EXPECT_EQ(ParseRfc822Time("27 Nov 2026 04:10 UT"), At("2026-11-27T04:10:00Z"));
  EXPECT_EQ(ParseRfc822Time("Thu, 26 Nov 2026 23:10:00 -0500"), At("2026-11-27T04:10:00Z"));
  EXPECT_EQ(ParseRfc822Time("Thu, 26 Nov 2026 20:10:00 PST"), At("2026-11-27T04:10:00Z"));
  EXPECT_EQ(ParseRfc822Time("Fri, 27 Nov 26 05:10:00 +0100"), At("2026-11-27T04:10:00Z"));
  EXPECT_EQ(ParseRfc822Time("Fri, 27 Sept 2026 04:10:00 Z"), At("2026-09-27T04:10:00Z"));
  EXPECT_EQ(ParseRfc822Time("Fri, 7 Nov 2026 04:10:00"), At("2026-11-07T04:10:00Z"));
  for (std::string_view bad :
       {"", "yesterday", "Fri, 31 Feb 2026 04:10:00 +0000", "Fri, 27 Nov 2026 25:10:00 +0000",
        "Fri, 27 Nox 2026 04:10 GMT", "Fri, 27 Nov 2026 04:10:00 +99", "2026-11-27T04:10:00Z"}) {
    EXPECT_FALSE(ParseRfc822Time(bad).has_value()) << bad;
  }
}

TEST(FeedTimeTest, Rfc3339Forms) {
  EXPECT_EQ(ParseRfc3339Time("2026-11-27T04:10:00.123456Z"), At("2026-11-27T04:10:00Z"));
  EXPECT_EQ(ParseRfc3339Time("2026-11-27T05:10:00+01:00"), At("2026-11-27T04:10:00Z"));
  EXPECT_EQ(ParseRfc3339Time("2026-11-26t23:10:00-05:00"), At("2026-11-27T04:10:00Z"));
  EXPECT_EQ(ParseRfc3339Time("2026-11-27"), At("2026-11-27T00:00:00Z"));
  for (std::string_view bad : {"", "2026-13-01T00:00:00Z", "2026-11-27T04:10:00+0", "27/11/2026",
                               "2026-11-27T04:10:00 GMT", "Fri, 27 Nov 2026 04:10:00 +0000"}) {
    EXPECT_FALSE(ParseRfc3339Time(bad).has_value()) << bad;
  }
}

// Found by fuzz/statuspage_fuzz.cc: a year past 2262 overflowed the clock's nanoseconds (undefined
// behaviour, a wrong time); such a date is unreadable now.
TEST(FeedTimeTest, YearsTheClockCannotHoldAreUnreadable) {
  EXPECT_FALSE(ParseRfc3339Time("4717-11-27T09:30:00Z").has_value());
  EXPECT_FALSE(ParseRfc3339Time("9999-12-31").has_value());
  EXPECT_FALSE(ParseRfc3339Time("1000-01-01T00:00:00Z").has_value());
  EXPECT_FALSE(ParseRfc822Time("Fri, 27 Nov 4717 04:10:00 +0000").has_value());
  EXPECT_EQ(ParseRfc3339Time("2261-12-31T23:59:59Z"), At("2261-12-31T23:59:59Z"));
}

}  // namespace
}  // namespace lifeline::sources
