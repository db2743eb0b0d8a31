// Fuzzes what listening reads from outside (src/listen/): each source's API answers (the parsers
// and a whole poll through the source's client), the Page feed webhook, Mastodon's event stream,
// Link headers, HTML content, and the sentiment and dedup of the text it stores.
#include <chrono>
#include <cmath>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/fuzz_http.h"
#include "fuzz/fuzz_util.h"
#include "listen/page_feed.h"
#include "listen/sources.h"
#include "listen/stream.h"
#include "listen/summary.h"
#include "listen/terms.h"
#include "listen/vader.h"

namespace {

using namespace lifeline;
using namespace lifeline::listen;

const TimePoint kNow =
    std::chrono::sys_days(std::chrono::year(2026) / 11 / 27) + std::chrono::hours(10);

// What the store does with every post a source brings: its dedup key, its sentiment, its terms.
void CheckPosts(const std::vector<Post>& posts) {
  for (const Post& p : posts) {
    LL_FUZZ_CHECK(!DedupKey(p).empty());
    SentimentScores s = Vader::Bundled().Score(p.text);
    LL_FUZZ_CHECK(std::isfinite(s.compound) && s.compound >= -1 && s.compound <= 1);
    (void)Terms(p.text);
  }
}

void CheckPage(const core::Result<ParsedPage>& page) {
  if (page.ok()) CheckPosts(page->posts);
}

SourceConfig Config(SourceKind kind) {
  SourceConfig c;
  c.name = std::string(SourceKindName(kind));
  c.kind = kind;
  c.base_url = "https://api.example.test";
  c.token = "token";
  c.identifier = "brand.example.test";
  c.password = "password";
  c.client_id = "client";
  c.auth_url = "https://auth.example.test";
  c.user_agent = "lifeline-fuzz";
  c.api_key = "key";
  c.feeds = {"https://example.test/feed.xml"};
  c.video_ids = {"abc"};
  c.max_pages = 3;
  return c;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in = fuzz::Text(data, size);
  const unsigned selector = fuzz::TakeByte(in);
  switch (selector % 14) {
    case 0:
      CheckPage(ParseXSearch(in));
      break;
    case 1:
      CheckPage(ParseMastodonStatuses(in));
      break;
    case 2:
      CheckPage(ParseBlueskySearch(in));
      break;
    case 3:
      CheckPage(ParseRedditListing(in));
      break;
    case 4:
      CheckPage(ParseYouTubeThreads(in));
      break;
    case 5:
      CheckPage(ParseFeedPosts(in));
      break;
    case 6: {  // a Facebook Page feed delivery, for Page 1001 only
      auto feed = ParsePageFeed(in, {"1001"});
      if (feed.ok()) {
        std::vector<Post> posts;
        for (const auto& c : feed->changes) {
          LL_FUZZ_CHECK(c.page_id == "1001");
          posts.push_back(c.post);
        }
        CheckPosts(posts);
      }
      break;
    }
    case 7: {  // Mastodon's stream, in chunks cut where the input says "\n--\n"
      SseParser parser(4096);
      while (!in.empty() && !parser.overflow()) {
        for (SseEvent& e : parser.Feed(fuzz::TakePart(in))) {
          if (e.event == "update") CheckPage(ParseMastodonStatuses("[" + e.data + "]"));
        }
      }
      break;
    }
    case 8:
      (void)ParseLinkHeader(in);
      break;
    case 9:
      (void)HtmlToText(in);
      break;
    case 10: {  // a rate-limited (or spent) answer's headers, read as each API states them
      fuzz::FuzzHttp http(in);
      channels::HttpResponse r = http.Do({});
      for (SourceKind k : {SourceKind::kX, SourceKind::kMastodon, SourceKind::kBluesky,
                           SourceKind::kReddit, SourceKind::kYouTube, SourceKind::kRss}) {
        (void)RateLimitedUntil(k, r, kNow);
        (void)WindowSpentUntil(k, r, kNow);
      }
      break;
    }
    case 11: {  // a whole poll: answers to each request the source makes
      static const SourceKind kKinds[] = {SourceKind::kX,       SourceKind::kMastodon,
                                          SourceKind::kBluesky, SourceKind::kReddit,
                                          SourceKind::kYouTube, SourceKind::kRss};
      const SourceKind kind = kKinds[(selector / 14) % 6];
      fuzz::FuzzHttp http(in);
      auto source = MakeSource(Config(kind), http, 1 << 20);
      const std::string term = kind == SourceKind::kYouTube ? "video:abc"
                               : kind == SourceKind::kRss   ? "https://example.test/feed.xml"
                                                            : "lifeline";
      PollResult r = source->Poll(term, (selector / 84) % 2 ? "100" : "", kNow);
      if (r.outcome == PollOutcome::kOk) CheckPosts(r.posts);
      if (r.outcome == PollOutcome::kRateLimited) LL_FUZZ_CHECK(r.retry_at.has_value());
      break;
    }
    case 12: {  // any text a post may carry
      Post p;
      p.source = "x";
      p.text = std::string(in);
      p.url = std::string(in.substr(0, in.find(' ')));
      CheckPosts({p});
      (void)NormaliseUrl(in);
      break;
    }
    case 13:
      (void)Vader::Parse(in);
      break;
  }
  return 0;
}
