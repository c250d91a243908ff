package io.throughline.connector;

import java.util.Set;
import java.util.TreeSet;

/**
 * The domains an inbox's config names, and those of them whose traffic reaches it through a listener every
 * workspace of the server shares (the email connector's SMTP listener). A workspace that routes a domain holds it:
 * no other workspace may name it, or its admin could create an inbox for another address of that domain and take
 * the mail its owner's MTA sends to the listener.
 *
 * @param routed the domains the shared listener delivers to this inbox by name (a subset of {@code named})
 * @param named every domain the config names, lower case
 */
public record DomainClaims(Set<String> routed, Set<String> named) {

    public static final DomainClaims NONE = new DomainClaims(Set.of(), Set.of());

    public DomainClaims {
        routed = Set.copyOf(routed);
        named = Set.copyOf(named);
        if (!named.containsAll(routed)) {
            throw new IllegalArgumentException("a routed domain must be named too");
        }
    }

    /** The domains one of these claims and the other names, in either direction: empty when both can coexist. */
    public Set<String> clashes(DomainClaims other) {
        TreeSet<String> clash = new TreeSet<>();
        routed.stream().filter(other.named::contains).forEach(clash::add);
        other.routed.stream().filter(named::contains).forEach(clash::add);
        return clash;
    }
}
