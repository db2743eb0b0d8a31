#!/usr/bin/env bash
# CPU per probe, Lifeline vs Prometheus blackbox_exporter, side by side in one run against the same
# local nginx (plain HTTP, and HTTPS with an ECDSA P-256 certificate). Loopback only.
# Usage: bench/compare_blackbox.sh BUILD_DIR [RUNS]   Prints each run and the medians and ratios.
# HTTPS is measured twice for Lifeline: as it probes (resuming each host's TLS session, full
# verification at least every 5 minutes) and with resumption off (a full handshake every probe,
# like blackbox_exporter).
set -euo pipefail
build=${1:?usage: compare_blackbox.sh BUILD_DIR [RUNS]}
runs=${2:-5}
duration=${DURATION:-8}
probes=${PROBES:-20000}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
bb_port=$(free_port)
cat > "$work/blackbox.yml" <<BB
modules:
  http_plain:
    prober: http
    timeout: 5s
    http: { valid_status_codes: [200], preferred_ip_protocol: ip4 }
  http_tls:
    prober: http
    timeout: 5s
    http: { valid_status_codes: [200], preferred_ip_protocol: ip4, tls_config: { ca_file: $work/ca.pem } }
BB
prometheus-blackbox-exporter --config.file="$work/blackbox.yml" \
  --web.listen-address="127.0.0.1:$bb_port" --log.level=error &
bb_pid=$!
pids+=($bb_pid)
for _ in $(seq 50); do
  curl -sf "http://127.0.0.1:$bb_port/metrics" >/dev/null && break
  sleep 0.1
done

# blackbox_exporter: wrk drives /probe; CPU of the exporter process per completed probe.
blackbox_ms_per_probe() {  # module target
  local url="http://127.0.0.1:$bb_port/probe?module=$1&target=$2"
  curl -sf "$url" | grep -q '^probe_success 1' || { echo "blackbox probe of $2 fails" >&2; exit 1; }
  local c0 c1 n
  c0=$(cpu_ticks "$bb_pid")
  n=$(wrk -t1 -c8 -d"${duration}s" "$url" | awk '/requests in/ {print $1}')
  c1=$(cpu_ticks "$bb_pid")
  python3 -c "print(f'{($c1-$c0)/$tick_hz*1000/$n:.4f}')"
}
lifeline_ms_per_probe() {  # url [ca [on|off]]
  local extra=()
  [[ -n "${2:-}" ]] && extra=(--ca-file "$2" --tls-resumption "${3:-on}")
  "$build/bench/probe_load" --url "$1" --count "$probes" --concurrency 8 "${extra[@]}" |
    sed -n 's/.*cpu_ms_per_probe=\([0-9.]*\).*/\1/p'
}

declare -a bh lh bs ls_ lf
for r in $(seq "$runs"); do
  b1=$(blackbox_ms_per_probe http_plain "http://127.0.0.1:$http_port/")
  l1=$(lifeline_ms_per_probe "http://127.0.0.1:$http_port/")
  b2=$(blackbox_ms_per_probe http_tls "https://localhost:$https_port/")
  l2=$(lifeline_ms_per_probe "https://localhost:$https_port/" "$work/ca.pem" on)
  l3=$(lifeline_ms_per_probe "https://localhost:$https_port/" "$work/ca.pem" off)
  bh+=("$b1"); lh+=("$l1"); bs+=("$b2"); ls_+=("$l2"); lf+=("$l3")
  echo "run $r: http blackbox=${b1}ms lifeline=${l1}ms | https blackbox=${b2}ms" \
    "lifeline=${l2}ms (resumed) ${l3}ms (full handshake) (CPU per probe)"
done
python3 - "${bh[*]}" "${lh[*]}" "${bs[*]}" "${ls_[*]}" "${lf[*]}" <<'PY'
import statistics, sys
bh, lh, bs, ls, lf = ([float(x) for x in a.split()] for a in sys.argv[1:6])
for name, b, l, limit in (("http", bh, lh, 5), ("https (lifeline resuming sessions)", bs, ls, 3),
                          ("https (full handshake every probe)", bs, lf, 3)):
    mb, ml = statistics.median(b), statistics.median(l)
    ratios = [x / y for x, y in zip(b, l)]
    print(f"{name}: median CPU per probe blackbox_exporter {mb:.4f} ms, lifeline {ml:.4f} ms; "
          f"blackbox/lifeline median ratio {statistics.median(ratios):.1f}x (target >= {limit}x)")
PY
