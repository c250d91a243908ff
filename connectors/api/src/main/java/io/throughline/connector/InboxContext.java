package io.throughline.connector;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.time.Clock;

/** What the server hands an inbox when it opens it. */
public interface InboxContext {

    Vertx vertx();

    InboxRef inbox();

    /** The stored config, secrets included. */
    JsonObject config();

    /** The single ingest path: every inbound message goes here. */
    InboundSink sink();

    /** Where receiving remembers how far it got; save only after {@link InboundSink#accept} returned. */
    CheckpointStore checkpoints();

    /** The content-addressed file store for attachments. */
    AttachmentStore attachments();

    /**
     * A secret key of this inbox, for signing what it sends out and must recognise when it comes back (the email
     * channel's Message-IDs). The same on every node and after restarts; never shown, never stored by the channel.
     */
    byte[] signingKey();

    /** The public base URL of this Throughline, for webhook registration and links. */
    URI publicUrl();

    /** The server's clock, for how long something has been going on (the database's is for what is stored). */
    default Clock clock() {
        return Clock.systemUTC();
    }
}
