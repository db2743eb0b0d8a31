// The demo's public chatter (demo_listen.h): the part of the Mastodon API the listening source
// calls (GET /api/v1/timelines/tag/:hashtag with min_id paging, the Link header and the
// X-RateLimit-* headers, https://docs.joinmastodon.org/methods/timelines/#tag), its scripted posts,
// the `listen:` section, and the seeded history.
#include "serve/demo_listen.h"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cctype>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <vector>

#include <fmt/format.h>

#include "api/http_util.h"
#include "core/clock.h"
#include "listen/config.h"
#include "listen/series.h"
#include "listen/summary.h"
#include "listen/vader.h"
#include "serve/demo_http.h"
#include "serve/serve.h"
#include "store/store.h"

namespace lifeline::serve {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using nlohmann::json;
using Clock = std::chrono::system_clock;
using namespace std::chrono_literals;

constexpr const char* kTagPath = "/api/v1/timelines/tag/";
constexpr const char* kPostBase = "https://mastodon.example/@";
constexpr const char* kAuthors[] = {"maria_g", "tom_codes", "lena_b",  "joao_p", "sam_k",
                                    "priya_r", "chen_w",    "ola_n",   "mike_d", "aisha_m",
                                    "noah_t",  "ines_f",    "yusuf_a", "kate_l", "ravi_s"};

// What people usually say, per hashtag, and how many posts an hour at the busiest hour of the day.
// The usual WhatsApp chatter stays low (about 1-3 an hour), so that the outage's burst is far
// above it whatever the hour, while a brand's own hashtag is busier.
struct Stream {
  const char* tag;
  double peak;
  std::vector<const char*> texts;
};
const Stream kStreams[] = {
    {"whatsappdown",
     2.0,
     {"is whatsapp down? my messages are not sending #whatsappdown",
      "whatsapp not working on my phone, a restart fixed it #whatsappdown",
      "Anyone else? WhatsApp web keeps disconnecting #whatsappdown",
      "whatsapp down for me for a minute, back now #whatsappdown"}},
    {"instagramdown",
     2.0,
     {"is instagram down? my feed won't refresh #instagramdown",
      "instagram stories not loading for me #instagramdown",
      "instagram down again? #instagramdown"}},
    {"lifelinedemo",
     3.0,
     {"Loving my new jacket from #lifelinedemo, great quality!",
      "Does #lifelinedemo ship to Portugal?", "The winter collection at #lifelinedemo looks nice",
      "My #lifelinedemo order came late, not happy",
      "Thanks @lifeline_demo for the quick answer #lifelinedemo"}},
};

// The outage as people post it: mostly annoyed, some just asking, a few praising the brand that
// already pointed them to Telegram.
struct Line {
  const char* text;
  int shares;
};
const Line kOutage[] = {
    {"is whatsapp down for everyone? #whatsappdown", 14},
    {"WhatsApp down again?! Can't send a single message, this is terrible #whatsappdown", 3},
    {"whatsapp not working here either, so frustrating :( #whatsappdown", 1},
    {"WhatsApp down in Madrid too #whatsappdown", 0},
    {"Missed my delivery because the courier couldn't reach me on WhatsApp. Awful. #whatsappdown",
     2},
    {"Web and app both fail with error 503 #whatsappdown", 0},
    {"WhatsApp is down but @lifeline_demo already posted their Telegram link, great service! "
     "#whatsappdown",
     9},
    {"third outage this year, seriously disappointed #whatsappdown", 1},
    {"cannot reach anyone, whatsapp is broken #whatsappdown", 0},
    {"whatsapp down and I was in the middle of an order with @lifeline_demo #whatsappdown", 0},
    {"is whatsapp down? nothing goes through #whatsappdown", 0},
    {"Thanks @lifeline_demo for answering on Telegram so fast, love it #whatsappdown", 4},
    {"status page says investigating. great. #whatsappdown", 0},
    {"whatsapp down, my family group is silent for once lol #whatsappdown", 6},
};
const Line kBack[] = {
    {"WhatsApp is back! Finally, great #whatsappdown", 2},
    {"messages coming through again, phew #whatsappdown", 0},
    {"whatsapp works again here, thanks to whoever fixed it #whatsappdown", 1},
};
const Line kBrand[] = {
    {"Loving the winter sale at #lifelinedemo, great prices!", 2},
    {"Just ordered the blue jacket from #lifelinedemo", 0},
};

// The share of the busiest hour's chatter at hour `h` (UTC): low at night, high in the evening;
// a little quieter at weekends.
double DayShare(listen::Hour h) {
  constexpr double kCurve[24] = {0.30, 0.22, 0.18, 0.15, 0.15, 0.20, 0.32, 0.48,
                                 0.60, 0.66, 0.70, 0.74, 0.80, 0.78, 0.74, 0.72,
                                 0.76, 0.82, 0.90, 0.97, 1.00, 0.92, 0.72, 0.48};
  const auto day = std::chrono::floor<std::chrono::days>(h);
  const int hour = static_cast<int>((h - day).count());
  const unsigned weekday = std::chrono::weekday(day).c_encoding();  // 0 = Sunday
  return kCurve[hour] * (weekday == 0 || weekday == 6 ? 0.85 : 1.0);
}

// Mastodon's ids are time-based (milliseconds << 16, then a sequence), so newer is larger.
std::uint64_t StatusId(Clock::time_point at, std::uint64_t seq) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch());
  return (static_cast<std::uint64_t>(ms.count()) << 16) | (seq & 0xffff);
}

