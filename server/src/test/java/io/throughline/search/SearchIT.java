package io.throughline.search;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.throughline.connector.InboundEdit;
import io.throughline.connector.InboxRef;
import io.throughline.realtime.EventLog;
import io.throughline.realtime.EventType;
import io.throughline.testing.ApiClient;
import io.throughline.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The search API through the real server: what an agent types, what comes back, and what keeps it current. */
class SearchIT {

    private static final Duration INDEXED = Duration.ofSeconds(10);
    private static TestServer server;
    private static SearchFixture shop;

    @BeforeAll
    static void start() {
        // Commits are rare here: whatever is found is found through the near-real-time reopen.
        server = TestServer.start(Map.of("search.commitInterval", "1h"));
        shop = SearchFixture.create(server, server.admin(), "Shop");
        await().atMost(Duration.ofSeconds(30)).until(() -> "up".equals(server.admin().get("/health").json()
                .getJsonObject("checks").getJsonObject("search").getString("status")));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void storedMessageIsSearchableWithinASecondWithoutACommit() {
        JsonObject first = shop.customerWrites("nrt-0", "Taras", "Доброго дня, перевірка зв'язку");
        awaitFound("перевірка", first.getLong("messageId"));
        long stored = System.nanoTime();
        JsonObject receipt = shop.customerWrites("nrt-1", "Olena", "Де моє замовлення? Чекаю вже тиждень.");
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(20)).until(() ->
                SearchFixture.messageIds(shop.search("q", "замовленням")).contains(receipt.getLong("messageId")));
        System.out.println("near-real-time visibility: " + (System.nanoTime() - stored) / 1_000_000 + " ms");
    }

    @Test
    void inflectedFormsAreFoundInEachLanguage() {
        long uk = shop.customerWrites("infl-uk", "Iryna", "Оплатила квитанцію, а посилкою ніхто не займається")
                .getLong("messageId");
        long ru = shop.customerWrites("infl-ru", "Pavel", "Квитанции так и не пришли, посылки тоже").getLong("messageId");
        long pl = shop.customerWrites("infl-pl", "Marta", "Nie dostałam przesyłki ani potwierdzenia płatności")
                .getLong("messageId");
        long en = shop.customerWrites("infl-en", "John", "The parcels were returned to the warehouse")
                .getLong("messageId");
        // Each is waited for: written one after another, they may be searchable in different refreshes.
        awaitFound("посилка", uk);
        awaitFound("посылка", ru);
        awaitFound("przesyłka", pl);
        awaitFound("parcel returning", en);
    }

    @Test
    void hitsCarryHighlightedEscapedSnippetsChannelContactAndDate() {
        JsonObject receipt = shop.customerWritesWithSubject("hit-1", "Bohdan <b>", "Re: <i>invoice</i>",
                "Hello, <script>alert(1)</script> my kitesurfing board arrived cracked.");
        awaitFound("kitesurfing", receipt.getLong("messageId"));
        JsonObject hit = shop.search("q", "kitesurfing").getJsonArray("hits").getJsonObject(0);
        assertThat(hit.getString("snippet")).contains("<mark>kitesurfing</mark>").contains("&lt;script&gt;")
                .doesNotContain("<script>").doesNotContain("<i>");
        assertThat(hit.getLong("messageId")).isEqualTo(receipt.getLong("messageId"));
        assertThat(hit.getLong("conversationId")).isEqualTo(receipt.getLong("conversationId"));
        assertThat(hit.getString("channel")).isEqualTo("api");
        assertThat(hit.getString("kind")).isEqualTo("in");
        assertThat(hit.getString("subject")).isEqualTo("Re: <i>invoice</i>");
        assertThat(hit.getJsonObject("contact").getLong("id")).isEqualTo(receipt.getLong("contactId"));
        assertThat(hit.getJsonObject("contact").getString("name")).isEqualTo("Bohdan <b>");
        assertThat(hit.getDouble("score")).isPositive();
        assertThat(Instant.parse(hit.getString("createdAt"))).isBefore(Instant.now().plusSeconds(1));
        assertThat(hit.getValue("threadBefore")).isNull();

        JsonObject later = shop.customerWrites("hit-2", "Bohdan <b>", "And the fins are missing too.");
        JsonObject again = shop.search("q", "kitesurfing").getJsonArray("hits").getJsonObject(0);
        assertThat(again.getLong("threadBefore")).isEqualTo(later.getLong("messageId"));
        JsonObject page = shop.agent().get("/api/v1/conversations/" + receipt.getLong("conversationId")
                + "/messages?before=" + again.getLong("threadBefore")).expect(200).json();
        assertThat(page.getJsonArray("messages").getJsonObject(0).getLong("id")).isEqualTo(receipt.getLong("messageId"));
    }

