// `lifeline check`: builds the probe lists, runs probes here, vantage-point queries, status-page
// fetches and the observer's own check concurrently on one event loop, then diagnoses.
#include "cli/check.h"

#include <unistd.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>
#include <ostream>

#include <fmt/format.h>

#include "agent/client.h"
#include "agent/observer_check.h"
#include "probe/probe.h"
#include "sources/statuspage.h"

namespace lifeline::cli {
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

// Rethrows a coroutine's exception out of io_context::run(), where RunCheck turns it into an Error.
void Rethrow(std::exception_ptr e) {
  if (e) std::rethrow_exception(e);
}

// What the progress line reports.
struct Progress {
  bool local_done = false;
  bool observer_done = false;
  std::size_t vantage_done = 0;
  std::size_t vantage_total = 0;
  std::size_t status_done = 0;
  std::size_t status_total = 0;
  bool Done() const {
    return local_done && observer_done && vantage_done == vantage_total &&
           status_done == status_total;
  }
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

core::Result<diagnose::CheckReport> RunCheck(const config::Config& config,
                                             const std::vector<core::Platform>& platforms,
                                             const CheckOptions& options) {
  asio::io_context io;
  probe::Options popts;
  popts.timeout = config.timeout;
  popts.slow_threshold = config.slow_threshold;
  popts.concurrency = config.concurrency;
  popts.ca_file = config.ca_file;
  popts.resolv_conf = config.resolv_conf;
  auto prober_or = probe::CreateProber(io, popts);
  if (!prober_or.ok()) return prober_or.error();
  probe::Prober& prober = **prober_or;

  // Flat lists: one Run() here, one request per vantage point.
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
    // Vantage points use their own resolver: that is what users there see.
    r.remote.begin = remote.size();
    remote.insert(remote.end(), p.probes.begin(), p.probes.end());
    for (const auto& name : p.dns_names) remote.push_back(DnsSpec(name, ""));
    r.remote.end = remote.size();
  }

  std::vector<ProbeResult> local_results;
  diagnose::ObserverInput observer_input;
  std::vector<agent::VantageReply> replies(config.vantage_points.size());
  std::vector<std::optional<sources::StatusPageState>> statuses(platforms.size());
  Progress progress;
  progress.vantage_total = config.vantage_points.size();

  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        local_results = co_await prober.Run(local);
        progress.local_done = true;
      },
      Rethrow);
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        observer_input = co_await agent::GatherObserverEvidence(prober, config);
        progress.observer_done = true;
      },
      Rethrow);
  // An agent needs the probe timeout itself, plus the round trip.
  const auto vantage_timeout = config.timeout + std::chrono::milliseconds(1500);
  for (std::size_t v = 0; v < config.vantage_points.size(); ++v) {
    asio::co_spawn(
        io,
        [&, v]() -> asio::awaitable<void> {
          replies[v] = co_await agent::QueryVantage(prober, config.vantage_points[v], remote,
                                                    config.timeout, vantage_timeout);
          ++progress.vantage_done;
        },
        Rethrow);
  }
  for (std::size_t i = 0; i < platforms.size(); ++i) {
    if (!platforms[i].status_page) continue;
    ++progress.status_total;
    asio::co_spawn(
        io,
        [&, i]() -> asio::awaitable<void> {
          statuses[i] =
              co_await sources::FetchStatusPage(prober, *platforms[i].status_page, config.timeout);
          ++progress.status_done;
        },
        Rethrow);
  }
  if (options.progress) {
    asio::co_spawn(io, ShowProgress(progress, platforms.size()), Rethrow);
  }
  try {
    io.run();
  } catch (const std::exception& e) {
    return core::MakeError(core::ErrorCode::kInternal, "check failed: {}", e.what());
  }

  diagnose::CheckReport report;
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
  if (config.vantage_points.empty()) {
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
    if (statuses[i]) in.status = ToStatusInput(*statuses[i]);
    report.platforms.push_back(diagnose::Diagnose(report.observer, in));
  }
  report.domains = diagnose::CorrelateDomains(report.platforms);
  return report;
}

}  // namespace lifeline::cli
