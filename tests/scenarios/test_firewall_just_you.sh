# Scenario: a firewall on this machine drops traffic to Instagram's address only. Everything else
# works here, and every vantage point loads Instagram: `just_you` at layer tcp (timeout), the
# other platforms up, and exit 3.
source "$(dirname "$0")/world.sh"
world_init "$@"
world_up
fault_firewall_client instagram
world_check

expect_exit 3
expect_connectivity ok
expect_platform instagram just_you tcp timeout
for p in facebook whatsapp x; do expect_platform "$p" up; done
expect_json "$(probes_of instagram '.kind == "http" and .from != "here"') | length == 3 and all(.ok)" \
  "all three vantage points load instagram"
world_finish
