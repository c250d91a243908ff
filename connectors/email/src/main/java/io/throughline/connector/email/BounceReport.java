package io.throughline.connector.email;

import java.util.List;

/**
 * What a delivery status notification (RFC 3464) says about one of our messages.
 *
 * @param originalMessageId the Message-ID of the message it reports on, without angle brackets
 * @param action {@code failed}, {@code delayed}, {@code delivered}, {@code relayed} or {@code expanded}
 * @param recipient the final recipient (the original one when it names no final one), or null
 * @param status the enhanced status code (5.1.1), or null
 * @param diagnostic the remote server's words, or null
 */
record BounceReport(String originalMessageId, String action, String recipient, String status, String diagnostic) {

    /**
     * The address it is about: its final recipient. Not the original one when both are named: a server that forwarded
     * our reply on names the customer as original recipient of a copy refused elsewhere (and Postfix writes the
     * original recipient on every report).
     */
    List<String> recipients() {
        String address = recipient == null ? "" : recipient.replaceAll("[<>]", "").strip();
        return address.isEmpty() ? List.of() : List.of(address);
    }

    boolean failed() {
        return "failed".equals(action);
    }

    boolean delivered() {
        return "delivered".equals(action) || "relayed".equals(action) || "expanded".equals(action);
    }

    /** The reason shown to agents: the remote server's words, or the status code. */
    String reason() {
        StringBuilder out = new StringBuilder();
        if (diagnostic != null && !diagnostic.isBlank()) {
            out.append(diagnostic.strip());
        } else if (status != null) {
            out.append("delivery status ").append(status);
        } else {
            out.append("the recipient's mail server returned the message");
        }
        if (recipient != null && !out.toString().contains(recipient)) {
            out.append(" (").append(recipient).append(')');
        }
        return out.toString();
    }
}
