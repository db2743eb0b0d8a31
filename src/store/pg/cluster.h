// The PostgreSQL cluster slice (store/cluster.h): instances' heartbeats and named leases, in the
// tables of migration 0009. Each lease is one row, locked while it changes hands, so two
// instances never hold it at once. Times are the callers' (the store reads no clock): instances
// need clocks in step to within a small fraction of the ttl (NTP does that).
#pragma once

#include <memory>
#include <string>

#include "store/cluster.h"
#include "store/pg/conn.h"

namespace lifeline::store::pg {

// `pool` must outlive the result (the PgStore owns both); `self` is the store's instance id.
std::unique_ptr<ClusterStore> NewPgCluster(Pool* pool, std::string self);

}  // namespace lifeline::store::pg
