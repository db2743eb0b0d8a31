#!/usr/bin/env bash
# Several `lifeline serve` instances on one PostgreSQL sharing the watch of many endpoints
# (issue 12: 100,000 endpoints every 30 s on three instances): per instance CPU (% of one core),
# RSS (steady and peak), probes/s and probe start lateness; PostgreSQL's CPU and write rate
# (rows inserted/updated/deleted and commits per second, pg_stat_database) over the same window.
# Usage: bench/watch_cluster.sh BUILD_DIR [RUNS]
# Environment: ENDPOINTS (100000), INTERVAL (30s), INSTANCES (3), WARMUP (90), WINDOW (60),
# KEEP=1 keeps the temp dir. One nginx worker answers every /e/N on 127.0.0.1; PostgreSQL is a
# throw-away cluster on a Unix socket in the temp dir, with its default durability (fsync on).
set -euo pipefail
build=${1:?usage: watch_cluster.sh BUILD_DIR [RUNS]}
runs=${2:-1}
endpoints=${ENDPOINTS:-100000}
interval=${INTERVAL:-30s}
instances=${INSTANCES:-3}
warmup=${WARMUP:-90}
window=${WINDOW:-60}
lifeline=$(cd "$build" && pwd)/lifeline
[[ -x $lifeline ]] || { echo "no lifeline binary in $build" >&2; exit 2; }
command -v nginx >/dev/null || { echo "nginx missing: scripts/install-deps --bench" >&2; exit 2; }
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
[[ -x $pgbin/initdb ]] || { echo "PostgreSQL missing: scripts/install-deps" >&2; exit 2; }

work=$(mktemp -d /tmp/llcluster.XXXXXX)
owner=$(id -un)
[[ $(id -u) == 0 ]] && owner=postgres && chown postgres "$work"
as_owner() { if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  as_owner "$pgbin/pg_ctl" -D "$work/pg" -m fast -w stop >/dev/null 2>&1 || true
  if [[ ${KEEP:-0} == 1 ]]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)"  # a probe is a socket; concurrency is 256 by default

source "$(dirname "${BASH_SOURCE[0]}")/util.sh"
status_kb() { awk -v k="$2:" '$1==k {print $2}' "/proc/$1/status"; }

endpoint_nginx "$work" 16384 8192 16384

as_owner "$pgbin/initdb" -D "$work/pg" -U lifeline --auth=trust -E UTF8 --locale=C >"$work/initdb.log"
as_owner "$pgbin/pg_ctl" -D "$work/pg" -l "$work/pg.log" -w -t 60 \
  -o "-k $work -p 5432 -c listen_addresses= -c max_connections=200" start >/dev/null
psql() { "$pgbin/psql" -h "$work" -p 5432 -U lifeline -d "$1" -Atqc "$2"; }

# Three instances, one config: the catalog off, ENDPOINTS platforms in failure domains of 100
# (the leases), each one plain-HTTP probe, the store in PostgreSQL.
{
  printf 'serve:\n  interval: %s\n' "$interval"
  printf 'store:\n  url: "postgresql://lifeline@/lifeline?host=%s&port=5432"\n' "$work"
  python3 "$(dirname "${BASH_SOURCE[0]}")/endpoints_config.py" "$nginx_port" "$endpoints"
} >"$work/lifeline.yaml"

pg_stats() {
  psql lifeline "SELECT xact_commit, tup_inserted, tup_updated, tup_deleted FROM pg_stat_database
                 WHERE datname = 'lifeline'" | tr '|' ' '
}
pg_ticks() {  # CPU ticks of every postgres process
  local t=0
  for p in $(pgrep -u "$owner" -f "postgres" || true); do
    [[ -r /proc/$p/stat ]] && t=$((t + $(awk '{print $14+$15}' "/proc/$p/stat" 2>/dev/null || echo 0)))
  done
  echo $t
}

echo "watch_cluster: $endpoints endpoints every $interval on $instances instances, nginx" \
  "127.0.0.1:$nginx_port, PostgreSQL $("$pgbin/postgres" --version | awk '{print $3}');" \
  "warm-up ${warmup}s, window ${window}s; $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"
