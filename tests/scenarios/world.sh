# world.sh: builds the scenario test world (a small internet in network namespaces, DESIGN.md "The
# test world"), injects faults the way real outages happen, runs `lifeline check` and asserts.
#
# Sourced by tests/scenarios/test_*.sh, which run as `bash test_X.sh /path/to/lifeline`:
#   source "$(dirname "$0")/world.sh"
#   world_init "$@"        # root + `ip netns` or exit 77; lock; clean leftovers; trap teardown
#   world_up               # namespaces, DNS, web servers, agents; waits until each answers
#   fault_...              # optional: break something
#   world_check            # lifeline check facebook instagram whatsapp x --json, in the client
#   expect_exit 1; expect_platform instagram outage dns servfail; ...
#   world_finish           # exit 0 if every expectation held, else print the evidence and exit 1
#
# Only 198.51.100.0/24 and 203.0.113.0/24 are used; nothing is ever linked to the root namespace
# and the core router has no default route, so no packet can leave the world. Every namespace and
# leftover file carries the prefix "llw-"; a lock serialises worlds so two runs never collide.
# README.md in this folder has the picture and how to run one scenario by hand.

set -euo pipefail

WORLD_PREFIX=llw-
WORLD_LOCK=/run/lock/llw-world.lock
WORLD_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
WORLD_TOOLS=$WORLD_SRC/tests/tools
# Debian's interpreter when present: a version-manager shim on PATH can cost a second per start.
PY=python3
[[ -x /usr/bin/python3 ]] && PY=/usr/bin/python3

# --- Addresses (README.md draws them) -------------------------------------------------------
# Server segment: one bridge in the core router.
SRV_GW=198.51.100.1
PUB_DNS=198.51.100.9 # the "public" recursive resolver (the config's direct resolver)
NS_META=198.51.100.21
NS_OTHER=198.51.100.22
NS_CTL=198.51.100.23
WEB_FACEBOOK=198.51.100.31
WEB_INSTAGRAM=198.51.100.32
WEB_WHATSAPP=198.51.100.33
WEB_X=198.51.100.34
CTL_WIKI=198.51.100.41
CTL_NEWS=198.51.100.42
CTL_SEARCH=198.51.100.43
# Core <-> region routers, point to point.
CORE_EU=203.0.113.1 REU_CORE=203.0.113.2
CORE_US=203.0.113.5 RUS_CORE=203.0.113.6
CORE_AP=203.0.113.9 RAP_CORE=203.0.113.10
# Region eu (203.0.113.64/28): the client, its ISP's resolver and one agent.
REU_CLIENT=203.0.113.65 CLIENT=203.0.113.66
REU_ISP=203.0.113.69 ISP_DNS=203.0.113.70
REU_AGEU=203.0.113.73 AG_EU=203.0.113.74
# Region us (203.0.113.80/28) and ap (203.0.113.96/28): one agent each.
RUS_AGUS=203.0.113.81 AG_US=203.0.113.82
RAP_AGAP=203.0.113.97 AG_AP=203.0.113.98
AGENT_PORT=8089

# The platforms the world serves: id, web address, host name, display text the page carries.
WORLD_PLATFORMS=(facebook instagram whatsapp x)
declare -A WEB_ADDR=([facebook]=$WEB_FACEBOOK [instagram]=$WEB_INSTAGRAM [whatsapp]=$WEB_WHATSAPP
  [x]=$WEB_X [wiki]=$CTL_WIKI [news]=$CTL_NEWS [search]=$CTL_SEARCH)
declare -A WEB_HOST=([facebook]=www.facebook.test [instagram]=www.instagram.test
  [whatsapp]=web.whatsapp.test [x]=x.test [wiki]=www.wiki.test [news]=www.news.test
  [search]=www.search.test)
declare -A WEB_TEXT=([facebook]=Facebook [instagram]=Instagram [whatsapp]=WhatsApp [x]="X test"
  [wiki]=Wikipedia [news]=News [search]=Search)
# Every site is HTTPS but one control site, plain HTTP like the connectivity checks of operating
# systems (a captive portal intercepts plain HTTP). site_url SITE: its URL.
declare -A WEB_SCHEME=([search]=http)
site_url() { echo "${WEB_SCHEME[$1]:-https}://${WEB_HOST[$1]}/"; }
# Which namespace serves which site, and which authoritative server owns which zones.
declare -A WEB_NS=([facebook]=web [instagram]=web [whatsapp]=web [x]=web [wiki]=ctl [news]=ctl
  [search]=ctl)
declare -A AUTH_ADDR=([meta]=$NS_META [other]=$NS_OTHER [ctl]=$NS_CTL)
declare -A AUTH_ZONES=([meta]="facebook.test instagram.test whatsapp.test" [other]="x.test"
  [ctl]="wiki.test news.test search.test")
# Agents: name, region, namespace, address.
AGENTS=(eu-west us-east ap-south)
declare -A AGENT_REGION=([eu-west]=eu [us-east]=us [ap-south]=ap)
declare -A AGENT_NS=([eu-west]=ageu [us-east]=agus [ap-south]=agap)
declare -A AGENT_ADDR=([eu-west]=$AG_EU [us-east]=$AG_US [ap-south]=$AG_AP)

