// Store write throughput: probe samples inserted in batches (what `lifeline serve` does each
// round), the minute rollup, and incident events (synced to disk before they are acknowledged).
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <filesystem>
#include <string>
#include <vector>

#include "store/store.h"

namespace lifeline::store {
namespace {

const Time kT0 = FromMillis(1'795'773'600'000);

class TempDb {
 public:
  TempDb() {
    std::string tmpl = "/tmp/lifeline_store_bench_XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) std::abort();
    dir_ = tmpl;
    auto s = OpenSqlite(dir_ + "/bench.db");
    if (!s.ok()) {
      fmt::print(stderr, "{}\n", s.error().ToString());
      std::abort();
    }
    store = std::move(*s);
  }
  ~TempDb() {
    store.reset();
    std::filesystem::remove_all(dir_);
  }
  std::unique_ptr<Store> store;

 private:
  std::string dir_;
};

std::vector<ProbeSample> Batch(int n, int round) {
  std::vector<ProbeSample> batch(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    auto& s = batch[static_cast<std::size_t>(i)];
    s.platform = "platform" + std::to_string(i % 50);
    s.probe_id = "web" + std::to_string(i / 50);
    s.at = kT0 + std::chrono::milliseconds(round * 1000 + i);
    s.ok = i % 20 != 0;
    s.total_ms = 20.0 + i % 300;
    s.http_status = s.ok ? 200 : 503;
  }
  return batch;
}

// Samples per second for batches of range(0) samples, one transaction per batch.
void BM_AddProbeSamples(benchmark::State& state) {
  TempDb db;
  int n = static_cast<int>(state.range(0));
  int round = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto batch = Batch(n, round++);
    state.ResumeTiming();
    auto s = db.store->AddProbeSamples(batch);
    if (!s.ok()) state.SkipWithError(s.error().message().c_str());
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_AddProbeSamples)->Arg(1)->Arg(10)->Arg(100)->Arg(1000)->UseRealTime();

// Rolling up one minute holding range(0) samples (percentiles computed from raw samples).
void BM_RollupMinute(benchmark::State& state) {
  TempDb db;
  int n = static_cast<int>(state.range(0));
  auto batch = Batch(n, 0);
  for (auto& s : batch) s.at = kT0 + std::chrono::milliseconds(s.at - kT0) % 60000;
  if (!db.store->AddProbeSamples(batch).ok()) std::abort();
  for (auto _ : state) {
    auto r = db.store->RollupMinutes({kT0, kT0 + std::chrono::minutes(1)});
    if (!r.ok()) state.SkipWithError(r.error().message().c_str());
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_RollupMinute)->Arg(1000)->Arg(10000)->UseRealTime();

// Incident events: each is fsynced (synchronous=FULL) before AppendEvent returns.
void BM_AppendEvent(benchmark::State& state) {
  TempDb db;
  NewIncident n;
  n.platforms = {"whatsapp"};
  n.title = "bench";
  n.opened_at = kT0;
  auto inc = db.store->OpenIncident(n);
  if (!inc.ok()) std::abort();
  int i = 0;
  for (auto _ : state) {
    auto r = db.store->AppendEvent(
        inc->id, {kT0 + std::chrono::seconds(i++), "evidence", "3 of 3 vantage points fail", "{}"});
    if (!r.ok()) state.SkipWithError(r.error().message().c_str());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AppendEvent)->UseRealTime();

}  // namespace
}  // namespace lifeline::store

BENCHMARK_MAIN();
