// The Google Ads API (REST) client (google.h).
#include "ads/google/google.h"

#include <fmt/format.h>

#include "ads/http_call.h"

namespace lifeline::ads::google {
namespace {

using internal::AsText;
using internal::Exchange;
using internal::Request;
using nlohmann::json;

constexpr const char* kCampaignQuery =
    "SELECT campaign.id, campaign.name, campaign.status, campaign.serving_status, "
    "campaign.primary_status, campaign.primary_status_reasons, campaign.campaign_budget, "
    "campaign_budget.amount_micros, campaign_budget.total_amount_micros FROM campaign "
    "WHERE campaign.status != 'REMOVED'";

// Reasons of primary_status_reasons that are the guard's business (the campaign is paused or
// removed), not an issue.
bool IsOwnReason(std::string_view r) {
  return r == "CAMPAIGN_PAUSED" || r == "CAMPAIGN_REMOVED" || r == "CAMPAIGN_ENDED" ||
         r == "CAMPAIGN_PENDING";
}

// "30s", "1.5s" -> milliseconds.
std::optional<std::chrono::milliseconds> ParseDelay(std::string_view s) {
  if (s.empty() || s.back() != 's') return std::nullopt;
  auto m = FromDecimal("", s.substr(0, s.size() - 1));
  if (!m.ok() || m->micros < 0) return std::nullopt;
  return std::chrono::milliseconds((m->micros + 999) / 1000);
}

// The GoogleAdsFailure.errors of a google.rpc.Status, or empty.
std::vector<json> AdsErrors(const json& status) {
  std::vector<json> out;
  if (!status.is_object() || !status.contains("details") || !status["details"].is_array()) {
    return out;
  }
  for (const json& d : status["details"]) {
    if (d.is_object() && d.contains("errors") && d["errors"].is_array()) {
      for (const json& e : d["errors"]) out.push_back(e);
    }
  }
  return out;
}

class GoogleClient final : public AdPlatform {
 public:
  GoogleClient(AccountConfig config, channels::HttpClient& http)
      : config_(std::move(config)), http_(http) {
    base_ = config_.api_base.empty() ? kDefaultBase : config_.api_base;
    while (!base_.empty() && base_.back() == '/') base_.pop_back();
    version_ = config_.api_version.empty() ? kDefaultVersion : config_.api_version;
    cid_.clear();
    for (char c : config_.account_id) {
      if (c != '-') cid_ += c;  // "123-456-7890" as the UI shows it
    }
  }

  std::string_view kind() const override { return "google"; }
  const std::string& account() const override { return config_.account_id; }
  std::size_t max_batch() const override { return 1000; }
  bool stamps_changes() const override { return false; }

  Outcome<std::vector<Campaign>> ListCampaigns() override { return Search(kCampaignQuery); }

  Outcome<std::vector<Campaign>> GetCampaigns(const std::vector<std::string>& ids) override {
    Outcome<std::vector<Campaign>> out;
    out.value.emplace();
    for (std::size_t i = 0; i < ids.size(); i += 500) {
      std::string list;
      for (std::size_t j = i; j < std::min(ids.size(), i + 500); ++j) {
        // Ids are int64s: anything else cannot be a campaign (and must not reach the query).
        if (ids[j].empty() || ids[j].find_first_not_of("0123456789") != std::string::npos) {
          continue;
        }
        list += (list.empty() ? "" : ", ") + ids[j];
      }
      if (list.empty()) continue;
      auto got = Search(
          fmt::format("SELECT campaign.id, campaign.name, campaign.status, "
                      "campaign.serving_status, campaign.primary_status, "
                      "campaign.primary_status_reasons, campaign.campaign_budget, "
                      "campaign_budget.amount_micros, campaign_budget.total_amount_micros FROM "
                      "campaign WHERE campaign.id IN ({})",
                      list));
      for (auto& c : got.calls) out.calls.push_back(std::move(c));
      if (!got.ok()) return Fail(std::move(out), got.failure);
      for (auto& c : *got.value) out.value->push_back(std::move(c));
    }
    return out;
  }

