// Fills serve's outbox with N queued messages for one channel, as a channel down for hours leaves
// it (bench/relay_backlog.sh): the relay built from the same config as serve, not started, so
// EnqueueBatch stores each batch in one durable transaction without delivering anything.
//   outbox_fill --config FILE --data-dir DIR --channel NAME --n N
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/core.h>

#include "channels/runtime.h"
#include "config/config.h"
#include "store/store.h"

namespace {

std::string Arg(int argc, char** argv, std::string_view name, std::string def = "") {
  for (int i = 1; i + 1 < argc; ++i) {
    if (argv[i] == name) return argv[i + 1];
  }
  return def;
}

[[noreturn]] void Die(const std::string& what) {
  fmt::print(stderr, "outbox_fill: {}\n", what);
  std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace lifeline;
  const std::string cfg_path = Arg(argc, argv, "--config");
  const std::string data_dir = Arg(argc, argv, "--data-dir");
  const std::string channel = Arg(argc, argv, "--channel", "sink");
  const long n = std::atol(Arg(argc, argv, "--n", "1000000").c_str());
  if (cfg_path.empty() || data_dir.empty()) Die("usage: --config FILE --data-dir DIR [--n N]");
  auto cfg = config::LoadFile(cfg_path);
  if (!cfg.ok()) Die(cfg.error().ToString());
  cfg->serve.data_dir = data_dir;
  const std::string db = cfg->serve.DatabasePath();
  auto st = store::OpenSqlite(db);
  if (!st.ok()) Die(st.error().ToString());
  channels::RuntimeOptions ro;
  ro.database_path = db;
  auto rt = channels::RelayRuntime::Create(*cfg, **st, ro);
  if (!rt.ok()) Die(rt.error().ToString());
  constexpr long kBatch = 10000;
  std::vector<channels::SendRequest> batch;
  for (long done = 0; done < n;) {
    batch.clear();
    for (long i = 0; i < kBatch && done + i < n; ++i) {
      channels::SendRequest r;
      r.channel = channel;
      r.text = fmt::format("Backlog message {}: Instagram is down; reach us on Telegram", done + i);
      r.idempotency_key = fmt::format("backlog-{}", done + i);
      batch.push_back(std::move(r));
    }
    auto stored = (*rt)->relay().EnqueueBatch(batch);
    if (!stored.ok()) Die(stored.error().ToString());
    done += static_cast<long>(batch.size());
  }
  fmt::print("{} messages queued for {} in {}\n", n, channel, db);
  return 0;
}
