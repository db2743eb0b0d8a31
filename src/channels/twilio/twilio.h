// SMS through Twilio's Programmable Messaging REST API: one Messages.json POST per message, with
// the segment count (GSM-7 or UCS-2) checked against the channel's budget and Twilio's 1,600-
// character limit.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "channels/channel.h"
#include "channels/http.h"
#include "channels/registry.h"

namespace lifeline::channels::twilio {

// type: twilio; Apprise scheme twilio://ACCOUNT_SID:AUTH_TOKEN@FROM_PHONE/TO_PHONE.
extern const Kind kKind;

struct Config {
  std::string account_sid;            // "AC" + 32 hex digits (not secret: it names the account)
  std::string auth_token;             // secret
  std::string from;                   // E.164 number, short code or alphanumeric sender id
  std::string messaging_service_sid;  // "MG...": instead of `from`
  std::string to;                     // default recipient, E.164; may be empty
  int max_segments = 10;              // a cost guard: longer messages are refused by Check
  std::string api_base = "https://api.twilio.com";
};

inline constexpr std::size_t kMaxChars = 1600;  // Twilio's limit on Body

struct Segments {
  bool gsm7 = true;       // false: UCS-2 (some character is outside the GSM 03.38 alphabet)
  std::size_t units = 0;  // septets (GSM-7, extension characters count two) or UTF-16 units
  std::size_t count = 0;  // SMS parts: 160/153 septets or 70/67 UTF-16 units each
};

// How the carrier network will split `text`.
Segments CountSegments(std::string_view text);

// The SMS body: "subject: text" (SMS has no subject line of its own).
std::string Render(const OutgoingMessage& message);

HttpRequest BuildRequest(const Config& config, const std::string& to,
                         const OutgoingMessage& message, std::chrono::milliseconds timeout);
DeliveryResult Classify(const HttpResponse& response);

std::unique_ptr<Channel> Make(std::string name, Config config, HttpClient* http,
                              std::chrono::milliseconds timeout);

}  // namespace lifeline::channels::twilio
