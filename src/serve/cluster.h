// One `lifeline serve` among the processes that share a database (store::ClusterStore, only
// PostgreSQL has one): its heartbeat, renewed while it runs, so that the others know it is alive —
// the outbox takes back only a dead instance's claims (store::OutboxStore::RecoverOrphans) — and
// its share of the work: named leases (one per failure domain, serve.cc) balanced among the live
// instances at every renewal, so each platform's rounds run on exactly one instance and a dead
// instance's platforms are taken over once its leases run out (one ttl). A clean stop leaves at
// once and gives its leases back.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/result.h"
#include "core/types.h"
#include "store/cluster.h"

namespace lifeline::serve {

// The work shared out: one lease per failure domain ("domain:meta": its platforms fail together,
// so one instance sees a correlated outage whole), one per platform without a domain
// ("platform:x"); disabled platforms are nobody's. `platforms` maps each lease to its platforms.
struct Shares {
  std::vector<std::string> leases;
  std::map<std::string, std::vector<std::string>> platforms;
  // The platforms of the leases `held`.
  std::vector<std::string> PlatformsOf(const std::vector<std::string>& held) const;
};
Shares SharesOf(const std::vector<core::Platform>& platforms);

struct MembershipOptions {
  // Dead this long after the last heartbeat; renewed every ttl / 3.
  std::chrono::milliseconds ttl{15000};
  std::string version;  // reported in the instances table
  // One line per failed heartbeat and per instance waited out. Null: silent.
  std::function<void(std::string_view)> log;
};

class Membership {
 public:
  // Joins: records the first heartbeat and starts renewing it every ttl / 3.
  [[nodiscard]] static core::Result<std::unique_ptr<Membership>> Join(store::ClusterStore& cluster,
                                                                      MembershipOptions options);
  // Stops renewing and leaves (ClusterStore::Leave): the others take the leases at once.
  ~Membership();
  Membership(const Membership&) = delete;
  Membership& operator=(const Membership&) = delete;

  const std::string& self() const { return cluster_.self(); }

  // Shares `leases` out among the live instances from now on: at once and at every renewal this
  // instance takes its fair share (ClusterStore::Balance with ceil(leases / alive instances)) and
  // `on_held` learns the names it holds (called on the caller's thread now, then on the
  // membership's thread; never after ShareOut returns for the next call). When balancing keeps
  // failing (the database is unreachable), `on_held` gets an empty list once the leases it held
  // have run out, since another instance may hold them by then. Empty `leases`: gives back every
  // lease held and stops calling.
  void ShareOut(std::vector<std::string> leases,
                std::function<void(const std::vector<std::string>&)> on_held);

 private:
  Membership(store::ClusterStore& cluster, MembershipOptions options);
  core::Status Beat();
  void Share();
  void ShareLocked();  // caller holds share_mu_
  void Loop();

  store::ClusterStore& cluster_;
  const MembershipOptions options_;
  store::Instance me_;
  std::mutex mu_;  // guards stop_
  std::condition_variable cv_;
  bool stop_ = false;
  std::mutex share_mu_;  // guards the four below; held while balancing and calling on_held_
  std::vector<std::string> leases_;
  std::function<void(const std::vector<std::string>&)> on_held_;
  std::vector<std::string> held_;
  store::Time held_until_{};  // the leases held run out then unless renewed
  std::thread thread_;
};

}  // namespace lifeline::serve
