package io.github.keycloakdane.bench;

import io.github.keycloakdane.core.DaneName;
import io.github.keycloakdane.core.InvalidNameException;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/** Parsing and normalising a {@code dane_clientid} as it arrives (mixed case, trailing dot). */
@State(Scope.Benchmark)
public class NameBenchmark {

    public String raw = "Sensor7._device.Example.COM.";

    @Benchmark
    public DaneName parse() throws InvalidNameException {
        return DaneName.parse(raw);
    }
}
