// What every dialect's measured-report store shares (store/device_reports.h): the input check,
// so SQLite and PostgreSQL differ only in SQL.
#pragma once

#include "core/result.h"
#include "store/device_reports.h"

namespace lifeline::store::internal {

// kInvalidArgument naming the field: a platform of 1-256 bytes, keys that are ClientKey() values
// (never a device id or an address), controls_ok in [0, controls_total], best_ms >= 0, connection
// words as browsers report them.
core::Status ValidateMeasuredReport(const MeasuredReport& r);

}  // namespace lifeline::store::internal
