// The PostgreSQL cluster slice (store/cluster.h, pg/cluster.h): all of its SQL. Name lists travel
// as one JSON array parameter (json_array_elements_text), so a balance is a handful of statements
// whatever the number of platforms.
#include "store/pg/cluster.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace lifeline::store::pg {
namespace {

using core::ErrorCode;
using core::MakeError;
using core::Result;
using core::Status;
using Sync = Pool::Sync;

std::string JsonArray(const std::vector<std::string>& names) {
  return nlohmann::json(names).dump();
}

Instance InstanceFromRow(const Row& r) {
  Instance i;
  i.id = r.ColText(0);
  i.host = r.ColText(1);
  i.pid = r.ColInt(2);
  i.version = r.ColText(3);
  i.started_at = r.ColTime(4);
  i.last_seen = r.ColTime(5);
  i.expires_at = r.ColTime(6);
  return i;
}

constexpr std::string_view kInstanceColumns =
    "id, host, pid, version, started_at, last_seen, expires_at";

class PgCluster final : public ClusterStore {
 public:
  PgCluster(Pool* pool, std::string self) : pool_(pool), self_(std::move(self)) {}

  const std::string& self() const override { return self_; }
  Status Heartbeat(const Instance& me, Time now, std::chrono::milliseconds ttl) override;
  Result<std::vector<Instance>> Alive(Time now) override;
  Status Leave() override;
  Result<std::int64_t> PruneDead(Time before) override;
  Result<std::vector<std::string>> Balance(std::span<const std::string> names, std::size_t want,
                                           Time now, std::chrono::milliseconds ttl) override;
  Result<std::vector<Lease>> Leases() override;
  Result<std::string> SharedSecret(std::string_view name, std::string_view candidate) override;

 private:
  Pool* pool_;  // owned by the PgStore
  const std::string self_;
};

Status CheckTtl(std::chrono::milliseconds ttl) {
  if (ttl.count() <= 0) {
    return MakeError(ErrorCode::kInvalidArgument, "ttl: must be positive, got {} ms", ttl.count());
  }
  return core::Ok();
}

Status PgCluster::Heartbeat(const Instance& me, Time now, std::chrono::milliseconds ttl) {
  LL_TRY(CheckTtl(ttl));
  return pool_->Write(Sync::kNormal, "recording this instance's heartbeat", [&](Conn& c) -> Status {
    LL_TRY(c.Exec(
        "INSERT INTO instances (id, host, pid, version, started_at, last_seen, expires_at) "
        "VALUES ($1::text, $2::text, $3::bigint, $4::text, $5::bigint, $6::bigint, $7::bigint) "
        "ON CONFLICT (id) DO UPDATE SET host = excluded.host, pid = excluded.pid, "
        "version = excluded.version, last_seen = excluded.last_seen, "
        "expires_at = excluded.expires_at",
        Params()
            .Text(self_)
            .Text(me.host)
            .Int(me.pid)
            .Text(me.version)
            .Time(me.started_at)
            .Time(now)
            .Time(now + ttl),
        "recording this instance's heartbeat"));
    return core::Ok();
  });
}

Result<std::vector<Instance>> PgCluster::Alive(Time now) {
  return pool_->Read("listing live instances", [&](Conn& c) -> Result<std::vector<Instance>> {
    LL_ASSIGN(Rows r, c.Exec(fmt::format("SELECT {} FROM instances WHERE expires_at > $1::bigint "
                                         "ORDER BY started_at, id COLLATE \"C\"",
                                         kInstanceColumns),
                             Params().Time(now), "listing live instances"));
    std::vector<Instance> out;
    for (int i = 0; i < r.size(); ++i) out.push_back(InstanceFromRow(r[i]));
    return out;
  });
}

Status PgCluster::Leave() {
  return pool_->Write(Sync::kFull, "leaving the cluster", [&](Conn& c) -> Status {
    LL_TRY(c.Exec("DELETE FROM leases WHERE holder = $1::text", Params().Text(self_),
                  "giving back this instance's leases"));
    LL_TRY(c.Exec("DELETE FROM instances WHERE id = $1::text", Params().Text(self_),
                  "removing this instance"));
    return core::Ok();
  });
}

Result<std::int64_t> PgCluster::PruneDead(Time before) {
  return pool_->Write(
      Sync::kNormal, "pruning dead instances", [&](Conn& c) -> Result<std::int64_t> {
        LL_ASSIGN(Rows r, c.Exec("DELETE FROM instances WHERE expires_at < $1::bigint",
                                 Params().Time(before), "pruning dead instances"));
        return r.affected();
      });
}

Result<std::vector<std::string>> PgCluster::Balance(std::span<const std::string> names,
                                                    std::size_t want, Time now,
                                                    std::chrono::milliseconds ttl) {
  LL_TRY(CheckTtl(ttl));
  std::unordered_set<std::string> wanted;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i].empty()) {
      return MakeError(ErrorCode::kInvalidArgument, "names[{}]: a lease name is empty", i);
    }
    if (!wanted.insert(names[i]).second) {
      return MakeError(ErrorCode::kInvalidArgument, "names[{}]: \"{}\" is named twice", i,
                       names[i]);
    }
  }
  const std::string all = JsonArray({names.begin(), names.end()});
  const Time until = now + ttl;
  return pool_->Write(
      Sync::kFull, "balancing leases", [&](Conn& c) -> Result<std::vector<std::string>> {
        // Every row this may change, locked in name order (so two balancers never deadlock).
        LL_ASSIGN(Rows rows,
                  c.Exec("SELECT name, holder, acquired_at, expires_at FROM leases WHERE name IN "
                         "(SELECT json_array_elements_text($1::json)) OR holder = $2::text "
                         "ORDER BY name COLLATE \"C\" FOR UPDATE",
                         Params().Text(all).Text(self_), "locking leases"));
        struct Held {
          Time acquired;
          std::string name;
        };
        std::vector<Held> mine;
        std::vector<std::string> give_back;
        std::unordered_map<std::string, Time> others;  // held by another: its expiry
        for (int i = 0; i < rows.size(); ++i) {
          std::string name = rows[i].ColText(0);
          if (rows[i].ColText(1) == self_) {
            if (wanted.count(name) > 0) {
              mine.push_back({rows[i].ColTime(2), std::move(name)});
            } else {
              give_back.push_back(std::move(name));
            }
          } else {
            others.emplace(std::move(name), rows[i].ColTime(3));
          }
        }
        std::sort(mine.begin(), mine.end(), [](const Held& a, const Held& b) {
          return a.acquired != b.acquired ? a.acquired < b.acquired : a.name < b.name;
        });
        std::unordered_set<std::string> held;
        std::vector<std::string> keep;
        for (Held& h : mine) {
          if (keep.size() < want) {
            held.insert(h.name);
            keep.push_back(std::move(h.name));
          } else {
            give_back.push_back(std::move(h.name));
          }
        }
        if (!give_back.empty()) {
          LL_TRY(
              c.Exec("DELETE FROM leases WHERE holder = $1::text AND name IN "
                     "(SELECT json_array_elements_text($2::json))",
                     Params().Text(self_).Text(JsonArray(give_back)), "giving back leases"));
        }
        if (!keep.empty()) {
          LL_TRY(
              c.Exec("UPDATE leases SET expires_at = $2::bigint WHERE holder = $1::text AND "
                     "name IN (SELECT json_array_elements_text($3::json))",
                     Params().Text(self_).Time(until).Text(JsonArray(keep)), "renewing leases"));
        }
        // Free ones, in the order given: expired (their rows are locked) or never held.
        std::vector<std::string> expired, fresh;
        for (const std::string& name : names) {
          if (keep.size() + expired.size() + fresh.size() >= want) break;
          if (held.count(name) > 0) continue;
          auto o = others.find(name);
          if (o == others.end()) {
            fresh.push_back(name);
          } else if (o->second <= now) {
            expired.push_back(name);
          }
        }
        if (!expired.empty()) {
          LL_ASSIGN(Rows taken,
                    c.Exec("UPDATE leases SET holder = $1::text, acquired_at = $2::bigint, "
                           "expires_at = $3::bigint WHERE expires_at <= $2::bigint AND name IN "
                           "(SELECT json_array_elements_text($4::json)) RETURNING name",
                           Params().Text(self_).Time(now).Time(until).Text(JsonArray(expired)),
                           "taking over expired leases"));
          for (int i = 0; i < taken.size(); ++i) held.insert(taken[i].ColText(0));
        }
        if (!fresh.empty()) {
          // Another instance inserting the same name at once: ON CONFLICT waits for its commit
          // and leaves the lease to it.
          LL_ASSIGN(Rows taken,
                    c.Exec("INSERT INTO leases (name, holder, acquired_at, expires_at) "
                           "SELECT value, $1::text, $2::bigint, $3::bigint FROM "
                           "json_array_elements_text($4::json) ON CONFLICT (name) DO NOTHING "
                           "RETURNING name",
                           Params().Text(self_).Time(now).Time(until).Text(JsonArray(fresh)),
                           "taking free leases"));
          for (int i = 0; i < taken.size(); ++i) held.insert(taken[i].ColText(0));
        }
        std::vector<std::string> out;
        for (const std::string& name : names) {
          if (held.count(name) > 0) out.push_back(name);
        }
        return out;
      });
}

