// Shared pieces of the channel adapters (telegram, whatsapp, messenger, twilio, slack, discord,
// teams, webhook, mastodon, x, bluesky; e-mail uses the Info and config ones): the HTTP channels'
// common shape, config checks with file:line:key errors, text checks, JSON without exceptions, and
// the one classification of answers every HTTP adapter feeds with what its far side said.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

#include "channels/channel.h"
#include "channels/http.h"
#include "channels/registry.h"
#include "config/yaml_read.h"
#include "core/result.h"

namespace lifeline::channels::adapter {

// --- the channel --------------------------------------------------------------------------------

// The static facts of channel `name` (the config key) of adapter `kind`.
Info MakeInfo(std::string name, std::string kind, std::string platform, std::string recipient,
              Traits traits);

// A Send that Check refused: kFailed with Check's words (nothing was sent).
DeliveryResult Refused(const core::Error& error);

// What every HTTP adapter's channel holds (its Info, its typed config, the shared client and the
// per-request timeout) and the one rule of its Send: a message Check refuses never goes out.
// The derived constructor fills info_ from config_.
template <typename Config>
class HttpChannel : public Channel {
 public:
  const Info& info() const final { return info_; }
  const Config& config() const { return config_; }

  DeliveryResult Send(const OutgoingMessage& message) final {
    if (auto s = Check(message); !s.ok()) return Refused(s.error());
    return Deliver(message);
  }

 protected:
  HttpChannel(Config config, HttpClient* http, std::chrono::milliseconds timeout)
      : config_(std::move(config)), http_(http), timeout_(timeout) {}
  // For a config that carries its own timeout (Mastodon, X, Bluesky).
  HttpChannel(Config config, HttpClient* http)
      : config_(std::move(config)), http_(http), timeout_(config_.timeout) {}

  // One attempt of a message Check accepted.
  virtual DeliveryResult Deliver(const OutgoingMessage& message) = 0;