    @Test
    void emailsPhonesAndOrderNumbersAreFoundAsTypedInAnyFormat() {
        long id = shop.customerWrites("exact-1", "Nadia", "Передзвоніть на (067) 765-43-21 щодо #Z-55102, або"
                + " пишіть на Nadia.P@Example.org").getLong("messageId");
        awaitFound("Z-55102", id);
        assertThat(SearchFixture.messageIds(shop.search("q", "+380 67 765 43 21"))).containsExactly(id);
        assertThat(SearchFixture.messageIds(shop.search("q", "0677654321"))).containsExactly(id);
        assertThat(SearchFixture.messageIds(shop.search("q", "nadia.p@example.org"))).containsExactly(id);
        assertThat(SearchFixture.messageIds(shop.search("q", "#z55102"))).containsExactly(id);
        assertThat(shop.search("q", "+380677654321").getJsonArray("hits").getJsonObject(0).getString("snippet"))
                .contains("<mark>(067) 765-43-21</mark>");
    }

    /**
     * An attachment's name is found by its words: Unicode word breaks keep {@code receipt_march.pdf} one word, so
     * only the whole name found it. The whole name still does, and a search for it is not one for every PDF.
     */
    @Test
    void anAttachmentIsFoundByTheWordsOfItsName() {
        JsonObject question = shop.customerWrites("file-1", "Roksolana", "Could you send me last month's papers?");
        long upload = shop.agent().upload("/api/v1/attachments", "Receipt_March.pdf", "application/pdf",
                "%PDF-1.7 receipt".getBytes(java.nio.charset.StandardCharsets.UTF_8)).expect(201).json().getLong("id");
        long reply = shop.agent().post("/api/v1/conversations/" + question.getLong("conversationId") + "/messages",
                new JsonObject().put("body", "Here they are.").put("attachments", new io.vertx.core.json.JsonArray()
                        .add(upload))).expect(201).json().getLong("id");
        long brochure = shop.agent().upload("/api/v1/attachments", "brochure.pdf", "application/pdf",
                "%PDF-1.7 other".getBytes(java.nio.charset.StandardCharsets.UTF_8)).expect(201).json().getLong("id");
        long other = shop.agent().post("/api/v1/conversations/" + question.getLong("conversationId") + "/messages",
                new JsonObject().put("body", "And our brochure.").put("attachments", new io.vertx.core.json.JsonArray()
                        .add(brochure))).expect(201).json().getLong("id");
        awaitFound("brochure", other);
        awaitFound("receipt", reply);
        assertThat(shop.search("q", "receipt").getJsonArray("hits").getJsonObject(0).getString("snippet"))
                .contains("<mark>Receipt</mark>_March.pdf");
        assertThat(SearchFixture.messageIds(shop.search("q", "march"))).contains(reply);
        assertThat(shop.search("q", "marc*").getJsonArray("hits").getJsonObject(0).getString("snippet"))
                .contains("Receipt_<mark>March</mark>.pdf");
        assertThat(SearchFixture.messageIds(shop.search("q", "pdf"))).contains(reply, other);
        assertThat(SearchFixture.messageIds(shop.search("q", "receipt_march.pdf"))).containsExactly(reply);
    }

