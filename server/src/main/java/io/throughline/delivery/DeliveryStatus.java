package io.throughline.delivery;

import java.util.Locale;

/** Where a delivery stands. {@code pending} covers waiting, sending and waiting to retry. */
public enum DeliveryStatus {
    PENDING,
    SENT,
    FAILED,
    DELIVERED,
    /** A scheduled, conditional delivery (an email fallback) whose condition no longer held when it came due. */
    SKIPPED;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
