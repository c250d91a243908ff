package io.throughline.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.ServiceLoader;

/** {@code ./throughline bench <name> [--flags]}: runs one benchmark, or lists them. */
public final class BenchMain {

    private BenchMain() {
    }

    public static void main(String[] args) throws Exception {
        List<Benchmark> benchmarks = new ArrayList<>();
        ServiceLoader.load(Benchmark.class).forEach(benchmarks::add);
        if (args.length == 0 || args[0].equals("help") || args[0].equals("--help")) {
            System.out.println("Usage: ./throughline bench <name> [--flags]\n\nBenchmarks:");
            if (benchmarks.isEmpty()) {
                System.out.println("  (none in this build)");
            }
            for (Benchmark benchmark : benchmarks) {
                System.out.printf("  %-10s %s%n", benchmark.name(), benchmark.description());
            }
            return;
        }
        Benchmark benchmark = benchmarks.stream().filter(b -> b.name().equals(args[0])).findFirst().orElse(null);
        if (benchmark == null) {
            System.err.println("no benchmark named '" + args[0] + "'; run ./throughline bench help");
            System.exit(2);
            return;
        }
        List<String> rest = Arrays.asList(args).subList(1, args.length);
        if (rest.contains("--help")) {
            System.out.println("Usage: ./throughline bench " + benchmark.name() + " [flags]\n" + benchmark.usage());
            return;
        }
        try {
            benchmark.run(new BenchArgs(rest), System.out);
        } catch (BenchArgs.Invalid e) {
            System.err.println(e.getMessage() + "; run ./throughline bench " + benchmark.name() + " --help");
            System.exit(2);
        }
        System.exit(0);
    }
}
