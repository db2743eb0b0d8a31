// Several `lifeline serve` instances on one database: who is alive (heartbeats) and who runs what
// (named leases, one per platform), reached through Store::Cluster(). Only a store several
// processes can share has it (PostgreSQL); SQLite is one instance's database and answers nullptr.
// The membership loop that uses it lives in src/serve/cluster.h.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "store/records.h"

namespace lifeline::store {

struct Instance {
  std::string id;  // Cluster::self() of the process
  std::string host;
  std::int64_t pid = 0;
  std::string version;
  Time started_at;
  Time last_seen;   // its last heartbeat
  Time expires_at;  // dead once this has passed without a heartbeat
};

struct Lease {
  std::string name;
  std::string holder;  // an Instance id
  Time acquired_at;    // when this holder took it (renewals keep it)
  Time expires_at;
};

// Same contract as Store (store.h): thread-safe, atomic, errors only for the store failing or bad
// input (kInvalidArgument naming the field). Times are the caller's.
class ClusterStore {
 public:
  virtual ~ClusterStore() = default;

  // This process's instance id: made when the store was opened, so each process (and each run of
  // it) is a new instance. The outbox stamps its claims with it (OutboxStore::RecoverOrphans).
  virtual const std::string& self() const = 0;

  // Records that self() is alive until now + ttl (ttl > 0); creates its row the first time.
  // `me.id` is ignored (always self()); the other fields describe the process.
  [[nodiscard]] virtual core::Status Heartbeat(const Instance& me, Time now,
                                               std::chrono::milliseconds ttl) = 0;
  // Instances alive at `now` (expires_at > now), oldest first (started_at, then id).
  [[nodiscard]] virtual core::Result<std::vector<Instance>> Alive(Time now) = 0;
  // A clean stop: removes self()'s row and gives back its leases at once, so the others take
  // them over at their next renewal instead of after the lease runs out.
  [[nodiscard]] virtual core::Status Leave() = 0;
  // Deletes the rows of instances dead since before `before` (a dead instance's row is kept a
  // while so the fleet can say it died). Returns how many.
  [[nodiscard]] virtual core::Result<std::int64_t> PruneDead(Time before) = 0;

  // One transaction over the leases named in `names` (each non-empty, no duplicates): self()
  // renews (until now + ttl) up to `want` of those it holds, oldest acquired first, gives back
  // the rest of them (never more than `want` held), then takes free ones — never held, or expired
  // — until it holds `want` or none is free. Leases it holds on names not in `names` are given
  // back. Returns the names self() holds afterwards, in the order of `names`.
  //
  // Two instances never hold one lease at once (the row is locked while it changes hands);
  // an instance that stops renewing loses its leases ttl after its last renewal.
  [[nodiscard]] virtual core::Result<std::vector<std::string>> Balance(
      std::span<const std::string> names, std::size_t want, Time now,
      std::chrono::milliseconds ttl) = 0;
  // Every lease (also expired ones), by name.
  [[nodiscard]] virtual core::Result<std::vector<Lease>> Leases() = 0;

  // The secret called `name` that every instance uses (the playbook's link secret, so that a
  // link one instance sent works on all): `candidate` is kept when none is yet — the first
  // instance to ask decides, at once for all — and the kept one is returned. Readable by whoever
  // reads the database. kInvalidArgument for an empty name or candidate.
  [[nodiscard]] virtual core::Result<std::string> SharedSecret(std::string_view name,
                                                               std::string_view candidate) = 0;
};

}  // namespace lifeline::store
