// Listening against tests/fakes/listen_apis.py (X, Mastodon, Bluesky, Reddit, YouTube, RSS in
// their documented shapes) with a real SQLite store: posts stored once across sources and terms,
// pagination followed, rate limits honoured, a spike of outage chatter becoming an evidence line
// (and a weekly pattern not), bad answers refused with nothing stored half.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "channels/http.h"
#include "config/config.h"
#include "integration/support/lifeline_cli.h"
#include "integration/support/process.h"
#include "integration/support/python_fake.h"
#include "integration/support/toggle_site.h"
#include "listen/listener.h"
#include "store/store.h"

namespace lifeline::testing {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using namespace std::chrono;

class ListenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    ASSERT_TRUE(fake_.Start("listen_apis.py", {}, &error)) << error;
    setenv("LL_LISTEN_X", "x-test-bearer", 1);
    setenv("LL_LISTEN_BSKY", "bsky-app-password", 1);
    setenv("LL_LISTEN_REDDIT", "reddit-secret", 1);
    setenv("LL_LISTEN_YT", "yt-test-key", 1);
    auto s = store::OpenSqlite(dir_.File("lifeline.db"));
    ASSERT_TRUE(s.ok()) << s.error().ToString();
    store_ = std::move(*s);
  }
  void TearDown() override {
    listener_.reset();
    fake_.Stop();
  }

  std::string Base(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(fake_.port()) + "/" + path;
  }

  // A listener over `sources` (YAML under listen.sources), listening for Instagram's chatter and
  // acme's mentions.
  void Listen(const std::string& sources, const std::string& extra = "") {
    const std::string yaml =
        "listen:\n  brands:\n    acme: { mentions: [\"@acme\"] }\n"
        "  chatter:\n    instagram:\n  sources:\n" +
        sources + extra;
    auto c = config::LoadString(yaml, "lifeline.yaml");
    ASSERT_TRUE(c.ok()) << c.error().message();
    auto lc = listen::LoadListenConfig(*c);
    ASSERT_TRUE(lc.ok()) << lc.error().message();
    http_ = channels::MakeCurlHttpClient({.max_body_bytes = lc->max_body_bytes + 1});
    listener_ = std::make_unique<listen::Listener>(std::move(*lc), *store_, *http_);
    sub_ = listener_->Subscribe([this](const listen::ListenEvent& e) { events_.push_back(e); });
  }
  std::string X() const {
    return "    x: { url: \"" + Base("x") + "\", token: { env: LL_LISTEN_X } }\n";
  }

  bool Control(const std::string& what, const json& body) {
    auto r = HttpCall(fake_.port(), "POST", "/_control/" + what, body.dump());
    return r && r->status == 200;
  }
  void AddPosts(const std::string& source, const json& posts) {
    ASSERT_TRUE(Control("posts", {{"source", source}, {"posts", posts}}));
  }
  json Requests(const std::string& source) {
    auto r = HttpCall(fake_.port(), "GET", "/_requests");
    json out = json::array();
    if (!r) return out;
    for (const auto& q : json::parse(r->body)) {
      if (q["source"] == source) out.push_back(q);
    }
    return out;
  }
  std::vector<store::ListenPost> Posts(const std::string& query = "") {
    auto p = store_->Listening().ListPosts({.query = query, .limit = 10000});
    EXPECT_TRUE(p.ok());
    return p.ok() ? *p : std::vector<store::ListenPost>{};
  }
  store::ListenSourceState State(const std::string& source, const std::string& term) {
    auto all = store_->Listening().SourceStates();
    EXPECT_TRUE(all.ok());
    for (const auto& s : *all) {
      if (s.source == source && s.term == term) return s;
    }
    return {};
  }
  std::int64_t Count(const std::string& query) {
    std::int64_t n = 0;
    auto c = store_->Listening().HourCounts(query, store::Time{}, store::FromMillis(1LL << 50));
    for (const auto& h : *c) n += h.count;
    return n;
  }

  PythonFake fake_;
  TempDir dir_{"lifeline-listen"};
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<channels::HttpClient> http_;
  std::unique_ptr<listen::Listener> listener_;
  std::unique_ptr<core::Subscription> sub_;
  std::vector<listen::ListenEvent> events_;
};

