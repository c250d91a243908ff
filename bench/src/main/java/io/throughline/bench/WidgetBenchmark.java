package io.throughline.bench;

import io.throughline.connector.Identity;
import io.throughline.connector.IdentityKind;
import io.throughline.connector.InboundMessage;
import io.throughline.connector.InboxRef;
import io.throughline.connector.Sender;
import io.throughline.ingest.IngestService;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code ./throughline bench widget}: N concurrent widget sessions over WebSocket against the real server (durable
 * PostgreSQL), each figure beside a bare Vert.x WebSocket echo measured in the same run, and the server's peak
 * durable ingest beside pgbench's single-row insert ceiling on the same PostgreSQL.
 *
 * <p>The load generator runs in a second JVM, so the server's heap figure is the server's alone. Targets are
 * printed next to the figures; nothing is asserted.
 */
public final class WidgetBenchmark implements Benchmark {

    private static final String ORIGIN = "https://bench.example.test";

    @Override
    public String name() {
        return "widget";
    }

    @Override
    public String description() {
        return "widget sessions over WebSocket vs a bare Vert.x echo; durable ingest vs pgbench";
    }

    @Override
    public String usage() {
        return """
                  --sessions N      idle widget sessions held open (default 10000)
                  --active N        sessions that send during the rate test (default 1000)
                  --rate N          messages per second in the rate test (default 1000)
                  --seconds N       length of the rate and peak tests (default 15)
                  --warmup N        seconds at the same rate before the rate test is measured (default 5)
                  --concurrency N   visitors sending back to back in the peak test (default 64)
                  --pgbench-clients N  pgbench clients for the ceiling (default 32)
                  --pool N          Throughline's database pool size (default 16, as shipped)
                  --client-heap S   load generator heap (default 1g)""";
    }

    @Override
    public void run(BenchArgs args, PrintStream out) throws Exception {
        int sessions = args.integer("sessions", 10_000);
        int active = args.integer("active", 1_000);
        int rate = args.integer("rate", 1_000);
        int seconds = args.integer("seconds", 15);
        int warmup = args.atLeast("warmup", 5, 0);
        int concurrency = args.integer("concurrency", 64);
        int pgClients = args.integer("pgbench-clients", 32);
        String pool = args.string("pool", "16");

        String loadBefore = loadAverage();
        out.printf("widget benchmark: %d sessions, %d active at %d msg/s for %ds, peak with %d senders%n", sessions,
                active, rate, seconds, concurrency);
        try (DurablePostgres postgres = DurablePostgres.start();
             LoadChild client = LoadChild.start(args.string("client-heap", "1g"))) {
            JsonObject baseline = baseline(client, sessions, active, rate, seconds, warmup, out);
            JsonObject ours;
            try (BenchServer server = BenchServer.start(Map.of(
                    "database.url", postgres.url(), "database.poolSize", pool,
                    "widget.newSessionsPerIp", "10000000", "widget.messagesPerVisitor", "1000000",
                    "widget.messagesPerIp", "10000000", "widget.heartbeat", "25s"))) {
                ours = throughline(server, client, sessions, active, rate, seconds, warmup, concurrency, out);
            }
            Optional<Path> pgbench = PgbenchCeiling.find();
            PgbenchCeiling.Result ceiling = null;
            String noPgbench = null;
            if (pgbench.isPresent()) {
                out.printf("pgbench ceiling: %s, %d clients, %ds%n", pgbench.get(), pgClients, seconds);
                ceiling = PgbenchCeiling.run(pgbench.get(), postgres.port(), pgClients, seconds);
            } else {
                noPgbench = "no pgbench found (PATH, /usr/lib/postgresql/*/bin): install PostgreSQL's server package,"
                        + " e.g. apt-get install postgresql-15, for the durable-write ceiling";
                out.println(noPgbench);
            }
            report(baseline, ours, ceiling, noPgbench, sessions, active, rate, pgClients,
                    "load average before the run " + loadBefore + ", after " + loadAverage()
                            + " (other work on this machine competes for its cores)", out);
        }
    }

    private static JsonObject baseline(LoadChild client, int sessions, int active, int rate, int seconds, int warmup,
                                       PrintStream out) {
        try (EchoServer echo = new EchoServer()) {
            long before = heapAfterGc();
            JsonObject connected = client.call(new JsonObject().put("cmd", "connect-echo").put("url", echo.url())
                    .put("count", sessions));
            long after = heapAfterGc();
            out.printf("baseline at %s: %d bare WebSockets open in %d ms%n", echo.url(),
                    connected.getInteger("count"), connected.getLong("ms"));
            JsonObject result = client.call(new JsonObject().put("cmd", "rate").put("kind", "echo")
                    .put("active", active).put("rate", rate).put("seconds", seconds).put("warmup", warmup));
            client.call(new JsonObject().put("cmd", "close").put("kind", "echo"));
            return result.put("heapPerConnection", (after - before) / (double) sessions);
        }
    }

