// The Telegram Bot API adapter (telegram.h): config from YAML or tgram:// URLs, sendMessage, and
// the classification of the Bot API's {"ok": ..., "error_code": ..., "parameters": ...} answers.
#include "channels/telegram/telegram.h"

#include <algorithm>
#include <cctype>

#include <fmt/core.h>

#include "channels/http_adapter.h"

namespace lifeline::channels::telegram {

namespace yaml = config::yaml;
using core::ErrorCode;
using core::MakeError;
using core::Result;
using core::Status;

namespace {

bool IsDigits(std::string_view s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit((unsigned char)c); });
}

// "123456789:AAH...": the bot's numeric id, a colon, the secret part. Never echoed.
bool LooksLikeToken(std::string_view token) {
  auto colon = token.find(':');
  if (colon == std::string_view::npos || !IsDigits(token.substr(0, colon))) return false;
  std::string_view secret = token.substr(colon + 1);
  return secret.size() >= 20 && std::all_of(secret.begin(), secret.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
         });
}

Result<ParseMode> ParseModeFrom(std::string_view text) {
  std::string v(text);
  for (char& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (v == "html") return ParseMode::kHtml;
  if (v == "markdownv2" || v == "markdown") return ParseMode::kMarkdownV2;
  if (v == "none" || v == "text") return ParseMode::kNone;
  return MakeError(ErrorCode::kInvalidArgument,
                   "'{}' is not a parse mode (html, markdownv2 or none)", text);
}

// Telegram's documented limits: about 1 message per second in one chat, 20 per minute in a group
// or channel, 30 per second for the bot as a whole.
Traits TraitsFor(const Config& c) {
  Traits t;
  t.max_chars = kMaxChars;
  t.needs_recipient = c.chat.empty();
  if (c.chat.empty()) {
    t.rate_per_second = 30;
    t.burst = 30;
  } else if (c.chat.starts_with("-") || c.chat.starts_with("@")) {
    t.rate_per_second = 20.0 / 60.0;
    t.burst = 3;
  } else {
    t.rate_per_second = 1;
    t.burst = 1;
  }
  return t;
}

class TelegramChannel final : public Channel {
 public:
  TelegramChannel(std::string name, Config config, HttpClient* http,
                  std::chrono::milliseconds timeout)
      : config_(std::move(config)), http_(http), timeout_(timeout) {
    info_.name = std::move(name);
    info_.kind = "telegram";
    info_.platform = "telegram";
    info_.recipient = config_.chat;
    info_.traits = TraitsFor(config_);
  }

  const Info& info() const override { return info_; }

  Status Check(const OutgoingMessage& m) const override {
    const std::string& chat = m.to.empty() ? config_.chat : m.to;
    if (chat.empty()) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "{}: no chat to send to (give the message a recipient, or set chat:)",
                       info_.name);
    }
    if (auto s = CheckChat(chat); !s.ok()) {
      return MakeError(ErrorCode::kInvalidArgument, "{}: recipient: {}", info_.name,
                       s.error().message());
    }
    if (m.text.empty() && m.subject.empty()) {
      return MakeError(ErrorCode::kInvalidArgument, "{}: the message is empty", info_.name);
    }
    if (!adapter::IsValidUtf8(m.subject) || !adapter::IsValidUtf8(m.text)) {
      return MakeError(ErrorCode::kInvalidArgument, "{}: the text is not valid UTF-8", info_.name);
    }
    // Telegram counts what is shown (markup and escapes excluded) in UTF-16 code units.
    std::size_t shown = adapter::Utf16Units(m.text);
    if (!m.subject.empty()) shown += adapter::Utf16Units(m.subject) + 1;
    if (shown > kMaxChars) {
      return MakeError(ErrorCode::kInvalidArgument, "{}: {} characters; Telegram allows {}",
                       info_.name, adapter::Thousands(shown), adapter::Thousands(kMaxChars));
    }
    return core::Ok();
  }

  DeliveryResult Send(const OutgoingMessage& m) override {
    if (auto s = Check(m); !s.ok()) {
      DeliveryResult r;
      r.outcome = Outcome::kFailed;
      r.reason = s.error().message();
      return r;
    }
    return Classify(http_->Do(BuildRequest(config_, m, timeout_)));
  }

 private:
  Info info_;
  const Config config_;
  HttpClient* http_;
  const std::chrono::milliseconds timeout_;
};

