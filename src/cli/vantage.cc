// `lifeline vantage list|show` (vantage.h).
#include "cli/vantage.h"

#include <chrono>
#include <iostream>
#include <memory>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/api_client.h"
#include "config/values.h"
#include "core/types.h"

namespace lifeline::cli {
namespace {

using nlohmann::json;

constexpr int kExitUsage = 2;
constexpr int kExitFailed = 1;

struct Flags {
  ApiFlags api;
  bool json = false;
  std::string name;
};

int Fail(const core::Error& e) {
  std::cerr << "lifeline vantage: " << e.message() << "\n";
  switch (e.code()) {
    case core::ErrorCode::kInvalidArgument:
    case core::ErrorCode::kNotFound:
    case core::ErrorCode::kPermissionDenied:
      return kExitUsage;
    default:
      return kExitFailed;
  }
}

// "12 s ago", "4 min ago", "3 h ago", "2 d ago" from the server's own clock (checked_at), so a
// skewed local clock does not shift it; "never" when there is no time.
std::string Ago(const json& when, const std::string& now) {
  if (!when.is_string()) return "never";
  auto t = config::ParseTimestamp(when.get<std::string>());
  auto n = config::ParseTimestamp(now);
  if (!t.ok() || !n.ok()) return when.get<std::string>();
  const long long s =
      std::max<long long>(0, std::chrono::duration_cast<std::chrono::seconds>(*n - *t).count());
  if (s < 120) return fmt::format("{} s ago", s);
  if (s < 7200) return fmt::format("{} min ago", s / 60);
  if (s < 172800) return fmt::format("{} h ago", s / 3600);
  return fmt::format("{} d ago", s / 86400);
}

// A field of an answer, null when absent (operator[] on a const json must not meet a missing key).
const json& At(const json& j, const char* key) {
  static const json kNull;
  if (!j.is_object()) return kNull;
  auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}

std::string Ms(const json& v) {
  if (!v.is_number()) return "-";
  const double ms = v.get<double>();
  return ms < 10 ? fmt::format("{:.1f} ms", ms) : fmt::format("{:.0f} ms", ms);
}

std::string Or(const json& v, const char* fallback) {
  return v.is_string() ? v.get<std::string>() : fallback;
}

// One line per vantage point, then its last error and its own connection's evidence when they
// matter.
void Print(const json& v, const std::string& now, bool details) {
  const std::string latency =
      At(v, "latency_ms").is_number()
          ? fmt::format("{} (median {})", Ms(At(v, "latency_ms")), Ms(At(v, "latency_median_ms")))
          : "-";
  std::cout << fmt::format("{:<16} {:<10} {:<12} {:<12} {:<24} {:<9} {}\n", Str(v, "name"),
                           Or(At(v, "region"), "-"), Str(v, "state"), Ago(At(v, "last_seen"), now),
                           latency, Or(At(v, "version"), "-"), Or(At(v, "connectivity"), "-"));
  const json& err = At(v, "last_error");
  const bool failing = Str(v, "state") == "unreachable";
  if (err.is_object() && (failing || details)) {
    std::cout << fmt::format("    {}last error ({}, {}): {}\n", failing ? "" : "earlier ",
                             Or(At(err, "kind"), "?"), Ago(At(err, "at"), now),
                             Str(err, "message"));
  }
  if (At(v, "connectivity").is_string() && (Str(v, "connectivity") != "ok" || details)) {
    for (const json& line : At(v, "connectivity_evidence")) {
      std::cout << "    own connection: " << line.get<std::string>() << "\n";
    }
  }
  if (details) {
    std::cout << fmt::format("    url {}; {} answers, {} failures ({} in a row); state since {}\n",
                             Str(v, "url"), v.value("answers", 0), v.value("failures", 0),
                             v.value("consecutive_failures", 0), Or(At(v, "state_since"), "-"));
  }
}

void Header() {
  std::cout << fmt::format("{:<16} {:<10} {:<12} {:<12} {:<24} {:<9} {}\n", "NAME", "REGION",
                           "STATE", "LAST SEEN", "LATENCY", "VERSION", "OWN CONNECTION");
}

int List(const Flags& f) {
  auto client = ApiClient::Open(f.api);
  if (!client.ok()) return Fail(client.error());
  auto r = client->Get("/v1/vantage-points");
  if (!r.ok()) return Fail(r.error());
  if (f.json) {
    std::cout << r->dump(2) << "\n";
    return 0;
  }
  const json& list = At(*r, "vantage_points");
  if (list.empty()) {
    std::cout << "no vantage points configured (vantage_points: in the config): 'down for "
                 "everyone' rests on status pages and DNS evidence only\n";
    return 0;
  }
  const std::string now = Str(*r, "checked_at");
  Header();
  for (const json& v : list) Print(v, now, false);
  return 0;
}

int Show(const Flags& f) {
  auto client = ApiClient::Open(f.api);
  if (!client.ok()) return Fail(client.error());
  auto r = client->Get("/v1/vantage-points/" + UrlEncode(f.name));
  if (!r.ok()) return Fail(r.error());
  if (f.json) {
    std::cout << r->dump(2) << "\n";
    return 0;
  }
  const std::string now = core::FormatTime(std::chrono::system_clock::now());
  Header();
  Print(*r, now, true);
  return 0;
}

}  // namespace

std::function<int()> AddVantageCommand(CLI::App& app, CLI::App** command) {
  auto f = std::make_shared<Flags>();
  auto* cmd =
      app.add_subcommand("vantage", "The fleet of vantage points, as a running serve sees it");
  cmd->require_subcommand(1);
  auto common = [&f](CLI::App* c) {
    f->api.Add(*c);
    c->add_flag("--json", f->json, "Print the API's JSON answer");
  };
  auto* list = cmd->add_subcommand(
      "list", "Each vantage point: state, last seen, latency, version, own connection, last error");
  common(list);
  auto* show = cmd->add_subcommand("show", "One vantage point in detail");
  show->add_option("name", f->name, "The vantage point's name")->required();
  common(show);
  *command = cmd;
  return [f, list, show]() {
    if (*list) return List(*f);
    if (*show) return Show(*f);
    return kExitUsage;
  };
}

}  // namespace lifeline::cli
