package io.throughline.connector;

import io.vertx.core.json.JsonObject;
import java.util.Collection;
import java.util.Optional;
import java.util.Set;

/**
 * The single ingest path. Each call returns only after the change is committed to PostgreSQL, so a connector
 * acknowledges to its source (IMAP checkpoint, Telegram offset, webhook 200) only after it returns.
 *
 * <p>Calls block: never call them on an event loop. They are idempotent on {@code (inbox, externalId)}.
 */
public interface InboundSink {

    /** Stores a customer message in its contact's one conversation. A repeated externalId returns the first. */
    IngestReceipt accept(InboundMessage message);

    /** Replaces the text of a message received earlier, keeping the previous text. */
    IngestReceipt edit(InboundEdit edit);

    /** Records what the channel reported about an outbound message: a bounce, a delivery, a read. */
    void report(DeliveryReport report);

    /**
     * Which of these external ids the inbox already holds, as a received message or as one it sent. A connector
     * that must read its source again (an IMAP folder whose UIDVALIDITY changed) skips those before downloading
     * them; {@link #accept} would only have found them duplicates.
     */
    Set<String> stored(Collection<String> externalIds);

    /**
     * The channel metadata of the message this inbox received under {@code externalId}: what the connector gave
     * with it, with its edits' merged in; empty when the inbox received none by that id, or an agent removed it
     * (its edits are refused: nothing is to be fetched for them). A connector reads what it
     * noted there before it fetches something again (a Telegram edit whose file stayed the same).
     */
    Optional<JsonObject> metadata(String externalId);
}
