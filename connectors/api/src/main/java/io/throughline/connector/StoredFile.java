package io.throughline.connector;

/**
 * A file in the content-addressed store.
 *
 * @param sha256 the hex SHA-256 of the content, which is also its address
 * @param size the size in bytes
 * @param filename the name it had where it came from (untrusted: shown, never used as a path)
 * @param contentType the declared MIME type
 */
public record StoredFile(String sha256, long size, String filename, String contentType) {
}
