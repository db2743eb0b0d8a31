#!/usr/bin/env bash
# Peak RSS of checking 1,000 targets at once (concurrency 1000), plain HTTP and HTTPS, on loopback.
# Usage: bench/rss_1000.sh BUILD_DIR
set -euo pipefail
build=${1:?usage: rss_1000.sh BUILD_DIR}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
ulimit -n 8192
echo "http : $("$build/probe_load" --url "http://127.0.0.1:$http_port/" --count 1000 --concurrency 1000)"
echo "https: $("$build/probe_load" --url "https://localhost:$https_port/" --count 1000 --concurrency 1000 --ca-file "$work/ca.pem")"
echo "target: max_rss_mb < 50"
