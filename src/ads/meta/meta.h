// The Meta Marketing API (Graph API) client: campaigns of one ad account (act_ID).
//   GET  /vNN/act_ID/campaigns?fields=...&limit=...   (paged by paging.next / cursors.after)
//   GET  /vNN/?ids=A,B&fields=...                      (several campaigns by id)
//   POST /vNN/CAMPAIGN_ID  status=PAUSED|ACTIVE, daily_budget|lifetime_budget=MINOR_UNITS
//   GET  /vNN/CAMPAIGN_ID/insights?fields=spend,impressions,clicks,cpm&time_range=...
//        &breakdowns=hourly_stats_aggregated_by_advertiser_time_zone
// The access token goes in `access_token` (never recorded). Errors are Graph errors
// {"error":{"message","type","code","error_subcode","fbtrace_id"}}: 4, 17, 32, 613 and 80000-
// 80014 (with subcodes 2446079, 1487742, ...) are rate limits, whose wait comes from the
// x-business-use-case-usage header's estimated_time_to_regain_access (minutes); 10, 190, 200-299
// are permissions; 100 with subcode 33 (or 803) an unknown object; other 100s invalid values.
#pragma once

#include <memory>

#include <nlohmann/json.hpp>

#include "ads/account.h"

namespace lifeline::ads::meta {

inline constexpr const char* kDefaultBase = "https://graph.facebook.com";
inline constexpr const char* kDefaultVersion = "v21.0";

std::unique_ptr<AdPlatform> Make(const AccountConfig& config, channels::HttpClient& http);

// The classification of a Graph error body (exposed for tests). A rate limit waits for the
// x-business-use-case-usage header's estimated_time_to_regain_access (minutes), else the
// x-ad-account-usage header's reset_time_duration (seconds), else a minute.
Failure ClassifyGraphError(int http_status, const nlohmann::json& body,
                           std::string_view business_usage_header,
                           std::string_view account_usage_header = "");

}  // namespace lifeline::ads::meta
