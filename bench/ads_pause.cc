// Pausing many campaigns across the three ad platforms at their rate limits (issue 10: "done as
// fast as those limits allow (say how close), nothing paused twice, every prior state recorded").
//
// Against tests/fakes/ads_apis.py, which enforces a sliding-window call limit per account (the
// answer each platform documents: Meta error 17/2446079 with its usage headers, Google
// RESOURCE_EXHAUSTED with retryDelay, TikTok 40100), the campaigns split Meta 50% / Google 30% /
// TikTok 20%, all active:
//
//   (a) the peer: a bare pacer — one thread per account calling the same clients (list, pause in
//       the platform's batches, read back), sleeping exactly what each rate-limit answer says.
//       No store, no timeline, no timers: what the limits allow with our clients.
//   (b) the guard: the real ads::Guard on a SQLite store with the process's timer scheduler, from
//       PauseNow until every campaign is paused on the platform and recorded as paused in the
//       store (prior state first, every call on the timeline).
//
// The floor printed beside them is the limits' own: for each account, the windows its calls need
// ((calls - 1) / limit, whole windows), the slowest account's.
//
//   ads_pause [--campaigns 500] [--runs 3] [--window-ms 2000] [--meta 40] [--google 10]
//             [--tiktok 10]
//
// One line per run, then the medians.
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "ads/account.h"
#include "ads/guard.h"
#include "channels/http.h"
#include "config/config.h"
#include "core/temp_dir.h"
#include "store/store.h"
#include "timers/scheduler.h"

namespace {

using namespace lifeline;
using namespace std::chrono_literals;
using nlohmann::json;
using Steady = std::chrono::steady_clock;
using Secs = std::chrono::duration<double>;

[[noreturn]] void Die(const std::string& what) {
  fmt::print(stderr, "ads_pause: {}\n", what);
  std::exit(1);
}

long Arg(int argc, char** argv, std::string_view name, long def) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (argv[i] == name) return std::atol(argv[i + 1]);
  }
  return def;
}

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// The emulator as a child process on a port of its own.
class Fake {
 public:
  explicit Fake(const std::string& dir) {
    const std::string port_file = dir + "/port";
    pid_ = fork();
    if (pid_ < 0) Die("fork failed");
    if (pid_ == 0) {
      const std::string script = std::string(LIFELINE_SOURCE_DIR) + "/tests/fakes/ads_apis.py";
      const std::string log = dir + "/fake.log";
      if (!freopen(log.c_str(), "w", stdout) || !freopen(log.c_str(), "a", stderr)) _exit(127);
      execlp("python3", "python3", script.c_str(), "--port-file", port_file.c_str(),
             static_cast<char*>(nullptr));
      _exit(127);
    }
    const auto deadline = Steady::now() + 20s;
    while (Steady::now() < deadline) {
      std::ifstream in(port_file);
      if (in >> port_) return;
      std::this_thread::sleep_for(20ms);
    }
    Die("the emulator did not start (see " + dir + "/fake.log)");
  }
  ~Fake() {
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
  }
  std::string Base() const { return fmt::format("http://127.0.0.1:{}", port_); }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

struct Platform {
  const char* kind;
  const char* name;
  const char* configured_id;  // as ads.accounts has it
  const char* fake_id;        // as the emulator keys it
  const char* prefix;         // of its campaign ids (unique across the platforms)
  double share;
  long limit = 0;  // calls per window
  int campaigns = 0;
};

class Bench {
 public:
  Bench(const Fake& fake, int campaigns, std::chrono::milliseconds window, long meta, long google,
        long tiktok)
      : fake_(fake), window_(window), http_(channels::MakeCurlHttpClient()) {
    platforms_ = {{"meta", "brand-meta", "act_1001", "1001", "1", 0.5, meta},
                  {"google", "brand-google", "123-456-7890", "1234567890", "2", 0.3, google},
                  {"tiktok", "brand-tiktok", "7001", "7001", "3", 0.2, tiktok}};
    int left = campaigns;
    for (std::size_t i = 0; i < platforms_.size(); ++i) {
      platforms_[i].campaigns =
          i + 1 == platforms_.size() ? left : static_cast<int>(campaigns * platforms_[i].share);
      left -= platforms_[i].campaigns;
    }
  }

  json Call(const std::string& method, const std::string& path, const json& body = nullptr) {
    channels::HttpRequest r;
    r.method = method;
    r.url = fake_.Base() + path;
    if (!body.is_null()) {
      r.body = body.dump();
      r.headers = {{"Content-Type", "application/json"}};
    }
    auto a = http_->Do(r);
    if (a.status != 200) Die(fmt::format("{} {}: HTTP {} {}", method, path, a.status, a.error));
    return json::parse(a.body, nullptr, false);
  }

