-- throughline:no-transaction
-- The snooze wake-up reads the snoozed conversations due first; one merged away keeps its snoozed status and its
-- time for good (an unmerge gives them back), so each sat at the front of the index, read and passed over every
-- 15 s on every node, more of them with every such merge. The index holds only conversations still in use.
-- Built concurrently: the nodes still running while it builds keep writing.
DROP INDEX CONCURRENTLY IF EXISTS conversations_snoozed_due_live;
CREATE INDEX CONCURRENTLY conversations_snoozed_due_live ON conversations (snoozed_until)
    WHERE status = 'snoozed' AND merged_into_id IS NULL;
DROP INDEX CONCURRENTLY IF EXISTS conversations_snoozed_due;
