// c-ares channels driven by Boost.Asio: c-ares owns the sockets and the DNS logic, asio tells it
// when a socket is ready (ares_process_fd) and when its next retransmission is due (a timer).
#include "probe/dns/resolver.h"

#include <ares.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <charconv>
#include <mutex>

#include <fmt/core.h>

namespace lifeline::probe::dns {

namespace asio = boost::asio;
using core::ErrorCode;
using core::MakeError;
using Clock = std::chrono::steady_clock;

namespace {

// How long, after one of A/AAAA has answered with addresses, to keep waiting for the other: a
// resolver that drops AAAA queries must not make every probe wait for the whole deadline.
constexpr std::chrono::milliseconds kSecondAnswerGrace{150};

bool ParsePort(std::string_view text, std::uint16_t& port) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value == 0 || value > 65535) {
    return false;
  }
  port = static_cast<std::uint16_t>(value);
  return true;
}

// Canonical text of an IPv4 or IPv6 address, or "" when `text` is neither.
std::string CanonicalIp(const std::string& text, bool v6) {
  unsigned char buf[sizeof(in6_addr)];
  char out[INET6_ADDRSTRLEN];
  int family = v6 ? AF_INET6 : AF_INET;
  if (inet_pton(family, text.c_str(), buf) != 1) return "";
  if (!inet_ntop(family, buf, out, sizeof out)) return "";
  return out;
}

std::string ServerText(int family, const void* addr, int port) {
  char ip[INET6_ADDRSTRLEN] = "?";
  inet_ntop(family, addr, ip, sizeof ip);
  if (port == 0 || port == 53) return ip;
  return family == AF_INET6 ? fmt::format("[{}]:{}", ip, port) : fmt::format("{}:{}", ip, port);
}

}  // namespace

std::string ResolverAddress::ToString() const {
  return v6 ? fmt::format("[{}]:{}", ip, port) : fmt::format("{}:{}", ip, port);
}

core::Result<ResolverAddress> ParseResolver(std::string_view text) {
  ResolverAddress out;
  std::string host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos) {
      return MakeError(ErrorCode::kInvalidArgument, "resolver '{}': missing ']'", text);
    }
    host = std::string(text.substr(1, close - 1));
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        return MakeError(ErrorCode::kInvalidArgument, "resolver '{}': expected ':PORT' after ']'",
                         text);
      }
      port = rest.substr(1);
      if (port.empty()) {
        return MakeError(ErrorCode::kInvalidArgument, "resolver '{}': empty port", text);
      }
    }
    out.v6 = true;
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    auto colon = text.find(':');
    host = std::string(text.substr(0, colon));
    port = text.substr(colon + 1);
    if (port.empty()) {
      return MakeError(ErrorCode::kInvalidArgument, "resolver '{}': empty port", text);
    }
  } else {
    host = std::string(text);
    out.v6 = host.find(':') != std::string::npos;
  }
  out.ip = CanonicalIp(host, out.v6);
  if (out.ip.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "resolver '{}': not an IP address (use IP, IP:PORT or [IPv6]:PORT)", text);
  }
  if (!port.empty() && !ParsePort(port, out.port)) {
    return MakeError(ErrorCode::kInvalidArgument, "resolver '{}': bad port '{}'", text, port);
  }
  return out;
}

// One socket c-ares asked us to watch. Shared with the wait handlers so a handler that completes
// after c-ares closed the socket (closed == true) does nothing.
struct Channel::Watch {
  Watch(asio::io_context& io, int fd_in) : fd(fd_in), sd(io, fd_in) {}
  int fd;
  asio::posix::stream_descriptor sd;  // never closes fd: released before c-ares closes it
  bool want_read = false;
  bool want_write = false;
  bool reading = false;
  bool writing = false;
  bool closed = false;
};

// One query in flight. Owned by the waiting coroutine until it gives up (waiter == nullptr); from
// then on OnAnswer frees it when c-ares finally calls back.
struct Channel::Pending {
  asio::steady_timer* waiter;  // cancelled to wake the coroutine
  Family family;
  bool done = false;
  Answer answer;
};

Channel::Channel(asio::io_context& io) : io_(io), timer_(io) {}

