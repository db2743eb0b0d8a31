// Subcommand dispatch for `lifeline`: parses flags with CLI11, loads the configuration and runs
// check or agent. Usage and configuration errors exit 2 with a message naming what is wrong.
#include "cli/cli.h"

#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "agent/server.h"
#include "check/check.h"
#include "cli/check.h"
#include "config/config.h"
#include "diagnose/report_json.h"

namespace lifeline::cli {
namespace {

constexpr int kExitUsage = 2;

core::Result<config::Config> Load(const std::string& path) {
  return path.empty() ? config::LoadBundled() : config::LoadFile(path);
}

bool ColorWanted(int fd) { return isatty(fd) && std::getenv("NO_COLOR") == nullptr; }

struct CheckFlags {
  std::vector<std::string> platforms;
  std::string config;
  bool json = false;
  bool list = false;
  bool evidence = false;
  double timeout_s = 0;
};

int Check(const CheckFlags& f) {
  auto cfg = Load(f.config);
  if (!cfg.ok()) {
    std::cerr << "lifeline: " << cfg.error().message() << "\n";
    return kExitUsage;
  }
  if (f.timeout_s > 0) {
    cfg->timeout = std::chrono::milliseconds(static_cast<long long>(f.timeout_s * 1000));
  }
  if (f.list) {
    for (const auto& p : cfg->platforms) {
      std::cout << fmt::format("{:<26}{:<26}{:<12}{}\n", p.id, p.name, p.domain,
                               p.enabled ? "" : "(disabled)");
    }
    return 0;
  }
  auto platforms = check::SelectPlatforms(*cfg, f.platforms);
  if (!platforms.ok()) {
    std::cerr << "lifeline: " << platforms.error().message() << "\n";
    return kExitUsage;
  }
  auto report = check::RunBlocking(*cfg, *platforms, !f.json && isatty(STDERR_FILENO));
  if (!report.ok()) {
    std::cerr << "lifeline: " << report.error().message() << "\n";
    return kExitUsage;
  }
  int code = diagnose::ExitCode(*report);
  if (f.json) {
    auto j = diagnose::ToJson(*report);
    j["exit_code"] = code;
    std::cout << j.dump(2) << "\n";
  } else {
    PrintTable(*report, std::cout, ColorWanted(STDOUT_FILENO));
    if (f.evidence) {
      for (const auto& d : report->platforms) {
        std::cout << "\n" << d.name << ":\n";
        for (const auto& line : d.evidence) std::cout << "  " << line << "\n";
      }
    }
  }
  return code;
}

struct AgentFlags {
  std::string listen;
  std::string token_file;
  std::string config;
  std::string name;
  std::string region;
};

int Agent(const AgentFlags& f) {
  auto cfg = Load(f.config);
  if (!cfg.ok()) {
    std::cerr << "lifeline: " << cfg.error().message() << "\n";
    return kExitUsage;
  }
  agent::AgentOptions options;
  options.listen = f.listen;
  options.token_file = f.token_file;
  options.name = f.name.empty() ? cfg->agent.name : f.name;
  options.region = f.region.empty() ? cfg->agent.region : f.region;
  options.config = *cfg;
  auto status = agent::RunAgent(options);
  if (!status.ok()) {
    std::cerr << "lifeline agent: " << status.error().message() << "\n";
    return kExitUsage;
  }
  return 0;
}

}  // namespace

int Main(int argc, char** argv) {
  CLI::App app{"Lifeline: is it down for everyone, or just me? Then run the contingency plan.",
               "lifeline"};
  app.set_version_flag("--version", "lifeline 0.1.0");
  app.require_subcommand(1);

  CheckFlags check;
  auto* check_cmd = app.add_subcommand(
      "check", "Check platforms now: up, degraded, outage, regional_outage, just_you, ...");
  check_cmd->add_option("platforms", check.platforms, "Platform ids (default: every enabled one)");
  check_cmd->add_option("-c,--config", check.config, "YAML config merged over the bundled catalog")
      ->check(CLI::ExistingFile);
  check_cmd->add_flag("--json", check.json, "Print one JSON object (docs/cli.md)");
  check_cmd->add_flag("--list", check.list, "List the known platform ids and exit");
  check_cmd->add_flag("-v,--evidence", check.evidence, "Print every evidence line");
  check_cmd->add_option("-t,--timeout", check.timeout_s, "Per-probe timeout in seconds")
      ->check(CLI::Range(0.05, 120.0));

  AgentFlags agent;
  auto* agent_cmd =
      app.add_subcommand("agent", "Serve probes for other observers (a vantage point)");
  agent_cmd->add_option("-l,--listen", agent.listen, "ADDR:PORT to listen on")->required();
  agent_cmd->add_option("--token-file", agent.token_file, "File holding the bearer token")
      ->required()
      ->check(CLI::ExistingFile);
  agent_cmd->add_option("-c,--config", agent.config, "YAML config (control endpoints, agent:)")
      ->check(CLI::ExistingFile);
  agent_cmd->add_option("--name", agent.name, "Name reported to callers (default: host name)");
  agent_cmd->add_option("--region", agent.region, "Region reported to callers");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }
  if (*check_cmd) return Check(check);
  if (*agent_cmd) return Agent(agent);
  return kExitUsage;
}

}  // namespace lifeline::cli
