-- What a merge changed on the target's conversation (status, snooze, assignee, labels), before and after, so an
-- unmerge gives back what nobody has changed since (contact.MergeService). Null when the merge changed none of it.
ALTER TABLE contact_merges ADD COLUMN carried_over jsonb;