    @Test
    void aMessageWithAPastedBlobDoesNotStopIndexing() {
        // "Tokens" longer than Lucene takes as a term (32 KB of UTF-8): an order number and an address in form only.
        long blob = shop.customerWrites("blob-1", "Pasted Blob", "dump #A" + "ж".repeat(17_000) + " and "
                + "ы".repeat(17_000) + "@example.com plus the word quokkablob").getLong("messageId");
        long next = shop.customerWrites("blob-2", "After Blob", "the next message mentions wombatnext")
                .getLong("messageId");
        awaitFound("wombatnext", next);
        awaitFound("quokkablob", blob);

        // A pasted column of numbers and a long dotted chain once overflowed the token patterns' stack, which
        // broke the index writer: search stopped until a restart, which met the same message again.
        long numbers = shop.customerWrites("blob-3", "Pasted Numbers", "the export " + "12 ".repeat(12_000)
                + "a@b" + ".cc".repeat(3_000) + " #A" + "-1".repeat(3_000) + " ends with platypusdump")
                .getLong("messageId");
        long after = shop.customerWrites("blob-4", "After Numbers", "and then echidnanext").getLong("messageId");
        awaitFound("echidnanext", after);
        awaitFound("platypusdump", numbers);
        // Text with no full stop is one long sentence: its snippet is still a passage around the match.
        String snippet = shop.search("q", "platypusdump").getJsonArray("hits").getJsonObject(0).getString("snippet");
        assertThat(snippet).endsWith("ends with <mark>platypusdump</mark>").hasSizeLessThan(500);
    }

    @Test
    void pagesByDateAndByRelevanceCoverEveryHitOnce() {
        List<Long> written = new ArrayList<>();
        for (int i = 0; i < 45; i++) {
            // A word of this test only: another test's message with it would change the count.
            String body = "marimbaphone " + "marimbaphone ".repeat(i % 4) + "number " + i;
            written.add(shop.customerWrites("page-" + i, "Pager " + (i % 3), body).getLong("messageId"));
        }
        await().atMost(INDEXED).until(() -> shop.search("q", "marimbaphone").getJsonObject("total")
                .getInteger("value") == 45);
        List<Long> byDate = pages("date");
        List<Long> byRelevance = pages("relevance");
        assertThat(byDate).hasSize(45).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(written);
        assertThat(byDate).isSortedAccordingTo((a, b) -> Long.compare(b, a));
        assertThat(byRelevance).hasSize(45).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(written);
    }

    @Test
    void relevancePagesStayExactWhileTheIndexChangesBetweenThem() {
        pagesAcrossAScoreChangeShowEveryHitOnce("lanternfish", "pin", UnaryOperator.identity(),
                i -> "lanternfish " + "lanternfish ".repeat(i % 5) + "and some words ".repeat(i % 7) + i);
    }

    /**
     * A relevance page whose searcher was let go (a busy server keeps 32 across the index) resumes on the newest
     * searcher at its cursor's message, scored there: the scores moved meanwhile (every hit's went up as the word
     * grew rarer), and the old score would skip the rest. (The messages are of one length, so the new statistics
     * keep their order: a hit whose rank changed could still be skipped or repeated, which only the kept searcher
     * avoids.)
     */
    @Test
    void relevancePagesWhoseSearcherWasLetGoResumeAtTheirMessage() {
        pagesAcrossAScoreChangeShowEveryHitOnce("glowworm", "unpin", SearchIT::unpinned,
                i -> "glowworm ".repeat(1 + i % 5) + "lorem ".repeat(4 - i % 5) + i);
    }

