package io.throughline.connector;

/**
 * An open inbox's state for {@code GET /health}.
 *
 * @param up false when the inbox cannot currently receive or send
 * @param detail a short explanation ("idle on INBOX", "reconnecting in 8s: connection refused")
 */
public record ConnectorHealth(boolean up, String detail) {

    public static ConnectorHealth up(String detail) {
        return new ConnectorHealth(true, detail);
    }

    public static ConnectorHealth down(String detail) {
        return new ConnectorHealth(false, detail);
    }
}
