#!/usr/bin/env bash
# A backlog of N queued messages (a channel down for hours; issue 8: 1,000,000, RSS under 200 MB,
# the outbox API and page, paged, under 100 ms). Side by side in the same run: `lifeline serve` on
# a database with the backlog, and its peer on an empty outbox, the same config, the same queries.
# The channel points at a closed loopback port, so serve keeps trying it (its circuit opens).
# Inside an empty network namespace (only loopback): the bundled catalog's hosts are never reached.
#   RSS: VmRSS and VmHWM of serve after SETTLE seconds of running on the backlog.
#   Queries (each REPS times, median and max of curl's time_total), as the outbox page makes them:
#     attention  GET /v1/outbox?state=unconfirmed|failed|dead_lettered&limit=50 (the page's header)
#     list       GET /v1/outbox?limit=50, and the next page through its cursor
#     queued     GET /v1/outbox?state=queued&channel=sink&limit=50
#     channels   GET /v1/channels
#     show       GET /v1/outbox/ID (a message with its events)
# Usage: bench/relay_backlog.sh BUILD_DIR [N] [REPS]   (as root)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/util.sh"
build=$(cd "${1:?usage: relay_backlog.sh BUILD_DIR [N] [REPS]}" && pwd)
n=${2:-1000000}
reps=${3:-20}
settle=${SETTLE:-20}
if [[ ${LIFELINE_IN_NETNS:-} != 1 ]]; then
  exec env LIFELINE_IN_NETNS=1 unshare -n "$0" "$@"
fi
ip link set lo up
work=$(mktemp -d /tmp/llbacklog.XXXXXX)
pid=""
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"' EXIT
export BENCH_HOOK_SECRET=bench-secret-0123456789
cat >"$work/config.yaml" <<'YAML'
serve:
  interval: 5s
channels:
  sink:
    type: webhook
    endpoint: http://127.0.0.1:9/hook
    secret: { env: BENCH_HOOK_SECRET }
    to: ops
YAML

measure() {  # $1: label, $2: data dir, $3: port
  local label=$1 data=$2 port=$3 token url
  token=$("$build/lifeline" token create --name bench --role viewer --config "$work/config.yaml" \
    --data-dir "$data" 2>/dev/null)
  "$build/lifeline" serve --config "$work/config.yaml" --data-dir "$data" \
    --listen "127.0.0.1:$port" >"$data/serve.log" 2>&1 &
  pid=$!
  url=http://127.0.0.1:$port
  for _ in $(seq 300); do curl -sf -H "Authorization: Bearer $token" "$url/v1/channels" >/dev/null && break; sleep 0.1; done
  sleep "$settle"  # serve runs on the backlog: its relay claims, fails and opens the circuit
  local first cursor id
  first=$(curl -sf -H "Authorization: Bearer $token" "$url/v1/outbox?limit=50")
  cursor=$(python3 -c 'import json,sys; print(json.load(sys.stdin).get("next_cursor") or "")' <<<"$first")
  id=$(python3 -c 'import json,sys; m=json.load(sys.stdin)["messages"]; print(m[0]["id"] if m else "none")' <<<"$first")
  local queries=(
    "attention:/v1/outbox?state=unconfirmed&limit=50 /v1/outbox?state=failed&limit=50 /v1/outbox?state=dead_lettered&limit=50"
    "list:/v1/outbox?limit=50"
    "next-page:/v1/outbox?limit=50&cursor=$cursor"
    "queued:/v1/outbox?state=queued&channel=sink&limit=50"
    "channels:/v1/channels"
    "show:/v1/outbox/$id"
  )
  for q in "${queries[@]}"; do
    local name=${q%%:*} paths=${q#*:} times=()
    for _ in $(seq "$reps"); do
      local total=0
      for p in $paths; do
        t=$(curl -s -o /dev/null -w '%{time_total}' -H "Authorization: Bearer $token" "$url$p")
        total=$(awk -v a="$total" -v b="$t" 'BEGIN {print a + b}')
      done
      times+=("$total")
    done
    printf "%s\n" "${times[@]}" | sort -n | awk -v l="$label" -v q="$name" \
      '{a[NR]=$1} END {printf "%-8s %-10s median %6.1f ms  max %6.1f ms\n", l, q, 1000*a[int((NR+1)/2)], 1000*a[NR]}'
  done
  echo "$label    serve RSS $(awk '/VmRSS/ {printf "%.0f MB", $2/1024}' /proc/$pid/status)," \
    "peak $(awk '/VmHWM/ {printf "%.0f MB", $2/1024}' /proc/$pid/status);" \
    "queued: $(curl -s -H "Authorization: Bearer $token" "$url/metrics" | awk '/^lifeline_outbox_messages\{.*state="queued"/ {s+=$2} END {print s+0}')"
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
}

mkdir -p "$work/empty" "$work/backlog"
s0=$(date +%s.%N)
"$build/bench/outbox_fill" --config "$work/config.yaml" --data-dir "$work/backlog" --channel sink --n "$n"
echo "filled in $(awk -v a="$s0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.0f", b - a}') s; database $(du -m "$work/backlog/lifeline.db" | cut -f1) MB; load average $(cut -d' ' -f1 /proc/loadavg)"
measure empty "$work/empty" 18181
measure backlog "$work/backlog" 18182
echo "target: RSS < 200 MB with the backlog; every query < 100 ms"
