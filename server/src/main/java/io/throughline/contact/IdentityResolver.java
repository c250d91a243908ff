package io.throughline.contact;

import io.throughline.connector.Identity;
import io.throughline.connector.Sender;
import io.throughline.store.Sql;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Decides which contact a sender is (ARCHITECTURE.md rule 2):
 * <ul>
 *   <li>a proven identity that another contact already proved is that contact, automatically;</li>
 *   <li>a claimed identity is only attached as claimed, and where it matches another contact it creates a merge
 *       suggestion for agents, never a merge;</li>
 *   <li>otherwise the sender is a new contact.</li>
 * </ul>
 */
public final class IdentityResolver {

    private final ContactRepository contacts;

    public IdentityResolver(ContactRepository contacts) {
        this.contacts = contacts;
    }

    /**
     * What resolution did, so ingest can write the events.
     *
     * @param contactId the sender's contact
     * @param createdContact the contact was created now
     * @param added identities attached or upgraded to proven
     * @param suggestions merge suggestions created now: ids and evidence
     */
    /** @param named the sender's name became the name of a known contact that had none */
    public record Resolution(long contactId, boolean createdContact, List<ContactIdentity> added,
                             List<Suggestion> suggestions, boolean named) {
    }

    /** A merge suggestion created during resolution. */
    public record Suggestion(long id, long contactId, long otherContactId, JsonObject evidence) {
    }

    /** The contact that proves one of these identities, if any. */
    public Optional<Long> provenContact(Sql tx, long workspaceId, Sender sender) {
        for (Identity identity : sender.identities()) {
            if (identity.proven()) {
                Optional<Long> owner = contacts.provenOwner(tx, workspaceId, identity.kind(), identity.value());
                if (owner.isPresent()) {
                    return owner;
                }
            }
        }
        return Optional.empty();
    }

    /** The returning customer this sender proves to be, with what ingest needs to know about them. */
    public Optional<KnownContact> known(Sql tx, long workspaceId, Sender sender) {
        return contacts.provenOwnerOfAny(tx, workspaceId, sender.identities());
    }

    /**
     * Finds or creates the sender's contact and attaches the sender's identities to it.
     *
     * @param known the result of {@link #known} for this sender (ingest has it already)
     */
    public Resolution resolve(Sql tx, long workspaceId, Long inboxId, Sender sender, Optional<KnownContact> known) {
        long contactId;
        List<KnownContact.Held> existing;
        boolean named = false;
        if (known.isPresent()) {
            contactId = known.get().id();
            existing = known.get().identities();
            String name = blankToNull(sender.name());
            if (name != null && known.get().name() == null) {
                named = contacts.setNameIfMissing(tx, workspaceId, contactId, name);
            }
        } else {
            contactId = contacts.insert(tx, workspaceId, blankToNull(sender.name())).id();
            existing = List.of();
        }
        Resolution attached = attach(tx, workspaceId, inboxId, contactId, sender.identities(), true, existing);
        return new Resolution(contactId, known.isEmpty(), attached.added(), attached.suggestions(), named);
    }

    /**
     * Attaches identities to a known contact. With {@code trustProven} false (a message threaded by headers from a
     * sender this contact never proved) every identity is attached as claimed only.
     */
    public Resolution attach(Sql tx, long workspaceId, Long inboxId, long contactId, List<Identity> identities,
                             boolean trustProven) {
        List<KnownContact.Held> existing = contacts.identities(tx, workspaceId, contactId).stream()
                .map(i -> new KnownContact.Held(i.kind(), i.value(), i.proven())).toList();
        return attach(tx, workspaceId, inboxId, contactId, identities, trustProven, existing);
    }

    private Resolution attach(Sql tx, long workspaceId, Long inboxId, long contactId, List<Identity> identities,
                              boolean trustProven, List<KnownContact.Held> existing) {
        List<ContactIdentity> added = new ArrayList<>();
        List<Suggestion> suggestions = new ArrayList<>();
        for (Identity identity : identities) {
            boolean proven = identity.proven() && trustProven;
            boolean alreadyHeld = existing.stream().anyMatch(e -> e.kind() == identity.kind()
                    && e.value().equals(identity.value()) && (e.proven() || !proven));
            if (alreadyHeld) {
                // The usual case (a known customer writes again): nothing to attach, nothing new to suggest.
                continue;
            }
            if (proven) {
                Optional<Long> owner = contacts.provenOwner(tx, workspaceId, identity.kind(), identity.value());
                if (owner.isPresent()) {
                    // This very contact, when the proven row sits with a contact merged into it: it proves it
                    // already, and a second proven row would break the rule that one contact holds it.
                    if (owner.get() != contactId) {
                        suggest(tx, workspaceId, contactId, owner.get(), identity, "proven by another contact",
                                suggestions);
                    }
                    continue;
                }
            }
            contacts.attach(tx, workspaceId, contactId, identity.kind(), identity.value(), proven, inboxId)
                    .ifPresent(added::add);
            for (ContactIdentity other : contacts.holders(tx, workspaceId, identity.kind(), identity.value(),
                    contactId)) {
                suggest(tx, workspaceId, contactId, other.contactId(), identity,
                        other.proven() ? "proven by the other contact" : "claimed by both contacts", suggestions);
            }
        }
        return new Resolution(contactId, false, added, suggestions, false);
    }

    private void suggest(Sql tx, long workspaceId, long contactId, long otherId, Identity identity, String why,
                         List<Suggestion> out) {
        JsonObject evidence = new JsonObject()
                .put("kind", identity.kind().wireName())
                .put("value", identity.value())
                .put("reason", why);
        contacts.suggestMerge(tx, workspaceId, contactId, otherId, evidence)
                .ifPresent(id -> out.add(new Suggestion(id, contactId, otherId, evidence)));
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value.strip();
    }
}
