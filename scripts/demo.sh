#!/usr/bin/env bash
# keycloak-dane demo: a device with only a DNS name and a key pair proves who it is.
#
# Everything runs on 127.0.0.1 on free ports, under ./demo-work, and is stopped on exit (Ctrl-C, or --once).
# The stack is the integration tests' own (SharedStack.configuration(), started by the DemoStack class of it-tests):
# Knot DNS signs and serves example.test with the device's TLSA record (made by the CLI), Keycloak runs with
# keycloak-dane and realm-config/dane-realm.json behind nginx, and the device gets a token with curl.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
ONCE=false
[ "${1:-}" = "--once" ] && ONCE=true

bash scripts/install-deps.sh
export PATH="$PATH:/usr/sbin"

JAR="$ROOT/authenticator/target/keycloak-dane.jar"
KC_VERSION=$(sed -n "s:.*<keycloak.version>\(.*\)</keycloak.version>.*:\1:p" pom.xml) # the one place it is written
WORK="$ROOT/demo-work"
mkdir -p "$WORK"
echo "== building the provider jar and the integration tests' stack"
mvn -B -q -Dstyle.color=never -DskipTests install -pl authenticator,gateway -am >/dev/null
mvn -B -q -Dstyle.color=never -pl it-tests test-compile dependency:unpack@unpack-keycloak dependency:build-classpath \
  -Dmdep.includeScope=test -Dmdep.outputFile="$WORK/classpath.txt" >/dev/null
cli() { java -jar "$JAR" "$@"; }

DEVICE=sensor7._device.example.test
echo "== the device makes a key pair and a self-signed certificate (no CA involved)"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$DEVICE" \
  -keyout "$WORK/device.key" -out "$WORK/device.pem" -days 365 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$DEVICE" \
  -keyout "$WORK/impostor.key" -out "$WORK/impostor.pem" -days 365 2>/dev/null

echo "== its TLSA record, made with the CLI"
RECORD=$(cli tlsa --cert "$WORK/device.pem" --name "$DEVICE")
echo "   $RECORD"

METER=meter1._device.example.test
echo "== a second device, $METER (client-dane-jwt: it will present no certificate at all), and its record"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$METER" \
  -keyout "$WORK/meter.key" -out "$WORK/meter.pem" -days 365 2>/dev/null
METER_RECORD=$(cli tlsa --cert "$WORK/meter.pem" --name "$METER")
echo "   $METER_RECORD"

echo "== Knot DNS signs example.test and publishes the record; Keycloak $KC_VERSION with keycloak-dane behind nginx"
rm -f "$WORK/stack.env"
java -cp "$ROOT/it-tests/target/test-classes:$(cat "$WORK/classpath.txt")" \
  -Dit.workdir="$WORK" -Dkeycloak.dist="$ROOT/it-tests/target/keycloak-$KC_VERSION" -Ddane.jar="$JAR" \
  -Ddane.realm="$ROOT/realm-config/dane-realm.json" \
  io.github.keycloakdane.it.harness.DemoStack "$WORK/stack.env" "$RECORD" "$METER_RECORD" > "$WORK/stack.log" 2>&1 &
STACK_PID=$!
# SIGTERM to the stack's JVM: its shutdown hooks stop nginx, Keycloak and Knot
cleanup() { kill "$STACK_PID" 2>/dev/null || true; wait "$STACK_PID" 2>/dev/null || true; }
trap cleanup EXIT
trap 'exit 130' INT TERM
echo "   starting (about a minute; log: $WORK/stack.log)"
until [ -f "$WORK/stack.env" ]; do
  kill -0 "$STACK_PID" 2>/dev/null || { tail -40 "$WORK/stack.log"; exit 1; }
  sleep 1
done
# DNS_PORT, TRUST_ANCHORS, TLS_CA, KEYCLOAK_URL, PUBLIC_URL
. "$WORK/stack.env"
echo "   DNS 127.0.0.1:$DNS_PORT, Keycloak $KEYCLOAK_URL, nginx $PUBLIC_URL"
echo "   trust anchor: $(cut -c1-90 "$TRUST_ANCHORS")..."

echo "== DNSSEC-validated lookup"
cli lookup "$DEVICE" --resolver "127.0.0.1:$DNS_PORT" --trust-anchors "$TRUST_ANCHORS"

TOKEN_URL="$PUBLIC_URL/realms/dane/protocol/openid-connect/token"
echo "== the device asks for a token with nothing but its key and its name (curl, client_credentials)"
echo "   curl --cert device.pem --key device.key -d grant_type=client_credentials -d dane_clientid=$DEVICE $TOKEN_URL"
RESPONSE=$(curl -s --cacert "$TLS_CA" --cert "$WORK/device.pem" --key "$WORK/device.key" \
  -d grant_type=client_credentials -d "dane_clientid=$DEVICE" "$TOKEN_URL")
