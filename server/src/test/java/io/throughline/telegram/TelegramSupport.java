package io.throughline.telegram;

import static org.awaitility.Awaitility.await;

import io.throughline.testing.ApiClient;
import io.throughline.testing.FakeBot;
import io.throughline.testing.FakeBotApi;
import io.throughline.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** What the Telegram tests do through the agent API: create the inbox, find a customer's thread, move files. */
final class TelegramSupport {

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    static final Duration WAIT = Duration.ofSeconds(15);

    private TelegramSupport() {
    }

    /** A bot token in @BotFather's shape, unique per test class. */
    static String token(long botId) {
        return botId + ":AAH" + UUID.randomUUID().toString().replace("-", "");
    }

    /** What a node's /health tells the operator about one inbox; empty when the inbox is not open there. */
    static JsonObject inboxHealth(TestServer server, long inbox) {
        return server.operator().get("/health").json().getJsonObject("checks").getJsonArray("connectors").stream()
                .map(JsonObject.class::cast).filter(c -> Long.valueOf(inbox).equals(c.getLong("inboxId")))
                .findFirst().orElse(new JsonObject());
    }

    static JsonObject createInbox(ApiClient admin, FakeBotApi fake, FakeBot bot, JsonObject extra) {
        JsonObject config = new JsonObject().put("botToken", bot.token()).put("apiUrl", fake.apiUrl());
        config.mergeIn(extra);
        return admin.post("/api/v1/inboxes", new JsonObject().put("kind", "telegram").put("name", "Acme on Telegram")
                .put("config", config)).expect(201).json();
    }

    /** The conversation of the contact with this name, once it exists. */
    static long conversationOf(ApiClient admin, String contactName) {
        return await().atMost(WAIT).until(() -> findConversation(admin, contactName), Optional::isPresent)
                .orElseThrow();
    }

    static Optional<Long> findConversation(ApiClient admin, String contactName) {
        JsonArray list = admin.get("/api/v1/conversations?limit=100").expect(200).json()
                .getJsonArray("conversations");
        for (int i = 0; i < list.size(); i++) {
            JsonObject conversation = list.getJsonObject(i);
            if (contactName.equals(conversation.getJsonObject("contact").getString("name"))) {
                return Optional.of(conversation.getLong("id"));
            }
        }
        return Optional.empty();
    }

    static List<JsonObject> messages(ApiClient admin, long conversationId) {
        JsonArray messages = admin.get("/api/v1/conversations/" + conversationId + "/messages?limit=200")
                .expect(200).json().getJsonArray("messages");
        List<JsonObject> out = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            out.add(messages.getJsonObject(i));
        }
        return out;
    }

    /** Waits until the thread holds {@code count} messages, and returns them oldest first. */
    static List<JsonObject> awaitMessages(ApiClient admin, long conversationId, int count) {
        return await().atMost(WAIT).until(() -> messages(admin, conversationId), m -> m.size() >= count);
    }

    static JsonObject contact(ApiClient admin, long conversationId) {
        long contactId = admin.get("/api/v1/conversations/" + conversationId).expect(200).json()
                .getJsonObject("contact").getLong("id");
        return admin.get("/api/v1/contacts/" + contactId).expect(200).json();
    }

    static JsonObject identity(JsonObject contact, String kind) {
        JsonArray identities = contact.getJsonArray("identities");
        for (int i = 0; i < identities.size(); i++) {
            if (kind.equals(identities.getJsonObject(i).getString("kind"))) {
                return identities.getJsonObject(i);
            }
        }
        return null;
    }

    static byte[] download(ApiClient admin, long attachmentId) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(admin.baseUrl() + "/api/v1/attachments/"
                + attachmentId)).header("Authorization", "Bearer " + admin.token()).GET().build();
        try {
            HttpResponse<byte[]> response = HTTP.send(request, HttpResponse.BodyHandlers.ofByteArray());
            if (response.statusCode() != 200) {
                throw new AssertionError("attachment download answered " + response.statusCode());
            }
            return response.body();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Uploads a file as an agent would before attaching it to a reply; returns its attachment id. */
    static long upload(ApiClient admin, String filename, String contentType, byte[] content) {
        return admin.upload("/api/v1/attachments", filename, contentType, content).expect(201).json().getLong("id");
    }

    /** Some bytes that look like a file of the given kind (content is never inspected on the way). */
    static byte[] bytes(String label, int size) {
        byte[] out = new byte[size];
        byte[] seed = label.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < size; i++) {
            out[i] = (byte) (seed[i % seed.length] + i / seed.length);
        }
        return out;
    }
}
