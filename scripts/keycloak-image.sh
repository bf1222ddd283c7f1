#!/usr/bin/env bash
# The Keycloak image TestcontainersKeycloakIT runs, built here because no registry is reachable: a minimal Debian
# root filesystem from Debian's own packages (debootstrap, with the suite's Java runtime, from the machine's apt
# sources) imported as a base, and the keycloak-quarkus-dist zip on top in the official image's layout
# (/opt/keycloak, uid 1000, kc.sh as entrypoint).
#
#   scripts/keycloak-image.sh          build the image unless the engine (DOCKER_HOST) has it; print its tag
#   scripts/keycloak-image.sh --tag    print the tag only
#
# The tag is keyed by the Keycloak version (root pom) and this file's hash: a change to either means a rebuild, and
# nothing else does. Building needs root and the packages debootstrap and unzip (install-deps.sh --docker).
set -euo pipefail
cd "$(dirname "$0")/.."

KC_VERSION=$(sed -n "s:.*<keycloak.version>\(.*\)</keycloak.version>.*:\1:p" pom.xml) # the one place it is written
RECIPE=$(sha256sum scripts/keycloak-image.sh | cut -c1-12)
REPO=keycloak-dane/keycloak
TAG="$REPO:$KC_VERSION-$RECIPE"
BASE_REPO=keycloak-dane/debian-java
if [ "${1:-}" = "--tag" ]; then
  echo "$TAG"
  exit 0
fi

log() { echo "[keycloak-image] $*" >&2; }

if docker image inspect "$TAG" >/dev/null 2>&1; then
  log "$TAG is built already"
  echo "$TAG"
  exit 0
fi
[ "$(id -u)" -eq 0 ] || { log "building $TAG needs root (debootstrap)"; exit 1; }

# The suite and mirror this machine installs from: the first enabled 'deb' source listing the suite.
. /etc/os-release
SUITE=${VERSION_CODENAME:?no VERSION_CODENAME in /etc/os-release}
mirror() {
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    # one-line form: deb [options] URI SUITE COMPONENTS
    sed -e 's/\[[^]]*\]//' "$f" | awk -v s="$SUITE" '$1 == "deb" && $3 == s { print $2; exit }'
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    # deb822 form: stanzas separated by blank lines
    awk -v s="$SUITE" 'BEGIN { RS = "" }
      { types = uri = ""; ok = 0; off = 0; n = split($0, l, "\n")
        for (i = 1; i <= n; i++) {
          if (l[i] ~ /^Types:/) types = " " l[i] " "
          if (l[i] ~ /^Enabled: *no/) off = 1
          if (l[i] ~ /^URIs:/) { split(l[i], u, " "); uri = u[2] }
          if (l[i] ~ /^Suites:/) { m = split(l[i], w, " "); for (j = 2; j <= m; j++) if (w[j] == s) ok = 1 }
        }
        if (ok && !off && uri != "" && types ~ / deb /) { print uri; exit } }' "$f"
  done
}
MIRROR=$(mirror | head -n 1)
[ -n "$MIRROR" ] || { log "no apt source for $SUITE in /etc/apt/sources.list*"; exit 1; }

WORK=$(mktemp -d /var/tmp/keycloak-image.XXXXXX)
trap 'rm -rf --one-file-system "$WORK"' EXIT # not into a /proc that a failed debootstrap left mounted
start=$SECONDS

BASE="$BASE_REPO:$SUITE-$RECIPE"
if docker image inspect "$BASE" >/dev/null 2>&1; then
  log "base $BASE is built already"
else
  log "debootstrap $SUITE from $MIRROR with default-jre-headless"
  debootstrap --variant=minbase --include=default-jre-headless "$SUITE" "$WORK/rootfs" "$MIRROR" \
    >"$WORK/debootstrap.log" 2>&1 || { tail -n 30 "$WORK/debootstrap.log" >&2; exit 1; }
  # the official image's user: uid 1000, group root, home /opt/keycloak
  echo "keycloak:x:1000:0:keycloak:/opt/keycloak:/sbin/nologin" >>"$WORK/rootfs/etc/passwd"
  rm -rf "$WORK"/rootfs/var/cache/apt/* "$WORK"/rootfs/var/lib/apt/lists/* "$WORK"/rootfs/usr/share/doc \
    "$WORK"/rootfs/usr/share/man "$WORK"/rootfs/usr/share/info "$WORK"/rootfs/usr/share/locale/* \
    "$WORK"/rootfs/var/log/*
  log "docker import as $BASE"
  tar -C "$WORK/rootfs" -c . | docker import - "$BASE" >/dev/null
  rm -rf "$WORK/rootfs"
fi

ZIP="$WORK/keycloak-quarkus-dist-$KC_VERSION.zip"
log "keycloak-quarkus-dist $KC_VERSION from the local Maven repository (fetched from Central when absent)"
mvn -B -q -N dependency:copy -Dartifact="org.keycloak:keycloak-quarkus-dist:$KC_VERSION:zip" \
  -DoutputDirectory="$WORK" >"$WORK/mvn.log" 2>&1 || { cat "$WORK/mvn.log" >&2; exit 1; }
mkdir "$WORK/context"
(cd "$WORK/context" && unzip -q "$ZIP" && mv "keycloak-$KC_VERSION" keycloak && mkdir -p keycloak/data/import)
cat >"$WORK/context/Dockerfile" <<EOF
FROM $BASE
COPY --chown=1000:0 keycloak /opt/keycloak
ENV LANG=C.UTF-8 KC_RUN_IN_CONTAINER=true
USER 1000
WORKDIR /opt/keycloak
EXPOSE 8080 8443 9000
ENTRYPOINT ["/opt/keycloak/bin/kc.sh"]
EOF
log "docker build $TAG"
# the classic builder: it needs neither buildx nor a network
DOCKER_BUILDKIT=0 docker build -q --network host -t "$TAG" "$WORK/context" >/dev/null 2>"$WORK/build.log" \
  || { cat "$WORK/build.log" >&2; exit 1; }

# older builds of this recipe or version only take room (vfs stores every layer in full)
docker images --format '{{.Repository}}:{{.Tag}}' "$REPO" | grep -vxF "$TAG" | xargs -r docker rmi >/dev/null || true
docker images --format '{{.Repository}}:{{.Tag}}' "$BASE_REPO" | grep -vxF "$BASE" | xargs -r docker rmi >/dev/null \
  || true
log "built $TAG in $((SECONDS - start)) s"
echo "$TAG"
