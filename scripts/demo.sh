#!/usr/bin/env bash
# keycloak-dane demo: a device with only a DNS name and a key pair proves who it is.
#
# Everything runs on 127.0.0.1 on free ports, under ./demo-work, and is stopped on exit (Ctrl-C, or --once).
# Today it shows the DANE core end to end: Knot DNS serves a DNSSEC-signed zone, the device publishes its TLSA
# record (made by the CLI), and the verifier authenticates the device's certificate against it.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
ONCE=false
[ "${1:-}" = "--once" ] && ONCE=true

sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
missing=()
command -v knotd  >/dev/null 2>&1 || [ -x /usr/sbin/knotd ] || missing+=(knot)
command -v kdig   >/dev/null 2>&1 || missing+=(knot-dnsutils)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v javac  >/dev/null 2>&1 || missing+=(openjdk-17-jdk-headless)
command -v mvn    >/dev/null 2>&1 || missing+=(maven)
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing: ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi
export PATH="$PATH:/usr/sbin"

JAR="$ROOT/authenticator/target/keycloak-dane.jar"
if [ ! -f "$JAR" ]; then
  echo "== building"
  mvn -B -q -DskipTests package -pl authenticator -am
fi
cli() { java -jar "$JAR" "$@"; }

WORK="$ROOT/demo-work"
rm -rf "$WORK"; mkdir -p "$WORK/knot"
# perl-base is in every Debian installation
free_port() { perl -MIO::Socket::INET -e 'print IO::Socket::INET->new(LocalAddr => "127.0.0.1", Proto => "udp")->sockport'; }
DNS_PORT=$(free_port)
ZONE=example.test
DEVICE=sensor7._device.$ZONE

cleanup() {
  [ -f "$WORK/knot/knot.pid" ] && kill "$(cat "$WORK/knot/knot.pid")" 2>/dev/null || true
  [ -n "${KNOT_PID:-}" ] && kill "$KNOT_PID" 2>/dev/null || true
}
trap cleanup EXIT INT TERM

echo "== the device makes a key pair and a self-signed certificate (no CA involved)"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$DEVICE" \
  -keyout "$WORK/device.key" -out "$WORK/device.pem" -days 365 2>/dev/null

echo "== its TLSA record, made with the CLI"
RECORD=$(cli tlsa --cert "$WORK/device.pem" --name "$DEVICE")
echo "   $RECORD"

cat > "$WORK/knot/$ZONE.zone" <<ZONE
\$ORIGIN $ZONE.
\$TTL 60
@ SOA ns.$ZONE. hostmaster.$ZONE. 1 3600 600 86400 60
@ NS ns.$ZONE.
ns A 127.0.0.1
$RECORD
ZONE
cat > "$WORK/knot/knot.conf" <<CONF
server:
    listen: 127.0.0.1@$DNS_PORT
    rundir: "$WORK/knot"
    pidfile: "$WORK/knot/knot.pid"
database:
    storage: "$WORK/knot"
log:
  - target: "$WORK/knot/knot.log"
    any: info
policy:
  - id: demo
    algorithm: ecdsap256sha256
    nsec3: off
zone:
  - domain: $ZONE
    storage: "$WORK/knot"
    file: "$ZONE.zone"
    dnssec-signing: on
    dnssec-policy: demo
    zonefile-sync: -1
CONF
echo "== Knot DNS signs and serves $ZONE on 127.0.0.1:$DNS_PORT"
knotd -c "$WORK/knot/knot.conf" >/dev/null 2>&1 &
KNOT_PID=$!
for _ in $(seq 1 50); do
  kdig @127.0.0.1 -p "$DNS_PORT" +dnssec +short "$ZONE" DNSKEY 2>/dev/null | grep -q '^257 ' && break
  sleep 0.2
done
kdig @127.0.0.1 -p "$DNS_PORT" +noall +answer "$ZONE" DNSKEY | awk '$5 == 257' > "$WORK/trust-anchors.zone"
[ -s "$WORK/trust-anchors.zone" ] || { echo "Knot did not sign the zone; see $WORK/knot/knot.log"; exit 1; }
echo "   trust anchor: $(cut -c1-90 "$WORK/trust-anchors.zone")..."

echo "== DNSSEC-validated lookup"
cli lookup "$DEVICE" --resolver "127.0.0.1:$DNS_PORT" --trust-anchors "$WORK/trust-anchors.zone"

echo "== the device's certificate is verified against DNS (exit 0 = authenticated)"
cli verify "$DEVICE" --chain "$WORK/device.pem" --resolver "127.0.0.1:$DNS_PORT" --trust-anchors "$WORK/trust-anchors.zone"

echo "== an impostor with another key is refused (exit 1 expected)"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$DEVICE" \
  -keyout "$WORK/impostor.key" -out "$WORK/impostor.pem" -days 365 2>/dev/null
if cli verify "$DEVICE" --chain "$WORK/impostor.pem" --resolver "127.0.0.1:$DNS_PORT" \
     --trust-anchors "$WORK/trust-anchors.zone"; then
  echo "impostor was accepted: this is a bug"; exit 1
fi

if $ONCE; then
  echo "== done (--once)"
  exit 0
fi
echo "== Knot keeps serving $ZONE on 127.0.0.1:$DNS_PORT; try:"
echo "   java -jar $JAR verify $DEVICE --chain $WORK/device.pem --resolver 127.0.0.1:$DNS_PORT --trust-anchors $WORK/trust-anchors.zone"
echo "   Ctrl-C stops it."
wait "$KNOT_PID"
