-- The inbound message whose arrival attached an identity to its contact (null for identities attached otherwise:
-- a merge, a form, a move). Undoing a merge gives back, with the source's messages, the identities they brought
-- while the two were one contact: an address the source's customer proved then is theirs, not the target's.
ALTER TABLE identities ADD COLUMN added_by_message_id bigint;
