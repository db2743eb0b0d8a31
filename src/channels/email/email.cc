// The e-mail channel: config (YAML and mailto:// URLs), checks, and delivery (email.h).
#include "channels/email/email.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>

#include <fmt/core.h>

#include "channels/http_adapter.h"

namespace lifeline::channels::email {

namespace yaml = config::yaml;
using adapter::FailAt;
using adapter::FailChannel;
using adapter::FailUrl;
using core::Error;
using core::ErrorCode;
using core::Result;
using core::Status;

namespace {

// Generous: submission servers commonly take 10 to 35 MB; alerts are a few kilobytes.
constexpr std::size_t kMaxMessageBytes = 5 << 20;

bool IsLoopbackHost(std::string_view host) {
  return host == "localhost" || host == "::1" || host.starts_with("127.");
}

int DefaultPort(Security s) {
  switch (s) {
    case Security::kStartTls:
      return 587;
    case Security::kTls:
      return 465;
    case Security::kNone:
      return 25;
  }
  return 587;
}

std::string SecurityName(Security s) {
  switch (s) {
    case Security::kStartTls:
      return "starttls";
    case Security::kTls:
      return "tls";
    case Security::kNone:
      return "none";
  }
  return "?";
}

Status CheckHost(std::string_view host) {
  if (host.empty()) return Error(ErrorCode::kInvalidArgument, "empty server name");
  // One ':' is a port written into the host; an IPv6 address has several.
  bool port_in_host = std::count(host.begin(), host.end(), ':') == 1;
  for (char c : host) {
    if (std::isspace(static_cast<unsigned char>(c)) || c == '/' || c == '@' || port_in_host) {
      return Error(ErrorCode::kInvalidArgument,
                   fmt::format("'{}' is not a server name (give the host only, e.g. "
                               "smtp.example.com; the port goes in 'port')",
                               host));
    }
  }
  return core::Ok();
}

// The rules every config must pass, whichever form it came in. `fail` places the message.
template <typename Fail>
Status Validate(const EmailConfig& c, Fail fail) {
  if (c.server.username.empty() != c.server.password.empty()) {
    return fail(c.server.username.empty() ? "a password needs a username"
                                          : "a username needs a password");
  }
  // A password in clear text over a network is how accounts get stolen; a local relay is fine.
  if (c.server.security == Security::kNone && !c.server.username.empty() &&
      !IsLoopbackHost(c.server.host)) {
    return fail(
        fmt::format("security 'none' would send the password in clear text to {}; use "
                    "starttls (port 587) or tls (port 465)",
                    c.server.host));
  }
  if (!c.server.ca_file.empty() && access(c.server.ca_file.c_str(), R_OK) != 0) {
    return fail(fmt::format("cannot read CA file '{}'", c.server.ca_file));
  }
  return core::Ok();
}

Result<Security> ParseSecurity(std::string_view v) {
  std::string s(v);
  for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (s == "starttls") return Security::kStartTls;
  if (s == "tls" || s == "ssl" || s == "smtps") return Security::kTls;
  if (s == "none" || s == "insecure" || s == "plain") return Security::kNone;
  return Error(ErrorCode::kInvalidArgument,
               fmt::format("'{}' is not a security mode (starttls, tls or none)", v));
}

std::string DomainOf(std::string_view address) {
  auto at = address.rfind('@');
  return at == std::string_view::npos ? std::string() : std::string(address.substr(at + 1));
}

// Apprise's built-in providers that Lifeline users are most likely to paste: their submission
// servers, so that mailto://user:app-password@gmail.com works as it does in Apprise.
struct Provider {
  std::string_view domain;
  std::string_view smtp;
  Security security;
};
constexpr Provider kProviders[] = {
    {"gmail.com", "smtp.gmail.com", Security::kStartTls},
    {"googlemail.com", "smtp.gmail.com", Security::kStartTls},
    {"outlook.com", "smtp-mail.outlook.com", Security::kStartTls},
    {"hotmail.com", "smtp-mail.outlook.com", Security::kStartTls},
    {"live.com", "smtp-mail.outlook.com", Security::kStartTls},
    {"yahoo.com", "smtp.mail.yahoo.com", Security::kTls},
    {"fastmail.com", "smtp.fastmail.com", Security::kTls},
};

}  // namespace

Result<EmailConfig> ConfigFromYaml(const BuildContext& ctx, const yaml::Fields& fields) {
  LL_TRY(adapter::CheckKeys(ctx, fields,
                            {"host", "port", "security", "username", "password", "from",
                             "from_name", "to", "reply_to", "ca_file"}));
  EmailConfig c;
  c.platform = ctx.platform;
  c.server.timeout = ctx.timeout;
  LL_ASSIGN(c.server.host,
            adapter::RequiredString(ctx, fields, "host", "the SMTP server, e.g. smtp.example.com"));
  if (auto s = CheckHost(c.server.host); !s.ok()) {
    return FailAt(ctx, *fields.Find("host"), s.error().message());
  }
  if (const yaml::Field* f = fields.Find("security")) {
    LL_ASSIGN(std::string s,
              yaml::GetNonEmpty(ctx.doc, f->value, f->where, "starttls, tls or none"));
    auto sec = ParseSecurity(s);
    if (!sec.ok()) return FailAt(ctx, *f, sec.error().message());
    c.server.security = *sec;
  }
  c.server.port = DefaultPort(c.server.security);
  if (const yaml::Field* f = fields.Find("port")) {
    LL_ASSIGN(long long port, yaml::GetInt(ctx.doc, f->value, f->where, 1, 65535));
    c.server.port = static_cast<int>(port);
  }
  LL_ASSIGN(c.server.username,
            adapter::OptionalString(ctx, fields, "username", "the SMTP login name"));
  if (const yaml::Field* f = fields.Find("password")) {
    LL_ASSIGN(c.server.password, yaml::GetSecret(ctx.doc, f->value, f->where, false));
  }
  if (const yaml::Field* f = fields.Find("ca_file")) {
    LL_ASSIGN(std::string path,
              yaml::GetNonEmpty(ctx.doc, f->value, f->where, "a PEM file of trusted CAs"));
    c.server.ca_file = yaml::ResolvePath(ctx.doc, path);
    if (access(c.server.ca_file.c_str(), R_OK) != 0) {
      return FailAt(ctx, *f, fmt::format("cannot read CA file '{}'", c.server.ca_file));
    }
  }

  const yaml::Field* from = fields.Find("from");
  if (from == nullptr) {
    return FailChannel(ctx, "missing 'from' (the sender address, e.g. alerts@example.com)");
  }
  LL_ASSIGN(std::string from_text,
            yaml::GetNonEmpty(ctx.doc, from->value, from->where, "an e-mail address"));
  auto from_list = ParseMailboxList(from_text);
  if (!from_list.ok()) return FailAt(ctx, *from, from_list.error().message());
  if (from_list->size() != 1) return FailAt(ctx, *from, "give one sender address");
  c.from = from_list->front();
  LL_ASSIGN(std::string from_name,
            adapter::OptionalString(ctx, fields, "from_name", "the sender's display name"));
  if (!from_name.empty()) c.from.name = from_name;

  auto mailboxes = [&](std::string_view key, std::vector<Mailbox>* out) -> Status {
    const yaml::Field* f = fields.Find(key);
    if (f == nullptr) return core::Ok();
    LL_ASSIGN(std::vector<std::string> items,
              yaml::GetStringList(ctx.doc, f->value, f->where, "an e-mail address",
                                  [&](const std::string& s, const yaml::Where& w) -> Status {
                                    auto list = ParseMailboxList(s);
                                    if (!list.ok()) {
                                      return yaml::Fail(ctx.doc, w, list.error().message());
                                    }
                                    out->insert(out->end(), list->begin(), list->end());
                                    return core::Ok();
                                  }));
    (void)items;
    return core::Ok();
  };
  LL_TRY(mailboxes("to", &c.to));
  LL_TRY(mailboxes("reply_to", &c.reply_to));

  LL_TRY(Validate(c, [&](std::string_view what) -> Error {
    const yaml::Field* at = fields.Find("security");
    if (at == nullptr) at = fields.Find("password");
    return at != nullptr ? FailAt(ctx, *at, what) : FailChannel(ctx, what);
  }));
  return c;
}

Result<EmailConfig> ConfigFromUrl(const BuildContext& ctx, const AppriseUrl& url) {
  LL_TRY(adapter::CheckUrlQuery(
      ctx, url, {"smtp", "from", "name", "to", "mode", "reply", "cc", "bcc", "user", "pass"}));
  if (!adapter::QueryValue(url, "cc").empty() || !adapter::QueryValue(url, "bcc").empty()) {
    return FailUrl(ctx, "cc= and bcc= are not supported: list every recipient in to=");
  }
  EmailConfig c;
  c.platform = ctx.platform;
  c.server.timeout = ctx.timeout;
  if (url.host.empty()) return FailUrl(ctx, "no domain after '@' (mailto://user:pass@domain)");
  std::string smtp = adapter::QueryValue(url, "smtp");
  c.server.security = url.scheme == "mailtos" ? Security::kStartTls : Security::kNone;
  if (smtp.empty()) {
    smtp = url.host;
    std::string domain = url.host;
    for (char& ch : domain) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    for (const Provider& p : kProviders) {
      if (domain == p.domain) {
        smtp = std::string(p.smtp);
        // Apprise: secure connections are implied for its built-in providers.
        c.server.security = p.security;
      }
    }
  }
  if (std::string mode = adapter::QueryValue(url, "mode"); !mode.empty()) {
    auto sec = ParseSecurity(mode);
    if (!sec.ok()) return FailUrl(ctx, "mode=" + sec.error().message());
    c.server.security = *sec;
  }
  if (auto s = CheckHost(smtp); !s.ok()) return FailUrl(ctx, s.error().message());
  c.server.host = smtp;
  c.server.port = url.port != 0 ? url.port : DefaultPort(c.server.security);
  c.server.username = url.user;
  c.server.password = url.password;
  if (std::string u = adapter::QueryValue(url, "user"); !u.empty()) c.server.username = u;
  if (std::string p = adapter::QueryValue(url, "pass"); !p.empty()) c.server.password = p;

  // The sender: from=, else the login when it is an address, else user@domain (as Apprise does).
  std::string from = adapter::QueryValue(url, "from");
  if (from.empty()) {
    if (url.user.find('@') != std::string::npos) {
      from = url.user;
    } else if (!url.user.empty()) {
      from = url.user + "@" + url.host;
    } else {
      return FailUrl(ctx, "no sender: give from=ADDRESS or a user (mailto://user@domain)");
    }
  }
  auto from_list = ParseMailboxList(from);
  if (!from_list.ok()) return FailUrl(ctx, "from: " + from_list.error().message());
  c.from = from_list->front();
  if (std::string name = adapter::QueryValue(url, "name"); !name.empty()) c.from.name = name;

  std::vector<std::string> targets = url.path;
  for (auto [it, end] = url.query.equal_range("to"); it != end; ++it) targets.push_back(it->second);
  for (const std::string& t : targets) {
    auto list = ParseMailboxList(t);
    if (!list.ok()) return FailUrl(ctx, "to: " + list.error().message());
    c.to.insert(c.to.end(), list->begin(), list->end());
  }
  // Apprise mails the sender when no recipient is given.
  if (c.to.empty()) c.to.push_back(Mailbox{"", c.from.address});
  for (auto [it, end] = url.query.equal_range("reply"); it != end; ++it) {
    auto list = ParseMailboxList(it->second);
    if (!list.ok()) return FailUrl(ctx, "reply: " + list.error().message());
    c.reply_to.insert(c.reply_to.end(), list->begin(), list->end());
  }
  LL_TRY(Validate(c, [&](std::string_view what) -> Error {
    std::string hint = url.scheme == "mailto" && c.server.security == Security::kNone
                           ? " (mailtos:// uses STARTTLS; or add mode=ssl)"
                           : "";
    return FailUrl(ctx, std::string(what) + hint);
  }));
  return c;
}

EmailChannel::EmailChannel(std::string name, EmailConfig config, SmtpSender sender)
    : config_(std::move(config)), sender_(std::move(sender)) {
  std::string to;
  for (const Mailbox& m : config_.to) {
    if (!to.empty()) to += ", ";
    to += m.address;
  }
  // E-mail has no practical text limit (kMaxMessageBytes guards). SMTP documents no rate;
  // providers cap per day (Gmail: 2,000 for Workspace). A steady one a second with bursts of 10
  // stays far from every published submission limit. SMTP has no idempotency key (see
  // MakeMessageId, though).
  info_ = adapter::MakeInfo(std::move(name), "email", config_.platform, to,
                            {.max_chars = 0,
                             .rate_per_second = 1.0,
                             .burst = 10.0,
                             .deduplicates = false,
                             .public_post = false,
                             .needs_recipient = config_.to.empty()});
}

Result<std::vector<Mailbox>> EmailChannel::Recipients(const OutgoingMessage& message) const {
  if (!message.to.empty()) {
    auto list = ParseMailboxList(message.to);
    if (!list.ok()) {
      return Error(ErrorCode::kInvalidArgument,
                   fmt::format("{}: {}", info_.name, list.error().message()));
    }
    return list;
  }
  if (config_.to.empty()) {
    return Error(ErrorCode::kInvalidArgument,
                 fmt::format("{}: no recipient (give the message a 'to', or the channel 'to:')",
                             info_.name));
  }
  return config_.to;
}

Status EmailChannel::Check(const OutgoingMessage& message) const {
  if (message.text.empty()) {
    return Error(ErrorCode::kInvalidArgument,
                 fmt::format("{}: the message has no text", info_.name));
  }
  if (auto r = Recipients(message); !r.ok()) return r.error();
  std::size_t size = message.text.size() + message.html.size() + message.subject.size();
  if (size > kMaxMessageBytes) {
    return Error(
        ErrorCode::kInvalidArgument,
        fmt::format("{}: {} bytes; this channel sends at most {} bytes per message", info_.name,
                    adapter::Thousands(size), adapter::Thousands(kMaxMessageBytes)));
  }
  return core::Ok();
}

Result<std::string> EmailChannel::Render(const OutgoingMessage& message,
                                         std::chrono::system_clock::time_point date,
                                         std::string* message_id) const {
  LL_TRY(Check(message));
  LL_ASSIGN(std::vector<Mailbox> to, Recipients(message));
  MessageParts parts;
  parts.from = config_.from;
  parts.to = std::move(to);
  parts.reply_to = config_.reply_to;
  parts.subject = message.subject.empty() ? SubjectFromText(message.text) : message.subject;
  parts.text = message.text;
  parts.html = message.html;
  // The same key on every attempt: the same Message-ID on every attempt (MakeMessageId).
  parts.message_id =
      MakeMessageId(message.idempotency_key.empty() ? message.id : message.idempotency_key,
                    DomainOf(config_.from.address));
  parts.date = date;
  parts.outbox_id = message.id;
  if (message_id != nullptr) *message_id = parts.message_id;
  return BuildMessage(parts);
}

DeliveryResult EmailChannel::Send(const OutgoingMessage& message) {
  std::string message_id;
  auto data = Render(message, std::chrono::system_clock::now(), &message_id);
  if (!data.ok()) return adapter::Refused(data.error());
  auto mailboxes = Recipients(message);  // Render checked them; keep the Result alive
  std::vector<std::string> recipients;
  for (const Mailbox& m : *mailboxes) recipients.push_back(m.address);
  SmtpTranscript t = sender_(config_.server, config_.from.address, recipients, *data);
  std::string server = fmt::format("{}:{} ({})", config_.server.host, config_.server.port,
                                   SecurityName(config_.server.security));
  return ClassifySmtp(t, message_id, server);
}

namespace {

Result<std::unique_ptr<Channel>> FromYaml(const BuildContext& ctx, const yaml::Fields& fields) {
  LL_ASSIGN(EmailConfig c, ConfigFromYaml(ctx, fields));
  return std::unique_ptr<Channel>(std::make_unique<EmailChannel>(ctx.name, std::move(c)));
}

Result<std::unique_ptr<Channel>> FromUrl(const BuildContext& ctx, const AppriseUrl& url) {
  LL_ASSIGN(EmailConfig c, ConfigFromUrl(ctx, url));
  return std::unique_ptr<Channel>(std::make_unique<EmailChannel>(ctx.name, std::move(c)));
}

}  // namespace

const Kind kKind = {"email", {"mailto", "mailtos"}, "", FromYaml, FromUrl};

}  // namespace lifeline::channels::email
