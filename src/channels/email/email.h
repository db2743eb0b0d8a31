// The e-mail channel: SMTP submission (STARTTLS, implicit TLS, or plain to a trusted relay) of a
// plain-text message, or text plus HTML as multipart/alternative. Config from YAML (`type: email`)
// or an Apprise-style mailto:// / mailtos:// URL.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "channels/channel.h"
#include "channels/email/mime.h"
#include "channels/email/smtp.h"
#include "channels/registry.h"

namespace lifeline::channels::email {

struct EmailConfig {
  SmtpServer server;
  Mailbox from;
  std::vector<Mailbox> to;        // default recipients; a message's `to` replaces them
  std::vector<Mailbox> reply_to;  // optional
  std::string platform;           // Info::platform ("" unless the config says)
};

// YAML keys: host, port, security (starttls | tls | none), username, password (a secret), from,
// from_name, to, reply_to, ca_file. Errors are FILE:LINE: channels.NAME.KEY: what.
core::Result<EmailConfig> ConfigFromYaml(const BuildContext& ctx,
                                         const config::yaml::Fields& fields);

// mailto://[user[:password]@]domain[:port][/to...]?smtp=HOST&from=ADDR&name=NAME&to=ADDR,...
// &mode=starttls|ssl|insecure&reply=ADDR — Apprise's e-mail URL. mailto:// is plain SMTP unless
// mode says otherwise, mailtos:// STARTTLS; a few well-known providers (gmail.com, outlook.com,
// yahoo.com, ...) get their submission server and TLS mode when smtp= is not given.
core::Result<EmailConfig> ConfigFromUrl(const BuildContext& ctx, const AppriseUrl& url);

// Sends one message; SendSmtp by default, a canned transcript in tests.
using SmtpSender = std::function<SmtpTranscript(const SmtpServer&, const std::string& from,
                                                const std::vector<std::string>& recipients,
                                                const std::string& message)>;

class EmailChannel : public Channel {
 public:
  EmailChannel(std::string name, EmailConfig config, SmtpSender sender = SendSmtp);

  const Info& info() const override { return info_; }
  const EmailConfig& config() const { return config_; }
  core::Status Check(const OutgoingMessage& message) const override;
  DeliveryResult Send(const OutgoingMessage& message) override;

  // The message as it would go out at `date` (tests, `--dry-run`).
  core::Result<std::string> Render(const OutgoingMessage& message,
                                   std::chrono::system_clock::time_point date,
                                   std::string* message_id = nullptr) const;

 private:
  core::Result<std::vector<Mailbox>> Recipients(const OutgoingMessage& message) const;

  Info info_;
  EmailConfig config_;  // immutable after construction: Send may run on several threads
  SmtpSender sender_;
};

// type "email", schemes mailto and mailtos.
extern const Kind kKind;

}  // namespace lifeline::channels::email
