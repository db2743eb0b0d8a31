// What every dialect's ads store shares (store/ads.h): the input checks, so SQLite and PostgreSQL
// differ only in SQL.
#pragma once

#include "core/result.h"
#include "store/ads.h"

namespace lifeline::store::internal {

// kInvalidArgument: a change needs its account, platform and campaign id (ids at most 256 bytes);
// a transfer its incident, name, accounts and receiving campaign.
core::Status ValidateAdChange(const AdChange& c);
core::Status ValidateAdTransfer(const AdTransfer& t);

}  // namespace lifeline::store::internal
