package io.throughline.connector;

/**
 * The committed result of an ingest call.
 *
 * @param outcome what happened
 * @param messageId the stored message (the first one for a duplicate; 0 when blocked)
 * @param conversationId its conversation (0 when blocked)
 * @param contactId its contact
 */
public record IngestReceipt(Outcome outcome, long messageId, long conversationId, long contactId) {

    /** What ingest did with a message. Every outcome is final: the connector acknowledges it to its source. */
    public enum Outcome {
        /** Stored as a new message. */
        STORED,
        /** Its external id was already stored; nothing changed. */
        DUPLICATE,
        /** The contact is blocked: deliberately not stored, and logged. */
        BLOCKED,
        /** An edit named a message that was never stored (sent before the inbox existed). */
        NOT_FOUND
    }

    public boolean duplicate() {
        return outcome == Outcome.DUPLICATE;
    }
}
