# Scenario: 4 Oct 2021. Meta's authoritative DNS servers disappear; every resolver, here and at the
# vantage points, answers SERVFAIL for Facebook, Instagram and WhatsApp while unrelated names
# resolve. Each Meta platform is an `outage` at layer dns (servfail), the meta failure domain is
# one correlated event, X stays up, and `lifeline check` exits 1. Then the same check without
# vantage points: the platform's names failing at this machine's resolver and at the direct one
# while the control names resolve is strong independent evidence on its own: still an outage.
# Last, as some resolvers first behaved that day: Instagram's lookups time out here while
# Facebook's and WhatsApp's get SERVFAIL. Without vantage points Instagram's own evidence (a
# timeout) is inconclusive, but it fails at DNS like the two others of its failure domain, which
# are down: it is judged with them, an outage with a lower confidence, and the meta event names all
# three.
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

fault_dns_timeout_client instagram
world_check --alone
expect_exit 1
expect_connectivity ok
for p in facebook whatsapp; do expect_platform "$p" outage dns servfail; done
expect_platform instagram outage dns timeout
expect_platform x up
expect_json "$(probes_of instagram '.kind == "dns"') | length == 2 and all(.ok == false and .detail == \"timeout\")" \
  "instagram's name timed out via this machine's resolver and the direct one"
expect_json '.platforms[] | select(.platform == "instagram") | .evidence |
    any(. == "fails at DNS like facebook and whatsapp of its failure domain meta, which are down")' \
  "instagram's evidence says it is judged with its failure domain"
expect_json '([.platforms[] | select(.platform == "instagram") | .confidence][0]) <
    ([.platforms[] | select(.platform == "facebook") | .confidence][0])' \
  "instagram's confidence is lower than facebook's"
expect_json '.domains[] | select(.domain == "meta") | (.affected | sort) == ["facebook", "instagram", "whatsapp"]
    and .verdict == "outage" and .correlated == true and .layer == "dns"' \
  "the meta event names facebook, instagram and whatsapp as one DNS outage"
world_finish
