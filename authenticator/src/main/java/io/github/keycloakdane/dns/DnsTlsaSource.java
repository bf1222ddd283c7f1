package io.github.keycloakdane.dns;

import io.github.keycloakdane.core.DaneName;
import io.github.keycloakdane.core.DnssecStatus;
import io.github.keycloakdane.core.TlsaLookup;
import io.github.keycloakdane.core.TlsaRecord;
import io.github.keycloakdane.core.TlsaSource;
import io.github.keycloakdane.core.UnusableRecordException;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.ResolverConfig;
import org.xbill.DNS.Section;
import org.xbill.DNS.TLSARecord;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;
import org.xbill.DNS.dnssec.ValidatingResolver;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Fetches TLSA RRsets with dnsjava and decides whether they are DNSSEC-secure.
 *
 * <p>Default mode: validate locally with dnsjava's {@link ValidatingResolver} against the configured trust anchors
 * (the IANA root by default); the upstream AD bit is ignored. Opt-in mode ({@code trustAd}): believe the AD bit of
 * the configured resolver, which is only as safe as the path to it (RFC 4035 §4.9.3, RFC 6698 §4.1).
 */
public final class DnsTlsaSource implements TlsaSource {

    private static final System.Logger LOG = System.getLogger(DnsTlsaSource.class.getName());
    private static final int MAX_CNAME_LINKS = 8;
    /**
     * The reason dnsjava's validator (3.6, {@code validate.response.unknown}) gives when the upstream answer was an
     * error itself (SERVFAIL upstream: neither an answer nor a denial): the resolver failed, no signature did.
     */
    private static final String UPSTREAM_ERROR = "Response subtype is UNKNOWN";

    private final DnsSettings settings;
    private final ResolverChannel channel;
    private final InetSocketAddress resolverAddress;
    private final Resolver resolver;
    private final LookupCache cache;

    public DnsTlsaSource(DnsSettings settings) {
        this(settings, Clock.systemUTC());
    }

    public DnsTlsaSource(DnsSettings settings, Clock clock) {
        this(settings, ResolverChannel.udp(), null, clock);
    }

    /** Queries travel over {@code channel} (UDP, or DNS over TLS) to the settings' resolver. */
    public DnsTlsaSource(DnsSettings settings, ResolverChannel channel) {
        this(settings, channel, null, Clock.systemUTC());
    }

    DnsTlsaSource(DnsSettings settings, Resolver upstream, Clock clock) {
        this(settings, ResolverChannel.udp(), upstream, clock);
    }

    /**
     * @param upstream where queries go; null: the channel's resolver for the settings' resolver (tests pass an
     *                 in-process one)
     */
    private DnsTlsaSource(DnsSettings settings, ResolverChannel channel, Resolver upstream, Clock clock) {
        this.settings = settings;
        this.channel = channel;
        if (settings.resolver() == null && channel.secure()) {
            throw new IllegalArgumentException("a TLS channel needs a configured resolver");
        }
        this.resolverAddress = settings.resolver() != null ? settings.resolver() : systemResolver();
        Resolver head = upstream;
        if (head == null) {
            head = channel.open(resolverAddress, settings.timeout());
            if (settings.trustAd()) {
                head.setEDNS(0, 1232, 0, List.of());
            }
        }
        // the chaser completes CNAME chains a non-recursive server leaves open (which dnsjava's validator would call
        // bogus) and bounds them, in both modes
        CnameChasingResolver chaser = new CnameChasingResolver(head, MAX_CNAME_LINKS);
        if (settings.trustAd()) {
            if (!resolverAddress.getAddress().isLoopbackAddress() && !channel.secure()) {
                LOG.log(System.Logger.Level.WARNING, "DANE: trusting the AD bit of " + resolverAddress
                        + ", which is not on loopback: anyone on the path can forge DNSSEC status."
                        + " Use local validation (trust-ad=false) or DNS over TLS (resolver-transport=tls).");
            }
            this.resolver = chaser;
        } else {
            ValidatingResolver validating = new ValidatingResolver(chaser);
            String anchors = settings.trustAnchors() != null ? settings.trustAnchors() : DnsSettings.IANA_ROOT_ANCHORS;
            try {
                validating.loadTrustAnchors(new ByteArrayInputStream(anchors.getBytes(StandardCharsets.UTF_8)));
            } catch (IOException | RuntimeException e) {
                throw new IllegalArgumentException("cannot read trust anchors: " + e.getMessage(), e);
            }
            if (validating.getTrustAnchors().items().isEmpty()) {
                throw new IllegalArgumentException("the trust anchors contain no DS or DNSKEY record");
            }
            this.resolver = validating;
        }
        this.cache = new LookupCache(settings, clock, LookupCache.background());
    }

