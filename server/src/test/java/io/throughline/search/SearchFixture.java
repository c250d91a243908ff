package io.throughline.search;

import io.throughline.testing.ApiClient;
import io.throughline.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Feeds customer messages through a real API inbox (the single ingest path) and searches through the real
 * HTTP API, as another system and an agent would.
 */
final class SearchFixture {

    private final ApiClient agent;
    private final ApiClient inbox;
    private final long inboxId;

    private SearchFixture(ApiClient agent, ApiClient inbox, long inboxId) {
        this.agent = agent;
        this.inbox = inbox;
        this.inboxId = inboxId;
    }

    /** An API inbox in the agent's workspace (the agent must be an admin). */
    static SearchFixture create(TestServer server, ApiClient admin, String inboxName) {
        JsonObject created = admin.post("/api/v1/inboxes", new JsonObject().put("kind", "api").put("name", inboxName)
                .put("config", new JsonObject().put("webhookUrl", "http://127.0.0.1:9/unused"))).expect(201).json();
        ApiClient inbox = new ApiClient(server.url()).withToken(created.getString("token"));
        return new SearchFixture(admin, inbox, created.getLong("id"));
    }

    ApiClient agent() {
        return agent;
    }

    long inboxId() {
        return inboxId;
    }

    /** Ingests a message from a customer known by an external id; returns the receipt. */
    JsonObject customerWrites(String externalId, String customer, String body) {
        return customerWritesWithSubject(externalId, customer, null, body);
    }

    JsonObject customerWritesWithSubject(String externalId, String customer, String subject, String body) {
        JsonObject message = new JsonObject().put("externalId", externalId)
                .put("contact", new JsonObject().put("name", customer).put("identities", new JsonArray()
                        .add(new JsonObject().put("kind", "external_id").put("value", customer))))
                .put("body", body);
        if (subject != null) {
            message.put("subject", subject);
        }
        return inbox.post("/api/v1/inboxes/" + inboxId + "/inbound", message).expect(201).json();
    }

    /** Ingests a message from a customer with the given identities (kind → value). */
    JsonObject customerWithIdentities(String externalId, String customer, Map<String, String> identities,
                                      String body) {
        JsonArray list = new JsonArray();
        identities.forEach((kind, value) -> list.add(new JsonObject().put("kind", kind).put("value", value)));
        return inbox.post("/api/v1/inboxes/" + inboxId + "/inbound", new JsonObject().put("externalId", externalId)
                .put("contact", new JsonObject().put("name", customer).put("identities", list))
                .put("body", body)).expect(201).json();
    }

    /** {@code GET /api/v1/search} with these parameters, expecting 200. */
    JsonObject search(String... params) {
        return searchAs(agent, params).expect(200).json();
    }

    static ApiClient.Response searchAs(ApiClient client, String... params) {
        List<String> pairs = new ArrayList<>();
        for (int i = 0; i + 1 < params.length; i += 2) {
            pairs.add(params[i] + "=" + URLEncoder.encode(params[i + 1], StandardCharsets.UTF_8));
        }
        return client.get("/api/v1/search?" + String.join("&", pairs));
    }

    /** The message ids of a search's hits, in order. */
    static List<Long> messageIds(JsonObject result) {
        return result.getJsonArray("hits").stream().map(h -> ((JsonObject) h).getLong("messageId"))
                .collect(Collectors.toList());
    }

    /** Every message id the query finds, following the cursor page by page. */
    List<Long> allMessageIds(String... params) {
        List<Long> ids = new ArrayList<>();
        String cursor = null;
        do {
            List<String> all = new ArrayList<>(List.of(params));
            all.add("limit");
            all.add("100");
            if (cursor != null) {
                all.add("cursor");
                all.add(cursor);
            }
            JsonObject page = search(all.toArray(new String[0]));
            ids.addAll(messageIds(page));
            cursor = page.getString("nextCursor");
        } while (cursor != null);
        return ids;
    }
}
