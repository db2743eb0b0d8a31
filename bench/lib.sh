#!/usr/bin/env bash
# Shared set-up for the benchmarks: a temp dir, an ECDSA test CA and certificate, and one nginx on
# loopback serving "ok" over plain HTTP ($http_port) and HTTPS ($https_port). Source it.
work=$(mktemp -d /tmp/llbench.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

source "$(dirname "${BASH_SOURCE[0]}")/util.sh"

# ECDSA certificate from a throwaway CA.
openssl ecparam -name prime256v1 -genkey -noout -out "$work/ca.key"
openssl req -x509 -new -key "$work/ca.key" -subj "/CN=lifeline bench CA" -days 2 -out "$work/ca.pem" 2>/dev/null
openssl ecparam -name prime256v1 -genkey -noout -out "$work/srv.key"
openssl req -new -key "$work/srv.key" -subj "/CN=localhost" -out "$work/srv.csr" 2>/dev/null
printf "subjectAltName=DNS:localhost,IP:127.0.0.1\n" > "$work/ext.cnf"
openssl x509 -req -in "$work/srv.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" -CAcreateserial \
  -days 2 -extfile "$work/ext.cnf" -out "$work/srv.pem" 2>/dev/null

http_port=$(free_port); https_port=$(free_port)
mkdir -p "$work/nginx"
cat > "$work/nginx.conf" <<NGINX
worker_processes 1;
daemon off;
pid $work/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work/nginx; proxy_temp_path $work/nginx; fastcgi_temp_path $work/nginx;
  uwsgi_temp_path $work/nginx; scgi_temp_path $work/nginx;
  server {
    listen 127.0.0.1:$http_port;
    listen 127.0.0.1:$https_port ssl;
    ssl_certificate $work/srv.pem;
    ssl_certificate_key $work/srv.key;
    location / { return 200 "ok\n"; }
  }
}
NGINX
nginx -c "$work/nginx.conf" -e "$work/nginx/error.log" &
pids+=($!)

for _ in $(seq 50); do curl -sf "http://127.0.0.1:$http_port/" >/dev/null && break; sleep 0.1; done
