// The PostgreSQL Store (store.h's OpenPostgres) beyond its public factory: the URL check the
// config uses, and the partial open the conformance tests use while slices are still missing.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"
#include "store/store.h"

namespace lifeline::store::pg {

// kInvalidArgument unless `url` is a postgresql:// (or postgres://) URI libpq can parse, without a
// password in it (the password comes from PostgresOptions::password, so it is never logged).
// Messages never quote the URL.
[[nodiscard]] core::Status CheckPostgresUrl(const std::string& url);

// The slices store.h declares that this implementation does not have yet, for messages.
std::string_view MissingSlices();

// Opens and migrates the database like a complete OpenPostgres would, although the slices in
// MissingSlices() are missing: their accessors abort the process. For the conformance tests of
// what exists (the Store itself, Outbox, Timers); OpenPostgres refuses while anything is missing.
[[nodiscard]] core::Result<std::unique_ptr<Store>> OpenPostgresIncomplete(
    const PostgresOptions& options, OpenOptions open = {});

}  // namespace lifeline::store::pg
