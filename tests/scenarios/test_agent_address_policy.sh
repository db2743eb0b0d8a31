# Scenario: an agent is no way into the network it runs in. Three `lifeline agent`s and their
# targets share one network namespace that has only lo — no link to anything, so a refusal that
# failed could reach nothing beyond it. Inside it, lo carries a loopback server, a "metadata
# service" on 169.254.169.254, a private host 10.20.30.40, a unique-local host fd00::40 and two
# "public" test hosts (198.51.100.80/.81, the test world's range), plus a DNS server naming them.
#   default: no agent.allow_private              -> only public addresses
#   strict:  allow_private [198.51.100.0/24]     -> the test hosts, nothing private
#   open:    allow_private [198.51.100.0/24, 10.20.30.0/24]
# Refused: loopback, link-local, private and unique-local targets (as addresses: a 400; as names:
# address_not_allowed), a redirect from a test host to the private host. Allowed: the open agent's
# range, directly, by name and through that redirect. nft counters prove which connections were
# attempted at all.
source "$(dirname "$0")/world.sh"
world_init "$@"

PNS=agentpolicy
P_DNS=198.51.100.53
P_SITE=198.51.100.80  # www.site.test: a page
P_MOVED=198.51.100.81 # moved.site.test: redirects to the private host
P_PRIVATE=10.20.30.40
P_META=169.254.169.254
P_ULA=fd00::40
declare -A P_AGENT=([default]=198.51.100.10 [strict]=198.51.100.11 [open]=198.51.100.12)
declare -A P_ALLOW=([default]="" [strict]="[198.51.100.0/24]"
  [open]="[198.51.100.0/24, 10.20.30.0/24]")
RULE="; agents probe public hosts only (agent.allow_private)"

# --- The namespace: lo only, every address on it ---------------------------------------------
ip netns add "$WORLD_PREFIX$PNS"
{
  echo "link set lo up"
  for a in "$P_DNS" "$P_SITE" "$P_MOVED" "$P_PRIVATE" "$P_META" "${P_AGENT[@]}"; do
    echo "addr add $a/32 dev lo"
  done
} | ip -n "$WORLD_PREFIX$PNS" -batch - || world_die "cannot set up namespace $WORLD_PREFIX$PNS"
[[ -z "$(ip -n "$WORLD_PREFIX$PNS" -o link show | grep -v ': lo:')" ]] ||
  world_die "namespace $WORLD_PREFIX$PNS has a link besides lo"
HAVE_V6=0
if ip -n "$WORLD_PREFIX$PNS" -6 addr add "$P_ULA/128" dev lo 2>/dev/null; then HAVE_V6=1; fi
((HAVE_V6)) || world_log "no IPv6 here: the unique-local cases are skipped"

# Connection attempts (SYNs) to the hosts an agent must not reach unless allowed.
in_ns "$PNS" nft -f - <<EOF
table inet llw_attempts {
  counter c_private { }
  counter c_meta { }
  counter c_ula { }
  counter c_loopback { }
  chain output {
    type filter hook output priority 0; policy accept;
    ip daddr $P_PRIVATE tcp flags & (syn | ack) == syn counter name c_private
    ip daddr $P_META tcp flags & (syn | ack) == syn counter name c_meta
    ip6 daddr $P_ULA tcp flags & (syn | ack) == syn counter name c_ula
    ip daddr 127.0.0.1 tcp dport 80 tcp flags & (syn | ack) == syn counter name c_loopback
  }
}
EOF
# attempts NAME: connections attempted so far to that host (private, meta, ula, loopback).
attempts() {
  in_ns "$PNS" nft -j list counter inet llw_attempts "c_$1" | jq '.nftables[] | .counter? | .packets // empty'
}

# --- DNS and web servers -------------------------------------------------------------------
{
  echo "server:"
  unbound_common
  echo "  interface: $P_DNS"
  echo "  local-zone: \".\" static" # nothing is asked of the rest of the world
  echo "  local-zone: \"test.\" static"
  echo "  local-data: \"www.site.test. 0 IN A $P_SITE\""
  echo "  local-data: \"moved.site.test. 0 IN A $P_MOVED\""
  echo "  local-data: \"inward.test. 0 IN A $P_PRIVATE\""
  echo "  local-data: \"meta.test. 0 IN A $P_META\""
  echo "  local-data: \"loop.test. 0 IN A 127.0.0.1\""
  echo "  local-data: \"ula.test. 0 IN AAAA $P_ULA\""
  echo "remote-control:"
  echo "  control-enable: no"
} >"$W/conf/policy-dns.conf"
spawn policy-dns "$PNS" unbound -d -c "$W/conf/policy-dns.conf"
echo "nameserver $P_DNS" >"$W/conf/policy-resolv.conf"

