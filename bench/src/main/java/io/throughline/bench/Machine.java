package io.throughline.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/** What a benchmark ran on, so every figure carries its machine. */
public final class Machine {

    private Machine() {
    }

    public static JsonObject describe() {
        Runtime runtime = Runtime.getRuntime();
        return new JsonObject()
                .put("cpus", runtime.availableProcessors())
                .put("cpuModel", cpuModel())
                .put("maxHeapMb", runtime.maxMemory() / (1024 * 1024))
                .put("java", System.getProperty("java.version"))
                .put("jvmArguments", new JsonArray(ManagementFactory.getRuntimeMXBean().getInputArguments()))
                .put("garbageCollectors", new JsonArray(ManagementFactory.getGarbageCollectorMXBeans().stream()
                        .map(GarbageCollectorMXBean::getName).toList()))
                .put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"))
                .put("commit", System.getenv().getOrDefault("THROUGHLINE_BENCH_COMMIT", "unknown"));
    }

    private static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).strip()).findFirst().orElse("unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }
}
