package io.throughline;

import static org.assertj.core.api.Assertions.assertThat;

import io.throughline.testing.Scratch;
import io.throughline.testing.TestServer;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The README's curl session, run as written with bash, curl, jq and python3 against a real server: only the
 * URL, the password and the receiver's port are substituted. If this fails, the README lies.
 */
class ReadmeCurlSessionIT {

    @Test
    void theReadmeCurlSessionWorksWhenPasted() throws Exception {
        String readme = Files.readString(Path.of("..", "README.md"));
        int section = readme.indexOf("## Try the API in a terminal");
        int start = readme.indexOf("```sh\n", section) + "```sh\n".length();
        String script = readme.substring(start, readme.indexOf("```", start));
        int port = freePort();
        try (TestServer server = TestServer.start(Map.of("admin.email", "admin@throughline.local"))) {
            script = script
                    .replace("BASE=http://localhost:8080", "BASE=" + server.url())
                    .replace("paste the password printed at first start", TestServer.ADMIN_PASSWORD)
                    .replace("9999", String.valueOf(port))
                    .replace("sleep 1", "for i in $(seq 1 50); do curl -s $BASE/api/v1/conversations/$CONV/messages"
                            + " -H \"Authorization: Bearer $TOKEN\" | jq -e '.messages[-1].delivery.status == \"sent\"'"
                            + " >/dev/null && break; sleep 0.2; done");
            Path file = Scratch.file("readme-session", ".sh");
            Files.writeString(file, "set -e\n" + script + "\nkill %1\n");
            Process bash = new ProcessBuilder("bash", file.toString()).redirectErrorStream(true).start();
            boolean finished = bash.waitFor(60, TimeUnit.SECONDS);
            String output = new String(bash.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!finished) {
                bash.destroyForcibly();
            }
            assertThat(finished).as("the session finished; output:\n%s", output).isTrue();
            assertThat(output).as("needs bash, curl, jq and python3 (.ci/run installs them)")
                    .doesNotContain("command not found");
            assertThat(output).contains("\"outcome\": \"stored\"")
                    .contains("\"preview\": \"Hi, where is my order #1001?\"")
                    .contains("\"author\": \"Jane Doe\"")
                    .contains("webhook got: v1=")
                    .contains("\"body\":\"Hi Jane, it ships today.\"")
                    .contains("\"status\": \"sent\"");
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
