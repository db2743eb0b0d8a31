// core::WorkQueue: jobs run in order on one thread, Stop runs what is queued, WaitIdle waits for
// the running job too.
#include "core/work_queue.h"

#include <atomic>
#include <vector>

#include <gtest/gtest.h>

namespace lifeline::core {
namespace {

using std::chrono::seconds;

TEST(WorkQueue, RunsJobsInOrderOnOneThreadAndDrainsOnStop) {
  std::vector<int> ran;  // only the worker touches it until Stop returns
  std::thread::id worker;
  {
    WorkQueue q;
    std::mutex gate;
    gate.lock();  // holds the first job so the others queue behind it
    ASSERT_TRUE(q.Post([&] {
      std::lock_guard g(gate);
      worker = std::this_thread::get_id();
      ran.push_back(0);
    }));
    for (int i = 1; i < 100; ++i) {
      ASSERT_TRUE(q.Post([&, i] {
        EXPECT_EQ(std::this_thread::get_id(), worker);
        ran.push_back(i);
      }));
    }
    EXPECT_FALSE(q.WaitIdle(std::chrono::milliseconds(1))) << "the first job is still running";
    gate.unlock();
    q.Stop();
    EXPECT_FALSE(q.Post([] {})) << "refused after Stop";
  }
  ASSERT_EQ(ran.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(ran[i], i);
  EXPECT_NE(worker, std::this_thread::get_id());
}

TEST(WorkQueue, WaitIdleWaitsForTheRunningJob) {
  WorkQueue q;
  std::atomic<bool> done = false;
  ASSERT_TRUE(q.Post([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    done = true;
  }));
  EXPECT_TRUE(q.WaitIdle(seconds(30)));
  EXPECT_TRUE(done);
  EXPECT_TRUE(q.WaitIdle(seconds(0))) << "idle: returns at once";
}

TEST(WorkQueue, StopCanDropWhatIsQueued) {
  std::atomic<int> ran = 0;
  {
    WorkQueue q;
    std::atomic<bool> started = false;
    std::atomic<bool> open = false;
    ASSERT_TRUE(q.Post([&] {
      started = true;
      while (!open) std::this_thread::yield();
      ++ran;
    }));
    ASSERT_TRUE(q.Post([&] { ++ran; }));
    while (!started) std::this_thread::yield();  // the first job runs, the second waits
    std::thread release([&] {
      // Once Post is refused, Stop has dropped the queue (under the same lock): let job 1 end.
      while (q.Post([] {})) std::this_thread::yield();
      open = true;
    });
    q.Stop(/*run_queued=*/false);
    release.join();
  }
  EXPECT_EQ(ran, 1) << "the running job finishes; the queued one is dropped";
}

}  // namespace
}  // namespace lifeline::core
