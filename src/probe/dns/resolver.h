// DNS over c-ares on the prober's Boost.Asio event loop: one channel per resolver ("this machine's"
// from resolv.conf, or one queried directly), whose sockets and timeouts are driven by asio.
#pragma once

// GCC 12: <utility> must precede Boost's awaitable header.
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.h"

struct ares_channeldata;

namespace lifeline::probe::dns {

// A directly queried resolver: "IP", "IP:PORT", "[IPv6]" or "[IPv6]:PORT"; a bare IPv6 address
// ("2001:db8::53") is accepted too. The port defaults to 53.
struct ResolverAddress {
  std::string ip;  // canonical text form, no brackets
  std::uint16_t port = 53;
  bool v6 = false;

  std::string ToString() const;  // "1.2.3.4:53", "[::1]:5353"
};
core::Result<ResolverAddress> ParseResolver(std::string_view text);

// The outcome of one query. `status` is a c-ares status (ARES_SUCCESS, ARES_ENOTFOUND, ...;
// see classify.h); ARES_SUCCESS always comes with at least one address.
struct Answer {
  int status = 0;
  std::vector<std::string> addresses;  // text form, in answer order
};

enum class Family { kV4, kV6 };

struct ChannelConfig {
  // "" for the system channel's default (/etc/resolv.conf). Ignored when `server` is set.
  std::string resolv_conf;
  std::optional<ResolverAddress> server;  // set: query only this server
  // c-ares' own retry budget: the channel gives up a query after about this long.
  std::chrono::milliseconds timeout{5000};
};

// One c-ares channel whose sockets are watched by asio (ARES_OPT_SOCK_STATE_CB and
// stream_descriptor::async_wait) and whose retransmissions are driven by a steady_timer. Must be
// used and destroyed on the io_context's thread; destroy it before the io_context.
class Channel {
 public:
  static core::Result<std::unique_ptr<Channel>> Create(boost::asio::io_context& io,
                                                       const ChannelConfig& config);
  ~Channel();
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  // One query for `name` (A or AAAA) without search domains. Returns at the answer, at c-ares'
  // own timeout, or at `deadline` (status ARES_ETIMEOUT), whichever is first.
  boost::asio::awaitable<Answer> Query(const std::string& name, Family family,
                                       std::chrono::steady_clock::time_point deadline);

  // A and AAAA in parallel; returns when both are answered or at `deadline`.
  boost::asio::awaitable<std::pair<Answer, Answer>> QueryBoth(
      const std::string& name, std::chrono::steady_clock::time_point deadline);

  // Who answers, for messages: "127.0.0.1:5353", or for the system channel its first server.
  const std::string& server_description() const { return server_description_; }

 private:
  struct Watch;
  struct Pending;

  explicit Channel(boost::asio::io_context& io);
  static void OnSocketState(void* self, int fd, int readable, int writable);
  static void OnAnswer(void* arg, int status, int timeouts, unsigned char* abuf, int alen);
  void Arm(const std::shared_ptr<Watch>& watch);
  void Reschedule();
  Pending* Start(const std::string& name, Family family, boost::asio::steady_timer* waiter);

  boost::asio::io_context& io_;
  ares_channeldata* channel_ = nullptr;
  boost::asio::steady_timer timer_;  // c-ares retransmission/timeout processing
  bool timer_armed_ = false;
  std::uint64_t timer_generation_ = 0;
  std::unordered_map<int, std::shared_ptr<Watch>> watches_;  // by fd
  std::string server_description_;
  bool destroying_ = false;
};

}  // namespace lifeline::probe::dns
