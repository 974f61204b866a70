#!/usr/bin/env bash
# Starts (or checks) every service the tests use: PostgreSQL, and the 3-member Hazelcast cluster.
# Usage: scripts/services.sh start|stop|status
set -euo pipefail
here=$(dirname "$0")
action=${1:-start}
bash "$here/postgres.sh" "$action"
if [ -f "$here/hazelcast.sh" ]; then bash "$here/hazelcast.sh" "$action"; fi