TEST_F(ListenTest, PostsAreStoredOnceAcrossTermsAndSources) {
  Listen(X() + "    rss: { feeds: [\"" + Base("rss/mentions.xml") + "\"] }\n");
  // One post says two of Instagram's terms; the feed links to the same post on twitter.com.
  AddPosts("x", json::array({{{"id", "1001"},
                              {"author", "ana"},
                              {"shares", 3},
                              {"text", "is instagram down? #instagramdown"}},
                             {{"id", "1002"}, {"author", "bob"}, {"text", "hey @acme help"}}}));
  AddPosts("rss", json::array({{{"feed", "mentions"},
                                {"url", "https://twitter.com/ana/status/1001?s=20"},
                                {"author", "ana"},
                                {"text", "is instagram down? #instagramdown"}}}));
  const auto now = system_clock::now();
  listener_->RunOnce(now);
  auto posts = Posts();
  ASSERT_EQ(posts.size(), 2u) << "the X post (two terms, and the feed's link to it) once";
  EXPECT_EQ(Count("chatter:instagram"), 1);
  EXPECT_EQ(Count("brand:acme:mentions"), 1);
  const auto& chatter = Posts("chatter:instagram");
  ASSERT_EQ(chatter.size(), 1u);
  EXPECT_EQ(chatter[0].url, "https://x.com/ana/status/1001");
  EXPECT_EQ(chatter[0].shares, 3);
  // The next poll asks only for what is newer and stores nothing twice.
  listener_->RunOnce(now + hours(1));
  bool since = false;
  for (const auto& r : Requests("x")) since = since || r["query"].contains("since_id");
  EXPECT_TRUE(since) << Requests("x").dump();
  EXPECT_EQ(Posts().size(), 2u);
  EXPECT_EQ(Count("chatter:instagram"), 1);
  EXPECT_EQ(State("x", "instagram down").outcome, "ok");
}

TEST_F(ListenTest, EverySourceFollowsItsPagination) {
  Listen(X() + "    mastodon: { url: \"" + Base("mastodon") +
         "\" }\n"
         "    bluesky: { url: \"" +
         Base("bsky") +
         "\", identifier: acme.bsky.social, password: { env: LL_LISTEN_BSKY } }\n"
         "    reddit: { url: \"" +
         Base("reddit") + "\", auth_url: \"" + Base("reddit") +
         "\", client_id: reddit-client, password: { env: LL_LISTEN_REDDIT }, user_agent: "
         "\"test:lifeline:1 (by /u/lifeline)\" }\n"
         "    youtube: { url: \"" +
         Base("youtube") + "\", api_key: { env: LL_LISTEN_YT }, video_ids: [vid1] }\n");
  for (const char* s : {"x", "mastodon", "bluesky", "reddit", "youtube"}) {
    ASSERT_TRUE(Control("page", {{"source", s}, {"size", 2}}));
  }
  // Five posts a minute apart; the second batch ("...2") 20 minutes after the first.
  const std::int64_t t0 =
      duration_cast<seconds>(system_clock::now().time_since_epoch()).count() - 3600;
  auto five = [t0](const std::string& prefix, const json& extra) {
    json out = json::array();
    const std::int64_t base = t0 + (prefix.back() == '2' ? 1200 : 0);
    for (int i = 0; i < 5; ++i) {
      json p = {{"text", prefix + " instagram down " + std::to_string(i)},
                {"author", prefix + std::to_string(i)},
                {"at", base + 60 * i}};
      p.update(extra);
      out.push_back(p);
    }
    return out;
  };
  AddPosts("x", five("x", json::object()));
  AddPosts("bluesky", five("bs", json::object()));
  AddPosts("reddit", five("rd", json::object()));
  AddPosts("youtube", five("yt", {{"video", "vid1"}}));
  AddPosts("mastodon", five("md", {{"tag", "instagramdown"}}));
  const auto now = system_clock::now();
  listener_->RunOnce(now);
  auto from = [&](const std::string& source) {
    int n = 0;
    for (const auto& p : Posts()) n += p.source == source;
    return n;
  };
  // The first poll reads the newest page only (no backfill: hours before collection are not
  // counted).
  for (const char* s : {"x", "mastodon", "bluesky", "reddit", "youtube"}) {
    EXPECT_EQ(from(s), 2) << s;
  }
  // Five more each: later polls page until they reach what they saw — X's next_token (with
  // since_id), Bluesky's cursor (with since), Reddit's after, YouTube's pageToken, Mastodon's
  // Link rel="prev" (with min_id).
  AddPosts("x", five("x2", json::object()));
  AddPosts("bluesky", five("bs2", json::object()));
  AddPosts("reddit", five("rd2", json::object()));
  AddPosts("youtube", five("yt2", {{"video", "vid1"}}));
  AddPosts("mastodon", five("md2", {{"tag", "instagramdown"}}));
  listener_->RunOnce(now + hours(1));
  for (const char* s : {"x", "mastodon", "bluesky", "reddit", "youtube"}) {
    EXPECT_EQ(from(s), 7) << s;
  }
  auto asked = [&](const std::string& source, const std::string& param) {
    for (const auto& r : Requests(source)) {
      if (r["query"].contains(param)) return true;
    }
    return false;
  };
  EXPECT_TRUE(asked("x", "next_token"));
  EXPECT_TRUE(asked("x", "since_id"));
  EXPECT_TRUE(asked("bluesky", "cursor"));
  EXPECT_TRUE(asked("reddit", "after"));
  EXPECT_TRUE(asked("youtube", "pageToken"));
  EXPECT_TRUE(asked("mastodon", "min_id"));
  bool signed_in = false;
  for (const auto& r : Requests("bluesky")) {
    signed_in = signed_in || r["path"] == "/xrpc/com.atproto.server.createSession";
  }
  EXPECT_TRUE(signed_in);
}

