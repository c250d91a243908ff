package io.throughline.connector;

import java.util.Objects;

/**
 * What a channel later said about an outbound message (a bounce, a delivery notice).
 *
 * @param externalId the external id the channel gave the outbound message (see {@link DeliveryReceipt})
 * @param outcome what happened
 * @param reason the channel's words, shown to agents
 * @param reportId the report's own id at its source (a bounce's Message-ID), so a report read again (a folder read
 *     anew) is applied once, not over a retry sent since; null when the channel has none
 */
public record DeliveryReport(String externalId, Outcome outcome, String reason, String reportId) {

    public DeliveryReport {
        Objects.requireNonNull(externalId, "externalId");
        Objects.requireNonNull(outcome, "outcome");
    }

    /** A report the channel cannot name (a widget read receipt): applied whenever it applies. */
    public DeliveryReport(String externalId, Outcome outcome, String reason) {
        this(externalId, outcome, reason, null);
    }

    /** The two facts a channel can report after sending. */
    public enum Outcome {
        DELIVERED,
        FAILED
    }
}
