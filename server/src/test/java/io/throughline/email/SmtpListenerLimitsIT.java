package io.throughline.email;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.throughline.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The listener's read timeout bounds silence only: a client sending a NOOP or a byte now and then held a session
 * thread for ever, and enough of them held every one. One address holds a bounded share of the sessions, and a
 * session ends at its deadline however it trickles.
 */
class SmtpListenerLimitsIT {

    private static final String SUPPORT = "help@limits.test";
    private int port;

    /** A server whose listener has these options, with an email inbox for {@link #SUPPORT}. */
    private TestServer start(String option, String value) throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        TestServer server = TestServer.start(Map.of("email.listener.enabled", "true", "email.listener.host",
                "127.0.0.1", "email.listener.port", String.valueOf(port), option, value));
        try {
            inbox(server);
        } catch (RuntimeException | AssertionError e) {
            server.close();
            throw e;
        }
        return server;
    }

    private static void inbox(TestServer server) {
        server.admin().post("/api/v1/inboxes", new JsonObject().put("kind", "email").put("name", "Limits")
                .put("config", new JsonObject().put("address", SUPPORT).put("replyDomain", "reply.limits.test")
                        .put("smtp", new JsonObject().put("host", "127.0.0.1").put("port", 2)
                                .put("security", "none").put("username", SUPPORT).put("password", "unused"))))
                .expect(201);
    }

    @Test
    void oneAddressHoldsItsShareOfTheSessionsWhileAnotherStillDelivers() throws IOException {
        List<Socket> held = new ArrayList<>();
        try (TestServer server = start("email.listener.maxConnectionsPerSource", "2")) {
            for (int i = 0; i < 2; i++) {
                Socket socket = connect("127.0.0.1");
                held.add(socket);
                assertThat(reader(socket).readLine()).startsWith("220");
            }
            try (Socket third = connect("127.0.0.1")) {
                assertThat(reader(third).readLine()).startsWith("421");
            }
            try (Socket other = connect("127.0.0.2")) {
                BufferedReader in = reader(other);
                assertThat(in.readLine()).startsWith("220");
                assertThat(exchange(other, in, "HELO other.example")).startsWith("250");
                assertThat(exchange(other, in, "MAIL FROM:<anna@example.com>")).startsWith("250");
                assertThat(exchange(other, in, "RCPT TO:<" + SUPPORT + ">")).startsWith("250");
                assertThat(exchange(other, in, "DATA")).startsWith("354");
                assertThat(exchange(other, in, "Subject: From elsewhere\r\nMessage-ID: <other-source@example.com>"
                        + "\r\n\r\nDelivered beside the held sessions.\r\n.")).startsWith("250");
            }
            held.removeFirst().close();
            // The closed session's slot comes back once the listener has seen it end.
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                try (Socket again = connect("127.0.0.1")) {
                    return reader(again).readLine().startsWith("220");
                }
            });
        } finally {
            for (Socket socket : held) {
                socket.close();
            }
        }
    }

    @Test
    void aSessionThatTricklesEndsAtItsDeadlineWithItsMailUnacknowledged() throws IOException {
        try (TestServer server = start("email.listener.sessionTimeout", "3s")) {
            trickleUntilClosed();
            long stored = server.throughline().database().sql().single(
                    "SELECT count(*) AS n FROM messages WHERE body LIKE '%still typing%'").getLong("n");
            assertThat(stored).isZero();
        }
    }

    private void trickleUntilClosed() throws IOException {
        try (Socket socket = connect("127.0.0.3")) {
            BufferedReader in = reader(socket);
            assertThat(in.readLine()).startsWith("220");
            assertThat(exchange(socket, in, "HELO slow.example")).startsWith("250");
            assertThat(exchange(socket, in, "MAIL FROM:<slow@example.com>")).startsWith("250");
            assertThat(exchange(socket, in, "RCPT TO:<" + SUPPORT + ">")).startsWith("250");
            assertThat(exchange(socket, in, "DATA")).startsWith("354");
            long started = System.nanoTime();
            send(socket, "Subject: Trickled\r\nMessage-ID: <trickled@example.com>\r\n");
            // A line every half second: never silent for the read timeout, never finished.
            String answer = null;
            boolean closed = false;
            while (!closed && System.nanoTime() - started < Duration.ofSeconds(20).toNanos()) {
                try {
                    send(socket, "still typing");
                    socket.setSoTimeout(500);
                    answer = in.readLine();
                    closed = answer == null;
                } catch (SocketTimeoutException e) {
                    // nothing said: type on
                } catch (SocketException e) {
                    closed = true;
                }
            }
            Duration took = Duration.ofNanos(System.nanoTime() - started);
            assertThat(closed).as("the listener closed the session").isTrue();
            assertThat(answer).as("never acknowledged").isNull();
            assertThat(took).isBetween(Duration.ofSeconds(2), Duration.ofSeconds(15));
        }
    }

    private Socket connect(String from) throws IOException {
        Socket socket = new Socket();
        socket.bind(new InetSocketAddress(InetAddress.getByName(from), 0));
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        socket.setSoTimeout(10_000);
        return socket;
    }

    private static BufferedReader reader(Socket socket) throws IOException {
        return new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
    }

    private static void send(Socket socket, String line) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    private static String exchange(Socket socket, BufferedReader in, String line) throws IOException {
        send(socket, line);
        return in.readLine();
    }
}
