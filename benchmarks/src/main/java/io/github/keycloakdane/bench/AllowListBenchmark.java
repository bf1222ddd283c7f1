package io.github.keycloakdane.bench;

import io.github.keycloakdane.core.AllowList;
import io.github.keycloakdane.core.DaneName;
import io.github.keycloakdane.core.InvalidNameException;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.util.ArrayList;
import java.util.List;

/**
 * The allow list with {@code entries} entries: exact names, with one in ten a {@code *.parent} and one in ten a
 * {@code .domain} entry. {@code listed}: the last exact entry; {@code unlisted}: a name no entry admits (every entry
 * would have to be tried if the list were scanned).
 */
@State(Scope.Benchmark)
public class AllowListBenchmark {

    @Param({"10", "10000"})
    public int entries;

    private AllowList list;
    private DaneName listed;
    private DaneName unlisted;

    @Setup
    public void setUp() throws InvalidNameException {
        List<String> raw = new ArrayList<>();
        String last = null;
        for (int i = 0; i < entries; i++) {
            raw.add(switch (i % 10) {
                case 3 -> "*._group" + i + ".example.com";
                case 7 -> ".site" + i + ".example.org";
                default -> last = "device" + i + "._device.example.com";
            });
        }
        list = AllowList.parse(raw);
        listed = DaneName.parse(last);
        unlisted = DaneName.parse("stranger._device.example.net");
        if (!list.admits(listed) || list.admits(unlisted)) {
            throw new IllegalStateException("the allow list does not decide as the benchmark expects");
        }
    }

    @Benchmark
    public boolean listed() {
        return list.admits(listed);
    }

    @Benchmark
    public boolean unlisted() {
        return list.admits(unlisted);
    }
}
