// The relay under kill -9 (issue 8's crash test): the real `lifeline serve` delivers 1,000
// messages to a webhook sink in this test and is killed at random moments 100 times, restarted
// each time. Afterwards every accepted message is delivered or visibly unconfirmed, none lost, and
// the duplicates the sink saw are counted and printed. LIFELINE_CRASH_SEED=N replays a run.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "channels/webhook/webhook.h"
#include "config/config.h"
#include "integration/support/process.h"

namespace lifeline {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using nlohmann::json;
using namespace std::chrono_literals;
using testing::Process;
using testing::TempDir;

constexpr int kMessages = 1000;
constexpr int kKills = 100;
constexpr int kEnqueuers = 4;
// One cycle in this many kills serve within kMaxEarlyKillDelay of its start, without waiting for
// its API (which takes longer to answer): a crash while it recovers from the previous one.
constexpr int kEarlyKillOneIn = 10;
constexpr auto kMaxKillDelay = 250ms;       // after the API answers
constexpr auto kMaxEarlyKillDelay = 150ms;  // after the process starts
constexpr int kMaxSinkDelayMs = 40;         // the sink's answer: 1..this ms after the request
constexpr const char* kSecret = "crash-test-webhook-secret";

std::string Key(int i) { return "crash-" + std::to_string(i); }

// The webhook receiver: records every POST by its Idempotency-Key (after checking the
// signature), and answers 200 after a random pause, so that kills land while requests are in
// flight. One thread per connection.
class Sink {
 public:
  explicit Sink(std::uint64_t seed) : rng_(seed) {}
  ~Sink() { Stop(); }
  Sink(const Sink&) = delete;
  Sink& operator=(const Sink&) = delete;

  void Start() {
    acceptor_.open(tcp::v4());
    acceptor_.bind({asio::ip::make_address("127.0.0.1"), 0});
    acceptor_.listen();
    accept_thread_ = std::thread([this] { AcceptLoop(); });
  }

  void Stop() {
    if (!accept_thread_.joinable() || stopping_.exchange(true)) return;
    {
      std::lock_guard lock(mu_);
      // Wakes the blocking accept and reads; each thread closes its own socket.
      ::shutdown(acceptor_.native_handle(), SHUT_RDWR);
      for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
    }
    accept_thread_.join();
    std::vector<std::thread> threads;
    {
      std::lock_guard lock(mu_);
      threads = std::move(threads_);
    }
    for (auto& t : threads) t.join();
  }

  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  // Requests read whole and not yet answered.
  int in_flight() const { return in_flight_.load(); }

  struct Tally {
    std::map<std::string, int> by_key;  // Idempotency-Key -> POSTs received with it
    int posts = 0;
    int bad = 0;  // no key, a wrong signature, or a body that does not match the header
  };
  Tally tally() const {
    std::lock_guard lock(mu_);
    return tally_;
  }

 private:
  void AcceptLoop() {
    while (!stopping_) {
      tcp::socket socket(io_);
      boost::system::error_code ec;
      acceptor_.accept(socket, ec);
      if (ec) {
        if (stopping_) return;
        std::this_thread::sleep_for(1ms);
        continue;
      }
      std::lock_guard lock(mu_);
      if (stopping_) return;
      open_fds_.insert(socket.native_handle());
      threads_.emplace_back(
          [this, s = std::move(socket)]() mutable { ServeConnection(std::move(s)); });
    }
  }

  void ServeConnection(tcp::socket socket) {
    beast::flat_buffer buffer;
    boost::system::error_code ec;
    while (true) {
      http::request<http::string_body> req;
      http::read(socket, buffer, req, ec);
      if (ec) break;
      ++in_flight_;
      int delay_ms = Record(req);
      std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
      http::response<http::string_body> res{http::status::ok, req.version()};
      res.set(http::field::content_type, "application/json");
      res.body() = json{{"id", "rcv-" + std::string(req["Idempotency-Key"])}}.dump();
      res.keep_alive(req.keep_alive());
      res.prepare_payload();
      http::write(socket, res, ec);
      --in_flight_;
      if (ec || !req.keep_alive()) break;
    }
    std::lock_guard lock(mu_);
    open_fds_.erase(socket.native_handle());
    socket.close(ec);
  }

