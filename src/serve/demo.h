// `lifeline demo`: the whole service on loopback with simulated platforms, two in-process vantage
// points, simulated customers and public chatter, and a scripted WhatsApp outage, so a newcomer
// sees detection, the incident, the response and recovery. No root, no internet: every address is
// 127.0.0.1.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "config/config.h"
#include "core/result.h"

namespace lifeline::serve {

struct DemoOptions {
  std::string listen = "127.0.0.1:8080";
  std::chrono::milliseconds interval{10000};
  std::chrono::milliseconds outage_after{30000};
  std::chrono::milliseconds outage_for{120000};
  std::string data_dir;  // "" = a temporary folder, removed at exit
};

// Runs until SIGINT/SIGTERM. Errors: the API address in use, a data folder that cannot be used.
core::Status RunDemo(const DemoOptions& options);

// A simulated platform: a small HTTP server on 127.0.0.1 that answers every request with 200 and
// "<name> is working (simulated)", or 503 while failing, and serves its official status page. Runs
// on the given event loop; Listen and Stop from its thread or before it runs; SetFailing from any
// thread.
class SimServer {
 public:
  SimServer(boost::asio::io_context& io, std::string name);
  ~SimServer();
  SimServer(const SimServer&) = delete;
  SimServer& operator=(const SimServer&) = delete;

  core::Status Listen();  // 127.0.0.1, a free port
  void Start();
  void Stop();
  void SetFailing(bool failing);
  // Its official status page (GET /api/v2/summary.json, answered even while failing): all
  // operational, or a major outage with an open incident. Call on the simulators' thread.
  void SetOfficialIncident(bool open);
  bool failing() const;
  std::uint16_t port() const;
  std::string Url() const;          // "http://127.0.0.1:PORT/"
  std::string HealthyText() const;  // what a healthy answer contains

  struct State;

 private:
  std::shared_ptr<State> state_;
};

// The demo's configuration: the bundled catalog's facebook, instagram, whatsapp, x, telegram and
// tiktok, each probed at its simulator only (no DNS names; the simulator also serves its
// official status page), loopback control sites, the given vantage points, no direct resolvers.
config::Config DemoConfig(const std::vector<std::pair<std::string, std::string>>& platform_urls,
                          const std::vector<std::string>& control_urls,
                          const std::vector<core::VantagePoint>& vantage_points);

}  // namespace lifeline::serve
