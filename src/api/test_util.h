// Test doubles for the API's tests (header only, never part of the library): a fake Backend with
// canned answers and live-event publishing, and small blocking HTTP clients for loopback.
#pragma once

#include <poll.h>
#include <sys/socket.h>

// GCC 12: <utility> must precede Boost's awaitable header.
#include <utility>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "api/backend.h"

namespace lifeline::api::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using json = nlohmann::json;

class FakeBackend : public Backend {
 public:
  // ---- canned answers (set before requests; guarded by mu for the recorded calls) ----
  std::shared_ptr<const std::string> platforms_body = std::make_shared<const std::string>(
      R"({"platforms":[{"platform":"whatsapp","verdict":"up"}],"observer":{"connectivity":"ok","evidence":[]},"updated_at":"2026-11-27T10:00:00Z"})");
  std::map<std::string, Role> tokens;  // bearer secret -> role
  core::Status health = core::Ok();
  std::string metrics_text = "lifeline_incidents_open 2\n";
  // How CheckNow answers: by default from another thread after `check_delay`, echoing the ids.
  std::chrono::milliseconds check_delay{0};
  bool check_never_answers = false;
  core::Result<json> report_answer = json{{"accepted", true}, {"reports_last_hour", 1}};

  mutable std::mutex mu;  // guards everything below
  std::vector<std::vector<std::string>> checks;
  std::vector<std::tuple<std::string, std::string, std::string>> reports;  // platform, kind, key
  std::vector<IncidentQuery> incident_queries;
  std::vector<
      std::pair<std::chrono::system_clock::time_point, std::chrono::system_clock::time_point>>
      history_ranges;
  std::vector<std::int64_t> event_afters;
  std::vector<std::string> authenticated;  // tokens presented
  std::map<int, std::function<void(const LiveEvent&)>> sinks;
  int next_sink = 0;
  std::vector<std::thread> check_threads;

  ~FakeBackend() override {
    for (auto& t : check_threads) t.join();
  }

  std::shared_ptr<const std::string> PlatformsBody() override { return platforms_body; }

  core::Result<json> Platform(std::string_view id) override {
    if (id != "whatsapp") {
      return core::MakeError(core::ErrorCode::kNotFound, "no platform '{}'", id);
    }
    return json{{"platform", "whatsapp"}, {"verdict", "up"}, {"probes", json::array()}};
  }

  core::Result<json> History(std::string_view id, std::chrono::system_clock::time_point from,
                             std::chrono::system_clock::time_point to) override {
    std::lock_guard lock(mu);
    history_ranges.emplace_back(from, to);
    return json{{"platform", id}, {"points", json::array()}};
  }

  void CheckNow(std::vector<std::string> ids,
                std::function<void(core::Result<json>)> done) override {
    std::lock_guard lock(mu);
    checks.push_back(ids);
    if (check_never_answers) {
      pending_done.push_back(std::move(done));
      return;
    }
    check_threads.emplace_back([ids, done = std::move(done), delay = check_delay] {
      std::this_thread::sleep_for(delay);
      done(json{{"checked_at", "2026-11-27T10:00:00Z"}, {"platforms", ids}});
    });
  }
  std::vector<std::function<void(core::Result<json>)>> pending_done;

  core::Result<json> Incidents(const IncidentQuery& q) override {
    std::lock_guard lock(mu);
    incident_queries.push_back(q);
    return json{{"incidents", json::array()}, {"next_cursor", nullptr}};
  }

  core::Result<json> Incident(std::string_view id) override {
    if (id != "inc_1") return core::MakeError(core::ErrorCode::kNotFound, "no incident '{}'", id);
    return json{{"id", "inc_1"}, {"state", "open"}};
  }

  core::Result<json> IncidentEvents(std::string_view id, std::int64_t after) override {
    std::lock_guard lock(mu);
    event_afters.push_back(after);
    if (id != "inc_1") return core::MakeError(core::ErrorCode::kNotFound, "no incident '{}'", id);
    return json{{"events", json::array()}};
  }

  core::Result<json> SubmitReport(std::string_view platform, std::string_view kind,
                                  std::string_view client_key) override {
    std::lock_guard lock(mu);
    reports.emplace_back(platform, kind, client_key);
    if (!report_answer) return report_answer.error();
    json out = *report_answer;
    out["platform"] = platform;
    return out;
  }

  core::Result<json> Reports(std::string_view platform) override {
    return json{{"platforms", json::array({{{"platform", platform}}})}};
  }

  json StatusPages() override { return json{{"status_pages", json::array()}}; }

  std::string Metrics() override { return metrics_text; }

  core::Status Health() override { return health; }

