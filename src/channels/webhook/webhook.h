// The generic signed webhook: POSTs a JSON message to the operator's receiver, signed with
// HMAC-SHA256 over "timestamp.body" and carrying an Idempotency-Key the receiver deduplicates by.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "channels/channel.h"
#include "channels/http.h"
#include "channels/registry.h"

namespace lifeline::channels::webhook {

// type: webhook; Apprise schemes json:// (http) and jsons:// (https).
extern const Kind kKind;

struct Config {
  std::string endpoint;    // the receiver's URL (may hold a token: never shown)
  std::string secret;      // the HMAC key (secret)
  std::string basic_auth;  // "user:password" from a json://user:password@host URL
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers (values may be secret)
  std::string to;  // default recipient label, may be empty
};

// "sha256=" + lowercase hex of HMAC-SHA256(secret, timestamp + "." + body): the value of
// X-Lifeline-Signature.
std::string Sign(std::string_view secret, std::string_view timestamp, std::string_view body);

// The JSON body: {id, idempotency_key, channel, to, subject, text, sent_at, attempt}.
std::string Body(std::string_view channel, const OutgoingMessage& message,
                 std::chrono::system_clock::time_point now);

HttpRequest BuildRequest(const Config& config, std::string_view channel,
                         const OutgoingMessage& message, std::chrono::system_clock::time_point now,
                         std::chrono::milliseconds timeout);
DeliveryResult Classify(const HttpResponse& response);

std::unique_ptr<Channel> Make(std::string name, Config config, HttpClient* http,
                              std::chrono::milliseconds timeout);

}  // namespace lifeline::channels::webhook