TEST_F(ListenTest, ARateLimitIsHonouredUntilTheApiSaysSo) {
  Listen(X() + "    youtube: { url: \"" + Base("youtube") +
         "\", api_key: { env: LL_LISTEN_YT }, video_ids: [vid1] }\n");
  ASSERT_TRUE(
      Control("fault", {{"source", "x"}, {"status", 429}, {"reset_in", 3600}, {"count", 100}}));
  ASSERT_TRUE(Control("fault", {{"source", "youtube"}, {"reason", "quotaExceeded"}}));
  AddPosts("x", json::array({{{"text", "instagram down"}}}));
  const auto now = system_clock::now();
  listener_->RunOnce(now);
  auto st = State("x", "instagram down");
  EXPECT_EQ(st.outcome, "rate_limited");
  ASSERT_TRUE(st.retry_at.has_value());
  EXPECT_GE(*st.retry_at, store::FromSystem(now + minutes(59)));
  EXPECT_LE(*st.retry_at, store::FromSystem(now + minutes(61)));
  auto yt = State("youtube", "video:vid1");
  EXPECT_EQ(yt.outcome, "rate_limited");
  ASSERT_TRUE(yt.retry_at.has_value());
  // Not before the quota resets, at the next midnight Pacific (UTC-8), nor within the source's
  // interval (run in the quarter hour before that midnight, the interval is later).
  const auto midnight =
      time_point_cast<system_clock::duration>(floor<days>(now - hours(8)) + days(1) + hours(8));
  EXPECT_EQ(*yt.retry_at, store::FromSystem(std::max(midnight, now + minutes(15))));
  EXPECT_GT(*yt.retry_at, store::FromSystem(now + minutes(14))) << "not before midnight Pacific";
  EXPECT_TRUE(Posts().empty());
  bool event = false;
  for (const auto& e : events_)
    event = event || (e.kind == "source" && e.data["outcome"] == "rate_limited");
  EXPECT_TRUE(event);
  // Twenty minutes later (past the interval) nothing is asked of X; after the reset it is.
  const std::size_t asked = Requests("x").size();
  listener_->RunOnce(now + minutes(20));
  EXPECT_EQ(Requests("x").size(), asked);
  ASSERT_TRUE(Control("reset", json::object()));
  AddPosts("x", json::array({{{"text", "instagram down"}}}));
  listener_->RunOnce(now + minutes(61));
  EXPECT_GT(Requests("x").size(), 0u);
  EXPECT_EQ(State("x", "instagram down").outcome, "ok");
  EXPECT_EQ(Posts().size(), 1u);
}

