#!/usr/bin/env bash
# The tester against the anchors on the bare uWS counter, in rounds (issue 18, goals 1 and 4).
#   closed: tester (closed loop, history checked) vs wrk -t1 and autocannon at 1, 10, 100 connections
#   open:   tester --rate vs vegeta (50 clients) at 1k, 10k, 50k req/s: p50 and p99
# Usage: bash scripts/measure-tester.sh closed|open [rounds=3] [seconds=5]
# Needs: npm run build, /usr/bin/wrk, autocannon (devDependency), vegeta for open:
#   GOBIN=/tmp/gobin go install github.com/tsenart/vegeta/v12@latest
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-closed}
rounds=${2:-3}
seconds=${3:-5}
port=${PORT:-18791}
vegeta=${VEGETA:-/tmp/gobin/vegeta}
url="http://127.0.0.1:$port"

PORT=$port node dist/bench/bare-uws-counter.js 2>/dev/null &
server=$!
trap 'kill $server' EXIT
sleep 1

tester() { node dist/tester/main.js web --counter-host 127.0.0.1 --counter-port "$port" --json "$@"; }

closed_round() {
  local c=$1 wrk ac ours
  wrk=$(wrk -t1 -c"$c" -d"${seconds}s" -s <(echo 'wrk.method = "POST"') "$url/inc" | awk '/Requests\/sec/ {print $2}')
  ac=$(npx autocannon -c "$c" -d "$seconds" -m POST -j "$url/inc" 2>/dev/null | jq '.requests.average')
  ours=$(tester --n-clients "$c" --duration "${seconds}s" | jq '.rps')
  echo "c=$c wrk_t1=$wrk autocannon=$ac tester=$ours tester/wrk=$(jq -n "$ours/$wrk*100|round/100")" \
    "tester/autocannon=$(jq -n "$ours/$ac*100|round/100")"
}

open_round() {
  local rate=$1 v ours
  v=$(echo "POST $url/inc" | "$vegeta" attack -rate "$rate" -duration "${seconds}s" -workers 50 -max-workers 50 |
    "$vegeta" report -type json | jq -r '"\(.latencies["50th"]/1000|round) \(.latencies["99th"]/1000|round) \(.rate|round)"')
  local fields='.latency.p50Us, .latency.p99Us, .uncorrectedLatency.p50Us, .uncorrectedLatency.p99Us'
  ours=$(tester --n-clients 50 --duration "${seconds}s" --rate "$rate" |
    jq -r "[$fields, .pacerLag.p50Us, .pacerLag.p99Us, .sentRate] | map(tostring) | join(\" \")")
  read -r vp50 vp99 vrate <<<"$v"
  read -r p50 p99 up50 up99 lag50 lag99 sent <<<"$ours"
  echo "rate=$rate vegeta: p50=$vp50 p99=$vp99 sent=$vrate | tester: p50=$p50 p99=$p99 uncorrected=$up50/$up99" \
    "lag=$lag50/$lag99 sent=$sent | p50x=$(jq -n "$p50/$vp50*100|round/100") p99x=$(jq -n "$p99/$vp99*100|round/100")" \
    "uncorrected p50x=$(jq -n "$up50/$vp50*100|round/100") p99x=$(jq -n "$up99/$vp99*100|round/100")"
}

for round in $(seq "$rounds"); do
  echo "round $round: $(uptime)"
  if [ "$mode" = closed ]; then
    for c in 1 10 100; do closed_round "$c"; done
  else
    for rate in 1000 10000 50000; do open_round "$rate"; done
  fi
done
