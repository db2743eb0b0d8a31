# Scenario: X's servers answer correctly but slowly everywhere (1.3 s: over the 800 ms slow
# threshold, under the 2 s timeout): X is `degraded`, the others up, and exit 1.
source "$(dirname "$0")/world.sh"
world_init "$@"
world_up
fault_site x --delay-ms "$WORLD_SLOW_DELAY_MS"
world_check

expect_exit 1
expect_connectivity ok
expect_platform x degraded
for p in facebook instagram whatsapp; do expect_platform "$p" up; done
expect_json '[.platforms[] | select(.platform == "x") | .probes[] | select(.from == "here" and .kind != "dns")] | all(.ok)' \
  "x's probes from here still succeed (slow, not failed)"
expect_json '[.platforms[] | select(.platform == "x") | .probes[] | select(.from == "here" and .kind != "dns")] | any(.slow)' \
  "x's probes from here are marked slow"
world_finish
