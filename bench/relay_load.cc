// The relay's throughput from enqueue to delivered (issue 8: at least 5,000 messages/s on SQLite,
// durable), against a local webhook sink, beside its peer: the same HTTP client posting the same
// number of requests with as many threads, with no store at all. The ratio says what the durable
// outbox costs on top of the network exchange; the sink and the machine are the same for both.
//
//   relay_load [--n N] [--workers W] [--callers C] [--runs R] [--untuned 1] [--pg K]
//
// Each run: the peer, then the relay (a fresh SQLite database in a temporary folder, the real
// RelayRuntime from a config with one `webhook` channel, C threads calling Enqueue, W delivery
// workers). Prints one line per run and the medians. Loopback only.
//
// --pg K (issue 12: at least 5,000 messages/s across three instances): the relay on PostgreSQL
// instead — a throw-away cluster this process starts (Unix socket; store/pg/test_cluster.h), a
// fresh database per run, K instances (each its own Store, sessions and RelayRuntime with W
// workers), the C callers spread over them; every message must arrive once (the sink counts
// duplicates).
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <fmt/core.h>

#include "channels/http.h"
#include "channels/runtime.h"
#include "config/config.h"
#include "core/allocator.h"
#include "core/temp_dir.h"
#include "store/pg/test_cluster.h"
#include "store/store.h"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using Clock = std::chrono::steady_clock;

// A webhook receiver: one thread per connection (the relay keeps one per worker), answers 200
// with an id at once, and counts each Idempotency-Key it saw.
class Sink {
 public:
  Sink() : acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}) {
    accept_thread_ = std::thread([this] { AcceptLoop(); });
  }
  ~Sink() {
    stopping_ = true;
    beast::error_code ec;
    acceptor_.close(ec);
    // Wake accept() with a throwaway connection.
    asio::ip::tcp::socket s(io_);
    s.connect({asio::ip::make_address("127.0.0.1"), port()}, ec);
    accept_thread_.join();
    for (auto& t : conns_) t.detach();
  }
  unsigned short port() const { return port_; }
  std::size_t requests() const { return requests_.load(); }
  std::size_t duplicates() {
    std::lock_guard lock(mu_);
    std::size_t d = 0;
    for (const auto& [key, n] : keys_) d += n - 1;
    return d;
  }
  void Reset() {
    std::lock_guard lock(mu_);
    keys_.clear();
    requests_ = 0;
  }

 private:
  void AcceptLoop() {
    port_ = acceptor_.local_endpoint().port();
    ready_ = true;
    while (!stopping_) {
      beast::error_code ec;
      asio::ip::tcp::socket s(io_);
      acceptor_.accept(s, ec);
      if (ec || stopping_) break;
      conns_.emplace_back([this, s = std::move(s)]() mutable { Serve(std::move(s)); });
    }
  }
  void Serve(asio::ip::tcp::socket s) {
    beast::flat_buffer buffer;
    for (;;) {
      http::request<http::string_body> req;
      beast::error_code ec;
      http::read(s, buffer, req, ec);
      if (ec) return;
      ++requests_;
      if (auto it = req.find("Idempotency-Key"); it != req.end()) {
        std::lock_guard lock(mu_);
        ++keys_[std::string(it->value())];
      }
      http::response<http::string_body> res{http::status::ok, req.version()};
      res.set(http::field::content_type, "application/json");
      res.body() = fmt::format("{{\"id\":\"r{}\"}}", requests_.load());
      res.keep_alive(req.keep_alive());
      res.prepare_payload();
      http::write(s, res, ec);
      if (ec || !req.keep_alive()) return;
    }
  }

  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_;
  std::atomic<unsigned short> port_{0};
  std::atomic<bool> ready_{false};
  std::atomic<bool> stopping_{false};
  std::thread accept_thread_;
  std::vector<std::thread> conns_;  // accept thread only
  std::atomic<std::size_t> requests_{0};
  std::mutex mu_;
  std::unordered_map<std::string, int> keys_;

 public:
  void WaitReady() const {
    while (!ready_) std::this_thread::yield();
  }
};

