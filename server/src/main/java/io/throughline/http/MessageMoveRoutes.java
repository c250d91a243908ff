package io.throughline.http;

import io.throughline.contact.MessageMover;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;

/**
 * {@code POST /api/v1/messages/{id}/move} {@code {contactId?}}: moves a wrongly threaded customer message to the
 * conversation of the contact who wrote it (the given contact, the one proving its sender, or a new one).
 */
public final class MessageMoveRoutes {

    private final MessageMover mover;

    public MessageMoveRoutes(MessageMover mover) {
        this.mover = mover;
    }

    public void mount(Router router, Endpoints endpoints, long maxBodySize) {
        BodyHandler body = BodyHandler.create(false).setBodyLimit(maxBodySize);
        router.post("/api/v1/messages/:id/move").handler(body).handler(endpoints.agent(call -> {
            Long contactId = null;
            if (call.rc().body() != null && call.rc().body().length() > 0) {
                JsonBody json = call.body();
                contactId = json.optionalLong("contactId");
                json.validate();
            }
            return Reply.ok(mover.move(call.caller(), call.pathId("id"), contactId));
        }));
    }
}
