-- The agent who uploaded a file not yet sent: until a message claims it, only they may attach or download it (a
-- colleague naming its id took another agent's draft file). Null for files that came with a message, and for
-- uploads made before this column, which stay claimable by any agent of the workspace.
ALTER TABLE attachments ADD COLUMN uploaded_by bigint REFERENCES agents (id);