  class Sub : public Subscription {
   public:
    Sub(FakeBackend* b, int id) : b_(b), id_(id) {}
    ~Sub() override {
      std::lock_guard lock(b_->mu);
      b_->sinks.erase(id_);
    }

   private:
    FakeBackend* b_;
    int id_;
  };

  std::unique_ptr<Subscription> Subscribe(std::function<void(const LiveEvent&)> sink) override {
    std::lock_guard lock(mu);
    int id = next_sink++;
    sinks[id] = std::move(sink);
    return std::make_unique<Sub>(this, id);
  }

  // Delivers an event to every subscriber, on the calling thread.
  void Publish(const LiveEvent& event) {
    std::lock_guard lock(mu);
    for (auto& [id, sink] : sinks) sink(event);
  }

  std::size_t subscribers() const {
    std::lock_guard lock(mu);
    return sinks.size();
  }

  core::Result<Role> Authenticate(std::string_view bearer) override {
    std::lock_guard lock(mu);
    authenticated.emplace_back(bearer);
    if (auto it = tokens.find(std::string(bearer)); it != tokens.end()) return it->second;
    return core::MakeError(core::ErrorCode::kUnauthenticated, "unknown or revoked API token");
  }
};

struct Reply {
  unsigned status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  bool closed = false;  // the server closed the connection after this reply

  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
  json Json() const { return json::parse(body); }
};

// One blocking HTTP/1.1 connection to 127.0.0.1:port (keep-alive across Send calls).
class Client {
 public:
  explicit Client(unsigned short port) : socket_(io_) {
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  }

  Reply Send(http::verb method, const std::string& target,
             std::vector<std::pair<std::string, std::string>> headers = {},
             std::optional<std::string> body = std::nullopt) {
    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, "127.0.0.1");
    for (const auto& [k, v] : headers) req.set(k, v);
    if (body) {
      req.body() = *body;
      req.prepare_payload();
    }
    http::write(socket_, req);
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 << 20);
    if (method == http::verb::head) parser.skip(true);
    http::read(socket_, buffer_, parser);
    Reply r;
    r.status = parser.get().result_int();
    for (const auto& f : parser.get()) {
      std::string name(f.name_string().data(), f.name_string().size());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      r.headers[name] = std::string(f.value().data(), f.value().size());
    }
    r.body = parser.get().body();
    r.closed = !parser.get().keep_alive();
    return r;
  }

  tcp::socket& socket() { return socket_; }

 private:
  asio::io_context io_;
  tcp::socket socket_;
  beast::flat_buffer buffer_;
};

inline Reply Get(unsigned short port, const std::string& target,
                 std::vector<std::pair<std::string, std::string>> headers = {}) {
  Client c(port);
  return c.Send(http::verb::get, target, std::move(headers));
}

inline Reply Post(unsigned short port, const std::string& target, std::string body,
                  std::vector<std::pair<std::string, std::string>> headers = {
                      {"Content-Type", "application/json"}}) {
  Client c(port);
  return c.Send(http::verb::post, target, std::move(headers), std::move(body));
}

// A raw socket for bytes a well-behaved client would not send, and for streams.
class RawConnection {
 public:
  explicit RawConnection(unsigned short port, int receive_buffer = 0) : socket_(io_) {
    socket_.open(tcp::v4());
    if (receive_buffer > 0) {
      socket_.set_option(asio::socket_base::receive_buffer_size(receive_buffer));
    }
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  }

  void Write(std::string_view bytes) { asio::write(socket_, asio::buffer(bytes)); }

  // Reads until `needle` shows up in everything read so far, the peer closes, or `timeout`.
  // Returns true when the needle was found.
  bool ReadUntil(std::string_view needle, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (received_.find(needle) == std::string::npos) {
      if (!ReadSome(deadline)) return false;
    }
    return true;
  }

  // Reads until the peer closes (true) or `timeout` (false).
  bool ReadUntilClosed(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!eof_) {
      if (!ReadSome(deadline) && !eof_) return false;
    }
    return true;
  }

  const std::string& received() const { return received_; }
  bool eof() const { return eof_; }
  tcp::socket& socket() { return socket_; }

 private:
  bool ReadSome(std::chrono::steady_clock::time_point deadline) {
    if (eof_) return false;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{socket_.native_handle(), POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char buf[65536];
    beast::error_code ec;
    std::size_t n = socket_.read_some(asio::buffer(buf), ec);
    if (ec) {
      eof_ = true;
      return false;
    }
    received_.append(buf, n);
    return true;
  }

  asio::io_context io_;
  tcp::socket socket_;
  std::string received_;
  bool eof_ = false;
};

// Polls `condition` until it holds or `timeout` passes.
inline bool WaitFor(const std::function<bool()>& condition,
                    std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return condition();
}

}  // namespace lifeline::api::testing