  Outcome<std::vector<Change>> SetStatus(const std::vector<std::string>& ids,
                                         bool active) override {
    Outcome<std::vector<Change>> out;
    json ops = json::array();
    for (const auto& id : ids) {
      ops.push_back({{"updateMask", "status"},
                     {"update",
                      {{"resourceName", fmt::format("customers/{}/campaigns/{}", cid_, id)},
                       {"status", active ? "ENABLED" : "PAUSED"}}}});
    }
    Request r = Base("/customers/" + cid_ + "/campaigns:mutate");
    r.body = json{{"operations", ops}, {"partialFailure", true}}.dump();
    Exchange ex = Do(r, out.calls);
    if (auto f = Classify(ex); f.kind != FailureKind::kNone) {
      // A request refused as a whole for one bad operation (no partial failure): each id gets
      // the failure its operation had, the others are unchanged and retried by the caller.
      return Fail(std::move(out), f);
    }
    out.value.emplace();
    for (const auto& id : ids) out.value->push_back({id, {}});
    if (ex.json.contains("partialFailureError")) {
      for (const json& e : AdsErrors(ex.json["partialFailureError"])) {
        const std::size_t idx = OperationIndex(e);
        if (idx < out.value->size()) (*out.value)[idx].failure = ClassifyGoogleError(400, e);
      }
    }
    return out;
  }

  Outcome<Campaign> SetBudget(const std::string& id, const Money& budget) override {
    Outcome<Campaign> out;
    auto now = GetCampaigns({id});
    out.calls = std::move(now.calls);
    if (!now.ok()) return Fail(std::move(out), now.failure);
    if (now.value->empty()) {
      return Fail(std::move(out), {FailureKind::kNotFound, "", "no campaign " + id});
    }
    Campaign c = now.value->front();
    if (c.budget_id.empty()) {
      return Fail(std::move(out), {FailureKind::kInvalid, "", "campaign " + id + " has no budget"});
    }
    const bool daily = c.budget_kind != BudgetKind::kLifetime;
    Request r = Base("/customers/" + cid_ + "/campaignBudgets:mutate");
    r.body = json{{"operations",
                   json::array({{{"updateMask", daily ? "amount_micros" : "total_amount_micros"},
                                 {"update",
                                  {{"resourceName", c.budget_id},
                                   {daily ? "amountMicros" : "totalAmountMicros",
                                    std::to_string(budget.micros)}}}}})}}
                 .dump();
    Exchange ex = Do(r, out.calls);
    if (auto f = Classify(ex); f.kind != FailureKind::kNone) return Fail(std::move(out), f);
    c.budget = FromMicros(config_.currency, budget.micros);
    out.value = c;
    return out;
  }

  Outcome<std::vector<HourlyInsight>> HourlyInsights(const std::string& id,
                                                     const std::string& since,
                                                     const std::string& until) override {
    Outcome<std::vector<HourlyInsight>> out;
    out.value.emplace();
    if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos) {
      return Fail(std::move(out), {FailureKind::kInvalid, "", "not a campaign id: " + id});
    }
    const std::string q = fmt::format(
        "SELECT campaign.id, segments.date, segments.hour, metrics.cost_micros, "
        "metrics.impressions, metrics.clicks, metrics.average_cpm FROM campaign WHERE "
        "campaign.id = {} AND segments.date BETWEEN '{}' AND '{}'",
        id, since, until);
    std::string token;
    for (int page = 0; page < 1000; ++page) {
      Request r = Base("/customers/" + cid_ + "/googleAds:search");
      json body{{"query", q}};
      if (!token.empty()) body["pageToken"] = token;
      r.body = body.dump();
      Exchange ex = Do(r, out.calls);
      if (auto f = Classify(ex); f.kind != FailureKind::kNone) return Fail(std::move(out), f);
      for (const json& row : ex.json.value("results", json::array())) {
        HourlyInsight h;
        h.campaign_id = id;
        const json seg = row.value("segments", json::object());
        const json met = row.value("metrics", json::object());
        h.hour = fmt::format("{}T{:02}:00", seg.value("date", std::string()),
                             std::atoi(AsText(seg.value("hour", json(0))).c_str()));
        h.spend = FromMicros(config_.currency,
                             std::atoll(AsText(met.value("costMicros", json("0"))).c_str()));
        h.impressions = std::atoll(AsText(met.value("impressions", json("0"))).c_str());
        h.clicks = std::atoll(AsText(met.value("clicks", json("0"))).c_str());
        if (met.contains("averageCpm") && met["averageCpm"].is_number()) {
          h.cpm = FromMicros(config_.currency,
                             static_cast<std::int64_t>(met["averageCpm"].get<double>() + 0.5));
        }
        out.value->push_back(std::move(h));
      }
      token = ex.json.value("nextPageToken", std::string());
      if (token.empty()) break;
    }
    return out;
  }

