# Scenario: this machine's own line loses 40% of its packets each way (nftables `numgen random`
# at the eu router: the kernel here has no netem), while every platform is healthy and two
# vantage points load them. Lifeline must never blame a platform for this line: run after run
# (LOSSY_RUNS with the two vantage points, default 10, then LOSSY_ALONE_RUNS without them,
# default 3), no platform may be `degraded`, `outage` or `regional_outage`, and `lifeline check`
# never exits 1. What it may say: the line is unreliable (`local_network`, with how many probes to
# independent hosts failed or were slow), `local_dns`, or per platform `just_you`, `unknown` or
# `up`. The tally of what the runs said is printed at the end.
source "$(dirname "$0")/world.sh"
AGENTS=(eu-west us-east) # two healthy vantage points
world_init "$@"
world_up
fault_loss_client 40

declare -A said=()
unreliable=0
runs=0
# lossy_run LABEL [--alone]: one `lifeline check`, asserted and tallied.
lossy_run() {
  local label=$1 blamed story
  shift
  world_check "$@"
  runs=$((runs + 1))
  if [[ "$CHECK_RC" == 1 ]]; then fail "$label: exit 1, a platform blamed for this line"; fi
  blamed=$(jq_get '[.platforms[] | select(.verdict == "degraded" or .verdict == "outage" or
    .verdict == "regional_outage") | "\(.platform) \(.verdict): \(.reason)"] | join("; ")')
  if [[ -n "$blamed" ]]; then fail "$label blames a healthy platform: $blamed"; fi
  expect_json '.platforms | length == 4' "$label: four platforms reported"
  story="observer $(jq_get '.observer.connectivity'); $(jq_get '[.platforms[] | .verdict] |
    group_by(.) | map("\(length) \(.[0])") | join(", ")')"
  said[$story]=$((${said[$story]:-0} + 1))
  if [[ "$(jq_get '.observer.evidence[0]')" == "unreliable connection: "* ]]; then
    unreliable=$((unreliable + 1))
  fi
  world_log "$label: exit $CHECK_RC: $story; $(jq_get '.observer.evidence | join(" | ")')"
}

for ((run = 1; run <= ${LOSSY_RUNS:-10}; run++)); do lossy_run "run $run"; done
for ((run = 1; run <= ${LOSSY_ALONE_RUNS:-3}; run++)); do
  lossy_run "run $run without vantage points" --alone
done

world_log "$runs runs on a line losing 40% each way; $unreliable said 'unreliable connection'"
for story in "${!said[@]}"; do world_log "  ${said[$story]} x $story"; done
world_finish
