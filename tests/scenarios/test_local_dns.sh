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
world_finish
