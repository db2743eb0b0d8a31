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
expect_json "$(probes_of instagram '.kind == "http"') | length == 4 and all(.http_status == 503)" \
  "instagram answered 503 here and at all three vantage points"
world_finish
