# Scenario: Instagram's servers answer 503 Service Unavailable to everyone, here and at every
# vantage point: `outage` at layer http (status), the others up, and exit 1.
source "$(dirname "$0")/world.sh"
world_init "$@"
world_up
fault_site instagram --mode 503
world_check

expect_exit 1
expect_connectivity ok
expect_platform instagram outage http status
for p in facebook whatsapp x; do expect_platform "$p" up; done
expect_json '[.platforms[] | select(.platform == "instagram") | .probes[] | select(.kind != "dns") | .http_status] | index(503) != null' \
  "instagram's probes saw status 503"
world_finish
