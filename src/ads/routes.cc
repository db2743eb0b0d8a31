// The ads guard's HTTP API (routes.h).
#include "ads/routes.h"

#include <fmt/format.h>

#include "api/part_body.h"
#include "api/store_json.h"
#include "core/types.h"

namespace lifeline::ads {

using api::PartRequest;
using api::PartResponse;
using core::ErrorCode;
using core::MakeError;
using core::Result;
using nlohmann::json;

namespace {

json FailureJson(const Failure& f) {
  if (f.kind == FailureKind::kNone) return nullptr;
  json j{{"kind", FailureKindName(f.kind)}, {"code", f.code}, {"message", f.message}};
  if (f.retry_after) j["retry_after_ms"] = f.retry_after->count();
  return j;
}

}  // namespace

json CampaignJson(const Campaign& c) {
  json j{{"id", c.id},
         {"name", c.name},
         {"status", StatusName(c.status)},
         {"platform_status", c.raw_status},
         {"effective_status", c.effective_status},
         {"issues", c.issues},
         {"budget", nullptr},
         {"budget_kind", BudgetKindName(c.budget_kind)},
         {"updated", c.updated}};
  if (c.budget) {
    j["budget"] = ToDecimal(*c.budget);
    j["currency"] = c.budget->currency;
  }
  return j;
}

json ChangeJson(const store::AdChange& c) {
  json prior{{"status", c.prior_status},
             {"effective_status", c.prior_effective},
             {"budget", nullptr},
             {"budget_kind", c.prior_budget_kind},
             {"currency", c.currency}};
  if (c.prior_budget_micros) prior["budget"] = ToDecimal(Money{c.currency, *c.prior_budget_micros});
  return json{{"id", c.id},
              {"incident_id", c.incident_id.empty() ? json(nullptr) : json(c.incident_id)},
              {"account", c.account},
              {"platform", c.platform},
              {"campaign_id", c.campaign_id},
              {"campaign_name", c.campaign_name},
              {"policy", c.policy},
              {"by", c.by},
              {"state", store::AdChangeStateName(c.state)},
              {"prior", prior},
              {"note", c.note},
              {"paused_at", api::OptTimeJson(c.paused_at)},
              {"resume_due", api::OptTimeJson(c.resume_due)},
              {"resumed_at", api::OptTimeJson(c.resumed_at)},
              {"created_at", core::FormatTime(c.created_at)},
              {"updated_at", core::FormatTime(c.updated_at)}};
}

json TransferJson(const store::AdTransfer& t) {
  auto money = [&](const std::optional<std::int64_t>& m) -> json {
    return m ? json(ToDecimal(Money{t.currency, *m})) : json(nullptr);
  };
  return json{{"id", t.id},
              {"incident_id", t.incident_id},
              {"name", t.name},
              {"from_account", t.from_account},
              {"campaigns", t.campaigns},
              {"to_account", t.to_account},
              {"to_campaign", t.to_campaign},
              {"to_campaign_name", t.to_campaign_name},
              {"currency", t.currency},
              {"amount", ToDecimal(Money{t.currency, t.amount_micros})},
              {"state", store::AdTransferStateName(t.state)},
              {"by", t.by},
              {"decided_by", t.decided_by.empty() ? json(nullptr) : json(t.decided_by)},
              {"prior_budget", money(t.prior_budget_micros)},
              {"set_budget", money(t.set_budget_micros)},
              {"returned_budget", money(t.returned_budget_micros)},
              {"note", t.note},
              {"moved_at", api::OptTimeJson(t.moved_at)},
              {"return_due", api::OptTimeJson(t.return_due)},
              {"returned_at", api::OptTimeJson(t.returned_at)},
              {"created_at", core::FormatTime(t.created_at)},
              {"updated_at", core::FormatTime(t.updated_at)}};
}

std::vector<api::PartRoute> AdsRoutes::Routes() {
  using api::PartBody;
  using api::Role;
  return {
      {"GET",
       "/v1/ads",
       Role::kViewer,
       {},
       PartBody::kNone,
       [this](const PartRequest& r) { return Overview(r); }},
      {"GET",
       "/v1/ads/campaigns",
       Role::kViewer,
       {"platform"},
       PartBody::kNone,
       [this](const PartRequest& r) { return Campaigns(r); }},
      {"GET",
       "/v1/ads/changes",
       Role::kViewer,
       {"incident", "state", "open", "account", "limit"},
       PartBody::kNone,
       [this](const PartRequest& r) { return Changes(r); }},
      {"GET",
       "/v1/ads/calls",
       Role::kViewer,
       {"incident", "after", "limit"},
       PartBody::kNone,
       [this](const PartRequest& r) { return Calls(r); }},
      {"POST",
       "/v1/ads/pause",
       Role::kOperator,
       {},
       PartBody::kRequired,
       [this](const PartRequest& r) { return Act(r, true); }},
      {"POST",
       "/v1/ads/resume",
       Role::kOperator,
       {},
       PartBody::kRequired,
       [this](const PartRequest& r) { return Act(r, false); }},
      {"GET",
       "/v1/ads/transfers",
       Role::kViewer,
       {"incident", "open", "limit"},
       PartBody::kNone,
       [this](const PartRequest& r) { return Transfers(r); }},
      {"POST",
       "/v1/ads/transfers/{id}/approve",
       Role::kOperator,
       {},
       PartBody::kRequired,
       [this](const PartRequest& r) { return Decide(r, true); }},
      {"POST",
       "/v1/ads/transfers/{id}/refuse",
       Role::kOperator,
       {},
       PartBody::kRequired,
       [this](const PartRequest& r) { return Decide(r, false); }},
  };
}

Result<PartResponse> AdsRoutes::Overview(const PartRequest&) {
  const AdsConfig& c = guard_.config();
  json accounts = json::array();
  for (const auto& a : c.accounts) {
    accounts.push_back({{"name", a.name},
                        {"platform", a.kind},
                        {"account", a.account_id},
                        {"currency", a.currency},
                        {"delivers_on", a.platforms}});
  }
  json policies = json::array();
  for (const auto& p : c.policies) {
    json verdicts = json::array();
    for (auto v : p.verdicts) verdicts.push_back(core::VerdictName(v));
    policies.push_back({{"name", p.name},
                        {"platforms", p.platforms},
                        {"domains", p.domains},
                        {"verdicts", verdicts},
                        {"min_duration_ms", p.min_duration.count()},
                        {"action", ActionName(p.action)},
                        {"settle_ms", p.settle.count()},
                        {"stagger_ms", p.stagger.count()},
                        {"resume", ResumeName(p.resume)},
                        {"accounts", p.accounts}});
  }
  LL_ASSIGN(auto open, store_.Ads().List({.open_only = true, .limit = 10000}));
  json held = json::array();
  for (const auto& ch : open) held.push_back(ChangeJson(ch));
  return PartResponse{200,
                      {{"configured", c.configured},
                       {"dry_run", c.dry_run},
                       {"accounts", accounts},
                       {"policies", policies},
                       {"open", held}}};
}

Result<PartResponse> AdsRoutes::Campaigns(const PartRequest& r) {
  const std::string* p = r.Query("platform");
  LL_ASSIGN(auto lists, guard_.List(p ? *p : ""));
  json out = json::array();
  for (const auto& l : lists) {
    json camps = json::array();
    for (const auto& c : l.campaigns) camps.push_back(CampaignJson(c));
    out.push_back({{"account", l.account},
                   {"platform", l.platform},
                   {"delivers_on", l.delivers_on},
                   {"campaigns", camps},
                   {"error", FailureJson(l.failure)}});
  }
  return PartResponse{200, {{"accounts", out}}};
}

Result<PartResponse> AdsRoutes::Changes(const PartRequest& r) {
  store::AdChangeQuery q;
  if (const auto* v = r.Query("incident")) q.incident_id = *v;
  if (const auto* v = r.Query("account")) q.account = *v;
  if (const auto* v = r.Query("state")) {
    auto s = store::ParseAdChangeState(*v);
    if (!s) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "state: '{}' is not one of pausing, paused, resuming, resumed, kept, "
                       "failed, dry_run",
                       *v);
    }
    q.state = s;
  }
  if (const auto* v = r.Query("open")) {
    if (*v != "true" && *v != "false") {
      return MakeError(ErrorCode::kInvalidArgument, "open: expected true or false");
    }
    q.open_only = *v == "true";
  }
  q.limit = 1000;
  if (const auto* v = r.Query("limit")) {
    char* end = nullptr;
    long n = std::strtol(v->c_str(), &end, 10);
    if (end == v->c_str() || *end != '\0' || n < 1 || n > 10000) {
      return MakeError(ErrorCode::kInvalidArgument, "limit: expected 1 to 10000");
    }
    q.limit = static_cast<std::size_t>(n);
  }
  LL_ASSIGN(auto list, store_.Ads().List(q));
  json out = json::array();
  for (const auto& c : list) out.push_back(ChangeJson(c));
  return PartResponse{200, {{"changes", out}}};
}

