package io.throughline.cli;

import io.throughline.Throughline;
import io.throughline.config.ThroughlineConfig;
import io.throughline.search.OfflineRebuild;
import io.throughline.search.RebuildProgress;
import io.throughline.search.ServerControl;
import io.throughline.store.Database;
import io.throughline.store.EmbeddedDatabase;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code ./throughline reindex}: rebuilds the search index from PostgreSQL.
 *
 * <p>The index belongs to the server process (one IndexWriter per index), so when a server runs on this data
 * directory the command asks it, through the operator token it published in {@code <data>/index/control.json},
 * to rebuild online: search keeps serving from the old index until the new one has caught up and is swapped in.
 * With no server running it rebuilds in this process, under the directory lock a server would take. Either way it
 * draws a progress bar with messages per second and the time left, and a crash or Ctrl+C half-way leaves the
 * index in service untouched.
 */
final class Reindex {

    private static final long POLL_MS = 250;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();

    private final ThroughlineConfig config;
    private final PrintStream out;
    private final PrintStream err;
    private final boolean terminal;

    private Reindex(ThroughlineConfig config, PrintStream out, PrintStream err, boolean terminal) {
        this.config = config;
        this.out = out;
        this.err = err;
        this.terminal = terminal;
    }

    static int run(ThroughlineConfig config, Map<String, String> flags, PrintStream out, PrintStream err,
                   boolean terminal) {
        return new Reindex(config, out, err, terminal).run(flags.containsKey("status"));
    }

    private int run(boolean watchOnly) {
        Path indexRoot = config.indexDir();
        Optional<ServerControl> control = ServerControl.read(indexRoot).filter(ServerControl::processAlive);
        if (control.isPresent()) {
            try {
                return online(control.get(), watchOnly);
            } catch (ConnectException e) {
                err.println("The server that wrote " + indexRoot.resolve("control.json") + " does not answer at "
                        + control.get().url() + "; trying without it.");
            } catch (IOException e) {
                err.println("Cannot reach the server at " + control.get().url() + ": " + e.getMessage());
                return 1;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return 130;
            }
        }
        if (watchOnly) {
            err.println("No Throughline server is running on " + config.dataDir().toAbsolutePath().normalize()
                    + ", so no rebuild is running.");
            return 1;
        }
        return offline();
    }

    /** Asks the running server to rebuild and follows its progress until it is done. */
    private int online(ServerControl server, boolean watchOnly) throws IOException, InterruptedException {
        if (!watchOnly) {
            HttpResponse<String> started = send(server, "POST");
            switch (started.statusCode()) {
                case 202 -> out.println("Rebuilding the search index in the running server (" + server.url()
                        + "); search keeps answering from the current index meanwhile.");
                case 409 -> out.println("A rebuild is already running in the server; following it.");
                case 401 -> {
                    err.println("The server at " + server.url() + " refused the operator token of "
                            + config.indexDir().resolve("control.json") + "; is it the server of this data directory?");
                    return 1;
                }
                default -> {
                    err.println("The server answered " + started.statusCode() + ": " + started.body());
                    return 1;
                }
            }
        }
        AtomicBoolean finished = new AtomicBoolean();
        Thread notice = new Thread(() -> {
            if (!finished.get()) {
                err.println();
                err.println("Stopped watching. The rebuild goes on inside the server; run ./throughline reindex"
                        + " --status to follow it again.");
            }
        }, "reindex-detach");
        Runtime.getRuntime().addShutdownHook(notice);
        ProgressBar bar = new ProgressBar(out, terminal);
        boolean answered = !watchOnly;
        try {
            while (true) {
                HttpResponse<String> status;
                try {
                    status = send(server, "GET");
                } catch (IOException e) {
                    if (!answered) {
                        throw e;
                    }
                    // Stopped, or restarting: never a reason to rebuild here instead (that would hold the index
                    // the restarting server needs).
                    bar.finish();
                    err.println("The server at " + server.url() + " stopped answering during the rebuild ("
                            + e.getClass().getSimpleName() + "); a rebuild ends with its server, and the index in"
                            + " service is unchanged. Run ./throughline reindex again once the server is back.");
                    return 1;
                }
                answered = true;
                if (status.statusCode() == 404) {
                    err.println("No rebuild has run in this server since it started.");
                    return 1;
                }
                if (status.statusCode() != 200) {
                    err.println("The server answered " + status.statusCode() + ": " + status.body());
                    return 1;
                }
                JsonObject progress;
                try {
                    progress = new JsonObject(status.body());
                } catch (DecodeException e) {
                    // Another program on the port the file names (the server stopped, and its port was taken).
                    bar.finish();
                    err.println("What answers at " + server.url() + " is not a Throughline server: its answer to"
                            + " the rebuild's status was not JSON (" + abbreviated(status.body()) + ").");
                    return 1;
                }
                bar.show(progress);
                if (!"running".equals(progress.getString("state"))) {
                    bar.finish();
                    finished.set(true);
                    return summary(progress);
                }
                Thread.sleep(POLL_MS);
            }
        } finally {
            finished.set(true);
            try {
                Runtime.getRuntime().removeShutdownHook(notice);
            } catch (IllegalStateException e) {
                // the JVM is already shutting down: the hook runs and prints its notice
            }
        }
    }

