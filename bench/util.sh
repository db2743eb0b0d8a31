#!/usr/bin/env bash
# Small helpers the benchmarks share: a free loopback port, a process's CPU ticks, an nginx of
# endpoints and reading /metrics scrapes. Source it.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }  # utime + stime of PID $1
tick_hz=$(getconf CLK_TCK)

# One nginx worker on 127.0.0.1:$nginx_port (set here; its pid joins $pids): every /e/N answers
# 200 "ok", /generate_204 answers 204 (a control endpoint). endpoint_nginx WORK NOFILE BACKLOG CONNS
endpoint_nginx() {
  local dir=$1 nofile=$2 backlog=$3 conns=$4
  nginx_port=$(free_port)
  mkdir -p "$dir/nginx"
  cat > "$dir/nginx.conf" <<NGINX
worker_processes 1;
daemon off;
pid $dir/nginx.pid;
error_log $dir/nginx/error.log;
worker_rlimit_nofile $nofile;
events { worker_connections $conns; }
http {
  access_log off;
  client_body_temp_path $dir/nginx; proxy_temp_path $dir/nginx; fastcgi_temp_path $dir/nginx;
  uwsgi_temp_path $dir/nginx; scgi_temp_path $dir/nginx;
  server {
    listen 127.0.0.1:$nginx_port backlog=$backlog;
    location /e/ { return 200 "ok\n"; }
    location = /generate_204 { return 204; }
  }
}
NGINX
  nginx -c "$dir/nginx.conf" -e "$dir/nginx/error.log" &
  pids+=($!)
  for _ in $(seq 50); do curl -sf "http://127.0.0.1:$nginx_port/e/0" >/dev/null && break; sleep 0.1; done
}

metric() {  # metric FILE NAME [LABEL-MATCH]: the sample's value (0 when absent)
  awk -v n="$2" -v l="${3:-}" '$1 ~ "^"n"(\\{|$)" && index($1, l) {v=$2} END {print v+0}' "$1"
}
# Quantile from the difference of two scrapes of a histogram: the smallest bucket bound with at
# least q of the window's observations at or below it.
hist_quantile() {  # FILE0 FILE1 NAME Q
  python3 - "$@" <<'PY'
import re, sys
f0, f1, name, q = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
def buckets(f):
    b = {}
    for line in open(f):
        m = re.match(name + r'_bucket\{le="([^"]+)"\} (\S+)', line)
        if m: b[m.group(1)] = float(m.group(2))
    return b
b0, b1 = buckets(f0), buckets(f1)
les = sorted(b1, key=lambda s: float("inf") if s == "+Inf" else float(s))
total = b1.get("+Inf", 0) - b0.get("+Inf", 0)
if total <= 0: print("n/a"); sys.exit()
for le in les:
    if b1[le] - b0.get(le, 0) >= q * total - 1e-9:
        print(le if le == "+Inf" else f"{float(le):g}"); break
PY
}
