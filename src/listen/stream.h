// Mastodon's streaming API for listening: one long-lived HTTP connection per hashtag to
// GET /api/v1/streaming/hashtag?tag=TAG (server-sent events: `event: update` with a Status in
// `data:`, `:thump` heartbeat comments; https://docs.joinmastodon.org/methods/streaming/), read
// with libcurl's write callback, each post handed over as it comes. On a drop the connection is
// made again after a back-off, and once it stands the hashtag's timeline is polled from the
// cursor (catch-up), so nothing posted while it was down is lost.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "listen/config.h"
#include "listen/summary.h"

namespace lifeline::listen {

struct SseEvent {
  std::string event;  // "message" when the server named none
  std::string data;   // the data lines joined with '\n'
};

// Reads a text/event-stream incrementally, as the HTML standard defines it: lines end in LF, CR
// LF or CR; "field: value"; a blank line dispatches the event; a line starting with ':' is a
// comment (Mastodon's heartbeat). Not thread-safe; a value type.
class SseParser {
 public:
  explicit SseParser(std::size_t max_event_bytes = 1 << 20) : max_(max_event_bytes) {}
  // Appends `chunk`; returns the events it completed, in order.
  std::vector<SseEvent> Feed(std::string_view chunk);
  std::size_t comments() const { return comments_; }
  // An event or line grew past max_event_bytes: the stream is broken; the caller drops it.
  bool overflow() const { return overflow_; }

 private:
  void Line(std::string_view line, std::vector<SseEvent>& out);

  std::size_t max_;
  std::string buffer_;    // an incomplete line
  bool skip_lf_ = false;  // the last chunk ended in CR: a leading LF belongs to it
  SseEvent pending_;
  bool has_data_ = false;
  std::size_t comments_ = 0;
  bool overflow_ = false;
};

// "ROOT/api/v1/streaming/hashtag?tag=TAG" (TAG without '#', percent-encoded).
std::string HashtagStreamUrl(std::string_view root, std::string_view tag);

// What a catch-up poll achieved.
enum class CatchUp {
  kDone,    // the timeline was read up to now
  kMore,    // a poll read its page limit: poll again
  kFailed,  // an error or a rate limit: try again later
};

// What the stream calls, on its own thread per hashtag. Hooks for one hashtag never run at the
// same time; hooks of different hashtags may.
struct StreamHooks {
  // Posts that came on the stream. `cursor`: the newest status id to resume the timeline from
  // ("" while a catch-up is still owed: the cursor must stay before what the drop may have lost).
  std::function<void(const std::string& tag, std::vector<Post> posts, const std::string& cursor,
                     TimePoint now)>
      store;
  // One poll of the tag's timeline from the stored cursor.
  std::function<CatchUp(const std::string& tag, TimePoint now)> catch_up;
  // The connection stands (error "") or dropped (error says why).
  std::function<void(const std::string& tag, bool connected, const std::string& error,
                     TimePoint now)>
      state;
  // About once a second while connected (coverage of the hour, judging).
  std::function<void(const std::string& tag, TimePoint now)> tick;
};

struct StreamOptions {
  std::chrono::milliseconds initial_backoff{1000};  // after a drop; doubled per failure in a row
  std::chrono::milliseconds max_backoff{60000};
  std::chrono::milliseconds catch_up_retry{5000};  // a failed catch-up is tried again after this
  // A stream silent this long (no event, no heartbeat) is dropped. Mastodon's server sends a
  // heartbeat every 15 s.
  std::chrono::milliseconds idle_timeout{60000};
  std::size_t max_event_bytes = 1 << 20;
};

class MastodonStream {
 public:
  // `config` is a mastodon source with streaming on.
  MastodonStream(SourceConfig config, std::vector<std::string> tags, StreamHooks hooks,
                 StreamOptions options = {});
  ~MastodonStream();
  MastodonStream(const MastodonStream&) = delete;
  MastodonStream& operator=(const MastodonStream&) = delete;

  // One thread per hashtag.
  void Start();
  // Closes the connections (within about a second) and joins the threads.
  void Stop();

 private:
  struct Connection;
  void Run(const std::string& tag);
  // Connects once and reads until the stream ends; returns why it ended ("" when stopped) and
  // whether it carried anything (an event or a heartbeat).
  std::string Read(const std::string& tag, bool* carried);
  bool Stopping();

  SourceConfig config_;
  std::vector<std::string> tags_;
  StreamHooks hooks_;
  StreamOptions options_;

  std::mutex mu_;  // guards stopping_ (with cv_)
  std::condition_variable cv_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace lifeline::listen
