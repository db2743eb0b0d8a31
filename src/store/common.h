// What every SQL implementation of the Store shares, so dialects differ only in SQL: input
// validation, id and secret generation, hashing, percentile rollup and incident cursors.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "store/records.h"

namespace lifeline::store::internal {

std::string Sha256Hex(std::string_view data);
std::string HmacSha256Hex(std::string_view key, std::string_view data);
// n cryptographically random bytes as 2n lowercase hex characters.
core::Result<std::string> RandomHex(std::size_t n);
// prefix + 10 Crockford base32 characters of `at` (so ids sort by time) + 16 random ones.
core::Result<std::string> NewId(std::string_view prefix, Time at);
// "llt_" + 64 random hex characters.
core::Result<std::string> NewTokenSecret();
bool IsHex64(std::string_view s);

// Nearest-rank percentile of ascending `sorted` (non-empty), p in (0, 100].
double NearestRank(std::span<const double> sorted, double p);
// Aggregates samples by (platform, probe_id, from, minute). Order of the result: platform,
// minute, probe_id, from.
std::vector<MinuteAggregate> Aggregate(std::vector<ProbeSample> samples);

// Input checks: kInvalidArgument naming the field.
core::Status ValidateJson(std::string_view field, std::string_view text);
core::Status ValidateSample(const ProbeSample& s);
core::Status ValidatePlatformState(const PlatformState& s);
core::Status ValidateNewIncident(const NewIncident& i);
core::Status ValidatePatch(const IncidentPatch& p);
core::Status ValidateEvent(const NewEvent& e);
core::Status ValidateReport(const CrowdReport& r);
core::Status ValidateNewToken(const NewToken& t);
core::Status ValidateStatusPage(const StatusPageState& s);
core::Status ValidateRange(TimeRange range);

// Position after the last incident of a page, in the order "open first, newest first".
struct IncidentCursor {
  int closed = 0;  // 0 for open, 1 for closed
  std::int64_t opened_at = 0;
  std::string id;
};
std::string EncodeCursor(const IncidentCursor& c);
core::Result<IncidentCursor> DecodeCursor(std::string_view text);

}  // namespace lifeline::store::internal
