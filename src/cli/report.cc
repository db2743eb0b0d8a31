// `lifeline report`: builds the incident's report from serve's database (serve.database /
// serve.data_dir of the config, or --data-dir) and prints it or writes it to --output. It only
// reads; a database that does not exist is an error, not a new empty one.
#include "cli/report.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>

#include <fmt/format.h>

#include "config/config.h"
#include "config/store_section.h"
#include "report/render.h"
#include "report/report.h"
#include "serve/serve.h"
#include "store/store.h"

namespace lifeline::cli {
namespace {

constexpr int kExitUsage = 2;
constexpr int kExitFailed = 1;

struct ReportFlags {
  std::string incident;
  std::string format = "md";
  std::string output;
  std::string config;
  std::string data_dir;
};

int Fail(const std::string& message, int code) {
  std::cerr << "lifeline report: " << message << "\n";
  return code;
}

// Writes through a temporary file renamed over `path`, so a reader never sees half a report.
core::Status WriteFile(const std::string& path, const std::string& content) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) {
      return core::MakeError(core::ErrorCode::kPermissionDenied, "cannot write {}", tmp);
    }
    out << content;
    out.flush();
    if (!out) {
      std::remove(tmp.c_str());
      return core::MakeError(core::ErrorCode::kUnavailable, "writing {} failed", tmp);
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::remove(tmp.c_str());
    return core::MakeError(core::ErrorCode::kUnavailable, "cannot write {}: {}", path,
                           ec.message());
  }
  return core::Ok();
}

int Run(const ReportFlags& f) {
  if (f.format != "md" && f.format != "html" && f.format != "json") {
    return Fail(fmt::format("--format {}: accepted values are md, html, json", f.format),
                kExitUsage);
  }
  auto cfg = f.config.empty() ? config::LoadBundled() : config::LoadFile(f.config);
  if (!cfg.ok()) return Fail(cfg.error().message(), kExitUsage);
  if (!f.data_dir.empty()) {
    cfg->serve.data_dir = f.data_dir;
    cfg->serve.database.clear();
  }
  auto settings = config::ReadStoreSection(*cfg);
  if (!settings.ok()) return Fail(settings.error().message(), kExitUsage);
  // SQLite: the file must exist (opening would create an empty one). PostgreSQL: the server says.
  const std::string path =
      settings->url.empty() ? cfg->serve.DatabasePath() : std::string("the PostgreSQL store");
  std::error_code ec;
  if (settings->url.empty() && !std::filesystem::is_regular_file(path, ec)) {
    return Fail(fmt::format("no database at {} (lifeline serve keeps its incidents there; give "
                            "its --data-dir or --config)",
                            path),
                kExitFailed);
  }
  auto st = serve::OpenStore(*cfg);
  if (!st.ok()) return Fail(st.error().message(), kExitFailed);
  auto report = report::BuildReport(**st, f.incident);
  if (!report.ok()) {
    if (report.error().code() == core::ErrorCode::kNotFound) {
      return Fail(fmt::format("no incident {} in {}", f.incident, path), kExitFailed);
    }
    return Fail(report.error().message(), kExitFailed);
  }
  std::string text = f.format == "md" ? report::RenderMarkdown(*report)
                     : f.format == "html"
                         ? report::RenderHtml(*report)
                         : report::ReportJson(*report).dump(
                               2, ' ', false, nlohmann::json::error_handler_t::replace) +
                               "\n";
  if (f.output.empty() || f.output == "-") {
    std::cout << text;
    std::cout.flush();
    return std::cout ? 0 : kExitFailed;
  }
  if (auto s = WriteFile(f.output, text); !s.ok()) return Fail(s.error().message(), kExitFailed);
  std::cerr << fmt::format("wrote the report of {} to {}\n", f.incident, f.output);
  return 0;
}

}  // namespace

std::function<int()> AddReportCommand(CLI::App& app, CLI::App** command) {
  auto f = std::make_shared<ReportFlags>();
  auto* cmd = app.add_subcommand(
      "report", "An incident's report: timeline, figures, messages, tasks, availability");
  cmd->add_option("incident", f->incident, "Incident id (inc_...)")->required();
  cmd->add_option("--format", f->format, "md (default), html (one self-contained page) or json");
  cmd->add_option("-o,--output", f->output, "Write to this file instead of stdout");
  cmd->add_option("-c,--config", f->config, "YAML config (serve.data_dir, serve.database)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--data-dir", f->data_dir, "Folder of serve's database (default ./var)");
  *command = cmd;
  return [f]() { return Run(*f); };
}

}  // namespace lifeline::cli
