package io.throughline.connector;

/** Facts a connector establishes about an inbound message. */
public enum InboundFlag {
    /** Sent by a machine (Auto-Submitted, Precedence: bulk, an out-of-office): never answered automatically. */
    AUTOMATED,
    /** The channel could not parse it; the raw original is kept as an attachment. */
    UNPARSED
}
