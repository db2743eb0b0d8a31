#!/usr/bin/env bash
# From a platform's incident opening in `lifeline serve` to the first message delivered on the
# backup channel (issue 8: under 1 s). Runs `lifeline demo` (loopback only: in-process platforms,
# Telegram and WhatsApp emulators, an SMTP server) RUNS times; in each, WhatsApp fails after 3 s,
# the incident opens, the relay's circuit for team-whatsapp opens with it and the team alert goes
# out on Telegram and by e-mail.
#   opened:    the incident id is a ULID: its first 48 bits are the millisecond serve created it.
#   delivered: when the `outbox` event of the first alert in state `delivered` reached a client
#              of /v1/events (an upper bound: it includes the event's trip to the client).
# Usage: bench/relay_failover.sh BUILD_DIR [RUNS]
set -euo pipefail
build=${1:?usage: relay_failover.sh BUILD_DIR [RUNS]}
runs=${2:-5}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/util.sh"
work=$(mktemp -d /tmp/llfailover.XXXXXX)
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

results=()
for r in $(seq 1 "$runs"); do
  port=$(free_port)
  mkdir -p "$work/$r"
  "$build/lifeline" demo --listen "127.0.0.1:$port" --interval 2 --outage-after 3 --outage-for 60 \
    --data-dir "$work/$r" > "$work/$r/demo.log" 2>&1 &
  pid=$!
  ms=$(python3 - "$port" <<'PY'
import json, socket, sys, time
port = int(sys.argv[1])
B32 = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
def ulid_ms(ulid):
    v = 0
    for c in ulid[:10]:
        v = v * 32 + B32.index(c)
    return v
deadline = time.time() + 60
while True:
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=60)
        break
    except OSError:
        if time.time() > deadline: sys.exit("serve did not start")
        time.sleep(0.05)
s.sendall(b"GET /v1/events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n")
f = s.makefile("rb")
event = None
while time.time() < deadline:
    line = f.readline().decode().rstrip("\r\n")
    if line.startswith("event:"):
        event = line[6:].strip()
    elif line.startswith("data:") and event == "outbox":
        now_ms = time.time() * 1000
        m = json.loads(line[5:]).get("message", {})
        if m.get("state") == "delivered" and m.get("incident_id", "").startswith("inc_"):
            print(round(now_ms - ulid_ms(m["incident_id"][4:])))
            sys.exit(0)
sys.exit("no delivered alert within 60 s")
PY
)
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
  echo "run $r: incident opened -> first backup delivery: $ms ms"
  results+=("$ms")
done
median=$(printf "%s\n" "${results[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
echo "median of $runs: $median ms (target: under 1000 ms)"