TEST_F(ListenTest, ASpentWindowWaitsForItsResetAndAnExpiredSessionSignsInAgain) {
  Listen(X() + "    bluesky: { url: \"" + Base("bsky") +
         "\", identifier: acme.bsky.social, password: { env: LL_LISTEN_BSKY } }\n");
  // X answers, but says its window is spent for the next hour.
  ASSERT_TRUE(Control("limits", {{"source", "x"}, {"remaining", 0}, {"reset_in", 3600}}));
  AddPosts("x", json::array({{{"text", "instagram down"}}}));
  AddPosts("bluesky", json::array({{{"text", "instagram down here too"}}}));
  const auto now = system_clock::now();
  listener_->RunOnce(now);
  EXPECT_EQ(State("x", "instagram down").outcome, "ok");
  EXPECT_EQ(Posts().size(), 2u);
  const std::size_t asked = Requests("x").size();
  listener_->RunOnce(now + minutes(20));
  EXPECT_EQ(Requests("x").size(), asked) << "nothing asked before the window resets";
  // Bluesky's session expires: the next poll signs in again and goes on.
  ASSERT_TRUE(Control("expire", json::object()));
  AddPosts("bluesky", json::array({{{"text", "is instagram down, again"}}}));
  listener_->RunOnce(now + minutes(25));
  EXPECT_EQ(Requests("x").size(), asked) << "still inside X's spent window";
  EXPECT_EQ(State("bluesky", "instagram down").outcome, "ok");
  EXPECT_EQ(Posts().size(), 3u);
  int sessions = 0;
  for (const auto& r : Requests("bluesky")) {
    sessions += r["path"] == "/xrpc/com.atproto.server.createSession";
  }
  EXPECT_EQ(sessions, 2);
}

TEST_F(ListenTest, BadAnswersAreRefusedAndNothingIsStoredHalf) {
  Listen(X(), "  max_body: 64KB\n");
  ASSERT_TRUE(Control("page", {{"source", "x"}, {"size", 2}}));
  auto chatter = [](const std::string& prefix, int n) {
    json out = json::array();
    for (int i = 0; i < n; ++i)
      out.push_back({{"text", "instagram down " + prefix + std::to_string(i)}});
    return out;
  };
  AddPosts("x", chatter("a", 2));
  const auto now = system_clock::now();
  listener_->RunOnce(now);
  ASSERT_EQ(Posts().size(), 2u);
  const std::string cursor = State("x", "instagram down").cursor;
  ASSERT_FALSE(cursor.empty());
  // Four more: page 1 fine, page 2 malformed. The poll keeps neither page.
  AddPosts("x", chatter("b", 4));
  const json term = "\"instagram down\"";
  ASSERT_TRUE(Control("fault", {{"source", "x"},
                                {"status", 200},
                                {"body", "{\"data\": [oops"},
                                {"match", term},
                                {"after", 1}}));
  listener_->RunOnce(now + hours(1));
  auto st = State("x", "instagram down");
  EXPECT_EQ(st.outcome, "error");
  EXPECT_THAT(st.error, HasSubstr("not JSON"));
  EXPECT_THAT(st.error, HasSubstr("nothing stored"));
  EXPECT_EQ(st.cursor, cursor) << "the cursor did not move";
  EXPECT_EQ(Posts().size(), 2u) << "nothing of the half-read poll";
  // A huge answer: refused by its size.
  ASSERT_TRUE(Control("fault", {{"source", "x"}, {"huge", 200000}, {"match", term}}));
  listener_->RunOnce(now + hours(4));
  st = State("x", "instagram down");
  EXPECT_THAT(st.error, HasSubstr("larger than 64000 bytes"));
  EXPECT_EQ(Posts().size(), 2u);
  EXPECT_THAT(st.error, Not(HasSubstr("x-test-bearer"))) << "no credentials in errors";
  // Then it recovers and stores the four, each once.
  listener_->RunOnce(now + hours(8));
  EXPECT_EQ(State("x", "instagram down").outcome, "ok");
  EXPECT_EQ(Posts().size(), 6u);
  EXPECT_EQ(Count("chatter:instagram"), 6);
}

