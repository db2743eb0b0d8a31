# Scenario: region eu (this client and the eu-west agent) loses its path to WhatsApp's servers in
# the core router, while us-east and ap-south still load it: `regional_outage` (layer tcp), the
# others up, exit 1. Then the same cut moves to region us (the client is fine, us-east fails):
# still a regional outage, exit 1.
source "$(dirname "$0")/world.sh"
world_init "$@"
world_up
fault_cut_region eu whatsapp
world_check

expect_exit 1
expect_connectivity ok
expect_platform whatsapp regional_outage tcp
for p in facebook instagram x; do expect_platform "$p" up; done
expect_json "$(probes_of whatsapp '.kind == "http"') | map({(.from): .ok}) | add == {\"here\": false, \"eu-west\": false, \"us-east\": true, \"ap-south\": true}" \
  "whatsapp fails here and at eu-west, loads at us-east and ap-south"

ip netns exec "${WORLD_PREFIX}core" nft delete table inet llw_region
fault_cut_region us whatsapp
world_check
expect_exit 1
expect_platform whatsapp regional_outage tcp
for p in facebook instagram x; do expect_platform "$p" up; done
expect_json "$(probes_of whatsapp '.kind == "http"') | map({(.from): .ok}) | add == {\"here\": true, \"eu-west\": true, \"us-east\": false, \"ap-south\": true}" \
  "whatsapp fails only at us-east"
world_finish
