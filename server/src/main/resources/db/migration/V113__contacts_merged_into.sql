-- throughline:no-transaction
-- A contact's panel lists the merge suggestions of every contact merged into it (a suggestion stays with the
-- contacts it was made for, and is shown at the contact each side lives in now); finding those merged into a
-- contact read every contact of the installation at each step of the chain without this index. Built
-- concurrently: the nodes still running while it builds keep writing.
DROP INDEX CONCURRENTLY IF EXISTS contacts_merged_into;
CREATE INDEX CONCURRENTLY contacts_merged_into ON contacts (merged_into_id) WHERE merged_into_id IS NOT NULL;