  // Counts the request; returns how long to wait before answering it.
  int Record(const http::request<http::string_body>& req) {
    const std::string key(req["Idempotency-Key"]);
    const std::string timestamp(req["X-Lifeline-Timestamp"]);
    const std::string signature(req["X-Lifeline-Signature"]);
    json body = json::parse(req.body(), nullptr, false);
    bool good = req.method() == http::verb::post && !key.empty() && body.is_object() &&
                body.value("idempotency_key", "") == key &&
                signature == channels::webhook::Sign(kSecret, timestamp, req.body());
    std::lock_guard lock(mu_);
    ++tally_.posts;
    if (good) {
      ++tally_.by_key[key];
    } else {
      ++tally_.bad;
    }
    return std::uniform_int_distribution<int>(1, kMaxSinkDelayMs)(rng_);
  }

  asio::io_context io_;
  tcp::acceptor acceptor_{io_};
  std::thread accept_thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> in_flight_{0};
  mutable std::mutex mu_;  // guards rng_, tally_, open_fds_ and threads_
  std::mt19937_64 rng_;
  Tally tally_;
  std::set<int> open_fds_;  // connections being served: shut down by Stop
  std::vector<std::thread> threads_;
};

struct Reply {
  int status = 0;
  std::string body;
};

// One request to serve's API on 127.0.0.1:port; nullopt when nothing answers (refused, reset by
// a kill, or silent for 10 s). `connected` (optional) tells whether the connection was made.
std::optional<Reply> Call(std::uint16_t port, http::verb verb, const std::string& target,
                          const std::string& token, const std::string& body = "",
                          bool* connected = nullptr) {
  if (connected != nullptr) *connected = false;
  try {
    asio::io_context io;
    tcp::socket socket(io);
    socket.connect({asio::ip::make_address("127.0.0.1"), port});
    if (connected != nullptr) *connected = true;
    timeval limit{10, 0};
    ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::connection, "close");
    if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
    if (!body.empty()) {
      req.set(http::field::content_type, "application/json");
      req.body() = body;
    }
    req.prepare_payload();
    http::write(socket, req);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(socket, buffer, res);
    return Reply{static_cast<int>(res.result_int()), res.body()};
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// Threads that POST /v1/outbox for the keys they are given, as a client would: a key counts as
// accepted only once the API answered 2xx; a request that got no answer (a kill) is handed back,
// to be sent again with the same key after the restart.
class Enqueuers {
 public:
  Enqueuers(std::uint16_t port, std::string token, std::uint64_t seed)
      : port_(port), token_(std::move(token)) {
    for (int i = 0; i < kEnqueuers; ++i) {
      threads_.emplace_back([this, s = seed + static_cast<std::uint64_t>(i)] { Loop(s); });
    }
  }
  ~Enqueuers() { Stop(); }
  Enqueuers(const Enqueuers&) = delete;
  Enqueuers& operator=(const Enqueuers&) = delete;

  void Stop() {
    {
      std::lock_guard lock(mu_);
      if (stop_) return;
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
  }

  void Add(const std::vector<int>& keys) {
    {
      std::lock_guard lock(mu_);
      todo_.insert(todo_.end(), keys.begin(), keys.end());
    }
    cv_.notify_all();
  }
  // Keys whose request got no 2xx since the last call.
  std::vector<int> TakeFailed() {
    std::lock_guard lock(mu_);
    return std::exchange(failed_, {});
  }
  int in_flight() {
    std::lock_guard lock(mu_);
    return in_flight_;
  }
  std::set<int> accepted() {
    std::lock_guard lock(mu_);
    return accepted_;
  }
  struct Counts {
    int cut_off = 0;      // connected, then no answer: a kill (the key is sent again later)
    int known = 0;        // 200 "created": false: the key was stored by an unanswered request
    int refused = 0;      // answered, but not 2xx
    std::string refusal;  // the last such answer
  };
  Counts counts() {
    std::lock_guard lock(mu_);
    return counts_;
  }

 private:
  void Loop(std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    while (true) {
      int k = 0;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return stop_ || !todo_.empty(); });
        if (stop_) return;
        k = todo_.front();
        todo_.pop_front();
        ++in_flight_;
      }
      json body = {{"channel", "sink"},
                   {"idempotency_key", Key(k)},
                   {"text", "crash test message " + std::to_string(k)}};
      bool connected = false;
      auto r = Call(port_, http::verb::post, "/v1/outbox", token_, body.dump(), &connected);
      {
        std::lock_guard lock(mu_);
        --in_flight_;
        if (r && r->status / 100 == 2) {
          accepted_.insert(k);
          json j = json::parse(r->body, nullptr, false);
          if (j.is_object() && j.value("created", true) == false) ++counts_.known;
        } else {
          failed_.push_back(k);
          if (r) {
            ++counts_.refused;
            counts_.refusal = std::to_string(r->status) + " " + r->body;
          } else if (connected) {
            ++counts_.cut_off;
          }
        }
      }
      // Spread the requests a little, so that enqueueing overlaps delivery.
      std::this_thread::sleep_for(
          std::chrono::microseconds(std::uniform_int_distribution<int>(0, 3000)(rng)));
    }
  }

