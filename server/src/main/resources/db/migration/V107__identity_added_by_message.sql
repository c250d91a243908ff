-- The inbound message whose arrival attached an identity to its contact, and the one that proved an identity
-- attached as claimed before (null for identities attached or proven otherwise: a merge, a form, a move). Undoing
-- a merge gives back, with the source's messages, the identities they brought or proved while the two were one
-- contact: an address the source's customer proved then is theirs, not the target's.
ALTER TABLE identities ADD COLUMN added_by_message_id bigint;
ALTER TABLE identities ADD COLUMN proven_by_message_id bigint;
