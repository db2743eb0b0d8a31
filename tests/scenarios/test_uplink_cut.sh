# Scenario: the client's line is cut beyond its first hop. Its interface is up with an address and
# a default route, but no control site, resolver or platform is reachable: observer connectivity
# `local_network`, every platform `local_network` (never `outage`), and exit 3.
source "$(dirname "$0")/world.sh"
world_init "$@"
world_up
fault_cut_uplink
world_check

expect_exit 3
expect_connectivity local_network
for p in facebook instagram whatsapp x; do expect_platform "$p" local_network; done
expect_json '[.platforms[].verdict] | index("outage") == null' "no platform is called an outage"
world_finish
