// The PostgreSQL Store (store.h's OpenPostgres) beyond its public factory: the URL check the
// config uses.
#pragma once

#include <string>

#include "core/result.h"
#include "store/store.h"

namespace lifeline::store::pg {

// kInvalidArgument unless `url` is a postgresql:// (or postgres://) URI libpq can parse, without a
// password in it (the password comes from PostgresOptions::password, so it is never logged).
// Messages never quote the URL.
[[nodiscard]] core::Status CheckPostgresUrl(const std::string& url);

}  // namespace lifeline::store::pg
