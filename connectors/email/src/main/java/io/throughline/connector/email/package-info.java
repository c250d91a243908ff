/**
 * The email channel: IMAP IDLE (or polling) with (UIDVALIDITY, last UID) checkpoints, replies through SMTP with the
 * threading headers, the optional inbound SMTP listener, and MIME parsing as pure functions of the raw message.
 */
package io.throughline.connector.email;
