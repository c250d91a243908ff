package io.throughline.ingest;

import io.throughline.attachment.Attachment;
import io.throughline.attachment.AttachmentRepository;
import io.throughline.connector.DeliveryReport;
import io.throughline.connector.Identity;
import io.throughline.connector.InboundAttachment;
import io.throughline.connector.InboundEdit;
import io.throughline.connector.InboundMessage;
import io.throughline.connector.InboundSink;
import io.throughline.connector.InboxRef;
import io.throughline.connector.IngestReceipt;
import io.throughline.connector.Sender;
import io.throughline.connector.StorageUnavailable;
import io.throughline.connector.Texts;
import io.throughline.contact.ContactLinks;
import io.throughline.contact.ContactRepository;
import io.throughline.contact.Identities;
import io.throughline.contact.IdentityResolver;
import io.throughline.contact.KnownContact;
import io.throughline.conversation.Conversation;
import io.throughline.conversation.ConversationMerged;
import io.throughline.conversation.ConversationRepository;
import io.throughline.conversation.Message;
import io.throughline.conversation.MessageKind;
import io.throughline.conversation.MessageRepository;
import io.throughline.conversation.MessageView;
import io.throughline.conversation.NewMessage;
import io.throughline.delivery.DeliveryRepository;
import io.throughline.delivery.DeliveryStatus;
import io.throughline.realtime.EventLog;
import io.throughline.realtime.EventType;
import io.throughline.store.Database;
import io.throughline.store.Sql;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The single ingest path (ARCHITECTURE.md rules 1 to 3). One transaction per message: deduplicate on
 * {@code (inbox, external id)}, pick the conversation (headers, then the sender's proven identity, then new),
 * attach identities by the proven/claimed rules, store the message and its attachments, reopen the conversation,
 * and append the events. It returns only after commit, so the connector may then acknowledge to its source.
 */
public final class IngestService {

    private static final Logger log = LoggerFactory.getLogger(IngestService.class);
    /** Bodies beyond this are cut, and the message flagged; the original stays with the channel (or the .eml). */
    static final int MAX_BODY_CHARS = 256 * 1024;
    static final int MAX_SUBJECT_CHARS = 998;
    private static final String QUOTING_CHANNEL = "email";
    private static final Pattern FORWARD_SUBJECT = Pattern.compile("^\\s*(fwd?|wg|tr|rv|pd|doorst|vs|пересл|"
            + "переслано|fw)\\s*:", Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE);

    private final Database database;
    private final MessageRepository messages;
    private final ConversationRepository conversations;
    private final ContactRepository contacts;
    private final IdentityResolver resolver;
    private final ConversationFinder finder;
    private final AttachmentRepository attachments;
    private final DeliveryRepository deliveries;
    private final MessageView views;
    private final EventLog events;
    private final HtmlSanitizer sanitizer;
    private final Clock clock;
    private final ContactLinks links;
    private final DeepLinkStep deepLinks;
    private final AutoReplies autoReplies;

    public IngestService(Database database, MessageRepository messages, ConversationRepository conversations,
                         ContactRepository contacts, IdentityResolver resolver, ConversationFinder finder,
                         AttachmentRepository attachments, DeliveryRepository deliveries, MessageView views,
                         EventLog events, HtmlSanitizer sanitizer, Clock clock, ContactLinks links,
                         AutoReplies autoReplies) {
        this.database = database;
        this.messages = messages;
        this.conversations = conversations;
        this.contacts = contacts;
        this.resolver = resolver;
        this.finder = finder;
        this.attachments = attachments;
        this.deliveries = deliveries;
        this.views = views;
        this.events = events;
        this.sanitizer = sanitizer;
        this.clock = clock;
        this.links = links;
        this.deepLinks = new DeepLinkStep(links, resolver);
        this.autoReplies = autoReplies;
    }

    /** The sink a connector gets for one inbox. */
    public InboundSink sinkFor(InboxRef inbox) {
        return new InboundSink() {
            @Override
            public IngestReceipt accept(InboundMessage message) {
                return IngestService.this.accept(inbox, message);
            }

            @Override
            public IngestReceipt edit(InboundEdit edit) {
                return IngestService.this.edit(inbox, edit);
            }

            @Override
            public void report(DeliveryReport report) {
                IngestService.this.report(inbox, report);
            }

            @Override
            public Set<String> stored(Collection<String> externalIds) {
                // Looked up as accept stores them (without U+0000, which PostgreSQL refuses), answered as asked.
                Set<String> found = Database.orUnavailable(() -> messages.storedExternalIds(database.sql(),
                        inbox.id(), externalIds.stream().map(NulBytes::strip).toList()));
                return externalIds.stream().filter(id -> found.contains(NulBytes.strip(id)))
                        .collect(Collectors.toSet());
            }

            @Override
            public Optional<JsonObject> metadata(String externalId) {
                return Database.orUnavailable(() -> messages.metadataByExternalId(database.sql(), inbox.id(),
                        NulBytes.strip(externalId)));
            }
        };
    }

    public IngestReceipt accept(InboxRef inbox, InboundMessage received) {
        InboundMessage message = NulBytes.strip(received);
        Sender sender = normalize(message.sender());
        HtmlSanitizer.Sanitized sanitized = sanitizer.sanitizeWithQuotes(NulBytes.strip(message.html()));
        String html = sanitized == null ? null : sanitized.full();
        List<String> flags = new ArrayList<>();
        message.flags().forEach(f -> flags.add(f.name().toLowerCase(Locale.ROOT)));
        String body = NulBytes.strip(message.text());
        if (body.length() > MAX_BODY_CHARS) {
            body = Texts.cut(body, MAX_BODY_CHARS);
            flags.add("truncated");
        }
        // Only mail carries the history it answers: a chat message with a "--" line or "X wrote:" is all the
        // customer's. A forward is read for the forwarded part: never trim it away.
        boolean forward = message.subject() != null && FORWARD_SUBJECT.matcher(message.subject()).find();
        JsonObject display = forward || !QUOTING_CHANNEL.equals(inbox.kind()) ? null
                : display(body, html, QuoteTrimmer.trim(body), sanitized == null ? null : sanitized.trimmed());
        Prepared prepared = new Prepared(inbox, message, sender, body, html, subject(message.subject()),
                NulBytes.strip(message.metadata()), flags, display);
        try {
            // A message sent again (the source never heard the first answer) is known by its id before anything
            // is placed: the placement since may differ (the contact blocked, its thread merged) or fail.
            Optional<MessageRepository.Located> stored = message.externalId() == null ? Optional.empty()
                    : messages.byExternalId(database.sql(), inbox.id(), message.externalId());
            if (stored.isPresent()) {
                log.debug("message duplicate inbox={} externalId={}", inbox.id(), message.externalId());
                return duplicateOf(stored.get());
            }
            IngestReceipt receipt = storeFollowingMerges(prepared);
            if (receipt.outcome() == IngestReceipt.Outcome.STORED) {
                log.info("message ingested inbox={} conversation={} message={} contact={}", inbox.id(),
                        receipt.conversationId(), receipt.messageId(), receipt.contactId());
            } else {
                log.debug("message duplicate inbox={} externalId={}", inbox.id(), message.externalId());
            }
            return receipt;
        } catch (Blocked blocked) {
            log.info("message from blocked contact dropped inbox={} contact={}", inbox.id(), blocked.contactId);
            return new IngestReceipt(IngestReceipt.Outcome.BLOCKED, 0, 0, blocked.contactId);
        } catch (LostRace race) {
            try {
                return duplicate(inbox, message.externalId());
            } catch (RuntimeException e) {
                throw Database.isTransient(e) ? Database.unavailable(e) : e;
            }
        } catch (RuntimeException e) {
            if (Database.isTransient(e)) {
                log.warn("message not stored, the database is unavailable inbox={} externalId={}: {}", inbox.id(),
                        message.externalId(), e.toString());
                throw Database.unavailable(e);
            }
            throw e;
        }
    }

    /**
     * Stores the message; when an agent merged its conversation away between the placement and the insert, places
     * it again (it then follows the merge). Three merges in a row hitting one message fail it back to its
     * connector, which keeps it at the source and retries.
     */
    private IngestReceipt storeFollowingMerges(Prepared prepared) {
        for (int attempt = 1; ; attempt++) {
            try {
                return database.txWithRetry(3, tx -> store(tx, prepared));
            } catch (ConversationMerged merged) {
                if (attempt >= 3) {
                    throw merged;
                }
                log.info("conversation merged while a message was placed in it, placing again inbox={}"
                        + " conversation={}", prepared.inbox().id(), merged.conversationId());
            }
        }
    }

    private record Prepared(InboxRef inbox, InboundMessage message, Sender sender, String body, String html,
                            String subject, JsonObject metadata, List<String> flags, JsonObject display) {
    }

    /**
     * What the thread view shows when quoted history or a signature was trimmed ({@code display} in the message
     * JSON); null when nothing was. The full body and HTML stay the message's own.
     */
    /**
     * A subject cut at RFC 5322's line length, at a character's boundary: its sender controls its length, and it
     * travels in every event of the message and back in each reply's "Re:".
     */
    static String subject(String subject) {
        return Texts.cut(NulBytes.strip(subject), MAX_SUBJECT_CHARS);
    }

    private static JsonObject display(String body, String html, String trimmedBody, String trimmedHtml) {
        if (trimmedBody == null && trimmedHtml == null) {
            return null;
        }
        return new JsonObject().put("body", trimmedBody != null ? trimmedBody : body)
                .put("html", trimmedHtml != null ? trimmedHtml : html).put("trimmed", true);
    }

    /**
     * Where a message goes: its contact (and that contact's conversation, when already known), its author, and the
     * threading decision with its evidence.
     *
     * @param placedBy the sender's identity that found a returning customer's contact, or null
     */
    private record Placement(long contactId, Long conversationId, long authorContactId, boolean senderVerified,
                             ThreadingDecision decision, IdentityResolver.Resolution resolution,
                             boolean contactCreated, Identity placedBy) {
    }

    /**
     * The transaction. A duplicate external id is caught by the message insert itself (ON CONFLICT), which rolls
     * everything back. The common case, a new message from a returning customer, costs six round trips: begin, the
     * check that none of the sender's proven identities is a blocked contact's, the contact with its identities and
     * conversation, the message with its conversation change, the event, commit.
     */
    private IngestReceipt store(Sql tx, Prepared p) {
        long workspaceId = p.inbox().workspaceId();
        if (QUOTING_CHANNEL.equals(p.inbox().kind()) && p.message().externalId() != null) {
            // One mail to two of the workspace's addresses (support@ in To, sales@ in Cc) comes in through both
            // inboxes: it is one message of the thread, stored once.
            Identity from = p.sender().identities().getFirst();
            Optional<MessageRepository.Located> copy = messages.copyInAnotherInbox(tx, workspaceId, p.inbox().id(),
                    p.inbox().kind(), p.message().externalId(), from.kind().wireName(), from.value());
            if (copy.isPresent()) {
                log.info("mail already stored through another inbox, kept once inbox={} message={}",
                        p.inbox().id(), copy.get().messageId());
                return duplicateOf(copy.get());
            }
        }
        // A blocked customer is refused whichever of their proven identities comes first: another held by a contact
        // not blocked (a shop naming both, a Telegram account sharing a blocked contact's phone) must not let them in.
        Optional<Long> blockedOwner = contacts.blockedProvenOwner(tx, workspaceId, p.sender().identities());
        if (blockedOwner.isPresent()) {
            throw new Blocked(blockedOwner.get());
        }
        Optional<ThreadingDecision.ByHeaders> byHeaders = finder.byHeaders(tx, workspaceId, p.inbox().kind(),
                p.message().thread());
        List<String> flags = new ArrayList<>(p.flags());
        JsonObject metadata = p.metadata().copy();
        String linkToken = p.message().thread().linkToken();
        DeepLinkStep.Outcome link = byHeaders.isPresent() || linkToken == null ? DeepLinkStep.Outcome.NONE
                : deepLinks.follow(tx, p.inbox(), p.sender(), linkToken, identityText(p.sender()), flags, metadata,
                        contact -> requireNotBlocked(tx, workspaceId, contact));
        Placement placement;
        if (byHeaders.isPresent()) {
            placement = placeByHeaders(tx, p, byHeaders.get());
        } else if (link.contactId() != null) {
            placement = new Placement(link.contactId(), null, link.contactId(), true,
                    new ThreadingDecision.ByDeepLink(link.linkId(), identityText(p.sender())), link.resolution(),
                    false, null);
        } else {
            placement = placeBySender(tx, p, link);
        }
        boolean conversationCreated = false;
        long conversationId;
        if (placement.conversationId() != null) {
            conversationId = placement.conversationId();
        } else {
            ConversationRepository.Ensured ensured = conversations.ensureFor(tx, workspaceId, placement.contactId());
            conversationId = ensured.conversation().id();
            conversationCreated = ensured.created();
        }
        MessageRepository.Stored stored = insertMessage(tx, p, placement, conversationId, flags, metadata);
        Message message = stored.message();
        if (placement.resolution() != null && !placement.resolution().added().isEmpty()) {
            contacts.addedBy(tx, workspaceId, placement.resolution().added(), message.id());
        }
        List<Attachment> files = new ArrayList<>();
        for (InboundAttachment attachment : p.message().attachments()) {
            files.add(attachments.insert(tx, workspaceId, message.id(), attachment.file(), attachment.contentId(),
                    attachment.inline()));
        }
        message = linkInlineImages(tx, message, files);
        appendEvents(tx, p, placement, conversationCreated, stored.conversation(), message, files);
        if (link.linkId() != null) {
            links.recordMessage(tx, workspaceId, link.linkId(), message.id());
        }
        if (p.message().autoReply() != null) {
            autoReplies.answer(tx, p.inbox(), stored.conversation().conversation().toJson(),
                    p.sender().identities().getFirst(), p.sender().name(), p.message().autoReply());
        }
        return new IngestReceipt(IngestReceipt.Outcome.STORED, message.id(), conversationId,
                placement.authorContactId());
    }

    /** Points the HTML's {@code cid:} images at the attachments just stored for them. */
    private Message linkInlineImages(Sql tx, Message message, List<Attachment> files) {
        Map<String, String> urls = new HashMap<>();
        for (Attachment file : files) {
            if (file.contentId() != null) {
                urls.put(file.contentId(), file.toJson().getString("url"));
            }
        }
        if (urls.isEmpty() || message.html() == null) {
            return message;
        }
        String html = sanitizer.linkInlineImages(message.html(), urls);
        JsonObject metadata = message.metadata();
        JsonObject display = metadata.getJsonObject(MessageView.DISPLAY);
        if (display != null && display.getString("html") != null) {
            metadata = metadata.copy();
            metadata.put(MessageView.DISPLAY, display.copy().put("html",
                    sanitizer.linkInlineImages(display.getString("html"), urls)));
        }
        if (html.equals(message.html()) && metadata == message.metadata()) {
            return message;
        }
        return messages.replaceHtml(tx, message.workspaceId(), message.id(), html, metadata);
    }

    /**
     * No header or deep link names a conversation: the sender's proven identity does, or the sender is new. A deep
     * link that could not join its contact still contributes its merge suggestions.
     */
    private Placement placeBySender(Sql tx, Prepared p, DeepLinkStep.Outcome link) {
        long workspaceId = p.inbox().workspaceId();
        // A blocked owner of any of the sender's proven identities was refused before placing (store).
        Optional<KnownContact> known = resolver.known(tx, workspaceId, p.sender());
        IdentityResolver.Resolution resolution = link.withSuggestions(
                resolver.resolve(tx, workspaceId, p.inbox().id(), p.sender(), known));
        String identity = identityText(p.sender());
        ThreadingDecision decision = known.isPresent() ? new ThreadingDecision.BySender(identity)
                : new ThreadingDecision.NewConversation(identity);
        return new Placement(resolution.contactId(), known.map(KnownContact::conversationId).orElse(null),
                resolution.contactId(), true, decision, resolution, known.isEmpty(),
                known.map(KnownContact::via).orElse(null));
    }

    /**
     * A header names the conversation. When the sender is not proven to be that conversation's contact, the message
     * is still attached, but flagged, and its identities only claimed: a forwarded thread must not hand the
     * original customer's history to a stranger. An answer from an address this conversation's replies were sent to
     * (the email a chat visitor typed, which got the email fallback) is the customer's own: the round trip proves
     * it, and the address becomes proven for the contact, unless that address wrote into the thread as a stranger.
     */
    private Placement placeByHeaders(Sql tx, Prepared p, ThreadingDecision.ByHeaders decision) {
        long workspaceId = p.inbox().workspaceId();
        Conversation target = conversations.find(tx, workspaceId, decision.conversationId()).orElseThrow();
        long contactId = target.contactId();
        Optional<Long> senderContact = resolver.provenContact(tx, workspaceId, p.sender());
        Identity primary = p.sender().identities().getFirst();
        String answered = switch (decision) {
            case ThreadingDecision.ByReplyToken token -> null;
            case ThreadingDecision.ByInReplyTo reply -> reply.externalId();
            case ThreadingDecision.ByReferences reference -> reference.externalId();
        };
        if (senderContact.isPresent() && senderContact.get() != contactId && contacts.repliedWhileMerged(tx,
                workspaceId, senderContact.get(), contactId, primary.kind().wireName(), primary.value(), answered)) {
            // An agent judged these two customers one, then undid it: a reply sent to this sender meanwhile carries
            // the merged thread's token and ids, and the answer to it is the sender's own thread's, not a stranger
            // writing into this one. Other mail of theirs naming this thread (a colleague in CC) stays flagged here.
            log.info("headers name the thread of a contact unmerged from the sender's, threading by sender"
                    + " inbox={} conversation={} contact={}", p.inbox().id(), target.id(), senderContact.get());
            return placeBySender(tx, p, DeepLinkStep.Outcome.NONE);
        }
        // The round trip proves an address nobody but the contact brought into the thread (the email a chat visitor
        // typed). A stranger who wrote into it and was answered (as whoever wrote last is, by default) stays one;
        // so does an address typed by a contact proven otherwise (a signed-in customer): the mailbox answered, but
        // proving it theirs would thread its later mail into their thread, which their signed-in widget shows whole
        // (type someone's address, get their mail). An agent merges when it is theirs.
        boolean verified = senderContact.isPresent() ? senderContact.get() == contactId
                : primary.proven() && deliveries.reached(tx, workspaceId, target.id(), primary.kind().wireName(),
                        primary.value())
                        && !messages.wroteAsStranger(tx, workspaceId, target.id(), primary.kind().wireName(),
                                primary.value())
                        && !contacts.provenBeyondWidget(tx, workspaceId, contactId);
        requireNotBlocked(tx, workspaceId, senderContact.orElse(contactId));
        // A machine's mail that joined the thread by its headers (a relay's delay notice, a ticket system's
        // acknowledgement from its own address) brings no address of the customer's. Attached as claimed, the
        // newest claimed address became where email fallbacks and replies by email went (the mailer daemon), and
        // every customer the same relay wrote about was suggested as a merge with the others.
        boolean machine = !verified && (p.flags().contains("auto_reply") || p.flags().contains("no_reply"));
        IdentityResolver.Resolution resolution = machine
                ? new IdentityResolver.Resolution(contactId, false, List.of(), List.of(), false)
                : resolver.attach(tx, workspaceId, p.inbox().id(), contactId, p.sender().identities(), verified);
        return new Placement(contactId, target.id(), senderContact.orElse(contactId), verified, decision, resolution,
                false, null);
    }

    private MessageRepository.Stored insertMessage(Sql tx, Prepared p, Placement placement, long conversationId,
                                                   List<String> flags, JsonObject metadata) {
        if (!placement.senderVerified()) {
            flags.add("unverified_sender");
        }
        Identity primary = p.sender().identities().getFirst();
        metadata.put("from", new JsonObject().put("kind", primary.kind().wireName()).put("value", primary.value())
                .put("name", p.sender().name()).put("proven", primary.proven()));
        Identity placedBy = placement.placedBy();
        if (placedBy != null && !(placedBy.kind() == primary.kind() && placedBy.value().equals(primary.value()))) {
            // Found by another of the sender's identities than the first (a widget visitor new to this browser,
            // signed in as a known customer): an unmerge gives the message back to whoever holds that one.
            metadata.put("placedBy", new JsonObject().put("kind", placedBy.kind().wireName())
                    .put("value", placedBy.value()));
        }
        if (p.display() != null) {
            metadata.put(MessageView.DISPLAY, p.display());
        }
        return messages.insertInbound(tx, new NewMessage(p.inbox().workspaceId(), conversationId, p.inbox().id(),
                p.inbox().kind(), MessageKind.IN, "contact", placement.authorContactId(), null, p.body(), p.html(),
                p.subject(), p.message().externalId(), placement.decision().toJson(placement.senderVerified()),
                metadata, flags, p.message().sentAt())).orElseThrow(LostRace::new);
    }

    private static String identityText(Sender sender) {
        Identity primary = sender.identities().getFirst();
        return primary.kind().wireName() + ":" + primary.value();
    }

    private void appendEvents(Sql tx, Prepared p, Placement placement, boolean conversationCreated,
                              ConversationRepository.Changed changed, Message message, List<Attachment> files) {
        long workspaceId = p.inbox().workspaceId();
        JsonObject conversation = changed.conversation().toJson();
        if (placement.contactCreated()) {
            events.append(tx, workspaceId, EventType.CONTACT_CREATED, new JsonObject()
                    .put("contact", new JsonObject().put("id", placement.contactId()).put("name", p.sender().name())));
        }
        if (placement.resolution() != null && placement.resolution().named()) {
            // A customer known by address only now has a name: lists and headers showing "Unnamed" update.
            events.append(tx, workspaceId, EventType.CONTACT_UPDATED, new JsonObject()
                    .put("contactId", placement.contactId())
                    .put("contact", new JsonObject().put("id", placement.contactId()).put("name", p.sender().name())));
        } else if (!placement.contactCreated() && placement.resolution() != null
                && !placement.resolution().added().isEmpty()) {
            // A known customer wrote from a new address or account: an open contact panel shows it.
            events.append(tx, workspaceId, EventType.CONTACT_UPDATED, new JsonObject()
                    .put("contactId", placement.contactId()).put("reason", "identities added"));
        }
        if (conversationCreated) {
            events.append(tx, workspaceId, EventType.CONVERSATION_CREATED, new JsonObject()
                    .put("conversation", conversation));
        }
        appendSuggestions(tx, workspaceId, placement.resolution());
        JsonObject json = MessageView.toJson(message, p.sender().name(), files, null);
        events.append(tx, workspaceId, EventType.MESSAGE_CREATED, new JsonObject()
                .put("conversationId", message.conversationId()).put("message", json)
                .put("conversation", conversation));
        if (changed.statusChanged()) {
            events.append(tx, workspaceId, EventType.CONVERSATION_STATUS_CHANGED, new JsonObject()
                    .put("conversation", conversation).put("previousStatus", changed.previousStatus().wireName())
                    .put("reason", "customer wrote"));
        }
    }

    /**
     * Identities a channel learned about a known contact outside a message (an email a widget visitor typed into
     * the pre-chat form after writing): attached as claimed only, with the merge suggestions they raise, so a reply
     * can reach the customer there (an email fallback) without the claim ever opening another contact's thread.
     * {@code by} is the contact's identity that told them (the visitor): an unmerge gives them back with it.
     */
    public void claim(InboxRef inbox, long contactId, List<Identity> identities, Identity by) {
        List<Identity> claimed = identities.stream().map(Identities::normalize)
                .map(i -> Identity.claimed(i.kind(), i.value())).distinct().toList();
        if (claimed.isEmpty()) {
            return;
        }
        database.tx(tx -> {
            IdentityResolver.Resolution resolution = resolver.attach(tx, inbox.workspaceId(), inbox.id(), contactId,
                    claimed, false);
            contacts.addedByIdentity(tx, inbox.workspaceId(), resolution.added(), contactId, by);
            appendSuggestions(tx, inbox.workspaceId(), resolution);
            if (!resolution.added().isEmpty()) {
                events.append(tx, inbox.workspaceId(), EventType.CONTACT_UPDATED, new JsonObject()
                        .put("contactId", contactId).put("reason", "identities added"));
                log.info("identities claimed inbox={} contact={} added={}", inbox.id(), contactId,
                        resolution.added().size());
            }
            return null;
        });
    }

    private void appendSuggestions(Sql tx, long workspaceId, IdentityResolver.Resolution resolution) {
        for (IdentityResolver.Suggestion suggestion : resolution.suggestions()) {
            events.append(tx, workspaceId, EventType.MERGE_SUGGESTED, new JsonObject()
                    .put("suggestionId", suggestion.id()).put("contactId", suggestion.contactId())
                    .put("otherContactId", suggestion.otherContactId()).put("evidence", suggestion.evidence()));
        }
    }

    public IngestReceipt edit(InboxRef inbox, InboundEdit edit) {
        return Database.orUnavailable(() -> storeEdit(inbox, edit));
    }

    /** An edit is cleaned as a new message is: NUL bytes (PostgreSQL refuses them) out, the body capped. */
    private IngestReceipt storeEdit(InboxRef inbox, InboundEdit received) {
        InboundEdit edit = NulBytes.strip(received);
        Instant editedAt = edit.editedAt() == null ? Instant.now(clock) : edit.editedAt();
        String stripped = NulBytes.strip(edit.text());
        String text = stripped != null && stripped.length() > MAX_BODY_CHARS
                ? Texts.cut(stripped, MAX_BODY_CHARS) : stripped;
        String html = sanitizer.sanitize(NulBytes.strip(edit.html()));
        JsonObject metadata = NulBytes.strip(edit.metadata());
        // Retried: the message is locked before its conversation, which a merge moving it takes the other way round.
        return database.txWithRetry(3, tx -> {
            Optional<MessageRepository.Located> located = messages.lockByExternalId(tx, inbox.id(),
                    edit.externalId());
            if (located.isEmpty()) {
                return new IngestReceipt(IngestReceipt.Outcome.NOT_FOUND, 0, 0, 0);
            }
            MessageRepository.Located found = located.get();
            long contactId = found.authorContactId() == null ? 0 : found.authorContactId();
            // The customer as they are now: the message's author may have been merged into another contact since,
            // whose block is theirs.
            long customer = contactId == 0 ? 0 : contacts.live(tx, inbox.workspaceId(), contactId).orElse(contactId);
            if (customer != 0 && blocked(tx, inbox.workspaceId(), customer)) {
                // A block refuses what the customer sends, edits of what they sent before included.
                log.info("edit from blocked contact dropped inbox={} contact={}", inbox.id(), contactId);
                return new IngestReceipt(IngestReceipt.Outcome.BLOCKED, 0, 0, contactId);
            }
            JsonArray replacedFiles = null;
            if (edit.attachments() != null) {
                List<Attachment> current = attachments.forMessages(tx, inbox.workspaceId(),
                        List.of(found.messageId())).getOrDefault(found.messageId(), List.of());
                if (!sameFiles(current, edit.attachments())) {
                    replacedFiles = new JsonArray();
                    for (Attachment file : current) {
                        replacedFiles.add(file.toJson());
                    }
                }
            }
            Optional<Message> edited = messages.edit(tx, inbox.id(), edit.externalId(), text, html, metadata,
                    editedAt, replacedFiles);
            if (edited.isEmpty()) {
                // Nothing an agent sees changed (a repeated edit, or a file replaced by the same bytes), or a later
                // edit is in already; what the channel noted about the message is kept all the same
                // (InboundSink.metadata), unless it belongs to an edit older than the one shown.
                messages.mergeMetadata(tx, inbox.id(), edit.externalId(), metadata, editedAt);
                return new IngestReceipt(IngestReceipt.Outcome.DUPLICATE, found.messageId(), found.conversationId(),
                        contactId);
            }
            if (replacedFiles != null) {
                attachments.replace(tx, inbox.workspaceId(), found.messageId());
                for (InboundAttachment file : edit.attachments()) {
                    attachments.insert(tx, inbox.workspaceId(), found.messageId(), file.file(), file.contentId(),
                            file.inline());
                }
            }
            // An agent resolving with If-Match on the version read before the edit gets a 412: they have not read
            // what the customer says now.
            conversations.touch(tx, inbox.workspaceId(), found.conversationId());
            JsonObject json = views.render(tx, inbox.workspaceId(),
                    messages.viewRow(tx, inbox.workspaceId(), found.messageId()).orElseThrow());
            events.append(tx, inbox.workspaceId(), EventType.MESSAGE_UPDATED, new JsonObject()
                    .put("conversationId", found.conversationId()).put("message", json).put("change", "edited"));
            log.info("message edited inbox={} message={}", inbox.id(), found.messageId());
            return new IngestReceipt(IngestReceipt.Outcome.STORED, found.messageId(), found.conversationId(),
                    contactId);
        });
    }

    /** Whether an edit's files are the ones the message has: the same contents under the same names. */
    private static boolean sameFiles(List<Attachment> current, List<InboundAttachment> edited) {
        List<String> before = current.stream().map(a -> a.sha256() + "/" + a.filename()).sorted().toList();
        List<String> after = edited.stream().map(a -> a.file().sha256() + "/" + a.file().filename()).sorted()
                .toList();
        return before.equals(after);
    }

    /**
     * A channel's report about a delivery (a bounce). A database that cannot take it now is a {@link
     * StorageUnavailable}, as for a message: the connector keeps the report at its source and tries again, instead
     * of counting it as a report that cannot be stored.
     */
    public void report(InboxRef inbox, DeliveryReport received) {
        DeliveryReport report = NulBytes.strip(received);
        Database.orUnavailable(() -> {
            storeReport(inbox, report);
            return null;
        });
    }

    private void storeReport(InboxRef inbox, DeliveryReport report) {
        DeliveryStatus status = report.outcome() == DeliveryReport.Outcome.FAILED ? DeliveryStatus.FAILED
                : DeliveryStatus.DELIVERED;
        database.tx(tx -> {
            deliveries.lockReports(tx, inbox.id(), report.externalId());
            String[] recipients = report.recipients().toArray(new String[0]);
            Optional<Row> reported = deliveries.markReported(tx, inbox.id(), report.externalId(), status,
                    report.reason(), report.reportId(), recipients);
            reported.ifPresentOrElse(
                    row -> {
                        long workspaceId = row.getLong("workspace_id");
                        long messageId = row.getLong("message_id");
                        JsonObject json = views.render(tx, workspaceId,
                                messages.viewRowForEvent(tx, workspaceId, messageId).orElseThrow());
                        events.append(tx, workspaceId, EventType.DELIVERY_UPDATED,
                                MessageView.deliveryUpdated(row.getLong("conversation_id"), messageId, json));
                        log.info("delivery reported inbox={} message={} status={}", inbox.id(), messageId,
                                status.wireName());
                    },
                    () -> {
                        if (deliveries.keepEarly(tx, inbox.id(), report.externalId(), status, report.reason(),
                                report.reportId(), recipients)) {
                            log.info("delivery report kept until its delivery is recorded sent inbox={}"
                                    + " externalId={} outcome={}", inbox.id(), report.externalId(), report.outcome());
                        } else {
                            log.info("delivery report changed nothing (its delivery was reported before, or it is"
                                    + " about another recipient: a copy forwarded on)"
                                    + " inbox={} externalId={} outcome={}", inbox.id(),
                                    report.externalId(), report.outcome());
                        }
                    });
            return null;
        });
    }

    private IngestReceipt duplicate(InboxRef inbox, String externalId) {
        return duplicateOf(messages.byExternalId(database.sql(), inbox.id(), externalId).orElseThrow());
    }

    private static IngestReceipt duplicateOf(MessageRepository.Located found) {
        return new IngestReceipt(IngestReceipt.Outcome.DUPLICATE, found.messageId(), found.conversationId(),
                found.authorContactId() == null ? 0 : found.authorContactId());
    }

    private void requireNotBlocked(Sql tx, long workspaceId, long contactId) {
        if (blocked(tx, workspaceId, contactId)) {
            throw new Blocked(contactId);
        }
    }

    private boolean blocked(Sql tx, long workspaceId, long contactId) {
        return contacts.find(tx, workspaceId, contactId).map(c -> c.blocked()).orElse(false);
    }

    /** Identities in their canonical form; a name without control characters (a header-injection vector). */
    private static Sender normalize(Sender sender) {
        String name = Texts.oneLine(sender.name());
        return new Sender(name == null || name.isEmpty() ? null : name,
                sender.identities().stream().map(Identities::normalize).distinct().toList());
    }

    /** The contact is blocked: roll back and drop the message. */
    private static final class Blocked extends RuntimeException {
        private final long contactId;

        Blocked(long contactId) {
            super(null, null, false, false);
            this.contactId = contactId;
        }
    }

    /** A concurrent ingest stored the same external id first. */
    private static final class LostRace extends RuntimeException {
        LostRace() {
            super(null, null, false, false);
        }
    }
}
