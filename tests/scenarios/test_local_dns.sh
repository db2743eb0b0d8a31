# Scenario: this machine's ISP resolver dies while the public resolver (queried directly) works.
# The problem is on this side: observer connectivity `local_dns`, every platform `local_dns`, and
# `lifeline check` exits 3 — never an outage.
source "$(dirname "$0")/world.sh"
world_init "$@"
world_up
fault_kill_isp_resolver
world_check

expect_exit 3
expect_connectivity local_dns
for p in facebook instagram whatsapp x; do expect_platform "$p" local_dns; done
expect_json '[.platforms[].verdict] | index("outage") == null' "no platform is called an outage"
# The world really did it: the system resolver fails, the direct one answers.
expect_json "$(probes_of facebook '.from == "here" and .kind == "dns" and .resolver == "system"') | length >= 1 and all(.ok | not)" \
  "facebook's name fails via this machine's resolver"
expect_json "$(probes_of facebook ".kind == \"dns\" and .resolver == \"$PUB_DNS\"") | length >= 1 and all(.ok)" \
  "facebook's name resolves via the direct resolver"
world_finish
