// The Prober: DNS, TCP, TLS and HTTP/1.1 probes as coroutines on one io_context, each bounded by
// a deadline, at most Options::concurrency in flight; plus Fetch() for callers needing an answer.
#include <utility>

// GCC 12 at -O2 wrongly reports asio's coroutine frames (class-specific operator new/delete) as
// -Wmismatched-new-delete; the pairing is asio's own and correct.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ == 12
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>
#include <deque>
#include <exception>
#include <map>
#include <unordered_map>

#include <ares.h>
#include <fmt/core.h>
#include <sys/stat.h>

#include "probe/classify.h"
#include "probe/dns/hosts.h"
#include "probe/dns/resolver.h"
#include "probe/http/content.h"
#include "probe/http/url.h"
#include "probe/probe.h"
#include "probe/tls/tls_context.h"
#include "probe/tls/tls_socket.h"

namespace lifeline::probe {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace d = core::detail;
using asio::ip::tcp;
using boost::system::error_code;
using core::Layer;
using core::ProbeResult;
using core::ProbeSpec;
using Clock = std::chrono::steady_clock;
using Headers = std::vector<std::pair<std::string, std::string>>;

constexpr std::string_view kUserAgent = "lifeline/0.1";
// Real sites send large headers (long CSP and cookie lines); beast's default of 8 KiB is too small.
constexpr std::uint32_t kHeaderLimit = 64 * 1024;

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }
void Add(std::optional<double>& slot, double ms) { slot = slot.value_or(0) + ms; }
long long WholeMs(std::chrono::milliseconds d) { return static_cast<long long>(d.count()); }

void Fail(ProbeResult& r, Layer layer, std::string_view detail, std::string message) {
  r.ok = false;
  r.layer = layer;
  r.detail = std::string(detail);
  r.message = std::move(message);
}

// Bounds one probe. When the deadline passes, the registered socket is closed, which makes its
// pending operation fail; code then asks expired() to tell a timeout from other failures. The
// timer's handler shares a small state block so it stays safe if it runs after the probe ended.
class Deadline {
 public:
  Deadline(asio::io_context& io, Clock::time_point start, std::chrono::milliseconds budget)
      : at_(start + budget), budget_(budget), state_(std::make_shared<State>()), timer_(io, at_) {
    timer_.async_wait([state = state_](const error_code& ec) {
      if (ec) return;
      state->expired = true;
      if (state->socket) {
        error_code ignored;
        state->socket->close(ignored);
      }
    });
  }
  ~Deadline() {
    state_->socket = nullptr;
    timer_.cancel();
  }
  Deadline(const Deadline&) = delete;
  Deadline& operator=(const Deadline&) = delete;

  Clock::time_point at() const { return at_; }
  std::chrono::milliseconds budget() const { return budget_; }
  bool expired() const { return state_->expired || Clock::now() >= at_; }
  void Watch(tcp::socket* socket) { state_->socket = socket; }

 private:
  struct State {
    bool expired = false;
    tcp::socket* socket = nullptr;
  };
  Clock::time_point at_;
  std::chrono::milliseconds budget_;
  std::shared_ptr<State> state_;
  asio::steady_timer timer_;
};

// What one request/response on one connection produced.
struct Answer {
  int status = 0;
  std::string reason;
  std::string location;
  std::string body;
};

// One request on a fresh connection. `follow` (nullable) are the expectations of a probe that
// follows redirects: for an answer it will follow, the body is not read.
struct Request {
  std::string_view method;
  const Headers* headers = nullptr;
  std::string_view body;
  std::size_t max_body = 1 << 20;
  const core::HttpExpect* follow = nullptr;
  std::string_view ca_file;  // "" = the Prober's own trust (Options::ca_file)
};

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool ValidToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c <= 32 || c >= 127 || c == ':' || c == '(' || c == ')' || c == ',' || c == '/' ||
        c == ';' || c == '<' || c == '=' || c == '>' || c == '?' || c == '@' || c == '[' ||
        c == '\\' || c == ']' || c == '{' || c == '}' || c == '"') {
      return false;
    }
  }
  return true;
}

bool ValidValue(std::string_view s) {
  return std::none_of(s.begin(), s.end(), [](char c) { return c == '\r' || c == '\n' || c == 0; });
}

