package io.throughline.connector;

/**
 * Ingest could not write to the database for a reason that passes (a failover to a read-only standby, a full
 * disk, a dropped connection, a timeout). It says nothing about the message: the connector keeps it at its source,
 * retries later, and must not count this against the message (as a poison mail would be counted).
 */
public final class StorageUnavailable extends RuntimeException {

    public StorageUnavailable(String message, Throwable cause) {
        super(message, cause);
    }
}
