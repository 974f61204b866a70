#!/usr/bin/env bash
# Installs the HTTP clients that test/http-clients.test.ts drives the server with, so a fresh
# CI machine has them: curl, ab (apache2-utils) and wrk from Debian when root with apt-get, with
# chromium, the browser test/report-browser.test.ts opens the HTML reports in (playwright-core
# drives it; its own browser download cannot reach the network here), strace (the fsync tests
# trace the server's system calls) and script (bsdutils: test/progress-bar.test.ts runs the
# tester on a pseudo-terminal); hey
# built with Go into .services/bin; Python requests (and the FastAPI peer's packages) in the
# venv .services/venv from test/requirements.txt; kubernetes-models from npm into .services/k8s-schema
# (its Kubernetes schemas check docker/'s Job manifest; the project's node_modules stays as npm ci
# made it). Idempotent: what is there is left alone.
# Without root, it names what is missing in one line each and exits 1.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN="$ROOT/.services/bin"
VENV="$ROOT/.services/venv"
REQUIREMENTS="$ROOT/test/requirements.txt"
HEY_MODULE=github.com/rakyll/hey@v0.1.5

# shellcheck source=apt-install.sh
source "$ROOT/scripts/apt-install.sh"

say() { echo "test-tools.sh: $*" >&2; }
install_packages() { say "installing $* with apt-get..."; apt_install "$@"; }

# Debian packages for the commands that are missing; "command:package" pairs.
ensure_debian_tools() {
  local pair missing=()
  for pair in curl:curl ab:apache2-utils wrk:wrk chromium:chromium strace:strace script:bsdutils; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
  done
  [ ${#missing[@]} = 0 ] && return 0
  can_apt && { install_packages "${missing[@]}"; return 0; }
  say "missing ${missing[*]}: install them (sudo apt-get install ${missing[*]})"
  return 1
}

go_command() {
  command -v go 2>/dev/null || { [ -x /usr/local/go/bin/go ] && echo /usr/local/go/bin/go; }
}

ensure_hey() {
  [ -x "$BIN/hey" ] && return 0
  local go; go=$(go_command) || true
  if [ -z "$go" ] && can_apt; then install_packages golang-go; go=$(go_command); fi
  [ -n "$go" ] || { say "hey needs Go to build: install Go (sudo apt-get install golang-go)"; return 1; }
  say "building $HEY_MODULE into $BIN..."
  mkdir -p "$BIN"
  GOBIN="$BIN" "$go" install "$HEY_MODULE"
}

K8S_SCHEMA="$ROOT/.services/k8s-schema"
K8S_MODELS=kubernetes-models@5.1.0

ensure_k8s_schema() {
  [ -f "$K8S_SCHEMA/node_modules/kubernetes-models/batch/v1/Job.js" ] && return 0
  say "installing $K8S_MODELS into $K8S_SCHEMA..."
  mkdir -p "$K8S_SCHEMA"
  npm install --prefix "$K8S_SCHEMA" --no-audit --no-fund --silent "$K8S_MODELS"
}

ensure_venv() {
  local stamp="$VENV/.requirements"
  [ -x "$VENV/bin/python" ] && cmp -s "$REQUIREMENTS" "$stamp" && return 0
  if ! python3 -m venv "$VENV" >/dev/null 2>&1; then
    can_apt || { say "python3 cannot make a venv: install python3-venv (sudo apt-get install python3-venv)"; return 1; }
    install_packages python3-venv
    python3 -m venv "$VENV"
  fi
  say "installing test/requirements.txt into $VENV..."
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$REQUIREMENTS"
  cp "$REQUIREMENTS" "$stamp"
}

status=0
ensure_debian_tools || status=1
ensure_hey || status=1
ensure_venv || status=1
ensure_k8s_schema || status=1
exit $status
