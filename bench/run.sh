#!/usr/bin/env bash
# Builds the release preset and runs every benchmark; figures go in bench/RESULTS.md by hand,
# with the command that produced them.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --preset release >/dev/null
cmake --build --preset release --target probe_load lifeline
echo "== CPU per probe vs blackbox_exporter"
bash bench/compare_blackbox.sh build/release "${RUNS:-5}"
echo "== 1,000 targets at once: peak RSS"
bash bench/rss_1000.sh build/release
echo "== lifeline serve watching 10,000 endpoints every 10 s: CPU, RSS, probe start lateness"
bash bench/watch_10k.sh build/release "${RUNS:-3}"
