// One check round: builds the probe lists, runs probes here, vantage-point queries, status-page
// fetches and the observer's own check concurrently on one event loop, then diagnoses.
#include "check/check.h"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstdio>
#include <exception>

#include <fmt/format.h>

#include "agent/client.h"
#include "agent/observer_check.h"
#include "agent/probe_options.h"

namespace lifeline::check {
namespace {

namespace asio = boost::asio;
using core::ProbeKind;
using core::ProbeResult;
using core::ProbeSpec;

struct Range {
  std::size_t begin = 0;
  std::size_t end = 0;
};

template <typename T>
std::vector<T> Slice(const std::vector<T>& v, Range r) {
  if (r.end > v.size() || r.begin > r.end) return {};
  return std::vector<T>(v.begin() + static_cast<std::ptrdiff_t>(r.begin),
                        v.begin() + static_cast<std::ptrdiff_t>(r.end));
}

ProbeSpec DnsSpec(const std::string& name, const std::string& resolver) {
  ProbeSpec s;
  s.id = resolver.empty() ? "dns:" + name : "dns:" + name + "@" + resolver;
  s.kind = ProbeKind::kDns;
  s.host = name;
  s.resolver = resolver;
  return s;
}

// Where each platform's evidence sits in the flat probe lists.
struct PlatformRanges {
  Range here;        // http/tcp probes, local list
  Range dns_here;    // dns names via this machine's resolver, local list
  Range dns_direct;  // dns names via direct resolvers, local list
  Range remote;      // what vantage points run for it, remote list
};

diagnose::StatusInput ToStatusInput(const sources::StatusPageState& s) {
  diagnose::StatusInput in;
  in.fetched = s.fetched;
  in.error = s.error;
  in.indicator = s.indicator;
  in.description = s.description;
  in.degraded_components = s.degraded_components;
  return in;
}

// Waits for a set of coroutines spawned on the same single-threaded event loop; the first
// exception among them is rethrown by Wait().
class WaitGroup {
 public:
  explicit WaitGroup(const asio::any_io_executor& ex)
      : timer_(ex, std::chrono::steady_clock::time_point::max()) {}

  template <typename Awaitable>
  void Spawn(Awaitable&& task) {
    ++pending_;
    asio::co_spawn(timer_.get_executor(), std::forward<Awaitable>(task),
                   [this](std::exception_ptr e) {
                     if (e && !error_) error_ = e;
                     if (--pending_ == 0) timer_.cancel();
                   });
  }

