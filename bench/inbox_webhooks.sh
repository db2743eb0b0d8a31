#!/usr/bin/env bash
# Inbound webhooks under wrk against the real `lifeline serve`: signed WhatsApp Cloud API message
# webhooks (one customer message each, 1,000 customers, every wamid new) posted to
# /v1/inbox/webhooks/wa-main, each stored on disk (SQLite, synchronous=FULL) before its 200 — the
# figure issue 11 names (5,000 messages/s, p99 under 50 ms). Beside it, in the same run, the peer:
# GET /healthz on the same server (the HTTP round trip alone), so the ratio says what the
# signature check, parsing and the durable write cost. The data folder is on disk, not tmpfs.
# Inside an empty network namespace (only loopback): the catalog's real hosts are never contacted.
# Usage: bench/inbox_webhooks.sh BUILD_DIR [RUNS]   (as root; needs wrk: scripts/install-deps --bench)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/util.sh"
build=$(cd "${1:?usage: inbox_webhooks.sh BUILD_DIR [RUNS]}" && pwd)
runs=${2:-3}
duration=${DURATION:-10}
connections=${CONNECTIONS:-32}
command -v wrk >/dev/null || { echo "inbox_webhooks: wrk is missing (scripts/install-deps --bench)" >&2; exit 1; }
if [[ ${LIFELINE_IN_NETNS:-} != 1 ]]; then
  exec env LIFELINE_IN_NETNS=1 unshare -n "$0" "$@"
fi
ip link set lo up
# On disk by default: fsync must cost what it costs. BENCH_TMP=/dev/shm shows what the server
# does without the disk (never the figure to quote).
work=$(mktemp -d "${BENCH_TMP:-/var/tmp}/llinboxbench.XXXXXX")
pid=
trap '[[ -n $pid ]] && kill $pid 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
export LL_BENCH_APP_SECRET=bench-app-secret-0123456789
export LL_BENCH_VERIFY=bench-verify
export LL_BENCH_WA_TOKEN=bench-wa-token
cat >"$work/config.yaml" <<'YAML'
serve:
  interval: 30s
channels:
  brand-whatsapp: { type: whatsapp, token: { env: LL_BENCH_WA_TOKEN },
                    phone_number_id: "106540352242922", api_base: "http://127.0.0.1:9" }
inbox:
  sources:
    wa-main:
      type: whatsapp
      channel: brand-whatsapp
      app_secret: { env: LL_BENCH_APP_SECRET }
      verify_token: { env: LL_BENCH_VERIFY }
      phone_number_id: "106540352242922"
YAML
# Signed bodies, a new one for every request of every run (wrk's Lua has no HMAC):
# "SIGNATURE<TAB>BODY" per line.
need=$(( runs * duration * ${MAX_RATE:-15000} ))
python3 - "$work/bodies.tsv" "$need" <<'PY'
import hashlib, hmac, json, sys, time
path, n = sys.argv[1], int(sys.argv[2])
secret = b"bench-app-secret-0123456789"
now = int(time.time())
with open(path, "w") as f:
    for i in range(n):
        who = "3460%07d" % (i % 1000)
        body = json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "102290129340398",
            "changes": [{"field": "messages", "value": {"messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550783881", "phone_number_id": "106540352242922"},
            "contacts": [{"profile": {"name": "Customer %d" % (i % 1000)}, "wa_id": who}],
            "messages": [{"from": who, "id": "wamid.BENCH%010d" % i, "timestamp": str(now),
                          "type": "text", "text": {"body": "Hello, is order %d on its way?" % i}}]}}]}]},
            separators=(",", ":"))
        sig = hmac.new(secret, body.encode(), hashlib.sha256).hexdigest()
        f.write("sha256=%s\t%s\n" % (sig, body))
PY
# One wrk thread: one Lua state, so every request takes the next body. LL_FIRST skips the bodies
# earlier runs used.
cat >"$work/post.lua" <<'LUA'
local sigs, bodies = {}, {}
for line in io.lines(os.getenv("LL_BODIES")) do
  local tab = line:find("\t", 1, true)
  sigs[#sigs + 1] = line:sub(1, tab - 1)
  bodies[#bodies + 1] = line:sub(tab + 1)
end
local i = tonumber(os.getenv("LL_FIRST") or "0")
request = function()
  i = i + 1
  if i > #bodies then i = 1 end
  return wrk.format("POST", "/v1/inbox/webhooks/wa-main",
    {["Content-Type"] = "application/json", ["X-Hub-Signature-256"] = sigs[i]}, bodies[i])
end
LUA
"$build/lifeline" serve --config "$work/config.yaml" --data-dir "$work/data" \
  --listen 127.0.0.1:18090 >"$work/serve.log" 2>&1 &
pid=$!
base=http://127.0.0.1:18090
for _ in $(seq 100); do curl -sf "$base/healthz" >/dev/null && break; sleep 0.1; done
curl -sf "$base/healthz" >/dev/null || { cat "$work/serve.log" >&2; exit 1; }
stored() { curl -sf "$base/metrics" | awk '/^lifeline_inbox_webhook_messages_total\{outcome="stored"\}/ {print $2}'; }
# run_wrk URL [LUA] -> "requests/s p50 p99", wrk's errors on stderr
run_wrk() {
  local report errors
  if [[ -n ${2:-} ]]; then
    report=$(LL_BODIES="$work/bodies.tsv" LL_FIRST=$first wrk -t1 -c"$connections" \
      -d"${duration}s" --latency -s "$2" "$1")
  else
    report=$(wrk -t1 -c"$connections" -d"${duration}s" --latency "$1")
  fi
  errors=$(grep -E 'Non-2xx|Socket errors' <<<"$report" || true)
  [[ -z $errors ]] || echo "  $1: $errors" >&2
  echo "$(awk '/^Requests\/sec/ {print $2}' <<<"$report") $(awk '$1 == "50%" {print $2}' <<<"$report") $(awk '$1 == "99%" {print $2}' <<<"$report")"
}
echo "load average $(cut -d' ' -f1-3 /proc/loadavg); $connections connections, ${duration} s per run"
first=0
for r in $(seq "$runs"); do
  before=$(stored)
  t0=$(cpu_ticks "$pid"); s0=$(date +%s.%N)
  read -r rps p50 p99 < <(run_wrk "$base/v1/inbox/webhooks/wa-main" "$work/post.lua")
  t1=$(cpu_ticks "$pid"); s1=$(date +%s.%N)
  after=$(stored)
  first=$(( first + (after - before) + connections ))
  cpu=$(awk -v a="$t0" -v b="$t1" -v s="$s0" -v e="$s1" -v hz="$tick_hz" \
    'BEGIN {printf "%.0f", 100 * (b - a) / hz / (e - s)}')
  read -r peer_rps peer_p50 peer_p99 < <(run_wrk "$base/healthz")
  ratio=$(awk -v a="$rps" -v b="$peer_rps" 'BEGIN {printf "%.2f", a / b}')
  echo "run $r: webhooks ${rps}/s (p50 ${p50}, p99 ${p99}; $(( after - before )) messages stored;" \
    "serve CPU ${cpu}%) | peer GET /healthz ${peer_rps}/s (p50 ${peer_p50}, p99 ${peer_p99})" \
    "| ratio ${ratio}; load average $(cut -d' ' -f1 /proc/loadavg)"
done
echo "target: >= 5000 webhook messages/s stored and acknowledged, p99 < 50 ms"
