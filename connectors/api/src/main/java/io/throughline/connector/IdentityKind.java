package io.throughline.connector;

import java.util.Arrays;
import java.util.Optional;

/** The kinds of identity a contact can have, by their wire names. */
public enum IdentityKind {
    EMAIL("email"),
    TELEGRAM("telegram"),
    WIDGET_VISITOR("widget_visitor"),
    PHONE("phone"),
    EXTERNAL_ID("external_id");

    private final String wireName;

    IdentityKind(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }

    public static Optional<IdentityKind> fromWireName(String name) {
        return Arrays.stream(values()).filter(k -> k.wireName.equals(name)).findFirst();
    }
}
