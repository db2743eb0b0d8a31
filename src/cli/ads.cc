// `lifeline ads list|status|pause|resume|transfers|transfer approve|refuse` (ads.h).
#include "cli/ads.h"

#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/api_client.h"

namespace lifeline::cli {
namespace {

using nlohmann::json;

constexpr int kExitUsage = 2;
constexpr int kExitFailed = 1;

struct Flags {
  ApiFlags api;
  bool json = false;
  std::string platform;  // meta, google, tiktok or an account name
  std::string account;
  std::vector<std::string> campaigns;
  std::string incident;
  bool all = false;
  bool dry_run = false;
  std::string as;
  std::string transfer;  // a budget transfer's id
  std::string reason;
};

int Fail(const core::Error& e) {
  std::cerr << "lifeline ads: " << e.message() << "\n";
  switch (e.code()) {
    case core::ErrorCode::kInvalidArgument:
    case core::ErrorCode::kNotFound:
    case core::ErrorCode::kFailedPrecondition:
    case core::ErrorCode::kPermissionDenied:
      return kExitUsage;
    default:
      return kExitFailed;
  }
}

int List(const Flags& f) {
  auto api = ApiClient::Open(f.api);
  if (!api.ok()) return Fail(api.error());
  std::string path = "/v1/ads/campaigns";
  if (!f.platform.empty()) path += "?platform=" + UrlEncode(f.platform);
  auto r = api->Get(path);
  if (!r.ok()) return Fail(r.error());
  if (f.json) {
    std::cout << r->dump(2) << "\n";
    return 0;
  }
  int failed = 0;
  for (const json& a : (*r)["accounts"]) {
    std::cout << fmt::format("{} ({}, delivers on {})\n", Str(a, "account"), Str(a, "platform"),
                             fmt::join(a.value("delivers_on", std::vector<std::string>()), ", "));
    if (a["error"].is_object()) {
      ++failed;
      std::cout << fmt::format("  cannot list: {} ({})\n", Str(a["error"], "message"),
                               Str(a["error"], "kind"));
      continue;
    }
    for (const json& c : a["campaigns"]) {
      std::string budget =
          c["budget"].is_string()
              ? fmt::format("{} {} {}", Str(c, "budget"), Str(c, "currency"), Str(c, "budget_kind"))
              : "-";
      std::string issues;
      for (const json& i : c["issues"])
        issues += (issues.empty() ? "" : "; ") + i.get<std::string>();
      std::cout << fmt::format("  {:<20} {:<8} {:<24} {:<22} {}{}\n", Str(c, "id"),
                               Str(c, "status"), Str(c, "effective_status"), budget, Str(c, "name"),
                               issues.empty() ? "" : "  [issues: " + issues + "]");
    }
  }
  return failed ? kExitFailed : 0;
}

int Status(const Flags& f) {
  auto api = ApiClient::Open(f.api);
  if (!api.ok()) return Fail(api.error());
  std::string path = "/v1/ads/changes?";
  path += f.all ? "open=false" : "open=true";
  if (!f.incident.empty()) path += "&incident=" + UrlEncode(f.incident);
  if (!f.platform.empty() && f.platform != "meta" && f.platform != "google" &&
      f.platform != "tiktok") {
    path += "&account=" + UrlEncode(f.platform);
  }
  auto r = api->Get(path);
  if (!r.ok()) return Fail(r.error());
  json changes = json::array();
  for (const json& c : (*r)["changes"]) {
    if (f.platform == "meta" || f.platform == "google" || f.platform == "tiktok") {
      if (Str(c, "platform") != f.platform) continue;
    }
    changes.push_back(c);
  }
  if (f.json) {
    std::cout << json{{"changes", changes}}.dump(2) << "\n";
    return 0;
  }
  if (changes.empty()) {
    std::cout << (f.all ? "Lifeline has changed no campaign.\n"
                        : "Lifeline holds no campaign paused.\n");
    return 0;
  }
  for (const json& c : changes) {
    std::string when = Str(c, "paused_at").empty() ? "" : " paused " + Str(c, "paused_at");
    std::cout << fmt::format("{:<9} {} {:<20} {:<10} incident {} by {}{} (was {}): {}\n",
                             Str(c, "state"), Str(c, "account"), Str(c, "campaign_id"),
                             Str(c, "platform"),
                             c["incident_id"].is_string() ? Str(c, "incident_id") : "-",
                             Str(c, "by"), when, Str(c["prior"], "status"), Str(c, "note"));
  }
  return 0;
}

int Act(const Flags& f, bool pause) {
  auto api = ApiClient::Open(f.api);
  if (!api.ok()) return Fail(api.error());
  json body{{"account", f.account},
            {"campaigns", f.campaigns},
            {"by", Actor(f.as)},
            {"dry_run", f.dry_run}};
  auto r = api->Post(pause ? "/v1/ads/pause" : "/v1/ads/resume", body);
  if (!r.ok()) return Fail(r.error());
  if (f.json) {
    std::cout << r->dump(2) << "\n";
    return 0;
  }
  int failed = 0;
  for (const json& h : (*r)["results"]) {
    if (Str(h, "outcome") == "failed") ++failed;
    std::cout << fmt::format("{} {}: {}{}\n", Str(h, "account"), Str(h, "campaign_id"),
                             Str(h, "outcome"),
                             Str(h, "detail").empty() ? "" : " (" + Str(h, "detail") + ")");
  }
  if (f.dry_run) std::cout << "dry run: nothing was changed\n";
  return failed ? kExitFailed : 0;
}

int Transfers(const Flags& f) {
  auto api = ApiClient::Open(f.api);
  if (!api.ok()) return Fail(api.error());
  std::string path = std::string("/v1/ads/transfers?open=") + (f.all ? "false" : "true");
  if (!f.incident.empty()) path += "&incident=" + UrlEncode(f.incident);
  auto r = api->Get(path);
  if (!r.ok()) return Fail(r.error());
  if (f.json) {
    std::cout << r->dump(2) << "\n";
    return 0;
  }
  if ((*r)["transfers"].empty()) {
    std::cout << (f.all ? "No budget transfer yet.\n"
                        : "No budget transfer waits or holds budget moved.\n");
    return 0;
  }
  for (const json& t : (*r)["transfers"]) {
    std::cout << fmt::format("#{:<4} {:<9} {} {}/day {} -> {} campaign {} (incident {}): {}\n",
                             t.value("id", 0), Str(t, "state"), Str(t, "name"), Str(t, "amount"),
                             Str(t, "from_account"), Str(t, "to_account"), Str(t, "to_campaign"),
                             Str(t, "incident_id"), Str(t, "note"));
  }
  return 0;
}

int Decide(const Flags& f, bool approve) {
  auto api = ApiClient::Open(f.api);
  if (!api.ok()) return Fail(api.error());
  json body{{"by", Actor(f.as)}};
  if (!f.reason.empty()) body["reason"] = f.reason;
  auto r = api->Post(
      fmt::format("/v1/ads/transfers/{}/{}", UrlEncode(f.transfer), approve ? "approve" : "refuse"),
      body);
  if (!r.ok()) return Fail(r.error());
  if (f.json) {
    std::cout << r->dump(2) << "\n";
    return 0;
  }
  std::cout << fmt::format("#{} {}: {}\n", r->value("id", 0), Str(*r, "state"), Str(*r, "note"));
  return 0;
}

}  // namespace

std::function<int()> AddAdsCommand(CLI::App& app, CLI::App** command) {
  auto f = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand(
      "ads", "The ads guard through a running serve: campaigns, what is paused, pause/resume");
  cmd->require_subcommand(1);
  auto common = [&f](CLI::App* c) {
    f->api.Add(*c);
    c->add_flag("--json", f->json, "Print the API's JSON answer");
  };
  auto* list = cmd->add_subcommand("list", "Every campaign as the ad platforms answer now");
  list->add_option("--platform", f->platform, "meta, google, tiktok or an account name");
  common(list);
  auto* status = cmd->add_subcommand(
      "status", "What Lifeline holds paused, since when, and why (--all: every change)");
  status->add_option("--platform", f->platform, "meta, google, tiktok or an account name");
  status->add_option("--incident", f->incident, "Only this incident's (inc_...)");
  status->add_flag("--all", f->all, "Every campaign Lifeline changed, not only those it holds");
  common(status);
  std::vector<std::pair<CLI::App*, bool>> acts;
  for (bool pause : {true, false}) {
    auto* c = cmd->add_subcommand(
        pause ? "pause" : "resume",
        pause ? "Pause campaigns by hand (Lifeline will not resume them by itself)"
              : "Resume campaigns by hand (closing what Lifeline holds of them)");
    c->add_option("campaigns", f->campaigns, "Campaign ids")->required();
    c->add_option("--account,--platform", f->account,
                  "The ad account (its name under ads.accounts)")
        ->required();
    c->add_flag("--dry-run", f->dry_run, "Show what would be done; change nothing");
    c->add_option("--as", f->as, "Who acts, as the timeline shows it (default cli:$USER)");
    common(c);
    acts.emplace_back(c, pause);
  }
  auto* transfers = cmd->add_subcommand(
      "transfers",
      "Budget transfers that wait for approval or hold budget moved (--all: every one)");
  transfers->add_option("--incident", f->incident, "Only this incident's (inc_...)");
  transfers->add_flag("--all", f->all, "Every transfer, not only open ones");
  common(transfers);
  auto* transfer = cmd->add_subcommand("transfer", "Approve or refuse a proposed budget transfer");
  transfer->require_subcommand(1);
  std::vector<std::pair<CLI::App*, bool>> decisions;
  for (bool approve : {true, false}) {
    auto* c = transfer->add_subcommand(
        approve ? "approve" : "refuse",
        approve ? "Approve it: the budget moves now, and back after the outage"
                : "Refuse it: nothing moves");
    c->add_option("id", f->transfer, "The transfer's number (lifeline ads transfers)")->required();
    c->add_option("--as", f->as, "Who decides, as the timeline shows it (default cli:$USER)");
    if (!approve) c->add_option("--reason", f->reason, "Why, for the timeline");
    common(c);
    decisions.emplace_back(c, approve);
  }
  *command = cmd;
  return [f, list, status, acts, transfers, decisions]() {
    if (*list) return List(*f);
    if (*status) return Status(*f);
    if (*transfers) return Transfers(*f);
    for (const auto& [c, approve] : decisions) {
      if (*c) return Decide(*f, approve);
    }
    for (const auto& [c, pause] : acts) {
      if (*c) return Act(*f, pause);
    }
    return kExitUsage;
  };
}

}  // namespace lifeline::cli
