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

    private static final Pattern AUTO_SUBJECT = Pattern.compile("^\\s*(auto(matic)?[ -]?(reply|response|antwort)"
            + "|out of (the )?office|abwesenheitsnotiz|automatische antwort|réponse automatique"
            + "|автоматический ответ|автоответ|автоматична відповідь|автовідповідь|odpowiedź automatyczna"
            + "|auto:)", Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE);
    private static final Pattern SYSTEM_SENDER = Pattern.compile("^(mailer-daemon|postmaster|no-?reply|do-?not-?reply"
            + "|bounces?|notifications?)([+-].*)?@", Pattern.CASE_INSENSITIVE);

    private AutomatedMail() {
    }

    /** Why the mail looks machine-sent, or null when a person wrote it. */
    static String reason(Part message, String subject, MailAddress from, List<MailAddress> replyTo) {
        String autoSubmitted = header(message, "Auto-Submitted");
        if (autoSubmitted != null && !autoSubmitted.toLowerCase(Locale.ROOT).startsWith("no")) {
            return "Auto-Submitted: " + autoSubmitted;
        }
        String precedence = header(message, "Precedence");
        if (precedence != null && precedence.toLowerCase(Locale.ROOT).matches("bulk|junk|list|auto_reply")) {
            return "Precedence: " + precedence;
        }
        for (String name : new String[] {"X-Autoreply", "X-Autorespond", "X-Autoresponder"}) {
            String value = header(message, name);
            if (value != null && !value.equalsIgnoreCase("no")) {
                return name + ": " + value;
            }
        }
        String suppress = header(message, "X-Auto-Response-Suppress");
        if (suppress != null && header(message, "X-MS-Exchange-Generated-Message-Source") != null) {
            return "Exchange generated message";
        }
        if (header(message, "List-Id") != null || header(message, "List-Unsubscribe") != null) {
            return "mailing list (List-Id / List-Unsubscribe)";
        }
        if (header(message, "Feedback-ID") != null && header(message, "X-Mailgun-Tag") != null) {
            return "bulk sender";
        }
        String returnPath = header(message, "Return-Path");
        if (returnPath != null && returnPath.replaceAll("\\s", "").equals("<>")) {
            return "null return path (a notification)";
        }
        if (from != null && systemSender(from) && !personBehind(from, replyTo)) {
            return "system sender " + from.address();
        }
        if (subject != null && AUTO_SUBJECT.matcher(subject).find()) {
            return "auto-reply subject";
        }
        return null;
    }

    /**
     * Whether the reason {@link #reason} gave is an auto-responder's (RFC 3834 auto-replied, the X-Autoreply
     * family, Exchange's out-of-office, an auto-reply subject), not a list, bulk or notification mail, which may
     * carry a person's words.
     */
    static boolean autoReply(String reason) {
        if (reason == null) {
            return false;
        }
        String lower = reason.toLowerCase(Locale.ROOT);
        return lower.startsWith("auto-submitted: auto-replied") || lower.equals("precedence: auto_reply")
                || lower.startsWith("x-autore") || lower.equals("exchange generated message")
                || lower.equals("auto-reply subject");
    }

    /** A no-reply or notification address: never a person. */
    static boolean systemSender(MailAddress address) {
        return SYSTEM_SENDER.matcher(address.address()).find();
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
