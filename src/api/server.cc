// The API's HTTP/1.1 transport: Beast on asio coroutines, one coroutine per connection on its own
// strand, checks in the order that costs a bad client the most and us the least (path, method,
// token, query, declared size, media type, body), and /v1/events streamed from a bounded queue.
#include "api/server.h"

#include <algorithm>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <condition_variable>
#include <ctime>
#include <deque>
#include <limits>
#include <list>
#include <mutex>
#include <optional>
#include <thread>

#include "api/http_util.h"
#include "api/metrics.h"
#include "api/route_group.h"
#include "api/routes.h"
#include "api/sse.h"
#include "api/static_files.h"
#include "core/listen_address.h"

namespace lifeline::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;
using internal::ErrorResponse;
using internal::Request;
using internal::Response;

namespace {

constexpr std::string_view kServerHeader = "lifeline/0.1.0";
constexpr std::size_t kHeaderLimit = 16 * 1024;
constexpr std::chrono::milliseconds kLingerTimeout{500};
constexpr std::size_t kLingerBytes = 1 << 20;
// How long a dropped live-event client gets to take its final error event.
constexpr std::chrono::milliseconds kDropGrace{1000};

// One connection. Everything but the registry entry is touched only on the connection's strand.
struct Conn {
  explicit Conn(tcp::socket socket) : stream(std::move(socket)) {}
  beast::tcp_stream stream;
  bool busy = false;       // between reading a request header and writing its answer
  bool streaming = false;  // serving /v1/events
  std::optional<asio::steady_timer> drop_timer;  // a live-event client that fell behind
};

// A check waiting for Backend::CheckNow. `complete` posts the result to the waiting coroutine;
// it is taken (and so runs at most once) by the backend's callback, the timeout or Stop().
struct PendingCheck {
  void Complete(core::Result<json> result) {
    std::lock_guard lock(mu);
    if (!complete) return;
    auto f = std::move(complete);
    complete = nullptr;
    // Still under the lock: once Stop() has completed every pending check, no callback can post
    // to the io_context any more.
    f(std::move(result));
  }

  std::mutex mu;  // guards complete
  std::function<void(core::Result<json>)> complete;
};

// A live-event client's queue, filled by the backend's thread and drained by the connection's
// coroutine.
struct SseClient {
  SseClient(asio::any_io_executor ex, std::size_t max_frames)
      : executor(std::move(ex)), limit(max_frames) {}

  // False once the client is closed or dropped: then its events need not even be formatted.
  bool Accepting() {
    std::lock_guard lock(mu);
    return !closed && !overflow;
  }

  // Called on the backend's thread.
  void Push(std::string frame) {
    std::lock_guard lock(mu);
    if (closed || overflow) return;
    if (frames.size() >= limit) {
      overflow = true;
      frames.clear();
      asio::post(executor, [conn = conn, timer = timer] {
        if (auto c = conn.lock(); c && !c->drop_timer) {
          // The writer may be stuck in a write to a client that does not read: give it a moment
          // to take the final error event, then close.
          c->drop_timer.emplace(c->stream.get_executor(), kDropGrace);
          c->drop_timer->async_wait([weak = std::weak_ptr<Conn>(c)](beast::error_code ec) {
            if (auto c2 = weak.lock(); c2 && !ec) c2->stream.socket().close(ec);
          });
        }
        if (auto t = timer.lock()) t->cancel();
      });
      return;
    }
    frames.push_back(std::move(frame));
    if (!wake_pending) {
      wake_pending = true;
      asio::post(executor, [timer = timer] {
        if (auto t = timer.lock()) t->cancel();
      });
    }
  }

  // Called on the connection's strand: everything queued, as one string.
  std::string Take(bool& overflowed) {
    std::lock_guard lock(mu);
    wake_pending = false;
    overflowed = overflow;
    std::string out;
    for (auto& f : frames) out += f;
    frames.clear();
    return out;
  }

  void Close() {
    std::lock_guard lock(mu);
    closed = true;
    frames.clear();
  }

  const asio::any_io_executor executor;  // the connection's strand
  const std::size_t limit;
  // Set before subscribing, read only on the strand (in posted handlers).
  std::weak_ptr<asio::steady_timer> timer;  // the writer's wake-up timer
  std::weak_ptr<Conn> conn;

