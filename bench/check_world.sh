#!/usr/bin/env bash
# Wall time of `lifeline check` of the FULL catalog (every enabled platform, with three vantage
# points) in the scenario test world with healthy endpoints (issue 2: under 1 s). Each catalog
# platform is pointed at one of the world's HTTPS sites. Needs root (network namespaces).
# Usage: bench/check_world.sh /path/to/lifeline [RUNS]
set -euo pipefail
source "$(dirname "$0")/../tests/scenarios/world.sh"
runs=${2:-7}
world_init "$1"
world_up

ids=$(catalog_probe_ids)
conf=$W/conf/catalog-world.yaml
{
  yaml_common
  world_yaml_vantage_points
  echo "platforms:"
  i=0
  for pid in $(awk '{print $1}' <<<"$ids" | uniq); do
    site=${WORLD_PLATFORMS[$((i % ${#WORLD_PLATFORMS[@]}))]}
    i=$((i + 1))
    world_yaml_platform "$pid" "$site" "$ids"
  done
} >"$conf"

times=()
for r in $(seq "$runs"); do
  t0=$(date +%s%N)
  set +e
  ip netns exec "${WORLD_PREFIX}client" "$LIFELINE" check --config "$conf" --json >"$W/full.json"
  rc=$?
  set -e
  ms=$((($(date +%s%N) - t0) / 1000000))
  n=$(jq '[.platforms[] | select(.verdict == "up")] | length' "$W/full.json")
  total=$(jq '.platforms | length' "$W/full.json")
  echo "run $r: ${ms} ms, exit $rc, $n of $total platforms up"
  [[ $rc -eq 0 && $n -eq $total ]] || { jq -c '.platforms[] | {platform, verdict, reason}' "$W/full.json" >&2; exit 1; }
  times+=("$ms")
done
printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "median %d ms over %d runs (target < 1000 ms)\n", a[int((NR+1)/2)], NR}'
world_finish
