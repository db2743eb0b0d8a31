// One configured ad account (config `ads.accounts.NAME`) and the factory that builds its client.
// A new ad platform is one folder with a Make function and one line in account.cc.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ads/ad_platform.h"
#include "channels/http.h"
#include "core/result.h"

namespace lifeline::ads {

struct AccountConfig {
  std::string name;        // ads.accounts.NAME
  std::string kind;        // "meta", "google", "tiktok"
  std::string account_id;  // Meta "act_123", Google customer id "1234567890", TikTok advertiser id
  std::string currency;    // the account's currency (amounts in messages and conversions)
  // The catalog platforms this account's campaigns deliver on: an incident on one of them (or on
  // their whole failure domain) pauses them. Default per kind: meta facebook+instagram, google
  // youtube, tiktok tiktok.
  std::vector<std::string> platforms;
  // Credentials (never logged): Meta and TikTok an access token; Google an OAuth access token
  // plus the developer token and, through a manager account, login_customer_id.
  std::string access_token;
  std::string developer_token;
  std::string login_customer_id;
  std::string api_base;     // "" = the platform's documented host; tests point it at an emulator
  std::string api_version;  // "" = the default of the kind (Meta v21.0, Google v17, TikTok v1.3)
  // The IANA time zone the platform reports the account's hourly figures in ("Europe/Lisbon");
  // "" = UTC. The recovery checks place the monitoring window in it.
  std::string time_zone;
  std::chrono::milliseconds timeout{15000};
};

// The default catalog platforms of an account kind.
std::vector<std::string> DefaultPlatforms(std::string_view kind);
// "meta", "google", "tiktok".
const std::vector<std::string>& AccountKinds();

// Builds the client of `config.kind`. `http` must outlive it. kInvalidArgument for an unknown
// kind.
core::Result<std::unique_ptr<AdPlatform>> MakeAdPlatform(const AccountConfig& config,
                                                         channels::HttpClient& http);

}  // namespace lifeline::ads
