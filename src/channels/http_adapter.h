// Shared pieces of the HTTP-API adapters (telegram, whatsapp, messenger, twilio, slack, discord,
// teams, webhook): config checks with file:line:key errors, text length counting, JSON without
// exceptions, and the classification every adapter starts from (transport failures, HTTP status).
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "channels/channel.h"
#include "channels/http.h"
#include "channels/registry.h"
#include "config/yaml_read.h"
#include "core/result.h"

namespace lifeline::channels::adapter {

// --- config -------------------------------------------------------------------------------------

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

// Apprise-style URLs: a yes/no query value ("yes", "no", "true", "false", "1", "0").
core::Result<std::optional<bool>> QueryBool(const AppriseUrl& url, std::string_view key);
std::string QueryValue(const AppriseUrl& url, std::string_view key);  // "" when absent
// Query keys outside `allowed` are errors (a typo would otherwise be ignored silently).
core::Status CheckQueryKeys(const AppriseUrl& url, const config::yaml::Keys& allowed);

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

bool IsValidUtf8(std::string_view s);
std::size_t CodePoints(std::string_view utf8);
std::size_t Utf16Units(std::string_view utf8);  // characters as JavaScript and Telegram count them
// "12,345"
std::string Thousands(std::size_t n);

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

// Classification by HTTP status alone, for answers an adapter does not recognise: 2xx delivered;
// 408, 425, 429 and 5xx retry (honouring Retry-After; 429 is rate_limited); 401/403 failed (the
// credentials were refused); other 4xx failed. `detail` (the far side's words, may be empty) is
// appended to the reason.
DeliveryResult ByStatus(const HttpResponse& response, std::string_view detail);

// A JSON POST with the channel's timeout.
HttpRequest JsonPost(std::string url, std::string body, std::chrono::milliseconds timeout);

}  // namespace lifeline::channels::adapter
