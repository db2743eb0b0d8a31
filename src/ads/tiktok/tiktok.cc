// The TikTok Business API client (tiktok.h).
#include "ads/tiktok/tiktok.h"

#include <algorithm>

#include <fmt/format.h>

#include "ads/http_call.h"

namespace lifeline::ads::tiktok {
namespace {

using internal::AsText;
using internal::Exchange;
using internal::Request;
using nlohmann::json;

class TikTokClient final : public AdPlatform {
 public:
  TikTokClient(AccountConfig config, channels::HttpClient& http)
      : config_(std::move(config)), http_(http) {
    base_ = config_.api_base.empty() ? kDefaultBase : config_.api_base;
    while (!base_.empty() && base_.back() == '/') base_.pop_back();
    version_ = config_.api_version.empty() ? kDefaultVersion : config_.api_version;
  }

  std::string_view kind() const override { return "tiktok"; }
  const std::string& account() const override { return config_.account_id; }
  std::size_t max_batch() const override { return kMaxStatusIds; }

  Outcome<std::vector<Campaign>> ListCampaigns() override { return Get(json()); }

  Outcome<std::vector<Campaign>> GetCampaigns(const std::vector<std::string>& ids) override {
    Outcome<std::vector<Campaign>> out;
    out.value.emplace();
    // campaign_ids takes at most 100 ids per filter.
    for (std::size_t i = 0; i < ids.size(); i += 100) {
      json list = json::array();
      for (std::size_t j = i; j < std::min(ids.size(), i + 100); ++j) list.push_back(ids[j]);
      auto got = Get(json{{"campaign_ids", list}});
      for (auto& c : got.calls) out.calls.push_back(std::move(c));
      if (!got.ok()) return Fail(std::move(out), got.failure);
      for (auto& c : *got.value) out.value->push_back(std::move(c));
    }
    return out;
  }

  Outcome<std::vector<Change>> SetStatus(const std::vector<std::string>& ids,
                                         bool active) override {
    Outcome<std::vector<Change>> out;
    if (ids.empty() || ids.size() > kMaxStatusIds) {
      return Fail(std::move(out), {FailureKind::kInvalid, "",
                                   fmt::format("campaign/status/update/ takes 1 to {} ids, not {}",
                                               kMaxStatusIds, ids.size())});
    }
    Request r = Base("POST", "/campaign/status/update/");
    r.content_type = "application/json";
    r.body = json{{"advertiser_id", config_.account_id},
                  {"campaign_ids", ids},
                  {"operation_status", active ? "ENABLE" : "DISABLE"}}
                 .dump();
    Exchange ex = Do(r, out.calls);
    Failure f = Classify(ex);
    if (f.kind == FailureKind::kNotFound && ids.size() > 1) {
      // One unknown id refuses the whole call: try each alone so the others still change.
      out.value.emplace();
      for (const auto& id : ids) {
        auto one = SetStatus({id}, active);
        for (auto& c : one.calls) out.calls.push_back(std::move(c));
        if (!one.ok()) {
          out.value->push_back({id, one.failure});
        } else {
          out.value->push_back(one.value->front());
        }
      }
      return out;
    }
    if (f.kind == FailureKind::kNotFound) {
      out.value.emplace();
      out.value->push_back({ids.front(), f});
      return out;
    }
    if (f.kind != FailureKind::kNone) return Fail(std::move(out), f);
    out.value.emplace();
    // data.campaign_ids lists those changed.
    std::vector<std::string> done;
    for (const json& id : ex.json.value("/data/campaign_ids"_json_pointer, json::array())) {
      done.push_back(AsText(id));
    }
    for (const auto& id : ids) {
      Change c{id, {}};
      if (!done.empty() && std::find(done.begin(), done.end(), id) == done.end()) {
        c.failure = {FailureKind::kInvalid, "", "the platform did not list it as changed"};
      }
      out.value->push_back(std::move(c));
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
                  {FailureKind::kInvalid, "", "campaign " + id + " has no budget (unlimited)"});
    }
    Request r = Base("POST", "/campaign/update/");
    r.content_type = "application/json";
    // The budget as a JSON number written exactly from the decimal (never through a double).
    json body{{"advertiser_id", config_.account_id}, {"campaign_id", id}};
    std::string text = body.dump();
    text.pop_back();
    text += ",\"budget\":" + ToDecimal(budget) + "}";
    r.body = text;
    Exchange ex = Do(r, out.calls);
    if (auto f = Classify(ex); f.kind != FailureKind::kNone) return Fail(std::move(out), f);
    c.budget = Money{config_.currency, budget.micros};
    out.value = c;
    return out;
  }

