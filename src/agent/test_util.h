// Test doubles shared by the agent's tests (header only, never part of the library): a fake
// Prober with canned answers and a real HTTP Fetch, and a small blocking HTTP client.
#pragma once

// GCC 12: <utility> must precede Boost's awaitable header.
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/types.h"
#include "probe/probe.h"

namespace lifeline::agent::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using json = nlohmann::json;

// A healthy answer for any spec.
inline core::ProbeResult HealthyResult(const core::ProbeSpec& spec) {
  core::ProbeResult r;
  r.probe_id = spec.id;
  r.kind = spec.kind;
  r.target = spec.Label();
  r.ok = true;
  r.timings.total = 12.5;
  if (spec.kind == core::ProbeKind::kDns) {
    r.resolver = spec.resolver.empty() ? "system" : spec.resolver;
    r.addresses = {"198.51.100.7"};
  }
  if (spec.kind == core::ProbeKind::kHttp) r.http_status = 200;
  return r;
}

inline core::ProbeResult FailedResult(const core::ProbeSpec& spec, core::Layer layer,
                                      std::string_view detail) {
  core::ProbeResult r = HealthyResult(spec);
  r.ok = false;
  r.layer = layer;
  r.detail = std::string(detail);
  r.message = "injected failure";
  r.addresses.clear();
  r.http_status = 0;
  return r;
}

// Answers Run/RunOne with `answer` (after `delay`), and Fetch with a real plain-HTTP request
// (enough to talk to the agent on loopback), classifying refused connections and timeouts the
// way the real prober does. Thread-safe for the recorded fields.
class FakeProber : public probe::Prober {
 public:
  boost::asio::awaitable<core::ProbeResult> RunOne(const core::ProbeSpec& spec) override {
    co_return Answer(spec);
  }

  boost::asio::awaitable<std::vector<core::ProbeResult>> Run(
      std::vector<core::ProbeSpec> specs) override {
    {
      std::lock_guard lock(mu);
      runs.push_back(specs);
    }
    if (delay.count() > 0) {
      asio::steady_timer timer(co_await asio::this_coro::executor, delay);
      co_await timer.async_wait(asio::use_awaitable);
    }
    std::vector<core::ProbeResult> out;
    for (const auto& spec : specs) out.push_back(Answer(spec));
    co_return out;
  }

  boost::asio::awaitable<probe::FetchResponse> Fetch(probe::FetchRequest request) override {
    probe::FetchResponse out;
    out.transport.target = request.url;
    // http://HOST:PORT/PATH only: the agent tests speak plain HTTP on loopback.
    std::string rest = request.url.substr(request.url.find("://") + 3);
    std::string hostport = rest.substr(0, rest.find('/'));
    std::string path = rest.substr(hostport.size());
    auto colon = hostport.rfind(':');
    tcp::endpoint ep(asio::ip::make_address(hostport.substr(0, colon)),
                     static_cast<unsigned short>(std::stoi(hostport.substr(colon + 1))));
    beast::tcp_stream stream(co_await asio::this_coro::executor);
    stream.expires_after(request.timeout);
    beast::error_code ec;
    co_await stream.async_connect(ep, asio::redirect_error(asio::use_awaitable, ec));
    if (!ec) {
      http::request<http::string_body> req{http::string_to_verb(request.method), path, 11};
      req.set(http::field::host, hostport);
      for (const auto& [k, v] : request.headers) req.set(k, v);
      req.body() = request.body;
      req.prepare_payload();
      co_await http::async_write(stream, req, asio::redirect_error(asio::use_awaitable, ec));
    }
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(request.max_body_bytes);
    if (!ec) {
      co_await http::async_read(stream, buffer, parser,
                                asio::redirect_error(asio::use_awaitable, ec));
    }
    if (ec) {
      out.transport.ok = false;
      out.transport.message = ec.message();
      if (ec == beast::error::timeout) {
        out.transport.layer = core::Layer::kHttp;
        out.transport.detail = std::string(core::detail::kTimeout);
      } else if (ec == asio::error::connection_refused) {
        out.transport.layer = core::Layer::kTcp;
        out.transport.detail = std::string(core::detail::kRefused);
      } else {
        out.transport.layer = core::Layer::kHttp;
        out.transport.detail = std::string(core::detail::kProtocol);
      }
      co_return out;
    }
    out.transport.ok = true;
    out.status = static_cast<int>(parser.get().result_int());
    out.body = parser.get().body();
    co_return out;
  }

  core::ProbeResult Answer(const core::ProbeSpec& spec) {
    std::lock_guard lock(mu);
    return answer ? answer(spec) : HealthyResult(spec);
  }

  std::vector<std::vector<core::ProbeSpec>> Runs() {
    std::lock_guard lock(mu);
    return runs;
  }

  std::mutex mu;  // guards the fields below
  std::function<core::ProbeResult(const core::ProbeSpec&)> answer;
  std::chrono::milliseconds delay{0};
  std::vector<std::vector<core::ProbeSpec>> runs;
};

// Lets a ProberFactory hand out the one FakeProber a test owns.
class ForwardingProber : public probe::Prober {
 public:
  explicit ForwardingProber(probe::Prober& target) : target_(target) {}
  boost::asio::awaitable<core::ProbeResult> RunOne(const core::ProbeSpec& spec) override {
    return target_.RunOne(spec);
  }
  boost::asio::awaitable<std::vector<core::ProbeResult>> Run(
      std::vector<core::ProbeSpec> specs) override {
    return target_.Run(std::move(specs));
  }
  boost::asio::awaitable<probe::FetchResponse> Fetch(probe::FetchRequest request) override {
    return target_.Fetch(std::move(request));
  }

 private:
  probe::Prober& target_;
};

struct HttpAnswer {
  int status = 0;
  std::string body;
  json doc;  // body parsed, or null
  http::fields headers;
  bool keep_alive = false;
};

inline HttpAnswer ReadAnswer(beast::tcp_stream& stream, beast::flat_buffer& buffer) {
  http::response<http::string_body> res;
  http::read(stream, buffer, res);
  HttpAnswer out;
  out.status = static_cast<int>(res.result_int());
  out.body = res.body();
  out.doc = json::parse(out.body, nullptr, false);
  if (out.doc.is_discarded()) out.doc = nullptr;
  out.headers = res.base();
  out.keep_alive = res.keep_alive();
  return out;
}

// A blocking client for one request on its own connection.
inline HttpAnswer Send(const tcp::endpoint& ep, http::verb method, const std::string& target,
                       const std::string& body = "",
                       const std::vector<std::pair<std::string, std::string>>& headers = {},
                       bool chunked = false) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  stream.connect(ep);
  http::request<http::string_body> req{method, target, 11};
  req.set(http::field::host, "agent.test");
  for (const auto& [k, v] : headers) req.set(k, v);
  req.body() = body;
  if (chunked) {
    req.chunked(true);
  } else {
    req.prepare_payload();
  }
  http::write(stream, req);
  beast::flat_buffer buffer;
  return ReadAnswer(stream, buffer);
}

}  // namespace lifeline::agent::testing
