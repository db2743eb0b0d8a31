// The relay's part of the config: `channels:` (each built by its adapter), `contacts:`,
// `templates:` and `relay:`, parsed and checked here at start-up with FILE:LINE: key: what errors.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "channels/channel.h"
#include "channels/http.h"
#include "channels/registry.h"
#include "channels/templates.h"
#include "config/config.h"
#include "core/result.h"

namespace lifeline::channels {

// One configured channel: the adapter and what the relay needs besides it.
struct ChannelSetup {
  std::string name;  // channels.NAME
  std::string kind;  // the adapter's type
  std::unique_ptr<Channel> channel;
  // channels.NAME.platform when given, else the adapter's Info::platform; "" = none we watch.
  std::string platform;
  // The adapter's traits with channels.NAME.rate applied (rate_per_second and burst).
  Traits traits;
  std::chrono::milliseconds timeout{15000};
};

// One way to reach a contact: a channel and the address on it ("" = the channel's default).
struct ContactPoint {
  std::string channel;
  std::string to;
};

// A person or an audience, reachable on several channels in priority order.
struct Contact {
  std::string id;                    // contacts.ID
  std::string name;                  // for people; the id when not given
  std::string role;                  // free text ("community_manager"); "" when not given
  std::vector<ContactPoint> points;  // at least one, first = preferred
};

// `relay:`. Defaults are what a relay needs without tuning.
struct RelayConfig {
  int workers = 4;                                             // delivery threads (1..64)
  int max_attempts = 8;                                        // per channel; then dead-lettered
  std::chrono::milliseconds max_age = std::chrono::hours(24);  // then dead-lettered
  std::chrono::milliseconds backoff_base{2000};                // first retry waits up to this
  std::chrono::milliseconds backoff_max = std::chrono::minutes(10);  // the cap
  int circuit_failures = 5;                                          // consecutive failures to open
  std::chrono::milliseconds circuit_cooldown{60000};  // open, then one probe after this
  std::size_t batch = 256;  // messages per claim and per commit (group commit)
  // How often the relay looks for due messages it was not told about (enqueued by another
  // process, e.g. `lifeline send` beside a running `lifeline serve`).
  std::chrono::milliseconds poll{1000};
};

struct RelaySetup {
  std::vector<ChannelSetup> channels;  // config order
  std::vector<Contact> contacts;       // config order
  std::vector<Template> templates;     // config order
  RelayConfig relay;
  // Every catalog platform's failure domain ("whatsapp" -> "meta"), from config.platforms.
  std::map<std::string, std::string, std::less<>> platform_domains;

  const ChannelSetup* FindChannel(std::string_view name) const;
  const Contact* FindContact(std::string_view id) const;
  const Template* FindTemplate(std::string_view name) const;
};

struct LoadOptions {
  HttpClient* http = nullptr;  // handed to the adapters; must outlive the channels
  // The adapters to build from; empty = Kinds() (registry.cc). Tests pass fakes.
  std::span<const Kind> kinds;
};

// Builds the relay's setup from `config`'s channels, contacts, templates and relay sections
// (each optional). The first mistake fails with kInvalidArgument, one line:
//   FILE:LINE: KEY.PATH: what is wrong (what would be valid)
// Checked: channel names, `type` (did you mean) or `url` (scheme known, URL well-formed — never
// quoted, it may hold a token), common keys (platform in the catalog, timeout, rate), each
// adapter's own keys and secrets (its from_yaml/from_url), contacts' channels (did you mean) and
// addresses (the channel's Check), templates' variables and, for every channel a text applies
// to, the length rendered with every variable at its longest (WorstCaseVars) against the
// channel's max_chars.
core::Result<RelaySetup> LoadRelaySetup(const config::Config& config, const LoadOptions& options);

}  // namespace lifeline::channels
