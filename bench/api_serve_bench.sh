#!/usr/bin/env bash
# GET /v1/platforms under wrk against the real `lifeline serve`: the bundled catalog (20
# platforms), a viewer token, the engine running its rounds. Inside an empty network namespace
# (only loopback), so the catalog's real hosts are never contacted: every round ends no_network.
# Usage: bench/api_serve_bench.sh BUILD_DIR [RUNS]   (as root; needs wrk)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/util.sh"
build=$(cd "${1:?usage: api_serve_bench.sh BUILD_DIR [RUNS]}" && pwd)
runs=${2:-3}
command -v wrk >/dev/null || { echo "api_serve_bench: wrk is missing (scripts/install-deps --bench)" >&2; exit 1; }
if [[ ${LIFELINE_IN_NETNS:-} != 1 ]]; then
  exec env LIFELINE_IN_NETNS=1 unshare -n "$0" "$@"
fi
ip link set lo up
work=$(mktemp -d /tmp/llapiserve.XXXXXX)
trap 'kill $pid 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
cat >"$work/config.yaml" <<'YAML'
serve:
  interval: 5s
YAML
token=$("$build/lifeline" token create --name bench --role viewer --config "$work/config.yaml" \
  --data-dir "$work/data")
"$build/lifeline" serve --config "$work/config.yaml" --data-dir "$work/data" \
  --listen 127.0.0.1:18080 >"$work/serve.log" 2>&1 &
pid=$!
url=http://127.0.0.1:18080/v1/platforms
for _ in $(seq 100); do curl -sf -H "Authorization: Bearer $token" "$url" >/dev/null && break; sleep 0.1; done
body=$(curl -sf -H "Authorization: Bearer $token" "$url") || { cat "$work/serve.log" >&2; exit 1; }
echo "serve: $(wc -c <<<"$body") bytes per answer; load average $(cut -d' ' -f1-3 /proc/loadavg)"
wrk -t1 -c32 -d2s -H "Authorization: Bearer $token" "$url" >/dev/null  # warm-up
for r in $(seq "$runs"); do
  t0=$(cpu_ticks "$pid"); s0=$(date +%s.%N)
  report=$(wrk -t1 -c"${CONNECTIONS:-32}" -d"${DURATION:-10s}" --latency \
    -H "Authorization: Bearer $token" "$url")
  t1=$(cpu_ticks "$pid"); s1=$(date +%s.%N)
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$report")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$report")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$report")
  errors=$(grep -E 'Non-2xx|Socket errors' <<<"$report" || true)
  cpu=$(awk -v a="$t0" -v b="$t1" -v s="$s0" -v e="$s1" -v hz="$tick_hz" \
    'BEGIN {printf "%.0f", 100 * (b - a) / hz / (e - s)}')
  echo "run $r: ${rps} req/s, p50 ${p50}, p99 ${p99}, serve CPU ${cpu}% of one core${errors:+ ($errors)};" \
    "load average $(cut -d' ' -f1 /proc/loadavg)"
done
echo "target: >= 10000 req/s, p99 < 10 ms"
