#!/usr/bin/env bash
# keycloak-dane demo: a device with only a DNS name and a key pair proves who it is.
#
# Everything runs on 127.0.0.1 on free ports, under ./demo-work, and is stopped on exit (Ctrl-C, or --once).
# Knot DNS serves a DNSSEC-signed zone with the device's TLSA record (made by the CLI), Keycloak runs with
# keycloak-dane and realm-config/dane-realm.json behind nginx, and the device gets a token with curl.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
ONCE=false
[ "${1:-}" = "--once" ] && ONCE=true

bash scripts/install-deps.sh
export PATH="$PATH:/usr/sbin"

JAR="$ROOT/authenticator/target/keycloak-dane.jar"
KC_VERSION=26.7.3
echo "== building the provider jar"
mvn -B -q -Dstyle.color=never -DskipTests install -pl authenticator -am >/dev/null
cli() { java -jar "$JAR" "$@"; }

WORK="$ROOT/demo-work"
rm -rf "$WORK"; mkdir -p "$WORK/knot"
# perl-base is in every Debian installation
free_port() { perl -MIO::Socket::INET -e 'print IO::Socket::INET->new(LocalAddr => "127.0.0.1", Proto => "udp")->sockport'; }
DNS_PORT=$(free_port)
ZONE=example.test
DEVICE=sensor7._device.$ZONE

cleanup() {
  for pid in ${NGINX_PID:-} ${KNOT_PID:-}; do kill "$pid" 2>/dev/null || true; done
  if [ -n "${KC_PID:-}" ]; then
    pkill -TERM -P "$KC_PID" 2>/dev/null || true
    kill "$KC_PID" 2>/dev/null || true
  fi
  [ -f "$WORK/knot/knot.pid" ] && kill "$(cat "$WORK/knot/knot.pid")" 2>/dev/null || true
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

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$DEVICE" \
  -keyout "$WORK/impostor.key" -out "$WORK/impostor.pem" -days 365 2>/dev/null

echo "== DNSSEC-validated lookup"
cli lookup "$DEVICE" --resolver "127.0.0.1:$DNS_PORT" --trust-anchors "$WORK/trust-anchors.zone"

echo "== Keycloak $KC_VERSION with keycloak-dane"
if [ ! -d "$WORK/keycloak-$KC_VERSION" ]; then
  mvn -B -q -Dstyle.color=never -N dependency:copy -Dartifact="org.keycloak:keycloak-quarkus-dist:$KC_VERSION:zip" -DoutputDirectory="$WORK" >/dev/null
  (cd "$WORK" && jar xf "keycloak-quarkus-dist-$KC_VERSION.zip" && rm "keycloak-quarkus-dist-$KC_VERSION.zip")
fi
KC="$WORK/keycloak-$KC_VERSION"
cp "$JAR" "$KC/providers/"
mkdir -p "$KC/data/import" && cp "$ROOT/realm-config/dane-realm.json" "$KC/data/import/"
KC_PORT=$(free_port); KC_MGMT_PORT=$(free_port); NGINX_PORT=$(free_port)
KC_BOOTSTRAP_ADMIN_USERNAME=admin KC_BOOTSTRAP_ADMIN_PASSWORD=admin \
bash "$KC/bin/kc.sh" start-dev --http-host=127.0.0.1 --http-port="$KC_PORT" --http-management-port="$KC_MGMT_PORT" \
  --import-realm \
  --proxy-headers=xforwarded --proxy-trusted-addresses=127.0.0.1 \
  --spi-x509cert-lookup--provider=nginx --spi-x509cert-lookup--nginx--ssl-client-cert=ssl-client-cert \
  --spi-dane--default--resolver="127.0.0.1:$DNS_PORT" \
  --spi-dane--default--trust-anchors="$WORK/trust-anchors.zone" \
  --spi-client--jpa--searchable-attributes=dane.clientid \
  > "$WORK/keycloak.log" 2>&1 &
KC_PID=$!
echo "   starting on 127.0.0.1:$KC_PORT (log: $WORK/keycloak.log)"
for _ in $(seq 1 180); do
  curl -sf "http://127.0.0.1:$KC_PORT/realms/dane" >/dev/null 2>&1 && break
  kill -0 "$KC_PID" 2>/dev/null || { tail -20 "$WORK/keycloak.log"; exit 1; }
  sleep 1
done

echo "== nginx terminates TLS on 127.0.0.1:$NGINX_PORT and forwards the client certificate"
mkdir -p "$WORK/nginx"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=127.0.0.1" \
  -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
  -keyout "$WORK/nginx/server.key" -out "$WORK/nginx/server.pem" -days 30 2>/dev/null
NGINX_USER=""
[ "$(id -u)" -eq 0 ] && NGINX_USER="user root;"
cat > "$WORK/nginx/nginx.conf" <<CONF
$NGINX_USER
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log;
events { worker_connections 64; }
http {
    access_log $WORK/nginx/access.log;
    client_body_temp_path $WORK/nginx/tmp-body;
    proxy_temp_path $WORK/nginx/tmp-proxy;
    fastcgi_temp_path $WORK/nginx/tmp-fastcgi;
    uwsgi_temp_path $WORK/nginx/tmp-uwsgi;
    scgi_temp_path $WORK/nginx/tmp-scgi;
    server {
        listen 127.0.0.1:$NGINX_PORT ssl;
        ssl_certificate $WORK/nginx/server.pem;
        ssl_certificate_key $WORK/nginx/server.key;
        ssl_protocols TLSv1.2 TLSv1.3;
        # any certificate: nginx only checks that the client holds its private key; DANE decides who it is
        ssl_verify_client optional_no_ca;
        location / {
            proxy_pass http://127.0.0.1:$KC_PORT;
            proxy_set_header ssl-client-cert \$ssl_client_escaped_cert;
            proxy_set_header Host \$host:\$server_port;
            proxy_set_header X-Forwarded-For \$remote_addr;
            proxy_set_header X-Forwarded-Proto https;
            proxy_set_header X-Forwarded-Host \$host;
            proxy_set_header X-Forwarded-Port \$server_port;
        }
    }
}
CONF
nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -g 'daemon off;' &
NGINX_PID=$!
sleep 1

TOKEN_URL="https://127.0.0.1:$NGINX_PORT/realms/dane/protocol/openid-connect/token"
echo "== the device asks for a token with nothing but its key and its name (curl, client_credentials)"
echo "   curl --cert device.pem --key device.key -d grant_type=client_credentials -d dane_clientid=$DEVICE $TOKEN_URL"
RESPONSE=$(curl -s --cacert "$WORK/nginx/server.pem" --cert "$WORK/device.pem" --key "$WORK/device.key" \
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
curl -s -w '   HTTP %{http_code}\n' --cacert "$WORK/nginx/server.pem" --cert "$WORK/impostor.pem" --key "$WORK/impostor.key" \
  -d grant_type=client_credentials -d "dane_clientid=$DEVICE" "$TOKEN_URL"

echo
echo "admin console: http://127.0.0.1:$KC_PORT/admin/master/console/#/dane   (admin / admin)"
echo "token endpoint (through nginx): $TOKEN_URL"
if $ONCE; then
  echo "== done (--once)"
  exit 0
fi
echo "Everything keeps running until Ctrl-C."
wait "$KC_PID"