// Serializes the request head and body into `out`. Header values are never part of an error
// message (they may be secrets); only the header's name is.
std::optional<std::string> BuildRequest(const http::Url& url, const Request& req,
                                        std::string& out) {
  if (!ValidToken(req.method)) return std::string("invalid HTTP method");
  bool has_host = false, has_ua = false, has_accept = false;
  if (req.headers) {
    for (const auto& [name, value] : *req.headers) {
      if (!ValidToken(name)) return fmt::format("invalid header name '{}'", name);
      if (!ValidValue(value)) return fmt::format("invalid value for header '{}'", name);
      if (IEquals(name, "Connection") || IEquals(name, "Content-Length") ||
          IEquals(name, "Transfer-Encoding")) {
        return fmt::format("header '{}' is set by the prober", name);
      }
      // A given Host (a virtual host behind an address) replaces the URL's.
      has_host = has_host || IEquals(name, "Host");
      has_ua = has_ua || IEquals(name, "User-Agent");
      has_accept = has_accept || IEquals(name, "Accept");
    }
  }
  out.clear();
  out.reserve(256 + req.body.size());
  out.append(req.method).append(" ").append(url.target).append(" HTTP/1.1\r\n");
  if (!has_host) out.append("Host: ").append(url.HostHeader()).append("\r\n");
  if (!has_ua) out.append("User-Agent: ").append(kUserAgent).append("\r\n");
  if (!has_accept) out.append("Accept: */*\r\n");
  out.append("Connection: close\r\n");
  if (req.headers) {
    for (const auto& [name, value] : *req.headers) {
      out.append(name).append(": ").append(value).append("\r\n");
    }
  }
  if (!req.body.empty() || req.method == "POST" || req.method == "PUT" || req.method == "PATCH") {
    out.append(fmt::format("Content-Length: {}\r\n", req.body.size()));
  }
  out.append("\r\n").append(req.body);
  return std::nullopt;
}

// A plain TCP connection with the interface of tls::TlsSocket, so RoundTrip serves both.
class PlainSocket {
 public:
  explicit PlainSocket(tcp::socket& socket) : socket_(socket) {}
  asio::awaitable<error_code> Write(asio::const_buffer buffer) {
    error_code ec;
    co_await asio::async_write(socket_, buffer, asio::redirect_error(asio::use_awaitable, ec));
    co_return ec;
  }
  asio::awaitable<error_code> ReadSome(asio::mutable_buffer buffer, std::size_t& read) {
    error_code ec;
    read = co_await socket_.async_read_some(buffer, asio::redirect_error(asio::use_awaitable, ec));
    co_return ec;
  }

 private:
  tcp::socket& socket_;
};

using ResponseParser = bhttp::response_parser<bhttp::string_body>;

// Feeds `parser` from `buffer`, reading more from `stream`, until the header (header_only) or the
// whole message is parsed. The end of the stream (also a TLS close without close_notify) ends an
// EOF-delimited body; before that it is an error (end_of_stream or partial_message).
template <typename Stream>
asio::awaitable<error_code> ReadInto(Stream& stream, beast::flat_buffer& buffer,
                                     ResponseParser& parser, bool header_only) {
  auto done = [&] { return header_only ? parser.is_header_done() : parser.is_done(); };
  error_code ec;
  for (;;) {
    if (buffer.size() > 0) {
      std::size_t used = parser.put(buffer.data(), ec);
      buffer.consume(used);
      if (ec == bhttp::error::need_more) {
        ec = {};
      } else if (ec) {
        co_return ec;
      }
      if (done()) co_return error_code();
      if (used > 0 && buffer.size() > 0) continue;
    } else if (done()) {
      co_return error_code();
    }
    std::size_t size = std::clamp<std::size_t>(buffer.capacity() - buffer.size(), 4096, 65536);
    std::size_t got = 0;
    error_code read_ec = co_await stream.ReadSome(buffer.prepare(size), got);
    buffer.commit(got);
    if (read_ec == asio::error::eof || read_ec == asio::ssl::error::stream_truncated) {
      if (got > 0) continue;
      if (!parser.got_some()) co_return bhttp::error::end_of_stream;
      parser.put_eof(ec);
      co_return ec;
    }
    if (read_ec) co_return read_ec;
  }
}

