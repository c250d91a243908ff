-- A Telegram bot serves one inbox: two inboxes of one bot take its webhook from each other, or both poll it and
-- store each update twice. Its id (the part of the token before the colon) is each inbox's exclusive key, unique
-- among the enabled inboxes of a kind. Of inboxes that already shared a bot, the one changed last stays enabled (the
-- one provisioned last, which the webhook points at, or the one an admin kept editing); the others are disabled
-- (they were not receiving reliably anyway), and an admin sees them disabled and can delete or re-point them.
ALTER TABLE inboxes ADD COLUMN exclusive_key text;

UPDATE inboxes SET exclusive_key = split_part(btrim(config ->> 'botToken'), ':', 1)
WHERE kind = 'telegram' AND btrim(config ->> 'botToken') ~ '^[0-9]+:';

UPDATE inboxes i SET enabled = false, updated_at = now()
WHERE i.deleted_at IS NULL AND i.enabled AND i.exclusive_key IS NOT NULL
  AND EXISTS (SELECT 1 FROM inboxes o
              WHERE o.kind = i.kind AND o.exclusive_key = i.exclusive_key AND o.deleted_at IS NULL AND o.enabled
                AND (o.updated_at, o.id) > (i.updated_at, i.id));

CREATE UNIQUE INDEX inboxes_exclusive_key ON inboxes (kind, exclusive_key)
    WHERE deleted_at IS NULL AND enabled AND exclusive_key IS NOT NULL;
