-- throughline:no-transaction
-- Conversations merged into one: an unmerge follows merged_into_id recursively while it holds its locks, and
-- read every conversation of the installation at each step without this index. And the conversation list
-- without a status filter (the API allows it; the inbox always sends one), which sorted a workspace's
-- conversations on every page. Built concurrently: the nodes still running while they build keep writing.
DROP INDEX CONCURRENTLY IF EXISTS conversations_merged_into;
CREATE INDEX CONCURRENTLY conversations_merged_into ON conversations (merged_into_id)
    WHERE merged_into_id IS NOT NULL;
DROP INDEX CONCURRENTLY IF EXISTS conversations_recent;
CREATE INDEX CONCURRENTLY conversations_recent ON conversations (workspace_id, last_activity_at DESC, id DESC)
    WHERE merged_into_id IS NULL;
