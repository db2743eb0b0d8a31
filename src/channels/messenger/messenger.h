// Messenger Send API and Instagram messaging (the Messenger Platform's Send API for Instagram
// professional accounts): a text to a page- or Instagram-scoped id, inside the 24-hour window,
// or tagged (HUMAN_AGENT...) when Meta answers that the window has closed and a tag is configured.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "channels/channel.h"
#include "channels/http.h"
#include "channels/registry.h"

namespace lifeline::channels::messenger {

// type: messenger; scheme messenger://PAGE_TOKEN@PAGE_ID/PSID (Lifeline's own: Apprise has none).
extern const Kind kKind;
// type: instagram; scheme instagram://PAGE_TOKEN@IG_ACCOUNT_ID/IGSID.
extern const Kind kInstagramKind;

enum class Product { kMessenger, kInstagram };

struct Config {
  Product product = Product::kMessenger;
  std::string token;             // the page access token (secret)
  std::string sender_id = "me";  // the page id (or Instagram account id); "me": the token's own
  std::string to;                // default recipient: a PSID / IGSID (digits); may be empty
  // RESPONSE, UPDATE or MESSAGE_TAG (with `tag`).
  std::string messaging_type = "RESPONSE";
  std::string tag;                 // with MESSAGE_TAG
  std::string outside_window_tag;  // resend with this tag when the 24-hour window has closed
  std::string api_version = "v21.0";
  std::string api_base = "https://graph.facebook.com";
};

// Messenger: 2,000 characters. Instagram: 1,000 bytes of UTF-8.
inline constexpr std::size_t kMessengerMaxChars = 2000;
inline constexpr std::size_t kInstagramMaxBytes = 1000;

std::string Render(const OutgoingMessage& message);

// `tag` empty: the configured messaging_type (and tag).
HttpRequest BuildRequest(const Config& config, const std::string& to,
                         const OutgoingMessage& message, std::string_view tag,
                         std::chrono::milliseconds timeout);
// One Send API answer. The window-closed answer is kFailed with far_code "10/2018278" (Messenger)
// or "10/2534022" (Instagram).
DeliveryResult Classify(const HttpResponse& response);
bool IsWindowClosed(const DeliveryResult& result);

std::unique_ptr<Channel> Make(std::string name, Config config, HttpClient* http,
                              std::chrono::milliseconds timeout);

}  // namespace lifeline::channels::messenger