Result<PartResponse> AdsRoutes::Calls(const PartRequest& r) {
  const std::string* inc = r.Query("incident");
  std::int64_t after = 0;
  if (const auto* v = r.Query("after")) after = std::atoll(v->c_str());
  LL_ASSIGN(auto list, store_.Ads().ListCalls(inc ? *inc : "", after, 1000));
  json out = json::array();
  for (const auto& c : list) {
    out.push_back({{"id", c.id},
                   {"incident_id", c.incident_id.empty() ? json(nullptr) : json(c.incident_id)},
                   {"account", c.account},
                   {"op", c.op},
                   {"method", c.method},
                   {"path", c.path},
                   {"request", c.request},
                   {"status", c.status},
                   {"answer", c.answer},
                   {"usage", c.usage},
                   {"took_ms", c.took_ms},
                   {"failure", c.failure.empty() ? json(nullptr) : json(c.failure)},
                   {"at", core::FormatTime(c.at)}});
  }
  return PartResponse{200, {{"calls", out}}};
}

Result<PartResponse> AdsRoutes::Act(const PartRequest& r, bool pause) {
  LL_ASSIGN(json body, api::ParseObjectBody(r.body, {"account", "campaigns", "by", "dry_run"}));
  LL_ASSIGN(std::string account, api::StringField(body, "account"));
  LL_ASSIGN(std::string by, api::StringField(body, "by"));
  LL_ASSIGN(bool dry, api::BoolField(body, "dry_run", false));
  if (account.empty()) return MakeError(ErrorCode::kInvalidArgument, "account: required");
  if (by.empty()) return MakeError(ErrorCode::kInvalidArgument, "by: required (who acts)");
  std::vector<std::string> ids;
  if (!body.contains("campaigns") || !body["campaigns"].is_array() || body["campaigns"].empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "campaigns: required, a list of one or more campaign ids");
  }
  for (const auto& v : body["campaigns"]) {
    if (!v.is_string() || v.get<std::string>().empty() || v.get<std::string>().size() > 64) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "campaigns: each must be a campaign id (text, 1 to 64 characters)");
    }
    ids.push_back(v.get<std::string>());
  }
  auto results = pause ? guard_.PauseByHand(account, ids, by, dry)
                       : guard_.ResumeByHand(account, ids, by, dry);
  if (!results.ok()) return results.error();
  json out = json::array();
  for (const auto& h : *results) {
    out.push_back({{"account", h.account},
                   {"campaign_id", h.campaign_id},
                   {"outcome", h.outcome},
                   {"detail", h.detail}});
  }
  return PartResponse{200, {{"results", out}, {"dry_run", dry}}};
}

