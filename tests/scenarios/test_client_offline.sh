# Scenario: this machine is offline while the rest of the world (platforms, agents) is fine.
# First its default route is gone (interface still up with its address), then its interface is
# down. Either way every platform is `no_network` — never `outage` — and exit 3.
source "$(dirname "$0")/world.sh"
world_init "$@"
world_up

assert_offline() {
  expect_exit 3
  expect_connectivity no_network
  for p in facebook instagram whatsapp x; do expect_platform "$p" no_network; done
  expect_json '[.platforms[].verdict] | index("outage") == null' "no platform is called an outage"
}

ip -n "${WORLD_PREFIX}client" route del default
world_log "fault: the client has no default route"
world_check
assert_offline

ip -n "${WORLD_PREFIX}client" route add default via "$REU_CLIENT"
ip -n "${WORLD_PREFIX}client" link set eth0 down
world_log "fault: the client's interface is down"
world_check
assert_offline
world_finish