 private:
  Outcome<std::vector<Campaign>> Search(const std::string& query) {
    Outcome<std::vector<Campaign>> out;
    out.value.emplace();
    std::string token;
    for (int page = 0; page < 1000; ++page) {
      Request r = Base("/customers/" + cid_ + "/googleAds:search");
      json body{{"query", query}};
      if (!token.empty()) body["pageToken"] = token;
      r.body = body.dump();
      Exchange ex = Do(r, out.calls);
      if (auto f = Classify(ex); f.kind != FailureKind::kNone) return Fail(std::move(out), f);
      for (const json& row : ex.json.value("results", json::array())) {
        out.value->push_back(FromRow(row));
      }
      token = ex.json.value("nextPageToken", std::string());
      if (token.empty()) break;
    }
    return out;
  }

  Request Base(std::string path) const {
    Request r;
    r.method = "POST";
    r.base = base_;
    r.path = "/" + version_ + path;
    r.headers = {{"Authorization", "Bearer " + config_.access_token},
                 {"developer-token", config_.developer_token}};
    if (!config_.login_customer_id.empty()) {
      std::string login;
      for (char c : config_.login_customer_id) {
        if (c != '-') login += c;
      }
      r.headers.emplace_back("login-customer-id", login);
    }
    r.content_type = "application/json";
    r.timeout = config_.timeout;
    return r;
  }

  Exchange Do(const Request& r, std::vector<Call>& calls) {
    Exchange ex = internal::Send(http_, r);
    calls.push_back(ex.call);
    return ex;
  }

  Failure Classify(const Exchange& ex) const {
    if (ex.response.transport != channels::HttpResponse::Transport::kAnswered) {
      return internal::TransportFailure(ex);
    }
    if (ex.response.status >= 200 && ex.response.status < 300 && ex.json.is_object()) return {};
    if (ex.json.is_object() && ex.json.contains("error")) {
      return ClassifyGoogleError(ex.response.status, ex.json["error"]);
    }
    return internal::TransportFailure(ex);
  }

  // operations[N] of a GoogleAdsError's location.
  static std::size_t OperationIndex(const json& e) {
    const json path = e.value("/location/fieldPathElements"_json_pointer, json::array());
    for (const json& p : path) {
      if (p.value("fieldName", std::string()) == "operations" && p.contains("index")) {
        return static_cast<std::size_t>(std::atoll(AsText(p["index"]).c_str()));
      }
    }
    return static_cast<std::size_t>(-1);
  }

