// tests/fakes/chat_apis.py (the emulated Telegram, WhatsApp, Messenger/Instagram, Twilio, Slack,
// Discord, Teams and webhook-sink APIs) for a test: started with PythonFake, plus its control
// endpoint (make a platform fail) and its record of what it received.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "integration/support/python_fake.h"

namespace lifeline::testing {

class ChatFakes {
 public:
  // Credentials the fake accepts (tests/fakes/README.md).
  static constexpr const char* kTelegramToken = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";
  static constexpr const char* kWhatsAppToken = "EAAG-lifeline-test-token";
  static constexpr const char* kPageToken = "EAAP-lifeline-test-page-token";
  static constexpr const char* kTwilioSid = "AC0123456789abcdef0123456789abcdef";
  static constexpr const char* kTwilioToken = "lifeline-test-auth-token";
  static constexpr const char* kSlackSecret = "lifelineSlackSecret0000";
  static constexpr const char* kDiscordToken =
      "lifeline-discord-token-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH";
  static constexpr const char* kTeamsSig = "lifeline-teams-sig";
  static constexpr const char* kWebhookSecret = "lifeline-webhook-secret";

  bool Start(std::string* error) { return fake_.Start("chat_apis.py", {}, error); }
  void Stop() { fake_.Stop(); }

  std::uint16_t port() const { return fake_.port(); }
  // "http://127.0.0.1:PORT" + path.
  std::string Url(const std::string& path = "") const;

  // POST /_control with `body`; false when the fake did not answer 200.
  bool Control(const nlohmann::json& body);
  bool Reset() { return Control({{"reset", true}}); }
  // GET /_received[?platform=P]: what the fake was sent, oldest first.
  nlohmann::json Received(const std::string& platform = "");
  std::string log() const { return fake_.log(); }

 private:
  PythonFake fake_;
};

}  // namespace lifeline::testing
