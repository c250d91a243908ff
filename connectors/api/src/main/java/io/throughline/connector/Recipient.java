package io.throughline.connector;

import java.util.Objects;

/**
 * Where a reply goes: one of the contact's identities, with the contact's name.
 *
 * @param kind the identity kind
 * @param value the identity value (an address, a chat id)
 * @param name the contact's display name, or null
 */
public record Recipient(IdentityKind kind, String value, String name) {

    public Recipient {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(value, "value");
    }
}