Result<std::unique_ptr<Channel>> FromYaml(const BuildContext& ctx, const yaml::Fields& fields) {
  LL_TRY(adapter::CheckKeys(ctx, fields,
                            {"token", "chat", "parse_mode", "silent", "link_preview", "api_base"}));
  Config c;
  LL_ASSIGN(c.token,
            adapter::RequiredSecret(ctx, fields, "token", "the bot token from @BotFather"));
  if (!LooksLikeToken(c.token)) {
    return adapter::FailAt(ctx, *fields.Find("token"),
                           "the secret does not look like a bot token (DIGITS:SECRET, as "
                           "@BotFather gives it)");
  }
  if (const yaml::Field* f = fields.Find("chat")) {
    LL_ASSIGN(c.chat, yaml::GetNonEmpty(ctx.doc, f->value, f->where,
                                        "a chat id (-1001234567890) or @channelname"));
    if (auto s = CheckChat(c.chat); !s.ok()) return adapter::FailAt(ctx, *f, s.error().message());
  }
  if (const yaml::Field* f = fields.Find("parse_mode")) {
    LL_ASSIGN(std::string mode,
              yaml::GetNonEmpty(ctx.doc, f->value, f->where, "html, markdownv2 or none"));
    auto pm = ParseModeFrom(mode);
    if (!pm.ok()) return adapter::FailAt(ctx, *f, pm.error().message());
    c.parse_mode = *pm;
  }
  LL_ASSIGN(auto silent, adapter::OptionalBool(ctx, fields, "silent"));
  c.silent = silent.value_or(false);
  LL_ASSIGN(auto preview, adapter::OptionalBool(ctx, fields, "link_preview"));
  c.link_preview = preview.value_or(false);
  if (const yaml::Field* f = fields.Find("api_base")) {
    LL_ASSIGN(std::string base, yaml::GetNonEmpty(ctx.doc, f->value, f->where, "a URL"));
    auto checked = adapter::CheckSecureBase(base);
    if (!checked.ok()) return adapter::FailAt(ctx, *f, checked.error().message());
    c.api_base = *checked;
  }
  return Make(ctx.name, std::move(c), ctx.http, ctx.timeout);
}

Result<std::unique_ptr<Channel>> FromUrl(const BuildContext& ctx, const AppriseUrl& url) {
  if (auto s = adapter::CheckQueryKeys(url, {"format", "silent", "preview", "api_base"}); !s.ok()) {
    return adapter::FailUrl(ctx, s.error().message());
  }
  Config c;
  c.token = url.host;
  if (url.port != 0) c.token += ":" + std::to_string(url.port);  // a token whose secret is digits
  if (c.token.starts_with("bot")) c.token.erase(0, 3);           // Apprise accepts tgram://botTOKEN
  if (!LooksLikeToken(c.token)) {
    return adapter::FailUrl(ctx,
                            "expected tgram://BOT_TOKEN/CHAT_ID; the part after tgram:// does not "
                            "look like a bot token (DIGITS:SECRET)");
  }
  if (url.path.size() > 1) {
    return adapter::FailUrl(ctx,
                            "one chat per channel: define a channel for each chat (Lifeline keeps "
                            "one delivery record per chat)");
  }
  if (url.path.size() == 1) {
    c.chat = url.path[0];
    if (auto s = CheckChat(c.chat); !s.ok()) return adapter::FailUrl(ctx, s.error().message());
  }
  if (std::string f = adapter::QueryValue(url, "format"); !f.empty()) {
    auto pm = ParseModeFrom(f);
    if (!pm.ok()) return adapter::FailUrl(ctx, "format: " + pm.error().message());
    c.parse_mode = *pm;
  }
  auto silent = adapter::QueryBool(url, "silent");
  if (!silent.ok()) return adapter::FailUrl(ctx, silent.error().message());
  c.silent = silent->value_or(false);
  auto preview = adapter::QueryBool(url, "preview");
  if (!preview.ok()) return adapter::FailUrl(ctx, preview.error().message());
  c.link_preview = preview->value_or(false);
  if (std::string base = adapter::QueryValue(url, "api_base"); !base.empty()) {
    auto checked = adapter::CheckSecureBase(base);
    if (!checked.ok()) return adapter::FailUrl(ctx, "api_base: " + checked.error().message());
    c.api_base = *checked;
  }
  return Make(ctx.name, std::move(c), ctx.http, ctx.timeout);
}

}  // namespace

const Kind kKind = {"telegram", {"tgram"}, "telegram", &FromYaml, &FromUrl};

Status CheckChat(std::string_view chat) {
  if (chat.starts_with("@")) {
    std::string_view name = chat.substr(1);
    bool ok = name.size() >= 5 && name.size() <= 32 &&
              std::isalpha(static_cast<unsigned char>(name[0])) &&
              std::all_of(name.begin(), name.end(), [](char c) {
                return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
              });
    if (ok) return core::Ok();
    return MakeError(ErrorCode::kInvalidArgument,
                     "'{}' is not a channel username (@ then 5-32 letters, digits or '_', "
                     "starting with a letter)",
                     chat);
  }
  std::string_view digits = chat.starts_with("-") ? chat.substr(1) : chat;
  if (IsDigits(digits) && digits.size() <= 19 && digits[0] != '0') return core::Ok();
  return MakeError(ErrorCode::kInvalidArgument,
                   "'{}' is not a chat id (a whole number such as 123456789 or -1001234567890) "
                   "or an @channelname",
                   chat);
}