// Seeds `weeks` weeks of collection before `now`, with `usual` chatter posts in each hour that
// has the same hour of the week as `hot` (and none otherwise).
void SeedHistory(store::ListeningStore& l, system_clock::time_point now, int weeks, int usual,
                 listen::Hour hot) {
  std::vector<store::Time> covered;
  std::vector<store::ListenPost> posts;
  const listen::Hour end = listen::HourOf(now) + hours(1);
  for (listen::Hour h = end - hours(24 * 7 * weeks + 24); h < end; h += hours(1)) {
    covered.push_back(time_point_cast<milliseconds>(h));
    if ((hot - h) % hours(24 * 7) != hours(0) || h >= listen::HourOf(now) - hours(1)) continue;
    for (int i = 0; i < usual; ++i) {
      store::ListenPost p;
      p.key = "seed:" + std::to_string(h.time_since_epoch().count()) + ":" + std::to_string(i);
      p.source = "x";
      p.text = "instagram down";
      p.posted_at = time_point_cast<milliseconds>(h) + minutes(i);
      p.fetched_at = p.posted_at;
      p.queries = {"chatter:instagram"};
      posts.push_back(std::move(p));
    }
  }
  ASSERT_TRUE(l.AddPosts(posts, nullptr, covered).ok());
}

json ChatterPosts(int n, system_clock::time_point hour) {
  json out = json::array();
  for (int i = 0; i < n; ++i) {
    out.push_back(
        {{"text", "is instagram down for everyone? " + std::to_string(i)},
         {"at", duration_cast<seconds>((hour + minutes(1 + i % 50)).time_since_epoch()).count()}});
  }
  return out;
}

TEST_F(ListenTest, ASpikeOfOutageChatterBecomesAnEvidenceLine) {
  Listen(X());
  const auto now = system_clock::now();
  const listen::Hour h = listen::HourOf(now);
  // The last two complete hours: usually 3 posts each, now 40.
  SeedHistory(store_->Listening(), now, 6, 3, h - hours(1));
  SeedHistory(store_->Listening(), now, 6, 3, h - hours(2));
  AddPosts("x", ChatterPosts(40, h - hours(2)));
  AddPosts("x", ChatterPosts(40, h - hours(1)));
  listener_->RunOnce(now);
  auto evidence = listen::ChatterEvidence(store_->Listening(), "instagram", "Instagram", now);
  ASSERT_TRUE(evidence.ok()) << evidence.error().message();
  EXPECT_THAT(*evidence, HasSubstr("outage chatter on Instagram: 40 posts in"));
  // Every platform at once (what a serve round reads): the same line, and only the spiking one.
  auto all = listen::SpikingChatter(store_->Listening(), now);
  ASSERT_TRUE(all.ok()) << all.error().message();
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ(listen::ChatterLine("Instagram", all->at("instagram")), *evidence);
  EXPECT_THAT(*evidence, HasSubstr("against 3 expected"));
  EXPECT_THAT(*evidence, HasSubstr("2 hours in a row: spike"));
  bool fired = false;
  for (const auto& e : events_) {
    if (e.kind == "spike") {
      fired = true;
      EXPECT_EQ(e.data["platform"], "instagram");
      EXPECT_EQ(e.data["observed"], 40);
      EXPECT_EQ(e.data["weeks"].size(), 6u);
      EXPECT_LT(e.data["p_value"].get<double>(), 1e-4);
    }
  }
  EXPECT_TRUE(fired);
  // Judged again in the same hour: still evidence, no second spike event (cooldown).
  events_.clear();
  listener_->RunOnce(now + seconds(30));
  for (const auto& e : events_) EXPECT_NE(e.kind, "spike");
  EXPECT_THAT(*listen::ChatterEvidence(store_->Listening(), "instagram", "Instagram", now),
              Not(IsEmpty()));
  // Another platform has no evidence.
  EXPECT_THAT(*listen::ChatterEvidence(store_->Listening(), "whatsapp", "WhatsApp", now),
              IsEmpty());
}

