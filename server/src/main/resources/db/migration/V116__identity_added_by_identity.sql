-- The identity of the channel account that attached an identity outside a message (a widget visitor typing an
-- address into the chat's form after writing); null otherwise. Undoing a merge gives such an address back with that
-- account: typed while the visitor was merged into another contact, it belongs to the visitor's customer, not the
-- target's, whose missed chat replies would otherwise go to it by email.
ALTER TABLE identities ADD COLUMN added_by_identity_id bigint;
