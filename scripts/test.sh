#!/usr/bin/env bash
# Installs what the tests need (Debian packages; run as root or with sudo) and runs the whole build with its tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
exec mvn -B verify "$@"
