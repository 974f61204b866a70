# Sourced by the scripts that run a test service (postgres.sh, hazelcast.sh), after they define
# die and their start, stop and status functions.
# port_open PORT: whether something listens on 127.0.0.1:PORT.
# service_action ACTION USAGE: runs start, stop, restart (stop then start) or status; anything
# else dies with USAGE.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

service_action() {
  case "$1" in
    start) start ;;
    stop) stop ;;
    restart) stop; start ;;
    status) status ;;
    *) die "usage: $2" ;;
  esac
}
