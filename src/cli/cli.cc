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
#include "cli/ads.h"
#include "cli/calendar.h"
#include "cli/check.h"
#include "cli/drill.h"
#include "cli/inbox.h"
#include "cli/listen.h"
#include "cli/migrate.h"
#include "cli/plan.h"
#include "cli/recovery.h"
#include "cli/relay.h"
#include "cli/report.h"
#include "cli/response.h"
#include "cli/token.h"
#include "cli/vantage.h"
#include "config/config.h"
#include "diagnose/report_json.h"
#include "serve/demo.h"
#include "serve/serve.h"

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
  std::string tls_cert;
  std::string tls_key;
  bool insecure_http = false;
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
  options.tls_cert = f.tls_cert;
  options.tls_key = f.tls_key;
  options.insecure_http = f.insecure_http;
  options.config = *cfg;
  auto status = agent::RunAgent(options);
  if (!status.ok()) {
    std::cerr << "lifeline agent: " << status.error().message() << "\n";
    return kExitUsage;
  }
  return 0;
}

int Serve(const serve::ServeOptions& options) {
  auto status = serve::RunServe(options);
  if (!status.ok()) {
    std::cerr << "lifeline serve: " << status.error().message() << "\n";
    // A config mistake is a usage error; a store or address that cannot be used is not.
    return status.error().code() == core::ErrorCode::kInvalidArgument ? kExitUsage : 1;
  }
  return 0;
}

struct DemoFlags {
  std::string listen = "127.0.0.1:8080";
  double interval_s = 10;
  double outage_after_s = 30;
  double outage_for_s = 120;
  std::string data_dir;
};

int Demo(const DemoFlags& f) {
  auto ms = [](double s) { return std::chrono::milliseconds(static_cast<long long>(s * 1000)); };
  serve::DemoOptions options;
  options.listen = f.listen;
  options.interval = ms(f.interval_s);
  options.outage_after = ms(f.outage_after_s);
  options.outage_for = ms(f.outage_for_s);
  options.data_dir = f.data_dir;
  auto status = serve::RunDemo(options);
  if (!status.ok()) {
    std::cerr << "lifeline demo: " << status.error().message() << "\n";
    return 1;
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
  agent_cmd
      ->add_option("--tls-cert", agent.tls_cert,
                   "PEM certificate (chain) to serve HTTPS with; re-read on SIGHUP")
      ->check(CLI::ExistingFile);
  agent_cmd->add_option("--tls-key", agent.tls_key, "PEM private key of --tls-cert")
      ->check(CLI::ExistingFile);
  agent_cmd->add_flag("--insecure-http", agent.insecure_http,
                      "Serve plain HTTP instead of HTTPS (the token travels in clear)");

  serve::ServeOptions serve_opts;
  auto* serve_cmd = app.add_subcommand(
      "serve", "Watch the platforms continuously: incidents, REST API and live dashboard");
  serve_cmd->add_option("-c,--config", serve_opts.config_path, "YAML config (serve:, api:, ...)")
      ->check(CLI::ExistingFile);
  serve_cmd->add_option("-l,--listen", serve_opts.listen,
                        "ADDR:PORT for the API and dashboard (default: api.listen, "
                        "127.0.0.1:8080)");
  serve_cmd->add_option("--data-dir", serve_opts.data_dir,
                        "Folder for the database (default: serve.data_dir, ./var)");

  DemoFlags demo;
  auto* demo_cmd = app.add_subcommand(
      "demo",
      "Run the service with simulated platforms, customers and public chatter on loopback and a "
      "scripted WhatsApp outage");
  demo_cmd->add_option("-l,--listen", demo.listen, "ADDR:PORT for the dashboard")
      ->capture_default_str();
  demo_cmd->add_option("--interval", demo.interval_s, "Seconds between rounds")
      ->check(CLI::Range(0.2, 3600.0))
      ->capture_default_str();
  demo_cmd->add_option("--outage-after", demo.outage_after_s, "Seconds until WhatsApp fails")
      ->check(CLI::Range(0.0, 86400.0))
      ->capture_default_str();
  demo_cmd->add_option("--outage-for", demo.outage_for_s, "Seconds WhatsApp stays down")
      ->check(CLI::Range(0.1, 86400.0))
      ->capture_default_str();
  demo_cmd->add_option("--data-dir", demo.data_dir,
                       "Keep the demo's database here (default: a temporary folder)");

  CLI::App* token_cmd = nullptr;
  auto run_token = AddTokenCommand(app, &token_cmd);
  CLI::App* send_cmd = nullptr;
  auto run_send = AddSendCommand(app, &send_cmd);
  CLI::App* outbox_cmd = nullptr;
  auto run_outbox = AddOutboxCommand(app, &outbox_cmd);
  CLI::App* plan_cmd = nullptr;
  auto run_plan = AddPlanCommand(app, &plan_cmd);
  CLI::App* report_cmd = nullptr;
  auto run_report = AddReportCommand(app, &report_cmd);
  CLI::App* response_cmd = nullptr;
  auto run_response = AddResponseCommand(app, &response_cmd);
  CLI::App* drill_cmd = nullptr;
  auto run_drill = AddDrillCommand(app, &drill_cmd);
  CLI::App* ads_cmd = nullptr;
  auto run_ads = AddAdsCommand(app, &ads_cmd);
  CLI::App* calendar_cmd = nullptr;
  auto run_calendar = AddCalendarCommand(app, &calendar_cmd);
  CLI::App* inbox_cmd = nullptr;
  auto run_inbox = AddInboxCommand(app, &inbox_cmd);
  CLI::App* recovery_cmd = nullptr;
  auto run_recovery = AddRecoveryCommand(app, &recovery_cmd);
  CLI::App* listen_cmd = nullptr;
  auto run_listen = AddListenCommand(app, &listen_cmd);
  CLI::App* vantage_cmd = nullptr;
  auto run_vantage = AddVantageCommand(app, &vantage_cmd);
  CLI::App* migrate_cmd = nullptr;
  auto run_migrate = AddMigrateCommand(app, &migrate_cmd);

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
  if (*serve_cmd) return Serve(serve_opts);
  if (*demo_cmd) return Demo(demo);
  if (*token_cmd) return run_token();
  if (*send_cmd) return run_send();
  if (*outbox_cmd) return run_outbox();
  if (*plan_cmd) return run_plan();
  if (*report_cmd) return run_report();
  if (*response_cmd) return run_response();
  if (*drill_cmd) return run_drill();
  if (*ads_cmd) return run_ads();
  if (*calendar_cmd) return run_calendar();
  if (*inbox_cmd) return run_inbox();
  if (*recovery_cmd) return run_recovery();
  if (*listen_cmd) return run_listen();
  if (*vantage_cmd) return run_vantage();
  if (*migrate_cmd) return run_migrate();
  return kExitUsage;
}

}  // namespace lifeline::cli
