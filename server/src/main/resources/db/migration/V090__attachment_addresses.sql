-- The attachment store's sweep (attachment.FileStore) asks which stored files are still used, by content address.
CREATE INDEX attachments_sha256 ON attachments (sha256);
CREATE INDEX widget_uploads_sha256 ON widget_uploads (sha256);
