// A `lifeline serve` API with a canned backend, for load tests of the transport alone (wrk against
// GET /v1/platforms). Prints "listening on 127.0.0.1:PORT" and serves until SIGINT or SIGTERM.
// Usage: api_fake_server [--listen 127.0.0.1:0] [--threads 1] [--platforms 12] [--web-root DIR]
#include <pthread.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "api/server.h"

namespace {

using lifeline::api::Backend;
using lifeline::api::LiveEvent;
using lifeline::api::Role;
using json = nlohmann::json;
namespace core = lifeline::core;

// Answers like the engine does, from memory: the platforms body is built once, as the engine
// serializes it once per change.
class CannedBackend : public Backend {
 public:
  explicit CannedBackend(int platforms) {
    json list = json::array();
    for (int i = 0; i < platforms; ++i) {
      std::string id = "platform" + std::to_string(i);
      list.push_back(
          {{"platform", id},
           {"name", "Platform " + std::to_string(i)},
           {"domain", "domain" + std::to_string(i % 4)},
           {"verdict", "up"},
           {"layer", ""},
           {"detail", ""},
           {"confidence", 0.95},
           {"reason", "reachable and healthy from here and 3 vantage points"},
           {"evidence",
            {"https://www." + id + ".example/ answered 200 in 84 ms",
             "3 of 3 vantage points load it"}},
           {"latency_ms", 84.2},
           {"checked_at", "2026-11-27T10:00:00Z"},
           {"state", "ok"},
           {"incident_id", nullptr},
           {"suppressed", nullptr},
           {"status_page",
            {{"indicator", "none"},
             {"description", "All Systems Operational"},
             {"fetched_at", "2026-11-27T09:59:30Z"}}},
           {"crowd", {{"reports_last_hour", 0}, {"baseline", 0.4}, {"flagged", false}}}});
    }
    body_ = std::make_shared<const std::string>(json{
        {"platforms", list},
        {"observer", {{"connectivity", "ok"}, {"evidence", {"5 of 5 control sites load"}}}},
        {"updated_at", "2026-11-27T10:00:00Z"}}.dump());
  }

  std::shared_ptr<const std::string> PlatformsBody() override { return body_; }
  core::Result<json> Platform(std::string_view id) override {
    return core::MakeError(core::ErrorCode::kNotFound, "no platform '{}'", id);
  }
  core::Result<json> History(std::string_view id, std::chrono::system_clock::time_point,
                             std::chrono::system_clock::time_point) override {
    return json{{"platform", id}, {"points", json::array()}};
  }
  void CheckNow(std::vector<std::string>, std::function<void(core::Result<json>)> done) override {
    done(core::MakeError(core::ErrorCode::kUnavailable, "the fake server does not probe"));
  }
  core::Result<json> Incidents(const lifeline::api::IncidentQuery&) override {
    return json{{"incidents", json::array()}, {"next_cursor", nullptr}};
  }
  core::Result<json> Incident(std::string_view id) override {
    return core::MakeError(core::ErrorCode::kNotFound, "no incident '{}'", id);
  }
  core::Result<json> IncidentEvents(std::string_view id, std::int64_t) override {
    return core::MakeError(core::ErrorCode::kNotFound, "no incident '{}'", id);
  }
  core::Result<json> SubmitReport(std::string_view platform, std::string_view,
                                  std::string_view) override {
    return json{
        {"accepted", true}, {"platform", platform}, {"reports_last_hour", 1}, {"flagged", false}};
  }
  core::Result<json> Reports(std::string_view) override {
    return json{{"platforms", json::array()}};
  }
  json StatusPages() override { return json{{"status_pages", json::array()}}; }
  std::string Metrics() override { return ""; }
  core::Status Health() override { return core::Ok(); }
  std::unique_ptr<Subscription> Subscribe(std::function<void(const LiveEvent&)>) override {
    return std::make_unique<Subscription>();
  }
  core::Result<Role> Authenticate(std::string_view) override {
    return core::MakeError(core::ErrorCode::kUnauthenticated, "unknown or revoked API token");
  }

 private:
  std::shared_ptr<const std::string> body_;
};

}  // namespace

int main(int argc, char** argv) {
  lifeline::api::ServerOptions options;
  options.listen = "127.0.0.1:0";
  int platforms = 12;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--listen")) {
      options.listen = argv[i + 1];
    } else if (!std::strcmp(argv[i], "--threads")) {
      options.threads = static_cast<std::size_t>(std::atoi(argv[i + 1]));
    } else if (!std::strcmp(argv[i], "--web-root")) {
      options.web_root = argv[i + 1];
    } else if (!std::strcmp(argv[i], "--platforms")) {
      platforms = std::atoi(argv[i + 1]);
    } else {
      std::fprintf(
          stderr, "usage: %s [--listen ADDR:PORT] [--threads N] [--platforms N] [--web-root DIR]\n",
          argv[0]);
      return 2;
    }
  }
  // Block the stop signals before any server thread starts, so they reach sigwait below and not
  // a server thread.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  CannedBackend backend(platforms);
  lifeline::api::Server server(backend, options);
  if (auto s = server.Start(); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.error().ToString().c_str());
    return 1;
  }
  std::printf("listening on 127.0.0.1:%u body_bytes=%zu\n", server.port(),
              backend.PlatformsBody()->size());
  std::fflush(stdout);
  int signal = 0;
  sigwait(&stop_signals, &signal);
  server.Stop();
  return 0;
}
