#!/usr/bin/env bash
# Installs what the tests need (Debian packages; run as root or with sudo) and runs the whole build with its tests.
# TestcontainersKeycloakIT needs a Docker engine: when none answers, this starts one of its own for the run (as root;
# data under ENGINE_DIR, kept for the image cache, the engine stopped at the end, also on failure). Where it cannot
# start, the IT skips and says why.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --docker --browser

ENGINE_DIR=${KEYCLOAK_DANE_DOCKER_DIR:-/var/tmp/keycloak-dane-docker}
engine_pid=""
why=""

stop_engine() {
  [ -n "$engine_pid" ] || return 0
  kill "$engine_pid" 2>/dev/null || true
  for _ in $(seq 60); do kill -0 "$engine_pid" 2>/dev/null || break; sleep 0.5; done
  kill -9 "$engine_pid" 2>/dev/null || true
  umount "$ENGINE_DIR/exec/netns/default" 2>/dev/null || true # the one mount dockerd leaves behind
  engine_pid=""
}

# dockerd with its own socket, data and state; no bridge and no iptables (containers use the host's network)
start_engine() {
  local dockerd
  dockerd=$(command -v dockerd || echo /usr/sbin/dockerd)
  [ -x "$dockerd" ] || { why="dockerd is not installed"; return 1; }
  [ "$(id -u)" -eq 0 ] || { why="starting dockerd needs root"; return 1; }
  export DOCKER_HOST="unix://$ENGINE_DIR/docker.sock"
  docker info >/dev/null 2>&1 && return 0 # this script's engine, still serving another run: used, not stopped
  mkdir -p "$ENGINE_DIR"
  "$dockerd" --data-root "$ENGINE_DIR/data" --exec-root "$ENGINE_DIR/exec" --pidfile "$ENGINE_DIR/dockerd.pid" \
    -H "$DOCKER_HOST" --storage-driver vfs --iptables=false --bridge=none >"$ENGINE_DIR/dockerd.log" 2>&1 &
  engine_pid=$!
  for _ in $(seq 120); do
    docker info >/dev/null 2>&1 && return 0
    kill -0 "$engine_pid" 2>/dev/null || break
    sleep 0.5
  done
  why="dockerd did not come up: $(tail -n 3 "$ENGINE_DIR/dockerd.log" | tr '\n' ' ')"
  stop_engine
  unset DOCKER_HOST
  return 1
}

trap stop_engine EXIT
trap 'exit 130' INT TERM
if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
  echo "test.sh: using the Docker engine that answers"
elif start_engine; then
  echo "test.sh: Docker engine at $DOCKER_HOST for this run"
else
  echo "test.sh: no Docker engine ($why): TestcontainersKeycloakIT will skip"
fi

status=0
mvn -B verify "$@" || status=$?
exit "$status"
