// The SQLite ads-guard store (store/ads.h): its SQL lives in ads.cc, on the store's writer and
// reader connections.
#pragma once

#include <memory>

#include "store/ads.h"
#include "store/sqlite/conns.h"

namespace lifeline::store::sqlite {

// `conns` must outlive the result (the SqliteStore owns both).
std::unique_ptr<AdsStore> NewSqliteAds(Connections* conns);

}  // namespace lifeline::store::sqlite
