// The WhatsApp Business Cloud API adapter: text messages inside the 24-hour customer-service
// window and, when WhatsApp answers 131047 (window closed), the configured template message with
// the text as its body parameter. Throughput (130429), pair-rate (131056) and 80007 mean "later".
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "channels/channel.h"
#include "channels/http.h"
#include "channels/registry.h"

namespace lifeline::channels::whatsapp {

// type: whatsapp; Apprise scheme whatsapp://[TEMPLATE:]TOKEN@PHONE_NUMBER_ID/TO_PHONE.
extern const Kind kKind;

struct Config {
  std::string token;            // a system-user access token (secret)
  std::string phone_number_id;  // the sending number's id in the Cloud API (digits)
  std::string to;               // default recipient, E.164 ("+15551234567"); may be empty
  std::string template_name;    // sent outside the 24-hour window; empty: none configured
  std::string template_language = "en_US";
  std::string api_version = "v21.0";
  std::string api_base = "https://graph.facebook.com";
};

inline constexpr std::size_t kMaxChars = 4096;  // a text message's body
// A template's text parameter: WhatsApp refuses newlines, tabs and runs of more than four spaces
// there, and long values; the text is flattened and cut to this many characters.
inline constexpr std::size_t kMaxParameterChars = 1024;

// The text body: the subject (bold, WhatsApp's *...*) on its own line, then the text.
std::string Render(const OutgoingMessage& message);
// The text as one template parameter: line breaks and tabs become " | " / spaces, space runs
// collapse, and it is cut to kMaxParameterChars (with "...").
std::string TemplateParameter(const OutgoingMessage& message);

HttpRequest BuildTextRequest(const Config& config, const std::string& to,
                             const OutgoingMessage& message, std::chrono::milliseconds timeout);
HttpRequest BuildTemplateRequest(const Config& config, const std::string& to,
                                 const OutgoingMessage& message, std::chrono::milliseconds timeout);
// One answer of the messages endpoint. A 131047 answer is kFailed with far_code "131047": Send
// then tries the template.
DeliveryResult Classify(const HttpResponse& response);

std::unique_ptr<Channel> Make(std::string name, Config config, HttpClient* http,
                              std::chrono::milliseconds timeout);

}  // namespace lifeline::channels::whatsapp
