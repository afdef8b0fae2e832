#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests and benchmarks: a fresh cluster in a temporary
# folder, listening on 127.0.0.1 only, on a free port, with a password-protected role that may
# create databases.
#
#   eval "$(scripts/pg-test-server.sh start)"          # exports MLPLAB_TEST_PG and MLPLAB_TEST_PG_DIR
#   scripts/pg-test-server.sh restart "$MLPLAB_TEST_PG_DIR" [SECONDS]   # down for SECONDS, then up
#   scripts/pg-test-server.sh stop "$MLPLAB_TEST_PG_DIR"   # stops it and removes the folder
#
# The server refuses to run as root: as root, the cluster belongs to the `postgres` user and
# every server command runs as that user. The binaries are found through $PG_BIN, pg_config,
# Debian's /usr/lib/postgresql/<version>/bin, or the PATH.
set -euo pipefail

die() { echo "pg-test-server: $*" >&2; exit 1; }

find_bin() {
  if [ -n "${PG_BIN:-}" ] && [ -x "$PG_BIN/initdb" ]; then echo "$PG_BIN"; return; fi
  if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]; then pg_config --bindir; return; fi
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$d/initdb" ]; then echo "$d"; return; fi
  done
  if command -v initdb >/dev/null 2>&1; then dirname "$(command -v initdb)"; return; fi
  die "no PostgreSQL server binaries (initdb, pg_ctl) found; install them (Debian: apt-get install postgresql) or set PG_BIN"
}

# Run a command as the cluster's owner: `postgres` when we are root, else ourselves.
as_owner() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

free_port() {
  node -e "const s = require('node:net').createServer(); s.listen(0, '127.0.0.1', () => { console.log(s.address().port); s.close(); });"
}

start() {
  local bin dir port password
  bin=$(find_bin)
  if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then die "running as root needs a 'postgres' user to own the server"; fi
  dir=$(mktemp -d "${TMPDIR:-/tmp}/mlplab-pg.XXXXXX")
  chmod 700 "$dir"
  if [ "$(id -u)" = 0 ]; then chown postgres: "$dir"; fi
  password=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
  printf '%s\n' "$password" > "$dir/.pw"
  if [ "$(id -u)" = 0 ]; then chown postgres: "$dir/.pw"; fi
  chmod 600 "$dir/.pw"
  as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 --pwfile="$dir/.pw" -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; rm -rf "$dir"; die "initdb failed"; }
  port=$(free_port)
  cat >>"$dir/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
  echo "$port" > "$dir/port"
  echo "$bin" > "$dir/bin"
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null \
    || { cat "$dir/server.log" >&2; rm -rf "$dir"; die "the server did not start"; }
  as_owner "$bin/psql" -h "$dir" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 -q \
    -c "CREATE ROLE mlplab LOGIN CREATEDB PASSWORD '$password'" \
    -c "CREATE DATABASE mlplab OWNER mlplab" >/dev/null
  echo "export MLPLAB_TEST_PG='postgresql://mlplab:$password@127.0.0.1:$port/mlplab'"
  echo "export MLPLAB_TEST_PG_DIR='$dir'"
}

check_dir() {
  [ -n "${1:-}" ] || die "usage: $0 stop|restart FOLDER (the MLPLAB_TEST_PG_DIR that start printed)"
  [ -f "$1/port" ] && [ -d "$1/data" ] || die "$1 is not a folder made by '$0 start'"
}

stop() {
  check_dir "${1:-}"
  local bin
  bin=$(cat "$1/bin")
  as_owner "$bin/pg_ctl" -D "$1/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$1"
}

# Stop the server (cutting every connection), stay down for SECONDS (default 0), start it again.
restart() {
  check_dir "${1:-}"
  local bin
  bin=$(cat "$1/bin")
  as_owner "$bin/pg_ctl" -D "$1/data" -m fast -w -t 60 stop >/dev/null
  sleep "${2:-0}"
  as_owner "$bin/pg_ctl" -D "$1/data" -l "$1/server.log" -w -t 60 start >/dev/null
}

case "${1:-}" in
  start) start ;;
  stop) stop "${2:-}" ;;
  restart) restart "${2:-}" "${3:-0}" ;;
  *) die "usage: $0 start | stop FOLDER | restart FOLDER [SECONDS]" ;;
esac
