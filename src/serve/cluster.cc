// serve/cluster.h: joining, the heartbeat thread, leaving.
#include "serve/cluster.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <utility>
#include <vector>

namespace lifeline::serve {
namespace {

store::Time Now() { return store::FromSystem(std::chrono::system_clock::now()); }

std::string HostName() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "";
  return buf;
}

}  // namespace

Membership::Membership(store::ClusterStore& cluster, MembershipOptions options)
    : cluster_(cluster), options_(std::move(options)) {
  me_.id = cluster_.self();
  me_.host = HostName();
  me_.pid = static_cast<std::int64_t>(getpid());
  me_.version = options_.version;
  me_.started_at = Now();
}

core::Result<std::unique_ptr<Membership>> Membership::Join(store::ClusterStore& cluster,
                                                           MembershipOptions options) {
  if (options.ttl.count() <= 0) {
    return core::MakeError(core::ErrorCode::kInvalidArgument, "membership ttl must be positive");
  }
  std::unique_ptr<Membership> m(new Membership(cluster, std::move(options)));
  // Others still beating: wait until the latest of their expiries has passed once; whoever is
  // still alive then renewed meanwhile and is running.
  std::vector<store::Instance> others;
  for (int look = 0; look < 2; ++look) {
    LL_ASSIGN(auto alive, cluster.Alive(Now()));
    others.clear();
    for (auto& i : alive) {
      if (i.id != cluster.self()) others.push_back(std::move(i));
    }
    if (others.empty() || look == 1) break;
    store::Time until = others.front().expires_at;
    for (const auto& i : others) until = std::max(until, i.expires_at);
    if (m->options_.log) {
      m->options_.log(fmt::format(
          "cluster: another lifeline serve ({} pid {}) beat {} ms ago on this database; waiting "
          "up to {} ms to see whether it still runs",
          others.front().host, others.front().pid,
          std::chrono::duration_cast<std::chrono::milliseconds>(Now() - others.front().last_seen)
              .count(),
          std::chrono::duration_cast<std::chrono::milliseconds>(until - Now()).count()));
    }
    std::this_thread::sleep_until(until + std::chrono::milliseconds(100));
  }
  if (!others.empty()) {
    const store::Instance& o = others.front();
    return core::MakeError(
        core::ErrorCode::kFailedPrecondition,
        "another lifeline serve runs on this database ({} pid {}, last heartbeat {} ms ago): "
        "several instances sharing one PostgreSQL database do not share out the rounds yet, so "
        "only one may run; stop it first",
        o.host, o.pid,
        std::chrono::duration_cast<std::chrono::milliseconds>(Now() - o.last_seen).count());
  }
  LL_TRY(m->Beat());
  // Instances dead for a day are history nobody reads.
  if (auto pruned = cluster.PruneDead(Now() - std::chrono::hours(24));
      !pruned.ok() && m->options_.log) {
    m->options_.log("cluster: pruning dead instances failed: " + pruned.error().message());
  }
  m->thread_ = std::thread([p = m.get()] { p->Loop(); });
  return m;
}

core::Status Membership::Beat() { return cluster_.Heartbeat(me_, Now(), options_.ttl); }

void Membership::Loop() {
  std::unique_lock lock(mu_);
  while (!cv_.wait_for(lock, options_.ttl / 3, [this] { return stop_; })) {
    lock.unlock();
    auto s = Beat();
    if (!s.ok() && options_.log) {
      options_.log("cluster: renewing this instance's heartbeat failed: " + s.error().message());
    }
    lock.lock();
  }
}

Membership::~Membership() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (auto s = cluster_.Leave(); !s.ok() && options_.log) {
    options_.log("cluster: leaving failed (the others take over once the heartbeat runs out): " +
                 s.error().message());
  }
}

}  // namespace lifeline::serve
