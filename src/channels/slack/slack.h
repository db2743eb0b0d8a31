// The Slack incoming-webhook adapter: POSTs {"text": ...} (mrkdwn, escaped) to the webhook URL;
// Slack answers "ok" or an error word, 429 with Retry-After at about one message per second.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "channels/channel.h"
#include "channels/http.h"
#include "channels/registry.h"

namespace lifeline::channels::slack {

// type: slack; Apprise scheme slack://TokenA/TokenB/TokenC[/#channel].
extern const Kind kKind;

struct Config {
  std::string webhook;   // https://hooks.slack.com/services/T.../B.../... (secret)
  std::string channel;   // "#general": only legacy webhooks honour it; empty: the webhook's own
  std::string username;  // likewise; empty: the app's name
};

// Slack truncates a message's text past 40,000 characters.
inline constexpr std::size_t kMaxChars = 40000;

// Slack's mrkdwn needs &, < and > escaped; the subject becomes a bold first line.
std::string Render(const OutgoingMessage& message);

HttpRequest BuildRequest(const Config& config, const OutgoingMessage& message,
                         std::chrono::milliseconds timeout);
DeliveryResult Classify(const HttpResponse& response);

std::unique_ptr<Channel> Make(std::string name, Config config, HttpClient* http,
                              std::chrono::milliseconds timeout);

}  // namespace lifeline::channels::slack
