package io.throughline.conversation;

import java.util.Locale;
import java.util.Optional;

/** Where a conversation stands. A new inbound message reopens a snoozed or resolved one. */
public enum Status {
    OPEN,
    PENDING,
    SNOOZED,
    RESOLVED;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<Status> fromWireName(String name) {
        for (Status status : values()) {
            if (status.wireName().equals(name)) {
                return Optional.of(status);
            }
        }
        return Optional.empty();
    }
}
