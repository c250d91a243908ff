package io.throughline.cli;

import io.vertx.core.json.JsonObject;
import java.io.PrintStream;
import java.util.Locale;

/**
 * The terminal progress of a search index rebuild, drawn from its status JSON: a bar, the count, messages per
 * second and the time left. On a terminal it redraws one line; piped into a file or a CI log it prints a line
 * every few seconds and at each phase instead.
 */
final class ProgressBar {

    private static final int WIDTH = 30;
    private static final long PLAIN_EVERY_MS = 5_000;

    private final PrintStream out;
    private final boolean terminal;
    private int lastLength;
    private long lastPlainAt;
    private String lastPhase = "";

    ProgressBar(PrintStream out, boolean terminal) {
        this.out = out;
        this.terminal = terminal;
    }

    void show(JsonObject status) {
        String line = line(status);
        String phase = status.getString("phase", "");
        if (terminal) {
            StringBuilder text = new StringBuilder("\r").append(line);
            if (line.length() < lastLength) {
                text.append(" ".repeat(lastLength - line.length()));
            }
            lastLength = line.length();
            out.print(text);
        } else {
            long now = System.currentTimeMillis();
            if (!phase.equals(lastPhase) || now - lastPlainAt >= PLAIN_EVERY_MS) {
                out.println(line);
                lastPlainAt = now;
            }
        }
        lastPhase = phase;
        out.flush();
    }

    /** Ends the redrawn line, so what follows starts on its own. */
    void finish() {
        if (terminal && lastLength > 0) {
            out.println();
            lastLength = 0;
        }
    }

    static String line(JsonObject status) {
        long done = status.getLong("messagesIndexed", 0L);
        long total = status.getLong("messagesTotal", 0L);
        long percent = status.getLong("percent", 0L);
        String phase = status.getString("phase", "scanning");
        int filled = (int) Math.min(WIDTH, percent * WIDTH / 100);
        StringBuilder line = new StringBuilder("[").append("#".repeat(filled)).append(".".repeat(WIDTH - filled))
                .append("] ").append(String.format(Locale.ROOT, "%3d%%", percent)).append("  ")
                .append(count(done)).append(" / ").append(count(total)).append(" messages");
        switch (phase) {
            case "scanning" -> {
                line.append("  ").append(count(status.getLong("messagesPerSecond", 0L))).append(" msg/s");
                long eta = status.getLong("etaSeconds", -1L);
                line.append("  ETA ").append(eta < 0 ? "--:--" : duration(eta));
            }
            case "catching-up" -> line.append("  catching up with messages stored meanwhile");
            case "swapping" -> line.append("  switching to the new index");
            default -> line.append("  ").append(phase);
        }
        return line.toString();
    }

    static String count(long value) {
        return String.format(Locale.ROOT, "%,d", value);
    }

    static String duration(long seconds) {
        long hours = seconds / 3600;
        long minutes = seconds % 3600 / 60;
        long secs = seconds % 60;
        return hours > 0 ? String.format(Locale.ROOT, "%d:%02d:%02d", hours, minutes, secs)
                : String.format(Locale.ROOT, "%d:%02d", minutes, secs);
    }
}