  std::mutex mu;  // guards the fields below
  std::deque<std::string> frames;
  bool overflow = false;
  bool closed = false;
  bool wake_pending = false;
};

// "Tue, 15 Nov 1994 08:12:31 GMT", formatted once a second per thread.
std::string_view HttpDate() {
  thread_local std::time_t last = 0;
  thread_local char text[64] = {};
  std::time_t now = std::time(nullptr);
  if (now != last) {
    last = now;
    std::tm tm{};
    gmtime_r(&now, &tm);
    std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  }
  return text;
}

std::string_view View(beast::string_view v) { return {v.data(), v.size()}; }
beast::string_view Bv(std::string_view v) { return {v.data(), v.size()}; }

// A request path fit for a log line: no query, no control characters, bounded length.
std::string LogPath(std::string_view target) {
  target = target.substr(0, target.find('?'));
  std::string out;
  for (char c : target.substr(0, 120)) {
    out.push_back(static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? '?' : c);
  }
  return out;
}

// True for errors that mean the bytes were not HTTP (answered with 400), as opposed to the peer
// going away or the header timeout (the connection just closes).
bool IsSyntaxError(const beast::error_code& ec) {
  if (ec.category() != http::make_error_code(http::error::bad_method).category()) return false;
  return ec != http::error::end_of_stream && ec != http::error::partial_message &&
         ec != http::error::need_more && ec != http::error::header_limit;
}

std::string PeerAddress(const tcp::socket& socket) {
  beast::error_code ec;
  auto ep = socket.remote_endpoint(ec);
  if (ec) return "?";
  auto address = ep.address();
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  }
  return address.to_string();
}

std::string AllowHeader(const std::vector<http::verb>& methods, bool cors) {
  std::string out;
  auto add = [&](std::string_view m) {
    if (out.find(m) != std::string::npos) return;
    if (!out.empty()) out += ", ";
    out += m;
  };
  for (auto m : methods) {
    add(View(http::to_string(m)));
    if (m == http::verb::get) add("HEAD");
  }
  if (cors) add("OPTIONS");
  return out;
}

}  // namespace

struct Server::State {
  State(Backend& b, ServerOptions o)
      : io(std::make_unique<asio::io_context>(
            static_cast<int>(std::max<std::size_t>(1, o.threads)))),
        backend(b),
        options(std::move(o)),
        statics(options.web_root) {}

  ~State() {
    // The io_context goes first: destroying it destroys the coroutines still suspended in it,
    // whose destructors touch the registry below.
    acceptor.reset();
    {
      std::lock_guard lock(conns_mu);
      conns.clear();
    }
    io.reset();
  }

  void Log(std::string_view line) const {
    if (options.log) options.log(line);
  }

  void Register(const std::shared_ptr<Conn>& conn) {
    std::lock_guard lock(conns_mu);
    conns.push_back(conn);
    metrics.ConnectionOpened();
  }

  void Unregister(const Conn* conn) {
    {
      std::lock_guard lock(conns_mu);
      conns.remove_if([conn](const std::shared_ptr<Conn>& c) { return c.get() == conn; });
    }
    metrics.ConnectionClosed();
    conns_cv.notify_all();
  }

  std::unique_ptr<asio::io_context> io;  // first: see ~State
  Backend& backend;
  const ServerOptions options;
  const StaticFiles statics;
  HttpMetrics metrics;
  // The core table followed by the parts' routes (ServerOptions::groups), built by Start();
  // part_routes owns what their Route::part points at.
  std::vector<std::vector<PartRoute>> part_routes;
  std::vector<internal::Route> routes;
  std::optional<tcp::acceptor> acceptor;  // on its own strand
  tcp::endpoint bound;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::vector<std::thread> threads;
  // Runs the part routes marked `blocking` (route_group.h), so a handler waiting on the disk
  // never holds an I/O thread; created by Start when some route needs it.
  std::optional<asio::thread_pool> blocking;
  std::atomic<bool> stopping{false};
  bool started = false;  // Start/Stop's thread only

  std::mutex conns_mu;  // guards conns
  std::condition_variable conns_cv;
  std::list<std::shared_ptr<Conn>> conns;

  std::mutex checks_mu;  // guards checks
  std::list<std::weak_ptr<PendingCheck>> checks;

  // Part routes started (PartRoute::start) whose answer has not been handed back yet: their
  // completions post to `io`, so Stop() waits for them before anything goes.
  void PartStarted() {
    std::lock_guard lock(parts_mu);
    ++started_parts;
  }
  void PartAnswered() {
    std::lock_guard lock(parts_mu);
    if (--started_parts == 0) parts_cv.notify_all();
  }
  std::mutex parts_mu;  // guards started_parts
  std::condition_variable parts_cv;
  std::size_t started_parts = 0;
};

