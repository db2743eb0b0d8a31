// Telegram without a public address: long polling with getUpdates
// (https://core.telegram.org/bots/api#getupdates) for each source with `mode: poll`, one worker
// thread each. An update is confirmed to Telegram (the next call's offset) only after it is
// stored, so a crash re-fetches it and the store's dedup keeps it once.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string_view>
#include <thread>
#include <vector>

#include "channels/http.h"
#include "inbox/inbox.h"

namespace lifeline::inbox {

class TelegramPoller {
 public:
  // `inbox` and `http` must outlive the poller. `log` gets one line per failure (never the bot
  // token, which is part of the URL) and per recovery.
  TelegramPoller(Inbox& inbox, channels::HttpClient& http,
                 std::function<void(std::string_view)> log);
  ~TelegramPoller();  // Stop()

  // Starts one thread per polling source; nothing when there is none.
  void Start();
  // Stops asking and joins the threads: waits for a request in flight (at most the source's
  // poll_timeout plus a few seconds). Idempotent.
  void Stop();

  // Polls once for `source` from `offset`: stores what came, returns the next offset. Public for
  // tests; the threads call it in a loop.
  [[nodiscard]] core::Result<std::int64_t> PollOnce(const Source& source, std::int64_t offset);

 private:
  void Loop(const Source& source);

  Inbox& inbox_;
  channels::HttpClient& http_;
  std::function<void(std::string_view)> log_;
  std::mutex mu_;  // guards stopping_
  std::condition_variable cv_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace lifeline::inbox
