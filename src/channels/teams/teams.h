// The Microsoft Teams adapter, through a Workflows (Power Automate) webhook: POSTs an Adaptive Card
// message, which the "post to a channel when a webhook request is received" flow shows in Teams.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "channels/channel.h"
#include "channels/http.h"
#include "channels/registry.h"

namespace lifeline::channels::teams {

// type: teams; Apprise scheme workflows://HOST[:PORT]/WORKFLOW/SIGNATURE. msteams:// (the Office
// 365 connectors Microsoft retired) is recognised to say so.
extern const Kind kKind;

struct Config {
  std::string webhook;  // the Workflows URL with its sig= (secret)
};

// Teams refuses messages over 28 KB: the whole request body is measured.
inline constexpr std::size_t kMaxPayloadBytes = 28 * 1024;

// The request body: {"type": "message", "attachments": [{Adaptive Card}]}.
std::string Payload(const OutgoingMessage& message);

// The Workflows URL for workflows://HOST:PORT/WORKFLOW/SIGNATURE, as Apprise builds it.
std::string WorkflowUrl(std::string_view host, int port, std::string_view workflow,
                        std::string_view signature, std::string_view api_version);

HttpRequest BuildRequest(const Config& config, const OutgoingMessage& message,
                         std::chrono::milliseconds timeout);
DeliveryResult Classify(const HttpResponse& response);

std::unique_ptr<Channel> Make(std::string name, Config config, HttpClient* http,
                              std::chrono::milliseconds timeout);

}  // namespace lifeline::channels::teams
