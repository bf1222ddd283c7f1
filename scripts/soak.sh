#!/usr/bin/env bash
# Soak: the fault-matrix stack (Knot behind a fault-injecting DNS fixture, Keycloak, nginx) under a steady mix of good
# devices, wrong keys and unknown names through five phases (steady, key rotation, DNS outage, unsigned zone,
# steady). Prints a table per phase and writes it to it-tests/target/soak-report.txt.
# Usage: bash scripts/soak.sh [minutes]   (default 30; same prerequisites as scripts/test.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES="${1:-30}"
shift || true
mvn -B -q install -DskipTests -DskipFuzz -pl themes,authenticator -am
mvn -B -Psoak -pl it-tests verify -Dit.test=DnsSoak -Dfailsafe.failIfNoSpecifiedTests=false \
  -Dsoak.minutes="$MINUTES" "$@" \
  | sed -n '/^\[DnsSoak\]/,/^$/p; /BUILD/p; /ERROR/p; /Tests run/p'
