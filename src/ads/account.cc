// Ad account kinds and their clients (account.h): one line per platform.
#include "ads/account.h"

#include "ads/google/google.h"
#include "ads/meta/meta.h"
#include "ads/tiktok/tiktok.h"

namespace lifeline::ads {
namespace {

struct KindEntry {
  const char* kind;
  std::vector<std::string> platforms;
  std::unique_ptr<AdPlatform> (*make)(const AccountConfig&, channels::HttpClient&);
};

const std::vector<KindEntry>& Entries() {
  static const std::vector<KindEntry> kEntries = {
      {"meta", {"facebook", "instagram"}, &meta::Make},
      {"google", {"youtube"}, &google::Make},
      {"tiktok", {"tiktok"}, &tiktok::Make},
  };
  return kEntries;
}

}  // namespace

std::vector<std::string> DefaultPlatforms(std::string_view kind) {
  for (const auto& e : Entries()) {
    if (e.kind == kind) return e.platforms;
  }
  return {};
}

const std::vector<std::string>& AccountKinds() {
  static const std::vector<std::string> kKinds = [] {
    std::vector<std::string> k;
    for (const auto& e : Entries()) k.push_back(e.kind);
    return k;
  }();
  return kKinds;
}

core::Result<std::unique_ptr<AdPlatform>> MakeAdPlatform(const AccountConfig& config,
                                                         channels::HttpClient& http) {
  for (const auto& e : Entries()) {
    if (e.kind == config.kind) return e.make(config, http);
  }
  return core::MakeError(core::ErrorCode::kInvalidArgument, "unknown ad platform '{}'",
                         config.kind);
}

std::string_view StatusName(CampaignStatus s) {
  switch (s) {
    case CampaignStatus::kActive:
      return "active";
    case CampaignStatus::kPaused:
      return "paused";
    case CampaignStatus::kOther:
      return "other";
  }
  return "other";
}

std::string_view BudgetKindName(BudgetKind k) {
  switch (k) {
    case BudgetKind::kNone:
      return "";
    case BudgetKind::kDaily:
      return "daily";
    case BudgetKind::kLifetime:
      return "lifetime";
  }
  return "";
}

std::string_view FailureKindName(FailureKind k) {
  switch (k) {
    case FailureKind::kNone:
      return "";
    case FailureKind::kRateLimited:
      return "rate_limited";
    case FailureKind::kPermission:
      return "permission";
    case FailureKind::kNotFound:
      return "not_found";
    case FailureKind::kInvalid:
      return "invalid";
    case FailureKind::kUnavailable:
      return "unavailable";
  }
  return "";
}

}  // namespace lifeline::ads
