#!/usr/bin/env bash
# Regenerates the admin guide's screenshots, docs/images/*.png: DaneConsoleIT on the integration tests' stack
# (Keycloak, Knot, nginx), in Debian's headless Chromium at 1280x800, writing a PNG at every step the guide shows.
# The IT's checks run as in `mvn verify`, so a picture is only written for a page that worked. Extra arguments go
# to Maven. Installs what is missing first, like scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --browser
images="$PWD/docs/images"
mkdir -p "$images"
marker=$(mktemp)
trap 'rm -f "$marker"' EXIT
mvn -B verify -DskipFuzz -Dtest=NoSuchTest -Dsurefire.failIfNoSpecifiedTests=false \
  -Dit.test=DaneConsoleIT -Ddane.screenshots="$images" "$@"
# a skipped IT (no Chromium) writes nothing: say so rather than leave old pictures looking new
written=$(find "$images" -name '*.png' -newer "$marker" | wc -l)
[ "$written" -gt 0 ] || { echo "no screenshot was written (see DaneConsoleIT's output above)" >&2; exit 1; }
echo "$written screenshots in docs/images:"
ls -l "$images"