std::string Iso(Clock::time_point t) {
  return core::FormatTime(std::chrono::time_point_cast<std::chrono::milliseconds>(t));
}

std::string Escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '&') {
      out += "&amp;";
    } else if (c == '<') {
      out += "&lt;";
    } else if (c == '>') {
      out += "&gt;";
    } else {
      out += c;
    }
  }
  return out;
}

std::map<std::string, std::string> Params(std::string_view query) {
  std::map<std::string, std::string> out;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view part = query.substr(0, amp);
    const auto eq = part.find('=');
    auto key = api::internal::PercentDecode(part.substr(0, eq), true);
    auto value =
        api::internal::PercentDecode(eq == std::string_view::npos ? "" : part.substr(eq + 1), true);
    if (key && value) out[*key] = *value;
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return out;
}

std::uint64_t ToId(const std::string& s) { return std::strtoull(s.c_str(), nullptr, 10); }

// The queries a post found under `tag` belongs to, as the listener files a Mastodon post: the
// query whose hashtag the timeline is, and every query whose terms the text says.
std::vector<std::string> QueriesOf(const listen::ListenConfig& config, const std::string& tag,
                                   const std::string& text) {
  std::vector<std::string> out;
  for (const listen::Query& q : config.queries) {
    bool owns = false;
    for (const std::string& t : q.terms) {
      if (t.size() > 1 && t[0] == '#') {
        std::string lower = t.substr(1);
        for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        owns = owns || lower == tag;
      }
    }
    if (owns || q.Matches(text)) out.push_back(q.id);
  }
  return out;
}

}  // namespace

struct DemoChatter::State : std::enable_shared_from_this<DemoChatter::State> {
  explicit State(asio::io_context& io) : acceptor(io) {}

  struct SimPost {
    std::uint64_t id = 0;
    std::string tag;
    std::string author;
    std::string text;
    Clock::time_point at;  // shown from then on
    int shares = 0;
  };

  tcp::acceptor acceptor;
  std::uint16_t port = 0;
  std::mutex mu;               // guards posts, seq
  std::vector<SimPost> posts;  // in no particular order
  std::uint64_t seq = 0;

  // A post that appears `in` from now.
  void Add(const std::string& tag, const Line& line, Clock::duration in) {
    std::lock_guard lock(mu);
    SimPost p;
    p.at = Clock::now() + in;
    p.id = StatusId(p.at, ++seq);
    p.tag = tag;
    p.author = kAuthors[(seq * 7) % std::size(kAuthors)];
    p.text = line.text;
    p.shares = line.shares;
    posts.push_back(std::move(p));
  }

