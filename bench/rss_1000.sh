#!/usr/bin/env bash
# Peak RSS of checking 1,000 targets at once, on loopback: with the default concurrency bound (256
# in flight, what `lifeline check` does) and with all 1,000 in flight; plain HTTP and HTTPS.
# HTTPS runs with session resumption off: 1,000 distinct targets would each need a full handshake.
# Usage: bench/rss_1000.sh BUILD_DIR
set -euo pipefail
build=${1:?usage: rss_1000.sh BUILD_DIR}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
ulimit -n 8192
for c in 256 1000; do
  echo "http  concurrency $c: $("$build/bench/probe_load" --url "http://127.0.0.1:$http_port/" --count 1000 --concurrency $c)"
  echo "https concurrency $c: $("$build/bench/probe_load" --url "https://localhost:$https_port/" --count 1000 --concurrency $c --ca-file "$work/ca.pem" --tls-resumption off)"
done
echo "target: max_rss_mb < 50"
