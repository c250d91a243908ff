package io.throughline.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.throughline.testing.ApiClient;
import io.throughline.testing.ApiInbox;
import io.throughline.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Bad input always gets an RFC 9457 problem with a 4xx status, never a stack trace or a 500. */
class ProblemsIT {

    private static TestServer server;
    private static ApiClient admin;

    @BeforeAll
    static void start() {
        server = TestServer.start(Map.of("http.maxBodySize", "16KB"));
        admin = server.admin();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void unknownPathsAndIdsAre404Problems() {
        assertProblem(admin.get("/api/v1/nothing-here"), 404);
        assertProblem(admin.get("/api/v1/conversations/424242"), 404);
        assertProblem(admin.get("/api/v1/conversations/abc"), 404);
        assertProblem(admin.get("/api/v1/contacts/-1"), 404);
        assertProblem(admin.get("/api/v1/conversations/424242/messages"), 404);
    }

    @Test
    void aWrongMethodIs405() {
        assertProblem(admin.raw("PUT", "/api/v1/conversations", "application/json", "{}".getBytes()), 405);
    }

    @Test
    void malformedJsonAndNonObjectsAre400() {
        ApiClient.Response broken = admin.raw("POST", "/api/v1/inboxes", "application/json",
                "{\"kind\": ".getBytes(StandardCharsets.UTF_8));
        assertProblem(broken, 400);
        assertThat(broken.json().getString("detail")).contains("not valid JSON");
        assertProblem(admin.raw("POST", "/api/v1/inboxes", "application/json", "[1,2]".getBytes()), 400);
        assertProblem(admin.raw("POST", "/api/v1/inboxes", "application/json", new byte[0]), 400);
    }

    @Test
    void theWrongContentTypeIs415() {
        ApiClient.Response response = admin.raw("POST", "/api/v1/inboxes", "text/plain", "kind=api".getBytes());
        assertProblem(response, 415);
        assertThat(response.json().getString("detail")).contains("application/json");
    }

    @Test
    void anOversizedBodyIs413() {
        String huge = "{\"kind\":\"api\",\"name\":\"" + "x".repeat(40_000) + "\"}";
        assertProblem(admin.raw("POST", "/api/v1/inboxes", "application/json",
                huge.getBytes(StandardCharsets.UTF_8)), 413);
    }

    @Test
    void inboundApiInputIsValidatedFieldByField() {
        ApiInbox inbox = ApiInbox.create(admin, "Validation", null);
        ApiClient shop = server.anonymous().withToken(inbox.token());
        JsonObject problem = shop.post("/api/v1/inboxes/" + inbox.id() + "/inbound", new JsonObject()
                .put("contact", new JsonObject().put("identities", new io.vertx.core.json.JsonArray()
                        .add(new JsonObject().put("kind", "fax").put("value", "123"))
                        .add(new JsonObject().put("kind", "email").put("value", "not-an-email")))))
                .expect(400).json();
        assertThat(problem.getJsonArray("errors").stream().map(e -> ((JsonObject) e).getString("field")))
                .contains("externalId", "body", "contact.identities[0].kind", "contact.identities[1].value");
        ApiClient.Response wrongToken = server.anonymous().withToken("tlapi_wrong").post("/api/v1/inboxes/"
                + inbox.id() + "/inbound", new JsonObject());
        assertProblem(wrongToken, 401);
        assertThat(wrongToken.header("WWW-Authenticate")).endsWith("error=\"invalid_token\"");
        assertProblem(server.anonymous().post("/api/v1/inboxes/" + inbox.id() + "/inbound", new JsonObject()), 401);
        assertProblem(shop.post("/api/v1/inboxes/" + (inbox.id() + 100) + "/inbound", new JsonObject()), 401);
    }

    @Test
    void nulBytesAndControlCharactersInNamesAreCleanedNotFatal() {
        ApiInbox inbox = ApiInbox.create(admin, "Odd bytes", null);
        JsonObject stored = inbox.say("nul-1", "cust-nul", "Nina\r\nBcc: all@acme.test", "Hello\u0000 world");
        JsonObject message = admin.get("/api/v1/conversations/" + stored.getLong("conversationId") + "/messages")
                .expect(200).json().getJsonArray("messages").getJsonObject(0);
        assertThat(message.getString("body")).isEqualTo("Hello world");
        assertThat(admin.get("/api/v1/contacts/" + stored.getLong("contactId")).expect(200).json()
                .getString("name")).isEqualTo("Nina Bcc: all@acme.test");
    }

    /**
     * A blank value where a change sets one is a 400 naming it, as a contact's name was: it read as "unchanged"
     * (a 200 that did nothing), a blank role made a plain agent, and a blank password a generated one.
     */
    @Test
    void aBlankValueThatWouldSetSomethingIsA400() {
        long agent = admin.post("/api/v1/agents", new JsonObject().put("email", "blank@test.local")
                .put("name", "Blanca")).expect(201).json().getLong("id");
        for (JsonObject blank : List.of(new JsonObject().put("name", ""), new JsonObject().put("role", " "),
                new JsonObject().put("password", "          "))) {
            ApiClient.Response refused = admin.patch("/api/v1/agents/" + agent, blank);
            assertProblem(refused, 400);
            assertThat(refused.json().getJsonArray("errors").getJsonObject(0).getString("field"))
                    .isEqualTo(blank.fieldNames().iterator().next());
        }
        assertProblem(admin.post("/api/v1/agents", new JsonObject().put("email", "blank2@test.local")
                .put("name", "Blanca Two").put("role", "")), 400);
        assertProblem(admin.post("/api/v1/agents", new JsonObject().put("email", "blank3@test.local")
                .put("name", "Blanca Three").put("password", "   ")), 400);
        long inbox = ApiInbox.create(admin, "Blank names", null).id();
        assertProblem(admin.patch("/api/v1/inboxes/" + inbox, new JsonObject().put("name", "")), 400);
        assertThat(admin.get("/api/v1/agents/" + agent).expect(200).json().getString("name")).isEqualTo("Blanca");
    }

    @Test
    void aNulCharacterInAgentInputIsA400NamingTheField() {
        ApiInbox inbox = ApiInbox.create(admin, "Nul input", null);
        long conversation = inbox.say("nul-agent", "cust-nul-agent", "Nora", "Hello").getLong("conversationId");
        ApiClient.Response label = admin.patch("/api/v1/conversations/" + conversation, new JsonObject()
                .put("labels", new JsonArray().add("vip").add("bad\u0000label")));
        assertProblem(label, 400);
        assertThat(label.json().encode()).contains("labels[1]");
        assertProblem(server.anonymous().post("/api/v1/auth/login", new JsonObject()
                .put("email", "admin\u0000@throughline.local").put("password", "x")), 400);
        assertProblem(admin.get("/api/v1/search?q=hello&contact=%00x"), 400);
        assertProblem(admin.get("/api/v1/search?q=contact:%00x"), 400);
        ApiClient.Response snooze = admin.patch("/api/v1/conversations/" + conversation, new JsonObject()
                .put("status", "snoozed").put("snoozedUntil", "+294277-01-05T00:00:00Z"));
        assertProblem(snooze, 400);
        assertThat(snooze.json().encode()).contains("snoozedUntil");
    }

    @Test
    void anInboundMessageWithAContactOfNullIsA400() {
        ApiInbox inbox = ApiInbox.create(admin, "Null contact", null);
        ApiClient.Response response = server.anonymous().withToken(inbox.token()).post("/api/v1/inboxes/"
                + inbox.id() + "/inbound", new JsonObject().put("externalId", "n1").put("body", "hi")
                .putNull("contact"));
        assertProblem(response, 400);
        assertThat(response.json().encode()).contains("contact");
    }

    /** A paused API inbox asks its sender to try again later (a 409 reads as "duplicate" and is dropped). */
    @Test
    void aPausedApiInboxAsksItsSenderToTryAgainLater() {
        ApiInbox inbox = ApiInbox.create(admin, "Paused feed", null);
        admin.patch("/api/v1/inboxes/" + inbox.id(), new JsonObject().put("enabled", false)).expect(200);
        ApiClient.Response paused = inbox.send("p1", "Pat", new JsonArray().add(ApiInbox.identity("external_id",
                "cust-pat", true)), "Is anyone there?");
        assertProblem(paused, 503);
        assertThat(paused.header("Retry-After")).isEqualTo("60");
        assertThat(paused.json().getString("detail")).contains("paused");

        admin.patch("/api/v1/inboxes/" + inbox.id(), new JsonObject().put("enabled", true)).expect(200);
        inbox.send("p1", "Pat", new JsonArray().add(ApiInbox.identity("external_id", "cust-pat", true)),
                "Is anyone there?").expect(201);
    }

    /** One externalId for two different messages: the second is refused, not answered as stored and lost. */
    @Test
    void anExternalIdReusedForAnotherMessageIsA409() {
        ApiInbox inbox = ApiInbox.create(admin, "Order feed", null);
        JsonArray customer = new JsonArray().add(ApiInbox.identity("external_id", "cust-ord", true));
        inbox.send("order-1001", "Olga", customer, "Where is order 1001?").expect(201);
        assertThat(inbox.send("order-1001", "Olga", customer, "Where is order 1001?").expect(200).json()
                .getString("outcome")).isEqualTo("duplicate");

        ApiClient.Response reused = inbox.send("order-1001", "Olga", customer, "Can I change the address?");
        assertProblem(reused, 409);
        assertThat(reused.json().getString("detail")).contains("order-1001");

        // The same words from another customer under a reused id are another message too; the same sender's retry
        // with its email written in another case is the same one (compared as ingest stores it).
        JsonArray olga = new JsonArray().add(ApiInbox.identity("email", "Olga.Thanks@Example.com", true));
        inbox.send("thanks-1", "Olga", olga, "Thanks!").expect(201);
        assertProblem(inbox.send("thanks-1", "Petro", new JsonArray().add(ApiInbox.identity("email",
                "petro.thanks@example.com", true)), "Thanks!"), 409);
        JsonArray olgaAgain = new JsonArray().add(ApiInbox.identity("email", "olga.thanks@example.COM", true));
        assertThat(inbox.send("thanks-1", "Olga", olgaAgain, "Thanks!").expect(200).json().getString("outcome"))
                .isEqualTo("duplicate");
    }

    @Test
    void theRequestIdIsEchoedAndQuotable() {
        ApiClient.Response response = server.admin().withHeader("X-Request-Id", "trace-abc-123")
                .get("/api/v1/nothing");
        assertThat(response.header("X-Request-Id")).isEqualTo("trace-abc-123");
        assertThat(response.json().getString("requestId")).isEqualTo("trace-abc-123");
    }

    /**
     * Requests the framework refuses before any route (a malformed escape in the path, no Host header) are 400
     * problems, not 500s with a stack trace in the log; so is a control character in a key.
     */
    @Test
    void requestsTheFrameworkRefusesAre400Problems() throws IOException {
        assertThat(rawRequest("GET /api/v1/conversations/%zz HTTP/1.1\r\nHost: localhost\r\n"))
                .startsWith("HTTP/1.1 400").contains("application/problem+json");
        assertThat(rawRequest("GET /api/v1/auth/me HTTP/1.1\r\n"))
                .startsWith("HTTP/1.1 400").contains("application/problem+json");
        assertProblem(admin.post("/api/v1/idempotency-keys/%00/withdraw", new JsonObject()), 400);
        // A key a reply could not be posted with cannot be withdrawn, and the other way round: a key outside
        // printable ASCII is read as ISO-8859-1 in the header and as UTF-8 in the path, two different keys.
        assertProblem(admin.post("/api/v1/idempotency-keys/cl%C3%A9/withdraw", new JsonObject()), 400);
        URI url = URI.create(server.url());
        try (Socket socket = new Socket(url.getHost(), url.getPort())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("POST /api/v1/conversations/1/messages HTTP/1.1\r\nHost: localhost\r\n"
                    + "Authorization: Bearer " + admin.token() + "\r\nIdempotency-Key: cl\u00e9\r\n"
                    + "Content-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
                    .getBytes(StandardCharsets.ISO_8859_1));
            assertThat(new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
                    .startsWith("HTTP/1.1 400").contains("Idempotency-Key");
        }
        // A forged cursor whose time PostgreSQL cannot store ("+294277-01-05T00:00:00Z|1").
        assertProblem(admin.get("/api/v1/conversations?cursor=KzI5NDI3Ny0wMS0wNVQwMDowMDowMFp8MQ"), 400);
    }

    /** Metadata nested deeper than messages and events can carry is refused before anything is stored. */
    @Test
    void deeplyNestedInboundMetadataIsA400() {
        ApiInbox inbox = ApiInbox.create(admin, "Deep", null);
        String deep = "[".repeat(40) + "]".repeat(40);
        ApiClient.Response response = new ApiClient(server.url()).withToken(inbox.token()).raw("POST",
                "/api/v1/inboxes/" + inbox.id() + "/inbound", "application/json", ("{\"externalId\": \"deep-1\","
                        + " \"body\": \"hi\", \"contact\": {\"identities\": [{\"kind\": \"external_id\","
                        + " \"value\": \"c-deep\"}]}, \"metadata\": {\"x\": " + deep + "}}")
                        .getBytes(StandardCharsets.UTF_8));
        assertProblem(response, 400);
        assertThat(response.json().encode()).contains("levels deep");
    }

    /** A client that stops mid-request loses its connection after http.idleTimeout, instead of holding it. */
    @Test
    void aConnectionThatGoesQuietMidRequestIsClosed() throws IOException {
        try (TestServer quick = TestServer.start(Map.of("http.idleTimeout", "2s", "widget.longPoll", "1500ms",
                "widget.heartbeat", "1s"))) {
            URI url = URI.create(quick.url());
            try (Socket socket = new Socket(url.getHost(), url.getPort())) {
                socket.setSoTimeout(20_000);
                socket.getOutputStream().write(("POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\n"
                        + "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"email\"")
                        .getBytes(StandardCharsets.US_ASCII));
                socket.getOutputStream().flush();
                int read;
                try {
                    read = socket.getInputStream().read();
                } catch (SocketException e) {
                    read = -1; // closed with bytes unread on the server's side: a reset, a close all the same
                }
                assertThat(read).as("the server closed the quiet connection").isEqualTo(-1);
            }
        }
    }

    /** Sends a request as typed (headers as given, then Connection: close) and answers the whole response. */
    private static String rawRequest(String head) throws IOException {
        URI url = URI.create(server.url());
        try (Socket socket = new Socket(url.getHost(), url.getPort())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write((head + "Connection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static void assertProblem(ApiClient.Response response, int status) {
        response.expect(status);
        assertThat(response.header("Content-Type")).startsWith("application/problem+json");
        JsonObject problem = response.json();
        assertThat(problem.getInteger("status")).isEqualTo(status);
        assertThat(problem.getString("type")).startsWith("urn:throughline:problem:");
        assertThat(problem.getString("title")).isNotBlank();
        assertThat(problem.encode()).doesNotContain("Exception").doesNotContain("at io.");
        if (status == 401) {
            // RFC 9110: a 401 names its scheme; RFC 6750 says when the token given was refused.
            assertThat(response.header("WWW-Authenticate")).startsWith("Bearer realm=\"throughline\"");
        }
    }
}