Result<std::vector<Lease>> PgCluster::Leases() {
  return pool_->Read("listing leases", [&](Conn& c) -> Result<std::vector<Lease>> {
    LL_ASSIGN(Rows r, c.Exec("SELECT name, holder, acquired_at, expires_at FROM leases "
                             "ORDER BY name COLLATE \"C\"",
                             "listing leases"));
    std::vector<Lease> out;
    for (int i = 0; i < r.size(); ++i) {
      out.push_back({r[i].ColText(0), r[i].ColText(1), r[i].ColTime(2), r[i].ColTime(3)});
    }
    return out;
  });
}

Result<std::string> PgCluster::SharedSecret(std::string_view name, std::string_view candidate) {
  if (name.empty() || candidate.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "a shared secret needs a name and a value");
  }
  return pool_->Write(
      Sync::kNormal, "keeping a shared secret", [&](Conn& c) -> Result<std::string> {
        // Two instances asking at once: one insert wins, the other's does nothing; both read the
        // winner's.
        LL_TRY(
            c.Exec("INSERT INTO shared_secrets (name, value) VALUES ($1::text, $2::text) "
                   "ON CONFLICT (name) DO NOTHING",
                   Params().Text(name).Text(candidate), "keeping a shared secret"));
        LL_ASSIGN(Rows r, c.Exec("SELECT value FROM shared_secrets WHERE name = $1::text",
                                 Params().Text(name), "reading a shared secret"));
        if (r.size() != 1) {
          return MakeError(ErrorCode::kInternal, "shared secret {} vanished", name);
        }
        return r[0].ColText(0);
      });
}

}  // namespace

std::unique_ptr<ClusterStore> NewPgCluster(Pool* pool, std::string self) {
  return std::make_unique<PgCluster>(pool, std::move(self));
}

}  // namespace lifeline::store::pg
