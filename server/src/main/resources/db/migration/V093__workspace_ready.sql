-- When the first start of a workspace finished (its banner printed the admin's password). A first start that
-- stopped before that leaves it null, and the next start sets and shows the password again (Throughline.java).
ALTER TABLE workspaces ADD COLUMN ready_at timestamptz;
UPDATE workspaces SET ready_at = created_at;