  asio::awaitable<void> Wait() {
    while (pending_ > 0) {
      boost::system::error_code ec;
      co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    if (error_) std::rethrow_exception(error_);
  }

 private:
  asio::steady_timer timer_;
  std::size_t pending_ = 0;
  std::exception_ptr error_;
};

asio::awaitable<void> ShowProgress(const Progress& p, std::size_t platforms) {
  static constexpr const char* kSpin[] = {"|", "/", "-", "\\"};
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (int tick = 0; !p.Done(); ++tick) {
    std::string line =
        fmt::format("\r{} checking {} platform{}: probes here {}", kSpin[tick % 4], platforms,
                    platforms == 1 ? "" : "s", p.local_done ? "done" : "running");
    if (p.vantage_total) {
      line += fmt::format(", vantage points {}/{}", p.vantage_done, p.vantage_total);
    }
    if (p.status_total) line += fmt::format(", status pages {}/{}", p.status_done, p.status_total);
    fmt::print(stderr, "{}\x1b[K", line);
    std::fflush(stderr);
    timer.expires_after(std::chrono::milliseconds(100));
    co_await timer.async_wait(asio::use_awaitable);
  }
  fmt::print(stderr, "\r\x1b[K");
  std::fflush(stderr);
}

}  // namespace

core::Result<std::vector<core::Platform>> SelectPlatforms(const config::Config& config,
                                                          const std::vector<std::string>& ids) {
  std::vector<core::Platform> out;
  if (ids.empty()) {
    for (const auto& p : config.platforms) {
      if (p.enabled) out.push_back(p);
    }
    if (out.empty()) {
      return core::MakeError(core::ErrorCode::kInvalidArgument,
                             "no platform to check: every platform is disabled in {}",
                             config.source);
    }
    return out;
  }
  for (const auto& id : ids) {
    const core::Platform* p = config::FindPlatform(config, id);
    if (!p) {
      auto hint = config::SuggestPlatform(config, id);
      return core::MakeError(core::ErrorCode::kInvalidArgument, "unknown platform '{}'{}", id,
                             hint ? fmt::format("; did you mean '{}'?", *hint)
                                  : std::string("; `lifeline check --list` shows the ids"));
    }
    if (std::none_of(out.begin(), out.end(), [&](const auto& q) { return q.id == p->id; })) {
      out.push_back(*p);
    }
  }
  return out;
}

asio::awaitable<RoundResult> Run(probe::Prober& prober, const config::Config& config,
                                 const std::vector<core::Platform>& platforms,
                                 const Options& options) {
  Progress own_progress;
  Progress& progress = options.progress ? *options.progress : own_progress;
  const std::vector<core::VantagePoint> no_vantage;
  const auto& vantage_points = options.vantage ? config.vantage_points : no_vantage;

  // Flat lists: one Prober::Run() here, one request per vantage point.
  std::vector<ProbeSpec> local, remote;
  std::vector<PlatformRanges> ranges(platforms.size());
  for (std::size_t i = 0; i < platforms.size(); ++i) {
    const core::Platform& p = platforms[i];
    PlatformRanges& r = ranges[i];
    r.here.begin = local.size();
    local.insert(local.end(), p.probes.begin(), p.probes.end());
    r.here.end = r.dns_here.begin = local.size();
    for (const auto& name : p.dns_names) local.push_back(DnsSpec(name, ""));
    r.dns_here.end = r.dns_direct.begin = local.size();
    for (const auto& name : p.dns_names) {
      for (const auto& resolver : config.resolvers) local.push_back(DnsSpec(name, resolver));
    }
    r.dns_direct.end = local.size();
    // Vantage points use their own resolver: that is what users there see. Without vantage
    // points the list is not built (serve runs rounds of hundreds of platforms several times a
    // second).
    r.remote.begin = remote.size();
    if (!vantage_points.empty()) {
      remote.insert(remote.end(), p.probes.begin(), p.probes.end());
      for (const auto& name : p.dns_names) remote.push_back(DnsSpec(name, ""));
    }
    r.remote.end = remote.size();
  }

  RoundResult round;
  std::vector<ProbeResult> local_results;
  diagnose::ObserverInput observer_input;
  std::vector<agent::VantageReply> replies(vantage_points.size());
  round.status_pages.resize(platforms.size());
  progress.vantage_total = vantage_points.size();

  WaitGroup group(co_await asio::this_coro::executor);
  group.Spawn([&]() -> asio::awaitable<void> {
    local_results = co_await prober.Run(std::move(local));  // not used after: no copy
    progress.local_done = true;
  });
  group.Spawn([&]() -> asio::awaitable<void> {
    if (options.inspect_network) {
      observer_input =
          co_await agent::GatherObserverEvidence(prober, config, options.inspect_network());
    } else {
      observer_input = co_await agent::GatherObserverEvidence(prober, config);
    }
    progress.observer_done = true;
  });
  // An agent needs the probe timeout itself, plus the round trip.
  const auto vantage_timeout = config.timeout + std::chrono::milliseconds(1500);
  for (std::size_t v = 0; v < vantage_points.size(); ++v) {
    group.Spawn([&, v]() -> asio::awaitable<void> {
      replies[v] = co_await agent::QueryVantage(prober, vantage_points[v], remote, config.timeout,
                                                vantage_timeout);
      if (options.on_vantage) options.on_vantage(replies[v]);
      ++progress.vantage_done;
    });
  }
  for (std::size_t i = 0; options.status_pages && i < platforms.size(); ++i) {
    if (!platforms[i].status_page) continue;
    ++progress.status_total;
    group.Spawn([&, i]() -> asio::awaitable<void> {
      round.status_pages[i] =
          co_await sources::FetchStatusPage(prober, *platforms[i].status_page, config.timeout);
      ++progress.status_done;
    });
  }
  co_await group.Wait();

  diagnose::CheckReport& report = round.report;
  report.checked_at = std::chrono::system_clock::now();
  report.observer = diagnose::AssessObserver(observer_input);

  for (const auto& reply : replies) {
    diagnose::VantageStatus vs;
    vs.name = reply.name;
    vs.region = reply.region;
    vs.reachable = reply.reachable;
    vs.error = reply.error;
    vs.connectivity = reply.connectivity;
    vs.rtt_ms = reply.rtt_ms;
    report.vantage_points.push_back(vs);
    if (!reply.reachable) {
      report.notes.push_back(fmt::format(
          "vantage point {} unreachable: {} — its evidence is missing", reply.name, reply.error));
    } else if (reply.connectivity != core::Connectivity::kOk) {
      report.notes.push_back(
          fmt::format("vantage point {} reports its own connection as {}: its evidence is not used",
                      reply.name, core::ConnectivityName(reply.connectivity)));
    }
  }
  if (vantage_points.empty()) {
    report.notes.push_back(
        "no vantage points configured: 'down for everyone' rests on official status pages and "
        "DNS evidence only");
  }

  for (std::size_t i = 0; i < platforms.size(); ++i) {
    const PlatformRanges& r = ranges[i];
    diagnose::PlatformInput in;
    in.platform = platforms[i];
    in.here = Slice(local_results, r.here);
    in.dns_here = Slice(local_results, r.dns_here);
    in.dns_direct = Slice(local_results, r.dns_direct);
    for (const auto& reply : replies) {
      diagnose::VantageInput vi;
      vi.name = reply.name;
      vi.region = reply.region;
      vi.reachable = reply.reachable;
      vi.error = reply.error;
      vi.connectivity = reply.connectivity;
      if (reply.reachable) vi.results = Slice(reply.results, r.remote);
      in.vantage.push_back(std::move(vi));
    }
    if (!options.status_pages && options.known_status_pages && platforms[i].status_page) {
      auto known = options.known_status_pages->find(platforms[i].id);
      if (known != options.known_status_pages->end()) in.status = ToStatusInput(known->second);
    }
    if (round.status_pages[i]) in.status = ToStatusInput(*round.status_pages[i]);
    report.platforms.push_back(diagnose::Diagnose(report.observer, in));
  }
  // Serve's rounds come through here too, so a domain incident names these platforms as well.
  diagnose::JudgeWithDomains(report.platforms);
  report.domains = diagnose::CorrelateDomains(report.platforms);
  co_return round;
}

core::Result<diagnose::CheckReport> RunBlocking(const config::Config& config,
                                                const std::vector<core::Platform>& platforms,
                                                bool show_progress) {
  asio::io_context io;
  auto prober = probe::CreateProber(io, agent::ProbeOptionsFor(config));
  if (!prober.ok()) return prober.error();

  Progress progress;
  Options options;
  options.progress = &progress;
  std::optional<diagnose::CheckReport> report;
  std::exception_ptr failure;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        report = (co_await Run(**prober, config, platforms, options)).report;
      },
      [&](std::exception_ptr e) {
        failure = e;
        io.stop();  // the progress display would wait for a round that never finishes
      });
  if (show_progress) {
    asio::co_spawn(io, ShowProgress(progress, platforms.size()), asio::detached);
  }
  io.run();
  if (failure) {
    try {
      std::rethrow_exception(failure);
    } catch (const std::exception& e) {
      return core::MakeError(core::ErrorCode::kInternal, "check failed: {}", e.what());
    }
  }
  return std::move(*report);
}

}  // namespace lifeline::check
