/**
 * Attachments: a content-addressed file store under {@code data/attachments} (bytes stored once per SHA-256) and
 * the metadata rows that tie files to messages.
 */
package io.throughline.attachment;