    private static InetSocketAddress systemResolver() {
        List<InetSocketAddress> servers = ResolverConfig.getCurrentConfig().servers();
        if (servers.isEmpty()) {
            throw new IllegalArgumentException("no resolver configured and none found in the system configuration");
        }
        return servers.get(0);
    }

    public InetSocketAddress resolverAddress() {
        return resolverAddress;
    }

    /** How queries travel to {@link #resolverAddress()}. */
    public ResolverChannel channel() {
        return channel;
    }

    @Override
    public TlsaLookup lookup(DaneName name) {
        return cache.get(name, this::fetch);
    }

    /** Where cache and query events go (metrics); set once at start-up. */
    public void observe(LookupObserver observer) {
        cache.observe(observer);
    }

    /** The cached answer for the name and when it expires, if one is cached; changes nothing. */
    public Optional<CachedLookup> cached(DaneName name) {
        LookupCache.Cached c = cache.peek(name);
        return c == null ? Optional.empty()
                : Optional.of(new CachedLookup(c.lookup(), Instant.ofEpochMilli(c.expiresAtMillis())));
    }

    /**
     * Queries DNS now, whatever is cached, on a slot of {@code budget} (never one of {@code max-concurrent-lookups},
     * which logins use); the answer replaces the cached one only when {@code refresh} is set, otherwise the cache is
     * left exactly as it was (a diagnosis must not change what logins see).
     */
    public TlsaLookup lookupNow(DaneName name, boolean refresh, LookupBudget budget) {
        return cache.lookupNow(name, this::fetch, refresh, budget);
    }

    public int cacheSize() {
        return cache.size();
    }

    /** Distinct names being queried right now. */
    public int lookupsInFlight() {
        return cache.inFlight();
    }

    /** A cached answer and the instant it stops being used. */
    public record CachedLookup(TlsaLookup lookup, Instant expiresAt) {
    }

