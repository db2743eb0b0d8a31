// The measured-report checks every dialect applies before writing (device_reports_common.h).
#include <cmath>
#include <string_view>

#include "store/common.h"
#include "store/device_reports_common.h"

namespace lifeline::store::internal {
namespace {

using core::ErrorCode;
using core::MakeError;

// Connection types are short lowercase words (wifi, cellular, 4g, slow-2g): anything else is not
// what a browser reports.
bool IsConnectionWord(std::string_view s) {
  if (s.size() > 16) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

}  // namespace

core::Status ValidateMeasuredReport(const MeasuredReport& r) {
  if (r.platform.empty() || r.platform.size() > 256) {
    return MakeError(ErrorCode::kInvalidArgument, "measured report platform must be 1-256 bytes");
  }
  if (!IsHex64(r.device_key) || !IsHex64(r.address_key)) {
    // Guards the promise that neither the device id nor the address is stored.
    return MakeError(ErrorCode::kInvalidArgument,
                     "measured report device_key and address_key must be Store::ClientKey() "
                     "values (64 hex characters)");
  }
  if (r.controls_ok < 0 || r.controls_total < r.controls_ok) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "measured report controls_ok must be in [0, controls_total], got {} of {}",
                     r.controls_ok, r.controls_total);
  }
  if (r.best_ms && (!std::isfinite(*r.best_ms) || *r.best_ms < 0)) {
    return MakeError(ErrorCode::kInvalidArgument, "measured report best_ms must be >= 0");
  }
  if (!IsConnectionWord(r.connection) || !IsConnectionWord(r.effective_type)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "measured report connection and effective_type must be short lowercase "
                     "words");
  }
  return core::Ok();
}

}  // namespace lifeline::store::internal
