// The Meta Marketing API client (meta.h).
#include "ads/meta/meta.h"

#include <fmt/format.h>

#include <algorithm>
#include <climits>
#include <cstdint>

#include "ads/http_call.h"

namespace lifeline::ads::meta {
namespace {

using internal::AsText;
using internal::Exchange;
using internal::Request;
using nlohmann::json;

constexpr const char* kFields =
    "id,name,status,effective_status,daily_budget,lifetime_budget,issues_info,updated_time";

bool IsRateLimit(int code) {
  return code == 4 || code == 17 || code == 32 || code == 613 || (code >= 80000 && code <= 80014);
}

// The longest estimated_time_to_regain_access (minutes) in x-business-use-case-usage:
// {"ACCOUNT_ID": [{"type": "ads_management", "call_count": 100, ...,
// "estimated_time_to_regain_access": 5}]}.
std::optional<std::chrono::milliseconds> RegainFromUsage(std::string_view header) {
  if (header.empty()) return std::nullopt;
  json u = json::parse(header, nullptr, false);
  if (!u.is_object()) return std::nullopt;
  std::int64_t minutes = -1;
  for (const auto& [account, entries] : u.items()) {
    if (!entries.is_array()) continue;
    for (const auto& e : entries) {
      if (e.is_object() && e.contains("estimated_time_to_regain_access") &&
          e["estimated_time_to_regain_access"].is_number()) {
        minutes = std::max(minutes, e["estimated_time_to_regain_access"].get<std::int64_t>());
      }
    }
  }
  if (minutes < 0) return std::nullopt;
  return std::chrono::minutes(minutes);
}

class MetaClient final : public AdPlatform {
 public:
  MetaClient(AccountConfig config, channels::HttpClient& http)
      : config_(std::move(config)), http_(http) {
    base_ = config_.api_base.empty() ? kDefaultBase : config_.api_base;
    while (!base_.empty() && base_.back() == '/') base_.pop_back();
    version_ = config_.api_version.empty() ? kDefaultVersion : config_.api_version;
    act_ =
        config_.account_id.starts_with("act_") ? config_.account_id : "act_" + config_.account_id;
  }

  std::string_view kind() const override { return "meta"; }
  const std::string& account() const override { return config_.account_id; }
  std::size_t max_batch() const override { return 1; }

  Outcome<std::vector<Campaign>> ListCampaigns() override {
    Outcome<std::vector<Campaign>> out;
    out.value.emplace();
    std::string after;
    for (int page = 0; page < 1000; ++page) {
      Request r = Base("GET", "/" + act_ + "/campaigns");
      r.query = {{"fields", kFields}, {"limit", "200"}};
      if (!after.empty()) r.query.emplace_back("after", after);
      Exchange ex = Do(r, out.calls);
      if (auto f = Classify(ex); f.kind != FailureKind::kNone) return Fail(std::move(out), f);
      if (!ex.json.contains("data") || !ex.json["data"].is_array()) {
        return Fail(std::move(out), Unreadable("no data list"));
      }
      for (const json& c : ex.json["data"]) out.value->push_back(FromJson(c));
      const json* next = ex.json.contains("paging") ? &ex.json["paging"] : nullptr;
      if (next == nullptr || !next->contains("next")) break;
      after = (*next).value("/cursors/after"_json_pointer, std::string());
      if (after.empty()) break;
    }
    return out;
  }

  Outcome<std::vector<Campaign>> GetCampaigns(const std::vector<std::string>& ids) override {
    Outcome<std::vector<Campaign>> out;
    out.value.emplace();
    // The Graph API reads up to 50 objects by id in one request (?ids=A,B); an unknown id fails
    // the whole request, so ids are read one by one when the batch is refused as unknown.
    for (std::size_t i = 0; i < ids.size(); i += 50) {
      std::vector<std::string> chunk(ids.begin() + i, ids.begin() + std::min(ids.size(), i + 50));
      std::string joined;
      for (const auto& id : chunk) joined += (joined.empty() ? "" : ",") + id;
      Request r = Base("GET", "/");
      r.query = {{"ids", joined}, {"fields", kFields}};
      Exchange ex = Do(r, out.calls);
      Failure f = Classify(ex);
      if (f.kind == FailureKind::kNotFound && chunk.size() > 1) {
        for (const auto& id : chunk) {
          Request one = Base("GET", "/" + id);
          one.query = {{"fields", kFields}};
          Exchange e1 = Do(one, out.calls);
          Failure f1 = Classify(e1);
          if (f1.kind == FailureKind::kNotFound) continue;
          if (f1.kind != FailureKind::kNone) return Fail(std::move(out), f1);
          out.value->push_back(FromJson(e1.json));
        }
        continue;
      }
      if (f.kind == FailureKind::kNotFound) continue;
      if (f.kind != FailureKind::kNone) return Fail(std::move(out), f);
      for (const auto& id : chunk) {
        if (ex.json.contains(id)) out.value->push_back(FromJson(ex.json[id]));
      }
    }
    return out;
  }

