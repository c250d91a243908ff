-- Which of a merge's moved identities the source had only claimed, so an unmerge can tell one proven since (by the
-- merged thread's customer: it stays with the target, the source gets its claim back). Null for older merges.
ALTER TABLE contact_merges ADD COLUMN moved_claimed_ids bigint[];
