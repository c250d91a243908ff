package io.throughline.bench;

import com.icegreen.greenmail.store.MailFolder;
import com.icegreen.greenmail.user.GreenMailUser;
import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import io.throughline.store.Sql;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import jakarta.mail.FetchProfile;
import jakarta.mail.Folder;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Store;
import jakarta.mail.Transport;
import jakarta.mail.UIDFolder;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayInputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.HdrHistogram.Histogram;
import org.eclipse.angus.mail.iap.Response;
import org.eclipse.angus.mail.imap.IMAPFolder;
import org.eclipse.angus.mail.imap.protocol.BODY;
import org.eclipse.angus.mail.imap.protocol.FetchResponse;
import org.eclipse.angus.mail.imap.protocol.UIDSet;

/**
 * {@code ./throughline bench email}: N mails in GreenMail's IMAP INBOX, imported by a new email inbox (mails/s),
 * then mails sent one by one through GreenMail's SMTP while the inbox waits in IDLE (latency from the end of the
 * SMTP transaction to the committed message). The baseline is a plain IMAP client fetching the same N mails from
 * the same server in the same run: the most any importer could do through that server.
 */
public final class EmailBenchmark implements Benchmark {

    private static final String SUPPORT = "support@bench.test";
    /** A second mailbox with an empty INBOX: latency without GreenMail's cost of a 10,000-mail folder. */
    private static final String LIVE = "live@bench.test";
    private static final String PASSWORD = "bench-mail-password";

    @Override
    public String name() {
        return "email";
    }

    @Override
    public String description() {
        return "IMAP import mails/s and send-to-conversation latency, against a raw IMAP fetch";
    }

    @Override
    public String usage() {
        return """
                  --mails N          mails loaded into the IMAP INBOX and imported (default 10000)
                  --senders N        distinct customers writing them (default 2000)
                  --latency-mails N  mails sent one by one over SMTP to a quiet mailbox (default 300)
                  --loaded-mails N   mails sent one by one to the mailbox holding the N imported (default 100)
                  --pause DURATION   pause between two latency mails (default 100ms)
                """;
    }

    @Override
    public void run(BenchArgs args, PrintStream out) throws Exception {
        int mails = args.integer("mails", 10_000);
        int senders = args.integer("senders", 2_000);
        int latencyMails = args.integer("latency-mails", 300);
        int loadedMails = args.integer("loaded-mails", 100);
        Duration pause = args.duration("pause", Duration.ofMillis(100));
        System.setProperty("mail.mime.allowutf8", "false");

        GreenMail greenMail = new GreenMail(new ServerSetup[] {
            new ServerSetup(0, "127.0.0.1", ServerSetup.PROTOCOL_SMTP).dynamicPort(),
            new ServerSetup(0, "127.0.0.1", ServerSetup.PROTOCOL_IMAP).dynamicPort()});
        greenMail.start();
        try {
            GreenMailUser user = greenMail.setUser(SUPPORT, SUPPORT, PASSWORD);
            greenMail.setUser(LIVE, LIVE, PASSWORD);
            out.printf("loading %d mails from %d senders into GreenMail...%n", mails, senders);
            MailFolder inbox = greenMail.getManagers().getImapHostManager().getInbox(user);
            Session parsing = Session.getInstance(new Properties());
            for (int i = 0; i < mails; i++) {
                inbox.store(new MimeMessage(parsing, new ByteArrayInputStream(mail(i, senders, "bulk"))));
            }

            double baseline = rawFetch(greenMail.getImap().getPort(), mails, out);
            // The importer gets the same server warm: a second baseline run shows the variation between runs.
            double baselineAgain = rawFetch(greenMail.getImap().getPort(), mails, out);
            baseline = Math.max(baseline, baselineAgain);
            try (BenchServer server = BenchServer.start(Map.of("email.imap.backfill", "1d",
                    "outbox.pollInterval", "100ms"))) {
                Result imported = importAll(server, greenMail, mails, out);
                Histogram loaded = latency(server, greenMail, SUPPORT, "loaded", mails, loadedMails, pause,
                        senders, out);
                createInbox(HttpClient.newHttpClient(), server, login(HttpClient.newHttpClient(), server), greenMail,
                        LIVE, "Live");
                Histogram quiet = latency(server, greenMail, LIVE, "quiet", 0, latencyMails, pause, senders, out);
                report(mails, senders, baseline, imported, quiet, loaded, pause, out);
            }
        } finally {
            greenMail.stop();
        }
    }

    private record Result(double mailsPerSecond, long conversations, double seconds) {
    }

