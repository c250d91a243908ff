package io.throughline.ingest;

import io.throughline.connector.InboxRef;
import io.throughline.connector.Sender;
import io.throughline.contact.ContactLinks;
import io.throughline.contact.IdentityResolver;
import io.throughline.store.Sql;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ingest step for a message that carries a deep-link token (ARCHITECTURE.md rule 2). A valid link makes the
 * sender's identities proven identities of the contact it was issued for, and the message joins that contact's
 * thread. When the sender's account is already proven for another contact, the link only suggests merging the two
 * (never a silent merge) and the message stays with its sender. A rejected link (unknown, used by another account,
 * expired) is recorded on the message as a flag and in its metadata.
 */
final class DeepLinkStep {

    private static final Logger log = LoggerFactory.getLogger(DeepLinkStep.class);

    private final ContactLinks links;
    private final IdentityResolver resolver;

    DeepLinkStep(ContactLinks links, IdentityResolver resolver) {
        this.links = links;
        this.resolver = resolver;
    }

    /**
     * What following the link decided.
     *
     * @param linkId the redeemed link, or null
     * @param contactId the contact the message joins, or null when it goes by its sender
     * @param resolution the identities attached and merge suggestions made, or null
     */
    record Outcome(Long linkId, Long contactId, IdentityResolver.Resolution resolution) {
        static final Outcome NONE = new Outcome(null, null, null);

        /** The sender's own resolution, plus the suggestions the link made. */
        IdentityResolver.Resolution withSuggestions(IdentityResolver.Resolution own) {
            if (resolution == null || resolution.suggestions().isEmpty()) {
                return own;
            }
            List<IdentityResolver.Suggestion> all = new ArrayList<>(resolution.suggestions());
            all.addAll(own.suggestions());
            return new IdentityResolver.Resolution(own.contactId(), own.createdContact(), own.added(), all,
                    own.named());
        }
    }

    /**
     * Redeems the token inside the ingest transaction; adds flags and {@code metadata.deepLink} for agents.
     * {@code requireNotBlocked} throws when the link's contact is blocked, which drops the message.
     */
    Outcome follow(Sql tx, InboxRef inbox, Sender sender, String token, String identityText, List<String> flags,
                   JsonObject metadata, LongConsumer requireNotBlocked) {
        long workspaceId = inbox.workspaceId();
        ContactLinks.Redemption redemption = links.redeem(tx, workspaceId, inbox.id(), token, identityText);
        switch (redemption) {
            case ContactLinks.Redemption.Rejected rejected -> {
                flags.add("deep_link_rejected");
                metadata.put("deepLink", new JsonObject().put("status", rejected.reason()));
                log.info("deep link rejected inbox={} reason={}", inbox.id(), rejected.reason());
                return Outcome.NONE;
            }
            case ContactLinks.Redemption.AlreadyUsedBySender again -> {
                metadata.put("deepLink", new JsonObject().put("status", "already_linked")
                        .put("linkId", again.linkId()));
                return Outcome.NONE;
            }
            case ContactLinks.Redemption.Accepted accepted -> {
                requireNotBlocked.accept(accepted.contactId());
                IdentityResolver.Resolution attached = resolver.attach(tx, workspaceId, inbox.id(),
                        accepted.contactId(), sender.identities(), true);
                boolean joined = resolver.provenContact(tx, workspaceId, sender)
                        .map(owner -> owner == accepted.contactId()).orElse(false);
                metadata.put("deepLink", new JsonObject().put("status", joined ? "linked" : "conflict")
                        .put("linkId", accepted.linkId()).put("contactId", accepted.contactId()));
                log.info("deep link followed inbox={} link={} contact={} linked={}", inbox.id(), accepted.linkId(),
                        accepted.contactId(), joined);
                if (!joined) {
                    flags.add("deep_link_conflict");
                    return new Outcome(accepted.linkId(), null, attached);
                }
                return new Outcome(accepted.linkId(), accepted.contactId(), attached);
            }
        }
    }
}
