package io.github.keycloakdane.core;

/** Where TLSA RRsets come from: DNS with DNSSEC in production ({@code dns.DnsTlsaSource}). Thread-safe. */
@FunctionalInterface
public interface TlsaSource {

    /** Never throws for DNS trouble: failures are statuses. Returns within the implementation's time bound. */
    TlsaLookup lookup(DaneName name);
}
