#!/usr/bin/env bash
# Installs what the tests need (Debian packages; run as root or with sudo) and runs the whole build with its tests.
set -euo pipefail
cd "$(dirname "$0")/.."

sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)

missing=()
command -v knotd  >/dev/null 2>&1 || [ -x /usr/sbin/knotd ] || missing+=(knot)
command -v kdig   >/dev/null 2>&1 || missing+=(knot-dnsutils)
command -v nginx  >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v curl   >/dev/null 2>&1 || missing+=(curl)
command -v javac  >/dev/null 2>&1 || missing+=(openjdk-17-jdk-headless)
command -v mvn    >/dev/null 2>&1 || missing+=(maven)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi

exec mvn -B verify "$@"