TEST_F(ListenTest, ABusyHourThatIsBusyEveryWeekIsNoSpike) {
  Listen(X());
  const auto now = system_clock::now();
  const listen::Hour h = listen::HourOf(now);
  SeedHistory(store_->Listening(), now, 6, 40, h - hours(1));
  SeedHistory(store_->Listening(), now, 6, 40, h - hours(2));
  AddPosts("x", ChatterPosts(42, h - hours(2)));
  AddPosts("x", ChatterPosts(42, h - hours(1)));
  listener_->RunOnce(now);
  auto evidence = listen::ChatterEvidence(store_->Listening(), "instagram", "Instagram", now);
  ASSERT_TRUE(evidence.ok());
  EXPECT_THAT(*evidence, IsEmpty());
  auto spikes = store_->Listening().ListSpikes({.query = "chatter:instagram"});
  ASSERT_TRUE(spikes.ok());
  ASSERT_FALSE(spikes->empty());
  EXPECT_EQ((*spikes)[0].observed, 42);
  EXPECT_EQ((*spikes)[0].reason, "not_significant");
  for (const auto& e : events_) EXPECT_NE(e.kind, "spike");
}

template <typename Pred>
bool WaitFor(Pred pred, milliseconds timeout) {
  const auto deadline = steady_clock::now() + timeout;
  while (steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(milliseconds(100));
  }
  return pred();
}

// Mastodon's streaming API: a post pushed on the hashtag's stream is stored within seconds; a
// post made while the stream was dropped (and reconnections refused) is caught up from the
// timeline once the stream stands again, and stored once.
TEST_F(ListenTest, AStreamedPostIsStoredAtOnceAndADropIsCaughtUp) {
  setenv("LL_LISTEN_MASTODON", "mastodon-test-token", 1);
  Listen("    mastodon: { url: \"" + Base("mastodon") +
         "\", streaming: true, interval: 1h, token: { env: LL_LISTEN_MASTODON } }\n");
  auto stream_requests = [&] {
    int n = 0;
    for (const auto& r : Requests("mastodon")) n += r["path"] == "/api/v1/streaming/hashtag";
    return n;
  };
  auto timeline_requests = [&] {
    json out = json::array();
    for (const auto& r : Requests("mastodon")) {
      if (r["path"] == "/api/v1/timelines/tag/instagramdown") out.push_back(r);
    }
    return out;
  };
  ASSERT_TRUE(listener_->Start().ok());
  // Connected, and the first catch-up (the timeline from the cursor) has run.
  ASSERT_TRUE(WaitFor([&] { return stream_requests() == 1 && timeline_requests().size() == 1; },
                      seconds(10)));

  AddPosts("mastodon", json::array({{{"tag", "instagramdown"},
                                     {"author", "ana"},
                                     {"shares", 2},
                                     {"text", "instagram down again #instagramdown"}}}));
  ASSERT_TRUE(WaitFor([&] { return Posts("chatter:instagram").size() == 1; }, seconds(5)))
      << "the streamed post was not stored";
  EXPECT_EQ(timeline_requests().size(), 1u) << "it came on the stream, not from a poll";
  const std::string first_id = Posts("chatter:instagram")[0].source_id;
  ASSERT_TRUE(
      WaitFor([&] { return State("mastodon", "instagramdown").cursor == first_id; }, seconds(5)));

  // The stream drops, and stays refused (503) while a post is made.
  ASSERT_TRUE(Control("stream", {{"down", true}, {"drop", true}}));
  ASSERT_TRUE(
      WaitFor([&] { return State("mastodon", "instagramdown").outcome == "error"; }, seconds(5)));
  EXPECT_THAT(State("mastodon", "instagramdown").error, HasSubstr("mastodon stream"));
  AddPosts("mastodon", json::array({{{"tag", "instagramdown"},
                                     {"author", "bob"},
                                     {"text", "still no instagram #instagramdown"}}}));
  ASSERT_TRUE(Control("stream", {{"down", false}}));
  ASSERT_TRUE(WaitFor([&] { return Posts("chatter:instagram").size() == 2; }, seconds(15)))
      << "the post made during the drop was not caught up";
  // Caught up from the timeline, resuming after the last streamed post (then following the
  // Link header's rel="prev" until nothing is newer).
  const json polls = timeline_requests();
  ASSERT_GE(polls.size(), 2u);
  bool resumed = false;
  for (std::size_t i = 1; i < polls.size(); ++i) {
    resumed = resumed || polls[i]["query"].value("min_id", "") == first_id;
  }
  EXPECT_TRUE(resumed) << polls.dump();
  EXPECT_GE(stream_requests(), 2);
  ASSERT_TRUE(
      WaitFor([&] { return State("mastodon", "instagramdown").outcome == "ok"; }, seconds(5)));
  EXPECT_EQ(Count("chatter:instagram"), 2);

  // Still streaming after the reconnection.
  AddPosts(
      "mastodon",
      json::array(
          {{{"tag", "instagramdown"}, {"author", "cy"}, {"text", "back now #instagramdown"}}}));
  ASSERT_TRUE(WaitFor([&] { return Posts("chatter:instagram").size() == 3; }, seconds(5)));
  listener_->Stop();
  EXPECT_EQ(Count("chatter:instagram"), 3);
}

