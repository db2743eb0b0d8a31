// The sample writer's loop: wait for a batch or the flush interval, write, roll up, prune.
#include "serve/sample_writer.h"

#include <malloc.h>

#include <fmt/format.h>

namespace lifeline::serve {

SampleWriter::SampleWriter(store::Store& store, Options options)
    : store_(store), options_(std::move(options)) {}

SampleWriter::~SampleWriter() { Stop(); }

void SampleWriter::Start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { Run(); });
}

void SampleWriter::Add(std::vector<store::ProbeSample> samples) {
  if (samples.empty()) return;
  std::lock_guard lock(mu_);
  pending_.insert(pending_.end(), std::make_move_iterator(samples.begin()),
                  std::make_move_iterator(samples.end()));
  if (pending_.size() >= options_.flush_size) cv_.notify_one();
}

void SampleWriter::AddState(store::PlatformState state) {
  {
    std::lock_guard lock(mu_);
    std::string platform = state.platform;
    states_.insert_or_assign(std::move(platform), std::move(state));
  }
  cv_.notify_one();
}

void SampleWriter::WriteStates(std::map<std::string, store::PlatformState>& states) {
  for (const auto& [platform, st] : states) {
    core::Status s = store_.PutPlatformState(st);
    if (!s.ok() && options_.log) {
      options_.log(
          fmt::format("store: saving {}'s state failed: {}", platform, s.error().message()));
    }
    if (options_.on_result) options_.on_result(s);
  }
  states.clear();
}

void SampleWriter::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void SampleWriter::Flush(std::vector<store::ProbeSample>& batch) {
  if (batch.empty()) return;
  core::Status s = store_.AddProbeSamples(batch);
  if (!s.ok() && options_.log) {
    options_.log(
        fmt::format("store: {} probe samples not written: {}", batch.size(), s.error().message()));
  }
  if (options_.on_result) options_.on_result(s);
  batch.clear();
}

void SampleWriter::Run() {
  using Clock = std::chrono::steady_clock;
  auto next_rollup = Clock::now() + options_.rollup_interval;
  auto next_prune = Clock::now();  // once at start: the process may have been down a while
  auto next_flush = Clock::now() + options_.flush_interval;
  std::vector<store::ProbeSample> batch;
  std::map<std::string, store::PlatformState> states;
  bool stopping = false;
  while (!stopping) {
    {
      std::unique_lock lock(mu_);
      cv_.wait_until(lock, next_flush, [&] {
        return stop_ || pending_.size() >= options_.flush_size || !states_.empty();
      });
      stopping = stop_;
      states.swap(states_);
      // Samples go in batches: at the flush interval, or once there are flush_size of them.
      if (stopping || pending_.size() >= options_.flush_size || Clock::now() >= next_flush) {
        batch.swap(pending_);
        next_flush = Clock::now() + options_.flush_interval;
      }
    }
    WriteStates(states);
    Flush(batch);
    const auto now = Clock::now();
    const store::Time wall = store::FromSystem(std::chrono::system_clock::now());
    if (stopping || now >= next_rollup) {
      next_rollup = now + options_.rollup_interval;
      auto r = store_.RollupPending(wall);
      if (!r.ok()) {
        if (options_.log) options_.log("store: rollup failed: " + r.error().message());
        if (options_.on_result) options_.on_result(r.error());
      }
      // A minute's samples were just read and aggregated (60,000 rows with 10,000 platforms every
      // 10 s); glibc keeps freed memory of every thread's arena resident unless asked.
      malloc_trim(0);
    }
    if (!stopping && now >= next_prune) {
      next_prune = now + options_.prune_interval;
      auto p = store_.Prune(wall);
      if (!p.ok()) {
        if (options_.log) options_.log("store: prune failed: " + p.error().message());
        if (options_.on_result) options_.on_result(p.error());
      } else if (options_.log && (p->samples || p->aggregates || p->reports)) {
        options_.log(fmt::format("store: pruned {} samples, {} aggregates, {} reports", p->samples,
                                 p->aggregates, p->reports));
      }
    }
  }
}

}  // namespace lifeline::serve