    /**
     * Thirty messages with {@code word} ({@code bodies} of their number), a first page by relevance, then 120
     * messages without it (every score of the search goes up with the word's rarity), then the next pages, each
     * cursor passed through {@code cursors}: every message is shown once.
     */
    private void pagesAcrossAScoreChangeShowEveryHitOnce(String word, String prefix, UnaryOperator<String> cursors,
                                                         IntFunction<String> bodies) {
        List<Long> written = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            written.add(shop.customerWrites(prefix + "-" + i, "Paged " + prefix + (i % 3), bodies.apply(i))
                    .getLong("messageId"));
        }
        await().atMost(INDEXED).until(() -> shop.search("q", word).getJsonObject("total").getInteger("value") == 30);
        JsonObject first = shop.search("q", word, "sort", "relevance", "limit", "10");
        List<Long> seen = new ArrayList<>(SearchFixture.messageIds(first));
        long last = 0;
        for (int i = 0; i < 120; i++) {
            last = shop.customerWrites(prefix + "-filler-" + i, "Filler", "nothing " + prefix + "filler here " + i)
                    .getLong("messageId");
        }
        awaitFound(prefix + "filler", last);
        String cursor = first.getString("nextCursor");
        while (cursor != null) {
            JsonObject page = shop.search("q", word, "sort", "relevance", "limit", "10", "cursor",
                    cursors.apply(cursor));
            seen.addAll(SearchFixture.messageIds(page));
            cursor = page.getString("nextCursor");
        }
        assertThat(seen).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(written);
    }

    /** The cursor as it reads once its pinned searcher is gone: a version the index no longer keeps. */
    private static String unpinned(String cursor) {
        String[] parts = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8).split("\\|", -1);
        assertThat(parts).hasSize(6);
        parts[5] = "999999999";
        return Base64.getUrlEncoder().withoutPadding().encodeToString(String.join("|", parts)
                .getBytes(StandardCharsets.UTF_8));
    }

    private List<Long> pages(String sort) {
        List<Long> ids = new ArrayList<>();
        String cursor = null;
        double lastScore = Double.MAX_VALUE;
        do {
            List<String> params = new ArrayList<>(List.of("q", "marimbaphone", "sort", sort, "limit", "10"));
            if (cursor != null) {
                params.addAll(List.of("cursor", cursor));
            }
            JsonObject page = shop.search(params.toArray(new String[0]));
            assertThat(page.getString("sort")).isEqualTo(sort);
            for (Object hit : page.getJsonArray("hits")) {
                JsonObject json = (JsonObject) hit;
                ids.add(json.getLong("messageId"));
                if (sort.equals("relevance")) {
                    assertThat(json.getDouble("score")).isLessThanOrEqualTo(lastScore);
                    lastScore = json.getDouble("score");
                }
            }
            cursor = page.getString("nextCursor");
        } while (cursor != null);
        return ids;
    }

    /** A name is matched as PostgreSQL folds it, on both sides: Java folds some capitals (İ) another way. */
    @Test
    void aContactNameWithACapitalJavaFoldsOtherwiseIsFoundAsTyped() {
        assertThat(server.throughline().database().sql().single("SELECT lower('İlkay') = 'ilkay' AS folds")
                .getBoolean("folds")).as("the database's locale folds İ").isTrue();
        JsonObject receipt = shop.customerWrites("fold-1", "İlkay Demir", "The marimba arrived scratched");
        awaitFound("marimba", receipt.getLong("messageId"));

        assertThat(ids("q", "marimba contact:İlkay")).containsExactly(receipt.getLong("messageId"));
        assertThat(ids("q", "marimba", "contact", "İLKAY")).containsExactly(receipt.getLong("messageId"));
    }

    /** Written with combining accents (a Mac's file names, some pasted text), found as typed. */
    @Test
    void wordsWrittenWithCombiningAccentsAreFoundAsTyped() {
        JsonObject receipt = shop.customerWrites("nfc-1", "Zofia Nowak", "Gdzie jest moje zamo\u0301wienie 5512?");
        awaitFound("5512", receipt.getLong("messageId"));

        assertThat(ids("q", "zamówienie")).contains(receipt.getLong("messageId"));
        assertThat(ids("q", "zamo\u0301wienie")).contains(receipt.getLong("messageId"));
    }

    /** Inside a phrase every word counts, a language's stop words too ("not", "не"). */
    @Test
    void aPhraseWithAStopWordNeedsThatWord() {
        JsonObject delivered = shop.customerWrites("stop-1", "Stan Lee", "Your parcel was delivered to the kiosk");
        JsonObject notDelivered = shop.customerWrites("stop-2", "Stella Ray",
                "My parcel was not delivered to the kiosk");
        JsonObject ukrainian = shop.customerWrites("stop-3", "Ostap Bilyk", "Я отримав посилку вчора");
        awaitFound("kiosk", delivered.getLong("messageId"));
        awaitFound("kiosk", notDelivered.getLong("messageId"));
        awaitFound("посилку", ukrainian.getLong("messageId"));

        assertThat(ids("q", "\"not delivered\"")).containsExactly(notDelivered.getLong("messageId"));
        assertThat(ids("q", "kiosk -\"not delivered\"")).containsExactly(delivered.getLong("messageId"));
        assertThat(ids("q", "\"was delivered\"")).containsExactly(delivered.getLong("messageId"));
        assertThat(ids("q", "\"не отримав\"")).isEmpty();
        assertThat(ids("q", "\"отримав посилку\"")).containsExactly(ukrainian.getLong("messageId"));
    }

    @Test
    void filtersNarrowByChannelStatusAssigneeContactAndDate() {
        JsonObject receipt = shop.customerWrites("filter-1", "Filtered Fiona", "The xylophone order is late");
        long message = receipt.getLong("messageId");
        long conversation = receipt.getLong("conversationId");
        awaitFound("xylophone", message);
        JsonObject note = shop.agent().post("/api/v1/conversations/" + conversation + "/messages",
                new JsonObject().put("body", "Checked the xylophone stock: none left").put("note", true))
                .expect(201).json();
        awaitFound("xylophone channel:note", note.getLong("id"));
        assertThat(ids("q", "xylophone channel:api")).containsExactly(message);
        assertThat(ids("q", "xylophone", "channel", "note")).containsExactly(note.getLong("id"));
        assertThat(ids("q", "xylophone -channel:note")).containsExactly(message);

        assertThat(ids("q", "xylophone status:open")).hasSize(2);
        shop.agent().patch("/api/v1/conversations/" + conversation, new JsonObject().put("status", "resolved"))
                .expect(200);
        await().atMost(INDEXED).until(() -> ids("q", "xylophone status:resolved").size() == 2);
        assertThat(ids("q", "xylophone", "status", "open,pending")).isEmpty();

        long me = myAgentId(shop.agent());
        assertThat(ids("q", "xylophone assignee:none")).hasSize(2);
        shop.agent().patch("/api/v1/conversations/" + conversation, new JsonObject().put("assigneeId", me))
                .expect(200);
        await().atMost(INDEXED).until(() -> ids("q", "xylophone assignee:me").size() == 2);
        assertThat(ids("q", "xylophone assignee:" + TestServer.ADMIN_EMAIL)).hasSize(2);
        assertThat(ids("q", "xylophone assignee:none")).isEmpty();

        assertThat(ids("q", "xylophone contact:\"filtered fiona\"")).hasSize(2);
        assertThat(ids("q", "xylophone", "contact", String.valueOf(receipt.getLong("contactId")))).hasSize(2);
        assertThat(ids("q", "xylophone contact:nobody-like-this")).isEmpty();

        String today = LocalDate.now(ZoneOffset.UTC).toString();
        String yesterday = LocalDate.now(ZoneOffset.UTC).minusDays(1).toString();
        assertThat(ids("q", "xylophone", "from", today)).hasSize(2);
        assertThat(ids("q", "xylophone to:" + yesterday)).isEmpty();
        assertThat(ids("q", "channel:note from:" + yesterday)).contains(note.getLong("id"));
        // A word with nothing searchable in it leaves the filter alone: newest first, not by a score of 0.
        JsonObject punctuation = shop.search("q", "!!! channel:note", "limit", "10");
        assertThat(punctuation.getString("sort")).isEqualTo("date");
        assertThat(SearchFixture.messageIds(punctuation)).contains(note.getLong("id"));
    }

    @Test
    void anEditedMessageIsFoundByItsNewTextOnly() {
        long id = shop.customerWrites("edit-1", "Editor", "My trombone is broken").getLong("messageId");
        awaitFound("trombone", id);
        server.throughline().ingest().edit(new InboxRef(shop.inboxId(), 1, "api", "Shop"),
                new InboundEdit("edit-1", "My saxophone is broken", null, null));
        await().atMost(INDEXED).until(() -> ids("q", "saxophone").contains(id));
        assertThat(ids("q", "trombone")).doesNotContain(id);
    }

    @Test
    void mergedMessagesAreFoundInTheirNewThreadAndGoBackOnUnmerge() {
        JsonObject anna = shop.customerWrites("merge-a", "Anna Merge", "Первое сообщение про балалайку");
        JsonObject anya = shop.customerWrites("merge-b", "Anya Merge", "Друге повідомлення про бандуру");
        awaitFound("бандура", anya.getLong("messageId"));
        awaitFound("балалайка", anna.getLong("messageId"));
        shop.agent().post("/api/v1/contacts/" + anna.getLong("contactId") + "/merge",
                new JsonObject().put("otherContactId", anya.getLong("contactId"))).expect(200);
        String annaId = String.valueOf(anna.getLong("contactId"));
        await().atMost(INDEXED).until(() -> ids("q", "балалайка OR бандура", "contact", annaId).size() == 2);
        assertThat(ids("q", "балалайка OR бандура", "contact", annaId))
                .containsExactlyInAnyOrder(anna.getLong("messageId"), anya.getLong("messageId"));
        assertThat(conversationOf("бандура")).isEqualTo(anna.getLong("conversationId"));
        assertThat(ids("q", "бандура contact:\"Anya Merge\"")).containsExactly(anya.getLong("messageId"));

        shop.agent().post("/api/v1/contacts/" + anna.getLong("contactId") + "/unmerge", new JsonObject())
                .expect(200);
        await().atMost(INDEXED).until(() -> ids("q", "бандура", "contact", annaId).isEmpty());
        assertThat(conversationOf("бандура")).isEqualTo(anya.getLong("conversationId"));
        assertThat(ids("q", "бандура", "contact", String.valueOf(anya.getLong("contactId"))))
                .containsExactly(anya.getLong("messageId"));
    }

    @Test
    void aMovedMessageIsFoundWithItsNewContact() {
        JsonObject kept = shop.customerWrites("move-a", "Mover Kept", "Question about the glockenspiel");
        JsonObject stray = shop.customerWrites("move-b", "Mover Kept", "A word about the theremin");
        JsonObject other = shop.customerWrites("move-c", "Mover Other", "Hello there");
        awaitFound("theremin", stray.getLong("messageId"));
        String otherId = String.valueOf(other.getLong("contactId"));
        assertThat(ids("q", "theremin", "contact", otherId)).isEmpty();

        shop.agent().post("/api/v1/messages/" + stray.getLong("messageId") + "/move",
                new JsonObject().put("contactId", other.getLong("contactId"))).expect(200);
        await().atMost(INDEXED).until(() -> ids("q", "theremin", "contact", otherId).size() == 1);
        assertThat(ids("q", "theremin", "contact", String.valueOf(kept.getLong("contactId")))).isEmpty();
        assertThat(conversationOf("theremin")).isEqualTo(other.getLong("conversationId"));
    }

    @Test
    void aRedactedMessageLeavesTheIndex() {
        long id = shop.customerWrites("redact-1", "Secretive", "My card number is in this ocarina message")
                .getLong("messageId");
        awaitFound("ocarina", id);
        // What a redaction does: clear the message and tell every view by an event, in one transaction.
        server.throughline().database().tx(tx -> {
            tx.update("UPDATE messages SET body = '', redacted_at = now() WHERE id = $1", id);
            new EventLog(() -> { }).append(tx, 1, EventType.MESSAGE_UPDATED, new JsonObject()
                    .put("messageId", id).put("change", "redacted"));
            return null;
        });
        await().atMost(INDEXED).until(() -> !ids("q", "ocarina").contains(id));
    }

    @Test
    void anotherWorkspaceNeverSeesTheseMessages() {
        var other = server.throughline().workspaces().create("Other", "admin@other.test", "Other admin",
                "other-password-1");
        ApiClient otherAdmin = server.anonymous().login("admin@other.test", "other-password-1");
        SearchFixture otherShop = SearchFixture.create(server, otherAdmin, "Other shop");
        long mine = shop.customerWrites("iso-1", "Same Name", "Harpsichord tuning request").getLong("messageId");
        long theirs = otherShop.customerWrites("iso-1", "Same Name", "Harpsichord tuning request")
                .getLong("messageId");
        awaitFound("harpsichord", mine);
        await().atMost(INDEXED).until(() -> SearchFixture.messageIds(otherShop.search("q", "harpsichord"))
                .contains(theirs));
        assertThat(ids("q", "harpsichord")).containsExactly(mine);
        assertThat(SearchFixture.messageIds(otherShop.search("q", "harpsichord"))).containsExactly(theirs);
        JsonObject theirHit = otherShop.search("q", "harpsichord").getJsonArray("hits").getJsonObject(0);
        assertThat(ids("q", "harpsichord", "contact", String.valueOf(theirHit.getJsonObject("contact").getLong("id"))))
                .isEmpty();
        assertThat(other.workspaceId()).isNotEqualTo(1L);
    }

    /**
     * A score depends on how many messages hold a word; counted over the whole index, it would let an agent tell
     * how many messages of other workspaces hold it. The same search scores the same, whatever another workspace
     * writes.
     */
    @Test
    void scoresSayNothingAboutOtherWorkspaces() {
        SearchFixture mine = shopInNewWorkspace("scores-a");
        SearchFixture theirs = shopInNewWorkspace("scores-b");
        long bassoon = mine.customerWrites("sc-1", "Marta", "The bassoon reed arrived cracked").getLong("messageId");
        mine.customerWrites("sc-2", "Marta", "Also the oboe case is scratched, photos attached");
        mine.customerWrites("sc-3", "Pavlo", "Where is my parcel? Ordered a week ago");
        await().atMost(INDEXED).until(() -> SearchFixture.messageIds(mine.search("q", "parcel")).size() == 1
                && SearchFixture.messageIds(mine.search("q", "bassoon")).contains(bassoon));
        double alone = score(mine, "bassoon cracked", bassoon);

        List<Long> written = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            written.add(theirs.customerWrites("sc-b-" + i, "Customer " + i, "Bassoon question number " + i
                    + ": is the bassoon in stock, and which reed suits a bassoon beginner?").getLong("messageId"));
        }
        await().atMost(INDEXED).until(() -> new HashSet<>(theirs.allMessageIds("q", "bassoon"))
                .containsAll(written));

        assertThat(score(mine, "bassoon cracked", bassoon)).isEqualTo(alone);
        assertThat(SearchFixture.messageIds(mine.search("q", "bassoon"))).containsExactly(bassoon);

        // A prefix whose stem splits is expanded over every workspace's words: each word starting so that only the
        // other workspace holds must not weigh in.
        long zither = mine.customerWrites("sc-4", "Marta", "zq olenaqq zither strings").getLong("messageId");
        await().atMost(INDEXED).until(() -> SearchFixture.messageIds(mine.search("q", "zither")).contains(zither));
        double before = score(mine, "zq-ol*", zither);
        List<Long> words = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            words.add(theirs.customerWrites("sc-c-" + i, "Customer " + i, "ol" + (char) ('a' + i) + "qqword"
                    + " arrived").getLong("messageId"));
        }
        await().atMost(INDEXED).until(() -> new HashSet<>(theirs.allMessageIds("q", "arrived")).containsAll(words));
        assertThat(score(mine, "zq-ol*", zither)).isEqualTo(before);
    }

    private static SearchFixture shopInNewWorkspace(String name) {
        String email = "admin@" + name + ".test";
        server.throughline().workspaces().create(name, email, "Admin " + name, "password-" + name + "-1");
        return SearchFixture.create(server, server.anonymous().login(email, "password-" + name + "-1"),
                "Shop " + name);
    }

    private static double score(SearchFixture fixture, String q, long messageId) {
        for (Object item : fixture.search("q", q).getJsonArray("hits")) {
            JsonObject hit = (JsonObject) item;
            if (hit.getLong("messageId") == messageId) {
                return hit.getDouble("score");
            }
        }
        throw new AssertionError("no hit for message " + messageId + " searching " + q);
    }

    @Test
    void malformedSearchesAreAnsweredWithAProblemThatSaysWhy() {
        problem(400, "q", "the quote at character 8 is never closed", "q", "refund \"broken");
        problem(400, "q", "unknown filter \"colour:\"", "q", "colour:red");
        problem(400, "status", "status:closed is not a status", "q", "refund", "status", "closed");
        problem(400, "q", "from:2024-02-30 is not a date", "q", "from:2024-02-30");
        problem(400, "to", "the dates exclude each other", "q", "refund", "from", "2024-05-01", "to", "2024-04-01");
        problem(400, "cursor", "is not a cursor returned by this API", "q", "refund", "cursor", "nonsense!");
        shop.customerWrites("cursor-1", "Cursor One", "an ocarinacursor question");
        awaitFound("ocarinacursor", shop.customerWrites("cursor-2", "Cursor Two", "another ocarinacursor question")
                .getLong("messageId"));
        await().atMost(INDEXED).until(() -> ids("q", "ocarinacursor").size() == 2);
        String cursor = shop.search("q", "ocarinacursor", "limit", "1").getString("nextCursor");
        assertThat(cursor).isNotNull();
        problem(400, "cursor", "belongs to another search", "q", "refund", "cursor", cursor);
        problem(400, "limit", "must be between 1 and 100", "q", "refund", "limit", "0");
        problem(400, "sort", "must be relevance or date", "q", "refund", "sort", "alphabetical");
        problem(400, "q", "type words to search for", "q", "   ");
        problem(400, "q", "has nothing to search for", "q", "!!! ???");
        // Phrases of many positions in all (one term of joined words, several, quoted or not, prefixes and OR too).
        problem(400, "q", "holds 300 words in its phrases and joined words; a search takes at most 256", "q",
                "a-".repeat(299) + "a");
        problem(400, "q", "holds 270 words", "q", ("b-".repeat(89) + "b ").repeat(3).strip());
        problem(400, "q", "holds 260 words", "q", "\"" + "c ".repeat(130).strip() + "\" OR "
                + "d-".repeat(129) + "d*");
        // A pasted sentence of a script written without spaces is one term of many positions, and is searched.
        SearchFixture.searchAs(shop.agent(), "q", "请问我的订单什么时候发货我已经等了两个星期了谢谢".repeat(4))
                .expect(200);
        problem(400, "assignee", "no agent with the email", "q", "assignee:ghost@nowhere.test");
        SearchFixture.searchAs(server.anonymous(), "q", "refund").expect(401);
    }

    private static void problem(int status, String field, String detail, String... params) {
        ApiClient.Response response = SearchFixture.searchAs(shop.agent(), params).expect(status);
        assertThat(response.header("Content-Type")).startsWith("application/problem+json");
        JsonObject problem = response.json();
        assertThat(problem.getString("detail")).contains(detail);
        assertThat(problem.getJsonArray("errors").getJsonObject(0).getString("field")).isEqualTo(field);
    }

    private static List<Long> ids(String... params) {
        return SearchFixture.messageIds(shop.search(params));
    }

    private static Long conversationOf(String q) {
        return shop.search("q", q).getJsonArray("hits").getJsonObject(0).getLong("conversationId");
    }

    private static void awaitFound(String q, long messageId) {
        await().atMost(INDEXED).until(() -> new HashSet<>(ids("q", q)).contains(messageId));
    }

    private static long myAgentId(ApiClient agent) {
        for (Object item : agent.get("/api/v1/agents").expect(200).json().getJsonArray("agents")) {
            JsonObject json = (JsonObject) item;
            if (TestServer.ADMIN_EMAIL.equals(json.getString("email"))) {
                return json.getLong("id");
            }
        }
        throw new AssertionError("the admin is not among the agents");
    }
}
