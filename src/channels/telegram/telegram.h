// The Telegram Bot API adapter: sendMessage to a chat id or @channel, plain text escaped for the
// chosen parse mode (HTML or MarkdownV2), 4,096 characters, retry_after on 429.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "channels/channel.h"
#include "channels/http.h"
#include "channels/registry.h"

namespace lifeline::channels::telegram {

// type: telegram; Apprise scheme tgram://BOT_TOKEN/CHAT_ID.
extern const Kind kKind;

enum class ParseMode { kNone, kHtml, kMarkdownV2 };

struct Config {
  std::string token;  // the bot token from @BotFather (secret)
  std::string chat;   // default chat: "-1001234567890", "123456789" or "@channel"; may be empty
  ParseMode parse_mode = ParseMode::kHtml;
  bool silent = false;        // disable_notification
  bool link_preview = false;  // link_preview_options.is_disabled = !link_preview
  std::string api_base = "https://api.telegram.org";
};

inline constexpr std::size_t kMaxChars = 4096;  // "1-4096 characters after entities parsing"

// OK when `chat` is a chat id (an integer, negative for groups and channels) or a public
// "@username" (5-32 letters, digits and underscores, starting with a letter).
core::Status CheckChat(std::string_view chat);

// `text` (plain) escaped so that Telegram shows it as written under `mode`.
std::string Escape(std::string_view text, ParseMode mode);
// The `text` field: the subject (bold when a parse mode allows) on its own line, then the text.
std::string Render(const OutgoingMessage& message, ParseMode mode);

HttpRequest BuildRequest(const Config& config, const OutgoingMessage& message,
                         std::chrono::milliseconds timeout);
DeliveryResult Classify(const HttpResponse& response);

std::unique_ptr<Channel> Make(std::string name, Config config, HttpClient* http,
                              std::chrono::milliseconds timeout);

}  // namespace lifeline::channels::telegram
