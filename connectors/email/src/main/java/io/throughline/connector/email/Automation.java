package io.throughline.connector.email;

import io.throughline.connector.Texts;

/**
 * Why a mail looks sent by a machine (see {@link AutomatedMail}).
 *
 * @param reason what gave it away, for the agent ("Auto-Submitted: auto-replied", "mailing list ...")
 * @param autoReply it is an auto-responder's answer to a mail (RFC 3834 auto-replied, the X-Autoreply family,
 *     Exchange's out-of-office, an auto-reply subject): it must not reopen the conversation or be answered. A list,
 *     bulk or notification mail is automated too, but may carry a person's words.
 */
record Automation(String reason, boolean autoReply) {

    /** The longest reason kept: a header's value, which a sender may make megabytes long, goes in every event. */
    static final int MAX_REASON = 998;

    Automation {
        reason = Texts.cut(reason, MAX_REASON);
    }

    static Automation autoReply(String reason) {
        return new Automation(reason, true);
    }

    static Automation other(String reason) {
        return new Automation(reason, false);
    }
}
