#!/usr/bin/env bash
# The DANE core's own cost (module benchmarks, JMH): 3 1 1, 3 0 1 and 2 0 1 (with path validation) matched and
# verified, DaneName.parse, the allow list at 10 and 10 000 entries, a cache hit among 100 000 names, and the cache's
# heap for 100 000 names (JOL and GC'd heap delta), one DNSSEC signature check with SunEC and with BouncyCastle
# (DnssecVerifyBenchmark; its BouncyCastle fork reads benchmarks/dnssec-bc.security from here). Prints the markdown tables of docs/PERFORMANCE.md; about 3 minutes.
# JMH's options pass through, e.g. bash scripts/jmh.sh -f 3 -i 10 'AllowList'   (-h lists them)
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q package -DskipTests -DskipFuzz -pl benchmarks -am
exec java -Djol.magicFieldOffset=true -Djdk.attach.allowAttachSelf=true -cp "benchmarks/target/classes:$(cat benchmarks/target/classpath.txt)" \
  io.github.keycloakdane.bench.JmhTables "$@"
