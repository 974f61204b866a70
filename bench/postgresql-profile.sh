#!/bin/bash
# Where a PostgreSQL increment's time goes (issue 29), tester against pgbench on the same script:
# per increment, the client's CPU (user, sys) and the backends' CPU from /proc/<pid>/stat, and the
# backends' wait events sampled every 20 ms from pg_stat_activity (Client:ClientRead = waiting
# for the client's next statement), over a 3-second window in the middle of a 6-second run.
# Run it under the exclusive measuring lock, with the project's cluster up (scripts/postgres.sh):
#   flock -x /tmp/counters-measure.lock bash bench/postgresql-profile.sh inplace_update 10 [tester flags, e.g. --engine js]
# For the split of the client's CPU, `perf record -g -p <tester pid> -- sleep 3` with the tester
# under `node --perf-basic-prof`; for its syscalls, `strace -c -f -p <pid>`.
set -euo pipefail
cd "$(dirname "$0")/.."
METHOD=${1:?method}
CLIENTS=${2:?clients}
shift 2
export DB_HOST=127.0.0.1 DB_PORT=${PG_TEST_PORT:-55432} PGPASSWORD=postgres
psqlc() { psql -X -h "$DB_HOST" -p "$DB_PORT" -U postgres -d counter_db -At "$@"; }
TICK=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15, $14, $15}' "/proc/$1/stat"; }
# The user's count: the row plus its shards (sharded).
count() { psqlc -c "SELECT counter + COALESCE((SELECT sum(counter) FROM user_counter_shard WHERE user_id = 1), 0) FROM user_counter WHERE user_id = 1"; }

window() {
  local label=$1 app=$2 pid=$3
  local backends; backends=$(psqlc -c "SELECT pid FROM pg_stat_activity WHERE application_name = '$app' AND backend_type = 'client backend'")
  backendCpu() { local sum=0 p; for p in $backends; do sum=$((sum + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done; echo "$sum"; }
  local c0 c1 b0 b1 t0 u0 k0 t1 u1 k1 waits
  c0=$(count); read -r t0 u0 k0 < <(cpu "$pid"); b0=$(backendCpu)
  waits=$(echo "SELECT COALESCE(wait_event_type || ':' || wait_event, 'CPU') FROM pg_stat_activity WHERE application_name = '$app' AND backend_type = 'client backend' \\watch 0.02" |
    timeout 3 psql -X -h "$DB_HOST" -p "$DB_PORT" -U postgres -d counter_db -At 2>/dev/null | grep -v '^$' || true)
  c1=$(count); read -r t1 u1 k1 < <(cpu "$pid"); b1=$(backendCpu)
  local n=$((c1 - c0))
  us() { echo "scale=1; ($1) * 1000000 / $TICK / $n" | bc; }
  echo "== $label: $n increments in 3 s, $(echo "$backends" | wc -w) backends"
  echo "   client CPU per increment: $(us "$t1 - $t0") us (user $(us "$u1 - $u0"), sys $(us "$k1 - $k0")); backends: $(us "$b1 - $b0") us"
  echo "$waits" | sort | uniq -c | sort -rn | awk -v total="$(echo "$waits" | wc -l)" '{ printf "   %5.1f%% %s\n", 100 * $1 / total, $2 }'
}

node dist/tester/main.js postgresql --method "$METHOD" --n-clients "$CLIENTS" --duration 6s --json "$@" >/dev/null &
tester=$!
sleep 1.5
window "tester $METHOD, $CLIENTS client(s) $*" counters "$tester"
wait "$tester"
pgbench -h "$DB_HOST" -p "$DB_PORT" -U postgres -n -M prepared -c "$CLIENTS" -j 1 -T 6 -f "bench/pgbench/$METHOD.sql" counter_db >/dev/null &
pgb=$!
sleep 1.5
window "pgbench $METHOD, $CLIENTS client(s)" pgbench "$pgb"
wait "$pgb"
