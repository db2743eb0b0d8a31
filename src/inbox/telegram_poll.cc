// Telegram's getUpdates long polling (telegram_poll.h).
#include "inbox/telegram_poll.h"

#include <algorithm>

#include <fmt/format.h>

namespace lifeline::inbox {

using core::ErrorCode;
using core::MakeError;

TelegramPoller::TelegramPoller(Inbox& inbox, channels::HttpClient& http,
                               std::function<void(std::string_view)> log)
    : inbox_(inbox), http_(http), log_(std::move(log)) {}

TelegramPoller::~TelegramPoller() { Stop(); }

void TelegramPoller::Start() {
  for (const Source& s : inbox_.config().sources) {
    if (s.kind == SourceKind::kTelegram && s.poll) {
      threads_.emplace_back([this, &s] { Loop(s); });
    }
  }
}

void TelegramPoller::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

core::Result<std::int64_t> TelegramPoller::PollOnce(const Source& s, std::int64_t offset) {
  channels::HttpRequest req;
  req.method = "GET";
  const auto wait_s = std::chrono::duration_cast<std::chrono::seconds>(s.poll_timeout).count();
  req.url = fmt::format(
      "{}/bot{}/getUpdates?timeout={}&allowed_updates=%5B%22message%22%2C%22"
      "edited_message%22%5D{}",
      s.api_base, s.bot_token, wait_s, offset > 0 ? fmt::format("&offset={}", offset) : "");
  req.timeout = s.poll_timeout + std::chrono::seconds(10);
  channels::HttpResponse r = http_.Do(req);
  if (r.transport != channels::HttpResponse::Transport::kAnswered) {
    // r.error names the host and what failed, never the path (which holds the token).
    return MakeError(ErrorCode::kUnavailable, "getUpdates: {}", r.error);
  }
  auto batch = ParseTelegramUpdates(r.body);
  if (!batch.ok()) {
    return MakeError(batch.error().code(), "getUpdates answered HTTP {}: {}", r.status,
                     batch.error().message());
  }
  if (r.status != 200) {
    return MakeError(ErrorCode::kUnavailable, "getUpdates answered HTTP {}", r.status);
  }
  LL_TRY(inbox_.IngestPolled(s.name, *batch));
  return batch->last_update_id >= 0 ? batch->last_update_id + 1 : offset;
}

void TelegramPoller::Loop(const Source& s) {
  std::int64_t offset = 0;
  std::chrono::milliseconds backoff{0};
  bool failing = false;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      if (backoff.count() > 0) {
        cv_.wait_for(lock, backoff, [this] { return stopping_; });
      }
      if (stopping_) return;
    }
    auto next = PollOnce(s, offset);
    if (next.ok()) {
      if (failing && log_) log_(fmt::format("inbox: {}: getUpdates works again", s.name));
      failing = false;
      offset = *next;
      backoff = std::chrono::milliseconds(0);
      continue;
    }
    if (!failing && log_) {
      log_(fmt::format("inbox: {}: {} (retrying with backoff)", s.name, next.error().message()));
    }
    failing = true;
    backoff =
        std::clamp(backoff * 2, std::chrono::milliseconds(500), std::chrono::milliseconds(30000));
  }
}

}  // namespace lifeline::inbox
