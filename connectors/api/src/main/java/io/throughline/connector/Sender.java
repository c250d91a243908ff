package io.throughline.connector;

import java.util.List;
import java.util.Objects;

/**
 * The customer behind a message: a display name and the identities the message carries.
 *
 * @param name the display name, or null
 * @param identities at least one; proven ones decide the contact, claimed ones only suggest a merge
 */
public record Sender(String name, List<Identity> identities) {

    public Sender {
        identities = List.copyOf(Objects.requireNonNull(identities, "identities"));
        if (identities.isEmpty()) {
            throw new IllegalArgumentException("a sender needs at least one identity");
        }
    }

    public static Sender of(String name, Identity... identities) {
        return new Sender(name, List.of(identities));
    }
}