// Inside the real `lifeline serve`: a spike of Instagram's outage chatter shows as an evidence
// line on Instagram (GET /v1/platforms), on /v1/listening and through `lifeline listen`.
TEST_F(ListenTest, ServeShowsAChatterSpikeAsEvidenceAndThroughTheCli) {
  ToggleSite site("instagram");
  site.Start();
  // serve judges on its own clock: do not start in the last 90 s of an hour, whose turn would
  // move the spike out of "the last complete hour" mid-test.
  if (system_clock::now() + seconds(90) >= listen::HourOf(system_clock::now()) + hours(1)) {
    const auto turn = listen::HourOf(system_clock::now()) + hours(1);
    ASSERT_TRUE(WaitFor([&] { return system_clock::now() >= turn; }, seconds(100)));
  }
  const auto now = system_clock::now();
  const listen::Hour h = listen::HourOf(now);
  // Six weeks of collection in the database serve will open, 3 posts in the hours judged.
  {
    auto s = store::OpenSqlite(dir_.File("data/lifeline.db"));
    ASSERT_TRUE(s.ok()) << s.error().ToString();
    SeedHistory((*s)->Listening(), now, 6, 3, h - hours(1));
    SeedHistory((*s)->Listening(), now, 6, 3, h - hours(2));
  }
  AddPosts("x", ChatterPosts(40, h - hours(2)));
  AddPosts("x", ChatterPosts(40, h - hours(1)));
  const std::uint16_t port = FreePort();
  std::string y = "timeout: 1s\nresolvers: []\ncontrol:\n  - url: " + site.Url("/control") +
                  "\n    expect: { body_contains: [\"control is working\"] }\n";
  y += "api:\n  listen: 127.0.0.1:" + std::to_string(port) + "\n";
  y += "serve:\n  interval: 5s\n";
  y += "platforms:\n";
  auto catalog = config::LoadBundled();
  ASSERT_TRUE(catalog.ok());
  for (const auto& p : catalog->platforms) {
    if (p.id != "instagram") y += "  " + p.id + ": { enabled: false }\n";
  }
  y += "  instagram:\n    dns: []\n    status_page: null\n    probes:\n"
       "      - { id: web, url: \"" +
       site.Url("/instagram") + "\", expect: { status: [200] } }\n";
  y += "listen:\n  chatter:\n    instagram:\n  sources:\n" + X();
  const std::string config = dir_.Write("lifeline.yaml", y);
  Process serve;
  std::string error;
  ASSERT_TRUE(
      serve.Start({LIFELINE_BINARY, "serve", "--config", config, "--data-dir", dir_.File("data")},
                  dir_.File("serve.log"), &error))
      << error;
  const std::string log_file = dir_.File("serve.log");
  ASSERT_TRUE(WaitForTcpPort("127.0.0.1", port)) << ReadFile(log_file);
  auto get = [&](const std::string& path) {
    auto r = HttpCall(port, "GET", path);
    return r && r->status == 200 ? json::parse(r->body, nullptr, false) : json();
  };
  std::string evidence;
  ASSERT_TRUE(WaitFor(
      [&] {
        json p = get("/v1/platforms/instagram");
        if (!p.is_object() || !p.contains("evidence")) return false;
        for (const auto& e : p["evidence"]) {
          if (e.get<std::string>().starts_with("outage chatter on Instagram")) {
            evidence = e.get<std::string>();
          }
        }
        return !evidence.empty();
      },
      seconds(30)))
      << get("/v1/platforms/instagram").dump() << "\n"
      << ReadFile(log_file);
  EXPECT_THAT(evidence, HasSubstr("40 posts in"));
  json platform = get("/v1/platforms/instagram");
  EXPECT_EQ(platform["verdict"], "up") << "evidence, never a verdict by itself";
  EXPECT_EQ(platform["crowd"]["chatter_evidence"], evidence);

  json status = get("/v1/listening");
  ASSERT_TRUE(status.is_object());
  EXPECT_EQ(status["sources"][0]["name"], "x");
  EXPECT_EQ(status["sources"][0]["health"], "ok");
  ASSERT_FALSE(status["spiking"].empty());
  EXPECT_EQ(status["spiking"][0]["query"], "chatter:instagram");
  json hours_json = get("/v1/listening/hours?query=chatter:instagram");
  ASSERT_TRUE(hours_json.is_object()) << hours_json.dump();
  bool seen = false;
  for (const auto& hr : hours_json["hours"]) {
    if (hr["posts"] == 40) {
      seen = true;
      EXPECT_EQ(hr["usual"], 3);
      EXPECT_EQ(hr["band"]["high"], 3);
      EXPECT_FALSE(hr["top_terms"].empty());
    }
  }
  EXPECT_TRUE(seen) << hours_json.dump();
  auto bad = HttpCall(port, "GET", "/v1/listening/hours?query=chatter:nope");
  ASSERT_TRUE(bad.has_value());
  EXPECT_EQ(bad->status, 404);

  const std::string server = "http://127.0.0.1:" + std::to_string(port);
  auto cli = RunLifeline({"listen", "status", "--server", server});
  EXPECT_EQ(cli.code, 0) << cli.out;
  EXPECT_THAT(cli.out, HasSubstr("SPIKE chatter:instagram"));
  EXPECT_THAT(cli.out, HasSubstr("instagram down"));
  auto spikes = RunLifeline({"listen", "spikes", "--spiking", "--json", "--server", server});
  EXPECT_EQ(spikes.code, 0) << spikes.out;
  json sj = json::parse(spikes.out.substr(spikes.out.find('{')), nullptr, false);
  ASSERT_TRUE(sj.is_object()) << spikes.out;
  ASSERT_FALSE(sj["spikes"].empty());
  EXPECT_EQ(sj["spikes"][0]["observed"], 40);
  auto posts = RunLifeline(
      {"listen", "posts", "--query", "chatter:instagram", "--limit", "5", "--server", server});
  EXPECT_EQ(posts.code, 0) << posts.out;
  EXPECT_THAT(posts.out, HasSubstr("is instagram down for everyone?"));
  auto unknown = RunLifeline({"listen", "posts", "--query", "chatter:nope", "--server", server});
  EXPECT_EQ(unknown.code, 2) << unknown.out;
  EXPECT_THAT(unknown.out, HasSubstr("no query 'chatter:nope'"));
  serve.Stop();
}

