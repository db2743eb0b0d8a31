// The Google Ads API (REST) client: campaigns of one customer.
//   POST /vNN/customers/CID/googleAds:search       {"query": GAQL, "pageToken"}  (paged)
//   POST /vNN/customers/CID/campaigns:mutate       {"operations": [{"update": {...},
//        "updateMask": "status"}], "partialFailure": true}
//   POST /vNN/customers/CID/campaignBudgets:mutate amountMicros with updateMask amount_micros
// Headers: Authorization: Bearer OAUTH_TOKEN, developer-token, login-customer-id (a manager
// account). Errors are google.rpc.Status {"error":{"code","message","status","details":[
// GoogleAdsFailure {"errors":[{"errorCode":{"quotaError":"RESOURCE_EXHAUSTED"},"message",
// "details":{"quotaErrorDetails":{"retryDelay":"30s"}}}]}]}}: RESOURCE_EXHAUSTED / quotaError is a
// rate limit, PERMISSION_DENIED / UNAUTHENTICATED / authorizationError / authenticationError a
// permission, mutateError RESOURCE_NOT_FOUND an unknown campaign, other INVALID_ARGUMENTs invalid.
#pragma once

#include <memory>

#include <nlohmann/json.hpp>

#include "ads/account.h"

namespace lifeline::ads::google {

inline constexpr const char* kDefaultBase = "https://googleads.googleapis.com";
inline constexpr const char* kDefaultVersion = "v17";

std::unique_ptr<AdPlatform> Make(const AccountConfig& config, channels::HttpClient& http);

// One GoogleAdsError (an element of GoogleAdsFailure.errors) or a google.rpc.Status, classified.
Failure ClassifyGoogleError(int http_status, const nlohmann::json& status_or_error);

}  // namespace lifeline::ads::google
