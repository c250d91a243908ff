package io.throughline.http;

import io.throughline.contact.DeepLinks;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;

/**
 * {@code POST /api/v1/contacts/{id}/deep-links} and {@code POST /api/v1/conversations/{id}/deep-links}
 * {@code {inboxId?}}: a single-use "Continue on Telegram" link for the contact (or the conversation's contact),
 * answered 201 {@code {url, channel, inboxId, contactId, conversationId, expiresAt}}.
 */
public final class DeepLinkRoutes {

    private final DeepLinks links;

    public DeepLinkRoutes(DeepLinks links) {
        this.links = links;
    }

    public void mount(Router router, Endpoints endpoints, BodyHandler body) {
        router.post("/api/v1/contacts/:id/deep-links").handler(body).handler(endpoints.agent(call ->
                Reply.created(links.forContact(call.caller(), call.pathId("id"), inboxId(call)))
                        .header("Cache-Control", "no-store")));
        router.post("/api/v1/conversations/:id/deep-links").handler(body).handler(endpoints.agent(call ->
                Reply.created(links.forConversation(call.caller(), call.pathId("id"), inboxId(call)))
                        .header("Cache-Control", "no-store")));
    }

    /** The body is optional; when present it may name the inbox. */
    private static Long inboxId(Call call) {
        if (call.rc().body() == null || call.rc().body().length() <= 0) {
            return null;
        }
        JsonBody json = call.body();
        Long inboxId = json.optionalLong("inboxId");
        json.validate();
        return inboxId;
    }
}