  // Every campaign active again, the limits on, the call logs empty.
  void Seed() {
    Call("POST", "/_control", {{"reset", true}});
    for (const Platform& p : platforms_) {
      json camps = json::array();
      for (int i = 0; i < p.campaigns; ++i) {
        camps.push_back({{"id", fmt::format("{}{:05}", p.prefix, i)},
                         {"name", fmt::format("{} campaign {}", p.kind, i)},
                         {"status", "active"},
                         {"budget", "25.50"}});
      }
      Call("POST", "/_control",
           {{"platform", p.kind},
            {"account", p.fake_id},
            {"campaigns", camps},
            {"rate", {{"calls", p.limit}, {"window", Secs(window_).count()}}}});
    }
  }

  ads::AccountConfig Account(const Platform& p) const {
    ads::AccountConfig a;
    a.name = p.name;
    a.kind = p.kind;
    a.account_id = p.configured_id;
    a.currency = "USD";
    a.platforms = ads::DefaultPlatforms(p.kind);
    a.api_base = fake_.Base() + "/" + p.kind;
    a.timeout = 10s;
    a.access_token = std::string(p.kind) == "meta"     ? "EAAB-lifeline-ads-token"
                     : std::string(p.kind) == "google" ? "ya29.lifeline-ads-token"
                                                       : "lifeline-tiktok-ads-token";
    if (std::string(p.kind) == "google") a.developer_token = "lifeline-dev-token";
    return a;
  }

  // Calls the emulator accepted and refused per platform; the slowest account's floor.
  struct Calls {
    std::map<std::string, int> accepted, refused;
    double floor_s = 0;
  };
  Calls Count() {
    Calls c;
    for (const auto& r : Call("GET", "/_received")) {
      const std::string p = r.value("platform", "");
      // Refused: Meta and Google answer 4xx; TikTok answers 200 with its own code (40100).
      const json& answer = r.contains("answer") ? r["answer"] : json();
      const bool tiktok_refused =
          p == "tiktok" && answer.is_object() && answer.value("code", 0) != 0;
      if (r.value("status", 200) >= 400 || tiktok_refused) {
        ++c.refused[p];
      } else {
        ++c.accepted[p];
      }
    }
    for (const Platform& p : platforms_) {
      const int n = c.accepted[p.kind];
      const double windows = n > 0 ? static_cast<double>((n - 1) / p.limit) : 0;
      c.floor_s = std::max(c.floor_s, windows * Secs(window_).count());
    }
    return c;
  }

  int PausedOnPlatforms() {
    int n = 0;
    for (const auto& c : Call("GET", "/_state")) n += c.value("status", "") == "paused";
    return n;
  }
  int Total() const {
    int n = 0;
    for (const auto& p : platforms_) n += p.campaigns;
    return n;
  }
  // Each campaign paused exactly once.
  bool PausedOnce() {
    std::map<std::string, int> pauses;
    for (const auto& w : Call("GET", "/_writes")) {
      if (w.value("op", "") == "pause") ++pauses[w.value("campaign", "")];
    }
    if (static_cast<int>(pauses.size()) != Total()) return false;
    return std::all_of(pauses.begin(), pauses.end(), [](const auto& kv) { return kv.second == 1; });
  }

  // (a) the bare pacer.
  double Bare() {
    Seed();
    const auto t0 = Steady::now();
    std::vector<std::thread> threads;
    for (const Platform& p : platforms_) {
      threads.emplace_back([this, p] {
        auto client = ads::MakeAdPlatform(Account(p), *http_);
        if (!client.ok()) Die(client.error().message());
        auto retry = [](auto call) {
          while (true) {
            auto o = call();
            if (o.failure.kind != ads::FailureKind::kRateLimited) return o;
            std::this_thread::sleep_for(o.failure.retry_after.value_or(1s));
          }
        };
        auto listed = retry([&] { return (*client)->ListCampaigns(); });
        if (!listed.ok()) Die(fmt::format("{}: {}", p.name, listed.failure.message));
        std::vector<std::string> ids;
        for (const auto& c : *listed.value) ids.push_back(c.id);
        const std::size_t batch = (*client)->max_batch();
        std::vector<std::string> done;
        for (std::size_t i = 0; i < ids.size(); i += batch) {
          std::vector<std::string> b(ids.begin() + i,
                                     ids.begin() + std::min(ids.size(), i + batch));
          auto set = retry([&] { return (*client)->SetStatus(b, false); });
          if (!set.ok()) Die(fmt::format("{}: {}", p.name, set.failure.message));
          done.insert(done.end(), b.begin(), b.end());
        }
        if ((*client)->stamps_changes()) {
          auto read = retry([&] { return (*client)->GetCampaigns(done); });
          if (!read.ok()) Die(fmt::format("{}: {}", p.name, read.failure.message));
        }
      });
    }
    for (auto& t : threads) t.join();
    const double s = Secs(Steady::now() - t0).count();
    if (PausedOnPlatforms() != Total()) Die("the bare pacer left campaigns active");
    return s;
  }

