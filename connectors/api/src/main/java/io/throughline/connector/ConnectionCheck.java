package io.throughline.connector;

/**
 * One step of a connection test.
 *
 * @param step what was tried ("imap login", "smtp connect")
 * @param ok whether it worked
 * @param detail what the remote side said, in words an admin can act on
 */
public record ConnectionCheck(String step, boolean ok, String detail) {
}
