package io.throughline.connector.email;

import java.net.IDN;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What a delivery status notification (RFC 3464) says about one of our messages.
 *
 * @param originalMessageId the Message-ID of the message it reports on, without angle brackets
 * @param action {@code failed}, {@code delayed}, {@code delivered}, {@code relayed} or {@code expanded}
 * @param recipient the final recipient (the original one when it names no final one), or null
 * @param originalRecipient the recipient as our message named it (before an alias or a forward), or null
 * @param status the enhanced status code (5.1.1), or null
 * @param diagnostic the remote server's words, or null
 */
record BounceReport(String originalMessageId, String action, String recipient, String originalRecipient,
                    String status, String diagnostic) {

    /**
     * The addresses it is about, each with its domain both in ASCII (punycode, as we send) and in Unicode: its final
     * recipient, and its original one only in the same domain (an alias of the customer's own mailbox). Not an
     * original recipient of another domain: a server that forwarded our reply on names the customer there for a
     * copy refused elsewhere (and Postfix writes the original recipient on every report).
     */
    List<String> recipients() {
        String last = clean(recipient);
        String first = clean(originalRecipient);
        Set<String> out = new LinkedHashSet<>();
        if (last != null) {
            out.addAll(forms(last));
            if (first != null && domain(first).equalsIgnoreCase(domain(last))) {
                out.addAll(forms(first));
            }
        }
        return List.copyOf(out);
    }

    private static String clean(String address) {
        String cleaned = address == null ? "" : address.replaceAll("[<>]", "").strip();
        return cleaned.isEmpty() ? null : cleaned;
    }

    private static String domain(String address) {
        return address.substring(address.lastIndexOf('@') + 1);
    }

    /** The address as given, and with its domain in the other form (xn--... and Unicode). */
    private static Set<String> forms(String address) {
        Set<String> forms = new LinkedHashSet<>();
        forms.add(address);
        int at = address.lastIndexOf('@');
        if (at > 0) {
            try {
                forms.add(address.substring(0, at + 1) + IDN.toASCII(domain(address), IDN.ALLOW_UNASSIGNED));
                forms.add(address.substring(0, at + 1) + IDN.toUnicode(domain(address), IDN.ALLOW_UNASSIGNED));
            } catch (IllegalArgumentException e) {
                // Not a domain IDN can convert: the address as given only.
            }
        }
        return forms;
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
