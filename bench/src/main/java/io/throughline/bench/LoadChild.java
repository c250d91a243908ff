package io.throughline.bench;

import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The load generator's JVM, driven by one JSON command per line (see {@link WidgetLoadClient}). */
final class LoadChild implements AutoCloseable {

    private final Process process;
    private final PrintStream commands;
    private final BufferedReader answers;

    private LoadChild(Process process) {
        this.process = process;
        this.commands = new PrintStream(process.getOutputStream(), true, StandardCharsets.UTF_8);
        this.answers = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    }

    static LoadChild start(String heap) {
        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"),
                "bin", "java").toString());
        List<String> command = new ArrayList<>(List.of(java, "-Xmx" + heap, "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), WidgetLoadClient.class.getName()));
        try {
            return new LoadChild(new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the load generator", e);
        }
    }

    /** Sends a command and waits for its answer; an error answer throws. */
    JsonObject call(JsonObject command) {
        commands.println(command.encode());
        try {
            String line = answers.readLine();
            if (line == null) {
                throw new IllegalStateException("the load generator exited");
            }
            JsonObject answer = new JsonObject(line);
            if (answer.getString("error") != null) {
                throw new IllegalStateException("load generator: " + answer.getString("error"));
            }
            return answer;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            commands.println(new JsonObject().put("cmd", "exit").encode());
            try {
                if (!process.waitFor(15, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
        }
    }
}
