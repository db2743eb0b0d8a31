// Mastodon's hashtag stream (stream.h): libcurl reads the server-sent events on one thread per
// hashtag; its progress callback (about once a second) runs the catch-up poll, the tick and the
// stop check, so that everything for one hashtag happens on its own thread in order.
#include "listen/stream.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <mutex>

#include <fmt/format.h>

#include "listen/sources.h"

namespace lifeline::listen {

using namespace std::chrono;

// ---- SseParser ----

std::vector<SseEvent> SseParser::Feed(std::string_view chunk) {
  std::vector<SseEvent> out;
  for (char c : chunk) {
    if (skip_lf_) {
      skip_lf_ = false;
      if (c == '\n') continue;
    }
    if (c == '\r' || c == '\n') {
      skip_lf_ = c == '\r';
      Line(buffer_, out);
      buffer_.clear();
      continue;
    }
    if (buffer_.size() >= max_) {
      overflow_ = true;
      buffer_.clear();
      continue;
    }
    buffer_ += c;
  }
  return out;
}

void SseParser::Line(std::string_view line, std::vector<SseEvent>& out) {
  if (line.empty()) {
    // A blank line dispatches the event (one without data is dropped, as the standard says).
    if (has_data_) {
      if (pending_.event.empty()) pending_.event = "message";
      out.push_back(std::move(pending_));
    }
    pending_ = {};
    has_data_ = false;
    return;
  }
  if (line[0] == ':') {
    ++comments_;
    return;
  }
  std::string_view field = line, value;
  if (auto colon = line.find(':'); colon != std::string_view::npos) {
    field = line.substr(0, colon);
    value = line.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') value.remove_prefix(1);
  }
  if (field == "event") {
    pending_.event = std::string(value);
  } else if (field == "data") {
    if (has_data_) pending_.data += '\n';
    if (pending_.data.size() + value.size() > max_) {
      overflow_ = true;
      return;
    }
    pending_.data += value;
    has_data_ = true;
  }
  // "id" and "retry" are not used: Mastodon sends neither; a catch-up poll replaces Last-Event-ID.
}

std::string HashtagStreamUrl(std::string_view root, std::string_view tag) {
  std::string out = std::string(root) + "/api/v1/streaming/hashtag?tag=";
  for (unsigned char c : tag) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

// ---- MastodonStream ----

// One connection's state, reached from libcurl's callbacks.
struct MastodonStream::Connection {
  MastodonStream* self = nullptr;
  const std::string* tag = nullptr;
  CURL* curl = nullptr;
  SseParser parser;
  bool answered = false;  // the status line was read and was 200
  std::string error;      // why the connection is being dropped by us
  bool carried = false;
  bool catch_up_owed = true;
  steady_clock::time_point next_catch_up{};
  std::string streamed_newest;  // the newest id that came on the stream
  steady_clock::time_point last_tick{};
};

namespace {

bool IdLess(const std::string& a, const std::string& b) {
  return a.size() != b.size() ? a.size() < b.size() : a < b;
}

}  // namespace

MastodonStream::MastodonStream(SourceConfig config, std::vector<std::string> tags,
                               StreamHooks hooks, StreamOptions options)
    : config_(std::move(config)),
      tags_(std::move(tags)),
      hooks_(std::move(hooks)),
      options_(options) {}

MastodonStream::~MastodonStream() { Stop(); }

void MastodonStream::Start() {
  static std::once_flag once;  // curl_global_init is not thread-safe itself
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  {
    std::lock_guard lock(mu_);
    stopping_ = false;
  }
  for (const std::string& tag : tags_) {
    threads_.emplace_back([this, &tag] { Run(tag); });
  }
}

void MastodonStream::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

bool MastodonStream::Stopping() {
  std::lock_guard lock(mu_);
  return stopping_;
}

void MastodonStream::Run(const std::string& tag) {
  milliseconds backoff = options_.initial_backoff;
  while (!Stopping()) {
    bool carried = false;
    std::string why = Read(tag, &carried);
    if (Stopping()) break;
    if (hooks_.state) hooks_.state(tag, false, why, system_clock::now());
    // A connection that carried something was healthy: the next one starts the back-off over.
    if (carried) backoff = options_.initial_backoff;
    std::unique_lock lock(mu_);
    if (cv_.wait_for(lock, backoff, [this] { return stopping_; })) break;
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
}

std::string MastodonStream::Read(const std::string& tag, bool* carried) {
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return "libcurl could not start a connection";
  Connection c;
  c.self = this;
  c.tag = &tag;
  c.curl = curl;
  c.parser = SseParser(options_.max_event_bytes);
  const std::string root = config_.streaming_url.empty() ? config_.base_url : config_.streaming_url;
  const std::string url = HashtagStreamUrl(root, tag);
  curl_slist* headers = curl_slist_append(nullptr, "Accept: text/event-stream");
  const std::string auth = "Authorization: Bearer " + config_.token;
  if (!config_.token.empty()) headers = curl_slist_append(headers, auth.c_str());

  auto on_data = +[](char* ptr, size_t size, size_t n, void* user) -> size_t {
    auto* c = static_cast<Connection*>(user);
    MastodonStream& s = *c->self;
    const std::string& tag = *c->tag;
    if (!c->answered) {
      long status = 0;
      curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
      if (status != 200) {
        c->error = fmt::format("mastodon stream: HTTP {}", status);
        return 0;
      }
      c->answered = true;
      if (s.hooks_.state) s.hooks_.state(tag, true, "", system_clock::now());
    }
    std::vector<Post> posts;
    for (SseEvent& e : c->parser.Feed(std::string_view(ptr, size * n))) {
      c->carried = true;
      if (e.event != "update" && e.event != "status.update") continue;  // delete, filters...
      auto page = ParseMastodonStatuses("[" + e.data + "]");
      if (!page.ok()) continue;  // one malformed event does not end the stream
      if (IdLess(c->streamed_newest, page->newest)) c->streamed_newest = page->newest;
      for (auto& p : page->posts) posts.push_back(std::move(p));
    }
    if (c->parser.comments() > 0) c->carried = true;
    if (c->parser.overflow()) {
      c->error = "mastodon stream: an event larger than the limit: dropped";
      return 0;
    }
    if (!posts.empty() && s.hooks_.store) {
      s.hooks_.store(tag, std::move(posts), c->catch_up_owed ? "" : c->streamed_newest,
                     system_clock::now());
    }
    return size * n;
  };
  auto on_progress = +[](void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) -> int {
    auto* c = static_cast<Connection*>(user);
    MastodonStream& s = *c->self;
    if (s.Stopping()) return 1;
    if (!c->answered) return 0;
    const auto now = steady_clock::now();
    // The catch-up runs once the stream stands, so a post made meanwhile is on one or the other.
    while (c->catch_up_owed && now >= c->next_catch_up && s.hooks_.catch_up && !s.Stopping()) {
      CatchUp r = s.hooks_.catch_up(*c->tag, system_clock::now());
      if (r == CatchUp::kFailed) {
        c->next_catch_up = now + s.options_.catch_up_retry;
        break;
      }
      if (r == CatchUp::kDone) {
        c->catch_up_owed = false;
        // What came on the stream meanwhile moves the cursor now.
        if (!c->streamed_newest.empty() && s.hooks_.store) {
          s.hooks_.store(*c->tag, {}, c->streamed_newest, system_clock::now());
        }
      }
    }
    if (now - c->last_tick >= seconds(1) && s.hooks_.tick) {
      c->last_tick = now;
      s.hooks_.tick(*c->tag, system_clock::now());
    }
    return 0;
  };

  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(std::min<milliseconds>(config_.timeout, seconds(15)).count()));
  // Silence for idle_timeout (no event, no heartbeat) means a dead connection.
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME,
                   static_cast<long>(std::max<seconds::rep>(
                       1, duration_cast<seconds>(options_.idle_timeout).count())));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &c);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &c);
  const CURLcode rc = curl_easy_perform(curl);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  *carried = c.carried;
  if (Stopping()) return "";
  if (!c.error.empty()) return c.error;
  if (rc == CURLE_OK) return "mastodon stream: the server closed the stream";
  return fmt::format("mastodon stream: {}", curl_easy_strerror(rc));
}

}  // namespace lifeline::listen
