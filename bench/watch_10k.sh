#!/usr/bin/env bash
# `lifeline serve` watching 10,000 plain-HTTP endpoints on a local nginx every 10 s (issue 3):
# CPU (% of one core), RSS (steady and peak), probe start lateness and probes done per second.
# Usage: bench/watch_10k.sh BUILD_DIR [RUNS] — each run is a fresh `lifeline serve` with an empty
# database: WARMUP seconds (default 40) then a WINDOW-second measurement (default 60).
# Environment: ENDPOINTS (10000), INTERVAL (10s), WARMUP, WINDOW, KEEP=1 keeps the temp dir.
set -euo pipefail
build=${1:?usage: watch_10k.sh BUILD_DIR [RUNS]}
runs=${2:-3}
endpoints=${ENDPOINTS:-10000}
interval=${INTERVAL:-10s}
warmup=${WARMUP:-40}
window=${WINDOW:-60}
lifeline=$(cd "$build" && pwd)/lifeline
[[ -x $lifeline ]] || { echo "no lifeline binary in $build" >&2; exit 2; }
command -v nginx >/dev/null || { echo "nginx missing: scripts/install-deps" >&2; exit 2; }

work=$(mktemp -d /tmp/llwatch10k.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [[ ${KEEP:-0} == 1 ]]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
ulimit -n 16384

source "$(dirname "${BASH_SOURCE[0]}")/util.sh"
status_kb() { awk -v k="$2:" '$1==k {print $2}' "/proc/$1/status"; }

endpoint_nginx "$work" 16384 4096 8192

# What a user watching 10,000 endpoints of their own would write: the catalog's platforms off,
# their own control endpoint, no public resolvers, no vantage points, no status pages.
{
  printf 'serve:\n  interval: %s\n  data_dir: data\n' "$interval"
  python3 "$(dirname "${BASH_SOURCE[0]}")/endpoints_config.py" "$nginx_port" "$endpoints"
} >"$work/lifeline.yaml"


echo "watch_10k: $endpoints endpoints every $interval, nginx on 127.0.0.1:$nginx_port;" \
  "warm-up ${warmup}s, window ${window}s, $runs run(s); $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"
printf "%-4s %7s %8s %8s %10s %9s %7s %7s %7s %7s %9s %6s\n" run cpu% rss_mb hwm_mb probes/s \
  expected p50_s p90_s p99_s max_s run_max_s load1
results=()
for run in $(seq "$runs"); do
  api_port=$(free_port)
  rm -rf "$work/data"
  (cd "$work" && exec "$lifeline" serve --config "$work/lifeline.yaml" \
    --listen "127.0.0.1:$api_port" >"$work/serve.$run.log" 2>&1) &
  serve=$!
  pids+=($serve)
  for _ in $(seq 300); do curl -sf "http://127.0.0.1:$api_port/healthz" >/dev/null && break; sleep 0.1; done
  sleep "$warmup"
  # Scrapes happen outside the CPU window: /metrics of 10,000 platforms is itself megabytes.
  curl -sf "http://127.0.0.1:$api_port/metrics" >"$work/m0"
  t0=$(date +%s.%N); c0=$(cpu_ticks "$serve")
  rss_samples=()
  end=$(($(date +%s) + window))
  while (($(date +%s) < end)); do
    sleep 1
    rss_samples+=("$(status_kb "$serve" VmRSS)")
  done
  c1=$(cpu_ticks "$serve"); t1=$(date +%s.%N)
  hwm=$(status_kb "$serve" VmHWM)
  curl -sf "http://127.0.0.1:$api_port/metrics" >"$work/m1"
  load1=$(cut -d' ' -f1 /proc/loadavg)
  kill -TERM "$serve"; wait "$serve" || true
  name=lifeline_probe_start_lateness_seconds
  probes=$(python3 -c "print($(metric "$work/m1" ${name}_count) - $(metric "$work/m0" ${name}_count))")
  row=$(python3 - "$c0" "$c1" "$t0" "$t1" "$tick_hz" "$probes" "$endpoints" "$interval" \
    "$(printf '%s\n' "${rss_samples[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')" \
    "$hwm" <<'PY'
import sys
c0, c1, t0, t1, hz, probes, n, interval, rss, hwm = sys.argv[1:]
wall = float(t1) - float(t0)
secs = float(interval.rstrip("s"))
print(f"{100 * (int(c1) - int(c0)) / int(hz) / wall:.1f} {int(rss) / 1024:.1f} {int(hwm) / 1024:.1f} "
      f"{float(probes) / wall:.0f} {int(n) / secs:.0f}")
PY
)
  read -r cpu rss hwm_mb rate expected <<<"$row"
  p50=$(hist_quantile "$work/m0" "$work/m1" $name 0.5)
  p90=$(hist_quantile "$work/m0" "$work/m1" $name 0.9)
  p99=$(hist_quantile "$work/m0" "$work/m1" $name 0.99)
  pmax=$(hist_quantile "$work/m0" "$work/m1" $name 1)
  run_max=$(metric "$work/m1" lifeline_probe_start_lateness_max_seconds)
  printf "%-4s %7s %8s %8s %10s %9s %7s %7s %7s %7s %9.3f %6s\n" "$run" "$cpu" "$rss" "$hwm_mb" \
    "$rate" "$expected" "$p50" "$p90" "$p99" "$pmax" "$run_max" "$load1"
  results+=("$cpu $rss $hwm_mb $rate $run_max")
  grep -E "store|failed|error" "$work/serve.$run.log" | head -5 || true
done
printf '%s\n' "${results[@]}" | python3 -c '
import statistics, sys
rows = [list(map(float, l.split())) for l in sys.stdin if l.strip()]
cols = list(zip(*rows))
m = [statistics.median(c) for c in cols]
print(f"median: cpu {m[0]:.1f}% of one core, rss {m[1]:.1f} MB, peak rss {m[2]:.1f} MB, "
      f"{m[3]:.0f} probes/s, latest probe start {m[4]:.3f} s")
print("targets: cpu < 10%, rss < 150 MB, no probe starting more than 1 s late")'
echo "quantiles: bucket bounds of lifeline_probe_start_lateness_seconds over the window (the value" \
  "is at or below it); run_max_s: exact latest start since the process began (warm-up included)"