  // GET /api/v1/timelines/tag/:hashtag: newest first; min_id gives the statuses immediately newer
  // than it (the oldest `limit` of them), max_id and since_id bound the page; the Link header
  // points to the next (older) and previous (newer) pages.
  std::string Answer(const DemoRequest& r) {
    std::string_view target = r.target;
    const auto q = target.find('?');
    const std::string_view path = target.substr(0, q);
    if (r.method != "GET" || !path.starts_with(kTagPath)) {
      return DemoAnswer("404 Not Found", R"({"error":"Record not found"})");
    }
    auto tag = api::internal::PercentDecode(path.substr(std::string_view(kTagPath).size()), false);
    if (!tag || tag->empty()) return DemoAnswer("404 Not Found", R"({"error":"Record not found"})");
    for (char& c : *tag) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto params = Params(q == std::string_view::npos ? "" : target.substr(q + 1));
    std::size_t limit = 20;
    if (params.count("limit")) {
      limit = std::clamp<std::size_t>(std::strtoul(params["limit"].c_str(), nullptr, 10), 1, 40);
    }
    std::vector<SimPost> list;
    {
      std::lock_guard lock(mu);
      const auto now = Clock::now();
      for (const SimPost& p : posts) {
        if (p.tag != *tag || p.at > now) continue;
        if (params.count("max_id") && p.id >= ToId(params["max_id"])) continue;
        if (params.count("since_id") && p.id <= ToId(params["since_id"])) continue;
        if (params.count("min_id") && p.id <= ToId(params["min_id"])) continue;
        list.push_back(p);
      }
    }
    std::sort(list.begin(), list.end(), [](const auto& a, const auto& b) { return a.id > b.id; });
    if (list.size() > limit) {
      // min_id: the page right after it (the oldest of the newer ones); otherwise the newest.
      if (params.count("min_id")) {
        list.erase(list.begin(), list.end() - static_cast<std::ptrdiff_t>(limit));
      } else {
        list.resize(limit);
      }
    }
    json out = json::array();
    for (const SimPost& p : list) {
      const std::string id = std::to_string(p.id);
      out.push_back({{"id", id},
                     {"created_at", Iso(p.at)},
                     {"url", kPostBase + p.author + "/" + id},
                     {"uri", "https://mastodon.example/users/" + p.author + "/statuses/" + id},
                     {"content", "<p>" + Escape(p.text) + "</p>"},
                     {"reblogs_count", p.shares},
                     {"reblog", nullptr},
                     {"account",
                      {{"id", std::to_string(std::hash<std::string>{}(p.author) % 100000)},
                       {"username", p.author},
                       {"acct", p.author}}}});
    }
    const std::string body = out.dump();
    std::string head = fmt::format(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n"
        "X-RateLimit-Limit: 300\r\nX-RateLimit-Remaining: 299\r\nX-RateLimit-Reset: {}\r\n",
        body.size(), Iso(Clock::now() + 5min));
    if (!list.empty()) {
      const std::string base = fmt::format("http://127.0.0.1:{}{}{}", port, kTagPath, *tag);
      head +=
          fmt::format("Link: <{0}?max_id={1}>; rel=\"next\", <{0}?min_id={2}>; rel=\"prev\"\r\n",
                      base, list.back().id, list.front().id);
    }
    return head + "Connection: close\r\n\r\n" + body;
  }
};

DemoChatter::DemoChatter(asio::io_context& io) : state_(std::make_shared<State>(io)) {}
DemoChatter::~DemoChatter() = default;

core::Status DemoChatter::Start() {
  State* st = state_.get();
  LL_TRY(ServeDemoHttp(
      state_->acceptor, "demo chatter", [st](const DemoRequest& r) { return st->Answer(r); },
      state_));
  state_->port = state_->acceptor.local_endpoint().port();
  return core::Ok();
}

void DemoChatter::Stop() {
  boost::system::error_code ec;
  state_->acceptor.close(ec);
}

core::Status DemoChatter::Configure(config::Config& config) const {
  // The spike settings of an outage of minutes: a real config judges whole hours and wants two
  // unusual ones in a row; the demo's outage is over long before one hour ends. So the hour in
  // progress is judged once a minute of it has passed (its expectation scaled by the share
  // elapsed) and one unusual hour fires. The other thresholds stay the documented defaults
  // (Poisson tail below 1e-4, at least 10 posts, 1.5x the usual): the burst clears them at any
  // minute of the hour against the seeded 1-3 posts an hour, and the quiet hours never do.
  const std::string yaml = fmt::format(R"(
listen:
  brands:
    lifeline-demo:
      mentions: ["@lifeline_demo"]
      hashtags: ["#lifelinedemo"]
  chatter:
    whatsapp:
    instagram:
  sources:
    mastodon: {{ url: "http://127.0.0.1:{port}", interval: 2s, timeout: 3s }}
  spike: {{ consecutive: 1, judge_partial_hour: true, partial_min: 1m }}
)",
                                       fmt::arg("port", state_->port));
  return AddDemoSections(config, yaml, "<demo listening>");
}

