package io.throughline.attachment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.throughline.testing.ApiClient;
import io.throughline.testing.RawHttp;
import io.throughline.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The attachment store over HTTP: uploads leave no file behind however they end, a missing file is a clear
 * answer, and the sweep removes only what nothing uses.
 */
class AttachmentStoreIT {

    private static final Duration WAIT = Duration.ofSeconds(15);

    private static TestServer server;
    private static ApiClient admin;

    @BeforeAll
    static void start() {
        server = TestServer.start();
        admin = server.admin();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void anUploadWithoutCredentialsIsRefusedBeforeItsBodyIsRead() throws IOException {
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /api/v1/attachments HTTP/1.1\r\nHost: localhost\r\n"
                    + "Content-Type: multipart/form-data; boundary=xyz\r\nContent-Length: 20000000\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(new byte[64 * 1024]);
            out.flush();
            // The answer comes while 19.9 MB are still to be sent: nothing waited for them, nothing stored them.
            String answer = RawHttp.readHead(socket.getInputStream());
            assertThat(answer).startsWith("HTTP/1.1 401");
        }
        assertThat(uploadFiles()).isEmpty();
        // A token that only looks like one is refused as early; so is a body that is not a form (it would be
        // buffered whole in memory), however valid the token.
        for (String headers : new String[] {"Authorization: Bearer made-up\r\nContent-Type: multipart/form-data;"
                + " boundary=xyz", "Authorization: Bearer " + admin.token() + "\r\nContent-Type: application/json"}) {
            try (Socket socket = new Socket("127.0.0.1", server.port())) {
                socket.setSoTimeout(10_000);
                OutputStream out = socket.getOutputStream();
                out.write(("POST /api/v1/attachments HTTP/1.1\r\nHost: localhost\r\n" + headers
                        + "\r\nContent-Length: 20000000\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(new byte[64 * 1024]);
                out.flush();
                assertThat(RawHttp.readHead(socket.getInputStream())).matches("(?s)HTTP/1.1 40[01] .*");
            }
        }
        assertThat(uploadFiles()).isEmpty();
    }

    @Test
    void uploadsWhoseClientHangsUpLeaveNoFile() throws IOException {
        String head = "POST /api/v1/attachments HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + admin.token()
                + "\r\nContent-Type: multipart/form-data; boundary=xyz\r\nContent-Length: %d\r\n\r\n";
        String part = "--xyz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.bin\"\r\n"
                + "Content-Type: application/octet-stream\r\n\r\n";
        String end = "\r\n--xyz--\r\n";
        byte[] content = new byte[8 * 1024 * 1024];
        // Mid-way through the body.
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            OutputStream out = socket.getOutputStream();
            out.write((head.formatted(part.length() + content.length + end.length()) + part)
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(content, 0, content.length / 2);
            out.flush();
            await().atMost(WAIT).until(() -> !uploadFiles().isEmpty());
        }
        await().atMost(WAIT).until(() -> uploadFiles().isEmpty());
        // With the whole body sent, gone before the answer (the server is still storing the file).
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            OutputStream out = socket.getOutputStream();
            out.write((head.formatted(part.length() + content.length + end.length()) + part)
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(content);
            out.write(end.getBytes(StandardCharsets.US_ASCII));
            out.flush();
        }
        await().atMost(WAIT).until(() -> uploadFiles().isEmpty());
    }

    @Test
    void aFileMissingFromTheStoreIsANotFoundProblem() throws IOException {
        JsonObject uploaded = admin.upload("/api/v1/attachments", "invoice.pdf", "application/pdf",
                "%PDF-1.7 invoice 2231".getBytes(StandardCharsets.UTF_8)).expect(201).json();
        Files.delete(stored(shaOf(uploaded)));

        ApiClient.Response answer = admin.get("/api/v1/attachments/" + uploaded.getLong("id")).expect(404);
        assertThat(answer.header("Content-Type")).startsWith("application/problem+json");
        assertThat(answer.json().getString("detail")).contains("missing from the attachment store");
    }

    @Test
    void aVoiceNoteIsServedInTheRangesAPlayerAsksFor() {
        long id = admin.upload("/api/v1/attachments", "voice.ogg", "audio/ogg",
                "OggS0123456789".getBytes(StandardCharsets.UTF_8)).expect(201).json().getLong("id");
        String path = "/api/v1/attachments/" + id;

        ApiClient.Response whole = admin.get(path).expect(200);
        assertThat(whole.header("Accept-Ranges")).isEqualTo("bytes");
        assertThat(whole.body()).isEqualTo("OggS0123456789");
        ApiClient.Response head = admin.withHeader("Range", "bytes=0-3").get(path).expect(206);
        assertThat(head.body()).isEqualTo("OggS");
        assertThat(head.header("Content-Range")).isEqualTo("bytes 0-3/14");
        assertThat(admin.withHeader("Range", "bytes=10-").get(path).expect(206).body()).isEqualTo("6789");
        assertThat(admin.withHeader("Range", "bytes=-2").get(path).expect(206).body()).isEqualTo("89");
        ApiClient.Response past = admin.withHeader("Range", "bytes=14-20").get(path).expect(416);
        assertThat(past.header("Content-Range")).isEqualTo("bytes */14");
        assertThat(past.json().getInteger("status")).isEqualTo(416);
    }

    @Test
    void aDownloadIsRevalidatedOnEveryUseSoASignOutEndsAccessToTheBrowsersCopy() {
        ApiClient agent = server.anonymous().login(TestServer.ADMIN_EMAIL, TestServer.ADMIN_PASSWORD);
        long id = agent.upload("/api/v1/attachments", "invoice.pdf", "application/pdf",
                "%PDF-1.7 invoice 42".getBytes(StandardCharsets.UTF_8)).expect(201).json().getLong("id");
        String path = "/api/v1/attachments/" + id;
        ApiClient.Response first = agent.get(path).expect(200);
        assertThat(first.header("Cache-Control")).isEqualTo("private, no-cache");
        String etag = first.header("ETag");
        assertThat(etag).matches("\"[0-9a-f]{64}\"");

        ApiClient.Response again = agent.withHeader("If-None-Match", etag).get(path).expect(304);
        assertThat(again.body()).isEmpty();
        assertThat(agent.withHeader("If-None-Match", "\"another\"").get(path).expect(200).body())
                .isEqualTo("%PDF-1.7 invoice 42");

        agent.post("/api/v1/auth/logout", new JsonObject()).expect(204);
        agent.withHeader("If-None-Match", etag).get(path).expect(401);
    }

    @Test
    void theSweepDeletesOnlyFilesNothingUses() throws IOException {
        JsonObject uploaded = admin.upload("/api/v1/attachments", "kept.txt", "text/plain",
                "a draft's file, still claimable".getBytes(StandardCharsets.UTF_8)).expect(201).json();
        FileStore store = new FileStore(server.throughline().config().attachmentsDir());
        String orphan = store.store(new ByteArrayInputStream("stored, then its message failed".getBytes(
                StandardCharsets.UTF_8)), "orphan.txt", "text/plain", 1_000).sha256();
        Instant longAgo = Instant.now().minus(FileStore.SWEEP_AFTER).minusSeconds(3_600);
        Files.setLastModifiedTime(stored(shaOf(uploaded)), FileTime.from(longAgo));
        Files.setLastModifiedTime(stored(orphan), FileTime.from(longAgo));

        // Another node sweeping the shared store: this one leaves it to that one.
        Integer whileAnotherSweeps = server.throughline().database().tx(tx -> {
            tx.single("SELECT pg_advisory_xact_lock($1)::text AS locked", AttachmentService.SWEEP_LOCK);
            return server.throughline().attachments().sweepFiles();
        });
        assertThat(whileAnotherSweeps).isZero();
        assertThat(stored(orphan)).exists();
        assertThat(server.throughline().attachments().sweepFiles()).isEqualTo(1);
        assertThat(stored(orphan)).doesNotExist();
        assertThat(new String(admin.bytes("/api/v1/attachments/" + uploaded.getLong("id")),
                StandardCharsets.UTF_8)).isEqualTo("a draft's file, still claimable");
    }

    /**
     * An agent's upload not yet sent is theirs: a colleague who names its id can neither attach it to their own reply
     * nor download it. Once sent, it is the thread's file, the workspace's to read.
     */
    @Test
    void anUploadNotYetSentIsOnlyItsUploadersToAttachOrDownload() {
        admin.post("/api/v1/agents", new JsonObject().put("email", "vera@attach.local").put("name", "Vera Colleague")
                .put("role", "agent").put("password", "vera-password-123")).expect(201);
        ApiClient colleague = server.anonymous().login("vera@attach.local", "vera-password-123");
        JsonObject inbox = admin.post("/api/v1/inboxes", new JsonObject().put("kind", "api").put("name", "Drafts")
                .put("config", new JsonObject())).expect(201).json();
        long conversation = new ApiClient(server.url()).withToken(inbox.getString("token"))
                .post("/api/v1/inboxes/" + inbox.getLong("id") + "/inbound", new JsonObject()
                        .put("externalId", "upload-owner-1").put("body", "Can you send the invoice?")
                        .put("contact", new JsonObject().put("identities", new JsonArray().add(new JsonObject()
                                .put("kind", "external_id").put("value", "upload-owner-customer")))))
                .expect(201).json().getLong("conversationId");
        long upload = admin.upload("/api/v1/attachments", "invoice-draft.txt", "text/plain",
                "the admin's draft file".getBytes(StandardCharsets.UTF_8)).expect(201).json().getLong("id");
        String path = "/api/v1/attachments/" + upload;

        colleague.get(path).expect(404);
        colleague.post("/api/v1/conversations/" + conversation + "/messages", new JsonObject()
                .put("body", "Here it is").put("attachments", new JsonArray().add(upload))).expect(400);
        admin.get(path).expect(200);

        admin.post("/api/v1/conversations/" + conversation + "/messages", new JsonObject()
                .put("body", "Here is your invoice").put("attachments", new JsonArray().add(upload))).expect(201);
        assertThat(new String(colleague.bytes(path), StandardCharsets.UTF_8)).isEqualTo("the admin's draft file");
    }

    /** An upload waits for its draft as long as the composer keeps drafts (30 days), not a day. */
    @Test
    void anUploadNoMessageClaimedIsKeptAsLongAsDrafts() {
        long upload = admin.upload("/api/v1/attachments", "invoice.txt", "text/plain",
                "attached in the evening, sent the next afternoon".getBytes(StandardCharsets.UTF_8)).expect(201)
                .json().getLong("id");
        var sql = server.throughline().database().sql();
        sql.update("UPDATE attachments SET created_at = now() - interval '29 days' WHERE id = $1", upload);
        server.throughline().attachments().dropUnclaimedUploads();
        admin.get("/api/v1/attachments/" + upload).expect(200);

        sql.update("UPDATE attachments SET created_at = now() - interval '32 days' WHERE id = $1", upload);
        server.throughline().attachments().dropUnclaimedUploads();
        admin.get("/api/v1/attachments/" + upload).expect(404);
    }

    @Test
    void nodesSharingTheAttachmentDirectoryServeEachOthersFiles() {
        Path shared = server.throughline().config().attachmentsDir();
        try (TestServer other = TestServer.startOn(server.databaseUrl(), TestServer.tempDir(),
                Map.of("data.attachmentsDir", shared.toString()))) {
            JsonObject uploaded = other.admin().upload("/api/v1/attachments", "label.txt", "text/plain",
                    "uploaded on the second node".getBytes(StandardCharsets.UTF_8)).expect(201).json();
            assertThat(new String(admin.bytes("/api/v1/attachments/" + uploaded.getLong("id")),
                    StandardCharsets.UTF_8)).isEqualTo("uploaded on the second node");
        }
    }

    private static String shaOf(JsonObject attachment) {
        return server.throughline().database().sql().single("SELECT sha256 FROM attachments WHERE id = $1",
                attachment.getLong("id")).getString("sha256");
    }

    private static Path stored(String sha256) {
        return server.throughline().config().attachmentsDir().resolve(sha256.substring(0, 2))
                .resolve(sha256.substring(2, 4)).resolve(sha256);
    }

    /** Request bodies the HTTP layer is writing or has written to disk. */
    private static List<Path> uploadFiles() throws IOException {
        try (Stream<Path> files = Files.list(server.throughline().config().dataDir().resolve("tmp"))) {
            return files.filter(Files::isRegularFile).toList();
        }
    }
}
