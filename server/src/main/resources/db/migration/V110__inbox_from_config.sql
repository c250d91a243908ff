-- The name the config file gives an inbox it created: later starts find it by that name after an admin renamed it
-- (an email inbox created again would clash with its own address and stop the start), and do not create again one
-- an admin deleted. NULL for inboxes made through the API; marked at the first start after this migration for the
-- file's inboxes made before it (found by name, or by their bot).
ALTER TABLE inboxes ADD COLUMN from_config text;
CREATE UNIQUE INDEX inboxes_from_config ON inboxes (workspace_id, kind, from_config) WHERE from_config IS NOT NULL;