// Why the store, not the simulated API: the listener counts an hour only when a poll ran in it
// (listen_coverage), and a source's first poll reads the newest page only, so history served by
// the API would never count. Seeding posts with their past times and marking those hours
// collected gives the detector the weeks it needs, in the store's own terms.
core::Status DemoChatter::SeedHistory(const config::Config& config, Clock::time_point now,
                                      int weeks) {
  auto listen_config = listen::LoadListenConfig(config);
  if (!listen_config.ok()) return listen_config.error();
  auto opened = store::OpenSqlite(config.serve.DatabasePath());
  if (!opened.ok()) return opened.error();
  const listen::Vader& vader = listen::Vader::Bundled();
  const listen::Hour current = listen::HourOf(now);
  std::vector<store::ListenPost> rows;
  std::vector<store::Time> covered;
  for (listen::Hour h = current - std::chrono::hours(24 * 7 * weeks); h < current;
       h += std::chrono::hours(1)) {
    covered.push_back(std::chrono::time_point_cast<std::chrono::milliseconds>(h));
    for (std::size_t si = 0; si < std::size(kStreams); ++si) {
      const Stream& s = kStreams[si];
      // The same hour draws the same posts (a kept data folder keeps them once).
      std::mt19937 rng(static_cast<std::uint32_t>(
          std::hash<std::string>{}(fmt::format("{}/{}", s.tag, h.time_since_epoch().count()))));
      std::poisson_distribution<int> draw(s.peak * DayShare(h));
      const int n = std::min(draw(rng), static_cast<int>(2 * s.peak) + 2);
      for (int i = 0; i < n; ++i) {
        listen::Post p;
        p.source = "mastodon";
        p.posted_at = h + std::chrono::milliseconds(rng() % 3600000);
        p.id = std::to_string(StatusId(p.posted_at, (si << 8) | static_cast<std::uint64_t>(i)));
        p.author = kAuthors[rng() % std::size(kAuthors)];
        p.url = kPostBase + p.author + "/" + p.id;
        p.text = s.texts[rng() % s.texts.size()];
        p.shares = rng() % 5 == 0 ? static_cast<std::int64_t>(rng() % 4) : 0;
        store::ListenPost row;
        row.queries = QueriesOf(*listen_config, s.tag, p.text);
        if (row.queries.empty()) continue;
        row.key = listen::DedupKey(p);
        row.source = p.source;
        row.source_id = p.id;
        row.url = p.url;
        row.author = p.author;
        row.text = p.text;
        row.posted_at = store::FromSystem(p.posted_at);
        row.fetched_at = store::FromSystem(p.posted_at + std::chrono::seconds(30));
        row.shares = p.shares;
        row.compound = vader.Score(p.text).compound;
        rows.push_back(std::move(row));
      }
    }
  }
  auto added = (*opened)->Listening().AddPosts(rows, nullptr, covered);
  if (!added.ok()) return added.error();
  LogLine(fmt::format(
      "demo: listening to #whatsappdown, #instagramdown and #lifelinedemo on a simulated Mastodon, "
      "with {} weeks of usual chatter behind it ({} posts)",
      weeks, rows.size()));
  return core::Ok();
}

void DemoChatter::Greet() {
  state_->Add("lifelinedemo", kBrand[0], 2s);
  state_->Add("lifelinedemo", kBrand[1], 6s);
}

void DemoChatter::OutageStarted(std::chrono::milliseconds outage_for) {
  // Most of it in the first half of the outage (at most 45 s), starting a second in; fewer after.
  const auto burst = std::clamp<std::chrono::milliseconds>(outage_for / 2, 8s, 45s);
  constexpr int kBurst = 24;
  for (int i = 0; i < kBurst; ++i) {
    state_->Add("whatsappdown", kOutage[i % std::size(kOutage)], 1s + burst * i / kBurst);
  }
  const auto rest = outage_for - burst - 1s;
  constexpr int kTail = 6;
  int tail = 0;
  if (rest > 2s) {
    for (; tail < kTail; ++tail) {
      state_->Add("whatsappdown", kOutage[(kBurst + tail) % std::size(kOutage)],
                  1s + burst + rest * tail / kTail);
    }
  }
  LogLine(fmt::format(
      "demo: people post #whatsappdown on the simulated Mastodon: {} posts in the next {:g} s, "
      "where 1-3 an hour is usual; listening counts them (dashboard: Listening)",
      kBurst + tail, std::chrono::duration<double>(tail > 0 ? outage_for : burst + 1s).count()));
}

void DemoChatter::OutageEnded() {
  for (std::size_t i = 0; i < std::size(kBack); ++i) {
    state_->Add("whatsappdown", kBack[i], 3s + std::chrono::seconds(5 * i));
  }
}

}  // namespace lifeline::serve