Result<PartResponse> AdsRoutes::Transfers(const PartRequest& r) {
  const std::string* inc = r.Query("incident");
  bool open = false;
  if (const auto* v = r.Query("open")) {
    if (*v != "true" && *v != "false") {
      return MakeError(ErrorCode::kInvalidArgument, "open: expected true or false");
    }
    open = *v == "true";
  }
  std::size_t limit = 100;
  if (const auto* v = r.Query("limit")) {
    char* end = nullptr;
    long n = std::strtol(v->c_str(), &end, 10);
    if (end == v->c_str() || *end != '\0' || n < 1 || n > 1000) {
      return MakeError(ErrorCode::kInvalidArgument, "limit: expected 1 to 1000");
    }
    limit = static_cast<std::size_t>(n);
  }
  LL_ASSIGN(auto list, guard_.Transfers(inc ? *inc : "", open, limit));
  json out = json::array();
  for (const auto& t : list) out.push_back(TransferJson(t));
  return PartResponse{200, {{"transfers", out}}};
}

Result<PartResponse> AdsRoutes::Decide(const PartRequest& r, bool approve) {
  const std::string raw(r.Param("id"));
  char* end = nullptr;
  const long long id = std::strtoll(raw.c_str(), &end, 10);
  if (raw.empty() || *end != '\0' || id < 1) {
    return MakeError(ErrorCode::kNotFound, "no budget transfer '{}' (ids are numbers)", raw);
  }
  LL_ASSIGN(json body, api::ParseObjectBody(r.body, {"by", "reason"}));
  LL_ASSIGN(std::string by, api::StringField(body, "by"));
  LL_ASSIGN(std::string reason, api::StringField(body, "reason"));
  if (by.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "by: required (who {})",
                     approve ? "approves" : "refuses");
  }
  LL_ASSIGN(auto t, guard_.DecideTransfer(id, approve, by, reason));
  return PartResponse{200, TransferJson(t)};
}

std::unique_ptr<api::Backend::Subscription> AdsRoutes::Subscribe(
    std::function<void(const api::LiveEvent&)> sink) {
  return guard_.Subscribe([sink = std::move(sink)](const store::IncidentEvent& e) {
    sink({"incident_event", {{"incident_id", e.incident_id}, {"event", api::EventJson(e)}}});
  });
}

}  // namespace lifeline::ads
