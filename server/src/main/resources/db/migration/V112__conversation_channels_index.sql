-- throughline:no-transaction
-- The inbox list's channel filter (?channel=telegram) as containment, which this index answers: a rare channel in a
-- workspace of mostly email no longer walks every conversation of the status through the list's ordered index.
-- Built concurrently: the nodes still running while it builds keep writing conversations.
DROP INDEX CONCURRENTLY IF EXISTS conversations_channels;
CREATE INDEX CONCURRENTLY conversations_channels ON conversations USING gin (channels)
    WHERE merged_into_id IS NULL;