long PeakRssKb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

// The peer: `threads` threads post `n` webhook-sized bodies with the relay's own HTTP client.
double PeerRate(unsigned short port, int n, int threads) {
  auto client = lifeline::channels::MakeCurlHttpClient();
  std::atomic<int> next{0};
  std::atomic<int> failed{0};
  const std::string url = fmt::format("http://127.0.0.1:{}/hook", port);
  auto start = Clock::now();
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&] {
      for (int i = next++; i < n; i = next++) {
        lifeline::channels::HttpRequest r;
        r.url = url;
        r.headers = {{"Content-Type", "application/json"},
                     {"Idempotency-Key", fmt::format("peer-{}", i)}};
        r.body = fmt::format(
            R"({{"id":"m{}","idempotency_key":"peer-{}","channel":"sink","to":"ops","text":"Instagram is down; reach us on Telegram: https://t.me/brand"}})",
            i, i);
        auto res = client->Do(r);
        if (res.status != 200) ++failed;
      }
    });
  }
  for (auto& t : ts) t.join();
  double secs = std::chrono::duration<double>(Clock::now() - start).count();
  if (failed > 0) fmt::print(stderr, "peer: {} requests failed\n", failed.load());
  return n / secs;
}

struct RelayRun {
  double enqueue_rate = 0;  // accepted (on disk) per second
  double rate = 0;          // first enqueue to last delivered
};

// `instances` = 0: one relay on SQLite; K > 0: K relays on one PostgreSQL database.
RelayRun RelayRate(unsigned short port, int n, int workers, int callers, int instances) {
  using namespace lifeline;
  lifeline::testing::TempDir dir("relay-load");
  ::setenv("RELAY_LOAD_SECRET", "bench-secret-0123456789", 1);
  auto cfg = config::LoadString(fmt::format(R"(
channels:
  sink:
    type: webhook
    endpoint: http://127.0.0.1:{}/hook
    secret: {{ env: RELAY_LOAD_SECRET }}
    to: ops
    rate: 100000
relay:
  workers: {}
)",
                                            port, workers),
                                "relay_load.yaml");
  if (!cfg.ok()) {
    fmt::print(stderr, "{}\n", cfg.error().ToString());
    std::exit(1);
  }
  auto check = [](const auto& r) {
    if (!r.ok()) {
      fmt::print(stderr, "{}\n", r.error().ToString());
      std::exit(1);
    }
  };
  std::string url;
  if (instances > 0) {
    std::string why;
    auto* cluster = store::pg::testing::SharedCluster(&why);
    if (cluster == nullptr) {
      fmt::print(stderr, "PostgreSQL: {}\n", why);
      std::exit(1);
    }
    auto created = cluster->CreateDatabase();
    check(created);
    url = *created;
  }
  std::vector<std::unique_ptr<store::Store>> stores;
  std::vector<std::unique_ptr<channels::RelayRuntime>> runtimes;
  std::mutex mu;
  std::condition_variable cv;
  int delivered = 0;
  std::vector<std::unique_ptr<channels::Relay::Subscription>> subs;
  for (int k = 0; k < std::max(instances, 1); ++k) {
    const std::string db = fmt::format("{}/{}/lifeline.db", dir.path(), k);
    std::filesystem::create_directories(std::filesystem::path(db).parent_path());
    auto st = instances > 0 ? store::OpenPostgres({url, "", 8}) : store::OpenSqlite(db);
    check(st);
    channels::RuntimeOptions ro;
    ro.database_path = db;  // each instance's relay lock file, as on its own machine
    auto rt = channels::RelayRuntime::Create(*cfg, **st, ro);
    check(rt);
    auto& runtime = **rt;
    if (auto held = runtime.Acquire(); !held.ok() || !*held || !runtime.Start().ok()) {
      fmt::print(stderr, "cannot start the relay\n");
      std::exit(1);
    }
    subs.push_back(runtime.relay().Subscribe([&](const channels::OutboxChange& c) {
      if (c.message.state != store::MessageState::kDelivered) return;
      std::lock_guard lock(mu);
      if (++delivered == n) cv.notify_all();
    }));
    stores.push_back(std::move(*st));
    runtimes.push_back(std::move(*rt));
  }
  std::atomic<int> next{0};
  auto start = Clock::now();
  std::vector<std::thread> ts;
  for (int t = 0; t < callers; ++t) {
    ts.emplace_back([&, t] {
      auto& runtime = *runtimes[static_cast<std::size_t>(t) % runtimes.size()];
      for (int i = next++; i < n; i = next++) {
        channels::SendRequest r;
        r.channel = "sink";
        r.text = "Instagram is down; reach us on Telegram: https://t.me/brand";
        r.idempotency_key = fmt::format("bench-{}", i);
        if (auto e = runtime.relay().Enqueue(r); !e.ok()) {
          fmt::print(stderr, "enqueue failed: {}\n", e.error().ToString());
          std::abort();
        }
      }
    });
  }
  for (auto& t : ts) t.join();
  auto enqueued = Clock::now();
  {
    std::unique_lock lock(mu);
    if (!cv.wait_for(lock, std::chrono::minutes(10), [&] { return delivered == n; })) {
      fmt::print(stderr, "only {} of {} delivered\n", delivered, n);
      std::exit(1);
    }
  }
  auto end = Clock::now();
  for (auto& rt : runtimes) rt->Stop();
  subs.clear();
  RelayRun out;
  out.enqueue_rate = n / std::chrono::duration<double>(enqueued - start).count();
  out.rate = n / std::chrono::duration<double>(end - start).count();
  return out;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