core::Result<std::unique_ptr<Channel>> Channel::Create(asio::io_context& io,
                                                       const ChannelConfig& config) {
  static std::once_flag init_once;
  static int init_status = ARES_SUCCESS;
  std::call_once(init_once, [] { init_status = ares_library_init(ARES_LIB_INIT_ALL); });
  if (init_status != ARES_SUCCESS) {
    return MakeError(ErrorCode::kInternal, "c-ares init: {}", ares_strerror(init_status));
  }

  // A direct channel reads no resolver config: its only server is set below.
  std::string conf = config.server ? "/dev/null" : config.resolv_conf;
  if (conf.empty()) {
    conf = "/etc/resolv.conf";  // absent is fine: c-ares then falls back to 127.0.0.1, as libc does
  } else if (!config.server && access(conf.c_str(), R_OK) != 0) {
    return MakeError(ErrorCode::kInvalidArgument, "cannot read resolver config '{}'", conf);
  }

  std::unique_ptr<Channel> ch(new Channel(io));
  ares_options opts{};
  int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_LOOKUPS |
             ARES_OPT_RESOLVCONF | ARES_OPT_FLAGS;
  // Keep SERVFAIL and REFUSED answers: without this flag c-ares 1.18 treats them as "try the next
  // server" and, with none left, reports ECONNREFUSED, losing the code the diagnosis needs. With
  // several nameservers in resolv.conf the first to answer decides (timeouts still move on).
  opts.flags = ARES_FLAG_NOCHECKRESP;
  opts.sock_state_cb = &Channel::OnSocketState;
  opts.sock_state_cb_data = ch.get();
  // Two tries, the second with twice the timeout (c-ares doubles it per round): both fit in the
  // budget, so a single lost UDP packet is retried before the probe's deadline.
  opts.tries = 2;
  opts.timeout = static_cast<int>(std::max<std::int64_t>(100, config.timeout.count() / 3));
  char lookups[] = "b";  // DNS only: queries never consult /etc/hosts anyway
  opts.lookups = lookups;
  opts.resolvconf_path = conf.data();
  int rc = ares_init_options(&ch->channel_, &opts, mask);
  if (rc != ARES_SUCCESS) {
    ch->channel_ = nullptr;
    return MakeError(ErrorCode::kUnavailable, "c-ares channel: {}", ares_strerror(rc));
  }

  if (config.server) {
    ares_addr_port_node node{};
    node.family = config.server->v6 ? AF_INET6 : AF_INET;
    void* dst = config.server->v6 ? static_cast<void*>(&node.addr.addr6)
                                  : static_cast<void*>(&node.addr.addr4);
    if (inet_pton(node.family, config.server->ip.c_str(), dst) != 1) {
      return MakeError(ErrorCode::kInvalidArgument, "resolver {}: bad address", config.server->ip);
    }
    node.udp_port = node.tcp_port = config.server->port;
    rc = ares_set_servers_ports(ch->channel_, &node);
    if (rc != ARES_SUCCESS) {
      return MakeError(ErrorCode::kInvalidArgument, "resolver {}: {}", config.server->ToString(),
                       ares_strerror(rc));
    }
    ch->server_description_ =
        config.server->port == 53 ? config.server->ip : config.server->ToString();
  } else {
    ares_addr_port_node* servers = nullptr;
    std::string first = "none";
    if (ares_get_servers_ports(ch->channel_, &servers) == ARES_SUCCESS && servers) {
      first = ServerText(servers->family, &servers->addr, servers->udp_port);
      ares_free_data(servers);
    }
    ch->server_description_ = fmt::format("the system resolver ({})", first);
  }
  return ch;
}

Channel::~Channel() {
  destroying_ = true;
  // Calls every pending query back with ARES_EDESTRUCTION and OnSocketState(fd, 0, 0) per socket.
  if (channel_) ares_destroy(channel_);
  for (auto& [fd, watch] : watches_) {
    watch->closed = true;
    watch->sd.release();
  }
  watches_.clear();
  timer_.cancel();
}

void Channel::OnSocketState(void* data, int fd, int readable, int writable) {
  auto* self = static_cast<Channel*>(data);
  auto it = self->watches_.find(fd);
  if (!readable && !writable) {
    // c-ares is about to close fd: stop watching without closing it (release cancels the waits).
    if (it != self->watches_.end()) {
      it->second->closed = true;
      it->second->sd.release();
      self->watches_.erase(it);
    }
    return;
  }
  if (self->destroying_) return;
  std::shared_ptr<Watch> watch;
  if (it != self->watches_.end()) {
    watch = it->second;
  } else {
    try {
      watch = std::make_shared<Watch>(self->io_, fd);
    } catch (const boost::system::system_error&) {
      return;  // cannot watch it: the query runs into its timeout, which is reported
    }
    self->watches_.emplace(fd, watch);
  }
  watch->want_read = readable != 0;
  watch->want_write = writable != 0;
  self->Arm(watch);
}

void Channel::Arm(const std::shared_ptr<Watch>& watch) {
  if (watch->want_read && !watch->reading) {
    watch->reading = true;
    watch->sd.async_wait(asio::posix::descriptor_base::wait_read,
                         [this, watch](const boost::system::error_code& ec) {
                           watch->reading = false;
                           if (ec || watch->closed) return;
                           ares_process_fd(channel_, watch->fd, ARES_SOCKET_BAD);
                           if (!watch->closed) Arm(watch);
                           Reschedule();
                         });
  }
  if (watch->want_write && !watch->writing) {
    watch->writing = true;
    watch->sd.async_wait(asio::posix::descriptor_base::wait_write,
                         [this, watch](const boost::system::error_code& ec) {
                           watch->writing = false;
                           if (ec || watch->closed) return;
                           ares_process_fd(channel_, ARES_SOCKET_BAD, watch->fd);
                           if (!watch->closed) Arm(watch);
                           Reschedule();
                         });
  }
}

