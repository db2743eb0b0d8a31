#!/usr/bin/env bash
# One throw-away PostgreSQL cluster for a whole ctest run (the `pg` fixture, tests/CMakeLists.txt
# and the lifeline_module tests): started before the first test that needs it, stopped after the
# last. Tests find it through the file named by LIFELINE_TEST_PG_DIR_FILE (it holds the cluster's
# folder) and make a database of their own in it (store/pg/test_cluster.h); without the fixture a
# test process starts a cluster of its own, which costs ~2 s per test.
#
#   pg_fixture.sh start FILE   initdb into a new /tmp/lifeline_pg_XXXXXX, start postgres on a
#                              Unix socket there only (no TCP), write the folder's path to FILE
#   pg_fixture.sh stop FILE    stop it (fast) and remove the folder and FILE
#
# Exits 0 without starting anything when PostgreSQL is not installed (the tests then skip).
set -euo pipefail
cmd=${1:?start or stop}
file=${2:?the file that holds the cluster folder}

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)

as_owner() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u "$owner" -- "$@"
  else
    "$@"
  fi
}

owner=postgres
getent passwd postgres >/dev/null || owner=nobody

case $cmd in
  start)
    rm -f "$file"
    if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
      echo "pg_fixture: PostgreSQL is not installed; its tests will skip" >&2
      exit 0
    fi
    dir=$(mktemp -d /tmp/lifeline_pg_XXXXXX)  # short: a socket path has 107 bytes at most
    [ "$(id -u)" = 0 ] && chown "$owner" "$dir"
    as_owner "$bin/initdb" -D "$dir/data" -U lifeline --auth=trust --no-sync -E UTF8 \
      --locale=C >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 \
      -o "-k $dir -p 5432 -c listen_addresses= -c fsync=off -c full_page_writes=off \
          -c shared_buffers=32MB -c max_connections=300" start >/dev/null \
      || { cat "$dir/log" >&2; exit 1; }
    echo "$dir" >"$file"
    echo "pg_fixture: PostgreSQL running in $dir"
    ;;
  stop)
    [ -f "$file" ] || exit 0
    dir=$(cat "$file")
    if [ -n "$bin" ] && [ -d "$dir/data" ]; then
      as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null || true
    fi
    rm -rf "$dir" "$file"
    ;;
  *)
    echo "usage: pg_fixture.sh start|stop FILE" >&2
    exit 2
    ;;
esac
