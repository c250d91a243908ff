package io.throughline.connector.email;

import java.time.Instant;
import java.util.List;

/**
 * Everything Throughline takes from one raw mail: a pure function of its bytes ({@link MailParser}).
 *
 * @param messageId the Message-ID without angle brackets, or null when the mail has none
 * @param from the author, or null when the From header is missing or unreadable
 * @param replyTo the Reply-To addresses
 * @param to the To addresses
 * @param cc the Cc addresses
 * @param envelopeTo addresses from Delivered-To, X-Original-To and Envelope-To, which name the address the mail
 *     was really delivered to (a {@code reply+token@} address hidden behind a forward)
 * @param subject the decoded subject, or null
 * @param date the Date header, or null
 * @param inReplyTo the first Message-ID of In-Reply-To, or null
 * @param references the Message-IDs of References, oldest first
 * @param text the plain text body (from the HTML when the mail has only HTML)
 * @param html the HTML body as sent (unsanitized), or null
 * @param attachments files and inline images
 * @param automated why the mail looks machine-sent (an out-of-office, a list) and whether it is an auto-reply, or null
 * @param bounce the delivery status report it carries, or null
 * @param senderAuthFailed true when the receiving server stamped a DMARC failure: the From may be forged
 * @param forwarded summaries of attached mails (message/rfc822 parts), "From, Subject"
 * @param problems what could not be read; empty when the mail was parsed completely
 */
record ParsedMail(
        String messageId,
        MailAddress from,
        List<MailAddress> replyTo,
        List<MailAddress> to,
        List<MailAddress> cc,
        List<MailAddress> envelopeTo,
        String subject,
        Instant date,
        String inReplyTo,
        List<String> references,
        String text,
        String html,
        List<MailAttachment> attachments,
        Automation automated,
        BounceReport bounce,
        boolean senderAuthFailed,
        List<String> forwarded,
        List<String> problems) {

    ParsedMail {
        replyTo = List.copyOf(replyTo);
        to = List.copyOf(to);
        cc = List.copyOf(cc);
        envelopeTo = List.copyOf(envelopeTo);
        references = List.copyOf(references);
        attachments = List.copyOf(attachments);
        forwarded = List.copyOf(forwarded);
        problems = List.copyOf(problems);
        text = text == null ? "" : text;
    }

    boolean complete() {
        return problems.isEmpty();
    }
}
