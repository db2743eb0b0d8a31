// ToggleSite and HttpCall (toggle_site.h), on Boost.Beast's synchronous API: a test's servers
// need no event loop of their own.
#include "integration/support/toggle_site.h"

#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/connect.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>

namespace lifeline::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

void ToggleSite::Start() {
  acceptor_.open(tcp::v4());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind({asio::ip::make_address("127.0.0.1"), 0});
  acceptor_.listen();
  port_ = acceptor_.local_endpoint().port();
  accept_thread_ = std::thread([this] { AcceptLoop(); });
}

void ToggleSite::Stop() {
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

std::string ToggleSite::Url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

void ToggleSite::AcceptLoop() {
  while (!stopping_) {
    tcp::socket socket(io_);
    boost::system::error_code ec;
    acceptor_.accept(socket, ec);
    if (ec) {
      if (stopping_) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      continue;
    }
    std::lock_guard lock(mu_);
    if (stopping_) return;
    open_fds_.insert(socket.native_handle());
    threads_.emplace_back([this, s = std::move(socket)]() mutable { Serve(std::move(s)); });
  }
}

void ToggleSite::Serve(tcp::socket socket) {
  beast::flat_buffer buffer;
  boost::system::error_code ec;
  while (!stopping_) {
    http::request<http::string_body> req;
    http::read(socket, buffer, req, ec);
    if (ec) break;
    const bool control = req.target() == "/control";
    const bool ok = control || healthy_;
    if (!control) ++requests_;
    http::response<http::string_body> res{ok ? http::status::ok : http::status::service_unavailable,
                                          req.version()};
    res.set(http::field::content_type, "text/html; charset=utf-8");
    res.body() = control ? "control is working"
                 : ok    ? name_ + " is working"
                         : "Service Unavailable";
    res.keep_alive(req.keep_alive());
    res.prepare_payload();
    http::write(socket, res, ec);
    if (ec || !res.keep_alive()) break;
  }
  {
    std::lock_guard lock(mu_);
    open_fds_.erase(socket.native_handle());
  }
  socket.shutdown(tcp::socket::shutdown_both, ec);
  socket.close(ec);
}

std::optional<HttpReply> HttpCall(std::uint16_t port, const std::string& method,
                                  const std::string& target, const std::string& body) {
  try {
    asio::io_context io;
    tcp::socket socket(io);
    socket.connect({asio::ip::make_address("127.0.0.1"), port});
    timeval limit{10, 0};  // a server that stops answering fails the call, never hangs the test
    ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::connection, "close");
    if (!body.empty()) {
      req.set(http::field::content_type, "application/json");
      req.body() = body;
    }
    req.prepare_payload();
    http::write(socket, req);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    http::read(socket, buffer, parser);
    const auto& res = parser.get();
    return HttpReply{static_cast<int>(res.result_int()), res.body(),
                     std::string(res[http::field::content_type])};
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace lifeline::testing
