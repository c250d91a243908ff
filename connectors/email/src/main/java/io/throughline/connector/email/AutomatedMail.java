package io.throughline.connector.email;

import jakarta.mail.Part;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Tells mail sent by a machine (an out-of-office, a list, a notification) from mail a person wrote, so it is never
 * answered automatically (RFC 3834). Standard headers decide first; the subject lines of common auto-responders
 * decide when a server sets no header.
 */
final class AutomatedMail {

    /**
     * An auto-responder's subject: its phrase as a prefix to the original subject ("Automatic reply: …", "Out of
     * Office AutoReply: …", "Réponse automatique : …"), or alone. A person's subject merely starting so ("Out of office
     * not working in Outlook", a helpdesk's question) is a person's: taken for an auto-reply, it reopened nothing.
     */
    private static final Pattern AUTO_SUBJECT = Pattern.compile("^\\s*(auto(matic)?[ -]?(reply|response|antwort)"
            + "|out of (the )?office( auto-?reply)?|abwesenheitsnotiz|automatische antwort"
            + "|réponse automatique( d'absence du bureau)?"
            + "|автоматический ответ|автоответ|автоматична відповідь|автовідповідь|odpowiedź automatyczna)"
            // French puts a (no-break) space before the colon.
            + "[\\s\\u00A0\\u202F]*([:：]|$)", Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE);
    /** Lotus Notes' out-of-office prefix, in capitals ("Auto: Schadensmeldung" is a German car insurance claim). */
    private static final Pattern LOTUS_SUBJECT = Pattern.compile("^\\s*AUTO: ");
    private static final Pattern SYSTEM_SENDER = Pattern.compile("^(mailer-daemon|postmaster|no-?reply|do-?not-?reply"
            + "|bounces?|notifications?)([+-].*)?@", Pattern.CASE_INSENSITIVE);

    private AutomatedMail() {
    }

    /**
     * Why the mail looks machine-sent, or null when a person wrote it. An auto-responder's own signs are looked for
     * first: many also carry a generic sign (Exchange's out-of-office says {@code Auto-Submitted: auto-generated},
     * some responders {@code Precedence: bulk}), which alone would not tell that the mail is an auto-reply (one that
     * reopens nothing and is not whom replies go to).
     */
    static Automation reason(Part message, String subject, MailAddress from, List<MailAddress> replyTo) {
        String autoSubmitted = header(message, "Auto-Submitted");
        boolean submitted = autoSubmitted != null && !autoSubmitted.toLowerCase(Locale.ROOT).startsWith("no");
        if (submitted && autoSubmitted.toLowerCase(Locale.ROOT).startsWith("auto-replied")) {
            return Automation.autoReply("Auto-Submitted: " + autoSubmitted);
        }
        String precedence = header(message, "Precedence");
        if (precedence != null && precedence.equalsIgnoreCase("auto_reply")) {
            return Automation.autoReply("Precedence: " + precedence);
        }
        for (String name : new String[] {"X-Autoreply", "X-Autorespond", "X-Autoresponder"}) {
            String value = header(message, name);
            if (value != null && !value.equalsIgnoreCase("no")) {
                return Automation.autoReply(name + ": " + value);
            }
        }
        String suppress = header(message, "X-Auto-Response-Suppress");
        if (suppress != null && header(message, "X-MS-Exchange-Generated-Message-Source") != null) {
            return Automation.autoReply("Exchange generated message");
        }
        if (subject != null && (AUTO_SUBJECT.matcher(subject).find() || LOTUS_SUBJECT.matcher(subject).find())) {
            return Automation.autoReply("auto-reply subject");
        }
        if (submitted) {
            return Automation.other("Auto-Submitted: " + autoSubmitted);
        }
        if (precedence != null && precedence.toLowerCase(Locale.ROOT).matches("bulk|junk|list")) {
            return Automation.other("Precedence: " + precedence);
        }
        if (header(message, "List-Id") != null || header(message, "List-Unsubscribe") != null) {
            return Automation.other("mailing list (List-Id / List-Unsubscribe)");
        }
        if (header(message, "Feedback-ID") != null && header(message, "X-Mailgun-Tag") != null) {
            return Automation.other("bulk sender");
        }
        String returnPath = header(message, "Return-Path");
        if (returnPath != null && returnPath.replaceAll("\\s", "").equals("<>")) {
            return Automation.other("null return path (a notification)");
        }
        if (from != null && systemSender(from) && !personBehind(from, replyTo)) {
            return Automation.other("system sender " + from.address());
        }
        return null;
    }

    /** A no-reply or notification address: never a person. */
    static boolean systemSender(MailAddress address) {
        return systemSender(address.address());
    }

    static boolean systemSender(String address) {
        return SYSTEM_SENDER.matcher(address).find();
    }

    /** A web form's mail: sent by the site's no-reply address for the person named in Reply-To. */
    static boolean personBehind(MailAddress from, List<MailAddress> replyTo) {
        return systemSender(from) && !from.localPart().matches("(?i)mailer-daemon|postmaster")
                && replyTo.stream().anyMatch(r -> !systemSender(r) && !r.address().equals(from.address()));
    }

    private static String header(Part part, String name) {
        String value = MimeParts.first(part, name);
        return value == null ? null : value.strip();
    }
}
