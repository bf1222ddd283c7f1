package io.github.keycloakdane.dns;

import io.github.keycloakdane.core.DaneName;
import io.github.keycloakdane.core.DnssecStatus;
import io.github.keycloakdane.core.InvalidNameException;
import io.github.keycloakdane.core.MatchingType;
import io.github.keycloakdane.core.TlsaLookup;
import io.github.keycloakdane.core.TlsaRecord;
import io.github.keycloakdane.core.UnusableRecordException;
import org.openjdk.jol.info.GraphLayout;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * The heap the verifier's cache holds for {@code names} secure answers, each as {@code DnsTlsaSource} stores it (a
 * name of the form {@code deviceN._device.example.com}, one {@code 3 1 1} record, its detail text), measured twice:
 * the retained object graph walked by JOL ({@link GraphLayout}), and the used heap after full GCs before and after
 * filling. Not a JMH benchmark: a measurement, printed as a table row by {@link io.github.keycloakdane.bench.JmhTables}.
 */
public final class CacheFootprint {

    private CacheFootprint() {
    }

    /** Bytes per cached name, by JOL and by the GC'd heap delta. */
    public record Footprint(int names, long jolBytes, long heapDeltaBytes) {
    }

    public static Footprint measure(int names) throws Exception {
        DaneName[] keys = names(names); // the names themselves arrive with the requests; counted below all the same
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        long before = usedAfterGc(memory);
        LookupCache cache = filled(keys);
        long after = usedAfterGc(memory);
        long jol = GraphLayout.parseInstance(cache).totalSize() - GraphLayout.parseInstance(emptyCache()).totalSize();
        if (cache.size() != names) {
            throw new IllegalStateException(cache.size() + " names cached, not " + names);
        }
        return new Footprint(names, jol, after - before + GraphLayout.parseInstance((Object) keys).totalSize());
    }

    static LookupCache filled(int names) throws Exception {
        return filled(names(names));
    }

    static DaneName[] names(int count) throws InvalidNameException {
        DaneName[] keys = new DaneName[count];
        for (int i = 0; i < count; i++) {
            keys[i] = DaneName.parse("device" + i + "._device.example.com");
        }
        return keys;
    }

    private static LookupCache filled(DaneName[] keys) throws UnusableRecordException {
        LookupCache cache = cache(keys.length);
        for (DaneName key : keys) {
            byte[] digest = MatchingType.SHA2_256.apply(key.value().getBytes(StandardCharsets.US_ASCII));
            TlsaRecord record = TlsaRecord.of(3, 1, 1, digest);
            int usable = 1;
            TlsaLookup answer = new TlsaLookup(DnssecStatus.SECURE, List.of(record), List.of(), 3600,
                    "1 TLSA record(s), " + usable + " usable");
            cache.get(key, n -> answer);
        }
        return cache;
    }

    private static LookupCache emptyCache() {
        return cache(1);
    }

    /** As a node runs it, refresh ahead on the node's background threads. */
    private static LookupCache cache(int size) {
        return new LookupCache(DnsSettings.defaults().withCache(Duration.ofHours(1), Duration.ofSeconds(5), size)
                .withTimeout(Duration.ofSeconds(2)).withMaxConcurrentLookups(32), Clock.systemUTC(),
                LookupCache.background());
    }

    private static long usedAfterGc(MemoryMXBean memory) throws InterruptedException {
        for (int i = 0; i < 4; i++) {
            System.gc();
            Thread.sleep(100);
        }
        return memory.getHeapMemoryUsage().getUsed();
    }

    /** The table row: per entry and for 100 000 names, in MB (10^6 bytes). */
    public static String row(Footprint f) {
        return String.format(Locale.ROOT, "| %d | %d | %.1f | %d | %.1f |", f.names, f.jolBytes / f.names,
                f.jolBytes / (double) f.names * 100_000 / 1e6, f.heapDeltaBytes / f.names,
                f.heapDeltaBytes / (double) f.names * 100_000 / 1e6);
    }
}