ACCESS_TOKEN=$(printf '%s' "$RESPONSE" | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
if [ -z "$ACCESS_TOKEN" ]; then
  echo "no token: $RESPONSE"; exit 1
fi
payload=$(printf '%s' "$ACCESS_TOKEN" | cut -d. -f2 | tr '_-' '/+')
while [ $(( ${#payload} % 4 )) -ne 0 ]; do payload="$payload="; done
echo "== the access token's claims:"
printf '%s' "$payload" | base64 -d | sed 's/,"/,\n  "/g; s/^{/{\n  /; s/}$/\n}/'
echo

echo "== an impostor with another key is refused:"
curl -s -w '   HTTP %{http_code}\n' --cacert "$TLS_CA" --cert "$WORK/impostor.pem" --key "$WORK/impostor.key" \
  -d grant_type=client_credentials -d "dane_clientid=$DEVICE" "$TOKEN_URL"

echo "== TLS-native mode: the gateway checks DANE in the TLS 1.3 handshake (dane_clientid) and tells Keycloak the name"
GATEWAY_JAR="$ROOT/gateway/target/keycloak-dane-gateway.jar"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=127.0.0.1" \
  -addext "subjectAltName=IP:127.0.0.1" -keyout "$WORK/gateway.key" -out "$WORK/gateway.pem" -days 30 2>/dev/null
java -jar "$GATEWAY_JAR" --listen 127.0.0.1:0 --upstream "$KEYCLOAK_URL" \
  --cert "$WORK/gateway.pem" --key "$WORK/gateway.key" \
  --resolver "127.0.0.1:$DNS_PORT" --trust-anchors "$TRUST_ANCHORS" --allow-list .example.test \
  --unauthenticated-paths /realms/dane/.well-known/ > "$WORK/gateway.log" 2>&1 &
GATEWAY_PID=$!
cleanup() { kill "$GATEWAY_PID" 2>/dev/null || true; kill "$STACK_PID" 2>/dev/null || true; wait "$STACK_PID" 2>/dev/null || true; }
until grep -q "keycloak-dane gateway on" "$WORK/gateway.log"; do
  kill -0 "$GATEWAY_PID" 2>/dev/null || { cat "$WORK/gateway.log"; exit 1; }
  sleep 1
done
# a free port, chosen by the gateway itself (listen on port 0): its start-up line names it
GATEWAY_PORT=$(sed -n 's/.*keycloak-dane gateway on [^ ]*:\([0-9][0-9]*\) .*/\1/p' "$WORK/gateway.log" | head -1)
GATEWAY_TOKEN_URL="https://127.0.0.1:$GATEWAY_PORT/realms/dane/protocol/openid-connect/token"
echo "   java -jar keycloak-dane.jar request --key device.key --cert device.pem --name $DEVICE $GATEWAY_TOKEN_URL -d grant_type=client_credentials"
GW_RESPONSE=$(cli request --key "$WORK/device.key" --cert "$WORK/device.pem" --name "$DEVICE" --cacert "$WORK/gateway.pem" \
  "$GATEWAY_TOKEN_URL" -d grant_type=client_credentials 2>/dev/null || true)
GW_TOKEN=$(printf '%s' "$GW_RESPONSE" | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
if [ -z "$GW_TOKEN" ]; then
  echo "no token through the gateway: $GW_RESPONSE"; tail -5 "$WORK/gateway.log"; exit 1
fi
payload=$(printf '%s' "$GW_TOKEN" | cut -d. -f2 | tr '_-' '/+')
while [ $(( ${#payload} % 4 )) -ne 0 ]; do payload="$payload="; done
echo "   token for $(printf '%s' "$payload" | base64 -d | sed -n 's/.*"dane_clientid":"\([^"]*\)".*/dane_clientid=\1/p')"
echo "== the impostor fails the handshake itself (nothing reaches Keycloak):"
cli request --key "$WORK/impostor.key" --cert "$WORK/impostor.pem" --name "$DEVICE" --cacert "$WORK/gateway.pem" \
  "$GATEWAY_TOKEN_URL" -d grant_type=client_credentials 2>&1 | grep -v "cannot see whether" | sed 's/^/   /' || true
echo "   gateway log: $(grep -o 'refused .*' "$WORK/gateway.log" | tail -1)"

echo "== the second device: no client certificate, a signed JWT whose key is in its TLSA record (client-dane-jwt)"
echo "   curl -d grant_type=client_credentials -d client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer \\"
echo "        -d client_assertion=\"\$(java -jar keycloak-dane.jar assertion --key meter.key --client-id meter1 --aud $PUBLIC_URL/realms/dane)\" \\"
echo "        $TOKEN_URL"
ASSERTION=$(cli assertion --key "$WORK/meter.key" --client-id meter1 --aud "$PUBLIC_URL/realms/dane")
METER_RESPONSE=$(curl -s --cacert "$TLS_CA" -d grant_type=client_credentials \
  -d client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer \
  -d "client_assertion=$ASSERTION" "$TOKEN_URL")
METER_TOKEN=$(printf '%s' "$METER_RESPONSE" | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
if [ -z "$METER_TOKEN" ]; then
  echo "no token: $METER_RESPONSE"; exit 1
fi
payload=$(printf '%s' "$METER_TOKEN" | cut -d. -f2 | tr '_-' '/+')
while [ $(( ${#payload} % 4 )) -ne 0 ]; do payload="$payload="; done
echo "   token for $(printf '%s' "$payload" | base64 -d | sed -n 's/.*"dane_clientid":"\([^"]*\)".*/dane_clientid=\1/p')"
echo "== the same assertion again (a replay) is refused:"
curl -s -w '   HTTP %{http_code}\n' --cacert "$TLS_CA" -d grant_type=client_credentials \
  -d client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer \
  -d "client_assertion=$ASSERTION" "$TOKEN_URL"

echo
echo "admin console: $KEYCLOAK_URL/admin/master/console/#/dane   (admin / admin)"
echo "token endpoint (through nginx): $TOKEN_URL"
echo "token endpoint (TLS-native, through the gateway): $GATEWAY_TOKEN_URL"
if $ONCE; then
  echo "== done (--once)"
  exit 0
fi
echo "Everything keeps running until Ctrl-C."
wait "$STACK_PID"
