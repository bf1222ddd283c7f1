#!/usr/bin/env bash
# Installs, with apt-get, what the build, the tests and the demo need and this Debian machine lacks
# (run as root or with sudo): Knot DNS and kdig, nginx, HAProxy, Apache httpd, PostgreSQL, OpenSSL, curl, a JDK 17,
# and Maven. With --browser (scripts/test.sh, scripts/screenshots.sh) also Chromium and its chromedriver, which
# DaneConsoleIT drives with Selenium. The tests run their own nginx, HAProxy, httpd and PostgreSQL (own configuration, port and directory); a
# system instance that the packages may start is neither needed nor in the way. With --docker (scripts/test.sh) also,
# for TestcontainersKeycloakIT, a Docker engine (docker.io, unless one answers) and what builds its image
# (debootstrap, unzip).
set -euo pipefail

sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)

missing=()
command -v knotd   >/dev/null 2>&1 || [ -x /usr/sbin/knotd ] || missing+=(knot)
command -v kdig    >/dev/null 2>&1 || missing+=(knot-dnsutils)
command -v nginx   >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
# the ITs run Debian's server binaries from /usr/lib/postgresql/VERSION/bin (not on the PATH)
compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null || missing+=(postgresql)
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || missing+=(haproxy)
command -v apache2 >/dev/null 2>&1 || [ -x /usr/sbin/apache2 ] || missing+=(apache2)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v curl    >/dev/null 2>&1 || missing+=(curl)
command -v javac   >/dev/null 2>&1 || missing+=(openjdk-17-jdk-headless)
command -v mvn     >/dev/null 2>&1 || missing+=(maven)
docker=false
browser=false
for option in "$@"; do
  case "$option" in
    --docker) docker=true ;;
    --browser) browser=true ;;
    *) echo "unknown option $option (known: --docker, --browser)" >&2; exit 2 ;;
  esac
done
if $browser; then
  # DaneConsoleIT names these two paths (Selenium must not look for, or download, a browser of its own)
  [ -x /usr/bin/chromium ]     || missing+=(chromium)
  [ -x /usr/bin/chromedriver ] || missing+=(chromium-driver)
fi
# without recommends: apparmor, for one, would make dockerd confine containers where that cannot work
bare=()
if $docker; then
  command -v unzip >/dev/null 2>&1 || bare+=(unzip)
  command -v debootstrap >/dev/null 2>&1 || [ -x /usr/sbin/debootstrap ] || bare+=(debootstrap)
  if ! { command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; }; then
    command -v dockerd >/dev/null 2>&1 || [ -x /usr/sbin/dockerd ] || bare+=(docker.io)
  fi
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if [ ${#bare[@]} -gt 0 ]; then
  echo "installing: ${bare[*]}"
  [ ${#missing[@]} -gt 0 ] || "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${bare[@]}" >/dev/null
fi
