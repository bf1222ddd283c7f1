#!/usr/bin/env bash
# TLS-native gateway vs nginx (ssl_verify_client optional_no_ca): full TLS 1.3 handshakes with a client certificate
# per second (a new connection and one GET each), the same BouncyCastle client and trivial upstream for both
# (GatewayBench in gateway/src/test). Prints the markdown table of docs/PERFORMANCE.md. Needs nginx on the PATH.
# Sizes: bash scripts/bench-gateway.sh -Dbench.concurrency=8 -Dbench.requests=200 -Dbench.rounds=3
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -o -pl gateway -am test-compile -DskipFuzz
mvn -B -q -o -pl gateway dependency:build-classpath -Dmdep.outputFile=target/bench.classpath \
  -Dmdep.includeScope=test >/dev/null 2>&1 || true
if [[ ! -s gateway/target/bench.classpath ]]; then
  # the reactor's own modules are not in the local repository: resolve with them
  mvn -B -q -o -pl gateway -am dependency:build-classpath -Dmdep.outputFile=target/bench.classpath \
    -Dmdep.includeScope=test >/dev/null
fi
cp="gateway/target/test-classes:gateway/target/classes:authenticator/target/classes:authenticator/target/test-classes"
cp="$cp:$(sed 's#[^:]*/keycloak-dane-[0-9][^:/]*\.jar##g' gateway/target/bench.classpath)"
java "$@" -cp "$cp" io.github.keycloakdane.gateway.GatewayBench 2>/dev/null