    private static String abbreviated(String text) {
        String line = text.strip().replaceAll("\\s+", " ");
        return line.length() > 80 ? line.substring(0, 80) + "…" : line;
    }

    private HttpResponse<String> send(ServerControl server, String method) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create(server.url() + "/api/v1/ops/search/reindex"))
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + server.token())
                .method(method, HttpRequest.BodyPublishers.noBody())
                .build();
        return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    }

    /** Rebuilds in this process: no server holds the index. */
    private int offline() {
        // On a node no server has started on yet, the index (every message's text) is the data directory's first
        // content: made for its owner only, as a start makes it.
        Throughline.prepareDataDirectory(config);
        OfflineRebuild rebuild;
        try {
            rebuild = OfflineRebuild.prepare(config.search(), config.indexDir());
        } catch (IllegalStateException e) {
            err.println(e.getMessage() + ". If a server runs, it did not publish "
                    + config.indexDir().resolve("control.json") + "; stop it, or retry once it has started.");
            return 1;
        }
        try (rebuild) {
            out.println("No server is running on " + config.dataDir().toAbsolutePath().normalize()
                    + "; rebuilding the search index here" + rebuild.previous().map(g -> " (replacing " + g + ")")
                    .orElse("") + ".");
            try (CommandDatabase command = CommandDatabase.open(config, 4)) {
                return buildWithProgress(rebuild, command.database());
            }
        } catch (EmbeddedDatabase.InUse e) {
            // A server starting on this data directory (its index not open yet, its database up), or another
            // command. Not "give this one its own data directory": that would index a new, empty database.
            err.println("Another Throughline uses this data directory's database (" + config.dataDir() + "): a"
                    + " server still starting, or a command. Run ./throughline reindex again once the server is up"
                    + " (it then rebuilds there) or the command is done.");
            return 1;
        } catch (RuntimeException e) {
            err.println("Rebuild failed: " + e.getMessage() + ". The index in service is unchanged.");
            return 1;
        }
    }

    private int buildWithProgress(OfflineRebuild rebuild, Database database) {
        Throwable[] failure = new Throwable[1];
        Thread build = Thread.ofPlatform().name("reindex").start(() -> {
            try {
                rebuild.run(database);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (IOException | RuntimeException e) {
                failure[0] = e;
            }
        });
        Thread cancel = new Thread(() -> {
            rebuild.cancel();
            try {
                build.join(15_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            err.println();
            err.println("Interrupted: the half-built index was removed; the index in service is unchanged.");
        }, "reindex-cancel");
        Runtime.getRuntime().addShutdownHook(cancel);
        ProgressBar bar = new ProgressBar(out, terminal);
        RebuildProgress progress = rebuild.progress();
        try {
            while (build.isAlive()) {
                bar.show(progress.toJson());
                build.join(POLL_MS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 130;
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(cancel);
            } catch (IllegalStateException e) {
                // shutting down: the hook does the cleanup
            }
        }
        bar.show(progress.toJson());
        bar.finish();
        if (failure[0] != null) {
            err.println("Rebuild failed: " + failure[0].getMessage() + ". The index in service is unchanged.");
            return 1;
        }
        return summary(progress.toJson());
    }

    private int summary(JsonObject progress) {
        String state = progress.getString("state");
        if ("done".equals(state)) {
            out.println("Rebuilt the search index: " + ProgressBar.count(progress.getLong("messagesIndexed", 0L))
                    + " messages at " + ProgressBar.count(progress.getLong("messagesPerSecond", 0L))
                    + " msg/s; generation " + progress.getString("generation") + " is in service.");
            return 0;
        }
        err.println("The rebuild " + state + (progress.getString("error") == null ? ""
                : ": " + progress.getString("error")) + ". The index in service is unchanged.");
        return 1;
    }
}
