// Listening's collection loop: each source polled on its own worker thread, every term in turn,
// what it brings stored once (store/listening.h) with its sentiment and queries; after each round
// every query's hours are judged with the spike detector, the decision stored and, for a new spike
// or a newly complete hour, a `listening` event published. Polling runs on worker threads, not on
// the durable timers: it recurs forever, is safe to repeat, and resumes after a restart from the
// cursors in the store, so there is nothing due later that a restart could lose.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "channels/http.h"
#include "core/listeners.h"
#include "core/result.h"
#include "listen/config.h"
#include "listen/sources.h"
#include "listen/spike.h"
#include "listen/stream.h"
#include "listen/vader.h"
#include "store/store.h"

namespace lifeline::listen {

// What the listener tells its subscribers, once stored.
struct ListenEvent {
  std::string kind;  // "spike" (a spike fired), "hour" (an hour completed), "source" (a source's
                     // state changed: rate limited, failing, recovered)
  nlohmann::json data;
};

struct ListenerOptions {
  std::function<void(const std::string&)> log;  // null: silent
};

class Listener {
 public:
  // `store` and `http` must outlive the listener. `http` must not cut answers shorter than
  // config.max_body_bytes + 1.
  Listener(ListenConfig config, store::Store& store, channels::HttpClient& http,
           ListenerOptions options = {});
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  bool empty() const { return !config_.configured; }
  const ListenConfig& config() const { return config_; }
  const std::vector<std::unique_ptr<Source>>& sources() const { return sources_; }

  // Starts one worker per source (nothing without a `listen:` section); a mastodon source with
  // `streaming` gets one stream per hashtag instead (stream.h).
  [[nodiscard]] core::Status Start();
  // Stops the workers; a poll in progress finishes and is stored.
  void Stop();

  // One poll of every term of every source that is due at `now` (rate limits and back-off
  // respected), then the queries judged: what the workers do each round, callable from a test.
  void RunOnce(std::chrono::system_clock::time_point now);
  // Polls one source's terms that are due at `now` and stores what they bring.
  void PollSource(std::size_t index, std::chrono::system_clock::time_point now);
  // Judges every query at `now`, stores the decisions, publishes new spikes and complete hours.
  void Judge(std::chrono::system_clock::time_point now);

  // Stores posts that source `source` (a config name) delivered rather than polled — a stream,
  // a webhook — each with its sentiment and queries, the hour marked as collected. `term`: what
  // the source found them by ("" = matched by their text only). `cursor`, when not empty,
  // becomes the term's cursor if it is newer (Mastodon ids). kNotFound naming an unknown source.
  [[nodiscard]] core::Result<store::ListenAddResult> StoreDelivered(const std::string& source,
                                                                    const std::string& term,
                                                                    const std::vector<Post>& posts,
                                                                    const std::string& cursor,
                                                                    TimePoint now);

  // The hourly counts of `query` over [from, to), hours without collection marked missing.
  [[nodiscard]] core::Result<Series> SeriesOf(const Query& query, Hour from, Hour to);

  // Sinks run on a worker thread and must only queue. Unsubscribes when the handle is destroyed.
  [[nodiscard]] std::unique_ptr<core::Subscription> Subscribe(
      std::function<void(const ListenEvent&)> sink) {
    return listeners_.Add(std::move(sink));
  }

  const Vader& vader() const { return vader_; }

 private:
  struct TermState {
    std::chrono::system_clock::time_point next{};  // not polled before
    int failures = 0;                              // in a row, for the back-off
    std::string outcome;                           // the last one, to publish changes only
  };

  void Worker(std::size_t index);
  // Polls one term (when due, or regardless of the schedule with `catch_up`, a rate limit
  // aside) and stores what it brings; nullopt when it was not polled.
  std::optional<PollResult> PollTerm(std::size_t index, const std::string& term, TimePoint now,
                                     bool catch_up);
  std::vector<store::ListenPost> Rows(const std::vector<Post>& posts, const std::string& term,
                                      const Source& source, TimePoint now) const;
  StreamHooks Hooks(std::size_t index);
  void Log(const std::string& line) const {
    if (options_.log) options_.log(line);
  }
  std::vector<std::string> QueriesOf(const Post& post, const std::string& term,
                                     const Source& source) const;

  ListenConfig config_;
  store::Store& store_;
  channels::HttpClient& http_;
  ListenerOptions options_;
  const Vader& vader_;
  std::vector<std::unique_ptr<Source>> sources_;

  std::mutex terms_mu_;  // guards terms_
  std::map<std::pair<std::size_t, std::string>, TermState> terms_;

  std::mutex judge_mu_;                    // serialises Judge; guards last_hour_
  std::map<std::string, Hour> last_hour_;  // per query: the last complete hour published

  std::mutex stop_mu_;  // guards stopping_ (with stop_cv_)
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
  std::vector<std::unique_ptr<MastodonStream>> streams_;

  std::mutex stream_mu_;  // guards the two maps below (streams' hooks run on their threads)
  std::map<std::string, Hour> stream_covered_;       // per "source/tag": hour last marked
  std::map<std::size_t, TimePoint> stream_judged_;   // per source: when it last judged
  std::map<std::string, std::string> stream_state_;  // per "source/tag": last error ("" ok)

  core::Listeners<ListenEvent> listeners_;
};

// The hourly counts of `query` over [from, to) as the store holds them: the series starts at the
// first hour in which collection ran, and hours without collection are missing (Listener::SeriesOf;
// the incident report reads it too).
[[nodiscard]] core::Result<Series> StoredSeries(store::ListeningStore& store,
                                                std::string_view query, Hour from, Hour to);

// The diagnosis evidence line of a platform's outage chatter at `now`: "" unless its chatter query
// is spiking in the last complete hour or the one in progress (the detector's own line, prefixed
// "outage chatter on NAME: "). Never a verdict by itself: the serve engine adds it to the
// platform's evidence beside the crowd reports.
[[nodiscard]] core::Result<std::string> ChatterEvidence(store::ListeningStore& store,
                                                        std::string_view platform,
                                                        std::string_view platform_name,
                                                        std::chrono::system_clock::time_point now);
// The same for every platform at once, with one read (a round of thousands of platforms asks
// once, not once per platform): platform id -> the detector's line, for the spiking ones only.
// ChatterLine(name, line) makes the evidence line.
[[nodiscard]] core::Result<std::map<std::string, std::string>> SpikingChatter(
    store::ListeningStore& store, std::chrono::system_clock::time_point now);
std::string ChatterLine(std::string_view platform_name, std::string_view spike_evidence);

}  // namespace lifeline::listen