# web NAME LISTEN [testhttpd options...]
web() {
  local name=$1 listen=$2
  shift 2
  spawn "web-$name" "$PNS" "$PY" "$WORLD_TOOLS/testhttpd.py" --listen "$listen" \
    --port-file "$W/run/web-$name.port" --body "page of $name" "$@"
}
web site "$P_SITE:80"
web moved "$P_MOVED:80" --mode redirect --location "http://$P_PRIVATE/secret"
web private "$P_PRIVATE:80"
web meta "$P_META:80"
web loopback "127.0.0.1:80"
webs=(site moved private meta loopback)
if ((HAVE_V6)); then
  web ula "[$P_ULA]:80"
  webs+=(ula)
fi

# --- The agents ------------------------------------------------------------------------------
printf '%08x%08x%08x%08x' "$SRANDOM" "$SRANDOM" "$SRANDOM" "$SRANDOM" >"$W/conf/policy.token"
for agent in "${!P_AGENT[@]}"; do
  {
    echo "timeout: 2s"
    echo "resolv_conf: $W/conf/policy-resolv.conf"
    echo "resolvers: []"
    echo "control:"
    echo "  - url: http://www.site.test/"
    if [[ -n "${P_ALLOW[$agent]}" ]]; then
      echo "agent:"
      echo "  allow_private: ${P_ALLOW[$agent]}"
    fi
  } >"$W/conf/policy-$agent.yaml"
  spawn "agent-$agent" "$PNS" "$LIFELINE" agent --listen "${P_AGENT[$agent]}:$AGENT_PORT" \
    --token-file "$W/conf/policy.token" --config "$W/conf/policy-$agent.yaml" --name "$agent" \
    --insecure-http # this test talks to the agents itself, with curl
done

for name in "${webs[@]}"; do
  wait_until --alive "web-$name" "web server $name" 20 test -s "$W/run/web-$name.port"
