// The `store:` section: where `lifeline serve` keeps its state when it is not the embedded SQLite
// file (serve.data_dir / serve.database), i.e. a PostgreSQL database several instances can share.
//
//   store:
//     url: postgresql://lifeline@db.example:5432/lifeline
//     password: { env: LIFELINE_DB_PASSWORD }   # or { file: /run/secrets/lifeline-db }
//     connections: 8                            # sessions per instance, 1..100
//     lease_ttl: 15s   # several instances: a dead one's platforms are taken over this long after
//                      # its last renewal (renewed every third of it), 1s..5m
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "config/config.h"
#include "core/result.h"

namespace lifeline::config {

struct StoreSettings {
  std::string url;       // "" = no `store:` section: SQLite at serve.DatabasePath()
  std::string password;  // from the environment or a file; never in a message or a log
  std::size_t connections = 8;
  std::chrono::milliseconds lease_ttl{15000};
};

// Reads and checks the section (kInvalidArgument "FILE:LINE: store.KEY: ..."): url is required
// and a postgresql:// URL without a password in it (passwords come from password: env or file,
// never plain text in the file); serve.database cannot be set as well.
core::Result<StoreSettings> ReadStoreSection(const Config& config);

}  // namespace lifeline::config
