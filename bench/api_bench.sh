#!/usr/bin/env bash
# GET /v1/platforms under wrk: the API transport alone (bench/api_fake_server, one server thread,
# a 12-platform body as the engine would serialize it). Prints requests/s and the p99 latency.
# Usage: bench/api_bench.sh [BUILD_DIR] (default build/release; needs the api_fake_server target)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/util.sh
build=${1:-build/release}
server_bin="$build/bench/api_fake_server"
[[ -x $server_bin ]] || { echo "api_bench: build $server_bin first (target api_fake_server)" >&2; exit 1; }
command -v wrk >/dev/null || { echo "api_bench: wrk is missing (scripts/install-deps --bench)" >&2; exit 1; }

out=$(mktemp /tmp/llapi.XXXXXX)
"$server_bin" --threads "${THREADS:-1}" --platforms "${PLATFORMS:-12}" >"$out" &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -f "$out"' EXIT
for _ in $(seq 100); do grep -q listening "$out" && break; sleep 0.05; done
port=$(sed -n 's/^listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$out")
[[ -n $port ]] || { echo "api_bench: the server did not start" >&2; cat "$out" >&2; exit 1; }
echo "server: $(cat "$out")"
url="http://127.0.0.1:$port/v1/platforms"
curl -sf "$url" >/dev/null
wrk -t1 -c32 -d2s "$url" >/dev/null  # warm-up
t0=$(cpu_ticks "$pid"); s0=$(date +%s.%N)
TIMEFORMAT='%R %U %S'
wrk_times=$( { time wrk -t1 -c"${CONNECTIONS:-32}" -d"${DURATION:-10s}" --latency "$url" >"$out.wrk"; } 2>&1 )
report=$(cat "$out.wrk"); rm -f "$out.wrk"
t1=$(cpu_ticks "$pid"); s1=$(date +%s.%N)
echo "$report"
rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$report")
p99=$(awk '$1 == "99%" {print $2}' <<<"$report")
errors=$(grep -E 'Non-2xx|Socket errors' <<<"$report" || true)
echo "== GET /v1/platforms: ${rps} req/s, p99 ${p99}${errors:+ ($errors)}"
cpu=$(awk -v a="$t0" -v b="$t1" -v s="$s0" -v e="$s1" -v hz="$tick_hz" \
  'BEGIN {printf "%.0f", 100 * (b - a) / hz / (e - s)}')
wrk_cpu=$(awk '{printf "%.0f", 100 * ($2 + $3) / $1}' <<<"$wrk_times")
echo "   CPU during the run: server ${cpu}%, wrk ${wrk_cpu}% of one core; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
