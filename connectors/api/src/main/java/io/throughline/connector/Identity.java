package io.throughline.connector;

import java.util.Objects;

/**
 * A way to reach or recognise a customer.
 *
 * @param kind one of {@link IdentityKind}
 * @param value the channel's value (an address, a Telegram user id, a visitor id); the server normalizes it
 * @param proven true when the channel proves it (a Telegram user id, a signed widget identity, a mail we replied
 *     to); false when the customer only typed it
 */
public record Identity(IdentityKind kind, String value, boolean proven) {

    public Identity {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(value, "value");
    }

    public static Identity proven(IdentityKind kind, String value) {
        return new Identity(kind, value, true);
    }

    public static Identity claimed(IdentityKind kind, String value) {
        return new Identity(kind, value, false);
    }
}