  const std::uint16_t port_;
  const std::string token_;
  std::mutex mu_;  // guards everything below but threads_
  std::condition_variable cv_;
  bool stop_ = false;
  std::deque<int> todo_;
  std::vector<int> failed_;
  std::set<int> accepted_;
  int in_flight_ = 0;
  Counts counts_;
  std::vector<std::thread> threads_;
};

// `lifeline serve` on a fixed loopback port, started and killed again and again on one data dir.
class Serve {
 public:
  Serve(std::string config, std::string data_dir, std::string log, std::uint16_t port)
      : config_(std::move(config)),
        data_dir_(std::move(data_dir)),
        log_(std::move(log)),
        port_(port) {}

  void Start() {
    std::string error;
    ASSERT_TRUE(process_.Start(
        {LIFELINE_BINARY, "serve", "--config", config_, "--data-dir", data_dir_}, log_, &error))
        << error;
  }
  // Until the API answers /healthz (what a user waits for); false when serve exited instead.
  bool WaitReady(std::chrono::milliseconds timeout = 30s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (!process_.Running()) return false;
      auto r = Call(port_, http::verb::get, "/healthz", "");
      if (r && r->status == 200) return true;
      std::this_thread::sleep_for(5ms);
    }
    return false;
  }
  // False when serve had already exited by itself (nothing is killed then).
  bool Kill() {
    if (!process_.Running()) return false;
    ::kill(-process_.pid(), SIGKILL);  // its own process group (Process::Start)
    process_.Wait();
    return true;
  }
  int StopGracefully() {
    process_.Stop();
    return process_.exit_status();
  }
  bool Running() { return process_.Running(); }
  std::string Log() const { return testing::ReadFile(log_); }

 private:
  const std::string config_, data_dir_, log_;
  const std::uint16_t port_;
  Process process_;
};

// Every message in the outbox, by idempotency key (all pages).
std::optional<std::map<std::string, json>> Outbox(std::uint16_t port, const std::string& token) {
  std::map<std::string, json> out;
  std::string cursor;
  do {
    std::string target = "/v1/outbox?limit=1000";
    if (!cursor.empty()) target += "&cursor=" + cursor;
    auto r = Call(port, http::verb::get, target, token);
    if (!r || r->status != 200) return std::nullopt;
    json page = json::parse(r->body, nullptr, false);
    if (!page.is_object()) return std::nullopt;
    for (const json& m : page["messages"]) out[m["idempotency_key"].get<std::string>()] = m;
    cursor = page["next_cursor"].is_string() ? page["next_cursor"].get<std::string>() : "";
  } while (!cursor.empty());
  return out;
}

bool Pending(const std::string& state) {
  return state == "queued" || state == "sending" || state == "retry_scheduled";
}

// A config that reaches nothing but loopback: the catalog's platforms all disabled, no resolver,
// a control endpoint on a closed loopback port (one is required), and one webhook channel to
// the sink with a rate that never throttles.
std::string WriteConfig(const TempDir& dir, std::uint16_t api_port, std::uint16_t sink_port) {
  auto catalog = config::LoadBundled();
  EXPECT_TRUE(catalog.ok());
  std::string yaml = "timeout: 1s\nresolvers: []\ncontrol:\n  - url: http://127.0.0.1:9/\n";
  yaml += "api:\n  listen: 127.0.0.1:" + std::to_string(api_port) + "\n";
  yaml += "platforms:\n";
  if (catalog.ok()) {
    for (const auto& p : catalog->platforms) yaml += "  " + p.id + ": { enabled: false }\n";
  }
  dir.Write("webhook.secret", kSecret);
  yaml += "channels:\n  sink:\n    type: webhook\n    endpoint: http://127.0.0.1:" +
          std::to_string(sink_port) + "/hook\n    secret: { file: " + dir.File("webhook.secret") +
          " }\n    rate: 100000/s\n    timeout: 10s\n";
  yaml += "relay:\n  workers: 4\n  poll: 200ms\n";
  return dir.Write("lifeline.yaml", yaml);
}

std::uint64_t Seed() {
  if (const char* s = std::getenv("LIFELINE_CRASH_SEED"); s != nullptr && *s != '\0') {
    return std::strtoull(s, nullptr, 10);
  }
  return std::random_device{}();
}

