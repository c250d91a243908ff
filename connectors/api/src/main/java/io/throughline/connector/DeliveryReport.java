package io.throughline.connector;

import java.util.Objects;

/**
 * What a channel later said about an outbound message (a bounce, a delivery notice).
 *
 * @param externalId the external id the channel gave the outbound message (see {@link DeliveryReceipt})
 * @param outcome what happened
 * @param reason the channel's words, shown to agents
 */
public record DeliveryReport(String externalId, Outcome outcome, String reason) {

    public DeliveryReport {
        Objects.requireNonNull(externalId, "externalId");
        Objects.requireNonNull(outcome, "outcome");
    }

    /** The two facts a channel can report after sending. */
    public enum Outcome {
        DELIVERED,
        FAILED
    }
}
