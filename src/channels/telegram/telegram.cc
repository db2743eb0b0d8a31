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

// "123456789:AAH...": the bot's numeric id, a colon, the secret part. Never echoed.
bool LooksLikeToken(std::string_view token) {
  auto colon = token.find(':');
  if (colon == std::string_view::npos || !adapter::IsDigits(token.substr(0, colon))) return false;
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

class TelegramChannel final : public adapter::HttpChannel<Config> {
 public:
  TelegramChannel(std::string name, Config config, HttpClient* http,
                  std::chrono::milliseconds timeout)
      : HttpChannel(std::move(config), http, timeout) {
    info_ = adapter::MakeInfo(std::move(name), "telegram", "telegram", config_.chat,
                              TraitsFor(config_));
  }

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
    LL_TRY(adapter::CheckText(info_.name, m));
    // Telegram counts what is shown (markup and escapes excluded) in UTF-16 code units.
    std::size_t shown = adapter::Utf16Units(m.text);
    if (!m.subject.empty()) shown += adapter::Utf16Units(m.subject) + 1;
    return adapter::CheckLimit(info_.name, shown, kMaxChars, "characters", "Telegram");
  }

 private:
  DeliveryResult Deliver(const OutgoingMessage& m) override {
    return Classify(http_->Do(BuildRequest(config_, m, timeout_)));
  }
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
  LL_ASSIGN(c.api_base, adapter::OptionalSecureBase(ctx, fields, "api_base", c.api_base));
  return Make(ctx.name, std::move(c), ctx.http, ctx.timeout);
}

Result<std::unique_ptr<Channel>> FromUrl(const BuildContext& ctx, const AppriseUrl& url) {
  LL_TRY(adapter::CheckUrlQuery(ctx, url, {"format", "silent", "preview", "api_base"}));
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
  LL_ASSIGN(c.api_base, adapter::QuerySecureBase(ctx, url, "api_base", c.api_base));
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
  if (adapter::IsDigits(digits) && digits.size() <= 19 && digits[0] != '0') return core::Ok();
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

namespace {

// What a Bot API answer ({"ok": ..., "error_code": ..., "parameters": ...}) says.
adapter::Reading Read(const HttpResponse& response) {
  auto j = adapter::ParseJson(response.body);
  adapter::Reading reading;
  if (!j || !j->is_object() || !j->contains("ok") || !(*j)["ok"].is_boolean()) {
    if (adapter::StatusOutcome(response.status) == Outcome::kDelivered) {
      // Over https a 2xx comes from Telegram or an intercepting proxy; either way this is not
      // the Bot API's answer, so whether the message went out is unknown.
      reading.verdict = adapter::Verdict::kUnconfirmed;
      reading.reason =
          fmt::format("HTTP {} without the Bot API's answer: delivery unknown", response.status);
    }
    return reading;
  }
  if ((*j)["ok"].get<bool>()) {
    reading.verdict = adapter::Verdict::kDelivered;
    if (j->contains("result")) {
      reading.remote_id = adapter::MemberText((*j)["result"], "message_id");
    }
    reading.reason = "sent";
    return reading;
  }
  long long code = adapter::MemberInt(*j, "error_code").value_or(response.status);
  std::string description = adapter::OneLine(adapter::MemberText(*j, "description"));
  const nlohmann::json empty = nlohmann::json::object();
  const nlohmann::json& params =
      j->contains("parameters") && (*j)["parameters"].is_object() ? (*j)["parameters"] : empty;
  reading.far_code = std::to_string(code);
  reading.verdict = adapter::Verdict::kFailed;
  if (code == 429) {
    reading.verdict = adapter::Verdict::kRateLimited;
    if (auto s = adapter::MemberInt(params, "retry_after")) {
      reading.wait.stated = std::chrono::seconds(std::max(0LL, *s));
    }
    reading.reason = fmt::format("rate limited by Telegram: {}", description);
  } else if (auto moved = adapter::MemberText(params, "migrate_to_chat_id"); !moved.empty()) {
    reading.reason = fmt::format(
        "the group became a supergroup with chat id {}: update the chat ({})", moved, description);
  } else if (code == 401) {
    reading.reason = fmt::format("Telegram refused the bot token: {}", description);
  } else if (code == 404) {
    reading.reason = fmt::format("Telegram does not know this bot (token malformed or revoked): {}",
                                 description);
  } else if (code == 403) {
    reading.reason = fmt::format("the bot may not write to this chat: {}", description);
  } else if (code >= 500) {
    reading.verdict = adapter::Verdict::kRetry;
    reading.reason = fmt::format("Telegram failed: {}", description);
  } else {
    // 400: chat not found, message is too long, can't parse entities...
    reading.reason = fmt::format("Telegram refused the message: {}", description);
  }
  return reading;
}

}  // namespace

DeliveryResult Classify(const HttpResponse& response) {
  // The Bot API has no idempotency key and no way to look a sent message up.
  return adapter::Classify(response, /*deduplicates=*/false, Read(response));
}

std::unique_ptr<Channel> Make(std::string name, Config config, HttpClient* http,
                              std::chrono::milliseconds timeout) {
  return std::make_unique<TelegramChannel>(std::move(name), std::move(config), http, timeout);
}

}  // namespace lifeline::channels::telegram
