#!/usr/bin/env bash
# Provides a 3-member Hazelcast 5.4.0 cluster named "dev" on 127.0.0.1:5701-5703 with the CP
# Subsystem on (3 CP members), without Docker: three JVMs run the member jar from Maven Central
# with docker/hazelcast-cp.yaml, the same config docker/hazelcast-compose.yml mounts.
# Everything it makes lives in the git-ignored .hazelcast/: lib/ (the jar), logs/member-N.log,
# run/member-N.pid. Idempotent: `start` on a running cluster only checks it. `start` returns
# once the CP Subsystem answers (a CP AtomicLong read through hazelcast-client), or fails after
# HZ_START_TIMEOUT seconds (default 120) naming the logs.
# Usage: scripts/hazelcast.sh start|stop|status|restart
# Env: HZ_JAVA_OPTS replaces the members' JVM flags (default: small heap, light JIT and GC).
set -euo pipefail

VERSION=5.4.0
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HOME_DIR="$ROOT/.hazelcast"
LIB="$HOME_DIR/lib"
LOGS="$HOME_DIR/logs"
RUN="$HOME_DIR/run"
JAR="$LIB/hazelcast-$VERSION.jar"
CONFIG="$ROOT/docker/hazelcast-cp.yaml"
PORTS=(5701 5702 5703)
MEMBERS="127.0.0.1:5701,127.0.0.1:5702,127.0.0.1:5703"
START_TIMEOUT=${HZ_START_TIMEOUT:-120}
MAIN_CLASS=com.hazelcast.core.server.HazelcastMemberStarter
# Serial GC and a bounded heap keep three members light on a small machine; C1-only JIT
# (TieredStopAtLevel=1) starts the cluster ~3 s sooner on 2 cores and, measured at 10 clients,
# serves the counters as fast as C2 (the clients and Raft round trips are the bottleneck).
# The add-opens flags give Hazelcast the JDK internals it asks for (it warns without them).
DEFAULT_JAVA_OPTS="-Xms128m -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:MaxMetaspaceSize=128m -Xss512k
  -Djava.net.preferIPv4Stack=true
  --add-modules java.se --add-exports java.base/jdk.internal.ref=ALL-UNNAMED
  --add-opens java.base/java.lang=ALL-UNNAMED --add-opens java.base/java.nio=ALL-UNNAMED
  --add-opens java.base/sun.nio.ch=ALL-UNNAMED --add-opens java.management/sun.management=ALL-UNNAMED
  --add-opens jdk.management/com.sun.management.internal=ALL-UNNAMED"
JAVA_OPTS=${HZ_JAVA_OPTS:-$DEFAULT_JAVA_OPTS}

# shellcheck source=apt-install.sh
source "$ROOT/scripts/apt-install.sh"
# shellcheck source=service.sh
source "$ROOT/scripts/service.sh"

die() { echo "hazelcast.sh: $*" >&2; exit 1; }
say() { echo "hazelcast.sh: $*" >&2; }

pid_file() { echo "$RUN/member-$1.pid"; }
log_file() { echo "$LOGS/member-$1.log"; }

# The pid of member N when it is alive and really our member (pids get reused).
member_pid() {
  local f pid; f=$(pid_file "$1")
  [ -f "$f" ] || return 1
  pid=$(cat "$f" 2>/dev/null || true)
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null \
    && grep -qa "$MAIN_CLASS" "/proc/$pid/cmdline" 2>/dev/null \
    && { echo "$pid"; return 0; }
  rm -f "$f"
  return 1
}


