#!/usr/bin/env bash
# Builds the release preset and runs every benchmark; figures go in bench/RESULTS.md by hand,
# with the command that produced them.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --preset release >/dev/null
cmake --build --preset release --target probe_load lifeline api_fake_server relay_load \
  outbox_fill playbook_timers
echo "== CPU per probe vs blackbox_exporter"
bash bench/compare_blackbox.sh build/release "${RUNS:-5}"
echo "== 1,000 targets at once: peak RSS"
bash bench/rss_1000.sh build/release
echo "== lifeline serve watching 10,000 endpoints every 10 s: CPU, RSS, probe start lateness"
bash bench/watch_10k.sh build/release "${RUNS:-3}"
echo "== GET /v1/platforms under wrk: the API transport alone, then the real serve"
bash bench/api_bench.sh build/release
echo "== the relay: enqueue to delivered on SQLite, durable, beside a bare HTTP client"
build/release/bench/relay_load --runs "${RUNS:-5}"
echo "== the relay: an incident opening in serve to the first message on the backup channel"
bash bench/relay_failover.sh build/release "${RUNS:-5}"
echo "== the playbook: notice to first step; 100 platforms at once: timer lateness beside a bare scheduler"
build/release/bench/playbook_timers --runs "${RUNS:-5}"
if [[ $(id -u) == 0 ]]; then
  echo "== the relay: 1,000,000 messages queued: serve's RSS and the outbox API"
  bash bench/relay_backlog.sh build/release 1000000
  bash bench/api_serve_bench.sh build/release "${RUNS:-3}"
  echo "== lifeline check of the full catalog in the namespace test world"
  bash bench/check_world.sh build/release/lifeline "${RUNS:-5}"
else
  echo "(api_serve_bench.sh and check_world.sh need root for network namespaces: skipped)"
fi
