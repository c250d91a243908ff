package io.throughline.agent;

import java.util.Locale;
import java.util.Optional;

/** What an agent may do: admins also manage inboxes and agents. */
public enum Role {
    ADMIN,
    AGENT;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<Role> fromWireName(String name) {
        for (Role role : values()) {
            if (role.wireName().equals(name)) {
                return Optional.of(role);
            }
        }
        return Optional.empty();
    }
}