  // (b) the guard.
  double Guard(const config::Config& catalog) {
    Seed();
    testing::TempDir dir("lifeline-ads-bench");
    auto opened = store::OpenSqlite(dir.File("lifeline.db"));
    if (!opened.ok()) Die(opened.error().message());
    auto st = std::move(*opened);
    timers::SchedulerOptions so;
    so.poll = 50ms;
    timers::Scheduler scheduler(&st->Timers(), so);
    ads::AdsConfig config;
    config.configured = true;
    for (const Platform& p : platforms_) config.accounts.push_back(Account(p));
    ads::GuardOptions go;
    go.min_backoff = 50ms;
    auto g = ads::Guard::Create(config, catalog, *st, scheduler, go, http_.get());
    if (!g.ok()) Die(g.error().message());
    auto guard = std::move(*g);
    if (auto s = guard->Start(); !s.ok()) Die(s.error().message());
    if (auto s = scheduler.Start(); !s.ok()) Die(s.error().message());
    store::NewIncident ni;
    ni.domain = "regional";
    ni.platforms = {"facebook", "instagram", "youtube", "tiktok"};
    ni.title = "Regional cut";
    ni.opened_at = store::FromSystem(std::chrono::system_clock::now());
    auto inc = st->OpenIncident(ni);
    if (!inc.ok()) Die(inc.error().message());
    ads::PauseRequest r;
    r.incident_id = inc->id;
    r.failed = ni.platforms;
    r.domain = "regional";
    r.policy = "bench";
    const auto t0 = Steady::now();
    if (auto k = guard->PauseNow(r, "bench/" + inc->id); !k.ok()) Die(k.error().message());
    double s = 0;
    while (true) {
      auto rows = st->Ads().List({.incident_id = inc->id, .limit = 100000});
      if (!rows.ok()) Die(rows.error().message());
      const int paused = static_cast<int>(std::count_if(rows->begin(), rows->end(), [](auto& c) {
        return c.state == store::AdChangeState::kPaused;
      }));
      if (paused == Total()) {
        s = Secs(Steady::now() - t0).count();
        bool recorded = std::all_of(rows->begin(), rows->end(), [](auto& c) {
          return c.prior_status != "" && c.prior_budget_micros.has_value();
        });
        if (!recorded) Die("a campaign was paused without its prior state recorded");
        break;
      }
      if (Steady::now() - t0 > 10min) Die(fmt::format("only {} paused after 10 minutes", paused));
      std::this_thread::sleep_for(20ms);
    }
    scheduler.Stop();
    guard.reset();
    if (PausedOnPlatforms() != Total()) Die("the guard left campaigns active on the platforms");
    if (!PausedOnce()) Die("a campaign was paused twice (or not at all)");
    return s;
  }

 private:
  const Fake& fake_;
  std::chrono::milliseconds window_;
  std::unique_ptr<channels::HttpClient> http_;
  std::vector<Platform> platforms_;
};

}  // namespace

int main(int argc, char** argv) {
  const int campaigns = static_cast<int>(Arg(argc, argv, "--campaigns", 500));
  const int runs = static_cast<int>(Arg(argc, argv, "--runs", 3));
  const auto window = std::chrono::milliseconds(Arg(argc, argv, "--window-ms", 2000));
  const long meta = Arg(argc, argv, "--meta", 40);
  const long google = Arg(argc, argv, "--google", 10);
  const long tiktok = Arg(argc, argv, "--tiktok", 10);
  auto catalog = config::LoadBundled();
  if (!catalog.ok()) Die(catalog.error().message());
  testing::TempDir dir("lifeline-ads-fake");
  Fake fake(dir.path());
  Bench bench(fake, campaigns, window, meta, google, tiktok);
  fmt::print(
      "{} campaigns (Meta 50%, Google 30%, TikTok 20%), limits per {} ms window: Meta {}, Google "
      "{}, TikTok {} calls\n",
      campaigns, window.count(), meta, google, tiktok);
  std::vector<double> bare, guard, ratio, floor_v;
  for (int run = 1; run <= runs; ++run) {
    const double b = bench.Bare();
    const auto bare_calls = bench.Count();
    const double g = bench.Guard(*catalog);
    auto guard_calls = bench.Count();
    bare.push_back(b);
    guard.push_back(g);
    ratio.push_back(g / b);
    floor_v.push_back(guard_calls.floor_s);
    fmt::print(
        "run {}: bare pacer {:.2f} s (floor {:.1f} s), guard {:.2f} s (floor {:.1f} s), "
        "guard/bare {:.2f}; guard calls accepted meta {} google {} tiktok {}, refused {}\n",
        run, b, bare_calls.floor_s, g, guard_calls.floor_s, g / b, guard_calls.accepted.at("meta"),
        guard_calls.accepted.at("google"), guard_calls.accepted.at("tiktok"),
        guard_calls.refused["meta"] + guard_calls.refused["google"] +
            guard_calls.refused["tiktok"]);
  }
  fmt::print(
      "median: bare pacer {:.2f} s, guard {:.2f} s, guard/bare {:.2f}, guard over its floor {:.2f} "
      "s; every campaign paused once, every prior state recorded\n",
      Median(bare), Median(guard), Median(ratio), Median(guard) - Median(floor_v));
  return 0;
}
