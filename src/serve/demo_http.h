// What the demo's simulated services share: their loopback HTTP servers (the relay's chat APIs,
// the ads account) take one request per connection, read whole, answer JSON, then close; their
// config sections are YAML text added to the in-memory config.
#pragma once

#include <utility>  // before Boost.Asio's awaitable.hpp, which uses std::exchange

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.h"
#include "core/result.h"

namespace lifeline::serve {

struct DemoRequest {
  std::string head;    // the request line and headers
  std::string method;  // "GET"
  std::string target;  // "/v21.0/act_1/campaigns?fields=..."
  std::string body;
};

// Reads one request (headers, then Content-Length bytes of body); nullopt when the peer closed or
// took more than 5 s.
boost::asio::awaitable<std::optional<DemoRequest>> ReadDemoRequest(
    boost::asio::ip::tcp::socket& socket);

// Opens `acceptor` on a free 127.0.0.1 port and, until it is closed, answers each connection's one
// request with `answer(request)` (the whole HTTP response). `keep` (the simulator's state) is held
// while a request is served. kUnavailable naming `what` when it cannot listen.
core::Status ServeDemoHttp(boost::asio::ip::tcp::acceptor& acceptor, std::string_view what,
                           std::function<std::string(const DemoRequest&)> answer,
                           std::shared_ptr<void> keep);

// "HTTP/1.1 STATUS" with a JSON body and Connection: close.
std::string DemoAnswer(std::string_view status, const std::string& json);

// Parses `yaml` and puts each of its top-level keys into `config` as a part section (replacing
// one of the same key), as if read from a file named `source`.
core::Status AddDemoSections(config::Config& config, const std::string& yaml,
                             std::string_view source);

}  // namespace lifeline::serve
