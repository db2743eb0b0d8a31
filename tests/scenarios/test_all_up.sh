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
expect_json '[.platforms[] | select(.platform == "instagram") | .probes[] | select(.from == "here" and .kind != "dns")] | length >= 1 and all(.ok)' \
  "instagram's probes from here succeeded"
expect_json '[.platforms[] | select(.platform == "instagram") | .probes[] | .from] | (index("eu-west") != null and index("us-east") != null and index("ap-south") != null)' \
  "instagram carries probe results from all three vantage points"
world_finish
