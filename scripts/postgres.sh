#!/usr/bin/env bash
# Provides PostgreSQL on 127.0.0.1:5432 with the reference's credentials (postgres/postgres)
# and database (counter_db), from Debian's packages. Idempotent: `start` on a running server
# only checks it. Usage: scripts/postgres.sh start|stop|status
set -euo pipefail
PORT=${DB_PORT:-5432}
DB=${POSTGRES_DB:-counter_db}
PASSWORD=${POSTGRES_PASSWORD:-postgres}

die() { echo "postgres.sh: $*" >&2; exit 1; }

ready() { pg_isready -q -h 127.0.0.1 -p "$PORT" 2>/dev/null; }

as_postgres() { runuser -u postgres -- "$@"; }

install_server() {
  ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 && return 0
  [ "$(id -u)" = 0 ] || die "PostgreSQL is not installed: run 'sudo apt-get install postgresql' or point DB_HOST/DB_PORT at a server"
  echo "postgres.sh: installing PostgreSQL from Debian's packages..." >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq postgresql >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get install -y -qq postgresql >/dev/null; }
}

cluster() { pg_lsclusters -h | awk -v p="$PORT" '$3 == p { print $1, $2; exit }'; }

start() {
  if ready; then configure; return 0; fi
  install_server
  local c; c=$(cluster)
  if [ -z "$c" ]; then
    local v; v=$(ls /usr/lib/postgresql | sort -n | tail -1)
    pg_createcluster -p "$PORT" "$v" counters >/dev/null
    c=$(cluster)
  fi
  # shellcheck disable=SC2086
  pg_ctlcluster $c start || die "could not start cluster '$c': see /var/log/postgresql/"
  for _ in $(seq 1 60); do ready && break; sleep 0.5; done
  ready || die "PostgreSQL did not accept connections on 127.0.0.1:$PORT within 30 s"
  configure
}

configure() {
  [ "$(id -u)" = 0 ] || return 0
  as_postgres psql -q -p "$PORT" -c "ALTER USER postgres PASSWORD '$PASSWORD'" >/dev/null
  as_postgres psql -tA -p "$PORT" -c "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1 \
    || as_postgres createdb -p "$PORT" "$DB"
}

stop() {
  local c; c=$(cluster)
  # shellcheck disable=SC2086
  [ -n "$c" ] && pg_ctlcluster $c stop || true
}

case "${1:-start}" in
  start) start; echo "PostgreSQL ready on 127.0.0.1:$PORT (database $DB)" >&2 ;;
  stop) stop ;;
  status) ready && echo "PostgreSQL up on 127.0.0.1:$PORT" || { echo "PostgreSQL down on 127.0.0.1:$PORT"; exit 1; } ;;
  *) die "usage: scripts/postgres.sh start|stop|status" ;;
esac
