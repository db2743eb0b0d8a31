// The serve engine: turns one-shot evidence rounds into a continuous watch. It schedules rounds,
// confirms failures at once, runs the per-platform state machines and the incident tracker,
// keeps the store up to date and serves the HTTP API's data (it implements api::Backend).
#pragma once

// GCC 12: <utility> must precede Boost's awaitable header.
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/backend.h"
#include "check/check.h"
#include "config/config.h"
#include "core/incident_feed.h"
#include "core/result.h"
#include "sources/statuspage.h"
#include "store/store.h"

namespace lifeline::serve {

// One evidence round over `platforms`. `status_pages` holds the status pages' last polled state
// by platform id (the round diagnoses with it rather than fetching). Runs on the engine's event
// loop; the default runs check::Run on the engine's own Prober.
using RoundRunner = std::function<boost::asio::awaitable<check::RoundResult>(
    std::vector<core::Platform> platforms,
    const std::map<std::string, sources::StatusPageState>* status_pages)>;

// Fetches one official status page (default: sources::FetchStatusPage on the engine's Prober).
using StatusFetcher =
    std::function<boost::asio::awaitable<sources::StatusPageState>(core::Platform platform)>;

struct EngineOptions {
  RoundRunner run_round;       // empty: check::Run
  StatusFetcher fetch_status;  // empty: sources::FetchStatusPage
  // A failing platform not yet in an incident is re-checked at once, up to this many times in a
  // row (each confirmation is a full round: here and the vantage points).
  int max_confirmations = 3;
  // Samples are written in batches at least this often (and at once past 5,000).
  std::chrono::milliseconds flush_interval{2000};
  std::chrono::milliseconds rollup_interval{60000};
  std::chrono::milliseconds prune_interval{3600000};
  // Stop() waits this long for running rounds before abandoning them; 0 = 2 * timeout + 5 s.
  std::chrono::milliseconds drain_timeout{0};
  std::uint64_t seed = 0;  // jitter; 0 = random
  // This device's interfaces and route for the default round's observer check; null: the real
  // ones (probe::InspectLocalNetwork). The demo simulates a connected device.
  std::function<probe::LocalNetwork()> inspect_network;
  // Each vantage point's reply in the default round, on the engine's event loop (the fleet view,
  // serve/fleet.h). Null: none.
  std::function<void(const agent::VantageReply&)> on_vantage_reply;
  // One line per notable event (round errors, incidents, store failures). Null: silent. Called
  // on the engine's threads.
  std::function<void(std::string_view)> log;
  // Several instances share the store (serve/cluster.h): the engine runs rounds, status pages and
  // incidents only for the platforms SetOwned gives it (none until then) and shows the others
  // from the store, their incidents' events on /v1/events too (serve/shared_view.h).
  bool shared = false;
  // How often a shared engine reads the others' platforms and incidents from the store.
  std::chrono::milliseconds shared_refresh{2000};
};

// Restart reconciliation (decided here, documented in docs/serve.md): incidents found open in
// the store at start-up are kept open and shown. The first rounds then settle each one:
//  - one of its platforms fails again and the tracker opens an incident over it: that incident is
//    the stored one continued (same id, an "updated" event "still failing after restart");
//  - all of its platforms have had `close_after` good rounds in a row since start-up (as the
//    state machine closes an incident; rounds without evidence neither count nor reset):
//    closed with the event "closed at restart: platform up";
//  - no platform it names is watched any more: closed ("platform no longer watched");
//  - no evidence yet (this side's connection is down): it stays open until there is.
// Also the spine of the response half: it publishes incident changes as a core::IncidentFeed, so
// parts (relay, playbook, ...) react without the engine knowing them.
class Engine final : public api::Backend, public core::IncidentFeed {
 public:
  // `store` must outlive the engine. `config` must be valid (loaded by config::Load*).
  Engine(config::Config config, store::Store& store, EngineOptions options = {});
  ~Engine() override;  // Stop()s
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Loads the last platform states, status pages and open incidents from the store, creates the
  // prober and starts the engine's threads (the event loop and the sample writer). Errors: the
  // store failing, a probe setting that does not load (CA file, resolver config).
  core::Status Start();

  // Stops scheduling, lets running rounds finish (or abandons them after the drain timeout),
  // writes the remaining samples and rolls them up. Idempotent. Call from outside the engine.
  void Stop();

  // ---- api::Backend ----
  std::shared_ptr<const std::string> PlatformsBody() override;
  core::Result<nlohmann::json> Platform(std::string_view id) override;
  core::Result<nlohmann::json> History(std::string_view id,
                                       std::chrono::system_clock::time_point from,
                                       std::chrono::system_clock::time_point to) override;
  void CheckNow(std::vector<std::string> platform_ids,
                std::function<void(core::Result<nlohmann::json>)> done) override;
  core::Result<nlohmann::json> Incidents(const api::IncidentQuery& query) override;
  core::Result<nlohmann::json> Incident(std::string_view id) override;
  core::Result<nlohmann::json> IncidentEvents(std::string_view id, std::int64_t after) override;
  // `client_key` is the API's hash of the client address; the store keys it again with its own
  // secret and the day (Store::ClientKey) before keeping it.
  core::Result<nlohmann::json> SubmitReport(std::string_view platform, std::string_view kind,
                                            std::string_view client_key) override;
  core::Result<nlohmann::json> Reports(std::string_view platform) override;
  nlohmann::json StatusPages() override;
  std::string Metrics() override;
  core::Status Health() override;
  std::unique_ptr<api::Backend::Subscription> Subscribe(
      std::function<void(const api::LiveEvent&)> sink) override;
  core::Result<api::Role> Authenticate(std::string_view bearer_token) override;

  // ---- core::IncidentFeed ----
  std::unique_ptr<core::IncidentFeed::Subscription> SubscribeIncidents(
      std::function<void(const core::IncidentNotice&)> sink) override;

  // While set, `platform` is probed every `interval` instead of its configured interval (the
  // contingency plan's monitoring window after restoration); nullopt restores it. Only queues
  // (safe from another part's callback under its own lock); an unknown platform is ignored.
  void SetProbeInterval(std::string_view platform,
                        std::optional<std::chrono::milliseconds> interval);

  // With EngineOptions::shared: the platforms this instance runs from now on (the leases it
  // holds). A platform it gains is adopted — its open incidents taken over from the store as after
  // a restart, a round at once; one it loses is let go without closing anything (its new owner
  // carries on). Only queues; ids not watched are ignored.
  void SetOwned(std::vector<std::string> platform_ids);

  // Rounds finished so far (confirmations included); for tests and the demo.
  std::uint64_t rounds_completed() const;

  struct State;  // implementation detail (engine.cc)

 private:
  std::unique_ptr<State> state_;
};

}  // namespace lifeline::serve
