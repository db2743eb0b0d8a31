// Writes probe samples to the store in batches on its own thread, and runs the minute rollup and
// the retention prune on schedule, so the engine's event loop never waits for those writes. It
// writes the platforms' last diagnoses (PlatformState) too, as soon as they come.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/result.h"
#include "store/store.h"

namespace lifeline::serve {

class SampleWriter {
 public:
  struct Options {
    std::chrono::milliseconds flush_interval{2000};
    std::size_t flush_size = 5000;
    std::chrono::milliseconds rollup_interval{60000};
    std::chrono::milliseconds prune_interval{3600000};
    // Called on the writer thread when a store call fails (and with Ok after one succeeds).
    std::function<void(const core::Status&)> on_result;
    std::function<void(std::string_view)> log;
  };

  SampleWriter(store::Store& store, Options options);
  ~SampleWriter();  // Stop()s
  SampleWriter(const SampleWriter&) = delete;
  SampleWriter& operator=(const SampleWriter&) = delete;

  void Start();
  // Queues samples (any thread). A batch that fails to write is dropped, not retried forever:
  // samples are history, and the failure shows in Health and the log.
  void Add(std::vector<store::ProbeSample> samples);
  // Queues a platform's last diagnosis (any thread), written at once on the writer thread; a
  // newer one for the same platform queued before that replaces it. A failed write is logged
  // and dropped (the engine writes the platform's state again when it changes, or within 5 min).
  void AddState(store::PlatformState state);
  // Writes what is queued, rolls up the finished minutes and stops the thread. Idempotent.
  void Stop();

 private:
  void Run();
  void Flush(std::vector<store::ProbeSample>& batch);
  void WriteStates(std::map<std::string, store::PlatformState>& states);

  store::Store& store_;
  Options options_;
  std::mutex mu_;  // guards pending_, states_, stop_
  std::condition_variable cv_;
  std::vector<store::ProbeSample> pending_;
  std::map<std::string, store::PlatformState> states_;  // by platform
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace lifeline::serve
