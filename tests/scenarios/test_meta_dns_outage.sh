# Scenario: 4 Oct 2021. Meta's authoritative DNS servers disappear; every resolver, here and at the
# vantage points, answers SERVFAIL for Facebook, Instagram and WhatsApp while unrelated names
# resolve. Each Meta platform is an `outage` at layer dns (servfail), the meta failure domain is
# one correlated event, X stays up, and `lifeline check` exits 1. Then the same check without
# vantage points: the platform's names failing at this machine's resolver and at the direct one
# while the control names resolve is strong independent evidence on its own: still an outage.
source "$(dirname "$0")/world.sh"
world_init "$@"
world_up
fault_stop_auth meta
world_check

expect_exit 1
expect_connectivity ok
for p in facebook instagram whatsapp; do expect_platform "$p" outage dns servfail; done
expect_platform x up
expect_json '[.domains[] | select(.domain == "meta")] | length == 1' "one meta domain entry"
expect_json '.domains[] | select(.domain == "meta") | .verdict == "outage"' "the meta domain is an outage"
expect_json '.domains[] | select(.domain == "meta") | (.platforms | sort) == ["facebook", "instagram", "whatsapp"]' \
  "the meta event names facebook, instagram and whatsapp"
expect_json '.domains[] | select(.domain == "meta") | .correlated == true and .layer == "dns" and .detail == "servfail"' \
  "the meta event is one correlated DNS SERVFAIL failure"
expect_json '.domains[] | select(.domain == "x") | .verdict == "up"' "the x domain is up"
# The world really did it: SERVFAIL here, at the direct resolver and at every vantage point.
expect_json "$(probes_of instagram 'true') | length >= 5 and all(.ok == false and .detail == \"servfail\")" \
  "every instagram probe, here and remote, saw SERVFAIL"

world_check --alone
expect_exit 1
expect_connectivity ok
for p in facebook instagram whatsapp; do expect_platform "$p" outage dns servfail; done
expect_platform x up
expect_json '.domains[] | select(.domain == "meta") | .verdict == "outage" and .correlated == true' \
  "without vantage points, still one correlated meta outage"
world_finish