done
dns_ready() { [[ "$(in_ns "$PNS" dig +time=1 +tries=1 +short "@$P_DNS" inward.test A)" == "$P_PRIVATE" ]]; }
wait_until --alive policy-dns "the namespace's DNS server" 20 dns_ready
agent_ready() {
  [[ "$(in_ns "$PNS" curl -s --max-time 2 -o /dev/null -w '%{http_code}' "http://$1:$AGENT_PORT/healthz")" == 200 ]]
}
for agent in "${!P_AGENT[@]}"; do
  wait_until --alive "agent-$agent" "agent $agent" 20 agent_ready "${P_AGENT[$agent]}"
done
world_log "namespace, servers and agents up"

# --- Asking ----------------------------------------------------------------------------------

# ask AGENT TARGETS_JSON: POST /v1/probe; the HTTP status in ASK_CODE, the answer in $W/ask.json.
ask() {
  local agent=$1
  printf '{"targets": %s, "timeout_ms": 2000}' "$2" >"$W/ask-body.json"
  printf 'Authorization: Bearer %s\n' "$(<"$W/conf/policy.token")" >"$W/ask-auth"
  ASK_CODE=$(in_ns "$PNS" curl -s --max-time 30 -o "$W/ask.json" -w '%{http_code}' \
    -H @"$W/ask-auth" -H 'Content-Type: application/json' --data-binary @"$W/ask-body.json" \
    "http://${P_AGENT[$agent]}:$AGENT_PORT/v1/probe")
}

http_target() { printf '{"id": "%s", "kind": "http", "url": "%s"}' "$1" "$2"; }

# expect_400 AGENT TARGETS MESSAGE
expect_400() {
  ask "$1" "$2"
  local got
  got=$(jq -r '.error.message // empty' "$W/ask.json" 2>/dev/null)
  [[ "$ASK_CODE" == 400 && "$got" == "$3" ]] ||
    fail "$1 agent, $2: want 400 '$3', got $ASK_CODE '$got'"
}

# expect_result AGENT URL JQ_BOOLEAN DESCRIPTION: one http target; JQ_BOOLEAN on its result.
expect_result() {
  ask "$1" "[$(http_target t "$2")]"
  if [[ "$ASK_CODE" != 200 ]]; then
    fail "$1 agent, $2: want 200, got $ASK_CODE $(cat "$W/ask.json")"
    return
  fi
  jq -e ".results[0] | $3" "$W/ask.json" >/dev/null ||
    fail "$1 agent, $2: $4 (got $(jq -c '.results[0] | {ok, layer, detail, message}' "$W/ask.json"))"
}

not_allowed() { echo "(.ok == false and .layer == \"tcp\" and .detail == \"address_not_allowed\" and (.message | contains(\"$1\")))"; }

# 1. Targets that name a refused address: a 400 naming it, before anything runs.
expect_400 default "[$(http_target web http://www.site.test/), $(http_target meta "http://$P_META/latest/meta-data/")]" \
  "targets[1]: $P_META is a link-local address$RULE"
expect_400 default "[$(http_target self "http://127.0.0.1:$AGENT_PORT/healthz")]" \
  "targets[0]: 127.0.0.1 is a loopback address$RULE"
expect_400 default "[$(http_target lan "http://$P_PRIVATE/")]" \
  "targets[0]: $P_PRIVATE is a private address$RULE"
expect_400 default '[{"id": "ssh", "kind": "tcp", "host": "10.20.30.40", "port": 22}]' \
  "targets[0]: $P_PRIVATE is a private address$RULE"
expect_400 default "[$(http_target mapped "http://[::ffff:$P_META]/")]" \
  "targets[0]: ::ffff:$P_META is a link-local address (it stands for $P_META)$RULE"
if ((HAVE_V6)); then
  expect_400 default "[$(http_target ula "http://[$P_ULA]/")]" \
    "targets[0]: $P_ULA is a unique-local (private IPv6) address$RULE"
fi
expect_400 strict "[$(http_target lan "http://$P_PRIVATE/")]" \
  "targets[0]: $P_PRIVATE is a private address$RULE"
# The test world's own range is refused by default too (documentation addresses).
expect_400 default "[$(http_target site "http://$P_SITE/")]" \
  "targets[0]: $P_SITE is a documentation address (not routed on the internet)$RULE"

# 2. Names that resolve to refused addresses (DNS rebinding): refused once resolved.
expect_result default http://loop.test/ "$(not_allowed "127.0.0.1 is a loopback address")" \
  "loopback by name refused"
expect_result default http://meta.test/latest/meta-data/ \
  "$(not_allowed "$P_META is a link-local address")" "link-local by name refused"
expect_result strict http://inward.test/ "$(not_allowed "$P_PRIVATE is a private address")" \
  "private by name refused"
if ((HAVE_V6)); then
  expect_result strict http://ula.test/ "$(not_allowed "$P_ULA is a unique-local")" \
    "unique-local by name refused"
fi

# 3. A redirect from an allowed test host to the private host: refused at the hop.
expect_result strict http://www.site.test/ '.ok == true' "the allowed test host loads"
expect_result strict http://moved.site.test/ \
  "$(not_allowed "redirected to $P_PRIVATE: not connecting to $P_PRIVATE:80: $P_PRIVATE is a private address")" \
  "redirect inward refused"

[[ "$(attempts private)" == 0 ]] || fail "a refused agent connected to $P_PRIVATE ($(attempts private) SYNs)"

# 4. An allowed range works: directly, by name and through the redirect; others stay refused.
expect_result open "http://$P_PRIVATE/" '.ok == true and .http_status == 200' "allowed range, by address"
expect_result open http://inward.test/ '.ok == true' "allowed range, by name"
expect_result open http://moved.site.test/ '.ok == true' "allowed range, through a redirect"
expect_result open http://meta.test/ "$(not_allowed "$P_META is a link-local address")" \
  "link-local stays refused for the open agent"

# Only the open agent's three requests ever reached a host agents must not reach by default.
[[ "$(attempts private)" == 3 ]] || fail "want 3 connections to $P_PRIVATE (open agent), got $(attempts private)"
for c in meta loopback ula; do
  [[ "$(attempts "$c")" == 0 ]] || fail "a refused agent connected to the $c host ($(attempts "$c") SYNs)"
done
world_log "connection attempts: private $(attempts private), meta $(attempts meta), ula $(attempts ula), loopback:80 $(attempts loopback)"
world_finish