namespace {

using State = Server::State;

// Unregisters a connection however its coroutine ends (also when destroyed while suspended).
struct ConnGuard {
  State* st;
  const Conn* conn;
  ~ConnGuard() { st->Unregister(conn); }
};

asio::awaitable<core::Result<json>> RunCheck(State* st, std::vector<std::string> ids) {
  auto pending = std::make_shared<PendingCheck>();
  {
    std::lock_guard lock(st->checks_mu);
    // Checked under the lock Stop() takes to fail waiting checks, so none starts after that.
    if (st->stopping) {
      co_return core::MakeError(core::ErrorCode::kUnavailable, "the server is shutting down");
    }
    st->checks.remove_if([](const std::weak_ptr<PendingCheck>& w) { return w.expired(); });
    st->checks.push_back(pending);
  }
  auto ex = co_await asio::this_coro::executor;
  auto timer = std::make_shared<asio::steady_timer>(ex, st->options.check_timeout);
  const auto timeout = st->options.check_timeout;
  core::Result<json> result =
      co_await asio::async_initiate<const asio::use_awaitable_t<>&, void(core::Result<json>)>(
          [&](auto handler) {
            auto h = std::make_shared<decltype(handler)>(std::move(handler));
            pending->complete = [ex, h, timer](core::Result<json> r) {
              asio::post(ex, [h, timer, r = std::move(r)]() mutable {
                timer->cancel();
                (*h)(std::move(r));
              });
            };
            timer->async_wait([pending, timeout](beast::error_code ec) {
              if (ec) return;
              pending->Complete(core::MakeError(core::ErrorCode::kDeadlineExceeded,
                                                "the check did not finish within {} s",
                                                timeout.count() / 1000.0));
            });
            st->backend.CheckNow(std::move(ids), [pending](core::Result<json> r) {
              pending->Complete(std::move(r));
            });
          },
          asio::use_awaitable);
  co_return result;
}

asio::awaitable<bool> WriteResponse(State* st, Conn& conn, const Response& r, unsigned version,
                                    bool keep_alive, bool head, bool api) {
  http::response<http::span_body<const char>> res{r.status, version};
  res.set(http::field::server, Bv(kServerHeader));
  res.set(http::field::date, Bv(HttpDate()));
  if (!r.content_type.empty()) res.set(http::field::content_type, r.content_type);
  for (const auto& [name, value] : r.headers) res.set(name, value);
  if (!r.cache_control.empty()) res.set(http::field::cache_control, r.cache_control);
  res.set("X-Content-Type-Options", "nosniff");
  if (!r.allow.empty()) res.set(http::field::allow, r.allow);
  if (r.authenticate) res.set(http::field::www_authenticate, "Bearer");
  if (api && !st->options.cors_origin.empty()) {
    res.set(http::field::access_control_allow_origin, st->options.cors_origin);
    if (st->options.cors_origin != "*") res.set(http::field::vary, "Origin");
  }
  res.keep_alive(keep_alive);
  std::string_view body = r.Body();
  beast::error_code ec;
  conn.stream.expires_after(st->options.write_timeout);
  if (head) {
    res.content_length(body.size());
    http::response_serializer<http::span_body<const char>> sr{res};
    co_await http::async_write_header(conn.stream, sr,
                                      asio::redirect_error(asio::use_awaitable, ec));
  } else {
    res.body() = {body.data(), body.size()};
    res.content_length(body.size());
    co_await http::async_write(conn.stream, res, asio::redirect_error(asio::use_awaitable, ec));
  }
  conn.stream.expires_never();
  co_return !ec;
}

// Reads (and discards) whatever a live-event client sends, to learn when it goes away.
asio::awaitable<void> WatchForClose(std::shared_ptr<Conn> conn,
                                    std::shared_ptr<asio::steady_timer> timer,
                                    std::shared_ptr<bool> gone) {
  char sink[512];
  beast::error_code ec;
  while (!ec) {
    co_await conn->stream.socket().async_read_some(asio::buffer(sink),
                                                   asio::redirect_error(asio::use_awaitable, ec));
  }
  *gone = true;
  timer->cancel();
}

// GET /v1/events: the response header, then events as they come and a ping when idle, until the
// client goes, falls too far behind, or the server stops.
asio::awaitable<void> StreamEvents(State* st, std::shared_ptr<Conn> conn, unsigned version,
                                   Clock::time_point start, const std::string& peer) {
  const auto ex = conn->stream.get_executor();
  auto timer = std::make_shared<asio::steady_timer>(ex);
  auto client =
      std::make_shared<SseClient>(ex, std::max<std::size_t>(1, st->options.sse_queue_events));
  client->timer = timer;
  client->conn = conn;
  // Closes the queue before unsubscribing, also when the coroutine is destroyed while suspended:
  // after that no backend thread can post to this connection's strand.
  struct Subscribed {
    std::shared_ptr<SseClient> client;
    std::vector<std::unique_ptr<Backend::Subscription>> subscriptions;
    ~Subscribed() {
      client->Close();
      subscriptions.clear();
    }
  } subscribed{client, {}};
  auto sink = [client](const LiveEvent& event) {
    if (client->Accepting()) client->Push(internal::SseFrame(event));
  };
  subscribed.subscriptions.push_back(st->backend.Subscribe(sink));
  for (RouteGroup* group : st->options.groups) {
    if (auto sub = group->Subscribe(sink)) subscribed.subscriptions.push_back(std::move(sub));
  }
  conn->streaming = true;
  st->metrics.SseOpened();

  http::response<http::empty_body> res{http::status::ok, version};
  res.set(http::field::server, Bv(kServerHeader));
  res.set(http::field::date, Bv(HttpDate()));
  res.set(http::field::content_type, "text/event-stream");
  res.set(http::field::cache_control, "no-store");
  res.set("X-Accel-Buffering", "no");  // proxies must pass events on at once
  if (!st->options.cors_origin.empty()) {
    res.set(http::field::access_control_allow_origin, st->options.cors_origin);
  }
  // The stream ends when the connection closes: no length, no reuse.
  res.keep_alive(false);
  beast::error_code ec;
  conn->stream.expires_after(st->options.write_timeout);
  http::response_serializer<http::empty_body> sr{res};
  co_await http::async_write_header(conn->stream, sr,
                                    asio::redirect_error(asio::use_awaitable, ec));
  st->metrics.Observe(200, Clock::now() - start);
  st->Log(fmt::format("{} GET /v1/events 200 stream", peer));

  auto gone = std::make_shared<bool>(false);
  if (!ec) {
    asio::co_spawn(ex, WatchForClose(conn, timer, gone), asio::detached);
    // Tell EventSource to reconnect after 3 s rather than its default.
    std::string_view hello = "retry: 3000\n\n";
    co_await asio::async_write(conn->stream, asio::buffer(hello.data(), hello.size()),
                               asio::redirect_error(asio::use_awaitable, ec));
  }
  auto next_ping = Clock::now() + st->options.sse_ping_interval;
  bool dropped = false;
  while (!ec && !*gone && !st->stopping) {
    bool overflowed = false;
    std::string batch = client->Take(overflowed);
    if (overflowed) {
      dropped = true;
      break;
    }
    if (batch.empty()) {
      if (Clock::now() < next_ping) {
        timer->expires_at(next_ping);
        beast::error_code wait_ec;
        co_await timer->async_wait(asio::redirect_error(asio::use_awaitable, wait_ec));
        continue;
      }
      batch = ": ping\n\n";
      next_ping = Clock::now() + st->options.sse_ping_interval;
    }
    conn->stream.expires_after(st->options.write_timeout);
    co_await asio::async_write(conn->stream, asio::buffer(batch),
                               asio::redirect_error(asio::use_awaitable, ec));
  }
  if (!dropped) {
    // The write may have failed because the drop timer closed a stuck client's socket.
    (void)client->Take(dropped);
  }
  client->Close();
  subscribed.subscriptions.clear();
  if (dropped) {
    st->metrics.SseDropped();
    st->Log(
        fmt::format("{} GET /v1/events dropped: more than {} events waiting", peer, client->limit));
    std::string last = internal::SseFrame(
        {"error",
         {{"error",
           {{"code", "resource_exhausted"},
            {"message", fmt::format("this client fell more than {} events behind and was "
                                    "disconnected; reconnect and reload the current state",
                                    client->limit)}}}}});
    if (!conn->drop_timer) {
      conn->drop_timer.emplace(ex, kDropGrace);
      conn->drop_timer->async_wait([weak = std::weak_ptr<Conn>(conn)](beast::error_code e) {
        if (auto c = weak.lock(); c && !e) c->stream.socket().close(e);
      });
    }
    if (conn->stream.socket().is_open()) {
      conn->stream.expires_after(kDropGrace);
      co_await asio::async_write(conn->stream, asio::buffer(last),
                                 asio::redirect_error(asio::use_awaitable, ec));
    }
  }
  st->metrics.SseClosed();
  if (conn->drop_timer) conn->drop_timer->cancel();
  conn->stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  conn->stream.socket().close(ec);
  timer->cancel();
}

// What a request resolved to before its handler runs.
struct Dispatched {
  Response response;
  bool streamed = false;  // /v1/events took the connection over
};

// Runs a part route's `start` and waits, without holding the thread, for its answer: the answer
// is posted to this connection's strand, which stores it and wakes the coroutine (a timer that
// never expires by itself, cancelled). Counted in State::started_parts until the answer is on
// its way, so that Stop() waits for it.
asio::awaitable<Response> StartPart(State* st, const PartRoute& part, Request& request) {
  struct Pending {
    explicit Pending(const asio::any_io_executor& ex) : wake(ex) {}
    asio::steady_timer wake;
    std::optional<Response> answer;
  };
  auto pending = std::make_shared<Pending>(co_await asio::this_coro::executor);
  pending->wake.expires_at(asio::steady_timer::time_point::max());
  st->PartStarted();
  internal::StartPart(part, request, [st, pending](Response r) {
    // On the strand: nothing else of this connection runs meanwhile, and the coroutine is
    // already waiting (it started waiting before leaving the strand).
    asio::post(pending->wake.get_executor(), [pending, r = std::move(r)]() mutable {
      pending->answer = std::move(r);
      pending->wake.cancel();
    });
    st->PartAnswered();
  });
  beast::error_code ec;
  while (!pending->answer) {
    co_await pending->wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  co_return std::move(*pending->answer);
}

// Routes one request whose header has been read; reads the body only once the caller is known
// and allowed.
asio::awaitable<Dispatched> Dispatch(State* st, const std::shared_ptr<Conn>& conn,
                                     beast::flat_buffer& buffer,
                                     http::request_parser<http::string_body>& parser,
                                     const std::string& peer, Clock::time_point start, bool& api) {
  auto& req = parser.get();
  const std::string_view target = View(req.target());
  const auto method = req.method();
  const bool has_body = !parser.is_done();
  auto refuse = [&](Response r) {
    // A refused request's body was not read: the connection cannot carry another request.
    r.close = r.close || has_body;
    return Dispatched{std::move(r)};
  };
  if (target.empty() || target.front() != '/') {
    co_return refuse(ErrorResponse(http::status::bad_request, "invalid_argument",
                                   "the request target must be a path"));
  }
  const auto qmark = target.find('?');
  const std::string_view path = target.substr(0, qmark);
  const std::string_view query =
      qmark == std::string_view::npos ? std::string_view() : target.substr(qmark + 1);
  api = internal::IsApiPath(path);
  const bool cors = !st->options.cors_origin.empty();

  // ---- routing ----
  const internal::Route* route = nullptr;
  Request request;
  if (api) {
    std::vector<http::verb> methods;
    std::vector<std::pair<std::string, std::string>> params;
    for (const auto& r : st->routes) {
      if (!internal::MatchPattern(r.pattern, path, params)) continue;
      methods.push_back(r.method);
      if (r.method == method || (method == http::verb::head && r.method == http::verb::get)) {
        route = &r;
        request.params = params;
      }
    }
    if (methods.empty()) {
      co_return refuse(ErrorResponse(http::status::not_found, "not_found",
                                     fmt::format("no API endpoint {}", LogPath(path))));
    }
    if (method == http::verb::options && cors) {
      Response r;
      r.status = http::status::no_content;
      r.content_type.clear();
      r.cache_control.clear();
      r.headers = {{"Access-Control-Allow-Methods", AllowHeader(methods, cors)},
                   {"Access-Control-Allow-Headers", "Authorization, Content-Type"},
                   {"Access-Control-Max-Age", "600"}};
      co_return refuse(std::move(r));
    }
    if (!route) {
      Response r = ErrorResponse(http::status::method_not_allowed, "invalid_argument",
                                 fmt::format("{} does not take {}", LogPath(path),
                                             View(req.method_string()).substr(0, 16)));
      r.allow = AllowHeader(methods, cors);
      co_return refuse(std::move(r));
    }
  } else if (method != http::verb::get && method != http::verb::head) {
    Response r = ErrorResponse(http::status::method_not_allowed, "invalid_argument",
                               "the dashboard's pages take GET and HEAD only");
    r.allow = "GET, HEAD";
    co_return refuse(std::move(r));
  } else {
    StaticReply s = st->statics.Get(path);
    Response r;
    r.status = s.status;
    r.content_type = std::move(s.content_type);
    r.cache_control = std::move(s.cache_control);
    r.body = std::move(s.body);
    co_return refuse(std::move(r));
  }

  // ---- authentication ----
  Role role = st->options.anonymous_role;
  bool anonymous = true;
  if (auto it = req.find(http::field::authorization); it != req.end()) {
    anonymous = false;
    std::string_view value = View(it->value());
    constexpr std::string_view kScheme = "bearer ";
    if (value.size() < kScheme.size() ||
        !internal::IEquals(value.substr(0, kScheme.size()), kScheme)) {
      Response r = ErrorResponse(http::status::unauthorized, "unauthenticated",
                                 "the Authorization header must be 'Bearer <token>'");
      r.authenticate = true;
      co_return refuse(std::move(r));
    }
    value.remove_prefix(kScheme.size());
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
    auto authenticated = st->backend.Authenticate(value);
    if (!authenticated) {
      Response r = ErrorResponse(authenticated.error());
      r.authenticate = authenticated.error().code() == core::ErrorCode::kUnauthenticated;
      co_return refuse(std::move(r));
    }
    role = *authenticated;
  }
  if (role < route->min_role) {
    if (anonymous) {
      Response r = ErrorResponse(http::status::unauthorized, "unauthenticated",
                                 fmt::format("this endpoint needs a token with role {} or higher "
                                             "(Authorization: Bearer <token>)",
                                             route->min_role == Role::kViewer     ? "viewer"
                                             : route->min_role == Role::kOperator ? "operator"
                                                                                  : "admin"));
      r.authenticate = true;
      co_return refuse(std::move(r));
    }
    co_return refuse(ErrorResponse(http::status::forbidden, "permission_denied",
                                   fmt::format("this endpoint needs role {} or higher",
                                               route->min_role == Role::kViewer     ? "viewer"
                                               : route->min_role == Role::kOperator ? "operator"
                                                                                    : "admin")));
  }
  request.role = role;

  // ---- query ----
  auto parsed_query = internal::ParseQuery(query);
  if (!parsed_query) co_return refuse(ErrorResponse(parsed_query.error()));
  for (std::size_t i = 0; i < parsed_query->size(); ++i) {
    const std::string& name = (*parsed_query)[i].first;
    if (std::find(route->query.begin(), route->query.end(), name) == route->query.end()) {
      std::string accepted;
      for (auto q : route->query)
        accepted += accepted.empty() ? std::string(q) : ", " + std::string(q);
      nlohmann::json quoted = name;
      co_return refuse(ErrorResponse(
          http::status::bad_request, "invalid_argument",
          fmt::format(
              "unknown query parameter {}; {}",
              quoted.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
              accepted.empty() ? "this endpoint takes none" : "this endpoint takes " + accepted)));
    }
    for (std::size_t j = 0; j < i; ++j) {
      if ((*parsed_query)[j].first == name) {
        co_return refuse(ErrorResponse(http::status::bad_request, "invalid_argument",
                                       fmt::format("query parameter '{}' is given twice", name)));
      }
    }
  }
  request.query = std::move(*parsed_query);

  // ---- body ----
  const std::size_t cap = st->options.max_body_bytes;
  if (has_body) {
    if (parser.content_length() && *parser.content_length() > cap) {
      co_return refuse(
          ErrorResponse(http::status::payload_too_large, "resource_exhausted",
                        fmt::format("the body ({} bytes) is over the limit of {} bytes",
                                    *parser.content_length(), cap)));
    }
    if (route->body != internal::BodyRule::kNone &&
        !internal::IsJsonMediaType(View(req[http::field::content_type]))) {
      co_return refuse(ErrorResponse(http::status::unsupported_media_type, "invalid_argument",
                                     "the body must be JSON: send Content-Type: application/json"));
    }
    parser.body_limit(cap);
    beast::error_code ec;
    if (internal::IEquals(View(req[http::field::expect]), "100-continue")) {
      http::response<http::empty_body> go_on{http::status::continue_, req.version()};
      conn->stream.expires_after(st->options.write_timeout);
      co_await http::async_write(conn->stream, go_on,
                                 asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return refuse(Response{.close = true});
    }
    conn->stream.expires_after(st->options.body_timeout);
    co_await http::async_read(conn->stream, buffer, parser,
                              asio::redirect_error(asio::use_awaitable, ec));
    conn->stream.expires_never();
    if (ec == http::error::body_limit) {
      auto r = ErrorResponse(http::status::payload_too_large, "resource_exhausted",
                             fmt::format("the body is over the limit of {} bytes", cap));
      r.close = true;  // the rest of the body is still in the stream
      co_return Dispatched{std::move(r)};
    }
    if (ec) {
      auto r = ec == beast::error::timeout
                   ? ErrorResponse(http::status::request_timeout, "deadline_exceeded",
                                   "the body did not arrive in time")
                   : ErrorResponse(http::status::bad_request, "invalid_argument",
                                   "cannot read the body: " + ec.message());
      r.close = true;
      co_return Dispatched{std::move(r)};
    }
    if (route->body != internal::BodyRule::kNone) request.body = std::move(parser.get().body());
  }
  if (route->body == internal::BodyRule::kRequired && request.body.empty()) {
    co_return Dispatched{ErrorResponse(http::status::bad_request, "invalid_argument",
                                       "this endpoint needs a JSON body")};
  }

  // ---- handler ----
  request.method = method;
  request.path = std::string(path);
  request.peer_address = peer;
  if (route->part != nullptr) {
    for (const std::string& name : route->part->headers) {
      if (auto it = req.find(name); it != req.end()) {
        request.headers.emplace_back(name, std::string(View(it->value())));
      }
    }
  }
  if (route->kind == internal::RouteKind::kEvents) {
    if (method == http::verb::head) {
      Response r;
      r.content_type = "text/event-stream";
      co_return Dispatched{std::move(r)};
    }
    co_await StreamEvents(st, conn, req.version(), start, peer);
    co_return Dispatched{Response{}, true};
  }
  internal::Env env{st->backend, st->options, st->metrics,
                    [st](std::vector<std::string> ids) { return RunCheck(st, std::move(ids)); }};
  // Not `co_return Dispatched{co_await ...}`: GCC 12 destroys the awaited temporary too early
  // when co_await sits inside a braced initializer.
  if (route->part != nullptr && route->part->start) {
    // No thread waits: the part answers when its work is done, and the answer resumes this
    // coroutine on its own executor.
    Response r = co_await StartPart(st, *route->part, request);
    co_return Dispatched{std::move(r)};
  }
  if (route->part != nullptr && route->part->blocking && st->blocking) {
    // On the pool; this coroutine resumes on its own executor with the answer.
    const PartRoute* part = route->part;
    Response r = co_await asio::co_spawn(
        st->blocking->get_executor(),
        [part, &request]() -> asio::awaitable<Response> {
          co_return internal::RunPart(*part, request);
        },
        asio::use_awaitable);
    co_return Dispatched{std::move(r)};
  }
  if (route->part != nullptr) co_return Dispatched{internal::RunPart(*route->part, request)};
  Response response = co_await route->handler(env, request);
  co_return Dispatched{std::move(response)};
}

asio::awaitable<void> ServeRequests(State* st, std::shared_ptr<Conn> conn,
                                    const std::string& peer) {
  beast::flat_buffer buffer;
  for (;;) {
    conn->busy = false;
    if (st->stopping) co_return;
    http::request_parser<http::string_body> parser;
    parser.header_limit(kHeaderLimit);
    // No limit while reading the header: the declared size is checked after authentication.
    // (Not boost::none: Beast 1.74 compares Content-Length > none as true.)
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    conn->stream.expires_after(st->options.header_timeout);
    beast::error_code ec;
    co_await http::async_read_header(conn->stream, buffer, parser,
                                     asio::redirect_error(asio::use_awaitable, ec));
    conn->stream.expires_never();
    if (ec) {
      Response r;
      if (ec == http::error::header_limit) {
        r = ErrorResponse(http::status::request_header_fields_too_large, "resource_exhausted",
                          fmt::format("the request header is over {} bytes", kHeaderLimit));
      } else if (IsSyntaxError(ec)) {
        r = ErrorResponse(http::status::bad_request, "invalid_argument",
                          "not a valid HTTP/1.1 request: " + ec.message());
      } else {
        co_return;  // peer gone, idle or too slow: nothing to answer
      }
      conn->busy = true;
      co_await WriteResponse(st, *conn, r, 11, false, false, true);
      st->metrics.Observe(static_cast<unsigned>(r.status), {});
      co_return;
    }
    conn->busy = true;
    const auto start = Clock::now();
    const auto method = parser.get().method();
    const unsigned version = parser.get().version();
    const bool wants_keep_alive = parser.get().keep_alive();
    std::string log_line;
    if (st->options.log) {
      log_line = fmt::format("{} {} {}", peer, View(parser.get().method_string()).substr(0, 16),
                             LogPath(View(parser.get().target())));
    }
    bool api = true;
    Dispatched d = co_await Dispatch(st, conn, buffer, parser, peer, start, api);
    if (d.streamed) co_return;
    const bool keep_alive = wants_keep_alive && !d.response.close && !st->stopping;
    bool written = co_await WriteResponse(st, *conn, d.response, version, keep_alive,
                                          method == http::verb::head, api);
    const auto elapsed = Clock::now() - start;
    st->metrics.Observe(static_cast<unsigned>(d.response.status), elapsed);
    if (st->options.log) {
      st->Log(fmt::format("{} {} {:.1f}ms", log_line, static_cast<unsigned>(d.response.status),
                          std::chrono::duration<double, std::milli>(elapsed).count()));
    }
    if (!keep_alive || !written) co_return;
  }
}

asio::awaitable<void> Serve(State* st, std::shared_ptr<Conn> conn) {
  ConnGuard guard{st, conn.get()};
  const std::string peer = PeerAddress(conn->stream.socket());
  beast::error_code ec;
  try {
    co_await ServeRequests(st, conn, peer);
  } catch (const std::exception& e) {
    st->Log(fmt::format("{} connection failed: {}", peer, e.what()));
  }
  // Lingering close: a refused request's body may still be arriving; closing with unread bytes
  // would send a reset that can destroy our answer in the client's buffer before it reads it.
  conn->stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  if (conn->stream.socket().is_open() && !st->stopping) {
    conn->stream.expires_after(kLingerTimeout);
    std::size_t drained = 0;
    char sink[4096];
    while (drained < kLingerBytes) {
      std::size_t n = co_await conn->stream.async_read_some(
          asio::buffer(sink), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
      drained += n;
    }
  }
  conn->stream.socket().close(ec);
}

asio::awaitable<void> AcceptLoop(State* st) {
  for (;;) {
    beast::error_code ec;
    tcp::socket socket(asio::make_strand(*st->io));
    co_await st->acceptor->async_accept(socket, asio::redirect_error(asio::use_awaitable, ec));
    if (st->stopping || ec == asio::error::operation_aborted) co_return;
    if (ec) {
      // Out of file descriptors and the like: wait instead of spinning.
      st->Log(fmt::format("accept failed: {}", ec.message()));
      asio::steady_timer pause(*st->io, std::chrono::milliseconds(100));
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    {
      std::lock_guard lock(st->conns_mu);
      if (st->conns.size() >= st->options.max_connections) {
        socket.close(ec);
        continue;
      }
    }
    socket.set_option(tcp::no_delay(true), ec);
    auto conn = std::make_shared<Conn>(std::move(socket));
    st->Register(conn);
    auto ex = conn->stream.get_executor();
    asio::co_spawn(ex, Serve(st, std::move(conn)), [st](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex2) {
        st->Log(fmt::format("connection failed: {}", ex2.what()));
      }
    });
  }
}

}  // namespace

Server::Server(Backend& backend, ServerOptions options)
    : state_(std::make_unique<State>(backend, std::move(options))) {}

Server::~Server() { Stop(); }

core::Status Server::Start() {
  State& st = *state_;
  if (st.started) return core::MakeError(core::ErrorCode::kFailedPrecondition, "already started");
  st.routes = internal::RouteTable();
  st.part_routes.clear();
  st.part_routes.reserve(st.options.groups.size());  // Route::part points into these
  for (RouteGroup* group : st.options.groups) {
    st.part_routes.push_back(group->Routes());
    for (const PartRoute& part : st.part_routes.back()) {
      auto route = internal::FromPart(part);
      if (!route.ok()) return route.error();
      for (const internal::Route& other : st.routes) {
        if (other.method == route->method && other.pattern == route->pattern) {
          return core::MakeError(core::ErrorCode::kInternal, "two API routes for {} {}",
                                 part.method, part.pattern);
        }
      }
      st.routes.push_back(*route);
    }
  }
  auto endpoint = core::ParseListenAddress(st.options.listen);
  if (!endpoint) return endpoint.error();
  beast::error_code ec;
  auto fail = [&](const char* what) {
    st.acceptor.reset();
    return core::MakeError(core::ErrorCode::kUnavailable, "cannot listen on {}: {} ({})",
                           st.options.listen, ec.message(), what);
  };
  st.acceptor.emplace(asio::make_strand(*st.io));
  st.acceptor->open(endpoint->protocol(), ec);
  if (ec) return fail("socket");
  st.acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (ec) return fail("SO_REUSEADDR");
  st.acceptor->bind(*endpoint, ec);
  if (ec) return fail("bind");
  st.acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail("listen");
  st.bound = st.acceptor->local_endpoint(ec);
  st.started = true;
  st.work.emplace(st.io->get_executor());
  State* raw = &st;
  asio::co_spawn(st.acceptor->get_executor(), AcceptLoop(raw), [raw](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      raw->Log(fmt::format("accept loop failed: {}", ex.what()));
    }
  });
  for (const auto& r : st.routes) {
    if (r.part != nullptr && r.part->blocking && !st.blocking) {
      st.blocking.emplace(std::max<std::size_t>(1, st.options.blocking_threads));
    }
  }
  const std::size_t n = std::max<std::size_t>(1, st.options.threads);
  for (std::size_t i = 0; i < n; ++i) {
    st.threads.emplace_back([raw] {
      for (;;) {
        try {
          raw->io->run();
          return;
        } catch (const std::exception& e) {
          raw->Log(fmt::format("server thread: {}", e.what()));
        }
      }
    });
  }
  return core::Ok();
}

void Server::Stop() {
  State& st = *state_;
  if (!st.started || st.stopping.exchange(true)) return;
  asio::post(st.acceptor->get_executor(), [raw = &st] {
    beast::error_code ec;
    raw->acceptor->close(ec);
  });
  {
    std::lock_guard lock(st.conns_mu);
    for (const auto& conn : st.conns) {
      asio::post(conn->stream.get_executor(), [conn] {
        beast::error_code ec;
        // Busy connections close after answering; streams and idle ones now.
        if (!conn->busy || conn->streaming) {
          conn->stream.socket().shutdown(tcp::socket::shutdown_both, ec);
          conn->stream.socket().close(ec);
        }
      });
    }
  }
  {
    std::lock_guard lock(st.checks_mu);
    for (auto& weak : st.checks) {
      if (auto pending = weak.lock()) {
        pending->Complete(
            core::MakeError(core::ErrorCode::kUnavailable, "the server is shutting down"));
      }
    }
    st.checks.clear();
  }
  {
    std::unique_lock lock(st.conns_mu);
    st.conns_cv.wait_for(lock, st.options.drain_timeout, [&] { return st.conns.empty(); });
  }
  st.work.reset();
  st.io->stop();
  for (auto& t : st.threads) t.join();
  st.threads.clear();
  if (st.blocking) st.blocking->join();  // what runs there finishes (its answer has nowhere to go)
  {
    // The same for started parts (a store commit in progress): their answers post to the
    // stopped io_context, which is still there.
    std::unique_lock lock(st.parts_mu);
    st.parts_cv.wait(lock, [&] { return st.started_parts == 0; });
  }
}

tcp::endpoint Server::endpoint() const { return state_->bound; }

unsigned short Server::port() const { return state_->bound.port(); }

}  // namespace lifeline::api