  Outcome<std::vector<HourlyInsight>> HourlyInsights(const std::string& id,
                                                     const std::string& since,
                                                     const std::string& until) override {
    Outcome<std::vector<HourlyInsight>> out;
    out.value.emplace();
    for (int page = 1; page < 1000; ++page) {
      Request r = Base("GET", "/report/integrated/get/");
      r.query = {{"advertiser_id", config_.account_id},
                 {"report_type", "BASIC"},
                 {"data_level", "AUCTION_CAMPAIGN"},
                 {"dimensions", R"(["campaign_id","stat_time_hour"])"},
                 {"metrics", R"(["spend","impressions","clicks","cpm"])"},
                 {"start_date", since},
                 {"end_date", until},
                 {"filtering", json::array({{{"field_name", "campaign_ids"},
                                             {"filter_type", "IN"},
                                             {"filter_value", json::array({id}).dump()}}})
                                   .dump()},
                 {"page", std::to_string(page)},
                 {"page_size", "1000"}};
      Exchange ex = Do(r, out.calls);
      if (auto f = Classify(ex); f.kind != FailureKind::kNone) return Fail(std::move(out), f);
      for (const json& row : ex.json.value("/data/list"_json_pointer, json::array())) {
        HourlyInsight h;
        const json dim = row.value("dimensions", json::object());
        const json met = row.value("metrics", json::object());
        h.campaign_id = AsText(dim.value("campaign_id", json(id)));
        // "2026-11-27 10:00:00"
        std::string t = dim.value("stat_time_hour", std::string());
        h.hour = t.size() >= 16 ? t.substr(0, 10) + "T" + t.substr(11, 5) : t;
        auto spend = FromDecimal(config_.currency, AsText(met.value("spend", json("0"))));
        h.spend = spend.ok() ? *spend : Money{config_.currency, 0};
        h.impressions = std::atoll(AsText(met.value("impressions", json("0"))).c_str());
        h.clicks = std::atoll(AsText(met.value("clicks", json("0"))).c_str());
        if (met.contains("cpm")) {
          auto cpm = FromDecimal(config_.currency, AsText(met["cpm"]));
          if (cpm.ok()) h.cpm = *cpm;
        }
        out.value->push_back(std::move(h));
      }
      const int total = ex.json.value("/data/page_info/total_page"_json_pointer, 1);
      if (page >= total) break;
    }
    return out;
  }

 private:
  Outcome<std::vector<Campaign>> Get(const json& filtering) {
    Outcome<std::vector<Campaign>> out;
    out.value.emplace();
    for (int page = 1; page < 1000; ++page) {
      Request r = Base("GET", "/campaign/get/");
      r.query = {{"advertiser_id", config_.account_id},
                 {"page", std::to_string(page)},
                 {"page_size", "1000"}};
      if (!filtering.is_null()) r.query.emplace_back("filtering", filtering.dump());
      Exchange ex = Do(r, out.calls);
      if (auto f = Classify(ex); f.kind != FailureKind::kNone) return Fail(std::move(out), f);
      for (const json& c : ex.json.value("/data/list"_json_pointer, json::array())) {
        out.value->push_back(FromJson(c));
      }
      const int total = ex.json.value("/data/page_info/total_page"_json_pointer, 1);
      if (page >= total) break;
    }
    return out;
  }

