// Ad account kinds and their clients (account.h): one line per platform.
#include "ads/account.h"

#include <nlohmann/json.hpp>

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

// A client whose reading of an answer throws (nlohmann's type_error when a field has another type
// than documented, e.g. "name": 5) answers kUnavailable instead: an answer it cannot read. The
// exception must not leave the adapter (STYLE.md); uncaught it ended the process (found by
// fuzz/ads_fuzz.cc). A write that threw may have been done (its request went out).
class Readable final : public AdPlatform {
 public:
  explicit Readable(std::unique_ptr<AdPlatform> inner) : inner_(std::move(inner)) {}

  std::string_view kind() const override { return inner_->kind(); }
  const std::string& account() const override { return inner_->account(); }
  std::size_t max_batch() const override { return inner_->max_batch(); }
  bool stamps_changes() const override { return inner_->stamps_changes(); }

  Outcome<std::vector<Campaign>> ListCampaigns() override {
    return Guard<std::vector<Campaign>>(false, [&] { return inner_->ListCampaigns(); });
  }
  Outcome<std::vector<Campaign>> GetCampaigns(const std::vector<std::string>& ids) override {
    return Guard<std::vector<Campaign>>(false, [&] { return inner_->GetCampaigns(ids); });
  }
  Outcome<std::vector<Change>> SetStatus(const std::vector<std::string>& ids,
                                         bool active) override {
    return Guard<std::vector<Change>>(true, [&] { return inner_->SetStatus(ids, active); });
  }
  Outcome<Campaign> SetBudget(const std::string& id, const Money& budget) override {
    return Guard<Campaign>(true, [&] { return inner_->SetBudget(id, budget); });
  }
  Outcome<std::vector<HourlyInsight>> HourlyInsights(const std::string& id,
                                                     const std::string& since,
                                                     const std::string& until) override {
    return Guard<std::vector<HourlyInsight>>(
        false, [&] { return inner_->HourlyInsights(id, since, until); });
  }

 private:
  template <typename T, typename F>
  Outcome<T> Guard(bool writes, F call) {
    try {
      return call();
    } catch (const nlohmann::json::exception& e) {
      Outcome<T> out;
      out.failure.kind = FailureKind::kUnavailable;
      out.failure.message = std::string("an answer that cannot be read: ") + e.what();
      out.failure.may_have_acted = writes;
      return out;
    }
  }

  std::unique_ptr<AdPlatform> inner_;
};

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
    if (e.kind == config.kind) {
      return std::unique_ptr<AdPlatform>(std::make_unique<Readable>(e.make(config, http)));
    }
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
