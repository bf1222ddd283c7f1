#!/usr/bin/env bash
# Summarises the CPU samples of a flight recording (jdk.ExecutionSample) taken from Keycloak during scripts/bench.sh:
# the samples in each client authenticator (inclusive), and the hottest frames of this project's code (inclusive)
# and of the whole JVM (self). Usage: bash scripts/jfr-summary.sh FILE.jfr [TOP]
set -euo pipefail
file=$1
top=${2:-15}
jfr print --events jdk.ExecutionSample --stack-depth 128 "$file" | awk -v top="$top" '
  function flush(   k) {
    if (!inEvent) return
    total++
    if (leaf != "") self[leaf]++
    for (k in seen) incl[k]++
    delete seen
    leaf = ""; inEvent = 0
  }
  /^jdk.ExecutionSample/ { flush(); inEvent = 1; first = 1; next }
  inEvent && /line:/ {
    f = $1; sub(/\(.*$/, "", f)
    if (first) { leaf = f; first = 0 }
    if (f ~ /^io\.github\.keycloakdane\./ || f ~ /ClientAuthenticator\.authenticateClient$/) seen[f] = 1
  }
  END {
    flush()
    printf "samples: %d\n\nthis project and the client authenticators (inclusive):\n", total
    n = 0; for (k in incl) { keys[++n] = k }
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (incl[keys[j]] > incl[keys[i]]) { t = keys[i]; keys[i] = keys[j]; keys[j] = t }
    for (i = 1; i <= n && i <= top; i++) printf "%6d %5.2f%%  %s\n", incl[keys[i]], 100 * incl[keys[i]] / total, keys[i]
    printf "\nhottest frames of the JVM (self):\n"
    m = 0; for (k in self) { s[++m] = k }
    for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (self[s[j]] > self[s[i]]) { t = s[i]; s[i] = s[j]; s[j] = t }
    for (i = 1; i <= m && i <= top; i++) printf "%6d %5.2f%%  %s\n", self[s[i]], 100 * self[s[i]] / total, s[i]
  }'