// Sends the request and reads one response. Fails into `r` (layer http, or tcp for a reset) and
// returns false.
template <typename Stream>
asio::awaitable<bool> RoundTrip(Stream& stream, const std::string& wire, const Request& req,
                                Deadline& deadline, beast::flat_buffer& buffer, ProbeResult& r,
                                Answer& out) {
  auto fail_io = [&](const error_code& ec, std::string_view what) {
    if (deadline.expired()) {
      Fail(r, Layer::kHttp, d::kTimeout,
           fmt::format("HTTP: timed out after {} ms while {}", WholeMs(deadline.budget()), what));
      return;
    }
    if (SocketErrorDetail(ec) == d::kReset) {
      Fail(r, Layer::kTcp, d::kReset, fmt::format("TCP connection reset while {}", what));
    } else if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message) {
      Fail(r, Layer::kHttp, d::kProtocol, fmt::format("connection closed while {}", what));
    } else if (ec == bhttp::error::body_limit) {
      Fail(r, Layer::kHttp, d::kTooLarge, fmt::format("body over {} bytes", req.max_body));
    } else if (ec.category() == bhttp::make_error_code(bhttp::error::bad_version).category()) {
      Fail(r, Layer::kHttp, d::kProtocol, fmt::format("invalid HTTP response: {}", ec.message()));
    } else {
      Fail(r, Layer::kHttp, d::kError, fmt::format("HTTP error while {}: {}", what, ec.message()));
    }
  };

  auto t0 = Clock::now();
  error_code ec = co_await stream.Write(asio::buffer(wire));
  if (ec) {
    fail_io(ec, "sending the request");
    co_return false;
  }
  ResponseParser parser;
  parser.header_limit(kHeaderLimit);
  parser.body_limit(req.max_body);
  if (req.method == "HEAD") parser.skip(true);
  ec = co_await ReadInto(stream, buffer, parser, true);
  if (ec) {
    fail_io(ec, "waiting for the response");
    co_return false;
  }
  Add(r.timings.first_byte, Ms(Clock::now() - t0));
  const auto& head = parser.get();
  out.status = static_cast<int>(head.result_int());
  out.reason = std::string(head.reason());
  if (auto it = head.find(bhttp::field::location); it != head.end()) {
    out.location = std::string(it->value());
  }
  if (req.follow && http::ShouldFollow(*req.follow, out.status) && !out.location.empty()) {
    co_return true;  // the body of a redirect we follow does not matter
  }
  ec = co_await ReadInto(stream, buffer, parser, false);
  if (ec) {
    fail_io(ec, "reading the body");
    co_return false;
  }
  out.body = parser.release().body();
  co_return true;
}

std::string DnsMessage(int status, const std::string& name, const std::string& server) {
  switch (status) {
    case ARES_ENOTFOUND:
    case ARES_ESERVFAIL:
    case ARES_EREFUSED:
      return fmt::format("DNS {} for {} from {}", AresStatusName(status), name, server);
    case ARES_ETIMEOUT:
      return fmt::format("DNS timeout for {}: no answer from {}", name, server);
    case ARES_ECONNREFUSED:
      return fmt::format("DNS for {}: cannot reach {}", name, server);
    case ARES_ENODATA:
      return fmt::format("DNS for {} from {}: no address records", name, server);
    default:
      return fmt::format("DNS error for {} from {}: {}", name, server, ares_strerror(status));
  }
}

// "HTTP 503 Service Unavailable": the server's reason phrase when `quote`, else the standard one.
std::string StatusText(int status, const std::string& reason, bool quote) {
  std::string_view why = quote ? std::string_view(reason) : std::string_view();
  if (why.empty() &&
      bhttp::int_to_status(static_cast<unsigned>(status)) != bhttp::status::unknown) {
    auto standard = bhttp::obsolete_reason(static_cast<bhttp::status>(status));
    why = std::string_view(standard.data(), standard.size());
  }
  return why.empty() ? fmt::format("HTTP {}", status) : fmt::format("HTTP {} {}", status, why);
}

// Scratch space a worker reuses from one probe to the next.
struct Scratch {
  beast::flat_buffer buffer;
  std::string wire;
};

class ProberImpl final : public Prober {
 public:
  ProberImpl(asio::io_context& io, const Options& options) : io_(io), options_(options) {
    if (options_.concurrency == 0) options_.concurrency = 1;
  }

  core::Status Init() {
    dns::ChannelConfig config;
    config.resolv_conf = options_.resolv_conf;
    config.timeout = options_.timeout;
    auto channel = dns::Channel::Create(io_, config);
    if (!channel.ok()) return channel.error();
    system_ = std::move(channel).value();
    if (!options_.hosts_file.empty()) hosts_ = dns::HostsTable::Load(options_.hosts_file);
    // An explicit CA file is loaded now so a bad one fails at start-up; the system store is
    // loaded on the first https probe (it costs milliseconds a plain-HTTP run need not pay).
    if (!options_.ca_file.empty()) {
      auto tls = tls::Context::Create(options_.ca_file);
      if (!tls.ok()) return tls.error();
      tls_ = std::move(tls).value();
    }
    return core::Ok();
  }