  Request Base(std::string method, std::string path) const {
    Request r;
    r.method = std::move(method);
    r.base = base_;
    r.path = "/open_api/" + version_ + path;
    r.headers = {{"Access-Token", config_.access_token}};
    r.timeout = config_.timeout;
    return r;
  }

  Exchange Do(const Request& r, std::vector<Call>& calls) {
    Exchange ex = internal::Send(http_, r);
    calls.push_back(ex.call);
    return ex;
  }

  Failure Classify(const Exchange& ex) const {
    if (ex.response.transport != channels::HttpResponse::Transport::kAnswered ||
        !ex.json.is_object() || !ex.json.contains("code")) {
      return internal::TransportFailure(ex);
    }
    const std::int64_t code =
        ex.json["code"].is_number() ? ex.json["code"].get<std::int64_t>() : -1;
    if (code == 0) return {};
    return ClassifyTikTokCode(code, ex.json.value("message", std::string()));
  }

  Campaign FromJson(const json& c) const {
    Campaign out;
    out.id = AsText(c.value("campaign_id", json()));
    out.name = c.value("campaign_name", std::string());
    out.raw_status = c.value("operation_status", std::string());
    out.status = out.raw_status == "ENABLE"    ? CampaignStatus::kActive
                 : out.raw_status == "DISABLE" ? CampaignStatus::kPaused
                                               : CampaignStatus::kOther;
    out.effective_status = c.value("secondary_status", std::string());
    static const std::vector<std::string> kPlain = {
        "CAMPAIGN_STATUS_ENABLE",           "CAMPAIGN_STATUS_DISABLE", "CAMPAIGN_STATUS_DELETE",
        "CAMPAIGN_STATUS_ADVERTISER_AUDIT", "CAMPAIGN_STATUS_ALL",     ""};
    if (std::find(kPlain.begin(), kPlain.end(), out.effective_status) == kPlain.end()) {
      out.issues.push_back(out.effective_status);
    }
    const std::string mode = c.value("budget_mode", std::string());
    if (mode == "BUDGET_MODE_DAY" || mode == "BUDGET_MODE_DYNAMIC_DAILY_BUDGET" ||
        mode == "BUDGET_MODE_TOTAL") {
      auto m = FromDecimal(config_.currency, AsText(c.value("budget", json(0))));
      if (m.ok()) {
        out.budget = *m;
        out.budget_kind = mode == "BUDGET_MODE_TOTAL" ? BudgetKind::kLifetime : BudgetKind::kDaily;
      }
    }
    out.updated = c.value("modify_time", std::string());
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
};

}  // namespace

Failure ClassifyTikTokCode(std::int64_t code, std::string_view message) {
  Failure f;
  f.code = std::to_string(code);
  f.message = internal::Cut(message, 300);
  const bool missing = message.find("not exist") != std::string_view::npos ||
                       message.find("not found") != std::string_view::npos;
  if (code == 40100 || code == 40133 || code == 51021) {
    f.kind = FailureKind::kRateLimited;
    f.retry_after = std::chrono::seconds(1);  // a per-second limit (QPS)
  } else if (code == 40001 || code == 40104 || code == 40105 || code == 40102 ||
             (code == 40002 && message.find("ermission") != std::string_view::npos)) {
    f.kind = FailureKind::kPermission;
  } else if (code == 40007 || missing) {
    f.kind = FailureKind::kNotFound;
  } else if (code >= 50000) {
    f.kind = FailureKind::kUnavailable;
  } else {
    f.kind = FailureKind::kInvalid;
  }
  return f;
}

std::unique_ptr<AdPlatform> Make(const AccountConfig& config, channels::HttpClient& http) {
  return std::make_unique<TikTokClient>(config, http);
}

}  // namespace lifeline::ads::tiktok
