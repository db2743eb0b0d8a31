// Lifeline's configuration: the bundled platform catalog merged with the user's YAML file, typed
// and validated. Every error names the file, line and key, and what would be valid.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/device_probes.h"
#include "config/yaml_read.h"
#include "core/address_policy.h"
#include "core/result.h"
#include "core/types.h"
#include "watch/crowd.h"
#include "watch/silence.h"
#include "watch/state_machine.h"

namespace lifeline::config {

// The bundled catalog's YAML text (config/catalog.yaml, compiled in).
extern const std::string_view kBundledCatalog;

// `lifeline agent` settings (the agent's own listen address and token file come from flags).
struct AgentConfig {
  std::string name;    // reported to callers; default: the host name
  std::string region;  // reported to callers
  std::size_t max_request_bytes = 1 << 20;
  std::size_t max_targets = 2000;
  // Ranges the agent may probe although they are not public (loopback, private, link-local, ...;
  // core::AddressPolicy). Empty: public addresses only. Each allowed range is a way into the
  // network the agent runs in for whoever holds its token.
  std::vector<core::Cidr> allow_private;
};

// `lifeline serve`: the watch schedule, the incident hysteresis and where data is kept.
struct ServeConfig {
  std::chrono::milliseconds interval{30000};  // each platform's round interval (at least 5s)
  // Each round's next start is moved by up to this share of the interval, either way, so many
  // instances (and platforms with equal intervals) do not fall into lockstep. [0, 0.5]
  double jitter = 0.10;
  watch::StateMachineConfig machine;  // open_after, open_after_confirmed, close_after, flapping_*
  std::chrono::milliseconds status_page_interval{120000};  // official status pages polled
  std::string data_dir = "./var";  // relative to the config file's folder when set in a file
  std::string database;            // "" = data_dir/lifeline.db
  // Per-platform interval overrides (platforms.ID.interval), by platform id.
  std::vector<std::pair<std::string, std::chrono::milliseconds>> intervals;
  // serve.metrics.per_platform: /metrics' series labelled by platform. nullopt = auto (on below
  // 1,000 enabled platforms, serve/metrics.h).
  std::optional<bool> metrics_per_platform;

  // The interval of `platform`: its override or `interval`.
  std::chrono::milliseconds IntervalOf(std::string_view platform) const;
  // `database`, or data_dir/lifeline.db.
  std::string DatabasePath() const;
};

// `lifeline serve`'s HTTP API.
struct ApiConfig {
  std::string listen = "127.0.0.1:8080";  // "ADDR:PORT"; IPv6 in brackets
  std::string anonymous_role = "viewer";  // role of requests without a token: none|viewer|operator
  std::string web_root;                   // the dashboard's files; "" = found at start-up
  // How people reach this server from outside ("https://lifeline.example.com"): the start of the
  // acknowledgement links in alerts. "" = the listen address.
  std::string public_url;
};

// A top-level section that belongs to a response part (`channels:`, `contacts:`, ...). The loader
// keeps it as read; the part parses and validates it in its own folder, with yaml_read.h's
// file:line:key errors. Part sections are named in PartSectionKeys(); a later file's section
// replaces an earlier one's.
struct PartSection {
  std::string key;
  yaml::Doc doc;
  yaml::Where where;  // the key's line
  YAML::Node node;
};

// The top-level keys that response parts own (one line per part in config.cc).
const std::vector<std::string_view>& PartSectionKeys();

struct Config {
  std::string source;                     // the user's file (as given), or "<bundled>"
  std::vector<core::Platform> platforms;  // catalog merged with the user's, catalog order first
  std::vector<core::ProbeSpec> control;   // independent control endpoints (http probes)
  // The control endpoints' `device_probes` (those that have some), in control order: what a
  // person's browser fetches to tell whether its own connection works (device_probes.h).
  std::vector<DeviceControl> device_controls;
  std::vector<std::string> resolvers;  // resolvers queried directly: "IP" or "IP:PORT"
  std::vector<core::VantagePoint> vantage_points;
  std::string ca_file;                             // "" = system CAs
  std::string resolv_conf;                         // "" = /etc/resolv.conf
  std::chrono::milliseconds timeout{5000};         // per probe
  std::chrono::milliseconds slow_threshold{2000};  // slower than this is degraded
  std::size_t concurrency = 256;
  AgentConfig agent;
  ServeConfig serve;
  ApiConfig api;
  watch::CrowdConfig crowd;
  // Maintenance windows (`maintenance:`) and silences (`silences:`), in file order; each valid.
  std::vector<watch::Silence> silences;
  std::vector<PartSection> sections;  // response parts' sections, in file order

  // The part section `key`, or null when the file has none.
  const PartSection* Section(std::string_view key) const;
};

// The bundled catalog and defaults alone.
core::Result<Config> LoadBundled();

// The bundled catalog merged with the YAML file at `path` (docs/config.md: keys and merge rules).
// The first mistake fails the load with kInvalidArgument and one line
// "FILE:LINE: KEY.PATH: what is wrong (what would be valid)"; an unreadable file fails with
// kNotFound / kPermissionDenied / kUnavailable. Relative paths in the file (ca_file, resolv_conf,
// token_file, header {file:}) resolve against the file's folder. Header secrets from env/file
// are resolved here; their values never appear in any message.
core::Result<Config> LoadFile(const std::string& path);

// As LoadFile, with the user's YAML given as text; `name` stands for the file in messages and
// its folder (if any) is where relative paths start.
core::Result<Config> LoadString(std::string_view yaml, std::string_view name);

const core::Platform* FindPlatform(const Config& config, std::string_view id);

// The catalog id closest to a misspelt one ("instagarm" -> "instagram"), if any is close enough.
std::optional<std::string> SuggestPlatform(const Config& config, std::string_view id);

}  // namespace lifeline::config
