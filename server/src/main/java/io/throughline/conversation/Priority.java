package io.throughline.conversation;

import java.util.Locale;
import java.util.Optional;

/** How urgent a conversation is, in Chatwoot's words. */
public enum Priority {
    NONE,
    LOW,
    MEDIUM,
    HIGH,
    URGENT;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<Priority> fromWireName(String name) {
        for (Priority priority : values()) {
            if (priority.wireName().equals(name)) {
                return Optional.of(priority);
            }
        }
        return Optional.empty();
    }
}