    private TlsaLookup fetch(DaneName name) {
        long deadline = System.nanoTime() + settings.timeout().toNanos();
        Name qname;
        try {
            qname = Name.fromString(name.fqdn());
        } catch (TextParseException e) {
            return TlsaLookup.failed(DnssecStatus.NETWORK_ERROR, "not a DNS name: " + e.getMessage());
        }
        Message response;
        try {
            response = send(qname, deadline);
        } catch (TimeoutException e) {
            return TlsaLookup.failed(DnssecStatus.TIMEOUT, "no answer for " + qname + " within "
                    + settings.timeout().toMillis() + " ms from " + resolverAddress);
        } catch (CnameChasingResolver.ChainTooLongException e) {
            return TlsaLookup.failed(DnssecStatus.SERVFAIL, qname + ": " + e.getMessage());
        } catch (IOException e) {
            return TlsaLookup.failed(DnssecStatus.NETWORK_ERROR, "query for " + qname + " to " + resolverAddress
                    + " failed: " + (e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName()));
        }
        int rcode = response.getRcode();
        if (rcode == Rcode.SERVFAIL) {
            String reason = validationReason(response);
            return reason != null && !reason.startsWith(UPSTREAM_ERROR)
                    ? TlsaLookup.failed(DnssecStatus.BOGUS, "DNSSEC validation of " + qname + " failed: " + reason)
                    : TlsaLookup.failed(DnssecStatus.SERVFAIL, "SERVFAIL for " + qname + " from " + resolverAddress);
        }
        if (rcode != Rcode.NOERROR && rcode != Rcode.NXDOMAIN) {
            return TlsaLookup.failed(DnssecStatus.SERVFAIL, Rcode.string(rcode) + " for " + qname);
        }
        // The chain as the answer holds it (completed by the chaser); every link is part of what was validated.
        CnameChasingResolver.Chain chain = CnameChasingResolver.follow(qname, Type.TLSA,
                response.getSection(Section.ANSWER), MAX_CNAME_LINKS);
        String via = chain.path().isEmpty() ? "" : " (via CNAME " + chain.path() + ")";
        if (!response.getHeader().getFlag(Flags.AD)) {
            return TlsaLookup.failed(DnssecStatus.INSECURE, "the answer for " + qname + " (" + Rcode.string(rcode)
                    + ") is not DNSSEC-secure" + via);
        }
        if (chain.tooLong()) {
            return TlsaLookup.failed(DnssecStatus.SERVFAIL, qname + ": "
                    + CnameChasingResolver.ChainTooLongException.describe(MAX_CNAME_LINKS, chain.path()));
        }
        if (rcode == Rcode.NXDOMAIN) {
            return TlsaLookup.failed(DnssecStatus.NXDOMAIN, chain.end() + " does not exist (secure denial)" + via);
        }
        if (chain.records().isEmpty()) {
            return TlsaLookup.failed(DnssecStatus.NODATA, chain.end() + " has no TLSA records (secure denial)" + via);
        }
        long ttl = Long.MAX_VALUE;
        List<TLSARecord> tlsa = new ArrayList<>();
        for (org.xbill.DNS.Record r : chain.cnames()) {
            ttl = Math.min(ttl, r.getTTL());
        }
        for (org.xbill.DNS.Record r : chain.records()) {
            ttl = Math.min(ttl, r.getTTL());
            tlsa.add((TLSARecord) r);
        }
        return secureAnswer(tlsa, ttl, chain.path());
    }

    private Message send(Name qname, long deadlineNanos) throws TimeoutException, IOException {
        long remaining = deadlineNanos - System.nanoTime();
        if (remaining <= 0) {
            throw new TimeoutException();
        }
        Message query = Message.newQuery(org.xbill.DNS.Record.newRecord(qname, Type.TLSA, DClass.IN));
        if (settings.trustAd()) {
            query.getHeader().setFlag(Flags.AD); // RFC 6840 §5.7: ask the resolver to report AD
        }
        CompletableFuture<Message> future = resolver.sendAsync(query).toCompletableFuture();
        try {
            return future.get(remaining, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            future.cancel(true);
            throw new IOException("interrupted");
        } catch (TimeoutException e) {
            future.cancel(true);
            throw e;
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof SocketTimeoutException || cause instanceof TimeoutException) {
                throw new TimeoutException();
            }
            throw cause instanceof IOException io ? io : new IOException(String.valueOf(cause), cause);
        }
    }

    private static TlsaLookup secureAnswer(List<TLSARecord> tlsa, long ttl, List<Name> path) {
        List<TlsaRecord> usable = new ArrayList<>();
        List<String> unusable = new ArrayList<>();
        for (TLSARecord t : tlsa) {
            try {
                usable.add(TlsaRecord.of(t.getCertificateUsage(), t.getSelector(), t.getMatchingType(),
                        t.getCertificateAssociationData()));
            } catch (UnusableRecordException e) {
                unusable.add(e.getMessage());
            }
        }
        String detail = tlsa.size() + " TLSA record(s), " + usable.size() + " usable"
                + (path.isEmpty() ? "" : ", via CNAME " + path);
        return new TlsaLookup(DnssecStatus.SECURE, usable, unusable, ttl == Long.MAX_VALUE ? 0 : ttl, detail);
    }

    /** dnsjava's validator puts its reason in a TXT record of a private class in the additional section. */
    private static String validationReason(Message response) {
        for (org.xbill.DNS.Record r : response.getSection(Section.ADDITIONAL)) {
            if (r.getDClass() == ValidatingResolver.VALIDATION_REASON_QCLASS && r instanceof TXTRecord txt) {
                return String.join(" ", txt.getStrings());
            }
        }
        return null;
    }
}
