package io.throughline.connector;

import java.util.List;
import java.util.Objects;

/**
 * What a channel later said about an outbound message (a bounce, a delivery notice).
 *
 * @param externalId the external id the channel gave the outbound message (see {@link DeliveryReceipt})
 * @param outcome what happened
 * @param reason the channel's words, shown to agents
 * @param reportId the report's own id at its source (a bounce's Message-ID), so a report read again (a folder read
 *     anew) is applied once, not over a retry sent since; null when the channel has none
 * @param recipients the addresses the report is about (a bounce's final recipient, with an original one of the
 *     same domain), empty when it names none: a report naming only others (a copy the customer's server forwarded
 *     on, which bounced there) is not about the delivery, whose recipient got it
 */
public record DeliveryReport(String externalId, Outcome outcome, String reason, String reportId,
                             List<String> recipients) {

    public DeliveryReport {
        Objects.requireNonNull(externalId, "externalId");
        Objects.requireNonNull(outcome, "outcome");
        recipients = recipients == null ? List.of() : List.copyOf(recipients);
    }

    /** A report that names no recipient: about whoever the delivery went to. */
    public DeliveryReport(String externalId, Outcome outcome, String reason, String reportId) {
        this(externalId, outcome, reason, reportId, List.of());
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
