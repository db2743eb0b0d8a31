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

Shares SharesOf(const std::vector<core::Platform>& platforms) {
  Shares out;
  for (const auto& p : platforms) {
    if (!p.enabled) continue;
    std::string lease = p.domain.empty() ? "platform:" + p.id : "domain:" + p.domain;
    auto [it, fresh] = out.platforms.try_emplace(lease);
    if (fresh) out.leases.push_back(lease);
    it->second.push_back(p.id);
  }
  return out;
}

std::vector<std::string> Shares::PlatformsOf(const std::vector<std::string>& held) const {
  std::vector<std::string> out;
  for (const auto& lease : held) {
    auto it = platforms.find(lease);
    if (it != platforms.end()) out.insert(out.end(), it->second.begin(), it->second.end());
  }
  return out;
}

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

void Membership::ShareOut(std::vector<std::string> leases,
                          std::function<void(const std::vector<std::string>&)> on_held) {
  std::lock_guard lock(share_mu_);
  leases_ = std::move(leases);
  if (!leases_.empty()) {
    on_held_ = std::move(on_held);
    ShareLocked();
    return;
  }
  on_held_ = nullptr;
  if (held_.empty()) return;
  // Balancing over no names gives back every lease held: the others take them at once.
  if (auto r = cluster_.Balance({}, 0, Now(), options_.ttl); !r.ok() && options_.log) {
    options_.log(
        "cluster: giving back this instance's platforms failed (the others take them once the "
        "leases run out): " +
        r.error().message());
  }
  held_.clear();
}

void Membership::Share() {
  std::lock_guard lock(share_mu_);
  if (!leases_.empty()) ShareLocked();
}

void Membership::ShareLocked() {
  const store::Time now = Now();
  auto balanced = [&]() -> core::Result<std::vector<std::string>> {
    LL_ASSIGN(auto alive, cluster_.Alive(now));
    const std::size_t n = std::max<std::size_t>(alive.size(), 1);
    return cluster_.Balance(leases_, (leases_.size() + n - 1) / n, now, options_.ttl);
  }();
  if (balanced.ok()) {
    if (*balanced != held_ && options_.log) {
      options_.log(fmt::format("cluster: this instance holds {} of {} leases", balanced->size(),
                               leases_.size()));
    }
    held_ = std::move(*balanced);
    held_until_ = now + options_.ttl;
  } else {
    if (options_.log) {
      options_.log("cluster: sharing out the platforms failed: " + balanced.error().message());
    }
    // Past the leases' end another instance may run them: stop before it does.
    if (held_.empty() || now < held_until_) return;
    if (options_.log) {
      options_.log("cluster: this instance's leases ran out: it stops running their platforms");
    }
    held_.clear();
  }
  if (on_held_) on_held_(held_);
}

void Membership::Loop() {
  std::unique_lock lock(mu_);
  while (!cv_.wait_for(lock, options_.ttl / 3, [this] { return stop_; })) {
    lock.unlock();
    auto s = Beat();
    if (!s.ok() && options_.log) {
      options_.log("cluster: renewing this instance's heartbeat failed: " + s.error().message());
    }
    Share();
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
