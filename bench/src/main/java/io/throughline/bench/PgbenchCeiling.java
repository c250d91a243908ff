package io.throughline.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.commons.io.FileUtils;

/**
 * The durable-write ceiling: pgbench from the PostgreSQL install running a single-row transactional insert against
 * the benchmark's own PostgreSQL. The embedded binaries ship no pgbench; Debian's {@code postgresql-15} (or any
 * PostgreSQL install) does, and a pgbench of another major version speaks to PostgreSQL 18 just as well.
 */
public final class PgbenchCeiling {

    private static final Pattern TPS = Pattern.compile("tps = ([0-9.]+) \\(without initial connection time\\)");

    /** A pgbench run: its transactions per second, and the binary and options that produced it. */
    public record Result(double tps, String binary, String command) {
    }

    private PgbenchCeiling() {
    }

    /** pgbench on PATH, else the newest under /usr/lib/postgresql/&lt;version&gt;/bin, else empty. */
    public static Optional<Path> find() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, "pgbench");
            if (Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        Path debian = Path.of("/usr/lib/postgresql");
        if (Files.isDirectory(debian)) {
            try (Stream<Path> versions = Files.list(debian)) {
                return versions.map(v -> v.resolve("bin/pgbench")).filter(Files::isExecutable)
                        .max(Comparator.comparing(Path::toString));
            } catch (IOException e) {
                return Optional.empty();
            }
        }
        return Optional.empty();
    }

    /** Runs {@code clients} connections inserting one row per transaction for {@code seconds}. */
    public static Result run(Path pgbench, int port, int clients, int seconds) {
        Path script = null;
        try {
            script = Files.createTempFile("throughline-pgbench", ".sql");
            Files.writeString(script, "INSERT INTO bench_ceiling (body) VALUES ('a visitor message of ordinary"
                    + " length, about like this one');\n");
            psql(pgbench, port, "CREATE TABLE IF NOT EXISTS bench_ceiling (id bigserial PRIMARY KEY, body text NOT"
                    + " NULL, created_at timestamptz NOT NULL DEFAULT now())");
            List<String> command = List.of(pgbench.toString(), "-n", "-h", "127.0.0.1", "-p", String.valueOf(port),
                    "-U", "postgres", "-c", String.valueOf(clients), "-j", "2", "-T", String.valueOf(seconds),
                    "-f", script.toString(), "postgres");
            String output = exec(command, seconds + 60);
            Matcher m = TPS.matcher(output);
            if (!m.find()) {
                throw new IllegalStateException("pgbench printed no tps:\n" + output);
            }
            return new Result(Double.parseDouble(m.group(1)), pgbench.toString(), String.join(" ", command));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            if (script != null) {
                FileUtils.deleteQuietly(script.toFile());
            }
        }
    }

    /** Runs one statement with pgbench's sibling psql when present (same bin directory), else through pgbench. */
    private static void psql(Path pgbench, int port, String sql) throws IOException {
        Path psql = pgbench.resolveSibling("psql");
        List<String> command = new ArrayList<>();
        Path once = null;
        try {
            if (Files.isExecutable(psql)) {
                command.addAll(List.of(psql.toString(), "-h", "127.0.0.1", "-p", String.valueOf(port), "-U",
                        "postgres", "-v", "ON_ERROR_STOP=1", "-c", sql, "postgres"));
            } else {
                once = Files.createTempFile("throughline-pgbench-setup", ".sql");
                Files.writeString(once, sql + ";\n");
                command.addAll(List.of(pgbench.toString(), "-n", "-h", "127.0.0.1", "-p", String.valueOf(port),
                        "-U", "postgres", "-t", "1", "-f", once.toString(), "postgres"));
            }
            exec(command, 60);
        } finally {
            if (once != null) {
                FileUtils.deleteQuietly(once.toFile());
            }
        }
    }

    private static String exec(List<String> command, int timeoutSeconds) throws IOException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        // Read on another thread, so that the timeout holds even for a process that never closes its output (and a
        // full pipe never stalls it).
        CompletableFuture<String> reading = CompletableFuture.supplyAsync(() -> {
            try {
                return new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        String output;
        try {
            if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException("timed out: " + String.join(" ", command));
            }
            output = reading.get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot read the output of " + String.join(" ", command), e);
        }
        if (process.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed:\n" + output);
        }
        return output;
    }
}
