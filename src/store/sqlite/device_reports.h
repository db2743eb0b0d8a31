// The SQLite measured-report store (store/device_reports.h): its SQL lives in device_reports.cc,
// on the store's writer and reader connections.
#pragma once

#include <memory>

#include "store/device_reports.h"
#include "store/sqlite/conns.h"

namespace lifeline::store::sqlite {

// `conns` must outlive the result (the SqliteStore owns both).
std::unique_ptr<DeviceReportStore> NewSqliteDeviceReports(Connections* conns);

}  // namespace lifeline::store::sqlite
