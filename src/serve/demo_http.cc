#include "serve/demo_http.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cstdlib>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

namespace lifeline::serve {
namespace {

namespace asio = boost::asio;

std::string Take(asio::streambuf& buf, std::size_t n) {
  std::string out(asio::buffers_begin(buf.data()), asio::buffers_begin(buf.data()) + n);
  buf.consume(n);
  return out;
}

using Answerer = std::function<std::string(const DemoRequest&)>;

// The unnamed last parameter holds the simulator's state for as long as the request is served
// (a coroutine's parameters live in its frame).
asio::awaitable<void> ServeOne(asio::ip::tcp::socket socket, std::shared_ptr<Answerer> answer,
                               std::shared_ptr<void> /*keep*/) {
  std::optional<DemoRequest> request = co_await ReadDemoRequest(socket);
  if (!request) co_return;
  const std::string response = (*answer)(*request);
  boost::system::error_code ec;
  co_await asio::async_write(socket, asio::buffer(response),
                             asio::redirect_error(asio::use_awaitable, ec));
  socket.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
}

asio::awaitable<void> AcceptAll(asio::ip::tcp::acceptor& acceptor, std::shared_ptr<Answerer> answer,
                                std::shared_ptr<void> keep) {
  while (acceptor.is_open()) {
    boost::system::error_code ec;
    asio::ip::tcp::socket s =
        co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (!acceptor.is_open()) break;
      continue;
    }
    asio::co_spawn(acceptor.get_executor(), ServeOne(std::move(s), answer, keep), asio::detached);
  }
}

}  // namespace

core::Status ServeDemoHttp(asio::ip::tcp::acceptor& acceptor, std::string_view what,
                           std::function<std::string(const DemoRequest&)> answer,
                           std::shared_ptr<void> keep) {
  boost::system::error_code ec;
  const asio::ip::tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
  acceptor.open(ep.protocol(), ec);
  if (!ec) acceptor.bind(ep, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return core::MakeError(core::ErrorCode::kUnavailable, "{}: cannot listen on 127.0.0.1: {}",
                           what, ec.message());
  }
  asio::co_spawn(acceptor.get_executor(),
                 AcceptAll(acceptor, std::make_shared<Answerer>(std::move(answer)), keep),
                 asio::detached);
  return core::Ok();
}

asio::awaitable<std::optional<DemoRequest>> ReadDemoRequest(asio::ip::tcp::socket& socket) {
  boost::system::error_code ec;
  asio::streambuf buf(1 << 20);
  asio::steady_timer deadline(socket.get_executor(), std::chrono::seconds(5));
  deadline.async_wait([&socket](const boost::system::error_code& e) {
    if (!e) socket.close();
  });
  std::size_t n = co_await asio::async_read_until(socket, buf, "\r\n\r\n",
                                                  asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return std::nullopt;
  DemoRequest r;
  r.head = Take(buf, n);
  std::size_t length = 0;
  for (std::string_view key : {"Content-Length: ", "content-length: "}) {
    if (auto at = r.head.find(key); at != std::string::npos) {
      length = std::strtoul(r.head.c_str() + at + key.size(), nullptr, 10);
    }
  }
  if (length > buf.size()) {
    co_await asio::async_read(socket, buf, asio::transfer_exactly(length - buf.size()),
                              asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return std::nullopt;
  }
  deadline.cancel();
  r.body = Take(buf, std::min(length, buf.size()));
  const auto sp1 = r.head.find(' ');
  const auto sp2 = sp1 == std::string::npos ? sp1 : r.head.find(' ', sp1 + 1);
  if (sp2 == std::string::npos) co_return std::nullopt;
  r.method = r.head.substr(0, sp1);
  r.target = r.head.substr(sp1 + 1, sp2 - sp1 - 1);
  co_return r;
}

std::string DemoAnswer(std::string_view status, const std::string& json) {
  return fmt::format(
      "HTTP/1.1 {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n"
      "Connection: close\r\n\r\n{}",
      status, json.size(), json);
}

core::Status AddDemoSections(config::Config& config, const std::string& yaml,
                             std::string_view source) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    return core::MakeError(core::ErrorCode::kInternal, "{}: {}", source, e.what());
  }
  config::yaml::Doc doc{std::string(source), {}};
  for (auto it = root.begin(); it != root.end(); ++it) {
    const std::string key = it->first.Scalar();
    std::erase_if(config.sections, [&](const config::PartSection& s) { return s.key == key; });
    config.sections.push_back({key, doc, {it->first.Mark(), key}, it->second});
  }
  return core::Ok();
}

}  // namespace lifeline::serve
