// The Discord webhook adapter: executes the webhook with wait=true so that Discord answers with
// the created message (its id); content up to 2,000 characters, mentions never pinged.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "channels/channel.h"
#include "channels/http.h"
#include "channels/registry.h"

namespace lifeline::channels::discord {

// type: discord; Apprise scheme discord://WebhookID/WebhookToken.
extern const Kind kKind;

struct Config {
  std::string webhook;   // https://discord.com/api/webhooks/ID/TOKEN (secret), without wait=
  std::string username;  // overrides the webhook's name; empty: the webhook's own
};

inline constexpr std::size_t kMaxChars = 2000;  // a message's `content`

// Discord markdown escaped (so "*", "_", "~", "`", "|", links and line-start "#", "-", ">" show as
// written); the subject becomes a bold first line.
std::string Render(const OutgoingMessage& message);

HttpRequest BuildRequest(const Config& config, const OutgoingMessage& message,
                         std::chrono::milliseconds timeout);
DeliveryResult Classify(const HttpResponse& response);

std::unique_ptr<Channel> Make(std::string name, Config config, HttpClient* http,
                              std::chrono::milliseconds timeout);

}  // namespace lifeline::channels::discord
