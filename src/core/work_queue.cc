// The worker of core::WorkQueue (work_queue.h).
#include "core/work_queue.h"

#include <utility>

namespace lifeline::core {

WorkQueue::WorkQueue() : thread_([this] { Run(); }) {}

WorkQueue::~WorkQueue() { Stop(); }

bool WorkQueue::Post(std::function<void()> job) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return false;
    jobs_.push_back(std::move(job));
  }
  work_cv_.notify_one();
  return true;
}

bool WorkQueue::WaitIdle(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return idle_cv_.wait_for(lock, timeout, [&] { return jobs_.empty() && !busy_; });
}

void WorkQueue::Stop(bool run_queued) {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    if (!run_queued) jobs_.clear();
  }
  work_cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void WorkQueue::Run() {
  std::unique_lock lock(mu_);
  for (;;) {
    work_cv_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
    if (jobs_.empty()) return;  // stopping, and everything queued has run
    std::function<void()> job = std::move(jobs_.front());
    jobs_.pop_front();
    busy_ = true;
    lock.unlock();
    job();
    lock.lock();
    busy_ = false;
    if (jobs_.empty()) idle_cv_.notify_all();
  }
}

}  // namespace lifeline::core