    /**
     * The baseline: one IMAP client fetching every mail's raw bytes from the same server, 100 per
     * {@code UID FETCH (BODY.PEEK[])} round trip, as the importer does: the most any importer could do there.
     */
    private static double rawFetch(int imapPort, int mails, PrintStream out) throws MessagingException {
        try (Store store = Session.getInstance(new Properties()).getStore("imap")) {
            store.connect("127.0.0.1", imapPort, SUPPORT, PASSWORD);
            IMAPFolder folder = (IMAPFolder) store.getFolder("INBOX");
            folder.open(Folder.READ_ONLY);
            long started = System.nanoTime();
            Message[] all = folder.getMessages();
            FetchProfile uids = new FetchProfile();
            uids.add(UIDFolder.FetchProfileItem.UID);
            folder.fetch(all, uids);
            long bytes = 0;
            int fetched = 0;
            for (int from = 0; from < all.length; from += 100) {
                long[] batch = new long[Math.min(100, all.length - from)];
                for (int i = 0; i < batch.length; i++) {
                    batch[i] = folder.getUID(all[from + i]);
                }
                String set = UIDSet.toString(UIDSet.createUIDSets(batch));
                long[] counted = (long[]) folder.doCommand(protocol -> {
                    Response[] responses = protocol.command("UID FETCH " + set + " (UID BODY.PEEK[])", null);
                    long size = 0;
                    long count = 0;
                    for (Response response : responses) {
                        if (response instanceof FetchResponse fetch && fetch.getItem(BODY.class) != null) {
                            size += fetch.getItem(BODY.class).getByteArray().getCount();
                            count++;
                        }
                    }
                    protocol.handleResult(responses[responses.length - 1]);
                    return new long[] {size, count};
                });
                bytes += counted[0];
                fetched += (int) counted[1];
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            folder.close(false);
            out.printf("raw IMAP fetch: %d mails (%d KB) in %.2fs%n", fetched, bytes / 1024, seconds);
            return mails / seconds;
        }
    }

    private static Result importAll(BenchServer server, GreenMail greenMail, int mails, PrintStream out)
            throws Exception {
        Sql sql = server.throughline().database().sql();
        HttpClient http = HttpClient.newHttpClient();
        String token = login(http, server);
        long started = System.nanoTime();
        createInbox(http, server, token, greenMail, SUPPORT, "Bench");
        long last = -1;
        while (true) {
            long count = sql.single("SELECT count(*) AS n FROM messages WHERE kind = 'in'").getLong("n");
            if (count >= mails) {
                break;
            }
            if (count / 1000 != last / 1000) {
                out.printf("  imported %d/%d%n", count, mails);
                last = count;
            }
            Thread.sleep(100);
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        long conversations = sql.single("SELECT count(*) AS n FROM conversations").getLong("n");
        out.printf("Throughline import: %d mails in %.2fs into %d conversations%n", mails, seconds, conversations);
        return new Result(mails / seconds, conversations, seconds);
    }

    /** Mails sent one at a time; latency = committed-at (PostgreSQL's clock, same machine) minus SMTP done. */
    private static Histogram latency(BenchServer server, GreenMail greenMail, String to, String batch, int offset,
                                     int count, Duration pause, int senders, PrintStream out) throws Exception {
        Properties props = new Properties();
        props.put("mail.smtp.host", "127.0.0.1");
        props.put("mail.smtp.port", String.valueOf(greenMail.getSmtp().getPort()));
        Session session = Session.getInstance(props);
        Map<String, Instant> sentAt = new HashMap<>();
        try (Transport transport = session.getTransport("smtp")) {
            transport.connect();
            for (int i = 0; i < count; i++) {
                MimeMessage message = new MimeMessage(session, new ByteArrayInputStream(mail(offset + i, senders,
                        batch)));
                transport.sendMessage(message, new InternetAddress[] {new InternetAddress(to)});
                sentAt.put(id(offset + i, batch), Instant.now());
                Thread.sleep(pause.toMillis());
            }
        }
        Sql sql = server.throughline().database().sql();
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        List<Row> rows = List.of();
        while (System.nanoTime() < deadline) {
            rows = sql.list("SELECT external_id, created_at FROM messages WHERE external_id LIKE $1", r -> r,
                    batch + "-%");
            if (rows.size() >= count) {
                break;
            }
            Thread.sleep(100);
        }
        Histogram histogram = new Histogram(3_600_000L, 3);
        for (Row row : rows) {
            Instant sent = sentAt.get(row.getString("external_id"));
            Instant stored = row.getOffsetDateTime("created_at").toInstant();
            histogram.recordValue(Math.max(1, Duration.between(sent, stored).toMillis()));
        }
        out.printf("latency (%s): %d of %d mails arrived%n", batch, rows.size(), count);
        return histogram;
    }

    private static void report(int mails, int senders, double baseline, Result imported, Histogram quiet,
                               Histogram loaded, Duration pause, PrintStream out) {
        ResultTable table = new ResultTable("email", List.of("measure", "Throughline", "raw IMAP fetch", "ratio"));
        table.row("import, mails/s", imported.mailsPerSecond(), baseline, imported.mailsPerSecond() / baseline);
        for (int percentile : new int[] {50, 95, 99}) {
            table.row("send to conversation p" + percentile + ", ms (quiet mailbox)",
                    (double) quiet.getValueAtPercentile(percentile), "-", "-");
        }
        table.row("send to conversation max, ms (quiet mailbox)", (double) quiet.getMaxValue(), "-", "-");
        table.row("send to conversation p50, ms (" + mails + "-mail folder)",
                (double) loaded.getValueAtPercentile(50), "-", "-");
        table.row("send to conversation p99, ms (" + mails + "-mail folder)",
                (double) loaded.getValueAtPercentile(99), "-", "-");
        table.note(mails + " mails (text + HTML, ~2 KB) from " + senders + " senders into " + imported.conversations()
                + " conversations; GreenMail " + "2.1.13 on the same machine serves both.");
        table.note("Import: each mail fetched, parsed, its contact and conversation resolved and committed, then the"
                + " (UIDVALIDITY, UID) checkpoint. Latency: end of the SMTP transaction to the committed message,"
                + " including GreenMail's IDLE notification; one mail every " + pause.toMillis()
                + " ms.");
        table.note("GreenMail's own cost per operation grows with the folder: compare the raw fetch of a small"
                + " and a large run, and the two latency rows.");
        table.json().put("mails", mails).put("senders", senders)
                .put("importMailsPerSecond", imported.mailsPerSecond()).put("rawFetchMailsPerSecond", baseline)
                .put("latencyMsQuietMailbox", percentiles(quiet)).put("latencyMsLoadedFolder", percentiles(loaded));
        table.finish(out);
    }

    private static JsonObject percentiles(Histogram histogram) {
        return new JsonObject().put("p50", histogram.getValueAtPercentile(50))
                .put("p95", histogram.getValueAtPercentile(95)).put("p99", histogram.getValueAtPercentile(99))
                .put("max", histogram.getMaxValue()).put("count", histogram.getTotalCount());
    }

    private static String login(HttpClient http, BenchServer server) throws Exception {
        JsonObject body = new JsonObject().put("email", BenchServer.ADMIN_EMAIL)
                .put("password", BenchServer.ADMIN_PASSWORD);
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(server.url()
                + "/api/v1/auth/login")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.encode())).build(),
                HttpResponse.BodyHandlers.ofString());
        return new JsonObject(response.body()).getString("token");
    }

    private static void createInbox(HttpClient http, BenchServer server, String token, GreenMail greenMail,
                                    String address, String name) throws Exception {
        JsonObject config = new JsonObject().put("address", address).put("displayName", name + " Support")
                .put("replyDomain", "reply.bench.test")
                .put("imap", new JsonObject().put("host", "127.0.0.1").put("port", greenMail.getImap().getPort())
                        .put("security", "none").put("username", address).put("password", PASSWORD)
                        .put("folders", new JsonArray().add("INBOX")))
                .put("smtp", new JsonObject().put("host", "127.0.0.1").put("port", greenMail.getSmtp().getPort())
                        .put("security", "none").put("username", address).put("password", PASSWORD));
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(server.url()
                + "/api/v1/inboxes")).header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + token)
                .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("kind", "email")
                        .put("name", name).put("config", config).encode())).build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 201) {
            throw new IllegalStateException("cannot create the email inbox: " + response.body());
        }
    }

    private static String id(int i, String batch) {
        return batch + "-" + i + "@bench.test";
    }

    /** A customer mail of about 2 KB: text and HTML, as mail clients send it. */
    static byte[] mail(int i, int senders, String batch) {
        int sender = i % senders;
        String text = ("Hello,\r\n\r\nI ordered item " + i + " last week and it has not arrived yet. Could you"
                + " check the tracking for me? The order number is " + (100_000 + i) + ".\r\n\r\n").repeat(3)
                + "Thanks,\r\nCustomer " + sender + "\r\n";
        String html = "<div dir=\"ltr\">" + text.replace("\r\n", "<br>") + "</div>";
        String boundary = "b" + i;
        return ("From: Customer " + sender + " <customer" + sender + "@example.com>\r\n"
                + "To: " + SUPPORT + "\r\nSubject: Where is order " + (100_000 + i) + "?\r\n"
                + "Message-ID: <" + id(i, batch) + ">\r\nMIME-Version: 1.0\r\n"
                + "Content-Type: multipart/alternative; boundary=\"" + boundary + "\"\r\n\r\n"
                + "--" + boundary + "\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + text + "\r\n"
                + "--" + boundary + "\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + html + "\r\n"
                + "--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8);
    }

}