for run in $(seq "$runs"); do
  psql postgres "DROP DATABASE IF EXISTS lifeline" >/dev/null
  psql postgres "CREATE DATABASE lifeline" >/dev/null
  serves=(); ports=()
  for i in $(seq "$instances"); do
    port=$(free_port)
    rm -rf "$work/data$i"
    (cd "$work" && exec "$lifeline" serve --config "$work/lifeline.yaml" --data-dir "$work/data$i" \
      --listen "127.0.0.1:$port" >"$work/serve$i.$run.log" 2>&1) &
    serves+=($!); ports+=("$port"); pids+=($!)
  done
  for port in "${ports[@]}"; do
    for _ in $(seq 1200); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
  done
  sleep "$warmup"
  for i in "${!serves[@]}"; do curl -sf "http://127.0.0.1:${ports[$i]}/metrics" >"$work/m0.$i"; done
  t0=$(date +%s.%N); pg0=$(pg_stats); pgc0=$(pg_ticks)
  c0=(); for p in "${serves[@]}"; do c0+=("$(cpu_ticks "$p")"); done
  declare -A rss=()
  end=$(($(date +%s) + window))
  while (($(date +%s) < end)); do
    sleep 1
    for i in "${!serves[@]}"; do rss[$i]+="$(status_kb "${serves[$i]}" VmRSS) "; done
  done
  c1=(); for p in "${serves[@]}"; do c1+=("$(cpu_ticks "$p")"); done
  t1=$(date +%s.%N); pg1=$(pg_stats); pgc1=$(pg_ticks)
  for i in "${!serves[@]}"; do curl -sf "http://127.0.0.1:${ports[$i]}/metrics" >"$work/m1.$i"; done
  load1=$(cut -d' ' -f1 /proc/loadavg)
  printf "run %s (load %s)\n%-9s %6s %8s %8s %9s %7s %7s %7s %7s %9s %7s %8s %8s\n" "$run" "$load1" \
    instance cpu% rss_mb hwm_mb probes/s p50_s p90_s p99_s max_s run_max_s leases lag_p99 lag_max
  name=lifeline_probe_start_lateness_seconds
  total=0
  for i in "${!serves[@]}"; do
    p=${serves[$i]}
    hwm=$(status_kb "$p" VmHWM)
    probes=$(python3 -c "print($(metric "$work/m1.$i" ${name}_count) - $(metric "$work/m0.$i" ${name}_count))")
    held=$(grep -o "holds [0-9]* of [0-9]* leases" "$work/serve$((i + 1)).$run.log" | tail -1 | awk '{print $2"/"$4}')
    read -r cpu rssm hwmm rate <<<"$(python3 - "${c0[$i]}" "${c1[$i]}" "$t0" "$t1" "$tick_hz" "$probes" "$hwm" ${rss[$i]} <<'PY'
import statistics, sys
c0, c1, t0, t1, hz, probes, hwm, *rss = sys.argv[1:]
wall = float(t1) - float(t0)
print(f"{100 * (int(c1) - int(c0)) / int(hz) / wall:.1f} {statistics.median(map(int, rss)) / 1024:.1f} "
      f"{int(hwm) / 1024:.1f} {float(probes) / wall:.0f}")
PY
)"
    total=$(python3 -c "print($total + $rate)")
    printf "%-9s %6s %8s %8s %9s %7s %7s %7s %7s %9.3f %7s %8s %8s\n" "serve$((i + 1))" "$cpu" "$rssm" "$hwmm" "$rate" \
      "$(hist_quantile "$work/m0.$i" "$work/m1.$i" $name 0.5)" \
      "$(hist_quantile "$work/m0.$i" "$work/m1.$i" $name 0.9)" \
      "$(hist_quantile "$work/m0.$i" "$work/m1.$i" $name 0.99)" \
      "$(hist_quantile "$work/m0.$i" "$work/m1.$i" $name 1)" \
      "$(metric "$work/m1.$i" lifeline_probe_start_lateness_max_seconds)" "$held" \
      "$(hist_quantile "$work/m0.$i" "$work/m1.$i" lifeline_event_loop_lag_seconds 0.99)" \
      "$(hist_quantile "$work/m0.$i" "$work/m1.$i" lifeline_event_loop_lag_seconds 1)"
  done
  python3 - "$pg0" "$pg1" "$pgc0" "$pgc1" "$t0" "$t1" "$tick_hz" "$total" "$endpoints" "$interval" <<'PY'
import sys
pg0, pg1 = [list(map(int, s.split())) for s in sys.argv[1:3]]
pgc0, pgc1, t0, t1, hz, total, n, interval = sys.argv[3:]
wall = float(t1) - float(t0)
d = [(b - a) / wall for a, b in zip(pg0, pg1)]
print(f"all       probes/s {float(total):.0f} (expected {int(n) / float(interval.rstrip('s')):.0f})")
print(f"postgres  cpu {100 * (int(pgc1) - int(pgc0)) / int(hz) / wall:.1f}% of one core; per second: "
      f"{d[0]:.0f} commits, {d[1]:.0f} rows inserted, {d[2]:.0f} updated, {d[3]:.0f} deleted")
PY
  grep -hE "store:|failed|error" "$work"/serve*."$run".log | head -5 || true
  for p in "${serves[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${serves[@]}"; do wait "$p" 2>/dev/null || true; done
done
echo "quantiles: bucket bounds of lifeline_probe_start_lateness_seconds over the window (at or" \
  "below); run_max_s: the latest start since the instance began (warm-up and takeovers included);" \
  "lag_*: lifeline_event_loop_lag_seconds over the window (how late the engine's loop ran a timer)"
