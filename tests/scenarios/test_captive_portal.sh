# Scenario: a captive portal (hotel Wi-Fi before logging in). The ISP's resolver sends every name
# to the portal, which redirects plain HTTP to its login page; nothing else gets out. Control
# sites fail (not at DNS): this side is `local_network` for every platform, never an outage, and
# exit 3.
source "$(dirname "$0")/world.sh"
world_init "$@"
world_up
fault_captive_portal
world_check

expect_exit 3
expect_connectivity local_network
for p in facebook instagram whatsapp x; do expect_platform "$p" local_network; done
expect_json '[.platforms[].verdict] | index("outage") == null' "no platform is called an outage"
world_finish