    private static JsonObject throughline(BenchServer server, LoadChild client, int sessions, int active, int rate,
                                          int seconds, int warmup, int concurrency, PrintStream out) throws Exception {
        String token = login(server);
        JsonObject inbox = api(server, token, "/api/v1/inboxes", new JsonObject().put("kind", "widget")
                .put("name", "Benchmark").put("config", new JsonObject()
                        .put("allowedOrigins", new JsonArray().add(ORIGIN))));
        String siteKey = inbox.getString("siteKey");
        long before = heapAfterGc();
        JsonObject connected = client.call(new JsonObject().put("cmd", "connect-widget").put("base", server.url())
                .put("origin", ORIGIN).put("siteKey", siteKey).put("count", sessions));
        long after = heapAfterGc();
        out.printf("throughline at %s: %d widget sessions started and connected in %d ms (server holds %d)%n",
                server.url(), connected.getInteger("count"), connected.getLong("ms"),
                server.throughline().widget().connections());
        JsonObject rated = client.call(new JsonObject().put("cmd", "rate").put("kind", "widget")
                .put("base", server.url()).put("agentToken", token).put("active", active).put("rate", rate)
                .put("seconds", seconds).put("warmup", warmup));
        JsonObject peak = client.call(new JsonObject().put("cmd", "peak").put("concurrency", concurrency)
                .put("seconds", seconds));
        client.call(new JsonObject().put("cmd", "close").put("kind", "widget"));
        double ingestAlone = ingestAlone(server, inbox.getLong("id"), concurrency, seconds);
        out.printf("ingest path alone, in process, %d senders: %.0f msg/s%n", concurrency, ingestAlone);
        return rated.put("heapPerSession", (after - before) / (double) sessions).put("heapWithSessions", after)
                .put("peak", peak).put("ingestAlonePerSecond", ingestAlone);
    }

    /**
     * The same closed-loop peak without the widget in front: {@code concurrency} virtual threads calling
     * IngestService directly, each as one visitor. It shows how much of the peak is the ingest path itself.
     */
    private static double ingestAlone(BenchServer server, long inboxId, int concurrency, int seconds)
            throws InterruptedException {
        IngestService ingest = server.throughline().ingest();
        long workspace = server.throughline().workspaces().first().orElseThrow();
        InboxRef inbox = new InboxRef(inboxId, workspace, "widget", "Benchmark");
        AtomicLong stored = new AtomicLong();
        AtomicBoolean counting = new AtomicBoolean();
        AtomicBoolean running = new AtomicBoolean(true);
        List<Thread> senders = new ArrayList<>();
        for (int i = 0; i < concurrency; i++) {
            Sender visitor = Sender.of(null, Identity.proven(IdentityKind.WIDGET_VISITOR,
                    "bench-" + UUID.randomUUID()));
            senders.add(Thread.ofVirtual().start(() -> {
                while (running.get()) {
                    ingest.accept(inbox, InboundMessage.builder(UUID.randomUUID().toString(), visitor)
                            .text("in-process ingest").build());
                    if (counting.get()) {
                        stored.incrementAndGet();
                    }
                }
            }));
        }
        Thread.sleep(3_000);
        counting.set(true);
        long started = System.nanoTime();
        Thread.sleep(seconds * 1000L);
        counting.set(false);
        double elapsed = (System.nanoTime() - started) / 1e9;
        running.set(false);
        for (Thread sender : senders) {
            sender.join();
        }
        return stored.get() / elapsed;
    }

