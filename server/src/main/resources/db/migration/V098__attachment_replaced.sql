-- A file a customer replaced by editing their message (Telegram lets a photo be swapped): kept, and listed in the
-- message's previous version, but no longer among its current attachments.
ALTER TABLE attachments ADD COLUMN replaced_at timestamptz;