# Probe timeout and slow threshold of the world's configs; "slow" servers answer in between. The
# margins are wide on purpose: on a loaded 2-core CI machine a healthy HTTPS probe here can take
# 400 ms, and a 2.5 s answer 3 s.
WORLD_TIMEOUT_MS=4000
WORLD_SLOW_MS=1500
WORLD_SLOW_DELAY_MS=2500

LIFELINE=""
W=""           # this run's scratch folder
CHECK_RC=""    # exit code of the last world_check
CHECK_JSON=""  # its stdout file
WORLD_FAILS=() # failed expectations
WORLD_T0=$(date +%s%3N)

# --- Small helpers --------------------------------------------------------------------------

# ms_since T0_MS: "1.234" seconds since T0_MS (from `date +%s%3N`).
ms_since() {
  local d=$(($(date +%s%3N) - $1))
  printf '%d.%03d' $((d / 1000)) $((d % 1000))
}

world_log() { echo "world [$(ms_since "$WORLD_T0")s] $*" >&2; }

world_skip() {
  echo "SKIP: $*" >&2
  exit 77
}

world_die() {
  echo "world: FATAL: $*" >&2
  world_dump_logs
  exit 1
}

# in_ns NS CMD...: runs CMD inside namespace llw-NS.
in_ns() {
  local ns=$1
  shift
  ip netns exec "$WORLD_PREFIX$ns" "$@"
}

# wait_until [--alive NAME] DESCRIPTION SECONDS CMD...: polls CMD every 50 ms until it succeeds;
# dies after SECONDS with DESCRIPTION, or at once (with its log) if daemon NAME has exited.
wait_until() {
  local alive=""
  if [[ "$1" == --alive ]]; then
    alive=$2
    shift 2
  fi
  local what=$1 limit=$2
  shift 2
  local deadline
  deadline=$(($(date +%s%N) + limit * 1000000000))
  until "$@" >/dev/null 2>&1; do
    if [[ -n "$alive" ]] && ! running "$alive"; then
      world_die "$alive exited while waiting for $what"
    fi
    if (($(date +%s%N) > deadline)); then
      world_die "timed out after ${limit}s waiting for $what"
    fi
    sleep 0.05
  done
}

# spawn NAME NS CMD...: starts a daemon in namespace llw-NS, output in $W/log/NAME.log, pid in
# $W/pid/NAME. `ip netns exec` execs the command, so the pid is the daemon's own.
spawn() {
  local name=$1 ns=$2
  shift 2
  ip netns exec "$WORLD_PREFIX$ns" "$@" >"$W/log/$name.log" 2>&1 {WORLD_LOCK_FD}>&- </dev/null &
  echo $! >"$W/pid/$name"
}