  Campaign FromRow(const json& row) const {
    Campaign out;
    const json c = row.value("campaign", json::object());
    out.id = AsText(c.value("id", json()));
    out.name = c.value("name", std::string());
    out.raw_status = c.value("status", std::string());
    out.status = out.raw_status == "ENABLED"  ? CampaignStatus::kActive
                 : out.raw_status == "PAUSED" ? CampaignStatus::kPaused
                                              : CampaignStatus::kOther;
    const std::string serving = c.value("servingStatus", std::string());
    const std::string primary = c.value("primaryStatus", std::string());
    out.effective_status = primary.empty() ? serving : serving + "/" + primary;
    for (const json& r : c.value("primaryStatusReasons", json::array())) {
      const std::string reason = AsText(r);
      if (!IsOwnReason(reason)) out.issues.push_back(reason);
    }
    // LIMITED and LEARNING serve; NOT_ELIGIBLE and MISCONFIGURED do not.
    if ((primary == "NOT_ELIGIBLE" || primary == "MISCONFIGURED") && out.issues.empty()) {
      out.issues.push_back(primary);
    }
    out.budget_id = c.value("campaignBudget", std::string());
    const json b = row.value("campaignBudget", json::object());
    const std::string daily = AsText(b.value("amountMicros", json()));
    const std::string total = AsText(b.value("totalAmountMicros", json()));
    if (!daily.empty() && daily != "0") {
      out.budget = FromMicros(config_.currency, std::atoll(daily.c_str()));
      out.budget_kind = BudgetKind::kDaily;
    } else if (!total.empty() && total != "0") {
      out.budget = FromMicros(config_.currency, std::atoll(total.c_str()));
      out.budget_kind = BudgetKind::kLifetime;
    }
    return out;
  }

  template <typename T>
  static Outcome<T> Fail(Outcome<T> out, Failure f) {
    out.value.reset();
    out.failure = std::move(f);
    return out;
  }

  AccountConfig config_;
  channels::HttpClient& http_;
  std::string base_;
  std::string version_;
  std::string cid_;
};

}  // namespace

Failure ClassifyGoogleError(int http_status, const json& e) {
  Failure f;
  // A GoogleAdsError: {"errorCode": {"quotaError": "RESOURCE_EXHAUSTED"}, "message", "details"}.
  auto one = [&](const json& err) {
    const json code = err.value("errorCode", json::object());
    std::string family, value;
    if (code.is_object() && !code.empty()) {
      family = code.begin().key();
      value = AsText(code.begin().value());
    }
    f.code = family.empty() ? f.code : family + "." + value;
    f.message = internal::Cut(err.value("message", f.message), 300);
    if (family == "quotaError") {
      f.kind = FailureKind::kRateLimited;
      f.retry_after = ParseDelay(
          err.value("/details/quotaErrorDetails/retryDelay"_json_pointer, std::string()));
    } else if (family == "authorizationError" || family == "authenticationError") {
      f.kind = FailureKind::kPermission;
    } else if (value == "RESOURCE_NOT_FOUND" || family == "notFoundError") {
      f.kind = FailureKind::kNotFound;
    } else if (!family.empty()) {
      f.kind = FailureKind::kInvalid;
    }
  };
  if (e.contains("errorCode")) {
    one(e);
  } else {
    const std::string status = e.value("status", std::string());
    f.code = status;
    f.message = internal::Cut(e.value("message", std::string("unknown Google Ads error")), 300);
    const std::vector<json> errors = AdsErrors(e);
    if (!errors.empty()) one(errors.front());
    if (f.kind == FailureKind::kNone) {
      if (status == "RESOURCE_EXHAUSTED" || http_status == 429) {
        f.kind = FailureKind::kRateLimited;
      } else if (status == "PERMISSION_DENIED" || status == "UNAUTHENTICATED" ||
                 http_status == 401 || http_status == 403) {
        f.kind = FailureKind::kPermission;
      } else if (status == "NOT_FOUND" || http_status == 404) {
        f.kind = FailureKind::kNotFound;
      } else if (http_status >= 500 || status == "UNAVAILABLE" || status == "INTERNAL") {
        f.kind = FailureKind::kUnavailable;
      } else {
        f.kind = FailureKind::kInvalid;
      }
    }
  }
  if (f.kind == FailureKind::kRateLimited && !f.retry_after)
    f.retry_after = std::chrono::seconds(30);
  if (f.kind == FailureKind::kNone) f.kind = FailureKind::kInvalid;
  return f;
}

std::unique_ptr<AdPlatform> Make(const AccountConfig& config, channels::HttpClient& http) {
  return std::make_unique<GoogleClient>(config, http);
}

}  // namespace lifeline::ads::google
