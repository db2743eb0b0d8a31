// tests/fakes/ads_apis.py (the emulated Meta, Google Ads and TikTok APIs) for the ads tests:
// started with PythonFake, seeded and steered through its /_control endpoint, inspected through
// /_state and /_writes. Header-only: shared by the ads_*_test.cc files.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ads/account.h"
#include "integration/support/python_fake.h"
#include "integration/support/toggle_site.h"

namespace lifeline::testing {

class AdsFake {
 public:
  static constexpr const char* kMetaToken = "EAAB-lifeline-ads-token";
  static constexpr const char* kGoogleToken = "ya29.lifeline-ads-token";
  static constexpr const char* kGoogleDeveloperToken = "lifeline-dev-token";
  static constexpr const char* kTikTokToken = "lifeline-tiktok-ads-token";

  bool Start(std::string* error) { return fake_.Start("ads_apis.py", {}, error); }
  void Stop() { fake_.Stop(); }
  std::uint16_t port() const { return fake_.port(); }
  std::string Base(const std::string& platform) const {
    return "http://127.0.0.1:" + std::to_string(port()) + "/" + platform;
  }
  std::string log() const { return fake_.log(); }

  bool Control(const nlohmann::json& body) {
    auto r = HttpCall(port(), "POST", "/_control", body.dump());
    return r && r->status == 200;
  }
  nlohmann::json Get(const std::string& path) {
    auto r = HttpCall(port(), "GET", path);
    if (!r || r->status != 200) return nlohmann::json();
    return nlohmann::json::parse(r->body, nullptr, false);
  }
  // Every status/budget change that took effect: {platform, account, campaign, op, by, at}.
  nlohmann::json Writes() { return Get("/_writes"); }
  nlohmann::json State() { return Get("/_state"); }
  nlohmann::json Received() { return Get("/_received"); }
  // The status of one campaign ("active", "paused", ...), "" when unknown.
  std::string StatusOf(const std::string& platform, const std::string& id) {
    for (const auto& c : State()) {
      if (c.value("platform", "") == platform && c.value("id", "") == id) {
        return c.value("status", "");
      }
    }
    return "";
  }
  int Count(const std::string& op, const std::string& campaign = "") {
    int n = 0;
    for (const auto& w : Writes()) {
      if (w.value("op", "") == op && (campaign.empty() || w.value("campaign", "") == campaign)) {
        ++n;
      }
    }
    return n;
  }

  // An account config pointing at the fake.
  ads::AccountConfig Account(const std::string& kind, const std::string& name,
                             const std::string& id) const {
    ads::AccountConfig a;
    a.name = name;
    a.kind = kind;
    a.account_id = id;
    a.currency = "USD";
    a.platforms = ads::DefaultPlatforms(kind);
    a.api_base = Base(kind);
    a.timeout = std::chrono::seconds(10);
    if (kind == "meta") a.access_token = kMetaToken;
    if (kind == "google") {
      a.access_token = kGoogleToken;
      a.developer_token = kGoogleDeveloperToken;
    }
    if (kind == "tiktok") a.access_token = kTikTokToken;
    return a;
  }

 private:
  PythonFake fake_;
};

}  // namespace lifeline::testing