    private static void report(JsonObject echo, JsonObject ours, PgbenchCeiling.Result ceiling, String noPgbench,
                               int sessions, int active, int rate, int pgClients, String load,
                               PrintStream out) {
        ResultTable table = new ResultTable("widget", List.of("metric", "throughline", "bare Vert.x echo",
                "ratio", "target"));
        JsonObject ack = ours.getJsonObject("reply");
        JsonObject toAgent = ours.getJsonObject("agent");
        JsonObject rtt = echo.getJsonObject("reply");
        // Past its capacity an open loop's latency is the queue's depth, which grows with --seconds: such rows
        // say so, in the table and the JSON, rather than read as the latency at the offered rate.
        boolean saturated = ours.getDouble("achievedPerSecond") < 0.95 * rate;
        ours.put("saturated", saturated);
        String at = saturated ? String.format(", saturated at %.0f/s", ours.getDouble("achievedPerSecond")) : "";
        table.row("messages/s (offered " + rate + ")", ours.getDouble("achievedPerSecond"),
                echo.getDouble("achievedPerSecond"), ratio(ours.getDouble("achievedPerSecond"),
                        echo.getDouble("achievedPerSecond")), "");
        table.row("p50 send -> ack (ms" + at + ")", ack.getDouble("p50Ms"), rtt.getDouble("p50Ms"),
                ratio(ack.getDouble("p50Ms"), rtt.getDouble("p50Ms")), "");
        table.row("p99 send -> ack (ms" + at + ")", ack.getDouble("p99Ms"), rtt.getDouble("p99Ms"),
                ratio(ack.getDouble("p99Ms"), rtt.getDouble("p99Ms")), "");
        table.row("p50 send -> agent stream (ms" + at + ")", toAgent.getDouble("p50Ms"), rtt.getDouble("p50Ms"),
                ratio(toAgent.getDouble("p50Ms"), rtt.getDouble("p50Ms")), "");
        table.row("p99 send -> agent stream (ms" + at + ")", toAgent.getDouble("p99Ms"), rtt.getDouble("p99Ms"),
                ratio(toAgent.getDouble("p99Ms"), rtt.getDouble("p99Ms")), "<= 50 at 1000 msg/s");
        double perSession = ours.getDouble("heapPerSession") / 1024;
        double perSocket = echo.getDouble("heapPerConnection") / 1024;
        table.row("heap per idle session (KB)", perSession, perSocket, ratio(perSession, perSocket), "");
        table.row("heap for 10,000 idle sessions (MB)", perSession * 10_000 / 1024, perSocket * 10_000 / 1024,
                ratio(perSession, perSocket), "<= 512");
        table.row("server heap in use with " + sessions + " sessions (MB)",
                ours.getLong("heapWithSessions") / (1024.0 * 1024), "", "", "");
        JsonObject peakRun = ours.getJsonObject("peak");
        double peak = peakRun.getDouble("perSecond");
        if (ceiling != null) {
            table.row("peak durable ingest (msg/s) vs pgbench (tps)", peak, "pgbench " + format(ceiling.tps()),
                    String.format("%.0f%%", 100 * peak / ceiling.tps()), ">= 40%");
            double alone = ours.getDouble("ingestAlonePerSecond");
            table.row("  ingest path alone, in process (msg/s)", alone, "pgbench " + format(ceiling.tps()),
                    String.format("%.0f%%", 100 * alone / ceiling.tps()), "");
            table.note("pgbench: " + ceiling.command());
        } else {
            table.row("peak durable ingest (msg/s)", peak, "", "", ">= 40% of pgbench");
            table.note(noPgbench);
        }
        table.note("rate test: " + active + " of " + sessions + " sessions send " + rate + " msg/s in total; latency"
                + " from each message's intended send time (open loop), measured after "
                + ours.getInteger("warmupSeconds", 0) + " s at the same rate (each visitor's first message creates its"
                + " contact). Lost: " + ours.getLong("lost") + " acks, "
                + ours.getLong("agentLost") + " agent events (counted in the percentiles at the 30 s wait's end); "
                + ours.getLong("nacks", 0L) + " nacks (sent again after the wait named), " + ours.getLong("refused", 0L)
                + " refused for good, " + ours.getLong("closedByServer", 0L) + " sockets closed by the server; the"
                + " agent stream resumed "
                + ours.getLong("agentReconnects", 0L) + " time(s) after the server dropped it as a slow reader.");
        table.note("peak: " + peakRun.getInteger("concurrency") + " visitors, each sending its"
                + " next message on the ack of the last (durable commits: fsync and synchronous_commit on); "
                + peakRun.getLong("nacks", 0L) + " nacks, " + peakRun.getLong("sendersOpen", 0L) + " senders still"
                + " connected at the end.");
        table.note("load generator in a separate JVM on the same machine; heap figures are the server's after GC.");
        table.note(load);
        table.json().put("throughline", ours).put("baseline", echo)
                .put("pgbench", ceiling == null ? new JsonObject().put("missing", noPgbench)
                        : new JsonObject().put("tps", ceiling.tps()).put("command", ceiling.command())
                                .put("clients", pgClients));
        table.finish(out);
    }

    private static String ratio(double ours, double baseline) {
        return baseline <= 0 ? "" : String.format("%.2fx", ours / baseline);
    }

    private static String format(double value) {
        return String.format("%.0f", value);
    }

    private static String loadAverage() {
        try {
            String[] fields = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return String.join(" ", Arrays.asList(fields).subList(0, 3));
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    /** Used heap once garbage collection has settled. */
    static long heapAfterGc() {
        var memory = ManagementFactory.getMemoryMXBean();
        long previous = Long.MAX_VALUE;
        for (int i = 0; i < 10; i++) {
            System.gc();
            long used = memory.getHeapMemoryUsage().getUsed();
            if (Math.abs(previous - used) < 256 * 1024) {
                return used;
            }
            previous = used;
        }
        return previous;
    }

    private static String login(BenchServer server) throws IOException, InterruptedException {
        return api(server, null, "/api/v1/auth/login", new JsonObject().put("email", BenchServer.ADMIN_EMAIL)
                .put("password", BenchServer.ADMIN_PASSWORD)).getString("token");
    }

    private static JsonObject api(BenchServer server, String token, String path, JsonObject body)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(server.url() + path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body.encode()));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        HttpResponse<String> response = HttpClient.newHttpClient().send(request.build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() >= 300) {
            throw new IllegalStateException(path + " answered " + response.statusCode() + ": " + response.body());
        }
        return new JsonObject(response.body());
    }
}
