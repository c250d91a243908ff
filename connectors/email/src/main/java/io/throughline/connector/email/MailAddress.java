package io.throughline.connector.email;

import java.util.Locale;
import java.util.Objects;

/**
 * A mailbox from a header.
 *
 * @param address the addr-spec, lowercased (mail systems treat it case-insensitively in practice)
 * @param name the decoded display name, or null
 */
record MailAddress(String address, String name) {

    MailAddress {
        Objects.requireNonNull(address, "address");
        address = address.strip().toLowerCase(Locale.ROOT);
        name = name == null || name.isBlank() ? null : name.strip();
    }

    String domain() {
        int at = address.lastIndexOf('@');
        return at < 0 ? "" : address.substring(at + 1);
    }

    String localPart() {
        int at = address.lastIndexOf('@');
        return at < 0 ? address : address.substring(0, at);
    }
}
