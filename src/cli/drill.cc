// `lifeline drill` (drill.h): the dry run in this process (playbook/drill_sim.h), a real drill
// through serve's API (/v1/drills), the wait for acknowledgements, and the report.
#include "cli/drill.h"

#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "api/http_util.h"
#include "cli/api_client.h"
#include "config/config.h"
#include "playbook/drill.h"
#include "playbook/drill_report.h"
#include "playbook/drill_sim.h"

namespace lifeline::cli {
namespace {

using json = nlohmann::json;
using core::ErrorCode;

constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;

struct DrillFlags {
  ApiFlags api;  // --server, --token-file, --config (also the dry run's config)
  std::string platform;
  std::string plan;
  bool dry_run = false;
  bool domain = false;
  std::string duration = "30m";
  std::string ack_after;
  std::string at;
  std::string format = "md";
  std::string output;
  std::string wait = "ack";
  bool end = false;
  // report / end
  std::string id;
};

int Fail(const std::string& message, int code) {
  std::cerr << "lifeline drill: " << message << "\n";
  return code;
}

int Fail(const core::Error& e) {
  switch (e.code()) {
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kNotFound:
    case ErrorCode::kPermissionDenied:
    case ErrorCode::kFailedPrecondition:  // no response answers that outage; one already runs
    case ErrorCode::kAlreadyExists:
      return Fail(e.message(), kExitUsage);
    default:
      return Fail(e.message(), kExitFailed);
  }
}

// Writes through a temporary file renamed over `path`, so a reader never sees half a report.
core::Status WriteFile(const std::string& path, const std::string& content) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return core::MakeError(ErrorCode::kPermissionDenied, "cannot write {}", tmp);
    out << content;
    out.flush();
    if (!out) {
      std::remove(tmp.c_str());
      return core::MakeError(ErrorCode::kUnavailable, "writing {} failed", tmp);
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::remove(tmp.c_str());
    return core::MakeError(ErrorCode::kUnavailable, "cannot write {}: {}", path, ec.message());
  }
  return core::Ok();
}

int Emit(const DrillFlags& f, const std::string& text, const std::string& what) {
  if (f.output.empty() || f.output == "-") {
    std::cout << text;
    std::cout.flush();
    return std::cout ? 0 : kExitFailed;
  }
  if (auto s = WriteFile(f.output, text); !s.ok()) return Fail(s.error().message(), kExitFailed);
  std::cerr << fmt::format("wrote {} to {}\n", what, f.output);
  return 0;
}

// RFC 3339 ("2026-11-28T03:00:00Z", any offset), also with a space for the T and without
// seconds or zone (then UTC).
core::Result<std::chrono::system_clock::time_point> ParseAt(const std::string& text) {
  std::string t = text;
  if (t.size() > 10 && t[10] == ' ') t[10] = 'T';
  if (t.size() == 16) t += ":00";  // 2026-11-28T03:00
  if (t.size() == 19) t += "Z";    // 2026-11-28T03:00:00
  if (auto at = api::internal::ParseRfc3339(t); at.ok()) return *at;
  return core::MakeError(ErrorCode::kInvalidArgument,
                         "--at {}: write a UTC time such as 2026-11-28T03:00:00Z", text);
}

int DryRun(const DrillFlags& f) {
  auto cfg = f.api.config.empty() ? config::LoadBundled() : config::LoadFile(f.api.config);
  if (!cfg.ok()) return Fail(cfg.error().message(), kExitUsage);
  playbook::DryRunOptions o;
  o.platform = f.platform;
  o.domain_wide = f.domain;
  o.plan.file = f.plan;
  auto d = playbook::ParseDrillDuration(f.duration);
  if (!d.ok()) return Fail("--duration: " + d.error().message(), kExitUsage);
  if (*d <= playbook::Duration::zero()) return Fail("--duration must be more than 0", kExitUsage);
  o.duration = *d;
  if (!f.ack_after.empty()) {
    auto a = playbook::ParseDrillDuration(f.ack_after);
    if (!a.ok()) return Fail("--ack-after: " + a.error().message(), kExitUsage);
    o.ack_after = *a;
  }
  if (!f.at.empty()) {
    auto at = ParseAt(f.at);
    if (!at.ok()) return Fail(at.error().message(), kExitUsage);
    o.start = *at;
  }
  if (f.plan.empty() && cfg->Section("plan") == nullptr) {
    return Fail(fmt::format("{} has no plan: give --config with a plan: section, or --plan FILE",
                            f.api.config.empty() ? "the bundled config" : f.api.config),
                kExitUsage);
  }
  auto report = playbook::RunDryRun(*cfg, o);
  if (!report.ok()) return Fail(report.error());
  const std::string text =
      f.format == "json"
          ? playbook::DrillJson(*report).dump(2, ' ', false, json::error_handler_t::replace) + "\n"
          : playbook::DrillMarkdown(*report);
  return Emit(f, text, "the dry run's drill report");
}

std::atomic<bool> g_interrupted{false};
void OnSigint(int) { g_interrupted.store(true); }

// Until `--wait` is satisfied or Ctrl-C; prints what changes.
void Wait(const DrillFlags& f, const ApiClient& api, const std::string& id) {
  if (f.wait == "none" || f.wait == "0") return;
  std::optional<std::chrono::steady_clock::time_point> deadline;
  if (f.wait != "ack" && f.wait != "end") {
    auto d = playbook::ParseDrillDuration(f.wait);
    if (d.ok()) deadline = std::chrono::steady_clock::now() + *d;
  }
  struct sigaction sa {};
  struct sigaction old {};
  sa.sa_handler = OnSigint;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &old);
  g_interrupted = false;
  std::cerr << fmt::format("waiting {} (Ctrl-C stops waiting; the drill goes on)\n",
                           f.wait == "ack"   ? "until everyone acknowledged or the drill ended"
                           : f.wait == "end" ? "until the drill ended"
                                             : "for " + f.wait);
  std::string last;
  while (!g_interrupted.load()) {
    auto d = api.Get("/v1/drills/" + UrlEncode(id));
    if (d.ok()) {
      const bool ended = d->value("state", "") == "ended";
      const json a = d->value("assignments", json::object());
      std::string now = fmt::format("{}: {} open, {} acknowledged or decided; lifecycle {}",
                                    ended ? "ended" : "running", a.value("open", 0),
                                    a.value("closed", 0), d->value("lifecycle", std::string("-")));
      if (now != last) std::cerr << now << "\n";
      last = now;
      if (ended) break;
      if (f.wait == "ack" && d->value("everyone_acknowledged", false)) break;
    } else {
      std::cerr << "lifeline drill: " << d.error().message() << "\n";
    }
    if (deadline && std::chrono::steady_clock::now() >= *deadline) break;
    for (int i = 0; i < 10 && !g_interrupted.load(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  sigaction(SIGINT, &old, nullptr);
}

int Report(const DrillFlags& f, const ApiClient& api, const std::string& id) {
  const std::string path = "/v1/drills/" + UrlEncode(id) + "/report?format=" + f.format;
  std::string text;
  if (f.format == "json") {
    auto j = api.Get(path);
    if (!j.ok()) return Fail(j.error());
    text = j->dump(2, ' ', false, json::error_handler_t::replace) + "\n";
  } else {
    auto t = api.GetText(path);
    if (!t.ok()) return Fail(t.error());
    text = *t;
  }
  return Emit(f, text, "the report of drill " + id);
}

int Real(const DrillFlags& f) {
  if (!f.plan.empty()) {
    return Fail("--plan works with --dry-run only: a real drill runs the plan serve loaded",
                kExitUsage);
  }
  if (!f.ack_after.empty() || !f.at.empty()) {
    return Fail("--ack-after and --at simulate people and time: they work with --dry-run only",
                kExitUsage);
  }
  if (f.wait != "ack" && f.wait != "end" && f.wait != "none" && f.wait != "0" &&
      !playbook::ParseDrillDuration(f.wait).ok()) {
    return Fail(fmt::format("--wait {}: write ack, end, none or a duration such as 10m", f.wait),
                kExitUsage);
  }
  auto api = ApiClient::Open(f.api);
  if (!api.ok()) return Fail(api.error());
  json body = {{"platform", f.platform}, {"domain", f.domain}, {"duration", f.duration}};
  auto started = api->Post("/v1/drills", body);
  if (!started.ok()) return Fail(started.error());
  const std::string id = started->value("id", "");
  std::cerr << fmt::format("drill {} started: {} (ends by itself at {})\nconsole: {}\n", id,
                           started->value("title", ""), started->value("ends_at", json()).dump(),
                           started->value("console_url", ""));
  if (f.wait == "none" || f.wait == "0") {
    std::cout << id << "\n";
    return 0;
  }
  Wait(f, *api, id);
  if (f.end) {
    auto ended = api->Post("/v1/drills/" + UrlEncode(id) + "/end", json::object());
    if (!ended.ok() && ended.error().code() != ErrorCode::kFailedPrecondition) {
      return Fail(ended.error());
    }
    std::cerr << fmt::format("drill {} ended (restoration)\n", id);
  }
  return Report(f, *api, id);
}

int Run(const DrillFlags& f) {
  if (f.format != "md" && f.format != "json") {
    return Fail(fmt::format("--format {}: accepted values are md, json", f.format), kExitUsage);
  }
  if (f.platform.empty()) {
    return Fail("give the PLATFORM whose outage is drilled (`lifeline check --list` lists them)",
                kExitUsage);
  }
  return f.dry_run ? DryRun(f) : Real(f);
}

}  // namespace

std::function<int()> AddDrillCommand(CLI::App& app, CLI::App** command) {
  auto f = std::make_shared<DrillFlags>();
  auto rf = std::make_shared<DrillFlags>();
  auto ef = std::make_shared<DrillFlags>();
  auto* cmd = app.add_subcommand(
      "drill", "Run the contingency plan against a simulated outage and write the drill report");
  cmd->add_option("platform", f->platform, "The platform whose outage is drilled (catalog id)");
  cmd->add_flag("--dry-run", f->dry_run,
                "Simulate: nothing is sent, no serve is needed; show what would happen when");
  cmd->add_option("--plan", f->plan, "A plan file instead of the config's plan: (with --dry-run)")
      ->check(CLI::ExistingFile);
  cmd->add_flag("--domain", f->domain, "The platform's whole failure domain fails (e.g. Meta)");
  cmd->add_option("--duration", f->duration, "Restoration after this long (default 30m)");
  cmd->add_option("--ack-after", f->ack_after,
                  "With --dry-run: everyone acknowledges this long after being asked (default: "
                  "nobody does)");
  cmd->add_option("--at", f->at, "With --dry-run: when the outage begins (UTC, default now)");
  cmd->add_option("--format", f->format, "md (default) or json");
  cmd->add_option("-o,--output", f->output, "Write the report to this file instead of stdout");
  cmd->add_option("--wait", f->wait,
                  "ack (default: until everyone acknowledged or the drill ended), end, none, "
                  "or a duration");
  cmd->add_flag("--end", f->end, "End the drill (restoration) when the wait is over");
  f->api.Add(*cmd);

  auto* report = cmd->add_subcommand("report", "Write a drill's report again (from serve)");
  report->add_option("id", rf->id, "The drill's id (inc_...)")->required();
  report->add_option("--format", rf->format, "md (default) or json");
  report->add_option("-o,--output", rf->output, "Write to this file instead of stdout");
  rf->api.Add(*report);

  auto* end = cmd->add_subcommand("end", "End a running drill now (restoration)");
  end->add_option("id", ef->id, "The drill's id (inc_...)")->required();
  ef->api.Add(*end);

  *command = cmd;
  return [f, rf, ef, report, end]() {
    if (*report) {
      if (rf->format != "md" && rf->format != "json") {
        return Fail(fmt::format("--format {}: accepted values are md, json", rf->format),
                    kExitUsage);
      }
      auto api = ApiClient::Open(rf->api);
      if (!api.ok()) return Fail(api.error());
      return Report(*rf, *api, rf->id);
    }
    if (*end) {
      auto api = ApiClient::Open(ef->api);
      if (!api.ok()) return Fail(api.error());
      auto ended = api->Post("/v1/drills/" + UrlEncode(ef->id) + "/end", json::object());
      if (!ended.ok()) return Fail(ended.error());
      std::cout << fmt::format("drill {} ended at {}\n", ef->id,
                               ended->value("ended_at", json()).dump());
      return 0;
    }
    return Run(*f);
  };
}

}  // namespace lifeline::cli
