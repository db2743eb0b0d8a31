// One `lifeline serve` among the processes that share a database (store::ClusterStore, only
// PostgreSQL has one): its heartbeat, renewed while it runs, so that the others know it is alive —
// the outbox takes back only a dead instance's claims (store::OutboxStore::RecoverOrphans), and a
// clean stop leaves at once.
//
// The platforms' rounds are not shared out among instances yet (the leases are in the store,
// store::ClusterStore::Balance; the engine does not use them): until it does, a second instance
// on the same database is refused at start rather than running every round twice. A killed
// instance's heartbeat is waited out (at most one ttl), so a restart after kill -9 just works.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "core/result.h"
#include "store/cluster.h"

namespace lifeline::serve {

struct MembershipOptions {
  // Dead this long after the last heartbeat; renewed every ttl / 3.
  std::chrono::milliseconds ttl{15000};
  std::string version;  // reported in the instances table
  // One line per failed heartbeat and per instance waited out. Null: silent.
  std::function<void(std::string_view)> log;
};

class Membership {
 public:
  // Joins: waits out instances that stopped beating without leaving (at most one ttl), then
  // refuses (kFailedPrecondition, naming the live instance's host, pid and last heartbeat) if
  // another instance is alive; else records the first heartbeat and starts renewing it.
  [[nodiscard]] static core::Result<std::unique_ptr<Membership>> Join(store::ClusterStore& cluster,
                                                                      MembershipOptions options);
  // Stops renewing and leaves (ClusterStore::Leave).
  ~Membership();
  Membership(const Membership&) = delete;
  Membership& operator=(const Membership&) = delete;

  const std::string& self() const { return cluster_.self(); }

 private:
  Membership(store::ClusterStore& cluster, MembershipOptions options);
  core::Status Beat();
  void Loop();

  store::ClusterStore& cluster_;
  const MembershipOptions options_;
  store::Instance me_;
  std::mutex mu_;  // guards stop_
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace lifeline::serve
