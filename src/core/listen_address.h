// "ADDR:PORT" for the servers Lifeline runs (`lifeline agent --listen`, `api.listen` of `lifeline
// serve`): one parser, so both accept and refuse the same text with the same message.
#pragma once

// GCC 12: <utility> must precede Boost's asio headers (awaitable).
#include <utility>

#include <boost/asio/ip/tcp.hpp>
#include <string_view>

#include "core/result.h"

namespace lifeline::core {

// An IPv4 address or a bracketed IPv6 one, then a port 0-65535 (0: any free port):
// "0.0.0.0:8089", "127.0.0.1:8080", "[::]:8089", "[::1]:0". Host names are refused (a server
// binds an address). kInvalidArgument: "listen address 'X': why; expected ADDR:PORT, e.g. ...".
Result<boost::asio::ip::tcp::endpoint> ParseListenAddress(std::string_view listen);

}  // namespace lifeline::core
