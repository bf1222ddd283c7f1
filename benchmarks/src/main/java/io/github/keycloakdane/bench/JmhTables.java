package io.github.keycloakdane.bench;

import io.github.keycloakdane.dns.CacheFootprint;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

import java.util.Collection;
import java.util.Comparator;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Runs the JMH benchmarks of this module (JMH's own command-line options override the defaults below) and then the
 * cache footprint, and prints both as the markdown tables of docs/PERFORMANCE.md. {@code scripts/jmh.sh} runs it.
 */
public final class JmhTables {

    private JmhTables() {
    }

    public static void main(String[] args) throws Exception {
        CommandLineOptions cli = new CommandLineOptions(args);
        OptionsBuilder builder = new OptionsBuilder();
        if (cli.getIncludes().isEmpty()) {
            builder.include("io\\.github\\.keycloakdane\\..*Benchmark");
        }
        Options options = builder.parent(cli)
                .mode(org.openjdk.jmh.annotations.Mode.AverageTime).timeUnit(TimeUnit.NANOSECONDS)
                .forks(cli.getForkCount().orElse(1))
                .warmupIterations(cli.getWarmupIterations().orElse(3))
                .warmupTime(cli.getWarmupTime().orElse(TimeValue.seconds(1)))
                .measurementIterations(cli.getMeasurementIterations().orElse(5))
                .measurementTime(cli.getMeasurementTime().orElse(TimeValue.seconds(1)))
                .build();
        Collection<RunResult> results = new Runner(options).run();

        StringBuilder t = new StringBuilder("\n<!-- jmh:begin -->\n");
        t.append(String.format(Locale.ROOT, "%d CPUs, Java %s (%s); %s.%n%n",
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"),
                System.getProperty("java.vm.name"), describe(options)));
        t.append("| benchmark | parameters | ns/op | ± (99.9%) |\n|---|---|---:|---:|\n");
        results.stream().sorted(Comparator.comparing(r -> r.getParams().getBenchmark())).forEach(r -> {
            Result<?> score = r.getPrimaryResult();
            String benchmark = r.getParams().getBenchmark().replaceFirst("^io\\.github\\.keycloakdane\\.\\w+\\.", "");
            String params = r.getParams().getParamsKeys().stream()
                    .map(k -> k + "=" + r.getParams().getParam(k)).collect(Collectors.joining(", "));
            t.append(String.format(Locale.ROOT, "| %s | %s | %.1f | %.1f |%n", benchmark, params, score.getScore(),
                    score.getScoreError()));
        });
        int names = Integer.getInteger("footprint.names", 100_000);
        t.append("\n| cached names | bytes per name (JOL) | MB per 100 000 (JOL) | bytes per name (heap after GC)"
                + " | MB per 100 000 (heap after GC) |\n|---:|---:|---:|---:|---:|\n");
        t.append(CacheFootprint.row(CacheFootprint.measure(names))).append('\n');
        System.out.println(t.append("<!-- jmh:end -->"));
    }

    private static String describe(Options o) {
        Map<String, Object> d = Map.of("forks", o.getForkCount().orElse(1),
                "warm-up", o.getWarmupIterations().orElse(0) + " x " + o.getWarmupTime().orElse(null),
                "measurement", o.getMeasurementIterations().orElse(0) + " x " + o.getMeasurementTime().orElse(null));
        return "JMH average time: " + d.get("forks") + " fork, warm-up " + d.get("warm-up") + ", measurement "
                + d.get("measurement") + ", 1 thread";
    }
}