# Asks the cluster through the Node client (when the project's node_modules are installed):
# connects to the 3 members, then reads a CP AtomicLong, which needs the CP groups formed.
# Exit codes: 0 ready, 2 connected but CP missing (UNSAFE mode), other: not ready.
# $1: the most seconds it may take (default 30).
probe() {
  command -v node >/dev/null 2>&1 && [ -d "$ROOT/node_modules/hazelcast-client" ] || return 10
  local limit=${1:-30}
  ((limit > 0)) || return 1
  (cd "$ROOT" && HZ_PROBE_MEMBERS="$MEMBERS" timeout "$limit" node -e '
const { Client } = require("hazelcast-client");
(async () => {
  const client = await Client.newHazelcastClient({
    clusterName: "dev",
    network: { clusterMembers: process.env.HZ_PROBE_MEMBERS.split(",") },
    connectionStrategy: { connectionRetry: { clusterConnectTimeoutMillis: 2000 } },
    properties: { "hazelcast.logging.level": "OFF", "hazelcast.client.invocation.timeout.millis": 20000 },
  });
  try {
    if (client.getCluster().getMembers().length < 3) process.exit(3);
    const probe = await client.getCPSubsystem().getAtomicLong("__probe");
    // Without CP, members serve CP structures in UNSAFE mode, each in a group named after it.
    if (probe.groupId && probe.groupId.name !== "default") process.exit(2);
    await probe.get();
  } finally {
    await client.shutdown();
  }
})().then(() => process.exit(0), () => process.exit(1));
' >/dev/null 2>&1)
}

# Without node_modules: the members' logs say when the CP Subsystem has formed its groups.
cp_formed_in_logs() {
  local n
  for n in 1 2 3; do grep -q "CP Subsystem is initialized" "$(log_file "$n")" 2>/dev/null && return 0; done
  return 1
}

ensure_jar() {
  [ -s "$JAR" ] && return 0
  ensure_java
  if ! command -v mvn >/dev/null 2>&1; then
    can_apt \
      || die "the Hazelcast $VERSION jar is missing and Maven is not installed: install Maven (sudo apt-get install maven) or put hazelcast-$VERSION.jar in $LIB/"
    say "installing Maven with apt-get (it fetches the Hazelcast jar)..."
    apt_install maven
  fi
  say "downloading com.hazelcast:hazelcast:$VERSION from Maven Central..."
  mkdir -p "$LIB"
  mvn -q -B dependency:copy -Dartifact="com.hazelcast:hazelcast:$VERSION" -DoutputDirectory="$LIB" >"$HOME_DIR/mvn.log" 2>&1 \
    || die "could not download com.hazelcast:hazelcast:$VERSION with Maven: see $HOME_DIR/mvn.log"
  [ -s "$JAR" ] || die "Maven did not produce $JAR: see $HOME_DIR/mvn.log"
}

ensure_java() {
  command -v java >/dev/null 2>&1 && return 0
  can_apt || die "Java is not installed: install a Java 17+ runtime (sudo apt-get install openjdk-17-jre-headless)"
  say "installing Java 17 (openjdk-17-jre-headless) with apt-get..."
  apt_install openjdk-17-jre-headless
}

start_member() {
  local n=$1 port=${PORTS[$(($1 - 1))]}
  member_pid "$n" >/dev/null && return 0
  port_open "$port" && die "port $port is in use by another process (not a member started by this script): stop it or run 'scripts/hazelcast.sh stop'"
  local log; log=$(log_file "$n")
  # hz.* system properties override the YAML: each member gets a fixed port. Binding to
  # 127.0.0.1 only keeps the dev cluster off the network.
  # shellcheck disable=SC2086
  setsid java $JAVA_OPTS \
    -Dhazelcast.config="$CONFIG" \
    -Dhz.network.port.port="$port" -Dhz.network.port.auto-increment=false \
    -Dhazelcast.socket.bind.any=false \
    -cp "$JAR" "$MAIN_CLASS" </dev/null >"$log" 2>&1 &
  echo $! >"$(pid_file "$n")"
}

start() {
  local began=$SECONDS
  local status=1
  # Always cached, even when a cluster already answers: tests start extra members from the jar.
  ensure_jar
  if port_open 5701 || port_open 5702 || port_open 5703; then
    probe $((START_TIMEOUT < 30 ? START_TIMEOUT : 30)) && status=0 || status=$?
  fi
  [ $status = 0 ] && { say "Hazelcast cluster already running on $MEMBERS"; return 0; }
  [ $status = 2 ] && die "a Hazelcast cluster without the CP Subsystem answers on $MEMBERS: stop it, then run 'scripts/hazelcast.sh start'"
  ensure_java
  mkdir -p "$LOGS" "$RUN"
  ensure_jar
  local n started=()
  for n in 1 2 3; do
    if ! member_pid "$n" >/dev/null; then start_member "$n"; started+=("$n"); fi
  done
  if [ ${#started[@]} = 3 ]; then
    say "starting 3 members (logs: $LOGS/member-{1,2,3}.log)..."
  elif [ ${#started[@]} -gt 0 ]; then
    # The CP groups keep the members they were formed with: a member started into a running
    # cluster joins without a CP role, and the CP Subsystem tolerates no further loss.
    say "restarting member(s) ${started[*]} into the running cluster; they rejoin without a CP role (run 'scripts/hazelcast.sh restart' for a fresh CP Subsystem)"
  fi
  local logs="$LOGS/member-1.log, member-2.log, member-3.log"
  while :; do
    for n in 1 2 3; do
      # Only liveness here: a member just forked may not have exec'd java yet, so its
      # command line would not name the main class.
      kill -0 "$(cat "$(pid_file "$n")" 2>/dev/null || echo 0)" 2>/dev/null \
        || die "member $n (port ${PORTS[$((n - 1))]}) exited during startup: see $(log_file "$n")"
    done
    if port_open 5701 && port_open 5702 && port_open 5703; then
      status=0; probe $((START_TIMEOUT - (SECONDS - began) < 30 ? START_TIMEOUT - (SECONDS - began) : 30)) || status=$?
      case $status in
        0) break ;;
        2) die "the members run without the CP Subsystem: check cp-subsystem in $CONFIG" ;;
        10) cp_formed_in_logs && break ;;
      esac
    fi
    ((SECONDS - began < START_TIMEOUT)) \
      || die "the cluster's CP Subsystem was not ready within ${START_TIMEOUT} s: see $logs"
    sleep 1
  done
  say "Hazelcast cluster ready on $MEMBERS (CP Subsystem on) after $((SECONDS - began)) s"
}

stop() {
  local n pid pids=()
  for n in 1 2 3; do
    if pid=$(member_pid "$n"); then kill "$pid" 2>/dev/null || true; pids+=("$pid"); fi
  done
  for _ in $(seq 1 100); do
    local alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.2
  done
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  rm -f "$RUN"/member-*.pid
  [ ${#pids[@]} -gt 0 ] && say "stopped ${#pids[@]} member(s)"
  return 0
}

status() {
  local n up=0
  for n in 1 2 3; do
    if port_open "${PORTS[$((n - 1))]}"; then up=$((up + 1)); fi
  done
  if [ $up = 3 ]; then
    echo "Hazelcast up on $MEMBERS (3/3 members listening)"
  else
    echo "Hazelcast down on $MEMBERS ($up/3 members listening)"
    return 1
  fi
}

service_action "${1:-start}" "scripts/hazelcast.sh start|stop|status|restart"
