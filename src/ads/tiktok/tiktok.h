// The TikTok Business API (Marketing API v1.3) client: campaigns of one advertiser.
//   GET  /open_api/v1.3/campaign/get/?advertiser_id=&filtering={"campaign_ids":[...]}&page=
//        &page_size=1000
//   POST /open_api/v1.3/campaign/status/update/  {"advertiser_id", "campaign_ids" (1-20),
//        "operation_status": "DISABLE"|"ENABLE"}
//   POST /open_api/v1.3/campaign/update/         {"advertiser_id", "campaign_id", "budget"}
//   GET  /open_api/v1.3/report/integrated/get/   report_type=BASIC, data_level=AUCTION_CAMPAIGN,
//        dimensions=["campaign_id","stat_time_hour"]
// Header Access-Token (no "Bearer"). Every answer is HTTP 200 with the envelope {"code",
// "message", "request_id", "data"}: code 0 is success; 40100 (and 40133, 51021) rate limits;
// 40001, 40002 (insufficient permission), 40104-40105 (token) permissions; 40007 and "does not
// exist" messages unknown ids; other 4xxxx invalid values; 5xxxx unavailable.
#pragma once

#include <memory>

#include "ads/account.h"

namespace lifeline::ads::tiktok {

inline constexpr const char* kDefaultBase = "https://business-api.tiktok.com";
inline constexpr const char* kDefaultVersion = "v1.3";
inline constexpr std::size_t kMaxStatusIds = 20;

std::unique_ptr<AdPlatform> Make(const AccountConfig& config, channels::HttpClient& http);

Failure ClassifyTikTokCode(std::int64_t code, std::string_view message);

}  // namespace lifeline::ads::tiktok