TEST(RelayCrash, KilledAHundredTimesWhileDeliveringItLosesNoAcceptedMessage) {
  const auto started = std::chrono::steady_clock::now();
  const std::uint64_t seed = Seed();
  std::printf("[ crash ] seed %llu (LIFELINE_CRASH_SEED=%llu replays the kill moments)\n",
              static_cast<unsigned long long>(seed), static_cast<unsigned long long>(seed));
  std::mt19937_64 rng(seed);

  TempDir dir("lifeline-crash");
  Sink sink(seed ^ 0x5eedULL);
  sink.Start();
  const std::uint16_t port = testing::FreePort();
  const std::string cfg = WriteConfig(dir, port, sink.port());
  const std::string data = dir.File("data");

  std::string out;
  ASSERT_EQ(testing::RunCommand({LIFELINE_BINARY, "token", "create", "--name", "crash", "--role",
                                 "operator", "--data-dir", data},
                                &out),
            0)
      << out;
  const auto at = out.find("llt_");
  ASSERT_NE(at, std::string::npos) << out;
  const std::string token = out.substr(at, 68);

  Serve serve(cfg, data, dir.File("serve.log"), port);
  Enqueuers enqueuers(port, token, seed + 1000);

  int next_new = 0;  // keys [0, next_new) have been handed to the enqueuers
  int early_kills = 0, mid_delivery = 0, mid_enqueue = 0;
  for (int cycle = 0; cycle < kKills; ++cycle) {
    ASSERT_NO_FATAL_FAILURE(serve.Start());
    const bool early = std::uniform_int_distribution<int>(1, kEarlyKillOneIn)(rng) == 1;
    if (early) {
      ++early_kills;
      std::this_thread::sleep_for(std::chrono::milliseconds(
          std::uniform_int_distribution<int>(0, kMaxEarlyKillDelay.count())(rng)));
    } else {
      ASSERT_TRUE(serve.WaitReady()) << "cycle " << cycle << ":\n" << serve.Log();
      // This cycle's share of the 1,000, and the keys whose requests the last kill cut off.
      std::vector<int> keys = enqueuers.TakeFailed();
      const int upto = kMessages * (cycle + 1) / kKills;
      for (; next_new < upto; ++next_new) keys.push_back(next_new);
      enqueuers.Add(keys);
      std::this_thread::sleep_for(std::chrono::milliseconds(
          std::uniform_int_distribution<int>(0, kMaxKillDelay.count())(rng)));
    }
    mid_delivery += sink.in_flight() > 0;
    mid_enqueue += enqueuers.in_flight() > 0;
    ASSERT_TRUE(serve.Kill()) << "cycle " << cycle << ": serve exited by itself:\n" << serve.Log();
  }

  // Once more, to the end: every key accepted, then nothing left to send.
  ASSERT_NO_FATAL_FAILURE(serve.Start());
  ASSERT_TRUE(serve.WaitReady()) << serve.Log();
  std::vector<int> rest;
  for (; next_new < kMessages; ++next_new) rest.push_back(next_new);
  enqueuers.Add(rest);
  auto deadline = std::chrono::steady_clock::now() + 60s;
  while (enqueuers.accepted().size() < static_cast<std::size_t>(kMessages) &&
         std::chrono::steady_clock::now() < deadline) {
    enqueuers.Add(enqueuers.TakeFailed());
    std::this_thread::sleep_for(20ms);
  }
  const std::set<int> accepted = enqueuers.accepted();
  ASSERT_EQ(accepted.size(), static_cast<std::size_t>(kMessages))
      << enqueuers.counts().refusal << "\n"
      << serve.Log();
  std::optional<std::map<std::string, json>> outbox;
  std::size_t pending = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    outbox = Outbox(port, token);
    pending = 0;
    if (outbox) {
      for (const auto& [key, m] : *outbox) pending += Pending(m["state"].get<std::string>());
      if (pending == 0) break;
    }
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_TRUE(outbox) << serve.Log();
  ASSERT_EQ(pending, 0u) << "messages still waiting after 60 s\n" << serve.Log();
  // Every extra copy at the sink must have a reason on the message's timeline: found in `sending`
  // at a restart ("recovered"), or an attempt without an answer retried ("retry_scheduled"; the
  // sink always answers, so only a stalled machine makes one). Otherwise the relay sent something
  // twice by its own doing.
  const Sink::Tally tally = sink.tally();
  int unexplained = 0;
  for (const auto& [key, n] : tally.by_key) {
    auto m = outbox->find(key);
    if (n < 2 || m == outbox->end()) continue;
    auto r = Call(port, http::verb::get, "/v1/outbox/" + m->second["id"].get<std::string>(), token);
    ASSERT_TRUE(r && r->status == 200) << key;
    json detail = json::parse(r->body, nullptr, false);
    ASSERT_TRUE(detail.is_object()) << r->body;
    int reasons = 0;
    for (const json& e : detail["events"]) {
      reasons += e["type"] == "recovered" || e["type"] == "retry_scheduled";
    }
    if (reasons < n - 1) {
      ++unexplained;
      ADD_FAILURE() << key << " reached the sink " << n << " times with " << reasons
                    << " recoveries or retries: " << detail.dump();
    }
  }
  EXPECT_EQ(serve.StopGracefully(), 0) << serve.Log();
  enqueuers.Stop();
  sink.Stop();

  // What became of each accepted message.
  std::map<std::string, int> states;
  int lost = 0, phantom = 0, most_attempts = 0;
  for (int k : accepted) {
    auto m = outbox->find(Key(k));
    if (m == outbox->end()) {
      ++lost;
      ADD_FAILURE() << Key(k) << " was accepted but is not in the outbox";
      continue;
    }
    const std::string state = m->second["state"].get<std::string>();
    ++states[state];
    most_attempts = std::max(most_attempts, m->second["attempts"].get<int>());
    const bool received = tally.by_key.count(Key(k)) > 0;
    if (state == "delivered" && !received) {
      ++phantom;
      ADD_FAILURE() << Key(k) << " is delivered in the outbox but never reached the sink: "
                    << m->second.dump();
    } else if (state != "delivered" && state != "unconfirmed") {
      ++lost;
      ADD_FAILURE() << Key(k) << " ended " << state << ": " << m->second.dump();
    }
  }
  // One message per key, and nothing the test did not send.
  EXPECT_EQ(outbox->size(), accepted.size());
  int duplicates = 0, extra_copies = 0;
  for (const auto& [key, n] : tally.by_key) {
    EXPECT_TRUE(outbox->count(key)) << "the sink got " << key << ", which nobody sent";
    duplicates += n > 1;
    extra_copies += n - 1;
  }
  EXPECT_EQ(tally.bad, 0) << "requests without a key or with a wrong signature";
  // docs/relay.md: "After a crash, messages found in `sending` are sent again on channels that
  // deduplicate" — the webhook passes an Idempotency-Key, so none may be left unconfirmed.
  EXPECT_EQ(states["unconfirmed"], 0);
  const Enqueuers::Counts c = enqueuers.counts();
  EXPECT_EQ(c.refused, 0) << c.refusal;

  // What serve said at each start about the messages a kill left in `sending`.
  int recovered = 0, recovered_unconfirmed = 0;
  const std::string log = serve.Log();
  const std::regex line(
      R"(relay: (\d+) message\(s\) were being sent when lifeline stopped: \d+ sent again, (\d+) )"
      R"(unconfirmed)");
  for (auto it = std::sregex_iterator(log.begin(), log.end(), line); it != std::sregex_iterator();
       ++it) {
    recovered += std::stoi((*it)[1].str());
    recovered_unconfirmed += std::stoi((*it)[2].str());
  }

  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf(
      "[ crash ] %d kill -9 of serve (%d within %lld ms of its start, %d while the sink held a "
      "request, %d while an enqueue request was in flight), then one clean run\n"
      "[ crash ] accepted %zu of %d; delivered %d, unconfirmed %d, lost (missing, failed, "
      "dead-lettered) %d, delivered but never received %d\n"
      "[ crash ] sink: %d POSTs, %d keys received more than once (%d extra copies, %d not "
      "explained by a crash)\n"
      "[ crash ] enqueue requests cut off by a kill and sent again: %d (%d of them had been "
      "stored already); messages found in sending at a restart: %d (%d made unconfirmed); most "
      "attempts counted on one message: %d\n"
      "[ crash ] seed %llu, %.1f s\n",
      kKills, early_kills, static_cast<long long>(kMaxEarlyKillDelay.count()), mid_delivery,
      mid_enqueue, accepted.size(), kMessages, states["delivered"], states["unconfirmed"], lost,
      phantom, tally.posts, duplicates, extra_copies, unexplained, c.cut_off, c.known, recovered,
      recovered_unconfirmed, most_attempts, static_cast<unsigned long long>(seed), seconds);
  EXPECT_EQ(lost, 0);
  EXPECT_EQ(phantom, 0);
  EXPECT_EQ(unexplained, 0);
}

}  // namespace
}  // namespace lifeline