void Channel::Reschedule() {
  timeval tv{};
  timeval* next = ares_timeout(channel_, nullptr, &tv);
  if (!next) {  // no query in flight
    if (timer_armed_) {
      timer_armed_ = false;
      timer_.cancel();
    }
    return;
  }
  auto when =
      Clock::now() + std::chrono::seconds(next->tv_sec) + std::chrono::microseconds(next->tv_usec);
  if (timer_armed_ && timer_.expiry() <= when) return;  // the armed wake-up comes first
  timer_.expires_at(when);
  timer_armed_ = true;
  auto generation = ++timer_generation_;
  timer_.async_wait([this, generation](const boost::system::error_code& ec) {
    if (ec || generation != timer_generation_) return;
    timer_armed_ = false;
    ares_process_fd(channel_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);  // retransmit or time out
    Reschedule();
  });
}

void Channel::OnAnswer(void* arg, int status, int /*timeouts*/, unsigned char* abuf, int alen) {
  auto* p = static_cast<Pending*>(arg);
  if (!p->waiter) {  // the coroutine gave up at its deadline
    delete p;
    return;
  }
  if (status == ARES_SUCCESS) {
    char text[INET6_ADDRSTRLEN];
    if (p->family == Family::kV4) {
      ares_addrttl ttls[32];
      int n = 32;
      status = ares_parse_a_reply(abuf, alen, nullptr, ttls, &n);
      if (status == ARES_SUCCESS) {
        for (int i = 0; i < n; ++i) {
          if (inet_ntop(AF_INET, &ttls[i].ipaddr, text, sizeof text)) {
            p->answer.addresses.emplace_back(text);
          }
        }
      }
    } else {
      ares_addr6ttl ttls[32];
      int n = 32;
      status = ares_parse_aaaa_reply(abuf, alen, nullptr, ttls, &n);
      if (status == ARES_SUCCESS) {
        for (int i = 0; i < n; ++i) {
          if (inet_ntop(AF_INET6, &ttls[i].ip6addr, text, sizeof text)) {
            p->answer.addresses.emplace_back(text);
          }
        }
      }
    }
    if (status == ARES_SUCCESS && p->answer.addresses.empty()) status = ARES_ENODATA;
  }
  p->answer.status = status;
  p->done = true;
  p->waiter->cancel();
}

Channel::Pending* Channel::Start(const std::string& name, Family family,
                                 asio::steady_timer* waiter) {
  auto* p = new Pending{waiter, family};
  // May call OnAnswer before returning (a bad name, no servers); the caller checks `done` first.
  ares_query(channel_, name.c_str(), ns_c_in, family == Family::kV4 ? ns_t_a : ns_t_aaaa,
             &Channel::OnAnswer, p);
  Reschedule();
  return p;
}

namespace {

// Takes the answer out of a finished query, or abandons an unfinished one to OnAnswer.
template <typename P>
Answer Finish(P* p) {
  if (p->done) {
    Answer a = std::move(p->answer);
    delete p;
    return a;
  }
  p->waiter = nullptr;
  return Answer{ARES_ETIMEOUT, {}};
}

}  // namespace

asio::awaitable<Answer> Channel::Query(const std::string& name, Family family,
                                       Clock::time_point deadline) {
  asio::steady_timer waiter(io_, deadline);
  Pending* p = Start(name, family, &waiter);
  while (!p->done) {
    boost::system::error_code ec;
    co_await waiter.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (!ec) break;  // the deadline
  }
  co_return Finish(p);
}

asio::awaitable<std::pair<Answer, Answer>> Channel::QueryBoth(const std::string& name,
                                                              Clock::time_point deadline) {
  asio::steady_timer waiter(io_, deadline);
  Pending* a = Start(name, Family::kV4, &waiter);
  Pending* b = Start(name, Family::kV6, &waiter);
  bool grace = false;
  while (!(a->done && b->done)) {
    if (!grace && ((a->done && a->answer.status == ARES_SUCCESS) ||
                   (b->done && b->answer.status == ARES_SUCCESS))) {
      grace = true;
      waiter.expires_at(std::min(deadline, Clock::now() + kSecondAnswerGrace));
    }
    boost::system::error_code ec;
    co_await waiter.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (!ec) break;  // the deadline (or the grace period)
  }
  Answer answer_a = Finish(a);
  Answer answer_b = Finish(b);
  co_return std::pair<Answer, Answer>(std::move(answer_a), std::move(answer_b));
}

}  // namespace lifeline::probe::dns
