# Scenario: a healthy world. Every platform loads here and from every vantage point, so each is
# `up`, this observer's connection is `ok`, and `lifeline check` exits 0.
source "$(dirname "$0")/world.sh"
world_init "$@"
world_up
world_check

expect_exit 0
expect_connectivity ok
for p in facebook instagram whatsapp x; do expect_platform "$p" up; done
expect_json '[.platforms[].verdict] | length == 4' "exactly the four named platforms are reported"
expect_json '[.domains[] | select(.domain == "meta") | .verdict] == ["up"]' "the meta domain is up"
for p in facebook instagram whatsapp x; do
  expect_json "$(probes_of "$p" '.kind == "http"') | (map(.from) | unique) == [\"ap-south\", \"eu-west\", \"here\", \"us-east\"]" \
    "$p was probed here and from all three vantage points"
  expect_json "$(probes_of "$p" 'true') | all(.ok)" "every probe of $p succeeded"
done
expect_json '[.vantage_points[] | select(.reachable and .connectivity == "ok")] | length == 3' \
  "all three vantage points answered with a healthy connection"
world_finish