# stop NAME...: stops daemons started by spawn: TERM to all, then KILL what is left after 3 s.
stop() {
  local name pids=() pid i alive
  for name in "$@"; do
    [[ -f "$W/pid/$name" ]] || continue
    pids+=("$(<"$W/pid/$name")")
    rm -f "$W/pid/$name"
  done
  ((${#pids[@]})) || return 0
  kill -TERM "${pids[@]}" 2>/dev/null || true
  for ((i = 0; i < 60; i++)); do
    alive=0
    for pid in "${pids[@]}"; do
      if kill -0 "$pid" 2>/dev/null; then alive=1; fi
    done
    ((alive)) || break
    sleep 0.05
  done
  kill -KILL "${pids[@]}" 2>/dev/null || true
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}

running() { [[ -f "$W/pid/$1" ]] && kill -0 "$(<"$W/pid/$1")" 2>/dev/null; }

world_dump_logs() {
  [[ -n "$W" && -d "$W/log" ]] || return 0
  local f
  for f in "$W"/log/*.log; do
    [[ -s "$f" ]] || continue
    echo "----- $(basename "$f") (last 15 lines)" >&2
    tail -n 15 "$f" >&2
  done
}

# --- Set-up and teardown --------------------------------------------------------------------

# world_remove_all: removes every llw- namespace (killing, by pid, whatever still runs inside)
# and the per-namespace files under /etc/netns. Also used for the leftovers of a crashed run.
world_remove_all() {
  local names=() ns inodes=() line pid target
  mapfile -t names < <(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$WORLD_PREFIX" || true)
  if ((${#names[@]})); then
    for line in $(cd /run/netns && stat -L -c %i "${names[@]}" 2>/dev/null); do
      inodes+=("net:[$line]")
    done
    # One pass over /proc: every process whose network namespace is one of ours.
    while read -r pid target; do
      for line in "${inodes[@]}"; do
        if [[ "$target" == "$line" ]]; then kill -KILL "${pid#/proc/}" 2>/dev/null || true; fi
      done
    done < <(find /proc/[0-9]*/ns/net -maxdepth 0 -printf '%h %l\n' 2>/dev/null | sed 's|/ns | |')
    printf 'netns del %s\n' "${names[@]}" | ip -force -batch - 2>/dev/null || true
  fi
  rm -rf /etc/netns/"$WORLD_PREFIX"*
  rmdir /etc/netns 2>/dev/null || true # only when empty: others may keep files there
}

world_teardown() {
  local rc=$?
  set +e
  if [[ -n "$W" && -d "$W/pid" ]]; then
    local names=() f
    for f in "$W"/pid/*; do [[ -e "$f" ]] && names+=("$(basename "$f")"); done
    stop "${names[@]}"
  fi
  if [[ -n "${WORLD_KEEP:-}" ]]; then
    echo "world: WORLD_KEEP set: namespaces and $W left in place (remove: bash $WORLD_SRC/tests/scenarios/cleanup.sh)" >&2
    return "$rc"
  fi
  world_remove_all
  [[ -n "$W" ]] && rm -rf "$W"
  return "$rc"
}

# world_init LIFELINE_BINARY: checks prerequisites (exit 77 with the reason when one is missing),
# takes the world lock, cleans leftovers and installs the teardown trap.
world_init() {
  LIFELINE=${1:-}
  [[ $(id -u) -eq 0 ]] || world_skip "scenario tests need root (network namespaces); run as root"
  command -v ip >/dev/null || world_skip "iproute2 (ip) not installed: run scripts/install-deps"
  ip netns list >/dev/null 2>&1 || world_skip "'ip netns' is unavailable here"
  local tool
  for tool in unbound nft python3 jq openssl curl dig flock; do
    command -v "$tool" >/dev/null || world_skip "$tool not installed: run scripts/install-deps"
  done
  [[ -n "$LIFELINE" && -x "$LIFELINE" ]] || world_die "usage: $0 /path/to/lifeline (got '$LIFELINE')"
  LIFELINE=$(cd "$(dirname "$LIFELINE")" && pwd)/$(basename "$LIFELINE")
  [[ -f "$WORLD_TOOLS/testca.sh" && -f "$WORLD_TOOLS/testhttpd.py" ]] ||
    world_die "missing $WORLD_TOOLS/testca.sh or testhttpd.py"

  mkdir -p "$(dirname "$WORLD_LOCK")"
  exec {WORLD_LOCK_FD}>"$WORLD_LOCK"
  flock -w 240 "$WORLD_LOCK_FD" || world_die "another test world held $WORLD_LOCK for 240 s"

  # Creating a namespace must work here (some containers forbid it even for root).
  world_remove_all
  if ! ip netns add "${WORLD_PREFIX}probe" 2>/dev/null; then
    world_skip "cannot create network namespaces here (ip netns add failed)"
  fi
  ip netns del "${WORLD_PREFIX}probe"
  rm -rf /tmp/llw-world.*

  W=$(mktemp -d /tmp/llw-world.XXXXXX)
  mkdir -p "$W/log" "$W/pid" "$W/conf" "$W/ca" "$W/run"
  trap world_teardown EXIT
  trap 'exit 130' INT TERM
}

# The network is built with one `ip -batch` per namespace (dozens of `ip` runs cost seconds on a
# loaded CI machine). NS_BATCH[ns] collects the commands of namespace llw-ns.
declare -A NS_BATCH=()
batch() { NS_BATCH[$1]+="$2"$'\n'; }

# link NS1 IF1 ADDR1 NS2 IF2 ADDR2 PREFIXLEN: a veth pair created directly inside the two
# namespaces (never in the root namespace), addressed and up. NS1's batch must run first.
link() {
  local ns1=$1 if1=$2 a1=$3 ns2=$4 if2=$5 a2=$6 len=$7
  batch "$ns1" "link add name $if1 type veth peer name $if2 netns $WORLD_PREFIX$ns2"
  if [[ -n "$a1" ]]; then batch "$ns1" "addr add $a1/$len dev $if1"; fi
  batch "$ns1" "link set $if1 up"
  if [[ -n "$a2" ]]; then batch "$ns2" "addr add $a2/$len dev $if2"; fi
  batch "$ns2" "link set $if2 up"
}

# server NS ADDR...: a host on the server segment (bridge srv0 in the core router).
server() {
  local ns=$1 a
  shift
  link core "s-$ns" "" "$ns" eth0 "$1" 24
  batch core "link set s-$ns master srv0"
  for a in "${@:2}"; do batch "$ns" "addr add $a/24 dev eth0"; done
  batch "$ns" "route add default via $SRV_GW"
}

WORLD_ROUTERS=(core reu rus rap)
WORLD_HOSTS=(client isp ageu agus agap pubdns nsmeta nsother nsctl web ctl)

world_build_network() {
  local ns
  NS_BATCH=()
  for ns in "${WORLD_ROUTERS[@]}" "${WORLD_HOSTS[@]}"; do
    batch root "netns add $WORLD_PREFIX$ns"
    batch "$ns" "link set lo up"
  done

  batch core "link add name srv0 type bridge"
  batch core "addr add $SRV_GW/24 dev srv0"
  batch core "link set srv0 up"
  server pubdns "$PUB_DNS"
  server nsmeta "$NS_META"
  server nsother "$NS_OTHER"
  server nsctl "$NS_CTL"
  server web "$WEB_FACEBOOK" "$WEB_INSTAGRAM" "$WEB_WHATSAPP" "$WEB_X"
  server ctl "$CTL_WIKI" "$CTL_NEWS" "$CTL_SEARCH"

  link core reu "$CORE_EU" reu core "$REU_CORE" 30
  link core rus "$CORE_US" rus core "$RUS_CORE" 30
  link core rap "$CORE_AP" rap core "$RAP_CORE" 30
  # The core knows the regions; it has no default route: nothing leaves the world.
  batch core "route add 203.0.113.64/28 via $REU_CORE"
  batch core "route add 203.0.113.80/28 via $RUS_CORE"
  batch core "route add 203.0.113.96/28 via $RAP_CORE"
  batch reu "route add default via $CORE_EU"
  batch rus "route add default via $CORE_US"
  batch rap "route add default via $CORE_AP"

  link reu client "$REU_CLIENT" client eth0 "$CLIENT" 30
  link reu isp "$REU_ISP" isp eth0 "$ISP_DNS" 30
  link reu ageu "$REU_AGEU" ageu eth0 "$AG_EU" 30
  link rus agus "$RUS_AGUS" agus eth0 "$AG_US" 30
  link rap agap "$RAP_AGAP" agap eth0 "$AG_AP" 30
  batch client "route add default via $REU_CLIENT"
  batch isp "route add default via $REU_ISP"
  batch ageu "route add default via $REU_AGEU"
  batch agus "route add default via $RUS_AGUS"
  batch agap "route add default via $RAP_AGAP"

  # Namespaces first, then routers (they create the veths), then hosts.
  ip -batch - <<<"${NS_BATCH[root]}" || world_die "cannot create the namespaces"
  for ns in "${WORLD_ROUTERS[@]}" "${WORLD_HOSTS[@]}"; do
    ip -n "$WORLD_PREFIX$ns" -batch - <<<"${NS_BATCH[$ns]}" ||
      world_die "cannot set up namespace $WORLD_PREFIX$ns"
  done
  for ns in "${WORLD_ROUTERS[@]}"; do
    in_ns "$ns" sysctl -qw net.ipv4.ip_forward=1
  done

  # Each host's own resolv.conf; `ip netns exec` bind-mounts it over /etc/resolv.conf.
  mkdir -p /etc/netns/"${WORLD_PREFIX}client"
  echo "nameserver $ISP_DNS" >/etc/netns/"${WORLD_PREFIX}client"/resolv.conf
  for ns in ageu agus agap; do
    mkdir -p /etc/netns/"$WORLD_PREFIX$ns"
    echo "nameserver $PUB_DNS" >/etc/netns/"$WORLD_PREFIX$ns"/resolv.conf
  done
}

# --- DNS --------------------------------------------------------------------------------------

# Settings every unbound in the world shares: foreground, no privilege drop, IPv4 only.
unbound_common() {
  cat <<EOF
  do-daemonize: no
  username: ""
  chroot: ""
  directory: "$W"
  pidfile: ""
  use-syslog: no
  logfile: ""
  verbosity: 1
  do-ip6: no
  port: 53
  access-control: 0.0.0.0/0 allow
  num-threads: 1
  module-config: "iterator"
  # A small outgoing port pool: shuffling the default ~48,000 ports costs seconds at start-up.
  outgoing-port-avoid: "0-65535"
  outgoing-port-permit: "40000-40255"
EOF
}

# An authoritative server: the zones of one failure domain as static local data (answers carry
# the AA bit). TTL 0, so a resolver never answers from cache once the server is gone.
write_auth_conf() {
  local dom=$1 addr=${AUTH_ADDR[$1]} zone site
  {
    echo "server:"
    unbound_common
    echo "  interface: $addr"
    for zone in ${AUTH_ZONES[$dom]}; do
      echo "  local-zone: \"$zone.\" static"
      echo "  local-data: \"$zone. 0 IN SOA ns.$dom.test. hostmaster.$zone. 1 60 60 600 0\""
      echo "  local-data: \"$zone. 0 IN NS ns.$dom.test.\""
      for site in "${!WEB_HOST[@]}"; do
        local host=${WEB_HOST[$site]}
        if [[ "$host" == "$zone" || "$host" == *".$zone" ]]; then
          echo "  local-data: \"$host. 0 IN A ${WEB_ADDR[$site]}\""
        fi
      done
    done
    echo "remote-control:"
    echo "  control-enable: no"
  } >"$W/conf/auth-$dom.conf"
}

# A recursive resolver that reaches each zone through a stub zone at its authoritative server.
# Nothing is cached (TTL 0 records, cache-max-ttl 0), so every probe reaches the authoritative
# server and a stopped one shows at once; log-servfail says why in the log.
write_resolver_conf() {
  local name=$1 addr=$2 dom zone
  {
    echo "server:"
    unbound_common
    echo "  interface: $addr"
    echo "  local-zone: \"test.\" nodefault"
    echo "  domain-insecure: \"test.\""
    echo "  cache-max-ttl: 0"
    echo "  cache-max-negative-ttl: 0"
    # Queries to the authoritative servers go over TCP: a stopped server then refuses the
    # connection at once and the resolver answers SERVFAIL within a second or two, where over UDP
    # it would sit out its retransmit timers (10-30 s) and the client would only see a timeout.
    # Once failed, a server is known down (infra-host-ttl, default 900 s) for the world's life.
    echo "  tcp-upstream: yes"
    echo "  infra-cache-max-rtt: 1000"
    echo "  log-servfail: yes"
    echo "  serve-expired: no"
    for dom in "${!AUTH_ZONES[@]}"; do
      for zone in ${AUTH_ZONES[$dom]}; do
        echo "stub-zone:"
        echo "  name: \"$zone.\""
        echo "  stub-addr: ${AUTH_ADDR[$dom]}"
      done
    done
    echo "remote-control:"
    echo "  control-enable: no"
  } >"$W/conf/resolver-$name.conf"
}

# dns_answers NS SERVER NAME: true when SERVER, queried from NS, resolves NAME to an address.
dns_answers() {
  in_ns "$1" dig +time=1 +tries=1 +short "@$2" "$3" A | grep -Eq '^[0-9.]+$'
}

world_start_dns() {
  local dom
  for dom in "${!AUTH_ADDR[@]}"; do
    write_auth_conf "$dom"
    spawn "auth-$dom" "ns$dom" unbound -d -c "$W/conf/auth-$dom.conf"
  done
  write_resolver_conf public "$PUB_DNS"
  write_resolver_conf isp "$ISP_DNS"
  spawn resolver-public pubdns unbound -d -c "$W/conf/resolver-public.conf"
  spawn resolver-isp isp unbound -d -c "$W/conf/resolver-isp.conf"
}

world_wait_dns() {
  wait_until --alive resolver-public "the public resolver from the client" 20 dns_answers client \
    "$PUB_DNS" www.wiki.test
}

# --- Web servers ------------------------------------------------------------------------------

world_make_certs() {
  local hosts=() site
  for site in "${!WEB_HOST[@]}"; do hosts+=("${WEB_HOST[$site]}"); done
  bash "$WORLD_TOOLS/testca.sh" --leaf world "$W/ca" "${hosts[@]}"
}

# start_site SITE [testhttpd options...]: (re)starts the HTTPS server of one site; wait_site
# waits until it listens (a fresh port file per start: no stale file can be mistaken for it).
WEB_STARTS=0
start_site() {
  local site=$1
  shift
  stop "web-$site"
  WEB_STARTS=$((WEB_STARTS + 1))
  WEB_PORT_FILE[$site]=$W/run/web-$site.$WEB_STARTS.port
  local listen=(--listen "${WEB_ADDR[$site]}:443" --cert "$W/ca/world.pem" --key "$W/ca/world.key")
  if [[ "${WEB_SCHEME[$site]:-https}" == http ]]; then listen=(--listen "${WEB_ADDR[$site]}:80"); fi
  spawn "web-$site" "${WEB_NS[$site]}" "$PY" "$WORLD_TOOLS/testhttpd.py" "${listen[@]}" \
    --body "<html><head><title>${WEB_TEXT[$site]}</title></head><body>${WEB_TEXT[$site]} test page</body></html>" \
    --port-file "${WEB_PORT_FILE[$site]}" "$@"
}
declare -A WEB_PORT_FILE=()

wait_site() {
  local site=$1
  wait_until --alive "web-$site" "web server $site to listen" 20 test -s "${WEB_PORT_FILE[$site]}"
}

world_start_web() {
  local site
  for site in "${!WEB_HOST[@]}"; do start_site "$site"; done
}

# sites_load NS SITE...: each site's page answers 200 from NS, resolved by NS's own resolver, in
# one curl run.
sites_load() {
  local ns=$1 site urls=() codes
  shift
  for site in "$@"; do urls+=(-o /dev/null "$(site_url "$site")"); done
  codes=$(in_ns "$ns" curl -s --max-time 3 --cacert "$W/ca/ca.pem" -w '%{http_code} ' "${urls[@]}")
  [[ "$codes" == "$(printf '200 %.0s' "$@")" ]]
}

# --- Configs and agents -----------------------------------------------------------------------

yaml_control() {
  local site
  echo "control:"
  for site in wiki news search; do
    echo "  - id: $site"
    echo "    url: $(site_url "$site")"
    echo "    expect: { status: [200], body_contains: [\"${WEB_TEXT[$site]}\"] }"
  done
}

yaml_common() {
  echo "timeout: ${WORLD_TIMEOUT_MS}ms"
  echo "slow_threshold: ${WORLD_SLOW_MS}ms"
  echo "ca_file: $W/ca/ca.pem"
  echo "resolvers: [\"$PUB_DNS\"]"
  yaml_control
}

# "PLATFORM PROBE_ID" for every probe of a platform in the bundled catalog (config/catalog.yaml,
# block style: platforms at two spaces, probes as "- id: X" list items), so the world's config can
# remove those that point at real hosts. awk, not a YAML library: this runs while seven test
# servers start, and a Python start-up then costs seconds on a loaded machine. A probe missed here
# would only fail (nothing leaves the world) and the scenario with it, loudly.
catalog_probe_ids() {
  awk '
    /^platforms:/ { inside = 1; next }
    /^[^ #]/ { inside = 0 }
    !inside { next }
    /^  [a-z0-9_-]+:/ { pid = $1; sub(/:.*/, "", pid); next }
    /^ +- *(\{ *)?id: *[A-Za-z0-9_-]+/ {
      id = $0; sub(/^ +- *(\{ *)?id: */, "", id); sub(/[^A-Za-z0-9_-].*/, "", id); print pid, id
    }' "$WORLD_SRC/config/catalog.yaml"
}

write_client_conf() {
  local ids
  ids=$(catalog_probe_ids)
  {
    yaml_common
    world_yaml_vantage_points
    world_yaml_platforms "$ids"
  } >"$W/conf/client.yaml"
  # The same without vantage points: what a user without agents sees.
  {
    yaml_common
    world_yaml_platforms "$ids"
  } >"$W/conf/client-alone.yaml"
}

# world_yaml_platforms IDS: the platforms: section (IDS from catalog_probe_ids).
world_yaml_platforms() {
  local site
  echo "platforms:"
  for site in "${WORLD_PLATFORMS[@]}"; do world_yaml_platform "$site" "$site" "$1"; done
}

# world_yaml_platform PID SITE IDS: catalog platform PID pointed at the world's SITE: its DNS
# name, no status page, the catalog's "web" probe replaced (same id) by SITE's URL and any other
# catalog probe of PID removed.
# The `vantage_points:` section naming every agent of the world.
world_yaml_vantage_points() {
  local agent
  echo "vantage_points:"
  for agent in "${AGENTS[@]}"; do
    echo "  - name: $agent"
    echo "    region: ${AGENT_REGION[$agent]}"
    echo "    url: https://${AGENT_ADDR[$agent]}:$AGENT_PORT"
    echo "    ca: $W/ca/ca.pem"
    echo "    token_file: $W/conf/$agent.token"
  done
}

world_yaml_platform() {
  local pid=$1 site=$2 ids=$3 p id
  echo "  $pid:"
  echo "    dns: [${WEB_HOST[$site]}]"
  echo "    status_page: null"
  echo "    probes:"
  while read -r p id; do
    if [[ "$p" == "$pid" && "$id" != web ]]; then echo "      - { id: $id, enabled: false }"; fi
  done <<<"$ids"
  echo "      - id: web"
  echo "        url: $(site_url "$site")"
  echo "        expect: { status: [200], body_contains: [\"${WEB_TEXT[$site]}\"] }"
}

# The world lives in documentation ranges, which agents refuse by default (they are not routed on
# the internet, so nothing public lives there): its agents allow both, on purpose.
write_agent_conf() {
  {
    yaml_common
    echo "agent:"
    echo "  max_request_bytes: 1048576"
    echo "  allow_private: [198.51.100.0/24, 203.0.113.0/24]"
  } >"$W/conf/agentworld.yaml"
}

agent_healthy() {
  [[ "$(in_ns client curl -s --max-time 2 --cacert "$W/ca/ca.pem" -o /dev/null -w '%{http_code}' "https://$1:$AGENT_PORT/healthz")" == 200 ]]
}

world_start_agents() {
  local agent
  write_agent_conf
  for agent in "${AGENTS[@]}"; do
    printf '%08x%08x%08x%08x' "$SRANDOM" "$SRANDOM" "$SRANDOM" "$SRANDOM" >"$W/conf/$agent.token"
    # Agents serve HTTPS with a certificate from the world's test CA, which callers trust (ca:).
    bash "$WORLD_TOOLS/testca.sh" --leaf "agent-$agent" "$W/ca" "${AGENT_ADDR[$agent]}"
    spawn "agent-$agent" "${AGENT_NS[$agent]}" "$LIFELINE" agent \
      --listen "${AGENT_ADDR[$agent]}:$AGENT_PORT" --token-file "$W/conf/$agent.token" \
      --tls-cert "$W/ca/agent-$agent.pem" --tls-key "$W/ca/agent-$agent.key" \
      --config "$W/conf/agentworld.yaml" --name "$agent" --region "${AGENT_REGION[$agent]}"
  done
}

world_wait_agents() {
  local agent
  for agent in "${AGENTS[@]}"; do
    wait_until --alive "agent-$agent" "agent $agent (/healthz from the client)" 20 agent_healthy "${AGENT_ADDR[$agent]}"
  done
}

# world_up [--no-agents]: the whole world, ready: every server answers from where it is used.
world_up() {
  local agents=1
  [[ "${1:-}" == --no-agents ]] && agents=0
  world_build_network
  world_log "network built"
  world_make_certs
  world_start_dns
  world_start_web
  write_client_conf
  if ((agents)); then world_start_agents; fi
  world_log "daemons started"
  local site
  for site in "${!WEB_HOST[@]}"; do wait_site "$site"; done
  world_log "web servers listen"
  # One fetch of every site from the client proves the ISP resolver, every authoritative
  # server, every web server and the certificates; then the public resolver (the agents' one).
  wait_until --alive resolver-isp "every site to load from the client" 20 sites_load client \
    "${!WEB_HOST[@]}"
  world_log "every site loads from the client"
  world_wait_dns
  if ((agents)); then world_wait_agents; fi
  world_log "world up"
}

# --- Faults -----------------------------------------------------------------------------------

# dns_status NS SERVER NAME STATUS: SERVER, queried from NS, answers NAME with STATUS quickly.
dns_status() {
  in_ns "$1" dig +time=1 +tries=1 "@$2" "$3" A | grep -q "status: $4"
}

# The failure domain's authoritative DNS server stops, as Meta's vanished on 4 Oct 2021. Each
# resolver's first query per zone finds it gone (a second or two); from then on every query for
# its zones gets SERVFAIL at once. Those first queries run here, in parallel, before lifeline
# looks: at the time people check, resolvers everywhere already know.
fault_stop_auth() {
  local dom=$1 zone resolver pids=()
  stop "auth-$dom"
  for zone in ${AUTH_ZONES[$dom]}; do
    for resolver in "$PUB_DNS" "$ISP_DNS"; do
      in_ns client dig +time=20 +tries=1 "@$resolver" "$zone" SOA >/dev/null 2>&1 &
      pids+=($!)
    done
  done
  wait "${pids[@]}" || true
  for zone in ${AUTH_ZONES[$dom]}; do
    for resolver in "$PUB_DNS" "$ISP_DNS"; do
      wait_until "SERVFAIL for www.$zone at $resolver" 30 dns_status client "$resolver" "www.$zone" SERVFAIL
    done
  done
  world_log "fault: authoritative DNS for $dom stopped"
}

# A firewall on the client drops everything to one site's address (blocks just this machine).
fault_firewall_client() {
  local site=$1
  in_ns client nft -f - <<EOF
table inet llw_firewall {
  chain output {
    type filter hook output priority 0; policy accept;
    ip daddr ${WEB_ADDR[$site]} drop
  }
}
EOF
  world_log "fault: client firewall drops ${WEB_ADDR[$site]} ($site)"
}

# The client's DNS questions for one site's name vanish on the way (nft drop in the eu router,
# matching the question's name in the DNS payload), whichever resolver they go to: lookups of it
# time out here while every other name resolves, as some resolvers timed out on Meta's names
# before answering SERVFAIL on 4 Oct 2021. The name's first two labels, as they appear in the
# packet (each prefixed by its length), fit the 16 bytes nft compares at once. Questions go over
# UDP (TCP only after a truncated answer, which a dropped question never gets).
fault_dns_timeout_client() {
  local site=$1 host label hex="" bits
  host=${WEB_HOST[$site]}
  for label in $(tr . ' ' <<<"$host" | cut -d' ' -f1-2); do
    hex+=$(printf '%02x' "${#label}")$(printf '%s' "$label" | od -An -tx1 | tr -d ' \n')
  done
  bits=$((${#hex} * 4))
  ((bits <= 128)) || world_die "fault_dns_timeout_client: $host's first labels are too long to match"
  # After the UDP header (8 bytes) and the DNS header (12 bytes): the question's name, bit 160.
  in_ns reu nft -f - <<EOF
table inet llw_dns_timeout {
  chain forward {
    type filter hook forward priority 0; policy accept;
    iifname "client" udp dport 53 @th,160,$bits 0x$hex drop
  }
}
EOF
  if in_ns client dig +time=1 +tries=1 "@$PUB_DNS" "$host" A >/dev/null 2>&1; then
    world_die "fault_dns_timeout_client: $host still gets an answer at the client"
  fi
  world_log "fault: the client's DNS questions for $host are dropped"
}

# The site's servers answer 503 (or whatever testhttpd options are given) to everyone.
fault_site() {
  local site=$1
  shift
  start_site "$site" "$@"
  wait_site "$site"
  world_log "fault: $site now runs with: $*"
}

# The client's line is cut beyond its first hop: its interface stays up with its address and
# default route, but the eu router forwards nothing from or to it.
fault_cut_uplink() {
  in_ns reu nft -f - <<EOF
table inet llw_cut {
  chain forward {
    type filter hook forward priority 0; policy accept;
    iifname "client" drop
    oifname "client" drop
  }
  chain input {
    type filter hook input priority 0; policy accept;
    iifname "client" drop
  }
}
EOF
  world_log "fault: client uplink cut at the eu router"
}

# The client's ISP resolver dies; the public resolver keeps working.
fault_kill_isp_resolver() {
  stop resolver-isp
  world_log "fault: ISP resolver stopped"
}

# The core router drops everything between region REGION (eu, us, ap) and the given sites'
# addresses, as when a transit link or peering of that region fails. Region eu holds the client.
fault_cut_region() {
  local region=$1 site addrs="" ifname=r$1
  shift
  for site in "$@"; do addrs+="${addrs:+, }${WEB_ADDR[$site]}"; done
  in_ns core nft -f - <<EOF
table inet llw_region {
  chain forward {
    type filter hook forward priority 0; policy accept;
    iifname "$ifname" ip daddr { $addrs } drop
    oifname "$ifname" ip saddr { $addrs } drop
  }
}
EOF
  world_log "fault: region $region cut from $*"
}

# A captive portal, as on hotel or airport Wi-Fi before logging in: the ISP's resolver answers
# every name with the portal's address (203.0.113.70, the ISP host), the portal answers plain
# HTTP with a redirect to its login page, nothing listens on 443, and the eu router forwards
# nothing else from the client (not even DNS to other resolvers).
fault_captive_portal() {
  local portal=$ISP_DNS
  spawn portal-login isp "$PY" "$WORLD_TOOLS/testhttpd.py" --listen "$portal:8080" --mode wrong \
    --body "<html><title>Hotel Wi-Fi</title>Please log in to use the Internet</html>" \
    --port-file "$W/run/portal-login.port"
  spawn portal isp "$PY" "$WORLD_TOOLS/testhttpd.py" --listen "$portal:80" --mode redirect \
    --location "http://login.hotspot.test:8080/" --port-file "$W/run/portal.port"
  stop resolver-isp
  {
    cat "$W/conf/resolver-isp.conf"
    echo "server:"
    echo "  local-zone: \".\" redirect"
    echo "  local-data: \". 0 IN A $portal\""
  } >"$W/conf/resolver-isp-portal.conf"
  spawn resolver-isp isp unbound -d -c "$W/conf/resolver-isp-portal.conf"
  in_ns reu nft -f - <<EOF
table inet llw_portal {
  chain forward {
    type filter hook forward priority 0; policy accept;
    iifname "client" ip daddr != $portal drop
  }
}
EOF
  wait_until --alive portal-login "the portal's login page" 20 test -s "$W/run/portal-login.port"
  wait_until --alive portal "the portal" 20 test -s "$W/run/portal.port"
  wait_until --alive resolver-isp "the hijacking resolver" 20 dns_hijacked "$portal"
  world_log "fault: captive portal on $portal"
}

dns_hijacked() {
  [[ "$(in_ns client dig +time=1 +tries=1 +short www.wiki.test)" == "$1" ]]
}

# Random loss of PERCENT percent on the client's link, in the eu router (no netem here).
fault_loss_client() {
  local percent=$1
  in_ns reu nft -f - <<EOF
table inet llw_loss {
  chain forward {
    type filter hook forward priority 0; policy accept;
    iifname "client" numgen random mod 100 < $percent drop
    oifname "client" numgen random mod 100 < $percent drop
  }
}
EOF
  world_log "fault: ${percent}% loss on the client link"
}

# --- Running lifeline and asserting -----------------------------------------------------------

# run_check LABEL CMD...: runs a `lifeline check --json` command line; the exit code lands in
# CHECK_RC, stdout in $CHECK_JSON, stderr in $W/check.err. Bounded: a hung check fails the test.
run_check() {
  local label=$1 t0
  shift
  CHECK_JSON=$W/check.json
  t0=$(date +%s%3N)
  set +e
  timeout 60 "$@" >"$CHECK_JSON" 2>"$W/check.err"
  CHECK_RC=$?
  set -e
  world_log "$label: exit $CHECK_RC in $(ms_since "$t0")s"
  if ! jq -e 'type == "object"' "$CHECK_JSON" >/dev/null 2>&1; then
    fail "$label did not print one JSON document (exit $CHECK_RC)"
  fi
}

# world_check [--alone] [PLATFORM...]: `lifeline check` in the client with the world's config
# (--alone: the same config without vantage points), by default of the world's four platforms.
world_check() {
  local conf=client.yaml
  if [[ "${1:-}" == --alone ]]; then
    conf=client-alone.yaml
    shift
  fi
  local platforms=("$@")
  ((${#platforms[@]})) || platforms=("${WORLD_PLATFORMS[@]}")
  run_check "lifeline check ${platforms[*]} ($conf)" ip netns exec "${WORLD_PREFIX}client" \
    "$LIFELINE" check "${platforms[@]}" --config "$W/conf/$conf" --json
}

fail() {
  WORLD_FAILS+=("$*")
  echo "FAIL: $*" >&2
}

expect_exit() {
  [[ "$CHECK_RC" == "$1" ]] || fail "exit code: want $1, got $CHECK_RC"
}

# jq_get EXPR: evaluates EXPR on the last check's JSON (raw output, "" when null/invalid).
jq_get() { jq -r "$1 // empty" "$CHECK_JSON" 2>/dev/null || true; }

# expect_platform ID VERDICT [LAYER [DETAIL]]
expect_platform() {
  local id=$1 verdict=$2 layer=${3-} detail=${4-} got
  local p=".platforms[] | select(.platform == \"$id\")"
  got=$(jq_get "$p | .verdict")
  [[ "$got" == "$verdict" ]] || fail "$id: verdict want $verdict, got '${got}'"
  if [[ $# -ge 3 ]]; then
    got=$(jq_get "$p | .layer")
    [[ "$got" == "$layer" ]] || fail "$id: layer want '$layer', got '$got'"
  fi
  if [[ $# -ge 4 ]]; then
    got=$(jq_get "$p | .detail")
    [[ "$got" == "$detail" ]] || fail "$id: detail want '$detail', got '$got'"
  fi
}

expect_connectivity() {
  local got
  got=$(jq_get ".observer.connectivity")
  [[ "$got" == "$1" ]] || fail "observer.connectivity: want $1, got '$got'"
}

# probes_of ID FILTER: jq expression for the probes of platform ID that pass FILTER (a jq boolean
# on one probe), e.g. probes_of instagram '.kind == "http" and .from == "here"'.
probes_of() { echo "[.platforms[] | select(.platform == \"$1\") | .probes[] | select($2)]"; }

# expect_json JQ_BOOLEAN_EXPR DESCRIPTION
expect_json() {
  jq -e "$1" "$CHECK_JSON" >/dev/null 2>&1 || fail "$2 (jq: $1)"
}

# world_finish: prints the verdict table of the last check (WORLD_SHOW=1: its evidence too) and
# the outcome; exits 0 or 1.
world_finish() {
  if [[ -n "$CHECK_JSON" && -f "$CHECK_JSON" ]]; then
    jq -r '.platforms[]? | "  \(.platform): \(.verdict) \(.layer // "") \(.detail // "") (\(.confidence // ""))"' \
      "$CHECK_JSON" 2>/dev/null >&2 || true
  fi
  if [[ -n "${WORLD_SHOW:-}" && -n "$CHECK_JSON" ]]; then
    jq '{observer, vantage_points, notes, platforms: [.platforms[] | {platform, verdict, layer, detail, confidence, reason, evidence}], domains}' \
      "$CHECK_JSON" >&2 || true
  fi
  if ((${#WORLD_FAILS[@]})); then
    echo "----- lifeline check --json (exit $CHECK_RC)" >&2
    cat "$CHECK_JSON" >&2 2>/dev/null || true
    echo "----- stderr" >&2
    cat "$W/check.err" >&2 2>/dev/null || true
    world_dump_logs
    echo "FAILED: ${#WORLD_FAILS[@]} expectation(s)" >&2
    exit 1
  fi
  world_log "PASS"
  exit 0
}
