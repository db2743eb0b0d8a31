// One worker thread running jobs in the order they were posted: for a part whose event sinks
// (incident notices, relay changes) must only queue, never do the work on the publisher's thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace lifeline::core {

class WorkQueue {
 public:
  WorkQueue();
  ~WorkQueue();  // Stop()
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  // Queues `job`; false (and dropped) once Stop has begun.
  bool Post(std::function<void()> job);
  // Waits until nothing is queued or running; false when `timeout` passed first.
  bool WaitIdle(std::chrono::milliseconds timeout);
  // Refuses new jobs, runs what is queued (or drops it when `run_queued` is false: work that
  // must not hold up a shutdown), joins the thread. Idempotent.
  void Stop(bool run_queued = true);

 private:
  void Run();

  std::mutex mu_;  // guards jobs_, busy_, stopping_
  std::condition_variable work_cv_;
  std::condition_variable idle_cv_;
  std::deque<std::function<void()>> jobs_;
  bool busy_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace lifeline::core
