#!/usr/bin/env bash
# The project's own PostgreSQL, for the tests: a cluster in the git-ignored .services/postgresql/
# (data/, postgres.log) on 127.0.0.1:55432 (PG_TEST_PORT), with the reference's credentials
# (postgres/postgres) and database (counter_db). It is not the machine's PostgreSQL, so the
# fault tests may stop and start it without interrupting anyone. Installs Debian's server
# binaries when they are missing (as root). PostgreSQL refuses to run as root: run as root, the
# script runs the server as the `postgres` OS user; otherwise as the user who runs it.
# Idempotent: `start` on a running cluster only checks it.
# Usage: scripts/postgres.sh start|stop|restart|status
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HOME_DIR="$ROOT/.services/postgresql"
DATA="$HOME_DIR/data"
LOG="$HOME_DIR/postgres.log"
PORT=${PG_TEST_PORT:-55432}
DB=counter_db
SUPERUSER=postgres
PASSWORD=postgres
WHERE="127.0.0.1:$PORT"

die() { echo "postgres.sh: $*" >&2; exit 1; }
say() { echo "postgres.sh: $*" >&2; }

[[ "$PORT" =~ ^[0-9]+$ ]] && ((PORT >= 1 && PORT <= 65535)) \
  || die "PG_TEST_PORT=\"$PORT\" is invalid: set it to a free TCP port (default 55432)"

# Debian keeps the server binaries off PATH, one directory per major version: take the newest.
bin_dir() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  if [ -n "$dir" ] && [ -x "$dir/postgres" ]; then echo "$dir"; return 0; fi
  command -v pg_ctl >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1 && dirname "$(command -v pg_ctl)"
}

install_server() {
  bin_dir >/dev/null && return 0
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
    || die "PostgreSQL's server is not installed: run 'sudo apt-get install postgresql', or point DB_HOST/DB_PORT at a server"
  say "installing PostgreSQL from Debian's packages..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq postgresql >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get install -y -qq postgresql >/dev/null; }
  bin_dir >/dev/null || die "apt-get installed no PostgreSQL server binaries under /usr/lib/postgresql"
}

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg() { local tool=$1; shift; as_owner "$(bin_dir)/$tool" "$@"; }

running() { [ -s "$DATA/PG_VERSION" ] && pg pg_ctl -D "$DATA" status >/dev/null 2>&1; }

# shellcheck source=service.sh
source "$ROOT/scripts/service.sh"

sql() { PGPASSWORD=$PASSWORD "$(bin_dir)/psql" -X -q -h 127.0.0.1 -p "$PORT" -U "$SUPERUSER" -d postgres -v ON_ERROR_STOP=1 "$@"; }

prepare_home() {
  mkdir -p "$HOME_DIR"
  [ "$(id -u)" = 0 ] || return 0
  id postgres >/dev/null 2>&1 || die "PostgreSQL refuses to run as root and there is no 'postgres' OS user: create it, or run as another user"
  chown postgres: "$HOME_DIR"
  runuser -u postgres -- test -w "$HOME_DIR" \
    || die "the postgres OS user cannot reach $HOME_DIR (a parent directory is not searchable): run as another user or move the checkout"
}

init_cluster() {
  say "creating the test cluster in $DATA..."
  local pwfile="$HOME_DIR/.pwfile"
  (umask 077 && echo "$PASSWORD" >"$pwfile")
  [ "$(id -u)" = 0 ] && chown postgres: "$pwfile"
  # Password authentication over TCP only, like the reference's server; no Unix socket, whose path
  # would depend on where the checkout lives (and has a 107-byte limit).
  pg initdb -D "$DATA" -U "$SUPERUSER" --pwfile="$pwfile" --auth=scram-sha-256 -E UTF8 --locale=C --no-sync >"$HOME_DIR/initdb.log" 2>&1 \
    || { rm -f "$pwfile"; die "initdb failed: see $HOME_DIR/initdb.log"; }
  rm -f "$pwfile"
  printf "listen_addresses = '127.0.0.1'\nunix_socket_directories = ''\n" | as_owner tee -a "$DATA/postgresql.conf" >/dev/null
}

ensure_database() {
  sql -tA -c "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1 || sql -c "CREATE DATABASE $DB"
}

start() {
  install_server
  prepare_home
  [ -s "$DATA/PG_VERSION" ] || init_cluster
  if ! running; then
    port_open "$PORT" && die "port $PORT is in use by another server: stop it, or set PG_TEST_PORT to a free port"
    pg pg_ctl -D "$DATA" -l "$LOG" -o "-p $PORT" -w -t 60 start >/dev/null \
      || die "the test cluster did not start on $WHERE: see $LOG"
  fi
  local port; port=$(sed -n 4p "$DATA/postmaster.pid")
  [ "$port" = "$PORT" ] || die "the test cluster runs on port $port, not $PORT: run scripts/postgres.sh restart"
  ensure_database
  say "PostgreSQL ready on $WHERE (database $DB, data in $DATA)"
}

stop() {
  running || return 0
  # -m fast: sessions are ended (FATAL 57P01 to each client), as an operator's restart would.
  pg pg_ctl -D "$DATA" -m fast -w -t 60 stop >/dev/null
}

status() {
  if running; then echo "PostgreSQL test cluster up on $WHERE"; else echo "PostgreSQL test cluster down ($WHERE)"; return 1; fi
}

service_action "${1:-start}" "scripts/postgres.sh start|stop|restart|status"
