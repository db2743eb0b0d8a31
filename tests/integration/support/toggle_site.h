// A loopback web site whose health a test switches (the platform an end-to-end test takes down
// and brings back), and one-shot HTTP calls to a local API. The site answers every path with 200
// and "<name> is working" while healthy, 503 while failing; /control always answers 200 "control
// is working", so one site serves as the platform and as the observers' control site.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace lifeline::testing {

class ToggleSite {
 public:
  explicit ToggleSite(std::string name) : name_(std::move(name)) {}
  ~ToggleSite() { Stop(); }
  ToggleSite(const ToggleSite&) = delete;
  ToggleSite& operator=(const ToggleSite&) = delete;

  // Binds 127.0.0.1 on a port of its own and serves from a thread (one more per connection).
  void Start();
  void Stop();

  // From the next request on.
  void SetHealthy(bool healthy) { healthy_ = healthy; }
  bool healthy() const { return healthy_; }

  std::uint16_t port() const { return port_; }
  // "http://127.0.0.1:PORT" + path.
  std::string Url(const std::string& path = "/") const;
  // Requests answered so far, on any path but /control.
  int requests() const { return requests_; }

 private:
  void AcceptLoop();
  void Serve(boost::asio::ip::tcp::socket socket);

  const std::string name_;
  std::atomic<bool> healthy_{true};
  std::atomic<int> requests_{0};
  std::atomic<bool> stopping_{false};
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_{io_};
  std::uint16_t port_ = 0;
  std::thread accept_thread_;
  std::mutex mu_;           // guards open_fds_ and threads_
  std::set<int> open_fds_;  // connections being served: shut down by Stop
  std::vector<std::thread> threads_;
};

struct HttpReply {
  int status = 0;
  std::string body;
  std::string content_type;
};

// One request to 127.0.0.1:port (Connection: close); `body`, when not empty, is sent as JSON.
// nullopt when nothing answers (within 10 s).
std::optional<HttpReply> HttpCall(std::uint16_t port, const std::string& method,
                                  const std::string& target, const std::string& body = "");

}  // namespace lifeline::testing