TEST(ListenServe, BadListenConfigStopsServeNamingFileLineAndKeyWithoutTheSecret) {
  TempDir dir{"lifeline-listen-bad"};
  setenv("LL_LISTEN_X", "x-test-bearer", 1);
  std::string y =
      "resolvers: []\ncontrol:\n  - url: http://127.0.0.1:9/\napi:\n  listen: 127.0.0.1:" +
      std::to_string(FreePort()) + "\nplatforms:\n";
  auto catalog = config::LoadBundled();
  ASSERT_TRUE(catalog.ok());
  for (const auto& p : catalog->platforms) y += "  " + p.id + ": { enabled: false }\n";
  const int before = static_cast<int>(std::count(y.begin(), y.end(), '\n'));
  y += "listen:\n  chatter:\n    instagram:\n  sources:\n"
       "    x: { token: { env: LL_LISTEN_X }, video_ids: [abc] }\n";
  const std::string config = dir.Write("lifeline.yaml", y);
  auto run = RunLifeline({"serve", "--config", config, "--data-dir", dir.File("data")});
  EXPECT_EQ(run.code, 2) << run.out;
  EXPECT_THAT(run.out, HasSubstr("lifeline.yaml:" + std::to_string(before + 5) +
                                 ": listen.sources.x.video_ids: not used by a x source"));
  EXPECT_THAT(run.out, Not(HasSubstr("x-test-bearer")));
}

}  // namespace
}  // namespace lifeline::testing
