// The PostgreSQL measured-report store (store/device_reports.h): its SQL lives in
// device_reports.cc, on the store's pool. The crowd counts that include measured reports
// (CountReports, HourlyReportCounts) are in pg_store.cc, and so is their pruning.
//
// Several instances on one database: "once per device per platform per hour" is the table's
// unique constraint; the per-address cap is checked and the report inserted under a transaction
// advisory lock on (address, platform, hour), so concurrent reports from one address — through
// one instance or several — are counted one after the other and never exceed the cap.
#pragma once

#include <memory>

#include "store/device_reports.h"
#include "store/pg/conn.h"

namespace lifeline::store::pg {

// `pool` must outlive the result (the PgStore owns both).
std::unique_ptr<DeviceReportStore> NewPgDeviceReports(Pool* pool);

}  // namespace lifeline::store::pg