  Outcome<std::vector<Change>> SetStatus(const std::vector<std::string>& ids,
                                         bool active) override {
    Outcome<std::vector<Change>> out;
    out.value.emplace();
    for (const auto& id : ids) {
      Request r = Base("POST", "/" + id);
      r.content_type = "application/x-www-form-urlencoded";
      r.body = internal::FormEncode({{"status", active ? "ACTIVE" : "PAUSED"}});
      Exchange ex = Do(r, out.calls);
      Failure f = Classify(ex);
      if (f.kind == FailureKind::kNone && !ex.json.value("success", false)) {
        f = Unreadable("no \"success\": true");
      }
      if (ids.size() == 1 &&
          (f.kind == FailureKind::kRateLimited || f.kind == FailureKind::kPermission)) {
        return Fail(std::move(out), f);
      }
      out.value->push_back({id, f});
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
    if (c.budget_kind == BudgetKind::kNone) {
      return Fail(std::move(out),
                  {FailureKind::kInvalid, "",
                   "campaign " + id + " has no campaign budget (its ad sets hold the budgets)"});
    }
    Money m = budget;
    if (m.currency.empty()) m.currency = config_.currency;
    auto minor = ToMinor(m);
    if (!minor.ok())
      return Fail(std::move(out), {FailureKind::kInvalid, "", minor.error().message()});
    Request r = Base("POST", "/" + id);
    r.content_type = "application/x-www-form-urlencoded";
    r.body = internal::FormEncode(
        {{c.budget_kind == BudgetKind::kDaily ? "daily_budget" : "lifetime_budget",
          std::to_string(*minor)}});
    Exchange ex = Do(r, out.calls);
    if (auto f = Classify(ex); f.kind != FailureKind::kNone) return Fail(std::move(out), f);
    c.budget = m;
    out.value = c;
    return out;
  }

  Outcome<std::vector<HourlyInsight>> HourlyInsights(const std::string& id,
                                                     const std::string& since,
                                                     const std::string& until) override {
    Outcome<std::vector<HourlyInsight>> out;
    out.value.emplace();
    std::string after;
    for (int page = 0; page < 1000; ++page) {
      Request r = Base("GET", "/" + id + "/insights");
      r.query = {{"fields", "spend,impressions,clicks,cpm"},
                 {"time_range", json{{"since", since}, {"until", until}}.dump()},
                 {"time_increment", "1"},
                 {"breakdowns", "hourly_stats_aggregated_by_advertiser_time_zone"},
                 {"limit", "500"}};
      if (!after.empty()) r.query.emplace_back("after", after);
      Exchange ex = Do(r, out.calls);
      if (auto f = Classify(ex); f.kind != FailureKind::kNone) return Fail(std::move(out), f);
      if (!ex.json.contains("data") || !ex.json["data"].is_array()) {
        return Fail(std::move(out), Unreadable("no data list"));
      }
      for (const json& row : ex.json["data"]) {
        HourlyInsight h;
        h.campaign_id = id;
        // "00:00:00 - 00:59:59" on date_start.
        const std::string slot =
            row.value("hourly_stats_aggregated_by_advertiser_time_zone", std::string());
        h.hour = row.value("date_start", std::string()) + "T" + slot.substr(0, 5);
        auto spend = FromDecimal(config_.currency, AsText(row.value("spend", json("0"))));
        if (!spend.ok()) return Fail(std::move(out), Unreadable(spend.error().message()));
        h.spend = *spend;
        h.impressions = std::atoll(AsText(row.value("impressions", json("0"))).c_str());
        h.clicks = std::atoll(AsText(row.value("clicks", json("0"))).c_str());
        if (row.contains("cpm")) {
          auto cpm = FromDecimal(config_.currency, AsText(row["cpm"]));
          if (cpm.ok()) h.cpm = *cpm;
        }
        out.value->push_back(std::move(h));
      }
      after = ex.json.value("/paging/cursors/after"_json_pointer, std::string());
      if (!ex.json.contains("paging") || !ex.json["paging"].contains("next") || after.empty()) {
        break;
      }
    }
    return out;
  }

 private:
  Request Base(std::string method, std::string path) const {
    Request r;
    r.method = std::move(method);
    r.base = base_;
    r.path = "/" + version_ + path;
    r.secret_query = {{"access_token", config_.access_token}};
    r.timeout = config_.timeout;
    return r;
  }

  Exchange Do(const Request& r, std::vector<Call>& calls) {
    Exchange ex = internal::Send(http_, r);
    std::string usage(ex.response.Header("x-business-use-case-usage"));
    std::string acct(ex.response.Header("x-ad-account-usage"));
    if (!acct.empty()) usage += (usage.empty() ? "" : " ") + acct;
    ex.call.usage = internal::Cut(usage, 300);
    calls.push_back(ex.call);
    return ex;
  }

  Failure Classify(const Exchange& ex) const {
    if (ex.response.transport != channels::HttpResponse::Transport::kAnswered) {
      return internal::TransportFailure(ex);
    }
    if (ex.json.is_object() && ex.json.contains("error")) {
      return ClassifyGraphError(ex.response.status, ex.json,
                                ex.response.Header("x-business-use-case-usage"),
                                ex.response.Header("x-ad-account-usage"));
    }
    if (ex.response.status >= 300 || !ex.json.is_object()) return internal::TransportFailure(ex);
    return {};
  }

  Campaign FromJson(const json& c) const {
    Campaign out;
    out.id = AsText(c.value("id", json()));
    out.name = c.value("name", std::string());
    out.raw_status = c.value("status", std::string());
    out.status = out.raw_status == "ACTIVE"   ? CampaignStatus::kActive
                 : out.raw_status == "PAUSED" ? CampaignStatus::kPaused
                                              : CampaignStatus::kOther;
    out.effective_status = c.value("effective_status", std::string());
    if (c.contains("issues_info") && c["issues_info"].is_array()) {
      for (const json& i : c["issues_info"]) {
        out.issues.push_back(fmt::format("{} ({})", i.value("error_summary", std::string("issue")),
                                         AsText(i.value("error_code", json()))));
      }
    }
    if (out.effective_status == "WITH_ISSUES" && out.issues.empty()) {
      out.issues.push_back("WITH_ISSUES");
    }
    for (const auto& [key, kind] : {std::pair{"daily_budget", BudgetKind::kDaily},
                                    std::pair{"lifetime_budget", BudgetKind::kLifetime}}) {
      const std::string v = c.contains(key) ? AsText(c[key]) : "";
      if (v.empty() || v == "0") continue;
      auto m = FromMinor(config_.currency, std::atoll(v.c_str()));
      if (m.ok()) {
        out.budget = *m;
        out.budget_kind = kind;
      }
    }
    out.updated = c.value("updated_time", std::string());
    return out;
  }

  static Failure Unreadable(std::string why) {
    return {FailureKind::kUnavailable, "", "an answer Lifeline cannot read: " + why};
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
  std::string act_;
};

}  // namespace

Failure ClassifyGraphError(int http_status, const json& body, std::string_view usage,
                           std::string_view account_usage) {
  Failure f;
  const json e = body.value("error", json::object());
  // Whole numbers only: a double out of int's range would be undefined behaviour
  // (fuzz/ads_fuzz.cc).
  auto whole = [&e](const char* key) -> int {
    auto it = e.find(key);
    if (it == e.end() || !it->is_number_integer()) return 0;
    const auto v = it->get<std::int64_t>();
    return v >= INT_MIN && v <= INT_MAX ? static_cast<int>(v) : 0;
  };
  const int code = whole("code");
  const int sub = whole("error_subcode");
  f.code = sub != 0 ? fmt::format("{}/{}", code, sub) : std::to_string(code);
  f.message = internal::Cut(e.value("message", std::string("unknown Graph error")), 300);
  if (IsRateLimit(code)) {
    f.kind = FailureKind::kRateLimited;
    f.retry_after = RegainFromUsage(usage);
    if (!f.retry_after || f.retry_after->count() == 0) {
      // "0 minutes to regain": the account-level window says how many seconds are left.
      json a = json::parse(account_usage, nullptr, false);
      if (a.is_object() && a.contains("reset_time_duration") &&
          a["reset_time_duration"].is_number() && a["reset_time_duration"].get<double>() > 0) {
        // At most a day: a larger number is garbage, and would overflow the conversion.
        f.retry_after = std::chrono::milliseconds(static_cast<std::int64_t>(
            std::min(a["reset_time_duration"].get<double>(), 86400.0) * 1000));
      }
    }
    if (!f.retry_after || f.retry_after->count() == 0) f.retry_after = std::chrono::seconds(60);
  } else if (code == 10 || code == 190 || (code >= 200 && code <= 299)) {
    f.kind = FailureKind::kPermission;
  } else if (code == 803 || (code == 100 && sub == 33)) {
    f.kind = FailureKind::kNotFound;
  } else if (code == 100 || http_status == 400) {
    f.kind = FailureKind::kInvalid;
  } else if (code == 1 || code == 2 || http_status >= 500) {
    f.kind = FailureKind::kUnavailable;  // "An unknown error occurred" / "Service temporarily"
  } else {
    f.kind = FailureKind::kInvalid;
  }
  return f;
}

std::unique_ptr<AdPlatform> Make(const AccountConfig& config, channels::HttpClient& http) {
  return std::make_unique<MetaClient>(config, http);
}

}  // namespace lifeline::ads::meta
