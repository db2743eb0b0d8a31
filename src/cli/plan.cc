// `lifeline plan check FILE` and `lifeline plan advise FILE`: FILE is a whole config (with
// channels, contacts, templates and plan:) or a plan file whose channels and contacts come from
// --config. The channels are built as serve builds them (their secrets must be readable) but
// nothing is sent and no database is opened.
#include "cli/plan.h"

#include <yaml-cpp/yaml.h>

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "channels/config.h"
#include "channels/http.h"
#include "config/config.h"
#include "playbook/check.h"
#include "playbook/plan.h"

namespace lifeline::cli {
namespace {

constexpr int kExitWarnings = 1;  // only with --strict
constexpr int kExitErrors = 2;
using json = nlohmann::json;

struct PlanFlags {
  std::string file;
  std::string config;
  bool json = false;
  bool strict = false;
};

// Everything a plan is read against; the HTTP client outlives the channels built with it.
struct Loaded {
  config::Config config;
  std::unique_ptr<channels::HttpClient> http;
  channels::RelaySetup relay;
  playbook::Plan plan;
};

// A plan file has the plan's keys at the top; a config has plan: (or none of the plan's keys).
core::Result<bool> IsPlanFile(const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    return core::MakeError(core::ErrorCode::kNotFound, "{}: cannot read the file", path);
  } catch (const YAML::Exception& e) {
    // The loaders below say it again with the line; either way it is the file's mistake.
    return core::MakeError(core::ErrorCode::kInvalidArgument, "{}:{}:{}: invalid YAML: {}", path,
                           e.mark.line + 1, e.mark.column + 1, e.msg);
  }
  if (!root.IsMap() || root["plan"]) return false;
  for (const char* key : {"roles", "team", "inventory", "escalation", "responses"}) {
    if (root[key]) return true;
  }
  return false;
}

core::Result<Loaded> Load(const PlanFlags& f) {
  LL_ASSIGN(bool plan_file, IsPlanFile(f.file));
  Loaded out;
  playbook::PlanOptions options;
  if (plan_file) {
    options.file = f.file;
    auto cfg = f.config.empty() ? config::LoadBundled() : config::LoadFile(f.config);
    if (!cfg.ok()) return cfg.error();
    out.config = std::move(*cfg);
  } else {
    if (!f.config.empty()) {
      return core::MakeError(core::ErrorCode::kInvalidArgument,
                             "{} is a whole config (it has plan: or no plan keys at the top); "
                             "give --config only with a plan file",
                             f.file);
    }
    auto cfg = config::LoadFile(f.file);
    if (!cfg.ok()) return cfg.error();
    out.config = std::move(*cfg);
  }
  out.http = channels::MakeCurlHttpClient();
  channels::LoadOptions lo;
  lo.http = out.http.get();
  auto relay = channels::LoadRelaySetup(out.config, lo);
  if (!relay.ok()) return relay.error();
  out.relay = std::move(*relay);
  auto plan = playbook::ReadPlan(out.config, out.relay, options);
  if (!plan.ok()) return plan.error();
  out.plan = std::move(*plan);
  return out;
}

int LoadFailed(std::string_view command, const core::Error& e) {
  std::cerr << "lifeline plan " << command << ": " << e.message() << "\n";
  return kExitErrors;
}

std::string Thousands(std::uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string Join(const std::vector<std::string>& items, std::string_view sep = ", ") {
  std::string out;
  for (const std::string& s : items) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

// "1 role", "2 roles"; `many` when the plural is not just an s.
std::string Count(std::size_t n, std::string_view one, std::string_view many = "") {
  if (n == 1) return fmt::format("1 {}", one);
  return many.empty() ? fmt::format("{} {}s", n, one) : fmt::format("{} {}", n, many);
}

// gcc's form, so editors jump to the line: "FILE:LINE: error: KEY: message".
std::string Line(const playbook::Finding& f) {
  const bool error = f.level == playbook::Finding::Level::kError;
  std::string at = f.place.file;
  if (f.place.line > 0) at += fmt::format(":{}", f.place.line);
  return fmt::format("{}: {}: {}{}", at, error ? "error" : "warning",
                     f.place.key.empty() ? "" : f.place.key + ": ", f.message);
}

json FindingJson(const playbook::Finding& f) {
  return {{"level", f.level == playbook::Finding::Level::kError ? "error" : "warning"},
          {"file", f.place.file},
          {"line", f.place.line},
          {"key", f.place.key},
          {"message", f.message}};
}

std::string TriggerText(const playbook::Trigger& t) {
  std::vector<std::string> what = t.platforms;
  what.insert(what.end(), t.domains.begin(), t.domains.end());
  std::vector<std::string> verdicts;
  for (core::Verdict v : t.verdicts) verdicts.emplace_back(core::VerdictName(v));
  std::string out = fmt::format("{}: {}", Join(what), Join(verdicts, "/"));
  if (t.min_duration.count() > 0) out += " for " + playbook::DurationText(t.min_duration);
  return out + fmt::format(" ({})", playbook::SeverityName(t.severity));
}

std::size_t CountSteps(const std::vector<playbook::Step>& steps) {
  std::size_t n = 0;
  for (const auto& s : steps) {
    if (const auto* g = std::get_if<playbook::ParallelStep>(&s.body)) {
      n += CountSteps(g->steps);
    } else {
      ++n;
    }
  }
  return n;
}

void PrintSummary(const playbook::Plan& plan) {
  std::cout << fmt::format("\n{:<22}{}\n", "ROLE", "HELD BY");
  for (const playbook::Role& r : plan.roles) {
    std::vector<std::string> names;
    for (const auto* p : plan.Holders(r.name)) names.push_back(p->name);
    std::cout << fmt::format("{:<22}{}{}\n", r.name, names.empty() ? "(nobody)" : Join(names),
                             r.name == plan.on_call ? "  [on call]" : "");
  }
  if (!plan.responses.empty()) {
    std::cout << fmt::format("\n{:<22}{:<6}  {}\n", "RESPONSE", "STEPS", "TRIGGER");
    for (const playbook::Response& r : plan.responses) {
      std::cout << fmt::format("{:<22}{:<6}  {}\n", r.name, CountSteps(r.steps),
                               TriggerText(r.trigger));
    }
  }
}

int Check(const PlanFlags& f) {
  auto loaded = Load(f);
  if (!loaded.ok()) return LoadFailed("check", loaded.error());
  const auto findings = playbook::CheckPlan(loaded->plan, loaded->config, loaded->relay);
  std::size_t errors = 0;
  std::size_t warnings = 0;
  for (const auto& x : findings) {
    (x.level == playbook::Finding::Level::kError ? errors : warnings)++;
  }
  const int code = errors > 0 ? kExitErrors : (warnings > 0 && f.strict) ? kExitWarnings : 0;
  if (f.json) {
    json items = json::array();
    for (const auto& x : findings) items.push_back(FindingJson(x));
    std::cout << json{{"file", f.file},
                      {"errors", errors},
                      {"warnings", warnings},
                      {"findings", items},
                      {"exit_code", code}}
                     .dump(2)
              << "\n";
    return code;
  }
  for (const auto& x : findings) std::cout << Line(x) << "\n";
  const playbook::Plan& plan = loaded->plan;
  PrintSummary(plan);
  std::cout << fmt::format(
      "\nplan check: {}, {} ({}, {}, {}, {}, {})\n", Count(errors, "error"),
      Count(warnings, "warning"), Count(plan.roles.size(), "role"),
      Count(plan.team.size(), "person", "people"),
      Count(plan.inventory.size(), "inventory channel"),
      Count(plan.escalation.size(), "escalation policy", "escalation policies"),
      Count(plan.responses.size(), "response"));
  return code;
}

json ExposureJson(const playbook::Exposure& e) {
  return {{"kind", e.kind == playbook::Exposure::Kind::kDomain ? "domain" : "platform"},
          {"id", e.id},
          {"name", e.name},
          {"reachable", e.reachable},
          {"total", e.total},
          {"share", e.share},
          {"cut_off", e.cut_off},
          {"surviving", e.surviving},
          {"suggestions", e.suggestions},
          {"advice", e.advice}};
}

std::string PercentText(const playbook::Exposure& e) {
  if (e.total == 0) return "-";
  return fmt::format("{:.0f}%", e.share * 100);
}

int Advise(const PlanFlags& f) {
  auto loaded = Load(f);
  if (!loaded.ok()) return LoadFailed("advise", loaded.error());
  const playbook::Advice a = playbook::Advise(loaded->plan, loaded->config, loaded->relay);
  if (f.json) {
    json domains = json::array();
    json platforms = json::array();
    for (const auto& e : a.domains) domains.push_back(ExposureJson(e));
    for (const auto& e : a.platforms) platforms.push_back(ExposureJson(e));
    std::cout << json{{"file", f.file},
                      {"total", a.total},
                      {"domains", domains},
                      {"platforms", platforms},
                      {"notes", a.notes}}
                     .dump(2)
              << "\n";
    return 0;
  }
  std::cout << fmt::format(
      "Audience: {} on {} (summed per channel: people on two channels count twice)\n\n",
      Thousands(a.total), Count(loaded->plan.inventory.size(), "channel"));
  std::cout << fmt::format("{:<28}{:>12}{:>7}  {}\n", "IF THIS FAILS", "REACHABLE", "SHARE",
                           "CUT OFF");
  auto row = [](const playbook::Exposure& e, std::string_view kind) {
    std::cout << fmt::format("{:<28}{:>12}{:>7}  {}\n", fmt::format("{} ({})", e.name, kind),
                             Thousands(e.reachable), PercentText(e), Join(e.cut_off));
  };
  for (const auto& e : a.domains) row(e, "domain");
  for (const auto& e : a.platforms) row(e, "platform");
  std::cout << "\n";
  for (const auto& e : a.domains) std::cout << e.advice << ".\n";
  for (const auto& e : a.platforms) {
    if (!e.suggestions.empty()) std::cout << e.advice << ".\n";
  }
  for (const auto& n : a.notes) std::cout << "Note: " << n << ".\n";
  return 0;
}

}  // namespace

std::function<int()> AddPlanCommand(CLI::App& app, CLI::App** command) {
  auto f = std::make_shared<PlanFlags>();
  auto* plan = app.add_subcommand("plan", "Check the contingency plan, and weigh its channels");
  plan->require_subcommand(1);
  auto* check = plan->add_subcommand(
      "check", "Errors and warnings of a plan, each with FILE:LINE: key (exit 2 on errors)");
  auto* advise = plan->add_subcommand(
      "advise", "The share of the audience each failure domain or platform would cut off");
  for (auto* sub : {check, advise}) {
    sub->add_option("file", f->file, "A whole config with plan:, or a plan file (with --config)")
        ->required()
        ->check(CLI::ExistingFile);
    sub->add_option("-c,--config", f->config,
                    "The config a plan file goes with (channels, contacts, templates)")
        ->check(CLI::ExistingFile);
    sub->add_flag("--json", f->json, "Print one JSON object (docs/cli.md)");
  }
  check->add_flag("--strict", f->strict, "Exit 1 when there are warnings (and no errors)");
  *command = plan;
  return [f, check]() { return *check ? Check(*f) : Advise(*f); };
}

}  // namespace lifeline::cli
