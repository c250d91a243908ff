package io.throughline.http;

import io.throughline.contact.MessageMover;
import io.throughline.conversation.MessageRedactor;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;

/**
 * What an agent does to one message, wherever its thread is:
 * <ul>
 *   <li>{@code POST /api/v1/messages/{id}/move} {@code {contactId?}}: moves a wrongly threaded customer message to
 *       the conversation of the contact who wrote it (the given contact, the one proving its sender, or a new
 *       one);</li>
 *   <li>{@code POST /api/v1/messages/{id}/redact}: removes its content for good (see {@link MessageRedactor}) and
 *       answers the message as it is now; again, the same answer.</li>
 * </ul>
 */
public final class MessageRoutes {

    private final MessageMover mover;
    private final MessageRedactor redactor;

    public MessageRoutes(MessageMover mover, MessageRedactor redactor) {
        this.mover = mover;
        this.redactor = redactor;
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
        router.post("/api/v1/messages/:id/redact").handler(body).handler(endpoints.agent(call ->
                Reply.ok(redactor.redact(call.caller(), call.pathId("id")))));
    }
}