int Flag(int argc, char** argv, const char* name, int def) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string_view(argv[i]) == name) return std::atoi(argv[i + 1]);
  }
  return def;
}

}  // namespace

int main(int argc, char** argv) {
  const int n = Flag(argc, argv, "--n", 20000);
  const int workers = Flag(argc, argv, "--workers", 16);
  const int callers = Flag(argc, argv, "--callers", 64);
  const int runs = Flag(argc, argv, "--runs", 5);
  // As `lifeline serve` runs (src/main.cc); --untuned 1 keeps glibc's defaults, for comparison.
  const bool tuned = Flag(argc, argv, "--untuned", 0) == 0;
  const int pg = Flag(argc, argv, "--pg", 0);
  if (tuned) lifeline::core::TuneAllocatorForService();
  Sink sink;
  sink.WaitReady();
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // lines out at once (the PostgreSQL child forks)
  fmt::print(
      "{} messages per run, {} delivery workers (peer: as many threads), {} callers, allocator "
      "{}, store {}\n",
      n, workers, callers, tuned ? "tuned as serve" : "glibc defaults",
      pg > 0 ? fmt::format("PostgreSQL, {} instances", pg) : std::string("SQLite"));
  fmt::print("run  peer req/s  relay msg/s  ratio  relay accepted/s  sink duplicates\n");
  std::vector<double> peers, relays, ratios, accepts;
  for (int r = 0; r < runs; ++r) {
    sink.Reset();
    double peer = PeerRate(sink.port(), n, workers);
    sink.Reset();
    RelayRun run = RelayRate(sink.port(), n, workers, callers, pg);
    std::size_t dups = sink.duplicates();
    peers.push_back(peer);
    relays.push_back(run.rate);
    ratios.push_back(run.rate / peer);
    accepts.push_back(run.enqueue_rate);
    fmt::print("{:>3}  {:>10.0f}  {:>11.0f}  {:>5.2f}  {:>16.0f}  {:>15}\n", r + 1, peer, run.rate,
               run.rate / peer, run.enqueue_rate, dups);
  }
  fmt::print("med  {:>10.0f}  {:>11.0f}  {:>5.2f}  {:>16.0f}\n", Median(peers), Median(relays),
             Median(ratios), Median(accepts));
  fmt::print("peak RSS {} MB\n", PeakRssKb() / 1024);
  return 0;
}
