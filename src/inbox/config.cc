// Reading `inbox:` (config.h) with FILE:LINE: KEY errors.
#include "inbox/config.h"

#include <algorithm>

#include <fmt/format.h>

#include "config/values.h"
#include "config/yaml_read.h"

namespace lifeline::inbox {
namespace {

namespace yaml = config::yaml;
using core::Result;
using core::Status;
using yaml::Doc;
using yaml::Fail;
using yaml::Field;
using yaml::Fields;

const yaml::Keys kTopKeys = {"sources",     "move_text",      "back_text", "stay_text",
                             "sweep_after", "business_hours", "away_text", "max_body"};
const std::vector<std::string> kKinds = {"whatsapp", "messenger", "instagram",
                                         "telegram", "webhook",   "imap"};

std::string Suggest(std::string_view word, const std::vector<std::string>& valid) {
  if (auto near = config::Closest(word, valid)) return fmt::format("did you mean '{}'?", *near);
  if (valid.empty()) return "none are configured";
  return fmt::format("valid: {}", yaml::Join(valid));
}

// "" when `url` is an IMAP URL Lifeline can use, else what is wrong with it. Plain imap:// sends
// the password in clear, so it is for a server on this machine only.
std::string CheckImapUrl(std::string_view url) {
  std::string_view rest;
  bool tls = false;
  if (url.starts_with("imaps://")) {
    rest = url.substr(8);
    tls = true;
  } else if (url.starts_with("imap://")) {
    rest = url.substr(7);
  } else {
    return "expected imaps://HOST[:PORT]/MAILBOX (imap:// for a server on this machine only)";
  }
  const std::string_view host_port = rest.substr(0, rest.find('/'));
  if (host_port.empty()) return "the URL names no host (imaps://imap.example.com:993/INBOX)";
  if (host_port.find('@') != std::string_view::npos) {
    return "the login goes in username and password, not in the URL";
  }
  std::string_view host = host_port;
  if (host.starts_with('[')) {
    host = host.substr(0, host.find(']') + 1);
  } else {
    host = host.substr(0, host.find(':'));
  }
  if (!tls && host != "127.0.0.1" && host != "localhost" && host != "[::1]") {
    return "imap:// would send the password in clear: use imaps://, or a server on this machine "
           "(127.0.0.1, [::1], localhost)";
  }
  return "";
}

bool ValidName(std::string_view name) {
  return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

yaml::Keys KeysFor(SourceKind k) {
  switch (k) {
    case SourceKind::kWhatsApp:
      return {"type", "channel", "app_secret", "verify_token", "phone_number_id", "outside_window"};
    case SourceKind::kMessenger:
      return {"type", "channel", "app_secret", "verify_token", "page_id", "page_token", "api_base"};
    case SourceKind::kInstagram:
      return {"type",       "channel",    "app_secret", "verify_token",
              "account_id", "page_token", "api_base"};
    case SourceKind::kTelegram:
      return {"type", "channel", "mode", "secret_token", "bot_token", "api_base", "poll_timeout"};
    case SourceKind::kWebhook:
      return {"type", "channel", "key"};
    case SourceKind::kImap:
      return {"type", "channel", "url", "username", "password", "mode", "interval", "ca_file"};
  }
  return {};
}

class Reader {
 public:
  explicit Reader(const LoadOptions& options) : options_(options) {}

  Result<InboxConfig> Read(const config::PartSection& sec) {
    const Doc& doc = sec.doc;
    out_.configured = true;
    out_.file = doc.file;
    LL_ASSIGN(Fields fields, yaml::ReadMap(doc, sec.node, sec.where, kTopKeys, "the inbox"));
    for (const Field& f : fields.items) {
      if (f.key == "sources") {
        LL_ASSIGN(Fields all, yaml::ReadMap(doc, f.value, f.where, {}, "the inbox's sources"));
        for (const Field& s : all.items) {
          LL_ASSIGN(Source src, ReadSource(doc, s));
          out_.sources.push_back(std::move(src));
        }
      } else if (f.key == "move_text") {
        LL_ASSIGN(out_.move_text, yaml::GetNonEmpty(doc, f.value, f.where, "the move message"));
      } else if (f.key == "back_text") {
        LL_ASSIGN(out_.back_text, yaml::GetNonEmpty(doc, f.value, f.where,
                                                    "the message when the platform is back"));
      } else if (f.key == "business_hours") {
        LL_ASSIGN(out_.business_hours, playbook::ReadWorkingHours(doc, f));
      } else if (f.key == "away_text") {
        LL_ASSIGN(out_.away_text,
                  yaml::GetNonEmpty(doc, f.value, f.where, "the answer outside business hours"));
      } else if (f.key == "stay_text") {
        LL_ASSIGN(out_.stay_text, yaml::GetNonEmpty(doc, f.value, f.where,
                                                    "the message when the platform is back"));
      } else if (f.key == "sweep_after") {
        LL_ASSIGN(out_.sweep_after, yaml::GetDuration(doc, f.value, f.where));
        if (out_.sweep_after > std::chrono::hours(72)) {
          return Fail(doc, yaml::At(f.where, f.value), "expected 0 to 72h");
        }
      } else if (f.key == "max_body") {
        LL_ASSIGN(out_.max_body_bytes, yaml::GetSize(doc, f.value, f.where));
        if (out_.max_body_bytes < 1024 || out_.max_body_bytes > 16 * 1024 * 1024) {
          return Fail(doc, yaml::At(f.where, f.value), "expected 1KiB to 16MiB");
        }
      }
    }
    return std::move(out_);
  }

 private:
  Result<Source> ReadSource(const Doc& doc, const Field& s) {
    if (!ValidName(s.key)) {
      return Fail(doc, s.where,
                  "a source's name is letters, digits, '_' and '-' (at most 64): it is the "
                  "webhook's path");
    }
    if (!s.value.IsMap()) {
      return Fail(doc, s.where,
                  fmt::format("expected a map ({{ type: whatsapp, channel: NAME, ... }}), got {}",
                              yaml::TypeName(s.value)));
    }
    Source src;
    src.name = s.key;
    src.line = static_cast<int>(s.where.mark.line) + 1;
    if (!yaml::HasKey(s.value, "type")) {
      return Fail(doc, s.where, fmt::format("missing 'type' ({})", yaml::Join(kKinds)));
    }
    const YAML::Node type = s.value["type"];
    LL_ASSIGN(std::string kind,
              yaml::GetNonEmpty(doc, type, s.where.Key("type", type.Mark()), "a source type"));
    auto it = std::find(kKinds.begin(), kKinds.end(), kind);
    if (it == kKinds.end()) {
      return Fail(doc, yaml::At(s.where.Key("type", type.Mark()), type),
                  fmt::format("unknown source type '{}' ({})", kind, Suggest(kind, kKinds)));
    }
    src.kind = static_cast<SourceKind>(it - kKinds.begin());
    LL_ASSIGN(Fields fields,
              yaml::ReadMap(doc, s.value, s.where, KeysFor(src.kind), "an inbox source"));
    const Field* mode = nullptr;
    for (const Field& x : fields.items) {
      if (x.key == "channel") {
        LL_ASSIGN(src.channel, yaml::GetNonEmpty(doc, x.value, x.where, "a relay channel"));
        const auto& names = options_.channels;
        if (std::find(names.begin(), names.end(), src.channel) == names.end()) {
          return Fail(
              doc, yaml::At(x.where, x.value),
              fmt::format("unknown channel '{}' ({})", src.channel, Suggest(src.channel, names)));
        }
      } else if (x.key == "app_secret") {
        LL_ASSIGN(src.app_secret, yaml::GetSecret(doc, x.value, x.where, false));
      } else if (x.key == "verify_token") {
        LL_ASSIGN(src.verify_token, yaml::GetSecret(doc, x.value, x.where, false));
      } else if (x.key == "secret_token") {
        LL_ASSIGN(src.secret_token, yaml::GetSecret(doc, x.value, x.where, false));
        if (src.secret_token.size() > 256 ||
            !std::all_of(src.secret_token.begin(), src.secret_token.end(), [](char c) {
              return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
            })) {
          return Fail(doc, x.where,
                      "Telegram's secret_token is 1-256 characters of A-Z, a-z, 0-9, '_' and '-'");
        }
      } else if (x.key == "bot_token") {
        LL_ASSIGN(src.bot_token, yaml::GetSecret(doc, x.value, x.where, false));
      } else if (x.key == "key") {
        LL_ASSIGN(src.key, yaml::GetSecret(doc, x.value, x.where, false));
        if (src.key.size() < 16) {
          return Fail(doc, x.where, "the webhook key is too short (at least 16 characters)");
        }
      } else if (x.key == "phone_number_id" || x.key == "page_id" || x.key == "account_id") {
        LL_ASSIGN(src.account, yaml::GetNonEmpty(doc, x.value, x.where, "an id"));
        if (!std::all_of(src.account.begin(), src.account.end(),
                         [](char c) { return c >= '0' && c <= '9'; })) {
          return Fail(doc, yaml::At(x.where, x.value), "expected digits (the id Meta shows)");
        }
      } else if (x.key == "outside_window") {
        LL_ASSIGN(std::string v, yaml::GetNonEmpty(doc, x.value, x.where, "refuse or template"));
        if (v == "refuse") {
          src.outside_window = OutsideWindow::kRefuse;
        } else if (v == "template") {
          src.outside_window = OutsideWindow::kTemplate;
        } else {
          return Fail(doc, yaml::At(x.where, x.value),
                      fmt::format("unknown value '{}' (refuse or template)", v));
        }
      } else if (x.key == "mode" && src.kind == SourceKind::kImap) {
        LL_ASSIGN(std::string v, yaml::GetNonEmpty(doc, x.value, x.where, "poll"));
        if (v == "idle") {
          return Fail(doc, yaml::At(x.where, x.value),
                      "IMAP IDLE is not available: libcurl has no IDLE command (it cannot hold "
                      "the connection open and wait); use mode: poll with a short interval "
                      "(5s is cheap: one UID SEARCH on a kept-open connection)");
        }
        if (v != "poll") {
          return Fail(doc, yaml::At(x.where, x.value), fmt::format("unknown mode '{}' (poll)", v));
        }
        src.poll = true;
      } else if (x.key == "mode") {
        mode = &x;
        LL_ASSIGN(std::string v, yaml::GetNonEmpty(doc, x.value, x.where, "webhook or poll"));
        if (v != "webhook" && v != "poll") {
          return Fail(doc, yaml::At(x.where, x.value),
                      fmt::format("unknown mode '{}' (webhook or poll)", v));
        }
        src.poll = v == "poll";
      } else if (x.key == "api_base") {
        LL_ASSIGN(src.api_base, yaml::GetNonEmpty(doc, x.value, x.where, "a URL"));
        while (!src.api_base.empty() && src.api_base.back() == '/') src.api_base.pop_back();
      } else if (x.key == "page_token") {
        LL_ASSIGN(src.page_token, yaml::GetSecret(doc, x.value, x.where, false));
      } else if (x.key == "url") {
        LL_ASSIGN(src.imap_url, yaml::GetNonEmpty(doc, x.value, x.where, "an imaps:// URL"));
        if (auto bad = CheckImapUrl(src.imap_url); !bad.empty()) {
          return Fail(doc, yaml::At(x.where, x.value), bad);
        }
      } else if (x.key == "username") {
        LL_ASSIGN(src.username, yaml::GetNonEmpty(doc, x.value, x.where, "the login"));
      } else if (x.key == "password") {
        LL_ASSIGN(src.password, yaml::GetSecret(doc, x.value, x.where, false));
      } else if (x.key == "interval") {
        LL_ASSIGN(src.interval, yaml::GetDuration(doc, x.value, x.where));
        if (src.interval < std::chrono::seconds(1) || src.interval > std::chrono::hours(1)) {
          return Fail(doc, yaml::At(x.where, x.value), "expected 1s to 1h");
        }
      } else if (x.key == "ca_file") {
        LL_ASSIGN(src.ca_file, yaml::GetNonEmpty(doc, x.value, x.where, "a PEM file"));
      } else if (x.key == "poll_timeout") {
        LL_ASSIGN(src.poll_timeout, yaml::GetDuration(doc, x.value, x.where));
        if (src.poll_timeout > std::chrono::seconds(50)) {
          return Fail(doc, yaml::At(x.where, x.value), "expected 0 to 50s");
        }
      }
    }
    (void)mode;
    if ((src.kind == SourceKind::kMessenger || src.kind == SourceKind::kInstagram) &&
        src.api_base == "https://api.telegram.org") {
      src.api_base = "https://graph.facebook.com";
    }
    auto need = [&](bool missing, std::string_view what) -> Status {
      if (missing) return Fail(doc, s.where, what);
      return core::Ok();
    };
    LL_TRY(need(src.channel.empty(),
                fmt::format("missing 'channel' (the relay channel replies go through: {})",
                            options_.channels.empty() ? std::string("none are configured")
                                                      : yaml::Join(options_.channels))));
    switch (src.kind) {
      case SourceKind::kWhatsApp:
      case SourceKind::kMessenger:
      case SourceKind::kInstagram: {
        const char* id = src.kind == SourceKind::kWhatsApp    ? "phone_number_id"
                         : src.kind == SourceKind::kMessenger ? "page_id"
                                                              : "account_id";
        LL_TRY(need(src.app_secret.empty(),
                    "missing 'app_secret' (the Meta app's secret that signs webhooks, given as "
                    "{ env: NAME } or { file: PATH })"));
        LL_TRY(need(src.verify_token.empty(),
                    "missing 'verify_token' (the token you typed in the app's webhook settings, "
                    "given as { env: NAME } or { file: PATH })"));
        LL_TRY(need(src.account.empty(),
                    fmt::format("missing '{}' (the business account its webhooks name)", id)));
        break;
      }
      case SourceKind::kTelegram:
        if (src.poll) {
          LL_TRY(need(src.bot_token.empty(),
                      "mode poll needs 'bot_token' (given as { env: NAME } or { file: PATH })"));
        } else {
          LL_TRY(need(src.secret_token.empty(),
                      "missing 'secret_token' (what setWebhook's secret_token was set to, given "
                      "as { env: NAME } or { file: PATH }; or mode: poll)"));
        }
        break;
      case SourceKind::kWebhook:
        LL_TRY(need(src.key.empty(),
                    "missing 'key' (the HMAC key the sender signs with, given as { env: NAME } or "
                    "{ file: PATH })"));
        break;
      case SourceKind::kImap:
        src.poll = true;
        LL_TRY(need(src.imap_url.empty(),
                    "missing 'url' (the mailbox: imaps://imap.example.com:993/INBOX)"));
        LL_TRY(need(src.username.empty(), "missing 'username' (the mailbox's login)"));
        LL_TRY(need(src.password.empty(),
                    "missing 'password' (given as { env: NAME } or { file: PATH })"));
        break;
    }
    return src;
  }

  const LoadOptions& options_;
  InboxConfig out_;
};

}  // namespace

std::string_view SourceKindName(SourceKind k) {
  switch (k) {
    case SourceKind::kWhatsApp:
      return "whatsapp";
    case SourceKind::kMessenger:
      return "messenger";
    case SourceKind::kInstagram:
      return "instagram";
    case SourceKind::kTelegram:
      return "telegram";
    case SourceKind::kWebhook:
      return "webhook";
    case SourceKind::kImap:
      return "imap";
  }
  return "webhook";
}

const Source* InboxConfig::Find(std::string_view name) const {
  for (const auto& s : sources) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

Result<InboxConfig> LoadInboxConfig(const config::Config& config, const LoadOptions& options) {
  const config::PartSection* sec = config.Section("inbox");
  if (sec == nullptr) return InboxConfig{};
  Reader r(options);
  return r.Read(*sec);
}

}  // namespace lifeline::inbox
