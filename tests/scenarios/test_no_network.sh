# Scenario: a machine with no network at all. The bundled default configuration (real platforms,
# real resolvers) runs in empty network namespaces — only lo — where every platform must be
# `no_network`, never `outage`, and `lifeline check` exits 3. Nothing can leave: there is no link.
source "$(dirname "$0")/world.sh"
world_init "$@"

# assert_no_network: the last check blamed this machine for every platform.
assert_no_network() {
  expect_exit 3
  expect_connectivity no_network
  expect_json '(.platforms | length) >= 20' "the bundled catalog's platforms are all reported"
  expect_json '[.platforms[].verdict] | all(. == "no_network")' "every platform is no_network"
  expect_json '[.platforms[].verdict] | index("outage") == null' "no platform is called an outage"
}

# 1. `unshare -n`: a fresh namespace whose only interface, lo, is down. The guard refuses to run
# lifeline if the namespace had any other link.
run_check "unshare -n lifeline check (bundled config)" unshare -n bash -c \
  '[[ -z "$(ip -o link show | grep -v ": lo:")" ]] || exit 99; exec "$0" check --json' "$LIFELINE"
[[ "$CHECK_RC" != 99 ]] || world_die "unshare -n namespace was not empty"
assert_no_network

# 2. A named namespace with lo up (127.0.0.1 answers, nothing else exists).
ip netns add "${WORLD_PREFIX}empty"
ip -n "${WORLD_PREFIX}empty" link set lo up
[[ -z "$(ip -n "${WORLD_PREFIX}empty" -o link show | grep -v ': lo:')" ]] || world_die "namespace not empty"
run_check "lifeline check in an ip netns with only lo (bundled config)" \
  ip netns exec "${WORLD_PREFIX}empty" "$LIFELINE" check --json
assert_no_network
world_finish
