package io.throughline.connector.email;

import java.util.List;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * What a delivery status notification (RFC 3464) says about one of our messages.
 *
 * @param originalMessageId the Message-ID of the message it reports on, without angle brackets
 * @param action {@code failed}, {@code delayed}, {@code delivered}, {@code relayed} or {@code expanded}
 * @param recipient the final recipient, or null
 * @param originalRecipient the recipient as the message named it (before an alias or a forward), or null
 * @param status the enhanced status code (5.1.1), or null
 * @param diagnostic the remote server's words, or null
 */
record BounceReport(String originalMessageId, String action, String recipient, String originalRecipient,
                    String status, String diagnostic) {

    /** The addresses it is about: its final and original recipient, as far as it names them. */
    List<String> recipients() {
        return Stream.of(recipient, originalRecipient).filter(Objects::nonNull).distinct().toList();
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
