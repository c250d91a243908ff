package io.throughline.conversation;

import java.util.Locale;

/** In from the customer, out to the customer, or a private note between agents. */
public enum MessageKind {
    IN,
    OUT,
    NOTE;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static MessageKind fromWireName(String name) {
        return valueOf(name.toUpperCase(Locale.ROOT));
    }
}
