#!/usr/bin/env bash
# Benchmark: client-dane against Keycloak's client-x509, one stack, one run; prints a table with ratios.
# Same prerequisites as scripts/test.sh. Sizes: bash scripts/bench.sh -Dbench.rounds=20 -Dbench.block=100
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q install -DskipTests -pl themes,authenticator -am
mvn -B -Pbench -pl it-tests verify -Dit.test=ClientAuthBenchmark -Dfailsafe.failIfNoSpecifiedTests=false "$@" \
  | sed -n '/^method /,/^dane\/x509/p; /BUILD/p; /ERROR/p'
