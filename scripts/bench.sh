#!/usr/bin/env bash
# The calibrated benchmark (ClientAuthBenchmark, Maven profile bench): client-x509, client-x509 again (A/A),
# client-dane warm and cold, client-secret, at concurrency 1, 8 and 32, in ABBA rounds on one stack (nginx, Keycloak,
# Knot); prints the markdown tables of docs/PERFORMANCE.md (also left in it-tests/target/it/bench.md).
# Same prerequisites as scripts/test.sh; about 10 minutes on 2 cores (Keycloak's start included).
# Sizes: bash scripts/bench.sh -Dbench.rounds=30 -Dbench.block=20 -Dbench.concurrency=1,8,32 -Dbench.warmup.max=120
# -Dbench.searchable=false: dane.clientid not searchable (Keycloak's default; no one-carrier query per request)
# Keycloak runs with the full JIT (C2), as in production, unless -Dkeycloak.javaOptsAppend=... says otherwise, e.g.
# a flight recording: -Dkeycloak.javaOptsAppend=-XX:StartFlightRecording=filename=/tmp/kc.jfr,settings=profile
set -euo pipefail
cd "$(dirname "$0")/.."
jit=(-Dkeycloak.javaOptsAppend=-XX:+TieredCompilation)
for arg in "$@"; do
  [[ "$arg" == -Dkeycloak.javaOptsAppend=* ]] && jit=()
done
mvn -B -q install -DskipTests -DskipFuzz -pl themes,authenticator -am
mvn -B -Pbench -pl it-tests verify -DskipFuzz -Dit.test=ClientAuthBenchmark -Dfailsafe.failIfNoSpecifiedTests=false \
  "${jit[@]}" "$@" | sed -n '/^<!-- bench:begin -->$/,/^<!-- bench:end -->$/{//!p}; /BUILD/p; /ERROR/p; /FAIL/p'
