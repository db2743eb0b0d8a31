// `lifeline recovery INCIDENT` (recovery.h).
#include "cli/recovery.h"

#include <iostream>
#include <memory>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/api_client.h"

namespace lifeline::cli {
namespace {

using nlohmann::json;

constexpr int kExitUsage = 2;
constexpr int kExitFailed = 1;
// The checklist has something that needs a look (scripts can alert on it).
constexpr int kExitAttention = 3;

struct Flags {
  ApiFlags api;
  std::string incident;
  bool json = false;
  bool fresh = false;
};

std::string Num(const json& j) {
  if (!j.is_number()) return "-";
  const double v = j.get<double>();
  return v == static_cast<double>(static_cast<long long>(v)) ? fmt::format("{:.0f}", v)
                                                             : fmt::format("{:.2f}", v);
}

int Run(const Flags& f) {
  auto api = ApiClient::Open(f.api);
  if (!api.ok()) {
    std::cerr << "lifeline recovery: " << api.error().message() << "\n";
    return kExitUsage;
  }
  std::string path = "/v1/recovery/" + UrlEncode(f.incident);
  if (f.fresh) path += "?fresh=true";
  auto r = api->Get(path);
  if (!r.ok()) {
    std::cerr << "lifeline recovery: " << r.error().message() << "\n";
    switch (r.error().code()) {
      case core::ErrorCode::kInvalidArgument:
      case core::ErrorCode::kNotFound:
      case core::ErrorCode::kPermissionDenied:
        return kExitUsage;
      default:
        return kExitFailed;
    }
  }
  const json& c = *r;
  const int code = Str(c, "status") == "attention" ? kExitAttention : 0;
  if (f.json) {
    std::cout << c.dump(2) << "\n";
    return code;
  }
  std::cout << fmt::format("Recovery checklist of {} ({})\n", Str(c, "incident_id"),
                           Str(c, "title"));
  const json& w = c["window"];
  if (w["from"].is_string()) {
    std::cout << fmt::format("Window: {} to {} ({} h, {})\n", Str(w, "from"), Str(w, "until"),
                             Num(w["hours"]),
                             Str(w, "source") == "plan" ? "from the plan" : "default");
  }
  std::cout << fmt::format("Status: {}: {}\n", Str(c, "status"), Str(c, "summary"));
  for (const json& e : c["campaigns"]) {
    std::cout << fmt::format("\n[{}] {} {} \"{}\" ({}{})\n", Str(e, "verdict"), Str(e, "account"),
                             Str(e, "campaign_id"), Str(e, "name"), Str(e, "platform"),
                             Str(e, "status").empty() ? "" : ", " + Str(e, "status"));
    std::cout << "  " << Str(e, "sentence") << "\n";
    if (!e["metrics"].is_object() || e["metrics"].empty()) continue;
    std::cout << fmt::format("  {:<12} {:>12} {:>12}  flagged hours\n", "", "expected", "actual");
    for (const char* m : {"spend", "impressions", "clicks", "cpm"}) {
      if (!e["metrics"].contains(m)) continue;
      const json& x = e["metrics"][m];
      std::cout << fmt::format("  {:<12} {:>12} {:>12}  {} high, {} low\n", m, Num(x["expected"]),
                               Num(x["actual"]), x.value("high_hours", 0), x.value("low_hours", 0));
    }
  }
  for (const json& err : c["errors"]) std::cout << "\nerror: " << err.get<std::string>() << "\n";
  std::cout << "\n" << Str(c["conversions"], "note") << "\n";
  if (c["posts"].is_object() && c["posts"].value("judged", false)) {
    std::cout << Str(c["posts"], "summary") << "\n";
    for (const json& p : c["posts"].value("parts", json::array())) {
      std::cout << fmt::format("  [{}] {} on {} (due {}){}\n", Str(p, "outcome"), Str(p, "post"),
                               Str(p, "channel"), Str(p, "due"),
                               Str(p, "note").empty() ? "" : ": " + Str(p, "note"));
    }
  } else if (c["posts"].is_object()) {
    std::cout << Str(c["posts"], "note") << "\n";
  }
  return code;
}

}  // namespace

std::function<int()> AddRecoveryCommand(CLI::App& app, CLI::App** command) {
  auto f = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand(
      "recovery", "After restoration: is every campaign back to normal? (through a running serve)");
  cmd->add_option("incident", f->incident, "The incident id (inc_...)")->required();
  cmd->add_flag("--json", f->json, "Print the API's JSON answer");
  cmd->add_flag("--fresh", f->fresh, "Read the ad platforms again now (no reused answer)");
  f->api.Add(*cmd);
  cmd->footer(
      "Exit codes: 0 nothing needs a look (or nothing to judge yet), 3 something needs a look, "
      "2 bad input or unknown incident, 1 serve or a platform failed.");
  *command = cmd;
  return [f]() { return Run(*f); };
}

}  // namespace lifeline::cli
