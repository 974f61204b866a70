#!/usr/bin/env bash
# Runs before `npm install`/`npm ci`: pg-native builds libpq, which needs pg_config (libpq-dev).
# Installs it when we can (root with apt-get), else says in one line what is missing.
set -euo pipefail
command -v pg_config >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "counters: installing libpq-dev (needed to build pg-native)..." >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq libpq-dev >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get install -y -qq libpq-dev >/dev/null; }
  exit 0
fi
echo "counters: pg_config not found: install libpq-dev (sudo apt-get install libpq-dev) and run npm ci again" >&2
exit 1
