# Scenario: X's servers answer correctly but slowly everywhere (2.5 s: over the 1.5 s slow
# threshold, under the 4 s timeout): X is `degraded`, the others up, and exit 1.
source "$(dirname "$0")/world.sh"
world_init "$@"
world_up
fault_site x --delay-ms "$WORLD_SLOW_DELAY_MS"
world_check

expect_exit 1
expect_connectivity ok
expect_platform x degraded
for p in facebook instagram whatsapp; do expect_platform "$p" up; done
expect_json "$(probes_of x '.kind == "http"') | length == 4 and all(.ok and .slow)" \
  "x loads, slowly, here and at all three vantage points"
world_finish