  asio::awaitable<ProbeResult> RunOne(const ProbeSpec& spec) override {
    ProbeResult r;
    Scratch scratch;
    co_await Probe(spec, r, scratch);
    co_return r;
  }

  asio::awaitable<std::vector<ProbeResult>> Run(std::vector<ProbeSpec> specs) override {
    RunState state(io_, specs);
    if (specs.empty()) co_return std::move(state.results);
    std::size_t workers = std::min(options_.concurrency, specs.size());
    state.running = workers;
    for (std::size_t i = 0; i < workers; ++i) {
      asio::co_spawn(io_, Worker(&state), [&state](std::exception_ptr) {
        // Workers catch everything per probe; an escaped exception only ends that worker.
        if (--state.running == 0) state.done.cancel();
      });
    }
    while (state.running > 0) {
      error_code ec;
      co_await state.done.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    co_return std::move(state.results);
  }

  asio::awaitable<FetchResponse> Fetch(FetchRequest request) override {
    FetchResponse response;
    ProbeResult& r = response.transport;
    r.kind = core::ProbeKind::kHttp;
    r.target = request.url;
    auto start = Clock::now();
    auto url = http::ParseUrl(request.url);
    if (!url.ok()) {
      Fail(r, Layer::kHttp, d::kError, url.error().message());
      co_return response;
    }
    Deadline deadline(io_, start, request.timeout);
    Scratch scratch;
    Request req{request.method,         &request.headers, request.body,
                request.max_body_bytes, nullptr,          request.ca_file};
    Answer answer;
    try {
      if (co_await Exchange(*url, req, deadline, scratch, r, answer)) {
        r.ok = true;
        r.http_status = response.status = answer.status;
        r.message = StatusText(answer.status, answer.reason, options_.quote_responses);
        response.body = std::move(answer.body);
      }
    } catch (const std::exception& e) {
      Fail(r, Layer::kHttp, d::kError, fmt::format("internal error: {}", e.what()));
    }
    r.timings.total = Ms(Clock::now() - start);
    co_return response;
  }

 private:
  struct RunState {
    RunState(asio::io_context& io, const std::vector<ProbeSpec>& s)
        : specs(s), results(s.size()), done(io, Clock::time_point::max()) {}
    const std::vector<ProbeSpec>& specs;
    std::vector<ProbeResult> results;
    std::size_t next = 0;
    std::size_t running = 0;
    asio::steady_timer done;  // cancelled by the last worker to finish
  };

  asio::awaitable<void> Worker(RunState* state) {
    Scratch scratch;
    while (state->next < state->specs.size()) {
      std::size_t i = state->next++;
      co_await Probe(state->specs[i], state->results[i], scratch);
    }
  }

  // Prober-wide bound on probes in flight, shared by concurrent Run() calls. A released slot is
  // handed straight to the oldest waiter.
  asio::awaitable<void> AcquireSlot() {
    if (in_flight_ < options_.concurrency) {
      ++in_flight_;
      co_return;
    }
    asio::steady_timer wake(io_, Clock::time_point::max());
    slot_waiters_.push_back(&wake);
    error_code ec;
    co_await wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  void ReleaseSlot() {
    if (slot_waiters_.empty()) {
      --in_flight_;
      return;
    }
    asio::steady_timer* next = slot_waiters_.front();
    slot_waiters_.pop_front();
    next->cancel();
  }

  asio::awaitable<void> Probe(const ProbeSpec& spec, ProbeResult& r, Scratch& scratch) {
    r.probe_id = spec.id;
    r.kind = spec.kind;
    r.target = spec.Label();
    r.from = "here";
    r.api = spec.api;
    co_await AcquireSlot();
    auto start = Clock::now();
    r.started = start;
    Deadline deadline(io_, start, options_.timeout);
    try {
      switch (spec.kind) {
        case core::ProbeKind::kDns:
          co_await ProbeDns(spec, deadline, r);
          break;
        case core::ProbeKind::kTcp:
          co_await ProbeTcp(spec, deadline, r);
          break;
        case core::ProbeKind::kHttp:
          co_await ProbeHttp(spec, deadline, scratch, r);
          break;
      }
    } catch (const std::exception& e) {
      Layer layer = spec.kind == core::ProbeKind::kDns   ? Layer::kDns
                    : spec.kind == core::ProbeKind::kTcp ? Layer::kTcp
                                                         : Layer::kHttp;
      Fail(r, layer, d::kError, fmt::format("internal error: {}", e.what()));
    }
    ReleaseSlot();
    r.timings.total = Ms(Clock::now() - start);
    r.slow = r.ok && *r.timings.total > static_cast<double>(options_.slow_threshold.count());
  }

  core::Result<dns::Channel*> ChannelFor(const std::string& resolver) {
    if (resolver.empty()) return system_.get();
    auto it = direct_.find(resolver);
    if (it != direct_.end()) return it->second.get();
    auto address = dns::ParseResolver(resolver);
    if (!address.ok()) return address.error();
    dns::ChannelConfig config;
    config.server = *address;
    config.timeout = options_.timeout;
    auto channel = dns::Channel::Create(io_, config);
    if (!channel.ok()) return channel.error();
    dns::Channel* raw = channel->get();
    direct_.emplace(resolver, std::move(channel).value());
    return raw;
  }

  // The context trusting `ca_file` only, loaded on first use and again when the file changes
  // (a renewed self-signed agent certificate). Its sessions are its own: a session verified
  // against one trust is never resumed under another.
  core::Result<tls::Context*> Tls(std::string_view ca_file) {
    if (ca_file.empty()) return Tls();
    struct stat st {};
    const std::string path(ca_file);
    const long long stamp = ::stat(path.c_str(), &st) == 0
                                ? static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL +
                                      st.st_mtim.tv_nsec + st.st_size
                                : -1;
    auto& slot = fetch_tls_[path];
    if (!slot.context || slot.stamp != stamp) {
      auto tls = tls::Context::Create(path);
      if (!tls.ok()) return tls.error();
      slot.context = std::move(tls).value();
      slot.stamp = stamp;
    }
    return slot.context.get();
  }

  core::Result<tls::Context*> Tls() {
    if (!tls_) {
      auto tls = tls::Context::Create(options_.ca_file);
      if (!tls.ok()) return tls.error();
      tls_ = std::move(tls).value();
    }
    return tls_.get();
  }

  const http::CompiledRegex* RegexFor(const std::string& pattern) {
    auto& slot = regexes_[pattern];
    if (!slot) {
      slot = std::make_unique<http::CompiledRegex>();
      try {
        slot->regex = std::regex(pattern, std::regex::ECMAScript);
      } catch (const std::regex_error& e) {
        slot->error = e.what();
      }
    }
    return slot.get();
  }

  asio::awaitable<void> ProbeDns(const ProbeSpec& spec, Deadline& deadline, ProbeResult& r) {
    r.resolver = spec.resolver.empty() ? "system" : spec.resolver;
    if (!spec.resolver.empty() && options_.address_policy) {
      auto server = dns::ParseResolver(spec.resolver);
      error_code ec;
      auto address = server.ok() ? asio::ip::make_address(server->ip, ec) : asio::ip::address();
      if (server.ok() && !ec) {
        if (auto refusal = Refused(address)) {
          Fail(r, Layer::kDns, d::kAddressNotAllowed,
               fmt::format("not querying resolver {}: {}", spec.resolver, refusal->message));
          co_return;
        }
      }
    }
    auto channel = ChannelFor(spec.resolver);
    if (!channel.ok()) {
      Fail(r, Layer::kDns, d::kError, channel.error().message());
      co_return;
    }
    dns::Channel& ch = **channel;
    auto t0 = Clock::now();
    dns::Answer answer = co_await ch.Query(spec.host, dns::Family::kV4, deadline.at());
    if (answer.status == ARES_ENODATA) {
      dns::Answer v6 = co_await ch.Query(spec.host, dns::Family::kV6, deadline.at());
      if (v6.status == ARES_SUCCESS) answer = std::move(v6);
    }
    r.timings.dns = Ms(Clock::now() - t0);
    if (answer.status != ARES_SUCCESS) {
      Fail(r, Layer::kDns, AresStatusDetail(answer.status),
           DnsMessage(answer.status, spec.host, ch.server_description()));
      co_return;
    }
    r.ok = true;
    r.message = fmt::format("{} resolves to {}{} via {}", spec.host, answer.addresses.front(),
                            answer.addresses.size() > 1
                                ? fmt::format(" (+{} more)", answer.addresses.size() - 1)
                                : std::string(),
                            ch.server_description());
    r.addresses = std::move(answer.addresses);
  }

  // The endpoints of host:port: an IP literal as is, a name from the hosts file or else via this
  // machine's resolver (A then AAAA addresses). A DNS failure is the probe's failure (layer dns).
  asio::awaitable<bool> Resolve(const std::string& host, std::uint16_t port, Deadline& deadline,
                                ProbeResult& r, std::vector<tcp::endpoint>& out) {
    out.clear();
    error_code ec;
    auto literal = asio::ip::make_address(host, ec);
    if (!ec) {
      out.emplace_back(literal, port);
      co_return true;
    }
    auto t0 = Clock::now();
    if (auto listed = hosts_.Lookup(host); !listed.empty()) {
      for (const auto& text : listed) {
        auto address = asio::ip::make_address(text, ec);
        if (!ec) out.emplace_back(address, port);
      }
      Add(r.timings.dns, Ms(Clock::now() - t0));
      co_return true;
    }
    auto [a, aaaa] = co_await system_->QueryBoth(host, deadline.at());
    Add(r.timings.dns, Ms(Clock::now() - t0));
    for (const auto* answer : {&a, &aaaa}) {
      for (const auto& text : answer->addresses) {
        auto address = asio::ip::make_address(text, ec);
        if (!ec) out.emplace_back(address, port);
      }
    }
    if (!out.empty()) co_return true;
    // A's code speaks for the name, unless A merely had no records and AAAA says more.
    int status = a.status;
    if (status == ARES_ENODATA && aaaa.status != ARES_ETIMEOUT) status = aaaa.status;
    if (status == ARES_SUCCESS) status = ARES_ENODATA;
    Fail(r, Layer::kDns, AresStatusDetail(status),
         DnsMessage(status, host, system_->server_description()));
    co_return false;
  }

  // The policy's refusal of `address`, if there is a policy and it refuses.
  std::optional<core::AddressRefusal> Refused(const asio::ip::address& address) const {
    if (!options_.address_policy) return std::nullopt;
    return options_.address_policy->Check(address.is_v4()
                                              ? core::IpAddress::V4(address.to_v4().to_bytes())
                                              : core::IpAddress::V6(address.to_v6().to_bytes()));
  }

  // Connects to each endpoint the address policy allows in turn until one accepts, within the
  // deadline. When the policy refuses every endpoint, nothing is sent and the probe fails with
  // detail address_not_allowed.
  asio::awaitable<bool> Connect(tcp::socket& socket, std::vector<tcp::endpoint> endpoints,
                                std::string_view label, Deadline& deadline, ProbeResult& r) {
    std::optional<core::AddressRefusal> refused;
    std::erase_if(endpoints, [&](const tcp::endpoint& endpoint) {
      auto refusal = Refused(endpoint.address());
      if (refusal && !refused) refused = std::move(refusal);
      return refusal.has_value();
    });
    if (endpoints.empty() && refused) {
      Fail(r, Layer::kTcp, d::kAddressNotAllowed,
           fmt::format("not connecting to {}: {}", label, refused->message));
      co_return false;
    }
    error_code last;
    auto t0 = Clock::now();
    for (const auto& endpoint : endpoints) {
      if (deadline.expired()) break;
      error_code ec;
      socket.close(ec);
      socket.open(endpoint.protocol(), ec);
      if (ec) {
        last = ec;
        continue;
      }
      deadline.Watch(&socket);
      co_await socket.async_connect(endpoint, asio::redirect_error(asio::use_awaitable, ec));
      if (!ec) {
        // Requests go out in one write, but after a TLS handshake's last flight Nagle would hold
        // the request back until the server's (delayed) ACK: tens of milliseconds per probe.
        socket.set_option(tcp::no_delay(true), ec);
        Add(r.timings.connect, Ms(Clock::now() - t0));
        r.addresses.assign(1, endpoint.address().to_string());
        co_return true;
      }
      last = ec;
    }
    Add(r.timings.connect, Ms(Clock::now() - t0));
    if (deadline.expired()) {
      Fail(r, Layer::kTcp, d::kTimeout,
           fmt::format("TCP connect to {} timed out after {} ms", label,
                       WholeMs(deadline.budget())));
      co_return false;
    }
    std::string_view detail = SocketErrorDetail(last);
    std::string where = endpoints.size() == 1
                            ? fmt::format("{} ({})", label, endpoints.front().address().to_string())
                            : fmt::format("{} ({} addresses)", label, endpoints.size());
    if (detail == d::kRefused) {
      Fail(r, Layer::kTcp, detail, fmt::format("TCP connection to {} refused", where));
    } else if (detail == d::kUnreachable) {
      Fail(r, Layer::kTcp, detail, fmt::format("{} unreachable: {}", where, last.message()));
    } else if (detail == d::kReset) {
      Fail(r, Layer::kTcp, detail, fmt::format("TCP connection to {} reset", where));
    } else if (detail == d::kTimeout) {
      Fail(r, Layer::kTcp, detail, fmt::format("TCP connect to {} timed out", where));
    } else {
      Fail(r, Layer::kTcp, detail,
           fmt::format("TCP connect to {} failed: {}", where, last.message()));
    }
    co_return false;
  }

  asio::awaitable<void> ProbeTcp(const ProbeSpec& spec, Deadline& deadline, ProbeResult& r) {
    std::vector<tcp::endpoint> endpoints;
    if (!co_await Resolve(spec.host, spec.port, deadline, r, endpoints)) co_return;
    tcp::socket socket(io_);
    std::string label = fmt::format("{}:{}", spec.host, spec.port);
    if (!co_await Connect(socket, std::move(endpoints), label, deadline, r)) co_return;
    r.ok = true;
    r.message = fmt::format("TCP connect to {} in {:.0f} ms", label, r.timings.connect.value_or(0));
  }

  // Resolve, connect, TLS for https, one request and its response, on a fresh connection.
  asio::awaitable<bool> Exchange(const http::Url& url, const Request& req, Deadline& deadline,
                                 Scratch& scratch, ProbeResult& r, Answer& out) {
    if (auto bad = BuildRequest(url, req, scratch.wire)) {
      Fail(r, Layer::kHttp, d::kError, *bad);
      co_return false;
    }
    std::vector<tcp::endpoint> endpoints;
    if (!co_await Resolve(url.host, url.port, deadline, r, endpoints)) co_return false;
    tcp::socket socket(io_);
    std::string label = fmt::format("{}:{}", url.host, url.port);
    if (!co_await Connect(socket, std::move(endpoints), label, deadline, r)) co_return false;
    scratch.buffer.consume(scratch.buffer.size());
    if (!url.tls) {
      PlainSocket plain(socket);
      co_return co_await RoundTrip(plain, scratch.wire, req, deadline, scratch.buffer, r, out);
    }

    auto tls = Tls(req.ca_file);
    if (!tls.ok()) {
      Fail(r, Layer::kTls, d::kError, tls.error().message());
      co_return false;
    }
    tls::Context& context = **tls;
    const std::string session_key = label;  // outlives the stream below
    tls::TlsSocket stream(socket, context.native().native_handle());
    SSL* ssl = stream.native_handle();
    if (!ssl || !context.PrepareClient(ssl, url.host, url.host_is_ip(),
                                       options_.tls_resumption ? &session_key : nullptr)) {
      Fail(r, Layer::kTls, d::kError, fmt::format("TLS: cannot verify host '{}'", url.host));
      co_return false;
    }
    auto t0 = Clock::now();
    error_code ec = co_await stream.Handshake();
    Add(r.timings.tls, Ms(Clock::now() - t0));
    r.cert_not_after = tls::LeafNotAfter(ssl);
    if (ec) {
      context.Forget(session_key);
      if (deadline.expired()) {
        Fail(r, Layer::kTls, d::kTimeout,
             fmt::format("TLS handshake with {} timed out after {} ms", url.HostHeader(),
                         WholeMs(deadline.budget())));
      } else if (SocketErrorDetail(ec) == d::kReset) {
        Fail(r, Layer::kTcp, d::kReset, "TCP connection reset during the TLS handshake");
      } else {
        auto failure = tls::ClassifyHandshakeFailure(ssl, ec, url.host);
        Fail(r, Layer::kTls, failure.detail, std::move(failure.message));
      }
      co_return false;
    }
    if (auto failure = context.AfterHandshake(ssl, session_key)) {
      Fail(r, Layer::kTls, failure->detail, std::move(failure->message));
      co_return false;
    }
    bool complete = co_await RoundTrip(stream, scratch.wire, req, deadline, scratch.buffer, r, out);
    // We close without a close_notify exchange (it would cost a round trip). After a complete
    // response that is no truncation, so mark the shutdown clean: otherwise OpenSSL marks the
    // session not resumable when the SSL object is freed.
    if (complete) SSL_set_shutdown(ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    co_return complete;
  }

  asio::awaitable<void> ProbeHttp(const ProbeSpec& spec, Deadline& deadline, Scratch& scratch,
                                  ProbeResult& r) {
    auto first = http::ParseUrl(spec.url);
    if (!first.ok()) {
      Fail(r, Layer::kHttp, d::kError, first.error().message());
      co_return;
    }
    const http::CompiledRegex* regex =
        spec.expect.body_regex.empty() ? nullptr : RegexFor(spec.expect.body_regex);
    http::Url url = *first;
    std::string method = spec.method.empty() ? "GET" : spec.method;
    Answer answer;
    for (int redirects = 0;; ++redirects) {
      answer = Answer();
      Request req{method, &spec.headers, {}, spec.max_body_bytes, &spec.expect, {}};
      if (!co_await Exchange(url, req, deadline, scratch, r, answer)) {
        // A redirect into a refused range (the page moved to an intranet host, or a caller's
        // host bounces the agent inward) names the hop, whose address alone would puzzle.
        if (redirects > 0 && r.detail == d::kAddressNotAllowed) {
          r.message = fmt::format("redirected to {}: {}", url.HostHeader(), r.message);
        }
        co_return;
      }
      r.http_status = answer.status;
      if (!http::ShouldFollow(spec.expect, answer.status) || answer.location.empty()) break;
      if (redirects >= spec.max_redirects) {
        Fail(r, Layer::kHttp, d::kRedirects,
             options_.quote_responses
                 ? fmt::format("more than {} redirects (last to {})", spec.max_redirects,
                               answer.location.substr(0, 100))
                 : fmt::format("more than {} redirects", spec.max_redirects));
        co_return;
      }
      auto next = http::ResolveLocation(url, answer.location);
      if (!next.ok()) {
        Fail(r, Layer::kHttp, d::kProtocol,
             options_.quote_responses ? fmt::format("bad redirect: {}", next.error().message())
                                      : std::string("bad redirect: not an http(s) URL"));
        co_return;
      }
      // As browsers do: 303, and 301/302 after a POST, continue as GET.
      if (answer.status == 303 ||
          ((answer.status == 301 || answer.status == 302) && method == "POST")) {
        method = "GET";
      }
      url = std::move(next).value();
    }

    if (!http::StatusAccepted(spec.expect, answer.status)) {
      Fail(r, Layer::kHttp, d::kStatus,
           StatusText(answer.status, answer.reason, options_.quote_responses));
      co_return;
    }
    if (auto failure =
            http::CheckContent(spec.expect, regex, answer.body, options_.quote_responses)) {
      // Captive portal: we were redirected to another site (not a subdomain or sibling of the
      // host asked) and that page lacks the expected content. A portal that answers in place of
      // the real host (DNS hijack, no redirect) on plain HTTP looks like content/missing; on
      // https it fails the certificate check instead.
      if (failure->detail != d::kError && !http::SameSite(first->host, url.host)) {
        Fail(r, Layer::kContent, d::kCaptivePortal,
             fmt::format("redirected to {} whose page lacks the expected content: a captive "
                         "portal or login page?",
                         options_.quote_responses ? url.host : "another site"));
      } else {
        Fail(r, Layer::kContent, failure->detail, std::move(failure->message));
      }
      co_return;
    }
    r.ok = true;
    r.message = StatusText(answer.status, answer.reason, options_.quote_responses);
  }

  asio::io_context& io_;
  Options options_;
  std::unique_ptr<dns::Channel> system_;
  dns::HostsTable hosts_;
  std::unordered_map<std::string, std::unique_ptr<dns::Channel>> direct_;  // by ProbeSpec::resolver
  std::unique_ptr<tls::Context> tls_;
  struct FetchTls {
    std::unique_ptr<tls::Context> context;
    long long stamp = 0;  // the CA file's mtime and size when loaded
  };
  std::map<std::string, FetchTls> fetch_tls_;  // by FetchRequest::ca_file
  std::unordered_map<std::string, std::unique_ptr<http::CompiledRegex>> regexes_;  // by pattern
  std::size_t in_flight_ = 0;
  std::deque<asio::steady_timer*> slot_waiters_;
};

}  // namespace

core::Result<std::unique_ptr<Prober>> CreateProber(asio::io_context& io, const Options& options) {
  auto prober = std::make_unique<ProberImpl>(io, options);
  if (auto status = prober->Init(); !status.ok()) return status.error();
  return std::unique_ptr<Prober>(std::move(prober));
}

core::Result<std::vector<ProbeResult>> RunBlocking(std::vector<ProbeSpec> specs,
                                                   const Options& options) {
  asio::io_context io(1);  // one thread: lets asio skip its internal locking
  std::vector<ProbeResult> results;
  {
    auto prober = CreateProber(io, options);
    if (!prober.ok()) return prober.error();
    std::exception_ptr failure;
    asio::co_spawn(
        io, [&]() -> asio::awaitable<void> { results = co_await (*prober)->Run(std::move(specs)); },
        [&](std::exception_ptr e) { failure = e; });
    io.run();
    if (failure) {
      try {
        std::rethrow_exception(failure);
      } catch (const std::exception& e) {
        return core::MakeError(core::ErrorCode::kInternal, "prober: {}", e.what());
      }
    }
  }
  return results;
}

}  // namespace lifeline::probe
