-- Whether a merge blocked its target (the source was blocked, the target not): undoing the merge unblocks the
-- target again, or a customer wrongly merged with a blocked spammer would stay blocked, their messages refused.
ALTER TABLE contact_merges ADD COLUMN blocked_target boolean NOT NULL DEFAULT false;