  Info info_;
  const Config config_;
  HttpClient* const http_;  // shared; outlives the channel
  const std::chrono::milliseconds timeout_;
};

// Kind::from_yaml / from_url's end for a channel T(name, config, http) built from a typed config
// the adapter parsed (Mastodon, X, Bluesky): the config's error, or the channel. kInternal,
// naming `kind`, when the context has no HTTP client.
template <typename T, typename Config>
core::Result<std::unique_ptr<Channel>> MakeChannel(std::string_view kind, const BuildContext& ctx,
                                                   core::Result<Config> config) {
  if (!config.ok()) return config.error();
  if (ctx.http == nullptr) {
    return core::MakeError(core::ErrorCode::kInternal, "{}: no HTTP client given", kind);
  }
  return std::unique_ptr<Channel>(std::make_unique<T>(ctx.name, std::move(*config), ctx.http));
}

// --- config -------------------------------------------------------------------------------------

// A typed config (Mastodon's, X's, Bluesky's) with the channel's timeout and, when the config
// names one (channels.NAME.platform), its platform.
template <typename Config>
Config ConfigFor(const BuildContext& ctx) {
  Config c;
  c.timeout = ctx.timeout;
  if (!ctx.platform.empty()) c.platform = ctx.platform;
  return c;
}

// Unknown keys among the adapter's own fields are errors, with "did you mean" for a near miss.
core::Status CheckKeys(const BuildContext& ctx, const config::yaml::Fields& fields,
                       const config::yaml::Keys& allowed);

// FILE:LINE: channels.NAME.KEY: what — at the value's own line.
core::Error FailAt(const BuildContext& ctx, const config::yaml::Field& field,
                   std::string_view what);
// FILE:LINE: channels.NAME: what — for what is missing, or not tied to one key.
core::Error FailChannel(const BuildContext& ctx, std::string_view what);
// FILE:LINE: channels.NAME.url: what — for an Apprise-style URL (never quoting it: it holds
// tokens).
core::Error FailUrl(const BuildContext& ctx, std::string_view what);

// A required secret ({ env: NAME } / { file: PATH }); "missing" names the key when absent.
core::Result<std::string> RequiredSecret(const BuildContext& ctx,
                                         const config::yaml::Fields& fields, std::string_view key,
                                         std::string_view what);
core::Result<std::string> RequiredString(const BuildContext& ctx,
                                         const config::yaml::Fields& fields, std::string_view key,
                                         std::string_view what);
// "" when absent.
core::Result<std::string> OptionalString(const BuildContext& ctx,
                                         const config::yaml::Fields& fields, std::string_view key,
                                         std::string_view what);
core::Result<std::optional<bool>> OptionalBool(const BuildContext& ctx,
                                               const config::yaml::Fields& fields,
                                               std::string_view key);

// An endpoint a credential is sent to: https, or http only to a loopback address (a local relay,
// the test fakes): tokens never cross a network in clear text. Returns the URL without a trailing
// '/'. The error is the "what" part only.
core::Result<std::string> CheckSecureBase(std::string_view url);
// A required secret that is a URL holding its own credential (a Slack, Discord or Teams webhook
// URL), checked with CheckSecureBase; errors name the problem, never the URL.
core::Result<std::string> RequiredSecretUrl(const BuildContext& ctx,
                                            const config::yaml::Fields& fields,
                                            std::string_view key, std::string_view what);
// Any absolute http(s) URL (the generic webhook's receiver, which the operator chose).
core::Status CheckHttpUrl(std::string_view url);
// An optional endpoint the channel's credentials go to (`api_base`: a local Bot API server, a test
// fake), checked with CheckSecureBase and failing at the value's line; `fallback` when absent.
core::Result<std::string> OptionalSecureBase(const BuildContext& ctx,
                                             const config::yaml::Fields& fields,
                                             std::string_view key, std::string fallback);

// A problem a typed config's Validate found, by the YAML key it belongs to.
struct Problem {
  std::string key;   // "template.name"; a key the fields lack fails at the channel
  std::string what;  // what is wrong, for a person
};
// FILE:LINE: channels.NAME.KEY: what — at `problem.key` when the fields have it, else the channel.
core::Error FailProblem(const BuildContext& ctx, const config::yaml::Fields& fields,
                        const Problem& problem);

// Apprise-style URLs: a yes/no query value ("yes", "no", "true", "false", "1", "0").
core::Result<std::optional<bool>> QueryBool(const AppriseUrl& url, std::string_view key);
std::string QueryValue(const AppriseUrl& url, std::string_view key);  // "" when absent
// Query keys outside `allowed` are errors (a typo would otherwise be ignored silently).
core::Status CheckQueryKeys(const AppriseUrl& url, const config::yaml::Keys& allowed);
// CheckQueryKeys as the channel's error (FailUrl).
core::Status CheckUrlQuery(const BuildContext& ctx, const AppriseUrl& url,
                           const config::yaml::Keys& allowed);
// The URL's `key` (api_base=, service=...) as an endpoint credentials go to, checked with
// CheckSecureBase; `fallback` when absent. Errors are the channel's (FailUrl), prefixed "KEY: ".
core::Result<std::string> QuerySecureBase(const BuildContext& ctx, const AppriseUrl& url,
                                          std::string_view key, std::string fallback);

// %-encodes what may not stand literally in a URL path segment / a query value (a decoded Apprise
// URL part put back into an https:// URL).
std::string EncodePathSegment(std::string_view s);
std::string EncodeQueryValue(std::string_view s);

// --- phone numbers ------------------------------------------------------------------------------

// E.164: '+', a non-zero digit, 7 to 15 digits in all. A missing '+' is added ("15551234567");
// spaces, dashes, dots and parentheses are dropped. nullopt when it is not a phone number.
std::optional<std::string> NormalizeE164(std::string_view text);

// The phone number a message goes to on `channel`: `given` (the message's own recipient), else
// `fallback` (the channel's configured one), in E.164. kInvalidArgument naming the channel when
// there is none or it is not a phone number.
core::Result<std::string> RecipientE164(std::string_view channel, const std::string& given,
                                        const std::string& fallback);

// --- text ---------------------------------------------------------------------------------------

// One or more ASCII digits, nothing else.
bool IsDigits(std::string_view s);
// A Graph API version, "v21.0" (WhatsApp's Cloud API, Messenger's Send API).
bool IsGraphVersion(std::string_view s);

bool IsValidUtf8(std::string_view s);
std::size_t CodePoints(std::string_view utf8);
std::size_t Utf16Units(std::string_view utf8);  // characters as JavaScript and Telegram count them
// "12,345"
std::string Thousands(std::size_t n);

// The chat adapters' first check: "NAME: the message is empty" without text or subject, "NAME:
// the text is not valid UTF-8" when either is not.
core::Status CheckText(std::string_view channel, const OutgoingMessage& message);
// The public-post adapters' (Mastodon, X, Bluesky): "NAME: the NOUN has no text", "NAME: the text
// is not UTF-8".
core::Status CheckPostText(std::string_view channel, std::string_view text, std::string_view noun);
// "NAME: 4,097 characters; Telegram allows 4,096" when `n` is over `max`; `counted` says what n
// counts ("characters", "bytes of UTF-8", "by X's count (...)").
core::Status CheckLimit(std::string_view channel, std::size_t n, std::size_t max,
                        std::string_view counted, std::string_view far_side);

// --- JSON ---------------------------------------------------------------------------------------

// nullopt for anything that is not JSON (an HTML error page from a proxy).
std::optional<nlohmann::json> ParseJson(std::string_view body);
// Serializes, replacing invalid UTF-8 instead of throwing.
std::string Dump(const nlohmann::json& j);
// A member as text: strings as they are, numbers in decimal; "" when absent or another type.
std::string MemberText(const nlohmann::json& j, std::string_view key);
// A member as a whole number; nullopt when absent or not a number (or a numeric string).
std::optional<long long> MemberInt(const nlohmann::json& j, std::string_view key);

// --- answers ------------------------------------------------------------------------------------

// The far side's words, made one short line: control characters become spaces, at most `max`
// bytes (cut at a character boundary).
std::string OneLine(std::string_view text, std::size_t max = 200);

// A request that got no answer. kNotSent: retry. kLost: unconfirmed, or retry when the far side
// deduplicates by the message's key.
DeliveryResult NotAnswered(const HttpResponse& response, bool deduplicates);

// Retry-After (seconds or an HTTP date) of an answer.
std::optional<std::chrono::milliseconds> RetryAfter(const HttpResponse& response);

// A header holding a whole number (x-rate-limit-remaining); nullopt when absent or not digits.
std::optional<long long> NumberHeader(const HttpResponse& response, std::string_view name);
// A header holding a time as whole seconds since the epoch (x-rate-limit-reset, RateLimit-Reset);
// nullopt when absent or not a number.
std::optional<std::chrono::system_clock::time_point> EpochHeader(const HttpResponse& response,
                                                                 std::string_view name);
// How long from `now` until `at`; zero once it has passed.
std::chrono::milliseconds Until(std::chrono::system_clock::time_point at,
                                std::chrono::system_clock::time_point now);

// How long a retry waits: the first of `stated` (a wait the answer's body names: Discord's and
// Telegram's retry_after), the answer's Retry-After (unless `retry_after_header` is false: the far
// side's own rule names no wait), and `reset` (when a spent rate-limit window ends: Mastodon's
// X-RateLimit-Reset, X's x-rate-limit-reset, Bluesky's RateLimit-Reset).
struct Wait {
  std::optional<std::chrono::milliseconds> stated;
  std::optional<std::chrono::milliseconds> reset;
  bool retry_after_header = true;
};
std::optional<std::chrono::milliseconds> WaitFor(const HttpResponse& response, const Wait& wait);

// The outcome an HTTP status alone means: 2xx delivered; 408, 425, 429 and 5xx retry; else failed.
Outcome StatusOutcome(int status);

// Classification by HTTP status alone, for answers an adapter does not recognise: 2xx delivered;
// 408, 425, 429 and 5xx retry (waiting per `wait`; 429 is rate_limited); 401/403 failed (the
// credentials were refused); other 4xx failed. `detail` (the far side's words, may be empty) is
// appended to the reason.
DeliveryResult ByStatus(const HttpResponse& response, std::string_view detail,
                        const Wait& wait = {});

// What an adapter's own reading of a complete answer decides.
enum class Verdict {
  kByStatus,     // the HTTP status decides (ByStatus); `reason`, when given, replaces its words
  kDelivered,    // as `remote_id`
  kUnconfirmed,  // the answer is not the far side's documented one: delivery unknown
  kRateLimited,  // retry after `wait`: the far side said we go too fast
  kRetry,        // retry after `wait`: the far side failed for now
  kFailed,       // trying again cannot help
};

// What an adapter read in one answer (the far side's status, words and codes), for Classify.
struct Reading {
  Verdict verdict = Verdict::kByStatus;
  std::string reason;  // the result's reason (kByStatus: replaces ByStatus's when non-empty)
  std::string detail;  // kByStatus: the far side's words, appended to ByStatus's reason
  // kByStatus: the far side's words overrule the status's outcome (a 403 "invalid_token" is for
  // good); the wait and rate limit the status named stay on the record.
  std::optional<Outcome> outcome;
  std::string far_code;   // the far side's own code, as DeliveryResult::far_code
  std::string remote_id;  // kDelivered
  Wait wait;              // the retries'
};

// A 2xx answer, which names the message when it is the far side's documented one: delivered as
// `id` with `reason`; without an id, unconfirmed with `unconfirmed` (whether it went out is
// unknown).
Reading Accepted(std::string id, std::string reason, std::string unconfirmed);

// The one classification of an HTTP adapter's answers. No complete answer: NotAnswered (a lost
// answer is retried when the far side `deduplicates`, else unconfirmed). A complete answer:
// ClassifyAnswered.
DeliveryResult Classify(const HttpResponse& response, bool deduplicates, const Reading& reading);
// A complete answer (kAnswered) as `reading` says, with the answer's HTTP status.
DeliveryResult ClassifyAnswered(const HttpResponse& response, const Reading& reading);

// A JSON POST with the channel's timeout.
HttpRequest JsonPost(std::string url, std::string body, std::chrono::milliseconds timeout);

}  // namespace lifeline::channels::adapter
