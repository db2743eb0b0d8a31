// The Mastodon channel: posts a status (POST /api/v1/statuses) to the audience with an
// Idempotency-Key, so that a request whose answer was lost can be retried without a duplicate.
// Config from YAML (`type: mastodon`) or an Apprise-style mastodon(s):// / toot(s):// URL.
#pragma once

#include <memory>
#include <string>

#include "channels/channel.h"
#include "channels/http.h"
#include "channels/http_adapter.h"
#include "channels/registry.h"

namespace lifeline::channels::mastodon {

struct MastodonConfig {
  std::string server;                 // "https://mastodon.social" (no trailing '/')
  std::string access_token;           // a secret with the write:statuses scope
  std::string visibility = "public";  // public | unlisted | private | direct
  std::string language;               // ISO 639 code, or "" for the account's default
  std::size_t max_chars = 500;  // the instance's limit (configuration.statuses.max_characters)
  std::string platform = "mastodon";
  std::chrono::milliseconds timeout{15000};
};

// YAML keys: server, access_token (a secret), visibility, language, max_chars.
core::Result<MastodonConfig> ConfigFromYaml(const BuildContext& ctx,
                                            const config::yaml::Fields& fields);
// mastodons://TOKEN@host[:port][?visibility=unlisted&language=en] (https; mastodon:// is http,
// allowed to loopback only). Apprise's /@user targets (direct messages) are refused.
core::Result<MastodonConfig> ConfigFromUrl(const BuildContext& ctx, const AppriseUrl& url);

class MastodonChannel : public adapter::HttpChannel<MastodonConfig> {
 public:
  MastodonChannel(std::string name, MastodonConfig config, HttpClient* http);

  core::Status Check(const OutgoingMessage& message) const override;
  // GET /api/v1/statuses/:id: 200 present (with the status's url), 404 or 410 missing; no answer,
  // 401/403, 429 and 5xx unknown.
  LookupResult Lookup(const std::string& remote_id) override;

  // The request Send makes (tests, dry runs). Holds the token: never log it.
  HttpRequest BuildRequest(const OutgoingMessage& message) const;

 private:
  DeliveryResult Deliver(const OutgoingMessage& message) override;
};

// Classifies Mastodon's answer to POST /api/v1/statuses (mastodon.cc lists the rules).
DeliveryResult ClassifyAnswer(const HttpResponse& response,
                              std::chrono::system_clock::time_point now);

// type "mastodon", schemes mastodon, mastodons, toot, toots.
extern const Kind kKind;

}  // namespace lifeline::channels::mastodon
