// The inbox's config section, `inbox:`, read and checked at start-up with FILE:LINE: KEY errors:
// the sources that deliver customer messages (WhatsApp, Messenger, Instagram, Telegram, a
// generic signed webhook), each with its secrets and the relay channel its conversations reply
// through, and the failover message. docs/inbox.md describes every key.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/result.h"
#include "playbook/plan.h"

namespace lifeline::inbox {

enum class SourceKind { kWhatsApp, kMessenger, kInstagram, kTelegram, kWebhook, kImap };
std::string_view SourceKindName(SourceKind k);  // "whatsapp", "messenger", ...

// What a reply outside WhatsApp's 24-hour customer-service window does.
enum class OutsideWindow {
  kRefuse,    // refused, naming the window and the template to use
  kTemplate,  // handed to the relay: the WhatsApp channel sends its configured template
};

struct Source {
  std::string name;  // inbox.sources.NAME: the webhook's path /v1/inbox/webhooks/NAME
  SourceKind kind = SourceKind::kWebhook;
  std::string channel;  // the relay channel replies go through (and the conversations are on)
  // WhatsApp, Messenger, Instagram: the app secret (signatures) and the verify token (the GET
  // verification), and the business account the webhook must name: the phone_number_id, the
  // page id or the Instagram account id. Another id is refused.
  std::string app_secret;
  std::string verify_token;
  std::string account;
  OutsideWindow outside_window = OutsideWindow::kRefuse;  // WhatsApp only
  // Telegram: `webhook` (secret_token checked against X-Telegram-Bot-Api-Secret-Token) or `poll`
  // (getUpdates with the bot token, for a team without a public address).
  bool poll = false;
  std::string secret_token;
  std::string bot_token;
  std::string api_base = "https://api.telegram.org";
  // getUpdates' long-poll timeout: how long one request waits for updates, and so how long
  // stopping may wait for the request in flight.
  std::chrono::milliseconds poll_timeout{10000};
  // The generic webhook's HMAC key.
  std::string key;
  // Messenger and Instagram: a Page access token for the catch-up after an outage (the
  // Conversations API); "" = the catch-up cannot look. api_base is then the Graph API's base.
  std::string page_token;
  // IMAP (imap.h): the mailbox's URL (imaps://HOST[:PORT]/MAILBOX; imap:// only to this machine),
  // the login, how often it is polled, and a CA file for a private CA ("" = the system's).
  std::string imap_url;
  std::string username;
  std::string password;
  std::chrono::milliseconds interval{30000};
  std::string ca_file;
  int line = 0;
};

struct InboxConfig {
  bool configured = false;
  std::vector<Source> sources;  // config order
  // The failover message; {platform}, {from}, {to}, {link} and {token} are filled in.
  std::string move_text = "{platform} is down; we continue here on {to}. {link}(reference {token})";
  // Once the platform is back, to the customers a move_conversations step with on_restoration
  // moved: `back` (the conversation returns there) and `stay` (it stays on the backup). {platform},
  // {to} and {link} (the failed channel's link) are filled in.
  std::string back_text = "{platform} works again: we continue there. {link}";
  std::string stay_text =
      "{platform} works again. We continue here on {to}; you can also write to us on {platform} "
      "again.";
  // When people answer (the plan's working-hours reader: zone, days, from, to or windows). A
  // customer message written outside them gets `away_text` once per conversation and closed
  // period ({opens}: when they open again, "Monday 09:00 (Europe/Madrid)"). Unset: always open.
  std::optional<playbook::WorkingHours> business_hours;
  std::string away_text = "Thank you for your message. We are away now and answer from {opens}.";
  // The sweep lists the messages that arrived during the incident and this long after it.
  std::chrono::milliseconds sweep_after = std::chrono::hours(1);
  std::size_t max_body_bytes = 64 * 1024;  // a bigger webhook body is refused with 413
  std::string file;

  const Source* Find(std::string_view name) const;
};

struct LoadOptions {
  std::vector<std::string> channels;  // the relay's channel names: sources' channels among them
};

// Reads `inbox:` from `config` (an empty InboxConfig without one). kInvalidArgument
// "FILE:LINE: inbox.KEY: what (what would be valid)" for the first mistake. Secrets never appear
// in messages.
core::Result<InboxConfig> LoadInboxConfig(const config::Config& config, const LoadOptions& options);

}  // namespace lifeline::inbox
