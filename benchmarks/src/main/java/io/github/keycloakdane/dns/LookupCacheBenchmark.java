package io.github.keycloakdane.dns;

import io.github.keycloakdane.core.DaneName;
import io.github.keycloakdane.core.TlsaLookup;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;

/**
 * A cache hit among {@code names} cached names (a random one each time, so the LRU order moves as in production).
 * In package {@code dns}: the cache is the verifier's own, package-private.
 */
@State(Scope.Benchmark)
public class LookupCacheBenchmark {

    @Param({"100000"})
    public int names;

    private LookupCache cache;
    private DaneName[] keys;
    private static final Function<DaneName, TlsaLookup> NEVER = n -> {
        throw new IllegalStateException("a miss: " + n);
    };

    @Setup
    public void setUp() throws Exception {
        cache = CacheFootprint.filled(names);
        keys = CacheFootprint.names(names);
    }

    @Benchmark
    public TlsaLookup hit() {
        return cache.get(keys[ThreadLocalRandom.current().nextInt(keys.length)], NEVER);
    }
}
