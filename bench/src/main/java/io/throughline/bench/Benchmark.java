package io.throughline.bench;

import java.io.PrintStream;

/** One benchmark, found through ServiceLoader ({@code META-INF/services/io.throughline.bench.Benchmark}). */
public interface Benchmark {

    /** The name on the command line: {@code ./throughline bench <name>}. */
    String name();

    /** One line for the list of benchmarks, naming the baseline it compares against. */
    String description();

    /** The flags it takes, one per line, for {@code --help}. */
    String usage();

    void run(BenchArgs args, PrintStream out) throws Exception;
}
