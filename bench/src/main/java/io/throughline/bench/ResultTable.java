package io.throughline.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A benchmark's result: rows of measurements beside their baselines, printed as an aligned table and written to
 * {@code bench/results/<name>.json} together with the machine it ran on.
 */
public final class ResultTable {

    private final String name;
    private final List<String> columns;
    private final List<List<String>> rows = new ArrayList<>();
    private final JsonObject json = new JsonObject();
    private final List<String> notes = new ArrayList<>();

    public ResultTable(String name, List<String> columns) {
        this.name = name;
        this.columns = List.copyOf(columns);
        json.put("benchmark", name).put("ranAt", Instant.now().toString()).put("machine", Machine.describe());
    }

    public ResultTable row(Object... cells) {
        List<String> row = new ArrayList<>();
        for (Object cell : cells) {
            row.add(format(cell));
        }
        rows.add(row);
        return this;
    }

    public ResultTable note(String text) {
        notes.add(text);
        return this;
    }

    /** Structured figures for the JSON file (the table is for people). */
    public JsonObject json() {
        return json;
    }

    public void print(PrintStream out) {
        int[] widths = new int[columns.size()];
        for (int i = 0; i < columns.size(); i++) {
            widths[i] = columns.get(i).length();
            for (List<String> row : rows) {
                widths[i] = Math.max(widths[i], i < row.size() ? row.get(i).length() : 0);
            }
        }
        out.println();
        out.println(line(columns, widths));
        StringBuilder rule = new StringBuilder();
        for (int width : widths) {
            rule.append(rule.isEmpty() ? "" : "-+-").append("-".repeat(width));
        }
        out.println(rule);
        for (List<String> row : rows) {
            out.println(line(row, widths));
        }
        notes.forEach(note -> out.println("  " + note));
        out.println();
        out.println("machine: " + Machine.describe().encode());
    }

    /** Prints the table and writes {@code bench/results/<name>.json}; returns the file. */
    public Path finish(PrintStream out) {
        print(out);
        JsonArray table = new JsonArray();
        for (List<String> row : rows) {
            JsonObject entry = new JsonObject();
            for (int i = 0; i < columns.size() && i < row.size(); i++) {
                entry.put(columns.get(i), row.get(i));
            }
            table.add(entry);
        }
        json.put("table", table).put("notes", new JsonArray(notes));
        Path file = Path.of("bench", "results", name + ".json");
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, json.encodePrettily() + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        out.println("results written to " + file);
        return file;
    }

    private static String line(List<String> cells, int[] widths) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < widths.length; i++) {
            String cell = i < cells.size() ? cells.get(i) : "";
            text.append(i == 0 ? "" : " | ").append(i == 0 ? String.format("%-" + widths[i] + "s", cell)
                    : String.format("%" + widths[i] + "s", cell));
        }
        return text.toString();
    }

    private static String format(Object cell) {
        if (cell instanceof Double value) {
            return value >= 100 ? String.format("%.0f", value) : String.format("%.2f", value);
        }
        return String.valueOf(cell);
    }
}
