package io.throughline.connector.email;

import io.throughline.connector.AttachmentStore;
import io.throughline.connector.DeliveryReport;
import io.throughline.connector.Identity;
import io.throughline.connector.IdentityKind;
import io.throughline.connector.InboundAttachment;
import io.throughline.connector.InboundFlag;
import io.throughline.connector.InboundMessage;
import io.throughline.connector.InboundSink;
import io.throughline.connector.IngestReceipt;
import io.throughline.connector.Sender;
import io.throughline.connector.StoredFile;
import io.throughline.connector.ThreadHints;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import jakarta.mail.MessagingException;
import jakarta.mail.internet.MimeMessage;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.LongSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands one raw mail to the single ingest path, from IMAP or the SMTP listener alike: parses it, stores its files,
 * and calls {@link InboundSink#accept} (or {@link InboundSink#report} for a bounce). It returns only after the
 * server committed, so the caller may then advance its checkpoint. A mail that cannot be parsed is still stored,
 * flagged {@link InboundFlag#UNPARSED}, with the original attached as an {@code .eml}.
 */
final class MailImporter {

    private static final Logger log = LoggerFactory.getLogger(MailImporter.class);
    /** {@code reply+<token>@} first; any other {@code +detail} of a recipient is a weaker candidate. */
    private static final Pattern SUBADDRESS = Pattern.compile("^([^+]+)\\+([A-Za-z0-9]{6,80})$");
    private static final Pattern USABLE_ADDRESS = Pattern.compile("[^@\\s]+@[^@\\s]+\\.[^@\\s]+");
    private static final int MAX_LISTED = 20;

    /** What became of one mail. */
    enum Outcome {
        STORED, DUPLICATE, BLOCKED, REPORTED, SKIPPED_OWN
    }

    private final EmailConfig config;
    private final MessageIds messageIds;
    private final InboundSink sink;
    private final AttachmentStore files;
    private final LongSupplier maxAttachmentBytes;
    private final long inboxId;

    MailImporter(long inboxId, EmailConfig config, MessageIds messageIds, InboundSink sink, AttachmentStore files,
                 LongSupplier maxAttachmentBytes) {
        this.inboxId = inboxId;
        this.config = config;
        this.messageIds = messageIds;
        this.sink = sink;
        this.files = files;
        this.maxAttachmentBytes = maxAttachmentBytes;
    }

    /**
     * Imports one raw mail.
     *
     * @param raw the mail as received, byte for byte
     * @param envelopeRecipients the SMTP RCPT TO addresses when the mail came through the listener, else empty
     */
    Outcome importMail(Path raw, List<String> envelopeRecipients) throws IOException {
        return importMail(RawMail.of(raw), envelopeRecipients);
    }

    /** Imports one raw mail held in memory (fetched over IMAP in a batch). */
    Outcome importMail(byte[] raw, List<String> envelopeRecipients) throws IOException {
        return importMail(RawMail.of(raw), envelopeRecipients);
    }

    private Outcome importMail(RawMail raw, List<String> envelopeRecipients) throws IOException {
        return deliver(prepare(raw, envelopeRecipients));
    }

    /** A mail ready for the server: parsed and its files stored; delivering it commits it. */
    sealed interface Prepared {
        /** Mails with the same key are delivered in order; different keys may be delivered at the same time. */
        String lane();
    }

    /** A message for the single ingest path. */
    record ToAccept(InboundMessage message) implements Prepared {
        @Override
        public String lane() {
            return message.sender().identities().getFirst().value();
        }
    }

    /** A bounce or delivery notice about one of our replies. */
    record ToReport(DeliveryReport report, String action) implements Prepared {
        @Override
        public String lane() {
            return "reports";
        }
    }

    /** Our own outgoing mail, seen in a watched folder. */
    record Skip(String messageId) implements Prepared {
        @Override
        public String lane() {
            return "skipped";
        }
    }

    /**
     * What the mail answers: a delivery notice about one of our replies that changes nothing (delayed, relayed)
     * answers that reply, whatever its own headers say, so it lands in the reply's conversation, where the agent
     * who sent it reads it; it gathered in a conversation of the relay's MAILER-DAEMON with every customer's.
     */
    private String inReplyTo(ParsedMail parsed) {
        BounceReport bounce = parsed.bounce();
        return bounce != null && bounce.originalMessageId() != null && messageIds.isOurs(bounce.originalMessageId())
                ? bounce.originalMessageId() : parsed.inReplyTo();
    }

    /** Parses one raw mail and stores its files; nothing is committed yet. */
    Prepared prepare(byte[] raw, List<String> envelopeRecipients) throws IOException {
        return prepare(RawMail.of(raw), envelopeRecipients);
    }

    private Prepared prepare(RawMail raw, List<String> envelopeRecipients) throws IOException {
        InputStream stream = raw.shared();
        try {
            ParsedMail parsed;
            try {
                parsed = MailParser.parse(new MimeMessage(MailParser.PARSING, stream));
            } catch (MessagingException | RuntimeException | StackOverflowError e) {
                // A stack overflow is a parser's answer to some hostile MIME too: the mail is kept unparsed, and
                // the mailbox goes on (left to escape, it would fail the batch and be fetched again for ever).
                log.warn("mail could not be parsed at all inbox={} reason={}", inboxId, MailParser.describe(e));
                return new ToAccept(unparsedMessage(raw, MailParser.describe(e)));
            }
            if (ours(parsed)) {
                return new Skip(parsed.messageId());
            }
            // A report about one of our replies updates its delivery; any other bounce (about mail sent from the
            // mailbox outside Throughline) stays a message agents can read, flagged automated.
            if (parsed.bounce() != null && messageIds.isOurs(parsed.bounce().originalMessageId())
                    && (parsed.bounce().failed() || parsed.bounce().delivered())) {
                BounceReport bounce = parsed.bounce();
                return new ToReport(new DeliveryReport(bounce.originalMessageId(), bounce.failed()
                        ? DeliveryReport.Outcome.FAILED : DeliveryReport.Outcome.DELIVERED, bounce.reason(),
                        parsed.messageId() != null ? parsed.messageId() : "sha256:" + sha256(raw),
                        bounce.recipients()), bounce.action());
            }
            return new ToAccept(message(raw, parsed, envelopeRecipients));
        } finally {
            stream.close();
        }
    }

    /**
     * Which of these Message-IDs need not be read again: mail the inbox already stored or sent, and our own
     * outgoing mail, which is skipped whenever it is read.
     */
    Set<String> alreadyRead(Collection<String> ids) {
        Set<String> done = new HashSet<>(sink.stored(ids));
        for (String id : ids) {
            if (messageIds.isOurs(id)) {
                done.add(id);
            }
        }
        return done;
    }

    /** Commits a prepared mail through the sink; returns only after the server committed it. */
    Outcome deliver(Prepared prepared) {
        return switch (prepared) {
            case ToAccept accept -> accept(accept.message());
            case ToReport report -> {
                sink.report(report.report());
                log.info("delivery status report read inbox={} action={} original={}", inboxId, report.action(),
                        report.report().externalId());
                yield Outcome.REPORTED;
            }
            case Skip skip -> {
                log.debug("own outgoing mail skipped inbox={} messageId={}", inboxId, skip.messageId());
                yield Outcome.SKIPPED_OWN;
            }
        };
    }

    private InboundMessage message(RawMail raw, ParsedMail parsed, List<String> envelopeRecipients)
            throws IOException {
        List<String> problems = new ArrayList<>(parsed.problems());
        String externalId = parsed.messageId() != null ? parsed.messageId() : "sha256:" + sha256(raw);
        Sender sender = sender(parsed);
        InboundMessage.Builder builder = InboundMessage.builder(externalId, sender)
                .text(parsed.text())
                .html(parsed.html())
                .subject(parsed.subject())
                .sentAt(parsed.date())
                .thread(new ThreadHints(replyToken(parsed, envelopeRecipients), inReplyTo(parsed),
                        parsed.references()));
        JsonArray omitted = new JsonArray();
        for (MailAttachment attachment : parsed.attachments()) {
            try (InputStream content = attachment.content().open()) {
                StoredFile stored = files.store(content, attachment.filename(), attachment.contentType(),
                        maxAttachmentBytes.getAsLong());
                builder.attachment(new InboundAttachment(stored, attachment.contentId(), attachment.inline()));
            } catch (AttachmentStore.FileTooLarge e) {
                omitted.add(new JsonObject().put("filename", attachment.filename())
                        .put("reason", "larger than " + e.limit() + " bytes"));
            } catch (IOException | MessagingException | RuntimeException e) {
                problems.add("the attachment " + attachment.filename() + " could not be decoded: "
                        + MailParser.describe(e));
            }
        }
        if (parsed.automated() != null) {
            builder.flag(InboundFlag.AUTOMATED);
        }
        if (parsed.automated() != null && parsed.automated().autoReply()) {
            builder.flag(InboundFlag.AUTO_REPLY);
        }
        Identity author = sender.identities().getFirst();
        if (author.kind() == IdentityKind.EMAIL && AutomatedMail.systemSender(author.value())) {
            builder.flag(InboundFlag.NO_REPLY);
        }
        if (!problems.isEmpty()) {
            builder.flag(InboundFlag.UNPARSED);
            builder.attachment(InboundAttachment.of(storeOriginal(raw)));
            log.warn("mail partly parsed inbox={} messageId={} problems={}", inboxId, externalId, problems);
        }
        builder.metadata(metadata(parsed, problems, omitted));
        return builder.build();
    }

    private Outcome accept(InboundMessage message) {
        IngestReceipt receipt = sink.accept(message);
        return switch (receipt.outcome()) {
            case STORED -> Outcome.STORED;
            case BLOCKED -> Outcome.BLOCKED;
            default -> Outcome.DUPLICATE;
        };
    }

    /** A mail that failed ingest again and again, prepared to be stored unparsed, with the original attached. */
    Prepared prepareUnparsed(byte[] raw, String reason) throws IOException {
        return new ToAccept(unparsedMessage(RawMail.of(raw), reason));
    }

    /** A mail Jakarta Mail cannot even open: stored raw, flagged, so an agent sees it and nothing is lost. */
    Outcome unparsed(byte[] raw, String reason) throws IOException {
        return unparsed(RawMail.of(raw), reason);
    }

    Outcome unparsed(Path raw, String reason) throws IOException {
        return unparsed(RawMail.of(raw), reason);
    }

    private Outcome unparsed(RawMail raw, String reason) throws IOException {
        return accept(unparsedMessage(raw, reason));
    }

    /**
     * A mail the server would not hand over, even asked for alone and several times: stored as a message that says
     * so, with what the server still told about it, so agents learn of it and the folder goes on. Its sender is
     * only claimed (nothing was verified) and its external id names the folder and UID, so the real mail, should
     * it be read later (a re-import after a UIDVALIDITY change), is not taken for a duplicate of it.
     */
    Outcome unreadable(String folder, long uidValidity, long uid, MailAddress from, String subject, String reason) {
        Sender sender = from != null && usable(from.address())
                ? Sender.of(from.name(), Identity.claimed(IdentityKind.EMAIL, from.address()))
                : Sender.of(null, Identity.claimed(IdentityKind.EXTERNAL_ID, "email-unreadable:" + folder + ":" + uid));
        return accept(InboundMessage.builder("imap-unreadable:" + folder + ":" + uidValidity + ":" + uid, sender)
                .subject(subject)
                .text("The mail server would not give this mail to Throughline (" + reason + "). It is still in"
                        + " the mailbox, folder " + folder + ", UID " + uid + ": open it there with a mail client.")
                .flag(InboundFlag.UNPARSED)
                .metadata(new JsonObject().put("email", new JsonObject()
                        .put("problems", new JsonArray().add("the server refused to return the mail: " + reason))
                        .put("folder", folder).put("uid", uid)))
                .build());
    }

    private InboundMessage unparsedMessage(RawMail raw, String reason) throws IOException {
        String sha = sha256(raw);
        return InboundMessage.builder("sha256:" + sha, Sender.of(null,
                        Identity.claimed(IdentityKind.EXTERNAL_ID, "email-unreadable:" + sha.substring(0, 16))))
                .text("")
                .flag(InboundFlag.UNPARSED)
                .attachment(InboundAttachment.of(storeOriginal(raw)))
                .metadata(new JsonObject().put("email", new JsonObject().put("problems", new JsonArray()
                        .add(reason))))
                .build();
    }

    private StoredFile storeOriginal(RawMail raw) throws IOException {
        try (InputStream in = raw.open()) {
            return files.store(in, "original.eml", "message/rfc822", Long.MAX_VALUE);
        }
    }

    /**
     * The author, as a proven email identity unless the receiving server saw a DMARC failure (or it had to be
     * taken from Reply-To). A web form's mail
     * (from a no-reply address or our own, the person in Reply-To) is the person's, but only as claimed: the form
     * proves nothing.
     */
    private Sender sender(ParsedMail parsed) {
        if (parsed.from() != null && (AutomatedMail.personBehind(parsed.from(), parsed.replyTo()) || fromUs(parsed))) {
            MailAddress person = onBehalfOf(parsed);
            if (person != null) {
                return Sender.of(person.name(), Identity.claimed(IdentityKind.EMAIL, person.address()));
            }
        }
        List<MailAddress> candidates = new ArrayList<>();
        if (parsed.from() != null) {
            candidates.add(parsed.from());
        }
        candidates.addAll(parsed.replyTo());
        MailAddress author = candidates.stream().filter(a -> usable(a.address())).findFirst().orElse(null);
        if (author == null) {
            String hint = parsed.from() != null ? parsed.from().address() : parsed.messageId();
            return Sender.of(parsed.from() == null ? null : parsed.from().name(),
                    Identity.claimed(IdentityKind.EXTERNAL_ID, "email-sender:" + (hint == null ? "unknown"
                            : hint.length() > 200 ? hint.substring(0, 200) : hint)));
        }
        List<Identity> identities = new ArrayList<>();
        // Proven only from the From, which the receiving server's DMARC check covers; Reply-To nobody vouches for.
        identities.add(new Identity(IdentityKind.EMAIL, author.address(),
                author == parsed.from() && !parsed.senderAuthFailed()));
        for (MailAddress replyTo : parsed.replyTo()) {
            if (!replyTo.address().equals(author.address()) && usable(replyTo.address())) {
                identities.add(Identity.claimed(IdentityKind.EMAIL, replyTo.address()));
            }
        }
        return new Sender(author.name(), identities);
    }

    /**
     * The token of a {@code reply+token@} recipient, wherever the mail names it: one at our reply domain first (an
     * answer to us and to another helpdesk, or a GitHub-style address, names a {@code reply+} of theirs too), then
     * any {@code reply+}, then any other subaddress.
     */
    private String replyToken(ParsedMail parsed, List<String> envelopeRecipients) {
        List<String> recipients = new ArrayList<>(envelopeRecipients);
        parsed.envelopeTo().forEach(a -> recipients.add(a.address()));
        parsed.to().forEach(a -> recipients.add(a.address()));
        parsed.cc().forEach(a -> recipients.add(a.address()));
        String anyReply = null;
        String weaker = null;
        for (String recipient : recipients) {
            int at = recipient.lastIndexOf('@');
            if (at < 0) {
                continue;
            }
            Matcher m = SUBADDRESS.matcher(recipient.substring(0, at));
            if (m.matches()) {
                String token = m.group(2).toLowerCase(Locale.ROOT);
                if (m.group(1).equalsIgnoreCase("reply")) {
                    if (recipient.substring(at + 1).equalsIgnoreCase(config.replyDomain())) {
                        return token;
                    }
                    anyReply = anyReply == null ? token : anyReply;
                } else if (weaker == null) {
                    weaker = token;
                }
            }
        }
        return anyReply != null ? anyReply : weaker;
    }

    /**
     * Our own replies (a watched Sent folder, a Bcc to ourselves) never come back in as customer mail, nor does mail
     * an agent sent from the mailbox outside Throughline. Mail from our address on behalf of someone in Reply-To
     * (a website form that sends as the shop to pass SPF) is that person's, and comes in.
     */
    private boolean ours(ParsedMail parsed) {
        if (messageIds.isOurs(parsed.messageId())) {
            return true;
        }
        return fromUs(parsed) && parsed.bounce() == null && onBehalfOf(parsed) == null;
    }

    private boolean fromUs(ParsedMail parsed) {
        return parsed.from() != null && parsed.from().address().equals(config.address());
    }

    /**
     * The person a form's mail speaks for: the first usable Reply-To that is neither a system sender nor one of
     * ours (the inbox's address, its reply+ subaddresses, the reply domain our replies carry in Reply-To).
     */
    private MailAddress onBehalfOf(ParsedMail parsed) {
        return parsed.replyTo().stream().filter(r -> !AutomatedMail.systemSender(r) && usable(r.address())
                && !ourAddress(r.address())).findFirst().orElse(null);
    }

    private boolean ourAddress(String address) {
        if (address.equals(config.address())) {
            return true;
        }
        int at = address.lastIndexOf('@');
        String domain = at < 0 ? "" : address.substring(at + 1);
        int ownAt = config.address().lastIndexOf('@');
        boolean subaddress = address.startsWith(config.address().substring(0, ownAt) + "+")
                && domain.equals(config.address().substring(ownAt + 1));
        return subaddress || domain.equals(config.replyDomain());
    }

    private static JsonObject metadata(ParsedMail parsed, List<String> problems, JsonArray omitted) {
        JsonObject email = new JsonObject()
                .put("messageId", parsed.messageId())
                .put("to", addresses(parsed.to()))
                .put("cc", addresses(parsed.cc()));
        if (!parsed.replyTo().isEmpty()) {
            email.put("replyTo", addresses(parsed.replyTo()));
        }
        if (parsed.automated() != null) {
            email.put("automated", parsed.automated().reason());
        }
        if (parsed.senderAuthFailed()) {
            email.put("senderAuthFailed", true);
        }
        if (!parsed.forwarded().isEmpty()) {
            email.put("forwarded", new JsonArray(List.copyOf(parsed.forwarded())));
        }
        if (parsed.bounce() != null) {
            email.put("deliveryStatus", new JsonObject().put("action", parsed.bounce().action())
                    .put("reason", parsed.bounce().reason()));
        }
        if (!problems.isEmpty()) {
            email.put("problems", new JsonArray(List.copyOf(problems)));
        }
        if (!omitted.isEmpty()) {
            email.put("omittedAttachments", omitted);
        }
        return new JsonObject().put("email", email);
    }

    private static JsonArray addresses(List<MailAddress> addresses) {
        JsonArray out = new JsonArray();
        for (MailAddress address : addresses.subList(0, Math.min(MAX_LISTED, addresses.size()))) {
            out.add(new JsonObject().put("address", address.address()).put("name", address.name()));
        }
        return out;
    }

    private static boolean usable(String address) {
        return address != null && address.length() <= 320 && USABLE_ADDRESS.matcher(address).matches();
    }

    /**
     * The id of a mail without a Message-ID: a hash of its bytes without its Received fields. Each hop adds one,
     * our SMTP listener too, so a sender delivering again after a lost answer (or to a second inbox) would
     * otherwise hash differently and be stored twice.
     */
    static String sha256(RawMail raw) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        try (InputStream in = new BufferedInputStream(raw.open())) {
            boolean skipping = false;
            for (byte[] line = headerLine(in); line.length > 0; line = headerLine(in)) {
                boolean continuation = line[0] == ' ' || line[0] == '\t';
                if (!continuation) {
                    skipping = line.length >= 9
                            && new String(line, 0, 9, StandardCharsets.ISO_8859_1).equalsIgnoreCase("received:");
                }
                if (!skipping || blank(line)) {
                    digest.update(line);
                }
                if (blank(line)) {
                    break;
                }
            }
            try (DigestInputStream body = new DigestInputStream(in, digest)) {
                body.transferTo(OutputStream.nullOutputStream());
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    /**
     * One line with its line ending, or the first 64 KB of a longer one (the rest comes as the next "line": the
     * hash stays the same for the same bytes); empty at the end of the stream.
     */
    private static byte[] headerLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(128);
        for (int b = in.read(); b >= 0; b = in.read()) {
            line.write(b);
            if (b == '\n' || line.size() >= 64 * 1024) {
                break;
            }
        }
        return line.toByteArray();
    }

    private static boolean blank(byte[] line) {
        return (line.length == 1 && line[0] == '\n') || (line.length == 2 && line[0] == '\r' && line[1] == '\n');
    }
}