std::string Escape(std::string_view text, ParseMode mode) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (mode == ParseMode::kHtml) {
      // The Bot API's HTML mode needs exactly these three replaced.
      if (c == '<') {
        out += "&lt;";
      } else if (c == '>') {
        out += "&gt;";
      } else if (c == '&') {
        out += "&amp;";
      } else {
        out += c;
      }
    } else if (mode == ParseMode::kMarkdownV2) {
      // Every character the MarkdownV2 grammar reserves, and the backslash itself.
      static constexpr std::string_view kReserved = "_*[]()~`>#+-=|{}.!\\";
      if (kReserved.find(c) != std::string_view::npos) out += '\\';
      out += c;
    } else {
      out += c;
    }
  }
  return out;
}

std::string Render(const OutgoingMessage& m, ParseMode mode) {
  std::string body = Escape(m.text, mode);
  if (m.subject.empty()) return body;
  std::string subject = Escape(m.subject, mode);
  switch (mode) {
    case ParseMode::kHtml:
      subject = "<b>" + subject + "</b>";
      break;
    case ParseMode::kMarkdownV2:
      subject = "*" + subject + "*";
      break;
    case ParseMode::kNone:
      break;
  }
  return body.empty() ? subject : subject + "\n" + body;
}

HttpRequest BuildRequest(const Config& config, const OutgoingMessage& m,
                         std::chrono::milliseconds timeout) {
  nlohmann::json body = {
      {"chat_id", m.to.empty() ? config.chat : m.to},
      {"text", Render(m, config.parse_mode)},
      {"disable_notification", config.silent},
      {"link_preview_options", {{"is_disabled", !config.link_preview}}},
  };
  if (config.parse_mode == ParseMode::kHtml) body["parse_mode"] = "HTML";
  if (config.parse_mode == ParseMode::kMarkdownV2) body["parse_mode"] = "MarkdownV2";
  return adapter::JsonPost(fmt::format("{}/bot{}/sendMessage", config.api_base, config.token),
                           adapter::Dump(body), timeout);
}

DeliveryResult Classify(const HttpResponse& response) {
  if (response.transport != HttpResponse::Transport::kAnswered) {
    // The Bot API has no idempotency key and no way to look a sent message up.
    return adapter::NotAnswered(response, /*deduplicates=*/false);
  }
  auto j = adapter::ParseJson(response.body);
  if (!j || !j->is_object() || !j->contains("ok") || !(*j)["ok"].is_boolean()) {
    if (response.status >= 200 && response.status < 300) {
      // Over https a 2xx comes from Telegram or an intercepting proxy; either way this is not
      // the Bot API's answer, so whether the message went out is unknown.
      DeliveryResult r;
      r.outcome = Outcome::kUnconfirmed;
      r.http_status = response.status;
      r.reason =
          fmt::format("HTTP {} without the Bot API's answer: delivery unknown", response.status);
      return r;
    }
    return adapter::ByStatus(response, "");
  }
  DeliveryResult r;
  r.http_status = response.status;
  if ((*j)["ok"].get<bool>()) {
    r.outcome = Outcome::kDelivered;
    if (j->contains("result")) r.remote_id = adapter::MemberText((*j)["result"], "message_id");
    r.reason = "sent";
    return r;
  }
  long long code = adapter::MemberInt(*j, "error_code").value_or(response.status);
  std::string description = adapter::OneLine(adapter::MemberText(*j, "description"));
  const nlohmann::json empty = nlohmann::json::object();
  const nlohmann::json& params =
      j->contains("parameters") && (*j)["parameters"].is_object() ? (*j)["parameters"] : empty;
  r.far_code = std::to_string(code);
  if (code == 429) {
    r.outcome = Outcome::kRetry;
    r.rate_limited = true;
    if (auto s = adapter::MemberInt(params, "retry_after")) {
      r.retry_after = std::chrono::seconds(std::max(0LL, *s));
    } else {
      r.retry_after = adapter::RetryAfter(response);
    }
    r.reason = fmt::format("rate limited by Telegram: {}", description);
  } else if (auto moved = adapter::MemberText(params, "migrate_to_chat_id"); !moved.empty()) {
    r.outcome = Outcome::kFailed;
    r.reason = fmt::format("the group became a supergroup with chat id {}: update the chat ({})",
                           moved, description);
  } else if (code == 401) {
    r.outcome = Outcome::kFailed;
    r.reason = fmt::format("Telegram refused the bot token: {}", description);
  } else if (code == 404) {
    r.outcome = Outcome::kFailed;
    r.reason = fmt::format("Telegram does not know this bot (token malformed or revoked): {}",
                           description);
  } else if (code == 403) {
    r.outcome = Outcome::kFailed;
    r.reason = fmt::format("the bot may not write to this chat: {}", description);
  } else if (code >= 500) {
    r.outcome = Outcome::kRetry;
    r.retry_after = adapter::RetryAfter(response);
    r.reason = fmt::format("Telegram failed: {}", description);
  } else {
    // 400: chat not found, message is too long, can't parse entities...
    r.outcome = Outcome::kFailed;
    r.reason = fmt::format("Telegram refused the message: {}", description);
  }
  return r;
}

std::unique_ptr<Channel> Make(std::string name, Config config, HttpClient* http,
                              std::chrono::milliseconds timeout) {
  return std::make_unique<TelegramChannel>(std::move(name), std::move(config), http, timeout);
}

}  // namespace lifeline::channels::telegram
