package io.throughline.connector;

/** Facts a connector establishes about an inbound message. */
public enum InboundFlag {
    /** Sent by a machine (Auto-Submitted, Precedence: bulk, an out-of-office): never answered automatically. */
    AUTOMATED,
    /**
     * An auto-responder's answer (an out-of-office, a ticket system's "we received your request"): besides being
     * {@link #AUTOMATED}, it needs no answer, so it does not reopen a conversation or become whom replies go to.
     * Narrower than automated: a person's reply through a mailing list or a ticket system is automated too.
     */
    AUTO_REPLY,
    /**
     * Sent from an address no person reads (a mailer daemon's failure notice, a no-reply notification): agents see
     * it, and it reopens a conversation as any message does, but replies never go to it while the thread holds a
     * message from someone who does read.
     */
    NO_REPLY,
    /** The channel could not parse it; the raw original is kept as an attachment. */
    UNPARSED
}
