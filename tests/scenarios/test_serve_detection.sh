# Scenario: `lifeline serve` in the client, watching the world's four platforms with the three
# agents as vantage points at the minimum interval (5 s). Once everything is up, Instagram's web
# server stops: connections are refused here and from every region, a hard outage. An `outage`
# incident must be open in GET /v1/incidents within interval + 5 s of the failure (issue 3); the
# figure is printed. Then the server comes back and the incident must close.
#
# DETECT_RUNS=N repeats break/measure/restore N times in one world (bench/RESULTS.md quotes the
# median), each after a random 0-5 s pause so the failure falls at a random point of the round
# cycle; flapping detection is widened then, since N outages in a row would otherwise (rightly)
# become one flapping incident.
source "$(dirname "$0")/world.sh"
world_init "$@"

INTERVAL_S=5
LIMIT_MS=$(((INTERVAL_S + 5) * 1000))
RUNS=${DETECT_RUNS:-1}
VICTIM=instagram
API=http://127.0.0.1:8080

world_up

# The client's config with serve settings; catalog platforms the world does not serve are
# disabled (serve watches every enabled platform, and theirs would only fail to resolve here).
conf=$W/conf/serve.yaml
{
  cat "$W/conf/client.yaml" # ends with its platforms: section
  while read -r pid _; do
    [[ " ${WORLD_PLATFORMS[*]} " == *" $pid "* ]] || echo "  $pid: { enabled: false }"
  done < <(catalog_probe_ids | sort -u -k1,1)
  echo "serve:"
  echo "  interval: ${INTERVAL_S}s"
  echo "  data_dir: $W/serve"
  # (at most 100, the setting's range: two per outage, so ~50 outages in the 10-minute window)
  if ((RUNS > 1)); then echo "  flapping_transitions: $((4 * RUNS + 4 > 100 ? 100 : 4 * RUNS + 4))"; fi
  echo "api:"
  echo "  listen: 127.0.0.1:8080"
} >"$conf"
mkdir -p "$W/serve"

spawn serve client "$LIFELINE" serve --config "$conf"

api_get() { in_ns client curl -s --max-time 2 "$API$1"; }

# platforms_up: exactly the world's platforms are watched, each `up` with no incident pending.
platforms_up() {
  api_get /v1/platforms | jq -e --argjson n "${#WORLD_PLATFORMS[@]}" \
    '(.platforms | length) == $n and all(.platforms[]; .verdict == "up" and .state == "ok")' >/dev/null
}
wait_until --alive serve "lifeline serve's API" 30 api_get /healthz
wait_until --alive serve "every platform up in serve" 60 platforms_up
world_log "serve: every platform up"

times=()
for ((run = 1; run <= RUNS; run++)); do
  if ((RUNS > 1)); then sleep "$((RANDOM % 5)).$((RANDOM % 10))"; fi
  # Conservative start: the clock starts before the server is told to stop.
  t0=$(date +%s%3N)
  stop "web-$VICTIM"
  world_log "fault: $VICTIM's web server stopped (run $run)"

  incident=""
  while :; do
    now=$(date +%s%3N)
    incident=$(api_get '/v1/incidents?state=open' | jq -c '.incidents[0] // empty' 2>/dev/null || true)
    [[ -n "$incident" ]] && break
    running serve || world_die "lifeline serve exited"
    ((now - t0 < LIMIT_MS + 20000)) || break # well past the limit: give up, report below
    sleep 0.1
  done
  elapsed=$((now - t0))
  if [[ -z "$incident" ]]; then
    fail "run $run: no incident open $((elapsed / 1000)) s after $VICTIM stopped"
    break
  fi
  times+=("$elapsed")
  echo "detection: run $run: incident open after $(printf '%d.%03d' $((elapsed / 1000)) $((elapsed % 1000))) s (limit $((LIMIT_MS / 1000)) s)"
  ((elapsed <= LIMIT_MS)) || fail "run $run: detection took ${elapsed} ms, over interval + 5 s = ${LIMIT_MS} ms"
  jq -e '.verdict == "outage" and .kind == "platform" and .platforms == ["'"$VICTIM"'"]' \
    <<<"$incident" >/dev/null || fail "run $run: want one outage incident of $VICTIM, got $incident"
  api_get /v1/platforms/$VICTIM >"$W/victim.json"
  jq -e '.verdict == "outage" and .layer == "tcp"' "$W/victim.json" >/dev/null ||
    fail "run $run: $VICTIM's tile: want outage at tcp, got $(jq -c '{verdict, layer, detail}' "$W/victim.json")"
  id=$(jq -r .id <<<"$incident")

  # Back: the incident closes after serve.close_after (3) good rounds.
  start_site "$VICTIM"
  wait_site "$VICTIM"
  t1=$(date +%s%3N)
  closed() { api_get "/v1/incidents/$id" | jq -e '.state == "closed"' >/dev/null; }
  wait_until --alive serve "incident $id to close" 60 closed
  echo "recovery: run $run: incident closed $(ms_since "$t1") s after $VICTIM came back"
  api_get "/v1/incidents/$id/events" | jq -e '[.events[].type] | .[0] == "opened" and .[-1] == "closed"' \
    >/dev/null || fail "run $run: incident $id's timeline must run from opened to closed"
done

if ((${#times[@]})); then
  printf '%s\n' "${times[@]}" | sort -n | awk -v lim="$LIMIT_MS" '{a[NR] = $1}
    END { printf "detection: median %.3f s, max %.3f s over %d run(s), limit %.0f s\n",
          a[int((NR + 1) / 2)] / 1000, a[NR] / 1000, NR, lim / 1000 }'
fi
if ((${#WORLD_FAILS[@]})); then
  echo "----- serve log (last 40 lines)" >&2
  tail -n 40 "$W/log/serve.log" >&2 || true
fi
world_finish
